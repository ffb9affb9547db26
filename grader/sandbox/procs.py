"""The process tree, read from /proc: used by the sandbox's watchdog to kill
what a student left behind, and by tests and benchmarks to find or measure a
run's processes"""
import os


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
