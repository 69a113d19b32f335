"""sd_notify and the watchdog contract, against real AF_UNIX datagram sockets this test binds.

A real systemd test (a hung loop killed and restarted by PID 1) cannot run here: the test
machines have no systemd as PID 1. What is proved in-process is systemd's side of the
contract: READY=1 arrives, WATCHDOG=1 pings arrive at WATCHDOG_USEC/2 while the loop runs,
and none arrive once the loop stops calling (hangs), which is what makes systemd kill it.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest
from conftest import FakeClock

from kiosk.service.notify import Notifier


@pytest.fixture()
def notify_socket(tmp_path: Path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = tmp_path / "notify.sock"
    sock.bind(str(path))
    sock.settimeout(2.0)
    yield sock, str(path)
    sock.close()


def _drain(sock: socket.socket) -> list[str]:
    out = []
    sock.setblocking(False)
    try:
        while True:
            out.append(sock.recv(4096).decode())
    except BlockingIOError:
        pass
    finally:
        sock.setblocking(True)
    return out


def test_noop_without_notify_socket() -> None:
    n = Notifier(environ={})
    assert not n.enabled
    assert n.watchdog_interval_s() is None
    assert (n.ready(), n.watchdog(), n.status("x"), n.stopping()) == (False,) * 4


def test_messages_reach_the_socket(notify_socket) -> None:
    sock, path = notify_socket
    n = Notifier(environ={"NOTIFY_SOCKET": path})
    assert n.ready("first frame shown")
    assert sock.recv(4096).decode() == "READY=1\nSTATUS=first frame shown"
    assert n.status("running\nfine")
    assert sock.recv(4096).decode() == "STATUS=running fine"
    assert n.extend_timeout(30)
    assert sock.recv(4096).decode() == "EXTEND_TIMEOUT_USEC=30000000"
    assert n.stopping()
    assert sock.recv(4096).decode() == "STOPPING=1"
    assert not n.watchdog()  # no WATCHDOG_USEC: no watchdog
    n.close()


def test_abstract_namespace_socket() -> None:
    name = f"roulette-kiosk-test-{uuid.uuid4().hex}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(2.0)
    try:
        n = Notifier(environ={"NOTIFY_SOCKET": "@" + name})
        assert n.ready()
        assert sock.recv(4096) == b"READY=1"
    finally:
        sock.close()


def test_watchdog_interval_is_half_of_watchdog_usec() -> None:
    env = {"NOTIFY_SOCKET": "/nonexistent", "WATCHDOG_USEC": "20000000"}
    assert Notifier(environ=env).watchdog_interval_s() == 10.0
    other_pid = dict(env, WATCHDOG_PID=str(os.getpid() + 1))
    assert Notifier(environ=other_pid).watchdog_interval_s() is None
    assert Notifier(environ=dict(env, WATCHDOG_PID=str(os.getpid()))).watchdog_interval_s() == 10
    assert Notifier(environ=dict(env, WATCHDOG_USEC="junk")).watchdog_interval_s() is None


def test_send_failure_is_not_raised(tmp_path: Path) -> None:
    n = Notifier(environ={"NOTIFY_SOCKET": str(tmp_path / "gone.sock")})
    assert n.enabled and n.ready() is False  # nobody listening: logged once, no exception


def test_pings_are_rate_limited_to_the_interval(notify_socket) -> None:
    sock, path = notify_socket
    clock = FakeClock(1000.0)
    n = Notifier(environ={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000"}, clock=clock)
    n.ready()
    _drain(sock)
    sent = []
    for _ in range(300):  # 10 s of a 30 fps loop calling watchdog() every frame
        clock.t += 1 / 30
        sent.append(n.watchdog())
    pings = [m for m in _drain(sock) if m == "WATCHDOG=1"]
    assert sum(sent) == len(pings)
    assert 9 <= len(pings) <= 10  # one per second (WatchdogSec=2 s -> every 1 s)


def test_watchdog_contract_with_a_loop_that_hangs(notify_socket) -> None:
    """Real time, real socket: pings while the loop runs, none after it hangs."""
    sock, path = notify_socket
    n = Notifier(environ={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"})  # 0.4 s
    assert n.watchdog_interval_s() == pytest.approx(0.2)
    received: list[tuple[float, str]] = []
    stop = threading.Event()

    def listen() -> None:
        sock.settimeout(0.05)
        while not stop.is_set():
            try:
                received.append((time.monotonic(), sock.recv(4096).decode()))
            except TimeoutError:
                continue

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    n.ready()
    start = time.monotonic()
    while time.monotonic() - start < 1.6:  # the loop runs at ~100 fps for 1.6 s
        n.watchdog()
        time.sleep(0.01)
    hung_at = time.monotonic()
    time.sleep(1.0)  # the loop hangs: 2.5 watchdog periods without a call
    stop.set()
    listener.join(timeout=2)
    pings = [t for t, m in received if m == "WATCHDOG=1"]
    assert received[0][1] == "READY=1"
    assert 5 <= len(pings) <= 9  # ~every 0.2 s for 1.6 s
    gaps = [b - a for a, b in zip(pings, pings[1:], strict=False)]
    assert max(gaps) < 0.4  # never a gap systemd (WatchdogSec=0.4 s) would act on
    assert not [t for t in pings if t > hung_at + 0.02]  # silence once the loop hangs


def test_under_the_compositor_ready_hands_the_main_pid_to_the_kiosk() -> None:
    """The unit's main process is cage, our parent: its WATCHDOG_PID is accepted, and READY=1
    carries MAINPID so that systemd watches (and restarts with) the loop itself."""
    name = f"kiosk-test-{uuid.uuid4().hex}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    try:
        env = {"NOTIFY_SOCKET": "@" + name, "WATCHDOG_USEC": "20000000",
               "WATCHDOG_PID": str(os.getppid())}
        n = Notifier(environ=env)
        assert n.watchdog_interval_s() == 10.0
        assert n.ready()
        assert sock.recv(4096) == f"READY=1\nMAINPID={os.getpid()}".encode()
        own = Notifier(environ=dict(env, WATCHDOG_PID=str(os.getpid())))
        assert own.ready() and sock.recv(4096) == b"READY=1"  # already the main process
    finally:
        sock.close()
