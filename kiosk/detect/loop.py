"""Face detection on its own thread, always on the freshest camera frame.

Why: when detection ran on the reader thread, a camera frame reached the screen only once the
detector had looked at it, so on a slow 2-core host the picture's rate was the detector's,
and label work (which takes the CPU detection needs) made the picture stutter. Now the reader
only decodes; every frame is drawn at once; this thread detects on the newest frame whenever
it is free (a frame that arrives while it is busy is skipped, never queued), and the display
applies each result when it comes, the tracker carrying the boxes along with the faces in
between (kiosk/track.py `follow`). Detection's rate is whatever the CPU allows: the metrics
line and `kiosk doctor` say what it is.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from kiosk.detections import Detected, FrameAnalysis
from kiosk.sources.base import Frame

log = logging.getLogger(__name__)

__all__ = ["Detected", "DetectionLoop"]


class DetectionLoop:
    """`submit(frame)` from the reader (newest wins), `take()` from the display (the newest
    result not yet taken, or None). `analyse` must not raise (FrameAnalyser's does not); this
    thread owns the object it belongs to."""

    def __init__(self, analyse: Callable[[Frame], FrameAnalysis],
                 skip: Callable[[FrameAnalysis], bool] = lambda analysis: False) -> None:
        self._analyse = analyse
        self._skip = skip  # a result that is not news (a held frame): not published
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._frame: Frame | None = None
        self._result: Detected | None = None
        self._stop = False
        self.skipped_frames = 0  # frames replaced by a newer one before detection got to them
        self.restarts = 0
        self._thread: threading.Thread | None = None
        self.ensure_running()

    def ensure_running(self) -> None:
        """Start (or restart) the thread; the display calls this every frame, cheaply."""
        if self._thread is not None and self._thread.is_alive():
            return
        if self._thread is not None:
            self.restarts += 1
            log.error("detection thread had stopped; restarting it")
        self._thread = threading.Thread(target=self._run, name="face-detection", daemon=True)
        self._thread.start()

    def submit(self, frame: Frame) -> None:
        with self._wake:
            if self._frame is not None:
                self.skipped_frames += 1
            self._frame = frame
            self._wake.notify()

    def take(self) -> Detected | None:
        with self._lock:
            result, self._result = self._result, None
            return result

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._frame is None and not self._stop:
                    self._wake.wait(0.5)
                if self._stop:
                    return
                frame, self._frame = self._frame, None
            try:
                analysis = self._analyse(frame)
            except Exception:  # a detector fault costs one frame's boxes, never the thread
                log.exception("face detection failed on frame %d", frame.index)
                continue
            if self._skip(analysis):
                continue
            with self._lock:
                self._result = Detected(frame, analysis)

    def close(self) -> None:
        with self._wake:
            self._stop = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
