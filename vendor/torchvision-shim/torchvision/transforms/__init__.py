"""Stand-in for torchvision.transforms: every name raises TorchvisionUnavailable"""
from torchvision._missing import missing


def __getattr__(name):
    return missing("torchvision.transforms", name)
