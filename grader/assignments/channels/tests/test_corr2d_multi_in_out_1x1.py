"""corr2d_multi_in_out_1x1: answers in several styles earn every point, plausible wrong ones
lose the aspects they should, effort-free stubs earn nothing"""
import pytest
import torch

from grader.assignments.corpus import check, correct, message, tensor_stubs, wrong
from grader.assignments.testing import public_values, verdict
from grader.checks.aspects import judge
from grader.checks.calls import run_call
from grader.checks.specs import FUNCTIONS
from grader.plan import trials

CORR2D_LOOP = """
def corr2d(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=X.dtype, device=X.device)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
"""

CORRECT = [
    correct("corr2d_multi_in_out_1x1", "reshape and @ (d2l)", """
        def corr2d_multi_in_out_1x1(X, K):
            c_i, h, w = X.shape
            c_o = K.shape[0]
            X = X.reshape((c_i, h * w))
            K = K.reshape((c_o, c_i))
            Y = torch.matmul(K, X)
            return Y.reshape((c_o, h, w))
    """),
    correct("corr2d_multi_in_out_1x1", "einsum", """
        def corr2d_multi_in_out_1x1(X, K):
            return torch.einsum('oi,ihw->ohw', K[:, :, 0, 0], X)
    """),
    correct("corr2d_multi_in_out_1x1", "tensordot", """
        def corr2d_multi_in_out_1x1(X, K):
            return torch.tensordot(K.flatten(1), X, dims=1)
    """),
    correct("corr2d_multi_in_out_1x1", "pixels as rows, F.linear", """
        def corr2d_multi_in_out_1x1(X, K):
            pixels = X.permute(1, 2, 0)                     # (h, w, c_i)
            return F.linear(pixels, K.squeeze(-1).squeeze(-1)).permute(2, 0, 1)
    """),
    correct("corr2d_multi_in_out_1x1", "mm on flattened views", """
        def corr2d_multi_in_out_1x1(X, K):
            Y = torch.mm(K.view(K.shape[0], -1), X.flatten(1))
            return Y.unflatten(1, X.shape[1:])
    """),
]

WRONG = [
    wrong("corr2d_multi_in_out_1x1", "F.conv2d", "structure", """
        def corr2d_multi_in_out_1x1(X, K):
            return F.conv2d(X[None], K)[0]
    """),
    wrong("corr2d_multi_in_out_1x1", "torch.conv2d", "structure", """
        def corr2d_multi_in_out_1x1(X, K):
            return torch.conv2d(X.unsqueeze(0), K).squeeze(0)
    """),
    wrong("corr2d_multi_in_out_1x1", "convolution by getattr", "structure", """
        def corr2d_multi_in_out_1x1(X, K):
            op = getattr(torch.nn.functional, 'con' + 'v2d')
            return op(X[None], K)[0]
    """),
    wrong("corr2d_multi_in_out_1x1", "nn.Conv2d with K as its weight", "structure grad", """
        def corr2d_multi_in_out_1x1(X, K):
            layer = nn.Conv2d(K.shape[1], K.shape[0], 1, bias=False).to(X.dtype)
            layer.weight = nn.Parameter(K)
            return layer(X[None])[0]
    """),
    wrong("corr2d_multi_in_out_1x1", "the general loop version", "structure", CORR2D_LOOP + """
def corr2d_multi_in(X, K):
    return sum(corr2d(x, k) for x, k in zip(X, K))

def corr2d_multi_in_out(X, K):
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)

def corr2d_multi_in_out_1x1(X, K):
    return corr2d_multi_in_out(X, K)
    """),
    wrong("corr2d_multi_in_out_1x1", "broadcast and sum, no matrix product", "structure", """
        def corr2d_multi_in_out_1x1(X, K):
            return (K[:, :, 0, 0, None, None] * X[None]).sum(1)
    """),
    wrong("corr2d_multi_in_out_1x1", "pixels reshaped as (h w, c_i)", "values", """
        def corr2d_multi_in_out_1x1(X, K):
            c_i, h, w = X.shape
            Y = X.reshape(h * w, c_i) @ K.reshape(-1, c_i).T
            return Y.T.reshape(-1, h, w)
    """),
    wrong("corr2d_multi_in_out_1x1", "no final reshape", "everything", """
        def corr2d_multi_in_out_1x1(X, K):
            return K.reshape(K.shape[0], -1) @ X.reshape(X.shape[0], -1)
    """),
    wrong("corr2d_multi_in_out_1x1", ".view fails on non-contiguous input",
          "values", """
        def corr2d_multi_in_out_1x1(X, K):
            c_i, h, w = X.shape
            return (K.view(-1, c_i) @ X.view(c_i, h * w)).view(-1, h, w)
    """),
]

HEADER = """\
    shape, like = (K.shape[0], *X.shape[1:]), X
"""
STUBS = tensor_stubs("corr2d_multi_in_out_1x1", HEADER, "X[:1].expand(*shape).clone()")


@pytest.mark.parametrize("answer", CORRECT + WRONG + STUBS, ids=str)
def test_answer(answer):
    """Does the answer earn what it should (corpus.check)?"""
    check(answer)


def test_structure_message_says_no_matrix_product_ran():
    text = message(WRONG, "broadcast and sum, no matrix product", "structure")
    assert "never runs a matrix multiplication" in text


def test_non_contiguous_input_is_pointed_out():
    text = message(WRONG, ".view fails on non-contiguous input", "values")
    assert "non-contiguous" in text and "view size is not compatible" in text


def test_public_examples_are_the_general_convolutions_outputs():
    for call, y in public_values("corr2d_multi_in_out_1x1"):
        X, K = call.args
        general = torch.nn.functional.conv2d(X[None], K)[0]
        assert (y - general).abs().sum() < 1e-6


def test_a_required_op_that_never_runs_fails_structure():
    """Broadcast and sum: no matrix multiplication runs in any call; calls
    that were not traced say nothing about ops"""
    spec = FUNCTIONS["corr2d_multi_in_out_1x1"]

    def broadcast(X, K):
        return (K[:, :, 0, 0, None, None] * X[None]).sum(1)
    v = verdict("corr2d_multi_in_out_1x1", "structure", broadcast)
    assert not v.passed and "it never runs a matrix multiplication (one matrix " \
        "multiplication, no convolution)." in v.message and "calls failed" not in v.message
    untraced = [(c, e, run_call(broadcast, c)) for c, e in trials("channels")[spec.name]]
    for _, _, o in untraced:
        o.ops = None
    assert judge(spec, "structure", untraced).passed
