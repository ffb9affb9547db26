"""Answers to the layers assignment: correct ones written in different
styles, and plausible wrong ones with the aspects they must lose"""
from ._corpus import correct, wrong

PAIR = """
def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)
"""

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
    # conv2d_output_shape
    correct("conv2d_output_shape", "formula with every check", PAIR + """
def conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1):
    out = []
    for n, k, s, p, d in zip(pair(input_hw), pair(kernel_size), pair(stride), pair(padding),
                             pair(dilation)):
        if k < 1 or s < 1 or d < 1 or p < 0:
            raise ValueError('kernel size, stride and dilation must be >= 1, padding >= 0')
        if d * (k - 1) + 1 > n + 2 * p:
            raise ValueError('the kernel does not fit in the padded input')
        out.append((n + 2 * p - d * (k - 1) - 1) // s + 1)
    return tuple(out)
    """),
    correct("conv2d_output_shape", "ask nn.Conv2d", """
        def conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1):
            try:
                layer = nn.Conv2d(1, 1, kernel_size, stride, padding, dilation, bias=False)
                out = layer(torch.zeros(1, 1, *input_hw))
            except RuntimeError as error:
                raise ValueError(str(error)) from None
            return tuple(int(v) for v in out.shape[-2:])
    """),
    correct("conv2d_output_shape", "math.floor per axis", """
        def conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1):
            args = [input_hw, kernel_size, stride, padding, dilation]
            args = [a if isinstance(a, tuple) else (a, a) for a in args]
            sizes = []
            for axis in range(2):
                n, k, s, p, d = (a[axis] for a in args)
                if min(k, s, d) <= 0 or p < 0:
                    raise ValueError('bad setting')
                size = math.floor((n + 2 * p - d * (k - 1) - 1) / s + 1)
                if size < 1 or d * (k - 1) >= n + 2 * p:
                    raise ValueError('kernel too big')
                sizes.append(size)
            return sizes[0], sizes[1]
    """),
    # conv_transpose2d_output_shape
    correct("conv_transpose2d_output_shape", "formula", PAIR + """
def conv_transpose2d_output_shape(input_hw, kernel_size, stride=1, padding=0,
                                  output_padding=0, dilation=1):
    return tuple((n - 1) * s - 2 * p + d * (k - 1) + op + 1
                 for n, k, s, p, op, d in zip(pair(input_hw), pair(kernel_size), pair(stride),
                                              pair(padding), pair(output_padding),
                                              pair(dilation)))
    """),
    correct("conv_transpose2d_output_shape", "ask nn.ConvTranspose2d", """
        def conv_transpose2d_output_shape(input_hw, kernel_size, stride=1, padding=0,
                                          output_padding=0, dilation=1):
            layer = nn.ConvTranspose2d(1, 1, kernel_size, stride, padding, output_padding,
                                       dilation=dilation, bias=False)
            return tuple(layer(torch.zeros(1, 1, *input_hw)).shape[-2:])
    """),
    correct("conv_transpose2d_output_shape", "F.conv_transpose2d", PAIR + """
def conv_transpose2d_output_shape(input_hw, kernel_size, stride=1, padding=0,
                                  output_padding=0, dilation=1):
    W = torch.zeros(1, 1, *pair(kernel_size))
    Y = F.conv_transpose2d(torch.zeros(1, 1, *input_hw), W, stride=stride, padding=padding,
                           output_padding=output_padding, dilation=dilation)
    return (Y.shape[-2], Y.shape[-1])
    """),
    # pool2d_output_shape
    correct("pool2d_output_shape", "formula with ceil mode's rule", PAIR + """
def pool2d_output_shape(input_hw, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False):
    k = pair(kernel_size)
    s = k if stride is None else pair(stride)
    out = []
    for n, k_, s_, p, d in zip(pair(input_hw), k, s, pair(padding), pair(dilation)):
        span = n + 2 * p - d * (k_ - 1) - 1
        size = (math.ceil(span / s_) if ceil_mode else span // s_) + 1
        if ceil_mode and (size - 1) * s_ >= n + p:
            size -= 1
        out.append(size)
    return tuple(out)
    """),
    correct("pool2d_output_shape", "ask nn.MaxPool2d", """
        def pool2d_output_shape(input_hw, kernel_size, stride=None, padding=0, dilation=1,
                                ceil_mode=False):
            layer = nn.MaxPool2d(kernel_size, stride, padding, dilation, ceil_mode=ceil_mode)
            return tuple(layer(torch.zeros(1, 1, *input_hw)).shape[-2:])
    """),
    correct("pool2d_output_shape", "integer ceil, rule as 'starts inside'", PAIR + """
def pool2d_output_shape(input_hw, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False):
    sizes = []
    k = pair(kernel_size)
    for n, k_, s_, p, d in zip(pair(input_hw), k, pair(stride or k), pair(padding),
                               pair(dilation)):
        span = n + 2 * p - d * (k_ - 1) - 1
        count = (span + s_ - 1) // s_ + 1 if ceil_mode else span // s_ + 1
        last_start = (count - 1) * s_
        if ceil_mode and not last_start < n + p:   # must start inside input or left padding
            count -= 1
        sizes.append(count)
    return sizes[0], sizes[1]
    """),
    # conv_matrix
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
    # transposed_conv_via_matrix
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
    # linear
    correct("linear", "x @ weight.T + bias", """
        def linear(x, weight, bias=None):
            y = x @ weight.T
            if bias is not None:
                y = y + bias
            return y
    """),
    correct("linear", "F.linear", """
        def linear(x, weight, bias=None):
            return F.linear(x, weight, bias)
    """),
    correct("linear", "einsum", """
        def linear(x, weight, bias=None):
            y = torch.einsum('...i,oi->...o', x, weight)
            return y if bias is None else y + bias
    """),
    correct("linear", "row by row on the flattened batch", """
        def linear(x, weight, bias=None):
            rows = x.reshape(-1, x.shape[-1])
            out = torch.stack([weight @ r + (0 if bias is None else bias) for r in rows])
            return out.reshape(*x.shape[:-1], weight.shape[0])
    """),
    correct("linear", "addmm on 2-D", """
        def linear(x, weight, bias=None):
            flat = x.reshape(-1, x.shape[-1])
            if bias is None:
                bias = torch.zeros(weight.shape[0], dtype=x.dtype, device=x.device)
            return torch.addmm(bias, flat, weight.t()).reshape(*x.shape[:-1], -1)
    """),
    # sigmoid_grad, tanh_grad, tanh_via_sigmoid
    correct("sigmoid_grad", "y * (1 - y)", """
        def sigmoid_grad(y):
            return y * (1 - y)
    """),
    correct("sigmoid_grad", "y - y ** 2", """
        def sigmoid_grad(y):
            return y - y ** 2
    """),
    correct("sigmoid_grad", "torch.mul", """
        def sigmoid_grad(y):
            return torch.mul(y, torch.sub(1, y))
    """),
    correct("tanh_grad", "1 - y * y", """
        def tanh_grad(y):
            return 1 - y * y
    """),
    correct("tanh_grad", "(1 - y)(1 + y)", """
        def tanh_grad(y):
            return (1 - y) * (1 + y)
    """),
    correct("tanh_grad", "1 - torch.square(y)", """
        def tanh_grad(y):
            return torch.ones_like(y) - torch.square(y)
    """),
    correct("tanh_via_sigmoid", "2 sigmoid(2x) - 1", """
        def tanh_via_sigmoid(x):
            return 2 * torch.sigmoid(2 * x) - 1
    """),
        correct("tanh_via_sigmoid", "torch.tanh", """
        def tanh_via_sigmoid(x):
            return torch.tanh(x)
    """),
    correct("tanh_via_sigmoid", "nn.Sigmoid module", """
        def tanh_via_sigmoid(x):
            return nn.Sigmoid()(x * 2).mul(2).sub(1)
    """),
]

