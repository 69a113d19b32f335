"""Regions of a frame at a model's input size, cut from a pyramid of exact halvings."""

from __future__ import annotations

import cv2
import numpy as np


class Pyramid:
    """A frame and its halvings, made when first needed: any region is brought to a model's
    input size by an exact 2x area reduction (cheap) and then a bilinear step of less than
    2x, instead of one area resize by an odd factor (2 ms for a 640-px square)."""

    def __init__(self, image: np.ndarray) -> None:
        self.levels = [image]
        self.shape = image.shape

    @property
    def frame(self) -> np.ndarray:
        """The frame itself, at full size."""
        return self.levels[0]

    def region(self, x0: int, y0: int, width: int, height: int, out_w: int) -> np.ndarray:
        """Pixels [x0, x0+width) x [y0, y0+height) at `out_w` wide (or as they are when
        narrower)."""
        level = 0
        while width >> (level + 1) >= out_w:
            level += 1
        while len(self.levels) <= level:
            prev = self.levels[-1]
            self.levels.append(cv2.resize(prev, (prev.shape[1] // 2, prev.shape[0] // 2),
                                          interpolation=cv2.INTER_AREA))
        f = 1 << level
        crop = self.levels[level][y0 // f:(y0 + height) // f, x0 // f:(x0 + width) // f]
        if width <= out_w:
            return np.ascontiguousarray(crop)
        out_h = max(1, round(height * out_w / width))
        return cv2.resize(crop, (out_w, out_h), interpolation=cv2.INTER_LINEAR)
