"""corr2d: answers in several styles earn every point, plausible wrong ones
lose the aspects they should, effort-free stubs earn nothing"""
import pytest

from grader.assignments.corpus import (assert_noisy_keeps_full_marks, check, correct, message,
                                       tensor_stubs, wrong)

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
    correct("corr2d", "loop into zeros of X's dtype", CORR2D_LOOP),
    correct("corr2d", "loop, stack rows", """
        def corr2d(X, K):
            k_h, k_w = K.shape
            rows = []
            for i in range(X.shape[0] - k_h + 1):
                rows.append(torch.stack([(X[i:i + k_h, j:j + k_w] * K).sum()
                                         for j in range(X.shape[1] - k_w + 1)]))
            return torch.stack(rows)
    """),
    correct("corr2d", "F.conv2d", """
        def corr2d(X, K):
            return F.conv2d(X[None, None], K[None, None])[0, 0]
    """),
    correct("corr2d", "unfold windows", """
        def corr2d(X, K):
            k_h, k_w = K.shape
            windows = X.unfold(0, k_h, 1).unfold(1, k_w, 1)
            return (windows * K).sum(dim=(-2, -1))
    """),
    correct("corr2d", "shift and add", """
        def corr2d(X, K):
            k_h, k_w = K.shape
            h, w = X.shape[0] - k_h + 1, X.shape[1] - k_w + 1
            return sum(K[a, b] * X[a:a + h, b:b + w] for a in range(k_h) for b in range(k_w))
    """),
    correct("corr2d", "nn.Conv2d with the kernel as weight", """
        def corr2d(X, K):
            layer = nn.Conv2d(1, 1, tuple(K.shape), bias=False).to(X.device, X.dtype)
            return layer._conv_forward(X[None, None], K[None, None], None)[0, 0]
    """),
]

WRONG = [
    wrong("corr2d", "d2l's float32 zeros", "dtype", """
        def corr2d(X, K):
            h, w = K.shape
            Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
            for i in range(Y.shape[0]):
                for j in range(Y.shape[1]):
                    Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
            return Y
    """),
    wrong("corr2d", "kernel flipped (a true convolution)", "values", """
        def corr2d(X, K):
            return F.conv2d(X[None, None], K.flip(0, 1)[None, None])[0, 0]
    """),
    wrong("corr2d", "one row and column short", "everything", """
        def corr2d(X, K):
            h, w = K.shape
            Y = torch.zeros((X.shape[0] - h, X.shape[1] - w), dtype=X.dtype)
            for i in range(Y.shape[0]):
                for j in range(Y.shape[1]):
                    Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
            return Y
    """),
    wrong("corr2d", "window taken as (k_w, k_h)", "values", """
        def corr2d(X, K):
            h, w = K.shape
            Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=X.dtype)
            for i in range(Y.shape[0]):
                for j in range(Y.shape[1]):
                    Y[i, j] = (X[i:i + w, j:j + h] * K).sum()
            return Y
    """),
    wrong("corr2d", "numpy round trip cuts the gradient", "grad", """
        def corr2d(X, K):
            x, k = X.detach().numpy(), K.detach().numpy()
            h, w = k.shape
            Y = np.zeros((x.shape[0] - h + 1, x.shape[1] - w + 1), dtype=x.dtype)
            for i in range(Y.shape[0]):
                for j in range(Y.shape[1]):
                    Y[i, j] = (x[i:i + h, j:j + w] * k).sum()
            return torch.from_numpy(Y)
    """),
    wrong("corr2d", "kernel taken as a detached constant", "grad", """
        def corr2d(X, K):
            return F.conv2d(X[None, None], K.detach()[None, None])[0, 0]
    """),
]

HEADER = """\
    h, w = X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1
    shape, like = (h, w), X
"""
STUBS = tensor_stubs("corr2d", HEADER, "X[:h, :w].clone()")


@pytest.mark.parametrize("answer", CORRECT + WRONG + STUBS, ids=str)
def test_answer(answer):
    """Does the answer earn what it should (corpus.check)?"""
    check(answer)


def test_values_message_shows_input_expected_and_got():
    text = message(WRONG, "kernel flipped (a true convolution)", "values")
    assert "corr2d(X, K)" in text and "X = " in text and "K = " in text
    assert "expected:" in text and "got:" in text and "first difference at index" in text


def test_gradient_message_names_the_argument():
    assert "`K`" in message(WRONG, "kernel taken as a detached constant", "grad")


NOISY = correct("corr2d", "warns and prints", """
    def corr2d(X, K):
        warnings.warn("corr2d: slow loop ahead", UserWarning)
        warnings.warn("deprecated style", DeprecationWarning)
        print("computing corr2d", X.shape, file=sys.stderr)
        print("debug:", K.shape)
        return F.conv2d(X[None, None], K[None, None])[0, 0]
""")


def test_warnings_and_stderr_keep_full_marks(capfd):
    """Warnings and output never cost points"""
    assert_noisy_keeps_full_marks(NOISY)
    assert "corr2d" in capfd.readouterr().err
