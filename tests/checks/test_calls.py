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
