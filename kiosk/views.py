"""Value types passed down the pipeline: what the renderer is told to draw, nothing more
(`FrameView`, `FaceView`, `SpinView`), and the `Box` and `Label` they carry.

They are frozen so the display thread can hold one while a worker builds the next.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in source-frame pixels (x0, y0 inclusive; x1, y1 exclusive)."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def center(self) -> tuple[float, float]:
        return ((self.x0 + self.x1) / 2.0, (self.y0 + self.y1) / 2.0)

    def iou(self, other: Box) -> float:
        ix = max(0.0, min(self.x1, other.x1) - max(self.x0, other.x0))
        iy = max(0.0, min(self.y1, other.y1) - max(self.y0, other.y0))
        inter = ix * iy
        union = self.width * self.height + other.width * other.height - inter
        return inter / union if union > 0 else 0.0

    def padded(self, fraction: float, frame_w: int, frame_h: int) -> Box:
        """Grow by `fraction` of the larger side on every side, as a square-ish crop, clipped."""
        side = max(self.width, self.height) * (1.0 + 2.0 * fraction)
        cx, cy = self.center
        return Box(
            max(0.0, cx - side / 2), max(0.0, cy - side / 2),
            min(float(frame_w), cx + side / 2), min(float(frame_h), cy + side / 2),
        )

    def crop(self, frame: np.ndarray) -> np.ndarray:
        """The pixels under the box (a view; copy before handing to another thread)."""
        h, w = frame.shape[:2]
        x0, y0 = max(0, int(self.x0)), max(0, int(self.y0))
        x1, y1 = min(w, int(round(self.x1))), min(h, int(round(self.y1)))
        return frame[y0:y1, x0:x1]


@dataclass(frozen=True)
class Label:
    """One synset given to a face or the scene, with what the "why" panel explains."""

    wnid: str
    name: str  # display name: lemma names joined by ", ", underscores as spaces
    probability: float
    breadcrumb: tuple[str, ...]  # display names from person.n.01 down to this synset
    gloss: str = ""
    other_breadcrumbs: tuple[tuple[str, ...], ...] = ()
    topk: tuple[tuple[str, float], ...] = ()  # (display name, probability), best first
    # the ImageNet-1k classes the backbone saw in the crop(s), the real cause of the label
    evidence: tuple[tuple[str, float], ...] = ()
    # with vocabulary.language: the English display name when `name` is a translation
    # ("" when it is not), and the language `gloss` is in (WordNet's English unless the
    # translation source has a definition of its own)
    name_en: str = ""
    gloss_language: str = "en"
    # the gloss as the band shows it, worked out when the labels were built
    # (wordnet_labels/band_glosses/, kiosk/labels/band.py); "": the band cuts `gloss` itself
    gloss_band: str = ""

    @property
    def breadcrumb_text(self) -> str:
        return " > ".join(self.breadcrumb)


FrameMode = Literal["live", "idle", "camera_unavailable"]


@dataclass(frozen=True)
class SpinView:
    """A label still spinning: the face's current real top candidates (best first), how many
    of its crops are in (0..1), and when the spin began (the wheel's clock)."""

    candidates: tuple[str, ...]
    progress: float
    started_at: float


@dataclass(frozen=True)
class FaceView:
    """A tracked face: a stable id, its smoothed box and its label once the model has spoken."""

    track_id: int
    box: Box
    label: Label | None = None  # None while the label is still "spinning"
    spin: SpinView | None = None  # the wheel while it spins (None: no crop scored yet)


@dataclass(frozen=True)
class FrameView:
    """Everything one screen shows. `frame` is RGB uint8 (H, W, 3), not yet mirrored or rotated."""

    frame: np.ndarray | None
    faces: tuple[FaceView, ...] = ()
    scene_label: Label | None = None
    mode: FrameMode = "live"
    notice: str | None = None
    debug: dict[str, str] | None = field(default=None)
