"""pool2d: answers in several styles earn every point, plausible wrong ones
lose the aspects they should, effort-free stubs earn nothing"""
import pytest

from grader.assignments.corpus import check, correct, message, tensor_stubs, wrong

CORRECT = [
    correct("pool2d", "loop into zeros (d2l, with dtype)", """
        def pool2d(X, pool_size, mode='max'):
            if mode not in ('max', 'avg'):
                raise ValueError(mode)
            p_h, p_w = pool_size
            Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1), dtype=X.dtype,
                            device=X.device)
            for i in range(Y.shape[0]):
                for j in range(Y.shape[1]):
                    if mode == 'max':
                        Y[i, j] = X[i: i + p_h, j: j + p_w].max()
                    elif mode == 'avg':
                        Y[i, j] = X[i: i + p_h, j: j + p_w].mean()
            return Y
    """),
    correct("pool2d", "F.max_pool2d / F.avg_pool2d with stride 1", """
        def pool2d(X, pool_size, mode='max'):
            pools = {'max': F.max_pool2d, 'avg': F.avg_pool2d}
            if mode not in pools:
                raise ValueError(f'unknown mode {mode!r}')
            return pools[mode](X[None, None], pool_size, stride=1)[0, 0]
    """),
    correct("pool2d", "unfold windows", """
        def pool2d(X, pool_size, mode='max'):
            p_h, p_w = pool_size
            windows = X.unfold(0, p_h, 1).unfold(1, p_w, 1).flatten(-2)
            if mode == 'max':
                return windows.amax(-1)
            if mode == 'avg':
                return windows.mean(-1)
            raise ValueError('mode must be max or avg')
    """),
    correct("pool2d", "shifted slices stacked", """
        def pool2d(X, pool_size, mode='max'):
            if mode != 'max' and mode != 'avg':
                raise ValueError(mode)
            p_h, p_w = pool_size
            h, w = X.shape[0] - p_h + 1, X.shape[1] - p_w + 1
            shifted = torch.stack([X[a:a + h, b:b + w] for a in range(p_h) for b in range(p_w)])
            return shifted.max(0).values if mode == 'max' else shifted.mean(0)
    """),
]

WRONG = [
    wrong("pool2d", "average that sums", "values", """
        def pool2d(X, pool_size, mode='max'):
            if mode not in ('max', 'avg'):
                raise ValueError(mode)
            windows = X.unfold(0, pool_size[0], 1).unfold(1, pool_size[1], 1)
            return windows.amax((-2, -1)) if mode == 'max' else windows.sum((-2, -1))
    """),
    wrong("pool2d", "mode ignored: always max", "values errors", """
        def pool2d(X, pool_size, mode='max'):
            return F.max_pool2d(X[None, None], pool_size, stride=1)[0, 0]
    """),
    wrong("pool2d", "unknown mode falls back to max", "errors", """
        def pool2d(X, pool_size, mode='max'):
            if mode == 'avg':
                return F.avg_pool2d(X[None, None], pool_size, stride=1)[0, 0]
            return F.max_pool2d(X[None, None], pool_size, stride=1)[0, 0]
    """),
    wrong("pool2d", "unknown mode raises KeyError", "errors", """
        def pool2d(X, pool_size, mode='max'):
            return {'max': F.max_pool2d, 'avg': F.avg_pool2d}[mode](X[None, None], pool_size, 1)[0, 0]
    """),
    wrong("pool2d", "one row and column short", "everything", """
        def pool2d(X, pool_size, mode='max'):
            if mode not in ('max', 'avg'):
                raise ValueError(mode)
            p_h, p_w = pool_size
            Y = torch.zeros((X.shape[0] - p_h, X.shape[1] - p_w), dtype=X.dtype)
            for i in range(Y.shape[0]):
                for j in range(Y.shape[1]):
                    win = X[i:i + p_h, j:j + p_w]
                    Y[i, j] = win.max() if mode == 'max' else win.mean()
            return Y
    """),
    wrong("pool2d", "window transposed (p_w rows, p_h columns)", "values", """
        def pool2d(X, pool_size, mode='max'):
            if mode not in ('max', 'avg'):
                raise ValueError(mode)
            p_h, p_w = pool_size
            Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1), dtype=X.dtype)
            for i in range(Y.shape[0]):
                for j in range(Y.shape[1]):
                    win = X[i:i + p_w, j:j + p_h]
                    Y[i, j] = win.max() if mode == 'max' else win.mean()
            return Y
    """),
    wrong("pool2d", "d2l's float32 zeros", "dtype", """
        def pool2d(X, pool_size, mode='max'):
            if mode not in ('max', 'avg'):
                raise ValueError(mode)
            p_h, p_w = pool_size
            Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
            for i in range(Y.shape[0]):
                for j in range(Y.shape[1]):
                    if mode == 'max':
                        Y[i, j] = X[i: i + p_h, j: j + p_w].max()
                    elif mode == 'avg':
                        Y[i, j] = X[i: i + p_h, j: j + p_w].mean()
            return Y
    """),
    wrong("pool2d", "numpy loops", "grad", """
        def pool2d(X, pool_size, mode='max'):
            if mode not in ('max', 'avg'):
                raise ValueError(mode)
            x = X.detach().numpy()
            p_h, p_w = pool_size
            Y = np.zeros((x.shape[0] - p_h + 1, x.shape[1] - p_w + 1), dtype=x.dtype)
            for i in range(Y.shape[0]):
                for j in range(Y.shape[1]):
                    win = x[i:i + p_h, j:j + p_w]
                    Y[i, j] = win.max() if mode == 'max' else win.mean()
            return torch.from_numpy(Y)
    """),
]

HEADER = """\
    h, w = X.shape[0] - pool_size[0] + 1, X.shape[1] - pool_size[1] + 1
    shape, like = (h, w), X
"""
STUBS = tensor_stubs("pool2d", HEADER, "X[:h, :w].clone()")


@pytest.mark.parametrize("answer", CORRECT + WRONG + STUBS, ids=str)
def test_answer(answer):
    """Does the answer earn what it should (corpus.check)?"""
    check(answer)


def test_gradient_message_says_the_result_is_not_connected():
    assert "not connected" in message(WRONG, "numpy loops", "grad")
