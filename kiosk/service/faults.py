"""Faults injected into the real loop, at the seams where they really happen (issue 28).

A museum day brings an unplugged camera, a USB reset, a corrupt MJPG frame, a hung driver, a
full disk, a bug that fires once an hour and an X server that restarts. This module makes each
of them happen on a schedule, so the test suite and `python -m scripts.bench.soak --faults` can
check that the kiosk recovers and that its health report tells the truth meanwhile.

Off unless asked for: nothing here is imported, wrapped or called on the normal path. A
`Faults` is handed to `KioskApp(faults=...)`, or built from `$KIOSK_FAULTS` (for the real
`kiosk run`, e.g. under strace in tests/test_privacy.py), which the systemd unit never sets:

    KIOSK_FAULTS="seed=7;seconds=60"                 a seeded random schedule over 60 s
    KIOSK_FAULTS="render@2+5;camera_gone@1+3"        kind@start_s[+duration_s]

The seams (`Faults.source`, `Faults.wrap`, `Faults.start`):

- camera_gone (the source's `read()`): no frames and `available` False for the duration;
- camera_flap (the same): gone 1 s in every 3 s for the duration;
- frame_wrong_shape, frame_zeros, frame_truncated_jpeg (the same): corrupt frames, one or all
  for the duration; the JPEG one is the frame encoded, cut short and decoded, as an MJPG
  camera's driver hands over a frame cut short on the bus;
- source_blocks (the same): the read hangs for the duration (a driver stuck in `read()`);
- detect, classify, render (the detector's `detect`, the model's `look`, the renderer's
  drawing): `InjectedFault` raised once (duration 0) or on every call for the duration;
- state_read_only, state_full (the calibration's `save`): `OSError` EROFS / ENOSPC, as the file
  system raises it when the state folder is read-only or full (the test machines run as root,
  for whom a folder's mode is no obstacle, so the error is raised rather than provoked);
- display_gone (the X connection's socket): shut down under Xlib, as when the X server dies
  (only on a real X display).
"""

from __future__ import annotations

import bisect
import errno
import logging
import os
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from kiosk.sources.base import FrameSource

log = logging.getLogger(__name__)

SOURCE_KINDS = ("camera_gone", "camera_flap", "frame_wrong_shape", "frame_zeros",
                "frame_truncated_jpeg", "source_blocks")
CALL_KINDS = ("detect", "classify", "render")
SAVE_KINDS = ("state_read_only", "state_full")
KINDS = SOURCE_KINDS + CALL_KINDS + SAVE_KINDS + ("display_gone",)
# the component (Metrics' name) each kind makes fail
COMPONENT = {**{k: "source" for k in SOURCE_KINDS}, **{k: k for k in CALL_KINDS},
             **{k: "calibration" for k in SAVE_KINDS}, "display_gone": "display"}
FLAP_PERIOD_S, FLAP_GONE_S = 3.0, 1.0
ENV = "KIOSK_FAULTS"

F = TypeVar("F", bound=Callable[..., Any])


class InjectedFault(RuntimeError):
    """Raised by an injected detect/classify/render fault."""


@dataclass(frozen=True)
class Fault:
    """One fault: `kind` from `at_s` (seconds after `Faults.start`) for `duration_s` (0: once,
    on the first call from `at_s` on)."""

    kind: str
    at_s: float
    duration_s: float = 0.0

    @property
    def end_s(self) -> float:
        return self.at_s + self.duration_s

    @property
    def component(self) -> str:
        return COMPONENT[self.kind]


def random_plan(seed: int, seconds: float, *, kinds: Sequence[str] | None = None,
                gap_s: tuple[float, float] = (2.0, 5.0), quiet_end_s: float = 8.0) -> list[Fault]:
    """A seeded schedule of faults one after another over `seconds`, each followed by a
    quiet gap (so each recovery is seen on its own), none in the last `quiet_end_s`."""
    rng = random.Random(seed)
    kinds = list(kinds or [k for k in KINDS if k != "display_gone"])
    plan: list[Fault] = []
    t = rng.uniform(*gap_s)
    while True:
        kind = rng.choice(kinds)
        if kind in CALL_KINDS:
            duration = 0.0 if rng.random() < 0.5 else rng.uniform(1.0, 4.0)
        elif kind.startswith("frame_"):
            duration = 0.0 if rng.random() < 0.5 else rng.uniform(0.5, 2.0)
        elif kind in SAVE_KINDS:
            duration = rng.uniform(2.0, 5.0)
        elif kind == "camera_flap":
            duration = rng.uniform(6.0, 9.0)
        else:
            duration = rng.uniform(1.0, 4.0)
        if t + duration > seconds - quiet_end_s:
            return plan
        plan.append(Fault(kind, round(t, 3), round(duration, 3)))
        t += duration + rng.uniform(*gap_s)


