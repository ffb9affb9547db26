"""Stand-in for torchvision on machines where no CPU build can be installed

d2l 1.0.3 imports torchvision at the top of `d2l.torch`; the course uses none of
it. Every attribute raises `TorchvisionUnavailable` with the reason, so a reader
who reaches for a data set learns why at once instead of getting a vague error.
"""
from torchvision._missing import TorchvisionUnavailable, missing
from torchvision import datasets, transforms

__version__ = "0.0.0+offline-shim"
IS_SHIM = True


def __getattr__(name):
    return missing("torchvision", name)
