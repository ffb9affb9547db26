"""conv_matrix: answers in several styles earn every point, plausible wrong ones
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
    correct("conv_matrix", "loop, a kernel-shaped patch per row", CONV_MATRIX_LOOP),
    correct("conv_matrix", "padded kernels stacked", """
        def conv_matrix(K, input_hw):
            h, w = input_hw
            k_h, k_w = K.shape
            rows = [F.pad(K, (j, w - k_w - j, i, h - k_h - i)).flatten()
                    for i in range(h - k_h + 1) for j in range(w - k_w + 1)]
            return torch.stack(rows)
    """),
    correct("conv_matrix", "scatter the kernel with index_put", """
        def conv_matrix(K, input_hw):
            h, w = input_hw
            k_h, k_w = K.shape
            out_h, out_w = h - k_h + 1, w - k_w + 1
            ar = lambda n: torch.arange(n, device=K.device)
            i, j, a, b = torch.meshgrid(ar(out_h), ar(out_w), ar(k_h), ar(k_w), indexing='ij')
            rows = (i * out_w + j).flatten()
            cols = ((i + a) * w + (j + b)).flatten()
            values = K.expand(out_h, out_w, k_h, k_w).flatten()
            C = torch.zeros(out_h * out_w, h * w, dtype=K.dtype, device=K.device)
            return C.index_put((rows, cols), values)
    """),
    correct("conv_matrix", "columns from the convolution of unit images", """
        def conv_matrix(K, input_hw):
            h, w = input_hw
            E = torch.eye(h * w, dtype=K.dtype, device=K.device).reshape(h * w, 1, h, w)
            return F.conv2d(E, K[None, None]).flatten(1).T
    """),
]

WRONG = [
    wrong("conv_matrix", "transposed: (h w, h' w')", "values shape",
          may="dtype devices grad unchanged", source="""
        def conv_matrix(K, input_hw):
            h, w = input_hw
            E = torch.eye(h * w, dtype=K.dtype).reshape(h * w, 1, h, w)
            return F.conv2d(E, K[None, None]).flatten(1)
    """),
    wrong("conv_matrix", "float32 zeros", "dtype", """
        def conv_matrix(K, input_hw):
            h, w = input_hw
            k_h, k_w = K.shape
            out_h, out_w = h - k_h + 1, w - k_w + 1
            C = torch.zeros((out_h * out_w, h * w))
            for i in range(out_h):
                for j in range(out_w):
                    for a in range(k_h):
                        C[i * out_w + j, (i + a) * w + j:(i + a) * w + j + k_w] = K[a]
            return C
    """),
    wrong("conv_matrix", "kernel flipped", "values", may="shape dtype devices grad unchanged",
          source="""
        def conv_matrix(K, input_hw):
            h, w = input_hw
            k_h, k_w = K.shape
            rows = [F.pad(K.flip(0, 1), (j, w - k_w - j, i, h - k_h - i)).flatten()
                    for i in range(h - k_h + 1) for j in range(w - k_w + 1)]
            return torch.stack(rows)
    """),
    wrong("conv_matrix", "row offset uses the output width", "values", """
        def conv_matrix(K, input_hw):
            h, w = input_hw
            k_h, k_w = K.shape
            out_h, out_w = h - k_h + 1, w - k_w + 1
            C = torch.zeros((out_h * out_w, h * w), dtype=K.dtype)
            for i in range(out_h):
                for j in range(out_w):
                    for a in range(k_h):
                        start = (i + a) * out_w + j
                        C[i * out_w + j, start:start + k_w] = K[a]
            return C
    """),
    wrong("conv_matrix", "built in numpy", "grad", """
        def conv_matrix(K, input_hw):
            h, w = input_hw
            k = K.detach().numpy()
            k_h, k_w = k.shape
            out_h, out_w = h - k_h + 1, w - k_w + 1
            C = np.zeros((out_h * out_w, h * w), dtype=k.dtype)
            for i in range(out_h):
                for j in range(out_w):
                    img = np.zeros((h, w), dtype=k.dtype)
                    img[i:i + k_h, j:j + k_w] = k
                    C[i * out_w + j] = img.ravel()
            return torch.from_numpy(C)
    """),
]

HEADER = """\
    h, w = input_hw
    rows = (h - K.shape[0] + 1) * (w - K.shape[1] + 1)
    shape, like = (rows, h * w), K
"""
STUBS = tensor_stubs("conv_matrix", HEADER, "K.flatten()[:1].expand(*shape).clone()")


@pytest.mark.parametrize("answer", CORRECT + WRONG + STUBS, ids=str)
def test_answer(answer):
    """Does the answer earn what it should (corpus.check)?"""
    check(answer)
