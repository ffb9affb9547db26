"""Answers to the channels assignment: correct ones written in different
styles, and plausible wrong ones with the aspects they must lose"""
from ._corpus import correct, wrong

# a loop-based corr2d that keeps the dtype, reused by the multi-channel answers
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
    # corr2d
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
    # corr2d_multi_in
    correct("corr2d_multi_in", "sum of loop corr2d (d2l)", CORR2D_LOOP + """
def corr2d_multi_in(X, K):
    return sum(corr2d(x, k) for x, k in zip(X, K))
    """),
    correct("corr2d_multi_in", "F.conv2d", """
        def corr2d_multi_in(X, K):
            return F.conv2d(X[None], K[None])[0, 0]
    """),
    correct("corr2d_multi_in", "stack then sum", CORR2D_LOOP + """
def corr2d_multi_in(X, K):
    return torch.stack([corr2d(X[c], K[c]) for c in range(X.shape[0])]).sum(0)
    """),
    correct("corr2d_multi_in", "shift and add over channels", """
        def corr2d_multi_in(X, K):
            c, k_h, k_w = K.shape
            h, w = X.shape[1] - k_h + 1, X.shape[2] - k_w + 1
            Y = 0
            for a in range(k_h):
                for b in range(k_w):
                    Y = Y + (K[:, a, b, None, None] * X[:, a:a + h, b:b + w]).sum(0)
            return Y
    """),
    correct("corr2d_multi_in", "einsum on windows", """
        def corr2d_multi_in(X, K):
            windows = X.unfold(1, K.shape[1], 1).unfold(2, K.shape[2], 1)
            return torch.einsum('cijab,cab->ij', windows, K)
    """),
    # corr2d_multi_in_out
    correct("corr2d_multi_in_out", "stack of multi_in (d2l)", CORR2D_LOOP + """
def corr2d_multi_in(X, K):
    return sum(corr2d(x, k) for x, k in zip(X, K))

def corr2d_multi_in_out(X, K):
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)
    """),
    correct("corr2d_multi_in_out", "F.conv2d", """
        def corr2d_multi_in_out(X, K):
            return F.conv2d(X.unsqueeze(0), K).squeeze(0)
    """),
    correct("corr2d_multi_in_out", "einsum on windows", """
        def corr2d_multi_in_out(X, K):
            windows = X.unfold(1, K.shape[2], 1).unfold(2, K.shape[3], 1)
            return torch.einsum('cijab,ocab->oij', windows, K)
    """),
    correct("corr2d_multi_in_out", "im2col and a matrix product", """
        def corr2d_multi_in_out(X, K):
            c_o, c_i, k_h, k_w = K.shape
            h, w = X.shape[1] - k_h + 1, X.shape[2] - k_w + 1
            cols = F.unfold(X[None], (k_h, k_w))[0]          # (c_i k_h k_w, h w)
            return (K.reshape(c_o, -1) @ cols).reshape(c_o, h, w)
    """),
    # corr2d_multi_in_out_1x1
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
    # corr2d
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
    # corr2d_multi_in
    wrong("corr2d_multi_in", "channels of K reversed", "values", CORR2D_LOOP + """
def corr2d_multi_in(X, K):
    return sum(corr2d(x, k) for x, k in zip(X, K.flip(0)))
    """),
    wrong("corr2d_multi_in", "mean over channels instead of sum", "values", """
        def corr2d_multi_in(X, K):
            return F.conv2d(X[:, None], K[:, None]).mean(0)[0]
    """),
    wrong("corr2d_multi_in", "no sum: one map per channel", "everything", """
        def corr2d_multi_in(X, K):
            return F.conv2d(X[None], K[:, None], groups=X.shape[0])[0]
    """),
    wrong("corr2d_multi_in", "only the first channel", "values", CORR2D_LOOP + """
def corr2d_multi_in(X, K):
    return corr2d(X[0], K[0])
    """),
    wrong("corr2d_multi_in", "float32 forced", "dtype", """
        def corr2d_multi_in(X, K):
            return F.conv2d(X[None].float(), K[None].float())[0, 0]
    """),
    # corr2d_multi_in_out
    wrong("corr2d_multi_in_out", "cat instead of stack", "everything", """
        def corr2d_multi_in_out(X, K):
            return torch.cat([F.conv2d(X[None], k[None])[0] for k in K], 0).reshape(-1, X.shape[2] - K.shape[3] + 1)
    """),
    wrong("corr2d_multi_in_out", "K's channel axes mixed by a reshape", "values", """
        def corr2d_multi_in_out(X, K):
            c_o, c_i, k_h, k_w = K.shape
            K = K.reshape(c_i, c_o, k_h, k_w).transpose(0, 1)
            return F.conv2d(X[None], K)[0]
    """),
    wrong("corr2d_multi_in_out", "every output uses input channel 0's kernel", "values", """
        def corr2d_multi_in_out(X, K):
            return torch.stack([F.conv2d(X[None], k[:1].expand_as(k)[None])[0, 0] for k in K])
    """),
    wrong("corr2d_multi_in_out", "numpy for the sum", "grad", """
        def corr2d_multi_in_out(X, K):
            Y = F.conv2d(X[None], K)[0]
            return torch.tensor(Y.detach().numpy())
    """),
    # corr2d_multi_in_out_1x1
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
