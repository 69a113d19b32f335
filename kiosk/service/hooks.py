"""What the service sees of the display loop, in one place.

Every component's faults and successes are counted (Metrics: the health file, Prometheus);
systemd is told READY once the first frame is on screen and its watchdog is fed while frames
are drawn; the health file is written now and then; the room's calibration is saved every
`calibration.save_interval_s` on a thread of its own (the calibration saver: a write and an
fsync must never hold the display). Each service is optional: None turns it off.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from kiosk.collaborators import Calibration, HealthFile, KioskMetrics, ServiceNotifier
from kiosk.config import KioskConfig

log = logging.getLogger(__name__)

# fault injection's wrapper (kiosk/service/faults.py `Faults.wrap`), or none
Inject = Callable[[str, Callable[..., Any]], Callable[..., Any]]


class ServiceHooks:
    """Counts faults, tells systemd, writes the health file, saves the room's calibration."""

    def __init__(self, config: KioskConfig, *, notifier: ServiceNotifier | None,
                 metrics: KioskMetrics | None, health: HealthFile | None,
                 calibration: Calibration | None, inject: Inject) -> None:
        self.config = config
        self.notifier = notifier
        self.metrics = metrics
        self.health = health
        self.calibration = calibration  # the room's statistics (kiosk/classify/calibration.py)
        self.last_classify_ms: float | None = None
        self._failing: set[str] = set()
        self._calibration_saved_at = time.monotonic()
        self._calibration_saver: threading.Thread | None = None
        self._save_calibration_file = inject("calibration",
                                             calibration.save if calibration else lambda: False)

    # -- what the pipeline, the worker, the reader and the renderer call --------------
    def on_error(self, component: str, exc: BaseException) -> None:
        """Every component's failures land here (and in Metrics: health, Prometheus)."""
        if self.metrics is not None:
            self.metrics.record_error(component, exc)
        elif component not in self._failing:  # no metrics (tests, tools): once a streak
            self._failing.add(component)
            log.warning("%s failed (the display goes on)", component, exc_info=exc)

    def on_success(self, component: str) -> None:
        if self.metrics is not None:
            self.metrics.record_success(component)
        self._failing.discard(component)

    def on_batch(self, seconds: float, crops: int, error: BaseException | None) -> None:
        self.last_classify_ms = seconds * 1000.0
        if self.metrics is None:
            return
        if error is None:
            self.metrics.record_classification(seconds, crops)
            self.metrics.record_success("classify")
        else:
            self.metrics.record_error("classify", error)

    # -- once a frame is on screen ------------------------------------------------------
    def frame_shown(self, now: float, frame_time: float, *, first: bool, detect_s: float | None,
                    faces: int, render_failures_in_row: int, source_name: str) -> None:
        """A frame is on screen (`first`: the first of this run: READY only once one is)."""
        if first and self.notifier is not None:
            self.notifier.ready()
            self.notifier.status(f"running: {source_name}")
        if self.notifier is not None:
            self._feed_watchdog(render_failures_in_row)
        if self.metrics is not None:
            self.metrics.record_frame(frame_time)
            if detect_s is not None:
                self.metrics.record_detection(detect_s)
            self.metrics.set_faces(faces)
            self.metrics.maybe_log(now)
            if self.health is not None:
                self.health.maybe_write(self.metrics)
        self._maybe_save_calibration(now)

    def _feed_watchdog(self, render_failures_in_row: int) -> None:
        """Ping systemd's watchdog, unless the screen has been black (every draw failing) for
        service.watchdog_render_failures frames: then systemd restarts the kiosk."""
        limit = self.config.service.watchdog_render_failures
        if render_failures_in_row < limit:
            self.notifier.watchdog()
        elif render_failures_in_row == limit:
            log.error("drawing failed %d frames in a row: watchdog pings stop, so systemd "
                      "restarts the kiosk", limit)

    def _maybe_save_calibration(self, now: float) -> None:
        """Every calibration.save_interval_s, on a thread of its own (a write and an fsync
        must never hold the display); the file appears only from 20 visitors on."""
        cal = self.calibration
        interval = self.config.calibration.save_interval_s
        if cal is None or now - self._calibration_saved_at < interval:
            return
        if self._calibration_saver is not None and self._calibration_saver.is_alive():
            return
        self._calibration_saved_at = now
        self._calibration_saver = threading.Thread(target=self.save_calibration,
                                                   name="calibration-save", daemon=True)
        self._calibration_saver.start()

    def save_calibration(self) -> None:
        """Save the room's calibration now (a fault is counted, and retried at the next save)."""
        if self.calibration is None:
            return
        try:
            if self._save_calibration_file():
                log.info("calibration saved: %d visitors", self.calibration.count)
        except OSError as exc:  # a read-only or full state folder: counted, retried later
            self.on_error("calibration", exc)
        else:
            self.on_success("calibration")

    # -- stopping -------------------------------------------------------------------------
    def stopping(self) -> None:
        """A clean stop has begun: systemd told, the health file removed."""
        if self.notifier is not None:
            self.notifier.stopping()
        if self.health is not None:
            self.health.remove()

    def close(self) -> None:
        """The last calibration save, after any under way."""
        if self._calibration_saver is not None:
            self._calibration_saver.join(timeout=5.0)
        self.save_calibration()
