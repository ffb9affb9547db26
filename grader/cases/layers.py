"""Cases for the layers assignment (output shapes, convolution matrix, linear,
activations)"""
import torch

from grader.cases.build import (error_call, grad_calls, magnitudes, pick, plain_call, rand,
                                randint, tensor_calls)

F64 = torch.float64
SHAPE_ASPECTS = frozenset({"values"})


def _linear_example():
    """The sources' nn.Linear(3, 4) example: W rows 1..4, bias 0.5"""
    x = torch.tensor([[1.0, 2.0, 3.0]], dtype=F64)
    W = torch.arange(1.0, 5.0, dtype=F64)[:, None].repeat(1, 3)
    return x, W, torch.full((4,), 0.5, dtype=F64)


def public():
    """Small worked examples, as in the chapter"""
    x, W, b = _linear_example()
    K = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=F64)
    shape = lambda name, *args, **kwargs: plain_call(name, args, kwargs)  # noqa: E731
    return {
        "conv2d_output_shape": [
            shape("conv2d_output_shape", (28, 28), 5),
            shape("conv2d_output_shape", (32, 32), 3, stride=2, padding=1),
            shape("conv2d_output_shape", (7, 9), (3, 5), stride=(2, 1), padding=(1, 2),
                  dilation=(2, 1)),
            error_call("conv2d_output_shape", ((3, 3), 5)),
        ],
        "conv_transpose2d_output_shape": [
            shape("conv_transpose2d_output_shape", (4, 4), 3, stride=2, padding=1,
                  output_padding=1),
            shape("conv_transpose2d_output_shape", (3, 5), (2, 3)),
            shape("conv_transpose2d_output_shape", (5, 4), 3, stride=(3, 1), padding=(0, 1),
                  dilation=(1, 2)),
        ],
        "pool2d_output_shape": [
            shape("pool2d_output_shape", (4, 4), 3),
            shape("pool2d_output_shape", (4, 4), 3, stride=2, padding=1),
            shape("pool2d_output_shape", (4, 4), (2, 3), stride=(2, 3), padding=(1, 1)),
            shape("pool2d_output_shape", (5, 5), 2, stride=2, ceil_mode=True),
            # ceil gives 4 windows, but the 4th would start in the right padding
            shape("pool2d_output_shape", (5, 5), 2, stride=2, padding=1, ceil_mode=True),
            shape("pool2d_output_shape", (9, 9), 3, stride=1, padding=1, dilation=2),
        ],
        "conv_matrix": tensor_calls("conv_matrix", (K, (3, 3)))
        + tensor_calls("conv_matrix", (torch.tensor([[1.0, -1.0]], dtype=F64), (2, 3))),
        "transposed_conv_via_matrix": tensor_calls(
            "transposed_conv_via_matrix", (torch.tensor([[0.0, 1.0], [2.0, 3.0]], dtype=F64),
                                           torch.tensor([[0.0, 1.0], [2.0, 3.0]], dtype=F64))),
        "linear": tensor_calls("linear", (x, W, b)) + tensor_calls("linear", (x, W)),
        "sigmoid_grad": tensor_calls("sigmoid_grad", (torch.tensor([0.5, 0.25, 0.9, 0.0],
                                                                   dtype=F64),)),
        "tanh_grad": tensor_calls("tanh_grad", (torch.tensor([0.0, 0.5, -0.9, 1.0], dtype=F64),)),
        "tanh_via_sigmoid": tensor_calls("tanh_via_sigmoid",
                                         (torch.tensor([-2.0, -0.5, 0.0, 1.0, 3.0], dtype=F64),)),
    }


# --- shape functions ---------------------------------------------------------

def _maybe_int(rng, pair):
    """An int when both values agree (half the time), else the pair"""
    return pair[0] if pair[0] == pair[1] and randint(rng, 0, 1) else tuple(pair)


def _axes(rng, draw):
    """draw() per axis: one setting per axis, often different"""
    return tuple(zip(*(draw() for _ in range(2))))


