"""What KioskApp needs of the objects it is handed, as Protocols.

The face detector (kiosk.detect.FaceDetector) and the service objects, each optional (None:
that service is off): kiosk.service.notify.Notifier, kiosk.service.metrics.Metrics,
kiosk.service.health.Health, kiosk.screen_capture.Capture and
kiosk.classify.calibration.SiteCalibration. A test may hand any object with these members.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from kiosk.detections import Detections


class FaceFinder(Protocol):
    """The face detector: the detection thread calls `detect` on the newest frame."""

    # set while a newcomer waits for a label: the search for distant faces yields the CPU
    search_paused: threading.Event

    def detect(self, image: np.ndarray, timestamp: float) -> Detections: ...

    def close(self) -> None: ...


class ServiceNotifier(Protocol):
    """systemd's notify socket: READY once the first frame is on screen, watchdog pings."""

    def ready(self, status: str | None = None) -> bool: ...

    def status(self, text: str) -> bool: ...

    def watchdog(self) -> bool: ...

    def stopping(self) -> bool: ...


class KioskMetrics(Protocol):
    """Counts and times every component's work and faults (logged, health, Prometheus)."""

    def record_frame(self, seconds: float) -> None: ...

    def record_detection(self, seconds: float) -> None: ...

    def record_classification(self, seconds: float, crops: int) -> None: ...

    def record_error(self, component: str, exc: BaseException) -> None: ...

    def record_success(self, component: str) -> None: ...

    def set_faces(self, n: int) -> None: ...

    def watch_first_labels(self, window: Callable[[], Iterable[float]]) -> None: ...

    def watch_camera(self, mode: Callable[[], dict[str, Any] | None]) -> None: ...

    def maybe_log(self, now: float | None = None) -> bool: ...

    def snapshot(self) -> dict[str, Any]: ...


class HealthFile(Protocol):
    """The health file (and Prometheus textfile) written from the metrics now and then."""

    def maybe_write(self, metrics: Any, now: float | None = None) -> bool: ...

    def remove(self) -> None: ...


class ScreenCapture(Protocol):
    """Saves the screen as drawn, when an installer has turned capture on."""

    def maybe_save(self, image: Any, now: float, force: bool = False) -> Path | None: ...


class Calibration(Protocol):
    """The room's statistics: a visitor's mean scores in, a fixed-size file out."""

    count: int

    def add_visitor(self, scores: Any) -> None: ...

    def save(self) -> bool: ...