WRONG = [
    wrong("sigmoid_grad", "through logs: nan gradient at y = 0 and 1", "grad", """
        def sigmoid_grad(y):
            return torch.exp(torch.log(y) + torch.log1p(-y))
    """),
    wrong("tanh_grad", "1 / cosh(atanh(y))^2: nan gradient at y = +-1", "grad", """
        def tanh_grad(y):
            return 1 / torch.cosh(torch.atanh(y)) ** 2
    """),
    # numerically naive, values right: exp(800) = inf makes the gradient 0 * inf
wrong("tanh_via_sigmoid", "2 / (1 + exp(-2x)) - 1: nan gradient where exp overflows", "grad", """
        def tanh_via_sigmoid(x):
            return 2 / (1 + torch.exp(-2 * x)) - 1
    """),
    # conv2d_output_shape
    wrong("conv2d_output_shape", "dilation ignored", "values errors", PAIR + """
def conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1):
    out = []
    for n, k, s, p in zip(pair(input_hw), pair(kernel_size), pair(stride), pair(padding)):
        if min(k, s) < 1 or p < 0 or k > n + 2 * p:
            raise ValueError('bad settings')
        out.append((n + 2 * p - k) // s + 1)
    return tuple(out)
    """),
    wrong("conv2d_output_shape", "never raises", "errors", PAIR + """
def conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1):
    return tuple((n + 2 * p - d * (k - 1) - 1) // max(s, 1) + 1
                 for n, k, s, p, d in zip(pair(input_hw), pair(kernel_size), pair(stride),
                                          pair(padding), pair(dilation)))
    """),
    wrong("conv2d_output_shape", "only checks the kernel's fit", "errors", PAIR + """
def conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1):
    out = []
    for n, k, s, p, d in zip(pair(input_hw), pair(kernel_size), pair(stride), pair(padding),
                             pair(dilation)):
        if d * (k - 1) + 1 > n + 2 * p:
            raise ValueError('the kernel does not fit')
        out.append((n + 2 * p - d * (k - 1) - 1) // s + 1)
    return tuple(out)
    """),
    wrong("conv2d_output_shape", "raises RuntimeError like the layer", "errors", """
        def conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1):
            layer = nn.Conv2d(1, 1, kernel_size, stride, padding, dilation, bias=False)
            return tuple(int(v) for v in layer(torch.zeros(1, 1, *input_hw)).shape[-2:])
    """),
    wrong("conv2d_output_shape", "no + 1", "values", PAIR + """
def conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1):
    out = []
    for n, k, s, p, d in zip(pair(input_hw), pair(kernel_size), pair(stride), pair(padding),
                             pair(dilation)):
        if min(k, s, d) < 1 or p < 0 or d * (k - 1) + 1 > n + 2 * p:
            raise ValueError('bad settings')
        out.append(max(1, (n + 2 * p - d * (k - 1) - 1) // s))
    return tuple(out)
    """),
    wrong("conv2d_output_shape", "float sizes", "everything", PAIR + """
def conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1):
    out = []
    for n, k, s, p, d in zip(pair(input_hw), pair(kernel_size), pair(stride), pair(padding),
                             pair(dilation)):
        if min(k, s, d) < 1 or p < 0 or d * (k - 1) + 1 > n + 2 * p:
            raise ValueError('bad settings')
        out.append(float((n + 2 * p - d * (k - 1) - 1) // s + 1))
    return tuple(out)
    """),
    wrong("conv2d_output_shape", "padding counted once", "values", PAIR + """
def conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1):
    out = []
    for n, k, s, p, d in zip(pair(input_hw), pair(kernel_size), pair(stride), pair(padding),
                             pair(dilation)):
        if min(k, s, d) < 1 or p < 0 or d * (k - 1) + 1 > n + 2 * p:
            raise ValueError('bad settings')
        out.append(max(1, (n + p - d * (k - 1) - 1) // s + 1))
    return tuple(out)
    """),
    # conv_transpose2d_output_shape
    wrong("conv_transpose2d_output_shape", "output_padding ignored", "values", PAIR + """
def conv_transpose2d_output_shape(input_hw, kernel_size, stride=1, padding=0,
                                  output_padding=0, dilation=1):
    return tuple((n - 1) * s - 2 * p + d * (k - 1) + 1
                 for n, k, s, p, d in zip(pair(input_hw), pair(kernel_size), pair(stride),
                                          pair(padding), pair(dilation)))
    """),
    wrong("conv_transpose2d_output_shape", "padding subtracted once", "values", PAIR + """
def conv_transpose2d_output_shape(input_hw, kernel_size, stride=1, padding=0,
                                  output_padding=0, dilation=1):
    return tuple((n - 1) * s - p + d * (k - 1) + op + 1
                 for n, k, s, p, op, d in zip(pair(input_hw), pair(kernel_size), pair(stride),
                                              pair(padding), pair(output_padding),
                                              pair(dilation)))
    """),
    wrong("conv_transpose2d_output_shape", "n * s instead of (n - 1) * s", "values", PAIR + """
def conv_transpose2d_output_shape(input_hw, kernel_size, stride=1, padding=0,
                                  output_padding=0, dilation=1):
    return tuple(n * s - 2 * p + d * (k - 1) + op
                 for n, k, s, p, op, d in zip(pair(input_hw), pair(kernel_size), pair(stride),
                                              pair(padding), pair(output_padding),
                                              pair(dilation)))
    """),
    wrong("conv_transpose2d_output_shape", "dilation ignored", "values", PAIR + """
def conv_transpose2d_output_shape(input_hw, kernel_size, stride=1, padding=0,
                                  output_padding=0, dilation=1):
    return tuple((n - 1) * s - 2 * p + k + op
                 for n, k, s, p, op in zip(pair(input_hw), pair(kernel_size), pair(stride),
                                           pair(padding), pair(output_padding)))
    """),
    # pool2d_output_shape
    wrong("pool2d_output_shape", "naive ceil mode (no last-window rule)", "values", PAIR + """
def pool2d_output_shape(input_hw, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False):
    k = pair(kernel_size)
    s = k if stride is None else pair(stride)
    round_ = math.ceil if ceil_mode else math.floor
    return tuple(round_((n + 2 * p - d * (k_ - 1) - 1) / s_) + 1
                 for n, k_, s_, p, d in zip(pair(input_hw), k, s, pair(padding), pair(dilation)))
    """),
    wrong("pool2d_output_shape", "ceil mode ignored", "values", PAIR + """
def pool2d_output_shape(input_hw, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False):
    k = pair(kernel_size)
    s = k if stride is None else pair(stride)
    return tuple((n + 2 * p - d * (k_ - 1) - 1) // s_ + 1
                 for n, k_, s_, p, d in zip(pair(input_hw), k, s, pair(padding), pair(dilation)))
    """),
    wrong("pool2d_output_shape", "stride None taken as 1", "values", PAIR + """
def pool2d_output_shape(input_hw, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False):
    layer = nn.MaxPool2d(kernel_size, stride or 1, padding, dilation, ceil_mode=ceil_mode)
    return tuple(layer(torch.zeros(1, 1, *input_hw)).shape[-2:])
    """),
    wrong("pool2d_output_shape", "dilation ignored", "values", PAIR + """
def pool2d_output_shape(input_hw, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False):
    layer = nn.MaxPool2d(kernel_size, stride, padding, 1, ceil_mode=ceil_mode)
    return tuple(layer(torch.zeros(1, 1, *input_hw)).shape[-2:])
    """),
    wrong("pool2d_output_shape", "rule uses the right padding too", "values", PAIR + """
def pool2d_output_shape(input_hw, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False):
    k = pair(kernel_size)
    s = k if stride is None else pair(stride)
    out = []
    for n, k_, s_, p, d in zip(pair(input_hw), k, s, pair(padding), pair(dilation)):
        span = n + 2 * p - d * (k_ - 1) - 1
        size = (math.ceil(span / s_) if ceil_mode else span // s_) + 1
        if ceil_mode and (size - 1) * s_ >= n + 2 * p:
            size -= 1
        out.append(size)
    return tuple(out)
    """),
    # conv_matrix
    wrong("conv_matrix", "transposed: (h w, h' w')", "everything", """
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
    wrong("conv_matrix", "kernel flipped", "values grad", """
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
    # transposed_conv_via_matrix
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
    # linear
    wrong("linear", "weight not transposed", "values", source="""
        def linear(x, weight, bias=None):
            y = x @ weight
            return y if bias is None else y + bias
    """),
    wrong("linear", "bias ignored", "values grad", """
        def linear(x, weight, bias=None):
            return x @ weight.T
    """),
    wrong("linear", "only 2-D x", "values", """
        def linear(x, weight, bias=None):
            y = torch.mm(x, weight.t())
            return y if bias is None else y + bias
    """),
    wrong("linear", "`if bias:` on a tensor", "values", """
        def linear(x, weight, bias=None):
            y = x @ weight.T
            if bias:
                y = y + bias
            return y
    """),
    wrong("linear", "weight.data cuts its gradient", "grad", """
        def linear(x, weight, bias=None):
            y = x @ weight.data.T
            return y if bias is None else y + bias
    """),
    # sigmoid_grad, tanh_grad, tanh_via_sigmoid
    wrong("sigmoid_grad", "y taken as the pre-activation x", "everything", """
        def sigmoid_grad(y):
            return torch.sigmoid(y) * (1 - torch.sigmoid(y))
    """),
    wrong("sigmoid_grad", "tanh's formula", "everything", """
        def sigmoid_grad(y):
            return 1 - y ** 2
    """),
    wrong("sigmoid_grad", "computed in place in y", "grad unchanged", """
        def sigmoid_grad(y):
            one_minus_y = 1 - y
            y *= one_minus_y          # saves a tensor
            return y
    """),
    wrong("sigmoid_grad", "numpy", "grad", """
        def sigmoid_grad(y):
            a = y.detach().numpy()
            return torch.tensor(a * (1 - a))
    """),
    wrong("tanh_grad", "y taken as the pre-activation x", "everything", """
        def tanh_grad(y):
            return 1 - torch.tanh(y) ** 2
    """),
    wrong("tanh_grad", "sign slip: 1 + y^2", "everything", """
        def tanh_grad(y):
            return 1 + y ** 2
    """),
    wrong("tanh_grad", "y squared in place", "grad unchanged", """
        def tanh_grad(y):
            return 1 - y.pow_(2)
    """),
    wrong("tanh_grad", "detached", "grad", """
        def tanh_grad(y):
            return 1 - y.detach() ** 2
    """),
    wrong("tanh_via_sigmoid", "the sources' + 1", "everything", """
        def tanh_via_sigmoid(x):
            return 2 * torch.sigmoid(2 * x) + 1
    """),
    wrong("tanh_via_sigmoid", "sigmoid(x) instead of sigmoid(2x)", "everything", """
        def tanh_via_sigmoid(x):
            return 2 * torch.sigmoid(x) - 1
    """),
    wrong("tanh_via_sigmoid", "(1 - e^-2x) / (1 + e^-2x) overflows", "values", """
        def tanh_via_sigmoid(x):
            e = torch.exp(-2 * x)
            return (1 - e) / (1 + e)
    """),
    wrong("tanh_via_sigmoid", "float32 forced", "dtype", """
        def tanh_via_sigmoid(x):
            return 2 * torch.sigmoid(2 * x.float()) - 1
    """),
]
