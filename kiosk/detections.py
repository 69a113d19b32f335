"""Face detections as one small value type (boxes and scores as arrays), after `supervision`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kiosk.scene import Box


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
