"""Confirmation: every new face looked at again by the short-range model, and shown once
seen long enough.

The full-range model boxes a patch of texture every few dozen squares, and the short-range
model a few times per 1000 frames, so every new face is looked at again by the short-range
model on a square ~3.3 faces wide around it (where it is reliable), and gets a box once
confirmed in `confirm_frames` frames running (one frame, 33 ms, later). A face of last frame
that no pass found again is confirmed around where it was (`follow_faces`), so a distant
face once found is kept every frame for one short-range run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kiosk.config import DetectorConfig
from kiosk.detect.dedupe import same_face
from kiosk.detect.models import Found, Row, as_image, in_frame, open_detector, score_of
from kiosk.detect.pyramid import Pyramid
from kiosk.detections import Detections
from kiosk.mediapipe_import import vision
from kiosk.views import Box

CONFIRM_INPUT_PX = 128  # the short-range model's input
CONFIRM_FACE_FRACTION = 0.3  # a face is confirmed in a square ~3.3 faces wide, where the
# short-range model finds real faces (20-50% of its input) almost always and little else


class Streaks:
    """The faces confirmed last frame and in how many frames running each was confirmed."""

    def __init__(self) -> None:
        self._streaks: list[tuple[Box, int]] = []

    def clear(self) -> None:
        self._streaks = []

    def boxes(self) -> list[Box]:
        return [box for box, _ in self._streaks]

    def shown(self, needed: int) -> list[Box]:
        """Last frame's faces confirmed in at least `needed` frames running (those boxed)."""
        return [box for box, n in self._streaks if n >= needed]

    def seen_long_enough(self, confirmed: Detections, needed: int) -> Detections:
        """The faces confirmed in `needed` frames running: a texture the short-range model
        takes for a face once (a few times per 1000 frames) never gets a box."""
        streaks = []
        for box in confirmed.boxes():
            before = [n for old, n in self._streaks if same_face(box, old)]
            streaks.append(min(needed, 1 + max(before, default=0)))
        self._streaks = list(zip(confirmed.boxes(), streaks, strict=True))
        return confirmed.filter(np.asarray(streaks, int) >= needed)


class Confirmer:
    """The short-range model in IMAGE mode, on a square around each candidate face."""

    def __init__(self, model_path: Path, config: DetectorConfig) -> None:
        self._config = config
        self._confirmer = open_detector(model_path, vision.RunningMode.IMAGE,
                                        config.confirm_min_confidence)

    def confirmed(self, pyramid: Pyramid, candidates: list[Found],
                  streaks: Streaks) -> list[Found]:
        """Faces shown last frame and found again where they were, as found; last frame's
        faces that no pass found again (`follow_faces`) and new candidates, most confident
        first, as the short-range model finds them on a square around them."""
        kept: list[Found] = []

        def known(box: Box) -> bool:
            return any(same_face(box, Box(*row)) for row, _ in kept)

        def keep(row: Row, score: float) -> None:
            if not known(Box(*row)):
                kept.append((row, score))

        def confirm(box: Box) -> None:
            if not known(box):
                found = self.confirm(pyramid, box)
                if found is not None:
                    keep(*found)

        order = np.argsort(-np.asarray([score for _, score in candidates], np.float32),
                           kind="stable")
        ranked = [(candidates[i][0], float(candidates[i][1])) for i in order]
        previous = streaks.boxes()
        shown = streaks.shown(self._config.confirm_frames)
        # a face shown last frame and found again where it was needs no second look
        fresh = []
        for row, score in ranked:
            if any(Box(*row).iou(p) > 0.3 for p in shown):
                keep(row, score)
            else:
                fresh.append(Box(*row))
        if self._config.follow_faces:
            for box in previous:
                confirm(box)
        for box in fresh[:2 * self._config.max_faces]:
            confirm(box)
        return kept

    def confirm(self, pyramid: Pyramid, box: Box) -> Found | None:
        """The short-range model on a square about 3.3 faces wide around `box`: the face
        nearest its centre, in frame pixels, or None."""
        h, w = pyramid.shape[:2]
        side = int(min(max(box.width, box.height) / CONFIRM_FACE_FRACTION, w, h))
        side = max(side, min(w, h, 32))
        cx, cy = box.center
        x0 = int(np.clip(cx - side / 2, 0, w - side))
        y0 = int(np.clip(cy - side / 2, 0, h - side))
        crop = pyramid.region(x0, y0, side, side, CONFIRM_INPUT_PX)
        scale = crop.shape[1] / float(side)
        result = self._confirmer.detect(as_image(crop))
        best = None
        best_distance = float("inf")
        for det in result.detections:
            bx0, by0, bx1, by1 = in_frame(det, x0, y0, scale)
            distance = np.hypot((bx0 + bx1) / 2 - cx, (by0 + by1) / 2 - cy)
            if distance > max(box.width, box.height) or distance >= best_distance:
                continue
            if min(bx1 - bx0, by1 - by0) < self._config.min_face_px:
                continue
            best_distance = distance
            row = (max(0.0, bx0), max(0.0, by0), min(float(w), bx1), min(float(h), by1))
            best = (row, score_of(det))
        return best

    def close(self) -> None:
        self._confirmer.close()
