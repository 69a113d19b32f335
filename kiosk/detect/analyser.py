"""The detection side of the frame path: one frame in, its faces out, as a value.

Owned by one thread: the detection thread (kiosk/detect/loop.py) in the kiosk, or the display
thread where there is no such thread (tests, benchmarks, the doctor's self-test). Nothing else
reads its state; the display side (kiosk/pipeline.py) gets each result as a `FrameAnalysis`.
Two flags cross from the display side, both `threading.Event`s set by it and only read here
and by the detector: a newcomer is waiting for a label (look at fewer frames), and the search
for distant faces should pause (kiosk/detect/search.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np

from kiosk.detections import Detections, FrameAnalysis
from kiosk.sources.base import Frame

DetectFn = Callable[[np.ndarray, float], Detections]


class FrameAnalyser:
    """Detects faces in a frame; never raises: a fault comes back in the analysis, with no
    faces. While newcomers wait for their labels (`labels_waiting`), only one frame in
    `every_while_labelling` is looked at: the others carry the last faces (`held`: the boxes
    follow their faces meanwhile)."""

    def __init__(self, detect: DetectFn, *, every_while_labelling: int,
                 labels_waiting: threading.Event) -> None:
        self._detect = detect
        self._every = every_while_labelling
        self._labels_waiting = labels_waiting
        self._held = 0  # frames skipped in a row, the last faces held
        self._last_found = Detections.empty()  # the last detection's faces

    def analyse(self, frame: Frame) -> FrameAnalysis:
        """Faces in `frame`, detected at the frame's own time (MediaPipe's VIDEO mode needs
        increasing timestamps; the detector makes them strictly so). `detect_s` is the real
        work's duration: it is measured on the real clock (time.perf_counter), the one place
        on the detection side that reads a clock."""
        if self._held < self._every - 1 and self._labels_waiting.is_set():
            self._held += 1
            return FrameAnalysis(self._last_found, None, held=True)
        self._held = 0
        image = frame.image
        started = time.perf_counter()
        try:
            if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
                raise ValueError(f"frame of shape {image.shape} and dtype {image.dtype}")
            found = self._detect(image, frame.timestamp)
        except Exception as exc:
            self._last_found = Detections.empty()
            return FrameAnalysis(Detections.empty(), None, exc)
        self._last_found = found
        return FrameAnalysis(found, time.perf_counter() - started)
