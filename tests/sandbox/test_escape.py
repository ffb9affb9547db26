"""Escape: can a submission reach the network, the grading host's loopback
services, DNS, or the host through an abstract socket? And does the grader
say so loudly when it cannot isolate student code at all?

The sandbox has its own network namespace: a loopback device of its own and
nothing else, so no route to the host's 127.0.0.1, to the host's addresses,
to a resolver, or to the host's abstract unix sockets.
"""
import socket
import threading
import uuid

import pytest

from grader.sandbox.launcher import Sandbox, SandboxUnavailable

from .corpus import (LIMITS, full_marks, grade, host_processes, markers, needs_isolation,
                     notebook)


class Listener:
    """A host service that records every connection or datagram it gets"""

    def __init__(self, family=socket.AF_INET, kind=socket.SOCK_STREAM, address=("0.0.0.0", 0)):
        self.sock = socket.socket(family, kind)
        self.sock.bind(address)
        self.kind = kind
        if kind == socket.SOCK_STREAM:
            self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.got = []
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop:
            try:
                if self.kind == socket.SOCK_STREAM:
                    conn, peer = self.sock.accept()
                    self.got.append(peer)
                    conn.close()
                else:
                    self.got.append(self.sock.recvfrom(4096))
            except (socket.timeout, OSError):
                continue

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


def _host_addresses():
    addresses = {"127.0.0.1"}
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            addresses.add(info[4][0])
    except OSError:
        pass
    try:  # the address the host would use to go out
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe.connect(("10.255.255.255", 1))
        addresses.add(probe.getsockname()[0])
        probe.close()
    except OSError:
        pass
    return sorted(addresses)


CONNECT = '''
import socket
for host in {hosts}:
    try:
        socket.create_connection((host, {port}), timeout=1).close()
        print("CONNECTED", host, flush=True)
    except OSError as exc:
        print("BLOCKED tcp", host, type(exc).__name__, flush=True)
'''
CONNECT_IN_FUNCTION = '''def window_cost(c, h, w, pool_size, stride, padding):
    import socket
    try:
        socket.create_connection(("127.0.0.1", {port}), timeout=0.2).close()
        print("CONNECTED from function", flush=True)
    except OSError:
        pass
''' + "\n".join(__import__("tests.sandbox.corpus", fromlist=["x"]).SOLUTION_CODE[
    "window_cost"].splitlines()[1:])


@needs_isolation
def test_no_connection_to_host_loopback(sandbox, harms_nobody):
    """A TCP service on the grading host (127.0.0.1 and its other
    addresses): the notebook, and a function while it is called, try it"""
    server = Listener()
    port = server.sock.getsockname()[1]
    hosts = _host_addresses()
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()  # it does work here
        deadline = threading.Event()
        deadline.wait(0.5)
        assert len(server.got) == 1
        attack = CONNECT.replace("{hosts}", repr(hosts)).replace("{port}", str(port))
        result = grade(sandbox, notebook(
            {"window_cost": CONNECT_IN_FUNCTION.replace("{port}", str(port))}, after=[attack]))
    finally:
        server.close()
    assert not markers(result, "CONNECTED"), markers(result, "CONNECTED")
    assert len(markers(result, "BLOCKED tcp")) == len(hosts)
    assert len(server.got) == 1  # ours only
    assert full_marks(result)
    harms_nobody()


DNS = '''
import socket
print("INTERFACES", sorted(name for _, name in socket.if_nameindex()), flush=True)
for name in ("example.com", "pypi.org", "localhost.localdomain"):
    try:
        print("RESOLVED", name, socket.getaddrinfo(name, 80)[0][4], flush=True)
    except OSError as exc:
        print("BLOCKED dns", name, type(exc).__name__, flush=True)
query = bytes.fromhex("abcd01000001000000000000076578616d706c6503636f6d0000010001")
for server in ["127.0.0.1"] + [line.split()[1] for line in open("/etc/resolv.conf")
                               if line.startswith("nameserver")]:
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(0.5)
        s.sendto(query, (server, {port} if server == "127.0.0.1" else 53))
        print("ANSWERED", server, s.recvfrom(512), flush=True)
    except OSError as exc:
        print("BLOCKED udp", server, type(exc).__name__, flush=True)
'''


@needs_isolation
def test_no_dns_and_no_interface_but_loopback(sandbox, harms_nobody):
    """Name resolution, DNS queries to the configured nameservers and to a
    UDP service on the host's loopback: nothing gets out"""
    server = Listener(kind=socket.SOCK_DGRAM, address=("127.0.0.1", 0))
    port = server.sock.getsockname()[1]
    try:
        result = grade(sandbox, notebook(after=[DNS.replace("{port}", str(port))]))
    finally:
        server.close()
    assert markers(result, "INTERFACES") == ["INTERFACES ['lo']"]
    assert not markers(result, "RESOLVED example") and not markers(result, "RESOLVED pypi")
    assert not markers(result, "ANSWERED"), markers(result, "ANSWERED")
    assert server.got == []
    harms_nobody()


ABSTRACT = '''
import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect("\\0{name}")
    print("CONNECTED abstract", flush=True)
except OSError as exc:
    print("BLOCKED abstract", type(exc).__name__, flush=True)
'''


@needs_isolation
def test_no_abstract_unix_socket_to_host(sandbox, harms_nobody):
    """Abstract unix sockets belong to the network namespace: a host service
    on one is out of reach"""
    name = f"grader-probe-{uuid.uuid4().hex[:8]}"
    server = Listener(family=socket.AF_UNIX, address="\0" + name)
    try:
        result = grade(sandbox, notebook(after=[ABSTRACT.replace("{name}", name)]))
    finally:
        server.close()
    assert markers(result, "BLOCKED abstract")
    assert server.got == []
    harms_nobody()


LEAVE = '''
import subprocess
subprocess.Popen(["sleep", "1000.123"], start_new_session=True)
'''


@pytest.mark.slow
def test_degrades_loudly_without_bubblewrap():
    """Without bubblewrap the sandbox warns (SandboxUnavailable) that student
    code runs with rlimits only; it still grades, and still cleans up"""
    with pytest.warns(SandboxUnavailable, match="WITHOUT network or file-system isolation"):
        sb = Sandbox(LIMITS, isolate=False)
    try:
        assert not sb.isolate
        result = grade(sb, notebook(after=[LEAVE]))
        assert full_marks(result)
        assert not [p for p in host_processes(0) if p[2] == "sleep 1000.123"]
    finally:
        sb.close()
