"""What dead graders left behind: staging folders, scratch folders and
cgroups named `<prefix><pid>-...` after the process that made them

A worker killed with SIGKILL never closes its sandboxes; the next one to
start sweeps what such processes left.
"""
import os


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _stale(name, prefix):
    """Whether `<prefix><pid>-...` was made by a process that is gone"""
    rest = name[len(prefix):].split("-", 1)[0]
    return name.startswith(prefix) and rest.isdigit() and not _pid_alive(int(rest))


def sweep_stale(parent, prefix, remove):
    """Remove what dead graders left under parent (killed workers never close)"""
    try:
        names = os.listdir(parent)
    except OSError:
        return
    for name in names:
        if _stale(name, prefix):
            try:
                remove(os.path.join(parent, name))
            except OSError:
                pass
