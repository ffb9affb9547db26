"""Checks on every device: CPU always, CUDA when this machine has one"""
import pytest
import torch

from grader.checks import CheckFailed, check
from grader.checks.devices import available, on_devices
from grader.checks.calls import Call
from grader.reference import REFERENCES

CUDA = pytest.mark.skipif(not torch.cuda.is_available(),
                          reason="no CUDA device here (torch.cuda.is_available() is False); "
                                 "the CUDA variants run on a machine with a GPU")


def test_cpu_is_always_checked():
    """Is the CPU always among the devices, first?"""
    assert available()[0] == "cpu"


def test_device_copies_inform_only_the_devices_aspect():
    """Does a call copied to another device count for `devices` and nothing else?"""
    call = Call("pool2d", (torch.ones(3, 3), (2, 2)), aspects=frozenset({"values", "devices"}))
    out = on_devices([call], ["cpu", "cuda"])
    assert [c.device for c in out] == ["cpu", "cuda"]
    assert out[1].aspects == frozenset({"devices"}) and out[0].aspects == call.aspects


@CUDA
def test_reference_passes_its_device_checks_on_cuda():
    """On a GPU machine, do the references keep their results on CUDA?"""
    check("pool2d-devices", REFERENCES["pool2d"])


@CUDA
def test_a_function_that_moves_results_to_the_cpu_fails_on_cuda():
    """On a GPU machine, is a result moved to the CPU caught, naming the device?"""
    def pool2d(X, pool_size, mode="max"):
        return REFERENCES["pool2d"](X, pool_size, mode).cpu()
    with pytest.raises(CheckFailed, match="cuda"):
        check("pool2d-devices", pool2d)
