"""Stand-in for torchvision.datasets: every name raises TorchvisionUnavailable"""
from torchvision._missing import missing


def __getattr__(name):
    return missing("torchvision.datasets", name)
