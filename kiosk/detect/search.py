"""The search for distant visitors: the full-range model on squares, a few a frame.

The full-range model (192x192 input, faces of 8-40% of it) looks at squares of a fixed size
in source pixels whatever the resolution (`search_tile_px` 256: faces of ~21-105 px; and
coarse squares 1.5x wider: ~32-155 px), `search_tiles_per_frame` squares a frame, alternately
coarse and fine. Squares are taken in order of how long ago they were searched, weighted by
how much of each moved since last frame (`search_motion_weight`): visitors move, walls do
not, so a newcomer is found in a frame or two; a still scene is swept in turn. What it finds
is only a candidate: the short-range model confirms it (confirm.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kiosk.config import DetectorConfig
from kiosk.detect.models import Found, as_image, faces_in_frame, open_detector
from kiosk.detect.motion import MotionMeter
from kiosk.detect.pyramid import Pyramid
from kiosk.mediapipe_import import vision

SEARCH_INPUT_PX = 192  # the full-range model's input: larger squares are downscaled to it
COARSE_STRIDE = 0.75  # coarse squares at most this many sides apart (a quarter overlap)
LARGE_TILE_FACTOR = 1.5  # the coarse search level's squares are this many fine squares wide

Square = tuple[int, int, int]  # x0, y0, side in frame pixels


def grid(width: int, height: int, side: int, stride: float = 0.75) -> list[Square]:
    """Overlapping squares of `side` covering the frame, at most `stride` sides apart (a
    quarter overlap, so a face on one tile's edge lies whole in the next)."""
    def starts(extent: int) -> list[int]:
        if extent <= side:
            return [0]
        count = int(np.ceil((extent - side) / (stride * side))) + 1
        return [round(i * (extent - side) / (count - 1)) for i in range(count)]
    return [(x, y, side) for y in starts(height) for x in starts(width)]


class SquareSearch:
    """The full-range model in IMAGE mode, and which squares are due this frame."""

    def __init__(self, model_path: Path, config: DetectorConfig) -> None:
        self._config = config
        self._searcher = open_detector(model_path, vision.RunningMode.IMAGE,
                                       config.search_min_confidence)
        self._frame_no = 0
        self.squares_taken = 0  # live squares chosen so far (stills' sweeps not counted)
        self._fine_cursor = 0
        self._coarse_cursor = 0
        self._searched_at: dict[Square, int] = {}

    def next_frame(self) -> None:
        """A frame has begun (searched or not): every square is now a frame older."""
        self._frame_no += 1

    def squares(self, width: int, height: int, motion: MotionMeter,
                sweep_all: bool) -> list[Square]:
        """This frame's squares: alternately the next coarse square (faces of ~32-155 px) and
        the next fine one (faces of ~21-105 px), in turn across frames; `sweep_all` (a
        still): every square at once."""
        side = min(self._config.search_tile_px, width, height)
        fine = grid(width, height, side)
        large = int(min(LARGE_TILE_FACTOR * self._config.search_tile_px, width, height))
        coarse = grid(width, height, large, COARSE_STRIDE) if large > side else []
        if sweep_all:
            return coarse + fine
        squares = []
        for _ in range(self._config.search_tiles_per_frame):
            self.squares_taken += 1
            level = coarse if coarse and self.squares_taken % 2 == 1 else fine
            if self._config.search_motion_weight > 0:
                squares.append(self._most_due(level, motion))
            elif level is coarse:
                self._coarse_cursor = (self._coarse_cursor + 1) % len(coarse)
                squares.append(coarse[self._coarse_cursor])
            else:
                self._fine_cursor = (self._fine_cursor + 1) % len(fine)
                squares.append(fine[self._fine_cursor])
        return squares

    def _most_due(self, level: list[Square], motion: MotionMeter) -> Square:
        """The square of `level` searched longest ago, weighted by how much moved in it."""
        best, best_score = level[0], -1.0
        for square in level:
            age = self._frame_no - self._searched_at.get(square, -10_000)
            moved = motion.share_moved(*square)
            score = age * (1.0 + self._config.search_motion_weight * moved)
            if score > best_score:
                best, best_score = square, score
        self._searched_at[best] = self._frame_no
        return best

    def look(self, pyramid: Pyramid, square: Square) -> list[Found]:
        """The faces the full-range model finds on one square, in frame pixels."""
        x0, y0, side = square
        crop = pyramid.region(x0, y0, side, side, SEARCH_INPUT_PX)
        scale = crop.shape[1] / float(side)
        result = self._searcher.detect(as_image(crop))
        return faces_in_frame(result.detections, x0, y0, scale, pyramid.shape[1],
                              pyramid.shape[0], self._config.min_face_px)

    def close(self) -> None:
        self._searcher.close()
