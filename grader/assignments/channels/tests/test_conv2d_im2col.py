"""conv2d_im2col: answers in several styles earn every point, plausible wrong ones
lose the aspects they should, effort-free stubs earn nothing"""
import pytest

from grader.assignments.corpus import check, correct, message, tensor_stubs, wrong

CORRECT = [
    correct("conv2d_im2col", "a stack of shifted slices, then @ (the notebook's)", """
        def conv2d_im2col(X, K):
            c_i, h, w = X.shape
            c_o, _, k_h, k_w = K.shape
            h_o, w_o = h - k_h + 1, w - k_w + 1
            cols = torch.stack([X[:, a:a + h_o, b:b + w_o]
                                for a in range(k_h) for b in range(k_w)], 1)
            Y = K.reshape(c_o, -1) @ cols.reshape(c_i * k_h * k_w, h_o * w_o)
            return Y.reshape(c_o, h_o, w_o)
    """),
    correct("conv2d_im2col", "index tensors (advanced indexing), torch.matmul", """
        def conv2d_im2col(X, K):
            c_i, h, w = X.shape
            c_o, _, k_h, k_w = K.shape
            h_o, w_o = h - k_h + 1, w - k_w + 1
            rows = (torch.arange(k_h)[:, None] + torch.arange(h_o)[None, :])  # (k_h, h_o)
            cols = (torch.arange(k_w)[:, None] + torch.arange(w_o)[None, :])  # (k_w, w_o)
            R = rows[:, None, :, None].to(X.device)
            C = cols[None, :, None, :].to(X.device)
            patches = X[:, R, C]                     # (c_i, k_h, k_w, h_o, w_o)
            Y = torch.matmul(K.reshape(c_o, -1), patches.reshape(-1, h_o * w_o))
            return Y.reshape(c_o, h_o, w_o)
    """),
    correct("conv2d_im2col", "a preallocated matrix filled column block by block, einsum", """
        def conv2d_im2col(X, K):
            c_i, h, w = X.shape
            c_o, _, k_h, k_w = K.shape
            h_o, w_o = h - k_h + 1, w - k_w + 1
            M = X.new_zeros(c_i, k_h, k_w, h_o, w_o)
            for a in range(k_h):
                for b in range(k_w):
                    M[:, a, b] = X[:, a:a + h_o, b:b + w_o]
            return torch.einsum('oikl,iklhw->ohw', K, M)
    """),
    correct("conv2d_im2col", "one row per output pixel (the transposed matrix), tensordot", """
        def conv2d_im2col(X, K):
            c_i, h, w = X.shape
            k_h, k_w = K.shape[-2:]
            h_o, w_o = h - k_h + 1, w - k_w + 1
            rows = [X[:, i:i + k_h, j:j + k_w].reshape(-1)
                    for i in range(h_o) for j in range(w_o)]
            A = torch.stack(rows)                    # (h_o * w_o, c_i * k_h * k_w)
            Y = torch.tensordot(A, K.reshape(K.shape[0], -1), dims=([1], [1]))
            return Y.t().reshape(-1, h_o, w_o)
    """),
]

SUM_OF_SHIFTS = """
    def conv2d_im2col(X, K):
        c_i, h, w = X.shape
        c_o, _, k_h, k_w = K.shape
        h_o, w_o = h - k_h + 1, w - k_w + 1
        Y = 0
        for a in range(k_h):
            for b in range(k_w):
                Y = Y + K[:, :, a, b] @ X[:, a:a + h_o, b:b + w_o].reshape(c_i, -1)
        return Y.reshape(c_o, h_o, w_o)
"""