def parse_faults(text: str) -> list[Fault]:
    """`seed=N;seconds=S` (a random plan) or `kind@at[+duration];...` (ValueError if bad)."""
    items = [item.strip() for item in text.split(";") if item.strip()]
    settings = dict(item.split("=", 1) for item in items if "=" in item)
    if settings:
        unknown = set(settings) - {"seed", "seconds"}
        if unknown:
            raise ValueError(f"{ENV}: unknown setting(s) {sorted(unknown)}")
        return random_plan(int(settings.get("seed", "0")), float(settings.get("seconds", "60")))
    plan = []
    for item in items:
        kind, _, when = item.partition("@")
        at, _, duration = when.partition("+")
        if kind not in KINDS or not at:
            raise ValueError(f"{ENV}: {item!r} is not kind@start_s[+duration_s] "
                             f"(kinds: {', '.join(KINDS)})")
        plan.append(Fault(kind, float(at), float(duration or 0.0)))
    return plan


class Faults:
    """The switchboard: which fault is on now, per kind; what fired; who is failing by it.

    Thread-safe (the reader, detection, classification and display threads all ask).
    `injected` counts the faults that took effect (a once-fault whose component was never
    called did not); `failing_since(component)` is the ground truth a soak holds the health
    report to.
    """

    def __init__(self, plan: Sequence[Fault], *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.plan = sorted(plan, key=lambda f: f.at_s)
        self._clock = clock
        self._sleep = sleep
        self._by_kind: dict[str, list[Fault]] = {}
        for fault in self.plan:
            self._by_kind.setdefault(fault.kind, []).append(fault)
        self._starts = {k: [f.at_s for f in v] for k, v in self._by_kind.items()}
        self._fired: set[Fault] = set()
        self._failing: dict[str, float] = {}  # component -> when injected failures began
        self._started_at: float | None = None
        self._lock = threading.Lock()
        self._timers: list[threading.Timer] = []
        self.injected: Counter[str] = Counter()

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Faults | None:
        """From `$KIOSK_FAULTS`, or None (the normal case: no fault injection at all)."""
        text = (os.environ if environ is None else environ).get(ENV, "").strip()
        if not text:
            return None
        faults = cls(parse_faults(text))
        log.warning("fault injection ON (%s=%r): %d faults planned", ENV, text, len(faults.plan))
        return faults

    # -- time ----------------------------------------------------------------------------
    def start(self, on_display_gone: Callable[[], None] | None = None) -> None:
        """Start the schedule's clock (idempotent); display faults run on timers."""
        if self._started_at is not None:
            return
        self._started_at = self._clock()
        for fault in self._by_kind.get("display_gone", []):
            timer = threading.Timer(fault.at_s, self._display_gone, args=(fault,
                                                                        on_display_gone))
            timer.daemon = True
            timer.start()
            self._timers.append(timer)

    def elapsed(self) -> float:
        if self._started_at is None:
            self.start()
        return self._clock() - self._started_at  # type: ignore[operator]

    def active(self, kind: str) -> Fault | None:
        """The fault of `kind` in effect now (a once-fault: only at its first call)."""
        starts = self._starts.get(kind)
        if not starts:
            return None
        t = self.elapsed()
        i = bisect.bisect_right(starts, t) - 1
        if i < 0:
            return None
        fault = self._by_kind[kind][i]
        with self._lock:
            if fault.duration_s > 0:
                if t >= fault.end_s:
                    return None
            elif fault in self._fired:
                return None
            if fault not in self._fired:
                self._fired.add(fault)
                self.injected[fault.kind] += 1
        return fault

    def fired(self) -> list[Fault]:
        with self._lock:
            return sorted(self._fired, key=lambda f: f.at_s)

    # -- ground truth --------------------------------------------------------------------
    def _failed(self, component: str) -> None:
        with self._lock:
            self._failing.setdefault(component, self._clock())

    def _passed(self, component: str) -> None:
        if component in self._failing:
            with self._lock:
                self._failing.pop(component, None)

    def failing_since(self) -> dict[str, float]:
        """Components failing by an injected fault now, and since when (clock time)."""
        with self._lock:
            return dict(self._failing)

    # -- seams ---------------------------------------------------------------------------
    def source(self, inner: FrameSource) -> FrameSource:
        """`inner` with the source faults of the plan (none planned: `inner` itself)."""
        if not any(k in self._by_kind for k in SOURCE_KINDS):
            return inner
        return FaultySource(inner, self)

    def wrap(self, component: str, fn: F) -> F:
        """`fn` raising what the plan says for `component` ("detect", "classify", "render",
        "calibration"); `fn` itself when nothing is planned for it."""
        kinds = [k for k, c in COMPONENT.items() if c == component and k in self._by_kind]
        if not kinds:
            return fn

        def faulty(*args: Any, **kwargs: Any) -> Any:
            for kind in kinds:
                if self.active(kind) is not None:
                    self._failed(component)
                    if kind == "state_read_only":
                        raise OSError(errno.EROFS, "Read-only file system (injected)")
                    if kind == "state_full":
                        raise OSError(errno.ENOSPC, "No space left on device (injected)")
                    raise InjectedFault(f"injected {component} fault")
            result = fn(*args, **kwargs)
            self._passed(component)
            return result

        return faulty  # type: ignore[return-value]

    def _display_gone(self, fault: Fault, on_gone: Callable[[], None] | None) -> None:
        with self._lock:
            self._fired.add(fault)
            self.injected[fault.kind] += 1
        self._failed("display")
        (on_gone or sever_x_connection)()

    def close(self) -> None:
        for timer in self._timers:
            timer.cancel()


def sever_x_connection() -> int:
    """Shut down this process's connections to an X server under Xlib's feet: what the
    client sees when the X server dies. Returns how many were cut."""
    cut = 0
    for name in os.listdir("/proc/self/fd"):
        try:
            sock = socket.socket(fileno=os.dup(int(name)))
        except OSError:
            continue
        try:
            peer = sock.getpeername() if sock.family == socket.AF_UNIX else ""
            if isinstance(peer, bytes):
                peer = peer.decode(errors="replace")
            if ".X11-unix" in peer:
                sock.shutdown(socket.SHUT_RDWR)
                cut += 1
        except OSError:
            pass
        finally:
            sock.close()
    log.warning("injected: cut %d X connection(s)", cut)
    return cut


class FaultySource(FrameSource):
    """A source whose `read()` goes wrong when the plan says so (module docstring)."""

    def __init__(self, inner: FrameSource, faults: Faults) -> None:
        self.inner = inner
        self.faults = faults
        self.name = inner.name
        self.live = inner.live
        self._gone = False

    @property
    def fps(self) -> float:
        return self.inner.fps

    @property
    def available(self) -> bool:
        return not self._gone and self.inner.available

    def _is_gone(self) -> bool:
        if self.faults.active("camera_gone") is not None:
            return True
        flap = self.faults.active("camera_flap")
        return flap is not None and (self.faults.elapsed() - flap.at_s) % FLAP_PERIOD_S \
            < FLAP_GONE_S

    def read(self) -> np.ndarray | None:
        faults = self.faults
        blocked = faults.active("source_blocks")
        if blocked is not None:
            faults._failed("source")
            faults._sleep(max(0.0, blocked.end_s - faults.elapsed()))
        self._gone = self._is_gone()
        if self._gone:
            faults._failed("source")
            faults._sleep(0.02)  # an unplugged camera's read returns at once, and often
            return None
        image = self.inner.read()
        if image is None:
            return None
        if faults.active("frame_wrong_shape") is not None:
            return np.zeros(image.shape[:2] + (2,), np.uint8)
        if faults.active("frame_zeros") is not None:
            image = np.zeros_like(image)
        elif faults.active("frame_truncated_jpeg") is not None:
            image = truncated_jpeg(image)
        faults._passed("source")
        return image

    def close(self) -> None:
        self.inner.close()


def truncated_jpeg(image: np.ndarray, keep: float = 0.4) -> np.ndarray | None:
    """`image` as an MJPG camera's driver hands over a frame cut short on the USB bus: the JPEG
    bytes truncated and decoded (grey below the cut, or no image at all)."""
    import cv2

    ok, data = cv2.imencode(".jpg", image)
    if not ok:
        return None
    return cv2.imdecode(data[: max(2, int(len(data) * keep))], cv2.IMREAD_UNCHANGED)
