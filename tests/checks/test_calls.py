"""run_call's gradients: the numbers autograd gives for the upstream
gradient, and a clear reason when none can flow back"""
import torch
import torch.nn.functional as F

from grader.checks.calls import Call, run_call


def _call(X, grad_output):
    return Call("pool", (X, 2), grad=True, grad_output=grad_output)


def test_gradients_are_autograds_vector_jacobian_product():
    g = torch.Generator().manual_seed(3)
    X = torch.randn(1, 2, 6, 6, generator=g, dtype=torch.float64)
    up = torch.randn(1, 2, 3, 3, generator=g, dtype=torch.float64)

    def pool(X, k):
        return F.max_pool2d(X, k) * 3 + F.avg_pool2d(X, k) ** 2

    got = run_call(pool, _call(X, up))
    Xr = X.clone().requires_grad_(True)
    (want,) = torch.autograd.grad(pool(Xr, 2), Xr, up)
    assert got.grad_error is None
    assert torch.equal(got.grads[0], want)  # the same numbers, bit for bit


def test_a_wrongly_shaped_result_gets_no_gradient_and_a_reason():
    """A result the upstream gradient would broadcast against (3 vs 1x3)
    must not get a gradient by broadcasting"""
    X = torch.arange(36.0, dtype=torch.float64).reshape(6, 6)
    up = torch.ones(1, 3, dtype=torch.float64)

    def pool(X, k):
        return F.avg_pool2d(X[None, None], k)[0, 0, 0]  # shape (3,), not (1, 3)

    got = run_call(pool, _call(X, up))
    assert got.grads is None
    assert got.grad_error == ("the result has shape (3,), so the gradient of shape (1, 3) "
                              "cannot flow back through it")


def test_a_result_cut_off_from_the_inputs_says_so():
    X = torch.arange(36.0, dtype=torch.float64).reshape(6, 6)
    got = run_call(lambda X, k: torch.zeros(3, 3, dtype=X.dtype), _call(X, torch.ones(3, 3)))
    assert got.grads is None and "not connected" in got.grad_error


# --- only_ops: which ops may touch the inputs' data ----------------------------

def _only(fn, X, *args):
    from grader.checks.ops import CONV_OPS, RELU_OPS, RESHAPE_OPS
    call = Call("f", (X, *args), trace=True, only_ops=tuple(CONV_OPS | RELU_OPS | RESHAPE_OPS))
    return run_call(fn, call)


def _kernel(X):
    return torch.tensor([[[[1.0, -1.0]]]], dtype=X.dtype)


def test_layers_alone_touch_the_data_and_nothing_is_foreign():
    X = torch.randn(2, 1, 3, 4, dtype=torch.float64)
    got = _only(lambda X: F.relu(F.conv2d(X.reshape(-1, 1, 3, 4), _kernel(X)))[:, :, 1:], X)
    assert got.kind == "value" and got.foreign_ops == []


def test_arithmetic_on_the_data_is_named():
    """Each op outside the allowed ones that touches the data, or what was
    computed from it, is named; ops on tensors of our own are not"""
    X = torch.randn(1, 1, 3, 4, dtype=torch.float64)

    def fn(X):
        K = _kernel(X) * 2               # arithmetic on a kernel of its own: fine
        Y = F.conv2d(X, K)
        return (Y - Y.amax()).neg()     # on data computed from X: foreign

    got = _only(fn, X)
    assert set(got.foreign_ops) == {"amax.default", "sub.Tensor", "neg.default"}


def test_ops_that_read_only_the_shape_do_not_carry_the_data():
    """A kernel made with X.new_zeros or zeros_like holds none of X's
    numbers: writing into it and using it is not touching X's data"""
    X = torch.randn(1, 1, 3, 4, dtype=torch.float64)

    def fn(X):
        K = X.new_zeros(1, 1, 1, 2)
        K[0, 0, 0, 0], K[0, 0, 0, 1] = 1.0, -1.0
        B = torch.zeros_like(X)[0, 0, 0, :1] + 0.5   # arithmetic on a shape-only result
        return F.conv2d(X, K, B)

    got = _only(fn, X)
    assert got.kind == "value" and got.foreign_ops == []


def test_without_only_ops_nothing_is_foreign():
    X = torch.randn(1, 1, 3, 4, dtype=torch.float64)
    got = run_call(lambda X: X.amax(), Call("f", (X,), trace=True))
    assert got.foreign_ops is None
