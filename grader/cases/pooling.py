"""Cases for the pooling assignment"""
import torch

from grader.cases.build import (error_call, grad_calls, magnitudes, pick, plain_call,
                                rand, randint, tensor_calls)

X3 = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]], dtype=torch.float64)
X4 = torch.arange(16, dtype=torch.float64).reshape(1, 1, 4, 4)
BAD_MODES = ["min", "MAX", "average", "", "sum"]


def public():
    """The chapter's worked examples"""
    return {
        "pool2d": tensor_calls("pool2d", (X3, (2, 2)))
        + tensor_calls("pool2d", (X3, (2, 2), "avg"))
        + [error_call("pool2d", (X3, (2, 2), "min"))],
        "pool2d_strided": tensor_calls("pool2d_strided", (X4, 3))
        + tensor_calls("pool2d_strided", (X4, 3), {"padding": 1, "stride": 2})
        + tensor_calls("pool2d_strided", (X4, (2, 3)), {"stride": (2, 3), "padding": (0, 1)})
        + tensor_calls("pool2d_strided", (X4[0, 0], (2, 2)), {"mode": "avg"}),
        "avg_pool_as_conv": tensor_calls("avg_pool_as_conv", (X4, 2),
                                         extra={"structure"}, trace=True)
        + tensor_calls("avg_pool_as_conv", (X4, 3), {"stride": 1, "padding": 1},
                       extra={"structure"}, trace=True),
        "max_pool_as_conv": tensor_calls("max_pool_as_conv", (X4, 2),
                                         extra={"structure"}, trace=True)
        + tensor_calls("max_pool_as_conv", (X4, 3), {"stride": 2, "padding": 1},
                       extra={"structure"}, trace=True),
        "pool_cost": [plain_call("pool_cost", (3, 4, 4, (2, 2), (2, 2), (0, 0))),
                      plain_call("pool_cost", (1, 4, 4, 3, 2, 1))],
        "min_pool2d": tensor_calls("min_pool2d", (X4, 2))
        + tensor_calls("min_pool2d", (X4[0, 0] - 8, 3), {"stride": 1, "padding": 1}),
        "softmax_pool2d": tensor_calls("softmax_pool2d", (X3, (2, 2)))
        + tensor_calls("softmax_pool2d", (X3, (2, 2)), {"beta": 0.0})
        + tensor_calls("softmax_pool2d", (X3 * 100, (2, 2)), {"beta": 10.0},
                       extra={"stability"}, grad=False),
    }


def _window(rng, h, w):
    return randint(rng, 1, h), randint(rng, 1, w)


def _pair_or_int(rng, a, b):
    return a if a == b and randint(rng, 0, 1) else (a, b)


