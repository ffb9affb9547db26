"""What every name of the shim resolves to: a clear error at the point of use"""

REASON = (
    "torchvision is not installed: the package registry only has a CUDA build of "
    "torchvision 0.28 (paired with torch 2.13.0), which fails to load on a CPU-only "
    "torch ('operator torchvision::nms does not exist'). This course's environment "
    "ships a stand-in so that `from d2l import torch as d2l` imports; the chapters "
    "never need torchvision. To use {name}, install a torchvision that matches your "
    "torch build (see README.md, 'd2l and torchvision')."
)


class TorchvisionUnavailable(ImportError):
    """Raised when code reaches for a part of torchvision"""


def missing(module, name):
    """Module-level __getattr__ for the stand-in modules"""
    if name.startswith("__"):
        raise AttributeError(name)
    raise TorchvisionUnavailable(REASON.format(name=f"{module}.{name}"))
