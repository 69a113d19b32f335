"""Loop metrics for the log, the health file and doctor: numbers only, in fixed-size windows.

One line goes to the log every `service.metrics_interval_s`, in logfmt so it greps and parses:

    metrics fps=29.8 frame_p50_ms=12.1 frame_p95_ms=20.3 frame_p99_ms=31.0 detect_p50_ms=4.2
    detect_p99_ms=9.0 detect_hz=24.5 classify_p50_ms=35.1 classify_p99_ms=60.2
    first_label_p50_ms=812.0 crops_per_batch=1.6 faces=2
    provider=CUDAExecutionProvider rss_mb=612.3 frames=108000 uptime_s=3600
    errors=classify:3,detect:0 failing=- camera=MJPG_1280x720_29.9fps

`camera` is the camera's pixel format, size and the rate it really delivered over its first
seconds (`?fps` while measuring, `-` for a file or the demo; the health file has the details
under `camera_mode`).

`detect_hz` is how often detection ran over the last seconds (it runs beside the picture, at
whatever rate the CPU allows: a slow host shows a low rate, a fault an error count), and
`first_label_p50_ms` how long a newcomer's label takes to land: together they tell a slow host
from a fault.

Failures are logged here too, without flooding the journal at frame rate: the first failure
of a streak (with its traceback), the streak reaching `failure_alert_count` (ERROR), every
further power of two, and the recovery.

Every component that can fail reports here, and only here: source, detect, classify, label,
render, calibration, speech. A component is *failing* (health file, Prometheus, doctor) once its
streak reaches `failure_alert_count`, or once it has kept failing, without one success, for
`failing_after_s`: a save tried once a minute, or a camera gone, is failing after that long
even though its count grows slowly.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

log = logging.getLogger("kiosk.metrics")

WINDOW = 1024  # samples kept per latency window: bounded memory over months of running
# Snapshot keys the health file and Prometheus carry but the one-line log leaves out, so the
# line technicians grep stays as documented.
LOG_LINE_SKIPS = frozenset({"consecutive_failures", "last_error",
                            "first_label_p95_ms", "first_label_p99_ms", "totals", "camera_mode"})
RATE_WINDOW_S = 10.0  # detect_hz counts the detections of the last this many seconds


def _rss_mb() -> float | None:
    try:
        import psutil

        return psutil.Process().memory_info().rss / (1024 * 1024)
    except Exception:  # metrics must never break the loop
        return None


_PIXELS = re.compile(r"\[\s*\[|array\(|\\x[0-9a-f]{2}.*\\x[0-9a-f]{2}")


def describe_error(exc: BaseException) -> str:
    """`Type: message`, short, and withheld if it may quote pixel data (an array's repr)."""
    message = str(exc)
    if _PIXELS.search(message):
        message = "(message withheld: it may quote image data)"
    return f"{type(exc).__name__}: {message}"[:300]


def _camera_text(mode: dict[str, Any] | None) -> str | None:
    """'MJPG 1280x720 29.9fps' for the log line: format, size, measured rate ('?' until
    measured); None when the source is not a camera."""
    if not mode:
        return None
    rate = mode.get("measured_fps")
    return (f"{mode.get('format') or '?'} {mode.get('width')}x{mode.get('height')} "
            f"{rate if rate is not None else '?'}fps")


def _pct(values: list[float], q: float) -> float | None:
    """The q-th percentile of `values` (seconds) in milliseconds, or None when empty."""
    if not values:
        return None
    return round(float(np.percentile(np.asarray(values, dtype=float), q)) * 1000.0, 2)


class Metrics:
    """Counters and latency windows fed by the loop; `maybe_log(now)` writes the line.

    Thread-safe: the classification worker may record from its own thread.
    """

    def __init__(
        self,
        interval_s: float | Any = 60.0,
        failure_alert_count: int = 5,
        window: int = WINDOW,
        clock: Callable[[], float] = time.monotonic,
        logger: logging.Logger | None = None,
        failing_after_s: float = 10.0,
    ) -> None:
        """`Metrics(config.service)` or `Metrics(interval_s, failure_alert_count)`."""
        if hasattr(interval_s, "metrics_interval_s"):  # a ServiceConfig
            failure_alert_count = interval_s.failure_alert_count
            failing_after_s = getattr(interval_s, "failing_after_s", failing_after_s)
            interval_s = interval_s.metrics_interval_s
        self.interval_s = float(interval_s)
        self.failure_alert_count = failure_alert_count
        self.failing_after_s = float(failing_after_s)
        self._clock = clock
        self._log = logger or log
        self._start = clock()
        self._next_log = self._start + interval_s
        self._frame_s: deque[float] = deque(maxlen=window)
        self._frame_at: deque[float] = deque(maxlen=window)
        self._detect_s: deque[float] = deque(maxlen=window)
        self._detect_at: deque[float] = deque(maxlen=window)
        self._classify_s: deque[float] = deque(maxlen=window)
        self._crops: deque[int] = deque(maxlen=window)
        self._frames = 0
        self._faces = 0
        self._provider = "-"
        # running totals since start, for Prometheus summaries' _sum and _count
        self._frame_total_s = 0.0
        self._detections = 0
        self._detect_total_s = 0.0
        self._batches = 0
        self._classify_total_s = 0.0
        self._crops_total = 0
        self._first_labels: Callable[[], Iterable[float]] | None = None
        self._camera_mode: Callable[[], dict[str, Any] | None] | None = None
        self._errors: dict[str, int] = {}
        self._streak: dict[str, int] = {}
        self._last_error: dict[str, str] = {}
        # (first, last) failure of the current streak: how long a component has been failing
        self._streak_span: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, service_cfg: Any, **kwargs: Any) -> Metrics:
        """From `KioskConfig.service` (metrics_interval_s, failure_alert_count)."""
        return cls(service_cfg, **kwargs)

    # -- fed by the loop -------------------------------------------------------------------

    def record_frame(self, seconds: float) -> None:
        """One displayed frame that took `seconds` of work; fps comes from the call times."""
        now = self._clock()
        with self._lock:
            self._frames += 1
            self._frame_total_s += seconds
            self._frame_s.append(seconds)
            self._frame_at.append(now)

    def record_detection(self, seconds: float) -> None:
        with self._lock:
            self._detect_at.append(self._clock())
            self._detections += 1
            self._detect_total_s += seconds
            self._detect_s.append(seconds)

    def record_classification(self, seconds: float, crops: int) -> None:
        with self._lock:
            self._batches += 1
            self._classify_total_s += seconds
            self._crops_total += crops
            self._classify_s.append(seconds)
            self._crops.append(crops)

    def watch_first_labels(self, window: Callable[[], Iterable[float]]) -> None:
        """Where the recent first-label latencies (seconds from a face's first sighting to its
        label) are read at each snapshot: the pipeline keeps that window itself."""
        self._first_labels = window

    def watch_camera(self, mode: Callable[[], dict[str, Any] | None]) -> None:
        """Where the camera's negotiated format, size and measured rate are read at each
        snapshot (FrameSource.camera_mode; None for files and the demo)."""
        self._camera_mode = mode

    def set_faces(self, n: int) -> None:
        self._faces = n

    def set_provider(self, name: str) -> None:
        self._provider = name

    def record_error(self, component: str, exc: BaseException) -> None:
        """A failure in `component` (e.g. "source", "detect", "classify"); logged, counted."""
        now = self._clock()
        with self._lock:
            self._errors[component] = self._errors.get(component, 0) + 1
            streak = self._streak.get(component, 0) + 1
            self._streak[component] = streak
            first = self._streak_span[component][0] if streak > 1 else now
            self._streak_span[component] = (first, now)
            self._last_error[component] = describe_error(exc)
        if streak == 1:
            # the stack without the exception's own text, which describe_error vetted
            stack = "".join(traceback.format_tb(exc.__traceback__)).rstrip()
            self._log.warning(
                "%s failed: %s (the display goes on)%s",
                component,
                self._last_error[component],
                "\nTraceback (most recent call last):\n" + stack if stack else "",
            )
        elif streak == self.failure_alert_count or (
            streak > self.failure_alert_count and streak & (streak - 1) == 0
        ):
            self._log.error(
                "%s failed %d times in a row, last: %s",
                component,
                streak,
                self._last_error[component],
            )

    def record_success(self, component: str) -> None:
        """`component` worked: ends its failure streak (logged if it was one)."""
        with self._lock:
            streak = self._streak.get(component, 0)
            if streak:
                self._streak[component] = 0
                self._streak_span.pop(component, None)
        if streak:
            self._log.info("%s recovered after %d consecutive failures", component, streak)

    def consecutive_failures(self, component: str) -> int:
        return self._streak.get(component, 0)

    def failing(self) -> list[str]:
        """Components whose current failure streak reached `failure_alert_count`, or that have
        kept failing, without a success, for `failing_after_s` (first to last failure)."""
        with self._lock:
            return sorted(
                c for c, n in self._streak.items()
                if n >= self.failure_alert_count or (
                    n > 1 and c in self._streak_span
                    and self._streak_span[c][1] - self._streak_span[c][0] >= self.failing_after_s))

    def failing_for_s(self, component: str) -> float:
        """Seconds since the first failure of `component`'s current streak (0: none)."""
        with self._lock:
            span = self._streak_span.get(component)
        return self._clock() - span[0] if span is not None else 0.0

    # -- read out --------------------------------------------------------------------------

    def fps(self) -> float | None:
        """Frames per second over the window of recent frames (falls while the loop stalls)."""
        with self._lock:
            if len(self._frame_at) < 2:
                return None
            first, last, n = self._frame_at[0], self._frame_at[-1], len(self._frame_at)
        span = last - first
        # a loop that stopped producing frames drifts towards 0, not the rate it once had
        idle = self._clock() - last
        span += max(0.0, idle - span / (n - 1))
        return round((n - 1) / span, 2) if span > 0 else None

    def detect_hz(self) -> float | None:
        """Detections a second over the last RATE_WINDOW_S (None before two)."""
        now = self._clock()
        with self._lock:
            recent = [t for t in self._detect_at if now - t <= RATE_WINDOW_S]
        if len(recent) < 2:
            return None
        span = max(recent[-1] - recent[0], 1e-9)
        return round((len(recent) - 1) / span, 2)

    def snapshot(self) -> dict[str, Any]:
        """Plain numbers and names (JSON-ready): never anything derived from an image."""
        rss = _rss_mb()
        fps = self.fps()
        failing = self.failing()
        with self._lock:
            frame_s, detect_s = list(self._frame_s), list(self._detect_s)
            classify_s, crops = list(self._classify_s), list(self._crops)
            errors = dict(sorted(self._errors.items()))
            streaks = {c: n for c, n in sorted(self._streak.items()) if n}
            last_error = dict(sorted(self._last_error.items()))
            frames = self._frames
            totals = {
                "frame_seconds": round(self._frame_total_s, 6),
                "detections": self._detections,
                "detect_seconds": round(self._detect_total_s, 6),
                "batches": self._batches,
                "classify_seconds": round(self._classify_total_s, 6),
                "crops": self._crops_total,
            }
        first_s = _read(self._first_labels, lambda window: [float(s) for s in window], [])
        camera_mode = _read(self._camera_mode, lambda mode: dict(mode) if mode else None, None)
        return {
            "fps": fps,
            "frame_p50_ms": _pct(frame_s, 50),
            "frame_p95_ms": _pct(frame_s, 95),
            "frame_p99_ms": _pct(frame_s, 99),
            "detect_p50_ms": _pct(detect_s, 50),
            "detect_p99_ms": _pct(detect_s, 99),
            "detect_hz": self.detect_hz(),
            "classify_p50_ms": _pct(classify_s, 50),
            "classify_p99_ms": _pct(classify_s, 99),
            "first_label_p50_ms": _pct(first_s, 50),
            "crops_per_batch": round(sum(crops) / len(crops), 2) if crops else None,
            "faces": self._faces,
            "provider": self._provider,
            "rss_mb": round(rss, 1) if rss is not None else None,
            "frames": frames,
            "uptime_s": round(self._clock() - self._start, 1),
            "errors": errors,
            "consecutive_failures": streaks,
            "last_error": last_error,
            "failing": failing,
            "camera": _camera_text(camera_mode),
            # below: for the health file and Prometheus, not the log line (LOG_LINE_SKIPS)
            "first_label_p95_ms": _pct(first_s, 95),
            "first_label_p99_ms": _pct(first_s, 99),
            "totals": totals,
            "camera_mode": camera_mode,
        }

    def format_line(self, snap: dict[str, Any] | None = None) -> str:
        """The metrics log line: `metrics key=value ...` (the details stay in the snapshot)."""
        return _line(snap if snap is not None else self.snapshot())

    def maybe_log(self, now: float | None = None) -> bool:
        """Log the metrics line if `metrics_interval_s` has passed (monotonic `now`)."""
        now = self._clock() if now is None else now
        if now < self._next_log:
            return False
        self._next_log = now + self.interval_s
        self._log.info("%s", self.format_line())
        return True


def _read(source: Callable[[], Any] | None, convert: Callable[[Any], Any], default: Any) -> Any:
    """What a watched window or camera says now, converted; `default` if nothing is watched
    or reading it fails (metrics must never break the loop)."""
    if source is None:
        return default
    try:
        return convert(source())
    except Exception:
        return default


def _line(snap: dict[str, Any]) -> str:
    parts = ["metrics"]
    for key, value in snap.items():
        if key in LOG_LINE_SKIPS:
            continue
        if isinstance(value, dict):
            text = ",".join(f"{k}:{v}" for k, v in value.items()) or "-"
        elif isinstance(value, list):
            text = ",".join(value) or "-"
        elif value is None or (isinstance(value, float) and math.isnan(value)):
            text = "-"
        else:
            text = str(value).replace(" ", "_")
        parts.append(f"{key}={text}")
    return " ".join(parts)
