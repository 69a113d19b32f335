"""Face detection with MediaPipe Tasks' FaceDetector in VIDEO mode.

Frames are downscaled to `max_width` first: the BlazeFace models look at 128x128 or
192x192 inputs anyway, so detecting on a 640-wide copy costs nothing in recall and keeps
detection to a few milliseconds on the display thread.

The short-range model letterboxes a 16:9 frame into 128x128, so a visitor's face must fill
about a tenth of the frame width to be found (closer than ~1.2 m with a 70-degree camera).
For wide frames it therefore looks at overlapping square tiles, one detector per tile (VIDEO
mode keeps per-stream state), and merges the results: faces about half that size are found.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from kiosk.config import DetectorConfig, KioskConfig
from kiosk.detections import Detections
from kiosk.mediapipe_import import BaseOptions, mp, vision


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

    def __init__(self, model_path: Path, config: DetectorConfig) -> None:
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

    def _create(self) -> vision.FaceDetector:
        try:
            return vision.FaceDetector.create_from_options(self._options)
        except Exception as exc:  # MediaPipe raises RuntimeError/ValueError on a bad model
            raise DetectorError(
                f"{self._options.base_options.model_asset_path}: "
                f"not a usable face detection model ({exc})"
            ) from exc

    @classmethod
    def from_config(cls, config: KioskConfig) -> FaceDetector:
        det = config.detector
        path = det.short_range_path if det.model == "short_range" else det.full_range_path
        return cls(config.resolve(path), det)

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
        if not rows:
            return Detections.empty()
        found = Detections(np.asarray(rows, np.float32), np.asarray(scores, np.float32))
        return _suppress_duplicates(found).top(self._config.max_faces)

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

    def __enter__(self) -> FaceDetector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
