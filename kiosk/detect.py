"""Face detection with MediaPipe Tasks' FaceDetector in VIDEO mode.

Frames are downscaled to `max_width` first: the BlazeFace models look at 128x128 or
192x192 inputs anyway, so detecting on a 640-wide copy costs nothing in recall and keeps
detection to a few milliseconds on the display thread.

The short-range model letterboxes a 16:9 frame into 128x128, so a visitor's face must fill
about a tenth of the frame width to be found (closer than ~1.2 m with a 70-degree camera).
For wide frames it therefore looks at overlapping square tiles, one detector per tile (VIDEO
mode keeps per-stream state), and merges the results: faces about half that size are found.

Distant visitors (faces of 30-60 px at 1280x720, ~3 m away) are below what any pass over the
whole frame can see, and searching the whole frame at full resolution every frame would cost
~6 detector runs. So with `search_tile_px` set, each frame also searches one (or a few)
full-resolution tiles in turn with the full-range model, and searches around every face it
found last frame: a distant face is found within one sweep (a few frames) and is then
followed every frame at the cost of one small detector run per distant face.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from kiosk.config import DetectorConfig, KioskConfig
from kiosk.detections import Detections
from kiosk.mediapipe_import import BaseOptions, mp, vision
from kiosk.scene import Box

SEARCH_INPUT_PX = 192  # the full-range model's input: larger squares are downscaled to it
FOLLOW_FACES_WIDE = 4.0  # a followed face is searched in a square this many faces wide...
FOLLOW_MIN_PX = 160  # ...but no smaller than this


def _grid(width: int, height: int, side: int) -> list[tuple[int, int, int]]:
    """Overlapping squares of `side` covering the frame (a quarter overlap, so a face on
    one tile's edge lies whole in the next)."""
    def starts(extent: int) -> list[int]:
        if extent <= side:
            return [0]
        count = int(np.ceil((extent - side) / (0.75 * side))) + 1
        return [round(i * (extent - side) / (count - 1)) for i in range(count)]
    return [(x, y, side) for y in starts(height) for x in starts(width)]


def _suppress_duplicates(found: Detections, iou: float = 0.3) -> Detections:
    """One box per face where overlapping tiles both saw it (non-maximum suppression)."""
    if len(found) < 2:
        return found
    xywh = [[float(x0), float(y0), float(x1 - x0), float(y1 - y0)] for x0, y0, x1, y1 in found.xyxy]
    keep = cv2.dnn.NMSBoxes(xywh, found.confidence.tolist(), 0.0, iou)
    mask = np.zeros(len(found), bool)
    mask[np.asarray(keep, int).reshape(-1)] = True
    return found.filter(mask)


class DetectorError(Exception):
    """The face model is missing or unusable; names the file."""


class FaceDetector:
    """MediaPipe's FaceDetector over RGB frames; call `close()` (or use `with`)."""

    def __init__(self, model_path: Path, config: DetectorConfig,
                 search_model_path: Path | None = None) -> None:
        model_path = Path(model_path)
        if not model_path.is_file():
            raise DetectorError(f"{model_path}: face detection model not found")
        self._config = config
        options = vision.FaceDetectorOptions(
            base_options=BaseOptions(model_asset_path=str(model_path)),
            running_mode=vision.RunningMode.VIDEO,
            min_detection_confidence=config.min_confidence,
        )
        self._options = options
        self._detectors: list[vision.FaceDetector] = [self._create()]
        self._last_ts_ms = -1
        self.model_path = model_path
        self.tiled = model_path.name.startswith("face_detection_short_range")
        self._searcher: vision.FaceDetector | None = None
        if config.search_tile_px > 0:
            self._searcher = self._create_searcher(search_model_path or model_path)
        self._tile_cursor = 0
        self._previous = Detections.empty()

    def _create(self) -> vision.FaceDetector:
        try:
            return vision.FaceDetector.create_from_options(self._options)
        except Exception as exc:  # MediaPipe raises RuntimeError/ValueError on a bad model
            raise DetectorError(
                f"{self._options.base_options.model_asset_path}: "
                f"not a usable face detection model ({exc})"
            ) from exc

    def _create_searcher(self, path: Path) -> vision.FaceDetector:
        """One IMAGE-mode detector for tiles and follow-ups (each call is a different place)."""
        if not Path(path).is_file():
            raise DetectorError(f"{path}: face detection model not found")
        options = vision.FaceDetectorOptions(
            base_options=BaseOptions(model_asset_path=str(path)),
            running_mode=vision.RunningMode.IMAGE,
            min_detection_confidence=self._config.search_min_confidence,
        )
        try:
            return vision.FaceDetector.create_from_options(options)
        except Exception as exc:
            raise DetectorError(f"{path}: not a usable face detection model ({exc})") from exc

    @classmethod
    def from_config(cls, config: KioskConfig) -> FaceDetector:
        det = config.detector
        path = det.short_range_path if det.model == "short_range" else det.full_range_path
        return cls(config.resolve(path), det, config.resolve(det.full_range_path))

    def detect(self, image: np.ndarray, timestamp_s: float) -> Detections:
        """Faces in an RGB uint8 frame, boxes in that frame's pixels, most confident first."""
        h, w = image.shape[:2]
        scale = min(1.0, self._config.max_width / float(w))
        small = image
        if scale < 1.0:
            small = cv2.resize(image, (max(1, int(w * scale)), max(1, int(h * scale))),
                               interpolation=cv2.INTER_AREA)
        # VIDEO mode needs strictly increasing timestamps, whatever the caller's clock does.
        ts_ms = max(int(timestamp_s * 1000.0), self._last_ts_ms + 1)
        self._last_ts_ms = ts_ms
        rows: list[tuple[float, float, float, float]] = []
        scores: list[float] = []
        for index, x_offset in enumerate(self._tile_offsets(small.shape[1], small.shape[0])):
            side = min(small.shape[:2]) if x_offset is not None else small.shape[1]
            tile = small if x_offset is None else small[:, x_offset:x_offset + side]
            while len(self._detectors) <= index:
                self._detectors.append(self._create())
            result = self._detectors[index].detect_for_video(
                mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(tile)), ts_ms
            )
            for det in result.detections:
                bb = det.bounding_box
                x0 = (bb.origin_x + (x_offset or 0)) / scale
                y0 = bb.origin_y / scale
                x1, y1 = x0 + bb.width / scale, y0 + bb.height / scale
                x0, y0 = max(0.0, x0), max(0.0, y0)
                x1, y1 = min(float(w), x1), min(float(h), y1)
                if x1 - x0 < self._config.min_face_px or y1 - y0 < self._config.min_face_px:
                    continue
                rows.append((x0, y0, x1, y1))
                scores.append(det.categories[0].score if det.categories else 0.0)
        if self._searcher is not None:
            full_pass = [Box(*r) for r in rows]
            for x0, y0, side in self._search_regions(w, h, full_pass):
                self._search(image, x0, y0, side, rows, scores)
        if not rows:
            self._previous = Detections.empty()
            return self._previous
        found = Detections(np.asarray(rows, np.float32), np.asarray(scores, np.float32))
        self._previous = _suppress_duplicates(found).top(self._config.max_faces)
        return self._previous

    def _search_regions(self, width: int, height: int,
                        found_now: list[Box]) -> list[tuple[int, int, int]]:
        """This frame's squares (x0, y0, side): the next tiles in turn, and last frame's
        faces that the pass over the whole frame did not find again."""
        side = min(self._config.search_tile_px, width, height)
        tiles = _grid(width, height, side)
        regions = []
        for _ in range(min(self._config.search_tiles_per_frame, len(tiles))):
            self._tile_cursor = (self._tile_cursor + 1) % len(tiles)
            regions.append(tiles[self._tile_cursor])
        if self._config.follow_faces:
            for box in self._previous.boxes():
                if any(box.iou(now) > 0.3 for now in found_now):
                    continue
                around = int(min(max(FOLLOW_MIN_PX, FOLLOW_FACES_WIDE * box.width), width, height))
                cx, cy = box.center
                x0 = int(np.clip(cx - around / 2, 0, width - around))
                y0 = int(np.clip(cy - around / 2, 0, height - around))
                regions.append((x0, y0, around))
        return regions

    def _search(self, image: np.ndarray, x0: int, y0: int, side: int,
                rows: list[tuple[float, float, float, float]], scores: list[float]) -> None:
        """Run the searcher on one square of the source frame; add what it finds."""
        assert self._searcher is not None
        crop = image[y0:y0 + side, x0:x0 + side]
        scale = min(1.0, SEARCH_INPUT_PX / float(side))
        if scale < 1.0:
            size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
            crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        else:
            crop = np.ascontiguousarray(crop)
        result = self._searcher.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=crop))
        for det in result.detections:
            bb = det.bounding_box
            bx0, by0 = x0 + bb.origin_x / scale, y0 + bb.origin_y / scale
            bx1, by1 = bx0 + bb.width / scale, by0 + bb.height / scale
            bx0, by0 = max(0.0, bx0), max(0.0, by0)
            bx1 = min(float(image.shape[1]), bx1)
            by1 = min(float(image.shape[0]), by1)
            if bx1 - bx0 < self._config.min_face_px or by1 - by0 < self._config.min_face_px:
                continue
            rows.append((bx0, by0, bx1, by1))
            scores.append(det.categories[0].score if det.categories else 0.0)

    def _tile_offsets(self, width: int, height: int) -> list[int | None]:
        """x offsets of square tiles covering a wide frame; [None] means the whole frame."""
        if not self.tiled or width < 1.25 * height:
            return [None]
        count = int(np.ceil(width / height)) + (1 if width % height else 0)
        count = max(2, min(count, 4))
        return [round(i * (width - height) / (count - 1)) for i in range(count)]

    def close(self) -> None:
        for detector in self._detectors:
            detector.close()
        self._detectors.clear()
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None

    def __enter__(self) -> FaceDetector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
