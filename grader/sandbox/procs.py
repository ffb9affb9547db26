"""The process tree, read from /proc: used by the sandbox's watchdog to kill
what a student left behind, by the grader to measure a sandbox's CPU, and by
tests and benchmarks to find or measure a run's processes"""
import os

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def proc_table():
    """{pid: (ppid, state, uid)} for every process we can see"""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                data = f.read()
            fields = data[data.rindex(b")") + 2:].split()
            uid = os.stat(f"/proc/{name}").st_uid
            table[int(name)] = (int(fields[1]), fields[0].decode(), uid)
        except (OSError, ValueError, IndexError):
            continue
    return table


def descendants(table, root):
    """Every process below root (root excluded), parents before children"""
    children = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    out, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def tree_cpu(pid):
    """(user, system) CPU seconds of a process and its descendants, those
    still running and those they have reaped (Linux /proc; zeros elsewhere)"""
    user = system = 0
    todo, seen = [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            user += int(fields[11]) + int(fields[13])     # utime + cutime
            system += int(fields[12]) + int(fields[14])   # stime + cstime
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(c) for c in f.read().split()]
        except (OSError, ValueError, IndexError):
            continue
    return user / _TICK, system / _TICK
