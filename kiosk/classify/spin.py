"""One label that lands: a visitor's label comes from the mean scores of several crops.

Why: one crop's label is fragile (the box lands a little elsewhere, the visitor leans, the
stream is compressed, and the top-1 of 2,832 synsets tips). The mean of the raw scores of
`spin.crops` crops from different frames is far steadier, so that is what a visitor gets.
While those crops arrive, the band "spins" through the model's current real top candidates
for that face (never a random word): the wait is the wheel. It lands once, when the crops are
in and the spin has lasted `spin.min_s` (or at `spin.max_s` with what it has), and does not
change until a re-spin.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kiosk.classify.labeller import CropLook
from kiosk.config import SpinConfig
from kiosk.views import Label


@dataclass
class Spin:
    """One visitor's label being worked out (one spin: a re-spin starts a new one)."""

    started_at: float
    crops: int = 0  # crops whose scores are in
    last_request_at: float | None = None
    candidates: tuple[str, ...] = ()  # the wheel: current top candidates, best first
    landed: Label | None = None
    _total: np.ndarray | None = field(default=None, repr=False)
    _imagenet: np.ndarray | None = field(default=None, repr=False)

    def add(self, look: CropLook) -> None:
        scores = np.asarray(look.scores, np.float64)
        self._total = scores.copy() if self._total is None else self._total + scores
        if look.imagenet is not None:
            img = np.asarray(look.imagenet, np.float64)
            self._imagenet = img.copy() if self._imagenet is None else self._imagenet + img
        self.crops += 1

    def mean(self) -> np.ndarray:
        """The mean raw scores of the crops so far (what the label is computed from)."""
        if self._total is None:
            raise ValueError("no crop has been scored yet")
        return self._total / self.crops

    def imagenet_mean(self) -> np.ndarray | None:
        return None if self._imagenet is None else self._imagenet / self.crops

    def wants_crop(self, now: float, plan: SpinConfig) -> bool:
        """Another crop is due: fewer than plan.crops asked, and the last one far enough back
        that the next comes from another frame."""
        if self.landed is not None or self.crops >= plan.crops:
            return False  # a crop that failed is asked again: only answers count
        return self.last_request_at is None or now - self.last_request_at >= plan.crop_interval_s

    def due(self, now: float, plan: SpinConfig) -> bool:
        """Time to land: every crop in and the designed length spun, or the longest spin
        reached with at least one crop."""
        if self.landed is not None or self.crops == 0:
            return False
        spun = now - self.started_at
        return (self.crops >= plan.crops and spun >= plan.min_s) or spun >= plan.max_s

    def progress(self, plan: SpinConfig) -> float:
        return min(1.0, self.crops / max(1, plan.crops))