def _strided_args(rng, lead):
    """X (*lead, H, W), pool_size, stride, padding as nn.MaxPool2d accepts"""
    p_h, p_w = randint(rng, 1, 4), randint(rng, 1, 4)
    pad = (randint(rng, 0, p_h // 2), randint(rng, 0, p_w // 2))
    H = randint(rng, max(1, p_h - 2 * pad[0]), 9)
    W = randint(rng, max(1, p_w - 2 * pad[1]), 9)
    stride = pick(rng, [None, randint(rng, 1, 3), (randint(rng, 1, 3), randint(rng, 1, 3))])
    return (*lead, H, W), _pair_or_int(rng, p_h, p_w), stride, _pair_or_int(rng, *pad)


def hidden(rng):
    kinds = ["normal", "ints", "large", "normal"]
    cases = {name: [] for name in public()}

    for i in range(10):
        h, w = randint(rng, 1, 7), randint(rng, 1, 7)
        size = _window(rng, h, w)
        for mode in ("max", "avg"):
            X = rand(rng, (h, w), kinds[i % 4])
            cases["pool2d"] += tensor_calls("pool2d", (X, size, mode), grad=False,
                                            noncontig=i % 3 == 0)
            cases["pool2d"] += tensor_calls("pool2d", (rand(rng, (h, w), "distinct"), size, mode))[2:]
    cases["pool2d"] += [error_call("pool2d", (rand(rng, (4, 4)), (2, 2), m)) for m in BAD_MODES]

    for i in range(14):
        lead = [(), (2,), (1, 3), (2, 1, 1)][i % 4]
        shape, size, stride, padding = _strided_args(rng, lead)
        kwargs = {"stride": stride, "padding": padding}
        for mode in ("max", "avg"):
            X = rand(rng, shape, kinds[i % 4])
            cases["pool2d_strided"] += tensor_calls(
                "pool2d_strided", (X, size), dict(kwargs, mode=mode), grad=False,
                noncontig=i % 3 == 1)
            cases["pool2d_strided"] += tensor_calls(
                "pool2d_strided", (rand(rng, shape, "distinct"), size),
                dict(kwargs, mode=mode))[2:]
        cases["min_pool2d"] += tensor_calls("min_pool2d", (rand(rng, shape, kinds[i % 4]), size),
                                            kwargs, grad=False, noncontig=i % 3 == 2)
        cases["min_pool2d"] += tensor_calls("min_pool2d", (rand(rng, shape, "distinct") + 100, size),
                                            kwargs)[2:]

    for i in range(10):
        n, c = randint(rng, 1, 2), randint(rng, 1, 3)
        shape, size, stride, padding = _strided_args(rng, (n, c))
        kwargs = {"stride": stride, "padding": padding}
        for name in ("avg_pool_as_conv", "max_pool_as_conv"):
            cases[name] += tensor_calls(name, (rand(rng, shape, kinds[i % 4]), size), kwargs,
                                        grad=False, extra={"structure"}, trace=True,
                                        noncontig=i % 4 == 3)
            cases[name] += tensor_calls(name, (rand(rng, shape, "distinct"), size), kwargs,
                                        extra={"structure"}, trace=True)[2:]

    # all-negative inputs with padding: a padded position must never win a max
    for i, (size, pad, stride) in enumerate([((3, 2), (1, 1), None), (3, 1, 2), ((2, 4), (1, 2), 1)]):
        for name, lead in (("pool2d_strided", (2,)), ("max_pool_as_conv", (1, 2))):
            X = rand(rng, (*lead, 5, 6), "distinct")
            X = X - X.max() - 1
            extra = {"extra": {"structure"}, "trace": True} if name == "max_pool_as_conv" else {}
            kwargs = {"stride": stride, "padding": pad}
            if name == "pool2d_strided":
                kwargs["mode"] = "max"
            cases[name] += tensor_calls(name, (X, size), kwargs, noncontig=i == 1, **extra)

    for i in range(16):
        c = randint(rng, 1, 8)
        p = (randint(rng, 1, 5), randint(rng, 1, 5))
        pad = (randint(rng, 0, p[0] // 2), randint(rng, 0, p[1] // 2))
        h = randint(rng, max(1, p[0] - 2 * pad[0]), 40)
        w = randint(rng, max(1, p[1] - 2 * pad[1]), 40)
        s = (randint(rng, 1, 4), randint(rng, 1, 4))
        as_int = i % 3 == 0 and p[0] == p[1] and s[0] == s[1] and pad[0] == pad[1]
        args = (c, h, w, p[0], s[0], pad[0]) if as_int else (c, h, w, p, s, pad)
        cases["pool_cost"].append(plain_call("pool_cost", args))

    for i, beta in enumerate([0.0, 1.0, -1.0, 2.5, 50.0, -50.0, 1.0, 0.5, 3.0, -2.0]):
        lead = [(), (2,), (1, 2)][i % 3]
        shape, size, stride, _ = _strided_args(rng, lead)
        k = (size, size) if isinstance(size, int) else size
        if i % 2 == 1:  # overlapping or sparse windows: a stride unlike the window
            stride = (randint(rng, 1, 3), randint(rng, 1, 3))
            stride = stride if stride != k else (k[0] + 1, k[1])
        shape = (*lead, max(shape[-2], k[0] + 2), max(shape[-1], k[1] + 2))  # no padding
        X = rand(rng, shape, kinds[i % 4] if kinds[i % 4] != "large" else "normal")
        cases["softmax_pool2d"] += tensor_calls("softmax_pool2d", (X, size),
                                                {"stride": stride, "beta": beta},
                                                noncontig=i % 2 == 0)
    # stability: |beta x| in the thousands overflows exp unless the window's
    # max is subtracted; the values are 25 apart, so the weights are one-hot
    # whatever the rounding of beta x in float32 (fair to every stable method)
    for beta, stride in ((10.0, None), (-10.0, None), (1000.0, None), (-3.0, (1, 2))):
        X = rand(rng, (5, 6), "distinct") * 100
        cases["softmax_pool2d"] += tensor_calls("softmax_pool2d", (X, (2, 3)),
                                                {"stride": stride, "beta": beta},
                                                extra={"stability"}, grad=False)
    _hard_regions(rng, cases)
    return cases


def _hard_regions(rng, cases):
    """Gradients (and values) where the numerics bite: huge and tiny
    magnitudes, padded borders next to huge negative (for min: positive)
    values, exp near its overflow, ties in softmax pooling; float32 and
    float64. Max and min pooling get no ties: their gradient there is any
    of several right answers."""
    conv = {"extra": {"structure"}, "trace": True}
    for scale in (1e30, 1e-30):
        for mode in ("max", "avg"):
            X = magnitudes(rng, (5, 6), scale)
            cases["pool2d"] += grad_calls("pool2d", (X, (2, 3), mode))
            X = magnitudes(rng, (2, 5, 6), scale)
            cases["pool2d_strided"] += grad_calls(
                "pool2d_strided", (X, (3, 2)), {"stride": (2, 1), "padding": (1, 1), "mode": mode})
        X = magnitudes(rng, (1, 2, 5, 6), scale)
        cases["avg_pool_as_conv"] += grad_calls("avg_pool_as_conv", (X, 3),
                                                {"stride": 2, "padding": 1}, **conv)
        cases["max_pool_as_conv"] += grad_calls("max_pool_as_conv", (X, 3),
                                                {"stride": 2, "padding": 1}, **conv)
        cases["min_pool2d"] += grad_calls("min_pool2d", (X[0], (2, 3)),
                                          {"stride": 1, "padding": (1, 1)})
    # padding next to huge negative values: a padding of -1e9 (or +1e9 for
    # min) would win the window
    low = -magnitudes(rng, (2, 5, 6), 1e30, positive=True) - 1
    kwargs = {"stride": 2, "padding": 1}
    cases["pool2d_strided"] += tensor_calls("pool2d_strided", (low, 3), dict(kwargs, mode="max"),
                                            grad=False)
    cases["pool2d_strided"] += grad_calls("pool2d_strided", (low, 3), dict(kwargs, mode="max"))
    cases["max_pool_as_conv"] += tensor_calls("max_pool_as_conv", (low[None], 3), kwargs,
                                              grad=False, **conv)
    cases["max_pool_as_conv"] += grad_calls("max_pool_as_conv", (low[None], 3), kwargs, **conv)
    cases["min_pool2d"] += tensor_calls("min_pool2d", (-low, 3), kwargs, grad=False)
    cases["min_pool2d"] += grad_calls("min_pool2d", (-low, 3), kwargs)
    # softmax pooling near exp's overflow: beta x about 1000 overflows a
    # float64 exp; the window's values close enough for every weight to count.
    # float64 only: in float32, near its overflow (beta x about 90), rounding
    # beta x moves a stable method's gradient by more than the tolerance
    near = 100 + torch.randperm(24, generator=rng).double().reshape(4, 6) / 24
    for beta in (10.0, -10.0):
        cases["softmax_pool2d"] += grad_calls("softmax_pool2d", (near, (2, 3)), {"beta": beta},
                                              dtypes=(torch.float64,))
        cases["softmax_pool2d"] += grad_calls("softmax_pool2d", (-near, (2, 2)), {"beta": beta},
                                              dtypes=(torch.float64,))
    big = magnitudes(rng, (4, 6), 1e4)
    cases["softmax_pool2d"] += grad_calls("softmax_pool2d", (big, (2, 2)), {"beta": 0.02})
    ties = rand(rng, (5, 6), "ints")  # many repeats: windows with equal values
    cases["softmax_pool2d"] += grad_calls("softmax_pool2d", (ties, (2, 3)),
                                          {"stride": 1, "beta": 2.0})
