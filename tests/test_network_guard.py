"""The kiosk process denies itself internet sockets: real seccomp, in a child process."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pyseccomp = pytest.importorskip("pyseccomp", reason="pyseccomp/libseccomp not installed")

CHILD = textwrap.dedent("""
    import socket, threading
    from kiosk.service.network_guard import deny_network_sockets, internet_socket_denied

    assert not internet_socket_denied(), "the filter was on before it was installed"
    results = {}
    ready, go = threading.Event(), threading.Event()

    def older_thread():  # started before the filter: must be covered all the same
        ready.set()
        go.wait()
        try:
            socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            results["thread"] = "opened"
        except PermissionError:
            results["thread"] = "denied"

    worker = threading.Thread(target=older_thread)
    worker.start()
    ready.wait()
    problem = deny_network_sockets()
    go.set()
    worker.join()
    print("problem", problem)
    print("inet", "denied" if internet_socket_denied() else "opened")
    print("thread", results["thread"])
    local = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    local.close()
    print("unix", "opened")
""")


def test_internet_sockets_are_denied_in_every_thread_and_unix_sockets_are_not() -> None:
    proc = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = dict(line.split(" ", 1) for line in proc.stdout.splitlines())
    assert lines == {"problem": "None", "inet": "denied", "thread": "denied", "unix": "opened"}