def _conv_values(rng):
    def draw():
        k, s, p, d = randint(rng, 1, 5), randint(rng, 1, 4), randint(rng, 0, 3), randint(rng, 1, 3)
        span = d * (k - 1) + 1
        H = max(1, span - 2 * p) + pick(rng, [0, 0, 1, randint(rng, 0, 15)])
        return H, k, s, p, d
    hw, k, s, p, d = _axes(rng, draw)
    kwargs = {}
    for name, v, default in (("stride", s, 1), ("padding", p, 0), ("dilation", d, 1)):
        if v != (default, default) or randint(rng, 0, 2) == 0:  # defaults: sometimes left out
            kwargs[name] = _maybe_int(rng, v)
    return plain_call("conv2d_output_shape", (tuple(hw), _maybe_int(rng, k)), kwargs)


def _conv_errors():
    """Settings where nn.Conv2d fails"""
    bad = [((3, 3), 5, {}), ((5, 8), (6, 3), {}), ((8, 5), (3, 6), {}),
           ((4, 4), 5, {"dilation": 1, "padding": 0}), ((6, 6), 3, {"dilation": 3}),
           ((6, 9), (2, 3), {"dilation": (6, 1)}), ((2, 2), 7, {"padding": 2}),
           ((5, 5), 3, {"stride": 0}), ((5, 5), 3, {"stride": (1, 0)}),
           ((5, 5), 0, {}), ((5, 5), 3, {"padding": -1}), ((5, 5), 3, {"dilation": 0})]
    return [error_call("conv2d_output_shape", (hw, k), kw) for hw, k, kw in bad]


def _transpose_values(rng):
    def draw():
        k, s, d = randint(rng, 1, 4), randint(rng, 1, 4), randint(rng, 1, 3)
        op = randint(rng, 0, max(s, d) - 1)
        H = randint(rng, 1, 9)
        p = randint(rng, 0, 3)
        while (H - 1) * s - 2 * p + d * (k - 1) + op + 1 < 1:
            p -= 1
        return H, k, s, p, op, d
    hw, k, s, p, op, d = _axes(rng, draw)
    kwargs = {"stride": _maybe_int(rng, s), "padding": _maybe_int(rng, p),
              "output_padding": _maybe_int(rng, op), "dilation": _maybe_int(rng, d)}
    for name in list(kwargs):  # leave some at their defaults
        default = 1 if name in ("stride", "dilation") else 0
        if kwargs[name] == default and randint(rng, 0, 1):
            del kwargs[name]
    return plain_call("conv_transpose2d_output_shape", (tuple(hw), _maybe_int(rng, k)), kwargs)