WRONG = [
    wrong("conv2d_im2col", "F.conv2d", "structure", """
        def conv2d_im2col(X, K):
            return F.conv2d(X[None], K)[0]
    """),
    wrong("conv2d_im2col", "F.unfold, then @", "structure", """
        def conv2d_im2col(X, K):
            c_o, _, k_h, k_w = K.shape
            h_o, w_o = X.shape[1] - k_h + 1, X.shape[2] - k_w + 1
            cols = F.unfold(X[None], (k_h, k_w))[0]
            return (K.reshape(c_o, -1) @ cols).reshape(c_o, h_o, w_o)
    """),
    wrong("conv2d_im2col", "Tensor.unfold windows, then einsum", "structure", """
        def conv2d_im2col(X, K):
            k_h, k_w = K.shape[-2:]
            windows = X.unfold(1, k_h, 1).unfold(2, k_w, 1)   # (c_i, h_o, w_o, k_h, k_w)
            return torch.einsum('oikl,ihwkl->ohw', K, windows)
    """),
    wrong("conv2d_im2col", "as_strided windows", "structure", """
        def conv2d_im2col(X, K):
            X = X.contiguous()
            c_i, h, w = X.shape
            c_o, _, k_h, k_w = K.shape
            h_o, w_o = h - k_h + 1, w - k_w + 1
            s = X.stride()
            W = X.as_strided((c_i, k_h, k_w, h_o, w_o), (s[0], s[1], s[2], s[1], s[2]))
            return (K.reshape(c_o, -1) @ W.reshape(-1, h_o * w_o)).reshape(c_o, h_o, w_o)
    """),
    wrong("conv2d_im2col", "a sum of k_h k_w shifted products", "structure", SUM_OF_SHIFTS),
    wrong("conv2d_im2col", "one matrix-vector product per output channel", "structure", """
        def conv2d_im2col(X, K):
            c_i, h, w = X.shape
            c_o, _, k_h, k_w = K.shape
            h_o, w_o = h - k_h + 1, w - k_w + 1
            cols = torch.stack([X[:, a:a + h_o, b:b + w_o]
                                for a in range(k_h) for b in range(k_w)], 1).reshape(-1, h_o * w_o)
            return torch.stack([K[o].reshape(-1) @ cols for o in range(c_o)]).reshape(c_o, h_o, w_o)
    """),
    wrong("conv2d_im2col", "rows of the matrix in (k_h, k_w, c_i) order, K in (c_i, k_h, k_w)",
          "values", may="shape dtype devices grad unchanged structure", source="""
        def conv2d_im2col(X, K):
            c_i, h, w = X.shape
            c_o, _, k_h, k_w = K.shape
            h_o, w_o = h - k_h + 1, w - k_w + 1
            cols = torch.stack([X[:, a:a + h_o, b:b + w_o]
                                for a in range(k_h) for b in range(k_w)], 0)
            Y = K.reshape(c_o, -1) @ cols.reshape(-1, h_o * w_o)
            return Y.reshape(c_o, h_o, w_o)
    """),
    wrong("conv2d_im2col", "the kernel flipped (a true convolution)", "values",
          may="shape dtype devices grad unchanged structure", source="""
        def conv2d_im2col(X, K):
            c_i, h, w = X.shape
            c_o, _, k_h, k_w = K.shape
            h_o, w_o = h - k_h + 1, w - k_w + 1
            cols = torch.stack([X[:, a:a + h_o, b:b + w_o]
                                for a in range(k_h) for b in range(k_w)], 1)
            Kf = K[:, :, list(range(k_h - 1, -1, -1))][:, :, :, list(range(k_w - 1, -1, -1))]
            Y = Kf.reshape(c_o, -1) @ cols.reshape(-1, h_o * w_o)
            return Y.reshape(c_o, h_o, w_o)
    """),
    wrong("conv2d_im2col", "X.view on a non-contiguous input", "values",
          may="shape dtype devices grad unchanged structure", source="""
        def conv2d_im2col(X, K):
            c_i, h, w = X.shape
            c_o, _, k_h, k_w = K.shape
            h_o, w_o = h - k_h + 1, w - k_w + 1
            flat = X.view(c_i, h * w)        # fails on a transposed view
            Xc = flat.view(c_i, h, w)
            cols = torch.stack([Xc[:, a:a + h_o, b:b + w_o]
                                for a in range(k_h) for b in range(k_w)], 1)
            return (K.reshape(c_o, -1) @ cols.reshape(-1, h_o * w_o)).reshape(c_o, h_o, w_o)
    """),
    wrong("conv2d_im2col", "computes in float32", "dtype", """
        def conv2d_im2col(X, K):
            X, K = X.float(), K.float()
            c_i, h, w = X.shape
            c_o, _, k_h, k_w = K.shape
            h_o, w_o = h - k_h + 1, w - k_w + 1
            cols = torch.stack([X[:, a:a + h_o, b:b + w_o]
                                for a in range(k_h) for b in range(k_w)], 1)
            return (K.reshape(c_o, -1) @ cols.reshape(-1, h_o * w_o)).reshape(c_o, h_o, w_o)
    """),
    wrong("conv2d_im2col", "the kernel detached", "grad", """
        def conv2d_im2col(X, K):
            c_i, h, w = X.shape
            c_o, _, k_h, k_w = K.shape
            h_o, w_o = h - k_h + 1, w - k_w + 1
            cols = torch.stack([X[:, a:a + h_o, b:b + w_o]
                                for a in range(k_h) for b in range(k_w)], 1)
            return (K.detach().reshape(c_o, -1) @ cols.reshape(-1, h_o * w_o)).reshape(c_o, h_o, w_o)
    """),
]

HEADER = """\
    h, w = X.shape[-2] - K.shape[-2] + 1, X.shape[-1] - K.shape[-1] + 1
    shape, like = (K.shape[0], h, w), X
"""
STUBS = tensor_stubs("conv2d_im2col", HEADER, "X[:1, :h, :w].expand(K.shape[0], h, w).clone()")


@pytest.mark.parametrize("answer", CORRECT + WRONG + STUBS, ids=str)
def test_answer(answer):
    """Does the answer earn what it should (corpus.check)?"""
    check(answer)


def test_structure_message_names_the_arithmetic():
    """Does a sum of shifted products learn that the addition is the problem?"""
    text = message(WRONG, "a sum of k_h k_w shifted products", "structure")
    assert "add" in text and "rules out" in text
