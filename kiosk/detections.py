"""Face detections as one small value type (boxes and scores as arrays), after `supervision`,
and what the detection stage hands to the display: a frame's detections (`FrameAnalysis`) and
the frame they were computed on (`Detected`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kiosk.sources.base import Frame
from kiosk.views import Box


@dataclass(frozen=True)
class Detections:
    """N faces: `xyxy` float32 (N, 4) in source pixels and `confidence` float32 (N,)."""

    xyxy: np.ndarray
    confidence: np.ndarray

    @classmethod
    def empty(cls) -> Detections:
        return cls(np.zeros((0, 4), np.float32), np.zeros((0,), np.float32))

    def __len__(self) -> int:
        return int(self.xyxy.shape[0])

    def boxes(self) -> list[Box]:
        return [Box(*map(float, row)) for row in self.xyxy]

    def filter(self, mask: np.ndarray) -> Detections:
        return Detections(self.xyxy[mask], self.confidence[mask])

    def top(self, n: int) -> Detections:
        """The `n` most confident detections."""
        order = np.argsort(-self.confidence, kind="stable")[:n]
        return Detections(self.xyxy[order], self.confidence[order])


@dataclass(frozen=True)
class FrameAnalysis:
    """Detection of one frame, done on the detection thread (kiosk/detect/loop.py) or inline;
    faults travel as values so the display thread reports them (metrics are single-threaded)."""

    detections: Detections
    detect_s: float | None
    error: BaseException | None = None
    held: bool = False  # not looked at: the last frame's faces, while newcomers wait for labels


@dataclass(frozen=True)
class Detected:
    """One detection result and the frame it was computed on (its index, time and image:
    the tracker compensates for the frames that have been drawn since)."""

    frame: Frame
    analysis: FrameAnalysis