def _pool_axis(H, k, s, p, d, ceil_mode):
    """nn.MaxPool2d's size on one axis, and whether ceil mode's last-window rule fired"""
    span = H + 2 * p - d * (k - 1) - 1
    n = (-(-span // s) if ceil_mode else span // s) + 1
    fired = ceil_mode and (n - 1) * s >= H + p
    return n - fired, fired


def _pool_grid():
    """Every small setting of one axis nn.MaxPool2d accepts, by what it tests;
    a stride of None (the window) is its own setting"""
    kinds = {"floor": [], "ceil_up": [], "ceil_rule": [], "ceil_same": []}
    for H in range(1, 12):
        for k in range(1, 5):
            for s in (None, 1, 2, 3, 4):
                for p in range(0, k // 2 + 1):
                    for d in (1, 2, 3):
                        for ceil_mode in (False, True):
                            s_ = k if s is None else s
                            n, fired = _pool_axis(H, k, s_, p, d, ceil_mode)
                            if n < 1:
                                continue
                            setting = (H, k, s, p, d)
                            if not ceil_mode:
                                kinds["floor"].append((setting, False))
                            elif fired:
                                kinds["ceil_rule"].append((setting, True))
                            elif n != _pool_axis(H, k, s_, p, d, False)[0]:
                                kinds["ceil_up"].append((setting, True))
                            else:
                                kinds["ceil_same"].append((setting, True))
    return kinds


def _pool_values(rng, grid, kind):
    (a, ceil_mode) = pick(rng, grid[kind])
    # the other axis: a setting of the same mode, with a stride of None when
    # this one has None (stride=None is the window on both axes)
    others = [s for group in grid.values() for s, c in group
              if c == ceil_mode and (s[2] is None) == (a[2] is None)]
    b = pick(rng, others)
    if randint(rng, 0, 1):
        a, b = b, a
    hw, k, s, p, d = zip(a, b)
    kwargs = {}
    if s[0] is not None:
        kwargs["stride"] = _maybe_int(rng, s)
    elif randint(rng, 0, 2) == 0:
        kwargs["stride"] = None  # said out loud
    if p != (0, 0) or randint(rng, 0, 1):
        kwargs["padding"] = _maybe_int(rng, p)
    if d != (1, 1) or randint(rng, 0, 1):
        kwargs["dilation"] = _maybe_int(rng, d)
    if ceil_mode or randint(rng, 0, 1):
        kwargs["ceil_mode"] = ceil_mode
    return plain_call("pool2d_output_shape", (tuple(hw), _maybe_int(rng, k)), kwargs)


# --- tensors -------------------------------------------------------------------

KINDS = ["normal", "ints", "large", "normal", "distinct"]


def _elementwise_shapes(rng):
    return [(), (1,), (7,), (3, 4), (2, 3, 4), (randint(rng, 1, 5), randint(rng, 1, 5))]


def hidden(rng):
    cases = {name: [] for name in public()}

    cases["conv2d_output_shape"] += [_conv_values(rng) for _ in range(30)]
    cases["conv2d_output_shape"] += _conv_errors()
    cases["conv_transpose2d_output_shape"] += [_transpose_values(rng) for _ in range(30)]
    grid = _pool_grid()
    for kind, n in (("floor", 14), ("ceil_up", 10), ("ceil_rule", 10), ("ceil_same", 6)):
        cases["pool2d_output_shape"] += [_pool_values(rng, grid, kind) for _ in range(n)]

    for i in range(10):
        k_h, k_w = randint(rng, 1, 4), randint(rng, 1, 4)
        h, w = randint(rng, k_h, 6), randint(rng, k_w, 6)
        K = rand(rng, (k_h, k_w), KINDS[i % len(KINDS)])
        cases["conv_matrix"] += tensor_calls("conv_matrix", (K, (h, w)), grad=False,
                                             noncontig=i % 3 == 1)
        cases["conv_matrix"] += tensor_calls("conv_matrix", (rand(rng, (k_h, k_w)), (h, w)))[2:]

    for i in range(10):
        h, w = randint(rng, 1, 5), randint(rng, 1, 5)
        k_h, k_w = randint(rng, 1, 4), randint(rng, 1, 4)
        kind = KINDS[i % len(KINDS)]
        Y, K = rand(rng, (h, w), kind), rand(rng, (k_h, k_w), kind)
        cases["transposed_conv_via_matrix"] += tensor_calls(
            "transposed_conv_via_matrix", (Y, K), grad=False, noncontig=i % 3 == 2)
        cases["transposed_conv_via_matrix"] += tensor_calls(
            "transposed_conv_via_matrix", (rand(rng, (h, w)), rand(rng, (k_h, k_w))))[2:]

    leads = [(), (1,), (4,), (2, 3), (2, 1, 3)]
    for i in range(12):
        lead, n_in, n_out = leads[i % len(leads)], randint(rng, 1, 6), randint(rng, 1, 5)
        kind = KINDS[i % len(KINDS)]
        x, W = rand(rng, (*lead, n_in), kind), rand(rng, (n_out, n_in), kind)
        bias = rand(rng, (n_out,), kind) if i % 3 else None
        args = (x, W) if bias is None and i % 2 else (x, W, bias)
        cases["linear"] += tensor_calls("linear", args, grad=False, noncontig=i % 4 == 1)
        gx, gW = rand(rng, (*lead, n_in)), rand(rng, (n_out, n_in))
        gargs = (gx, gW) if bias is None else (gx, gW, rand(rng, (n_out,)))
        cases["linear"] += tensor_calls("linear", gargs)[2:]

    for i, shape in enumerate(_elementwise_shapes(rng)):
        x = rand(rng, shape) * 3
        cases["sigmoid_grad"] += tensor_calls("sigmoid_grad", (torch.sigmoid(x),),
                                              noncontig=i % 2 == 1)
        cases["tanh_grad"] += tensor_calls("tanh_grad", (torch.tanh(x),), noncontig=i % 2 == 0)
        cases["tanh_via_sigmoid"] += tensor_calls("tanh_via_sigmoid", (rand(rng, shape) * 4,),
                                                  noncontig=i % 2 == 1)
    edges = torch.tensor([[0.0, 1.0, 0.5], [1e-8, 1 - 1e-8, 0.999]], dtype=F64)
    cases["sigmoid_grad"] += tensor_calls("sigmoid_grad", (edges,))
    cases["tanh_grad"] += tensor_calls("tanh_grad", (torch.cat([edges, -edges]),))
    # large |x| overflows exp(-2x); each call also holds ordinary values, where
    # tanh is not yet +-1, so that sign(x) is not right on it
    wide = torch.cat([torch.linspace(-30, 30, 13, dtype=F64), rand(rng, (6,), "large"),
                      torch.tensor([0.0, -1e4, 1e4, 0.3, -1.2], dtype=F64)])
    cases["tanh_via_sigmoid"] += tensor_calls("tanh_via_sigmoid", (wide,), grad=False)
    big = torch.cat([rand(rng, (3, 4), "large"), rand(rng, (1, 4))])
    cases["tanh_via_sigmoid"] += tensor_calls("tanh_via_sigmoid", (big,), grad=False,
                                              noncontig=True)
    _hard_regions(rng, cases)
    return cases


def _hard_regions(rng, cases):
    """Gradients where the numerics bite, in float32 and float64: huge and
    tiny magnitudes; the activations' saturated ends, where a formula whose
    value is right can still give a nan gradient (exp(800) = inf, 0 * inf)"""
    for scale in (1e15, 1e-15):
        K = magnitudes(rng, (2, 3), scale)
        cases["conv_matrix"] += grad_calls("conv_matrix", (K, (4, 5)))
        Y, K = magnitudes(rng, (3, 4), scale), magnitudes(rng, (2, 3), scale)
        cases["transposed_conv_via_matrix"] += grad_calls("transposed_conv_via_matrix", (Y, K))
        x, W, b = (magnitudes(rng, s, scale) for s in ((2, 4), (3, 4), (3,)))
        cases["linear"] += grad_calls("linear", (x, W, b))
    ends = torch.tensor([0.0, 1.0, 1e-300, 1 - 1e-16, 1e-30, 0.5, 0.25, 0.9], dtype=F64)
    cases["sigmoid_grad"] += grad_calls("sigmoid_grad", (ends,))
    ends = torch.tensor([1.0, -1.0, 1 - 1e-16, -1 + 1e-16, 1e-30, 0.0, 0.5, -0.3], dtype=F64)
    cases["tanh_grad"] += grad_calls("tanh_grad", (ends,))
    x = torch.tensor([-400.0, -50.0, -20.0, 0.0, 1e-30, 20.0, 50.0, 400.0, 0.3, -1.2, 2.0,
                      -710.0, 710.0], dtype=F64)
    cases["tanh_via_sigmoid"] += grad_calls("tanh_via_sigmoid", (x,))
    cases["tanh_via_sigmoid"] += grad_calls("tanh_via_sigmoid", (x.reshape(1, 13).T,))
