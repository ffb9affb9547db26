"""transposed_conv_via_matrix: answers in several styles earn every point, plausible wrong ones
lose the aspects they should, effort-free stubs earn nothing"""
import pytest

from grader.assignments.corpus import check, correct, tensor_stubs, wrong

CONV_MATRIX_LOOP = """
def conv_matrix(K, input_hw):
    h, w = input_hw
    k_h, k_w = K.shape
    out_h, out_w = h - k_h + 1, w - k_w + 1
    C = torch.zeros((out_h * out_w, h * w), dtype=K.dtype, device=K.device)
    for i in range(out_h):
        for j in range(out_w):
            row = torch.zeros((h, w), dtype=K.dtype, device=K.device)
            row[i:i + k_h, j:j + k_w] = K
            C[i * out_w + j] = row.reshape(-1)
    return C
"""

CORRECT = [
    correct("transposed_conv_via_matrix", "C^T with the loop conv_matrix", CONV_MATRIX_LOOP + """
def transposed_conv_via_matrix(Y, K):
    out_hw = (Y.shape[0] + K.shape[0] - 1, Y.shape[1] + K.shape[1] - 1)
    return (conv_matrix(K, out_hw).T @ Y.reshape(-1)).reshape(out_hw)
    """),
    correct("transposed_conv_via_matrix", "F.conv_transpose2d", """
        def transposed_conv_via_matrix(Y, K):
            return F.conv_transpose2d(Y[None, None], K[None, None])[0, 0]
    """),
    correct("transposed_conv_via_matrix", "d2l's trans_conv, with the dtype", """
        def transposed_conv_via_matrix(Y, K):
            h, w = K.shape
            Z = torch.zeros((Y.shape[0] + h - 1, Y.shape[1] + w - 1), dtype=Y.dtype,
                            device=Y.device)
            for i in range(Y.shape[0]):
                for j in range(Y.shape[1]):
                    Z[i: i + h, j: j + w] += Y[i, j] * K
            return Z
    """),
    correct("transposed_conv_via_matrix", "full correlation with the flipped kernel", """
        def transposed_conv_via_matrix(Y, K):
            k_h, k_w = K.shape
            P = F.pad(Y, (k_w - 1, k_w - 1, k_h - 1, k_h - 1))
            return F.conv2d(P[None, None], K.flip(0, 1)[None, None])[0, 0]
    """),
]

WRONG = [
    wrong("transposed_conv_via_matrix", "C instead of C^T", "values", may="shape dtype devices grad unchanged", source=CONV_MATRIX_LOOP + """
def transposed_conv_via_matrix(Y, K):
    out_hw = (Y.shape[0] + K.shape[0] - 1, Y.shape[1] + K.shape[1] - 1)
    return (conv_matrix(K, out_hw) @ Y.reshape(-1)).reshape(out_hw)
    """),
    wrong("transposed_conv_via_matrix", "kernel flipped", "values", may="shape dtype devices grad unchanged", source="""
        def transposed_conv_via_matrix(Y, K):
            return F.conv_transpose2d(Y[None, None], K.flip(0, 1)[None, None])[0, 0]
    """),
    wrong("transposed_conv_via_matrix", "d2l's trans_conv with float32 zeros", "dtype", """
        def transposed_conv_via_matrix(Y, K):
            h, w = K.shape
            Z = torch.zeros((Y.shape[0] + h - 1, Y.shape[1] + w - 1))
            for i in range(Y.shape[0]):
                for j in range(Y.shape[1]):
                    Z[i: i + h, j: j + w] += Y[i, j] * K
            return Z
    """),
    wrong("transposed_conv_via_matrix", "output one row and column short", "everything", CONV_MATRIX_LOOP + """
def transposed_conv_via_matrix(Y, K):
    out_hw = (Y.shape[0] + K.shape[0] - 1, Y.shape[1] + K.shape[1] - 1)
    Z = (conv_matrix(K, out_hw).T @ Y.reshape(-1)).reshape(out_hw)
    return Z[:-1, :-1]
    """),
    wrong("transposed_conv_via_matrix", "stride 2 assumed", "values", may="shape dtype devices grad unchanged", source="""
        def transposed_conv_via_matrix(Y, K):
            return F.conv_transpose2d(Y[None, None], K[None, None], stride=2)[0, 0]
    """),
]

HEADER = """\
    shape, like = (Y.shape[0] + K.shape[0] - 1, Y.shape[1] + K.shape[1] - 1), Y
"""
STUBS = tensor_stubs("transposed_conv_via_matrix", HEADER, "F.pad(Y, (0, K.shape[1] - 1, 0, K.shape[0] - 1))")


@pytest.mark.parametrize("answer", CORRECT + WRONG + STUBS, ids=str)
def test_answer(answer):
    """Does the answer earn what it should (corpus.check)?"""
    check(answer)
