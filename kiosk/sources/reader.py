"""Reads a source on its own thread so the display never waits on a camera.

The display asks for the latest frame and gets it at once; a stalled, unplugged or slow
source only means the same frame (or none) is offered again. Each frame read is handed on to
`submit` (the detection thread, kiosk/detect/loop.py), which never holds the reader: the
picture's rate is the camera's, not the detector's. Non-live sources (video files, stills,
the demo) are paced to their nominal frame rate, as a camera would be.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from kiosk.sources.base import Frame, FrameSource, validate_image

log = logging.getLogger(__name__)


class FrameReader:
    """Holds the newest frame from `source`; `threaded=False` reads on demand (tests, bench).

    Each frame is stamped with `clock`, the kiosk's clock (KioskApp's): a frame's time, and how
    long the source has been silent (`seconds_since_frame`, which decides the camera-unavailable
    screen), are on the same clock as the frame logic's `now`. Pacing a file to its frame rate
    is real waiting, on the real clock."""

    def __init__(self, source: FrameSource, *, threaded: bool = True,
                 clock: Callable[[], float] = time.monotonic,
                 on_frame: Callable[[], None] | None = None,
                 submit: Callable[[Frame], None] | None = None,
                 on_error: Callable[[BaseException], None] | None = None,
                 on_success: Callable[[], None] | None = None) -> None:
        self.source = source
        self._threaded = threaded
        self._clock = clock
        self._on_frame = on_frame  # threaded: wakes the display, to draw a frame once it is read
        self._submit = submit  # hands each frame to the detection thread (newest wins)
        self._lock = threading.Lock()
        self._latest: Frame | None = None
        self._index = 0
        self._last_frame_at: float | None = None
        self.errors = 0
        self.bad_frames = 0
        # read faults and corrupt frames go to the metrics ("source"), which log them without
        # flooding; a good frame after them ends the streak
        self._on_error = on_error
        self._on_success = on_success
        self._failed = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if threaded:
            self._thread = threading.Thread(target=self._run, name="frame-reader", daemon=True)
            self._thread.start()

    def _read_once(self) -> Frame | None:
        try:
            raw = self.source.read()
        except Exception as exc:  # a driver or decoder fault must not end the kiosk
            self.errors += 1
            self._fail(exc, "reading from %s failed")
            return None
        if raw is None:
            return None
        image = validate_image(raw)
        if image is None:
            self.bad_frames += 1
            shape = getattr(raw, "shape", None)
            self._fail(ValueError(f"corrupt frame dropped (shape {shape})"),
                       "dropped a corrupt frame from %s")
            return None
        if self._failed:
            self._failed = False
            if self._on_success is not None:
                self._on_success()
        self._index += 1
        now = self._clock()
        frame = Frame(self._index, image, now)
        with self._lock:
            self._latest = frame
            self._last_frame_at = now
        if self._submit is not None:
            self._submit(frame)
        return frame

    def _fail(self, exc: BaseException, message: str) -> None:
        self._failed = True
        if self._on_error is not None:
            self._on_error(exc)
        else:
            log.warning(message, self.source.name, exc_info=exc)

    def _run(self) -> None:
        interval = 1.0 / max(1.0, self.source.fps)
        next_at = time.monotonic()
        while not self._stop.is_set():
            if self._read_once() is not None and self._on_frame is not None:
                self._on_frame()
            if not self.source.live:
                next_at += interval
                delay = next_at - time.monotonic()
                if delay > 0:
                    self._stop.wait(delay)
                else:
                    next_at = time.monotonic()

    def latest(self) -> Frame | None:
        """The newest frame (read now when not threaded)."""
        if not self._threaded:
            self._read_once()
        with self._lock:
            return self._latest

    def seconds_since_frame(self) -> float:
        with self._lock:
            last = self._last_frame_at
        return float("inf") if last is None else self._clock() - last

    @property
    def reading(self) -> bool:
        """The reader's thread is running (False when unthreaded, or once closed)."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def available(self) -> bool:
        return self.source.available

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        self.source.close()
