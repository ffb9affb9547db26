"""The chapter's example inputs, and drawing images and kernels"""
import torch

from grader.assignments.calls import randint

F64 = torch.float64
X3 = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]], dtype=F64)
K2 = torch.tensor([[0.0, 1.0], [2.0, 3.0]], dtype=F64)
# the chapter's two-channel example: X (2, 3, 3), K (2, 2, 2)
X_MULTI = torch.stack([X3, X3 + 1])
K_MULTI = torch.stack([K2, K2 + 1])
K_OUT = torch.stack([K_MULTI, K_MULTI + 1, K_MULTI + 2])  # (3, 2, 2, 2)
KINDS = ["normal", "ints", "large", "normal", "distinct"]


def image_and_kernel(rng, max_hw=8, max_k=4):
    """(h, w), (k_h, k_w) with k <= input, often non-square"""
    h, w = randint(rng, 1, max_hw), randint(rng, 1, max_hw)
    k_h, k_w = randint(rng, 1, min(h, max_k)), randint(rng, 1, min(w, max_k))
    return (h, w), (k_h, k_w)
