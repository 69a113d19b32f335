"""The near pass: the short-range model over the whole (downscaled) frame, or tiles of it.

The short-range model sees a 128x128 input and finds faces that fill 20-50% of it almost
always, and little else; faces under ~13% of its input it misses. So one pass over the whole
frame (downscaled to `max_width`) finds only near visitors (faces over ~250 px at 1280x720,
~390 px at 1920x1080); with the search on, every other frame this pass looks at one square
tile as tall as the frame instead, in turn (faces of ~145-360 px at 720p, ~220-540 px at
1080p, which the search squares are too small for).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from kiosk.config import DetectorConfig
from kiosk.detect.models import Found, as_image, faces_in_frame, open_detector
from kiosk.detect.pyramid import Pyramid
from kiosk.mediapipe_import import vision


def height_tiles(width: int, height: int) -> list[int]:
    """x offsets of square tiles as tall as a wide frame, covering it; none for a frame
    too close to square to need them."""
    if width < 1.25 * height:
        return []
    count = int(np.ceil(width / height)) + (1 if width % height else 0)
    count = max(2, min(count, 4))
    return [round(i * (width - height) / (count - 1)) for i in range(count)]


class NearPass:
    """The short-range model in VIDEO mode: one detector per region looked at in a frame,
    since the regions of a frame share its timestamp and VIDEO mode wants a later one each call.

    `alternate` (the search is on): the whole frame on odd calls, one tall tile in turn on
    even ones; otherwise every tall tile each frame when `tiled`, else the whole frame."""

    def __init__(self, model_path: Path, config: DetectorConfig, *, tiled: bool,
                 alternate: bool) -> None:
        self._model_path = model_path
        self._config = config
        self._tiled = tiled
        self._alternate = alternate
        self._detectors: list[vision.FaceDetector] = [self._open()]
        self._calls = 0
        self.last_timestamp_ms = -1

    def _open(self) -> vision.FaceDetector:
        return open_detector(self._model_path, vision.RunningMode.VIDEO,
                             self._config.min_confidence)

    def run(self, pyramid: Pyramid, timestamp_s: float, sweep_all: bool) -> list[Found]:
        """This frame's near faces in frame pixels; `sweep_all` (a still) looks at the whole
        frame and every tile at once."""
        h, w = pyramid.shape[:2]
        small, scale = self._downscaled(pyramid)
        # VIDEO mode needs strictly increasing timestamps, whatever the caller's clock does.
        ts_ms = max(int(timestamp_s * 1000.0), self.last_timestamp_ms + 1)
        self.last_timestamp_ms = ts_ms
        if self._alternate:
            offsets = self._alternating_offsets(small.shape[1], small.shape[0], sweep_all)
        else:
            offsets = self._tile_offsets(small.shape[1], small.shape[0])
        found: list[Found] = []
        for index, x_offset in enumerate(offsets):
            side = min(small.shape[:2])
            tile = small if x_offset is None else small[:, x_offset:x_offset + side]
            while len(self._detectors) <= index:
                self._detectors.append(self._open())
            result = self._detectors[index].detect_for_video(as_image(tile), ts_ms)
            found += faces_in_frame(result.detections, (x_offset or 0) / scale, 0.0, scale,
                                    w, h, self._config.min_face_px)
        return found

    def _downscaled(self, pyramid: Pyramid) -> tuple[np.ndarray, float]:
        """The frame at most `max_width` wide, and its pixels per frame pixel: from the
        pyramid when the search shares it, by one area resize otherwise."""
        image = pyramid.frame
        h, w = image.shape[:2]
        scale = min(1.0, self._config.max_width / float(w))
        if scale < 1.0 and self._alternate:
            small = pyramid.region(0, 0, w, h, max(1, int(w * scale)))
            return small, small.shape[1] / float(w)
        if scale < 1.0:
            size = (max(1, int(w * scale)), max(1, int(h * scale)))
            return cv2.resize(image, size, interpolation=cv2.INTER_AREA), scale
        return image, scale

    def _alternating_offsets(self, width: int, height: int, sweep_all: bool) -> list[int | None]:
        """The whole frame on odd calls, one square tile as tall as the frame (in turn) on
        even ones. The model sees the whole frame letterboxed into 128 px, so at 1920x1080 a
        300 px face is ~20 px there, too small, and too large for the search squares; in a
        tile it is ~36 px (faces of ~220-540 px at 1080p, ~145-360 px at 720p). Stills get
        the whole frame and every tile."""
        tiles = height_tiles(width, height)
        if sweep_all or not tiles:
            return [None, *tiles]
        self._calls += 1
        if self._calls % 2 == 1:
            return [None]
        return [tiles[(self._calls // 2) % len(tiles)]]

    def _tile_offsets(self, width: int, height: int) -> list[int | None]:
        """x offsets of square tiles covering a wide frame; [None] means the whole frame."""
        tiles = height_tiles(width, height) if self._tiled else []
        return list(tiles) if tiles else [None]

    def close(self) -> None:
        for detector in self._detectors:
            detector.close()
        self._detectors.clear()
