"""systemd readiness and watchdog notifications (sd_notify), a no-op outside systemd.

Why not a library: `systemd-python` needs libsystemd headers and a compiler to install, and
`sdnotify` (last release 2017) neither reads WATCHDOG_USEC nor rate-limits, so both would
still need the code below around them. The protocol itself is small, stable and documented
in sd_notify(3): one AF_UNIX datagram of newline-separated KEY=VALUE assignments sent to the
socket named by $NOTIFY_SOCKET, where a leading '@' names an abstract-namespace socket.
Sending is best effort: a lost notification must never take the gallery loop down.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)


class Notifier:
    """Tells systemd (Type=notify, WatchdogSec=) that the kiosk is ready and still alive.

    Call `ready()` once the first frame is on screen, `watchdog()` once per loop iteration
    (pings are rate-limited to half of WatchdogSec, so calling it every frame is cheap), and
    `stopping()` on exit. Without NOTIFY_SOCKET every method does nothing and returns False.
    A hung loop stops calling `watchdog()`, so systemd kills and restarts the service.
    """

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        env = os.environ if environ is None else environ
        self._clock = clock
        self._address = self._parse_address(env.get("NOTIFY_SOCKET", ""))
        self._interval = self._parse_watchdog(env)
        # The unit starts the compositor (cage), which starts the kiosk: systemd's main process
        # is then our parent. READY=1 hands the main PID over to the kiosk (NotifyAccess=all),
        # so that the watchdog and the service's life follow the loop, not the compositor.
        self._take_main_pid = bool(self._interval) and env.get("WATCHDOG_PID") == str(
            os.getppid())
        self._last_ping: float | None = None
        self._sock: socket.socket | None = None
        self._warned = False

    @staticmethod
    def _parse_address(raw: str) -> str | bytes | None:
        if not raw:
            return None
        if raw.startswith("@"):
            return b"\0" + raw[1:].encode()  # abstract namespace
        if raw.startswith("/"):
            return raw
        log.warning("NOTIFY_SOCKET=%r is neither a path nor @abstract; notifications off", raw)
        return None

    @staticmethod
    def _parse_watchdog(env: Mapping[str, str]) -> float | None:
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        if not usec:
            return None
        if pid and pid not in (str(os.getpid()), str(os.getppid())):
            return None  # meant for another process; our parent is the compositor (see below)
        try:
            value = int(usec)
        except ValueError:
            return None
        return value / 1e6 / 2.0 if value > 0 else None

    @property
    def enabled(self) -> bool:
        """True when running under systemd with a notification socket."""
        return self._address is not None

    def watchdog_interval_s(self) -> float | None:
        """Seconds between watchdog pings (half of WATCHDOG_USEC), or None without a watchdog."""
        return self._interval

    def send(self, message: str) -> bool:
        """Send one raw notification (newline-separated KEY=VALUE lines); False if not sent."""
        if self._address is None:
            return False
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self._sock.sendto(message.encode(), self._address)
            return True
        except OSError as exc:
            if not self._warned:
                log.warning("sd_notify to %r failed: %s", self._address, exc)
                self._warned = True
            return False

    def ready(self, status: str | None = None) -> bool:
        """READY=1: start-up finished (first frame shown); systemd's watchdog starts now."""
        self._last_ping = self._clock()
        msg = "READY=1" + (f"\nMAINPID={os.getpid()}" if self._take_main_pid else "")
        msg += f"\nSTATUS={status}" if status else ""
        return self.send(msg)

    def watchdog(self) -> bool:
        """WATCHDOG=1 when half of WatchdogSec has passed since the last ping; True if sent."""
        if self._address is None or self._interval is None:
            return False
        now = self._clock()
        if self._last_ping is not None and now - self._last_ping < self._interval:
            return False
        self._last_ping = now
        return self.send("WATCHDOG=1")

    def status(self, text: str) -> bool:
        """STATUS=…: one line shown by `systemctl status roulette-kiosk`."""
        return self.send("STATUS=" + text.replace("\n", " "))

    def extend_timeout(self, seconds: float) -> bool:
        """EXTEND_TIMEOUT_USEC: ask for more start-up time (a slow model load)."""
        return self.send(f"EXTEND_TIMEOUT_USEC={int(seconds * 1e6)}")

    def stopping(self) -> bool:
        """STOPPING=1: a clean shutdown has begun."""
        return self.send("STOPPING=1")

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
