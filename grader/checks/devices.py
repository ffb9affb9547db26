"""Which devices a check runs on: CPU always, CUDA when present"""
import torch


def available():
    found = ["cpu"]
    if torch.cuda.is_available():
        found.append("cuda")
    return found


def missing(devices):
    """The devices among `devices` this machine cannot run checks on"""
    here = available() if any(d != "cpu" for d in devices) else ["cpu"]
    return [d for d in devices if d not in here]


def on_devices(calls, devices):
    """The calls plus, for each call that informs `devices`, a copy per extra
    device (that copy informs `devices` only)"""
    out = list(calls)
    for call in calls:
        if "devices" in call.aspects:
            for d in devices:
                if d != call.device:
                    copy = call.on(d)
                    copy.aspects = frozenset({"devices"})
                    out.append(copy)
    return out
