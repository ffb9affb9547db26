"""Cases for the channels assignment (multiple input and output channels)"""
import torch

from grader.cases.build import grad_calls, magnitudes, pick, rand, randint, tensor_calls

F64 = torch.float64
X3 = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]], dtype=F64)
K2 = torch.tensor([[0.0, 1.0], [2.0, 3.0]], dtype=F64)
# the chapter's two-channel example: X (2, 3, 3), K (2, 2, 2)
X_MULTI = torch.stack([X3, X3 + 1])
K_MULTI = torch.stack([K2, K2 + 1])
K_OUT = torch.stack([K_MULTI, K_MULTI + 1, K_MULTI + 2])  # (3, 2, 2, 2)
ONE_BY_ONE = ("corr2d_multi_in_out_1x1",)


def _small_1x1():
    """The chapter's random 3x3x3 input and 2x3x1x1 kernel, fixed by a seed"""
    g = torch.Generator().manual_seed(0)
    X = torch.normal(0, 1, (3, 3, 3), generator=g, dtype=F64)
    K = torch.normal(0, 1, (2, 3, 1, 1), generator=g, dtype=F64)
    return X.round(decimals=2), K.round(decimals=2)


def _one_by_one(args, **kwargs):
    return tensor_calls("corr2d_multi_in_out_1x1", args, extra={"structure"},
                        trace=True, **kwargs)


def public():
    """The chapter's worked examples"""
    X1, K1 = _small_1x1()
    return {
        "corr2d": tensor_calls("corr2d", (X3, K2))
        + tensor_calls("corr2d", (torch.ones(2, 4, dtype=F64), torch.tensor([[1.0, -1.0]], dtype=F64))),
        "corr2d_multi_in": tensor_calls("corr2d_multi_in", (X_MULTI, K_MULTI)),
        "corr2d_multi_in_out": tensor_calls("corr2d_multi_in_out", (X_MULTI, K_OUT)),
        "corr2d_multi_in_out_1x1": _one_by_one((X1, K1))
        + _one_by_one((X_MULTI, torch.tensor([[[[1.0]], [[-1.0]]]], dtype=F64))),
    }


def _image_and_kernel(rng, max_hw=8, max_k=4):
    """(h, w), (k_h, k_w) with k <= input, often non-square"""
    h, w = randint(rng, 1, max_hw), randint(rng, 1, max_hw)
    k_h, k_w = randint(rng, 1, min(h, max_k)), randint(rng, 1, min(w, max_k))
    return (h, w), (k_h, k_w)


KINDS = ["normal", "ints", "large", "normal", "distinct"]


def hidden(rng):
    cases = {name: [] for name in public()}

    # corr2d: X (h, w), K (k_h, k_w); edge cases: 1x1 kernel, kernel as big as X
    shapes = [((1, 1), (1, 1)), ((5, 3), (5, 3)), ((4, 6), (1, 1)), ((2, 7), (2, 1)),
              ((6, 2), (1, 2))]
    shapes += [_image_and_kernel(rng) for _ in range(9)]
    for i, (hw, k) in enumerate(shapes):
        kind = KINDS[i % len(KINDS)]
        X, K = rand(rng, hw, kind), rand(rng, k, kind if kind != "distinct" else "normal")
        cases["corr2d"] += tensor_calls("corr2d", (X, K), grad=False, noncontig=i % 3 == 1)
        cases["corr2d"] += tensor_calls("corr2d", (rand(rng, hw), rand(rng, k)))[2:]

    # corr2d_multi_in: X (c_i, h, w), K (c_i, k_h, k_w)
    for i in range(10):
        c_i = [1, 2, 3, 4][i % 4]
        hw, k = _image_and_kernel(rng, 7, 3)
        kind = KINDS[i % len(KINDS)]
        X, K = rand(rng, (c_i, *hw), kind), rand(rng, (c_i, *k), kind)
        cases["corr2d_multi_in"] += tensor_calls("corr2d_multi_in", (X, K), grad=False,
                                                 noncontig=i % 3 == 2)
        cases["corr2d_multi_in"] += tensor_calls(
            "corr2d_multi_in", (rand(rng, (c_i, *hw)), rand(rng, (c_i, *k))))[2:]

    # corr2d_multi_in_out: X (c_i, h, w), K (c_o, c_i, k_h, k_w); c_o != c_i often
    for i in range(10):
        c_i, c_o = [(1, 3), (2, 1), (3, 2), (2, 4), (1, 1)][i % 5]
        hw, k = _image_and_kernel(rng, 6, 3)
        kind = KINDS[i % len(KINDS)]
        X, K = rand(rng, (c_i, *hw), kind), rand(rng, (c_o, c_i, *k), kind)
        cases["corr2d_multi_in_out"] += tensor_calls("corr2d_multi_in_out", (X, K), grad=False,
                                                     noncontig=i % 3 == 0)
        cases["corr2d_multi_in_out"] += tensor_calls(
            "corr2d_multi_in_out", (rand(rng, (c_i, *hw)), rand(rng, (c_o, c_i, *k))))[2:]

    # 1x1: X (c_i, h, w), K (c_o, c_i, 1, 1), checked for one matrix multiplication
    for i in range(8):
        c_i, c_o = [(3, 2), (1, 4), (4, 1), (2, 5), (5, 3), (1, 1)][i % 6]
        if i % 4 == 3:  # a single pixel, row or column
            h, w = pick(rng, [(1, 1), (1, 5), (4, 1)])
        else:  # at least 2 x 2: a transposed view is then really non-contiguous
            h, w = randint(rng, 2, 7), randint(rng, 2, 7)
        kind = KINDS[i % len(KINDS)]
        X, K = rand(rng, (c_i, h, w), kind), rand(rng, (c_o, c_i, 1, 1), kind)
        cases["corr2d_multi_in_out_1x1"] += _one_by_one((X, K), grad=False, noncontig=i % 4 == 1)
        cases["corr2d_multi_in_out_1x1"] += _one_by_one(
            (rand(rng, (c_i, h, w)), rand(rng, (c_o, c_i, 1, 1))))[2:]

    # gradients where the numbers are huge or tiny, in float32 and float64
    for scale in (1e15, 1e-15):
        X, K = magnitudes(rng, (4, 5), scale), magnitudes(rng, (2, 3), scale)
        cases["corr2d"] += grad_calls("corr2d", (X, K))
        X, K = magnitudes(rng, (2, 4, 5), scale), magnitudes(rng, (2, 2, 3), scale)
        cases["corr2d_multi_in"] += grad_calls("corr2d_multi_in", (X, K))
        X, K = magnitudes(rng, (2, 4, 5), scale), magnitudes(rng, (3, 2, 2, 3), scale)
        cases["corr2d_multi_in_out"] += grad_calls("corr2d_multi_in_out", (X, K))
        X, K = magnitudes(rng, (3, 4, 5), scale), magnitudes(rng, (2, 3, 1, 1), scale)
        cases["corr2d_multi_in_out_1x1"] += grad_calls(
            "corr2d_multi_in_out_1x1", (X, K), extra={"structure"}, trace=True)
    return cases
