"""What moved since last frame, so that the search looks where visitors are first.

Visitors move, walls do not: a square where something changed is searched before one that
has merely waited, so a newcomer is found in a frame or two while a still scene is swept in
turn. Motion is measured on a small thumbnail taken from the frame's pyramid (cheap).
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

from kiosk.detect.pyramid import Pyramid
from kiosk.views import Box

MOTION_LEVEL = 6  # a thumbnail pixel changed by more than this (of 255) counts as motion
MOTION_THUMB = 4  # motion is measured on a thumbnail 1/this of the frame's width; at 1/8 and
# 10 levels a distant visitor's sway (a 40 px face moving 1-3 px) went unseen


class MotionMeter:
    """The pixels of the last thumbnail, and an integral image of where this one changed."""

    def __init__(self) -> None:
        self._thumb: np.ndarray | None = None
        self._moved: np.ndarray | None = None

    def note(self, pyramid: Pyramid, faces: Iterable[Box]) -> None:
        """What changed since last frame, on a thumbnail (1/MOTION_THUMB size), leaving out
        `faces` (faces already found need no search)."""
        thumb = pyramid.region(0, 0, pyramid.shape[1], pyramid.shape[0],
                               max(1, pyramid.shape[1] // MOTION_THUMB))
        grey = cv2.cvtColor(thumb, cv2.COLOR_RGB2GRAY)
        last, self._thumb = self._thumb, grey
        if last is None or last.shape != grey.shape:
            self._moved = None
            return
        changed = (cv2.absdiff(grey, last) > MOTION_LEVEL).astype(np.uint8)
        fx = grey.shape[1] / float(pyramid.shape[1])
        for box in faces:
            changed[int(box.y0 * fx):int(box.y1 * fx) + 1,
                    int(box.x0 * fx):int(box.x1 * fx) + 1] = 0
        self._moved = cv2.integral(changed)

    def share_moved(self, x0: int, y0: int, side: int) -> float:
        """The share (0-1) of the square at (x0, y0) that moved; 0 before two frames are seen."""
        if self._moved is None:
            return 0.0
        a, b = x0 // MOTION_THUMB, y0 // MOTION_THUMB
        c = min(self._moved.shape[1] - 1, (x0 + side) // MOTION_THUMB)
        d = min(self._moved.shape[0] - 1, (y0 + side) // MOTION_THUMB)
        area = max(1, (c - a) * (d - b))
        m = self._moved
        return float(m[d, c] - m[b, c] - m[d, a] + m[b, a]) / area
