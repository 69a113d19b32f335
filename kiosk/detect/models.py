"""The MediaPipe face detectors every pass runs, and their answers read back in frame pixels.

Each pass hands a model a region of the frame (the whole frame, a tile, a square), so every
box comes back in that region's pixels; one place turns them into frame pixels, so the
passes agree on where a face is and which ones are too small to keep.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kiosk.mediapipe_import import BaseOptions, mp, vision

if TYPE_CHECKING:
    from mediapipe.tasks.python.components.containers import Detection

Row = tuple[float, float, float, float]  # a face's box in frame pixels: x0, y0, x1, y1
Found = tuple[Row, float]  # a box and its detection score


class DetectorError(Exception):
    """The face model is missing or unusable; names the file."""


def require_model(path: Path | str) -> None:
    """Fail with the file's name before MediaPipe fails with a less helpful message."""
    if not Path(path).is_file():
        raise DetectorError(f"{path}: face detection model not found")


def open_detector(path: Path | str, mode: vision.RunningMode,
                  min_confidence: float) -> vision.FaceDetector:
    """A MediaPipe FaceDetector: VIDEO mode for the near pass (the same place frame after
    frame, strictly increasing timestamps), IMAGE mode for squares (each call somewhere else)."""
    options = vision.FaceDetectorOptions(
        base_options=BaseOptions(model_asset_path=str(path)),
        running_mode=mode,
        min_detection_confidence=min_confidence,
    )
    try:
        return vision.FaceDetector.create_from_options(options)
    except Exception as exc:  # MediaPipe raises RuntimeError/ValueError on a bad model
        raise DetectorError(f"{path}: not a usable face detection model ({exc})") from exc


def as_image(pixels: np.ndarray) -> mp.Image:
    """RGB uint8 pixels as MediaPipe's image (which needs them contiguous)."""
    return mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(pixels))


def score_of(det: Detection) -> float:
    return det.categories[0].score if det.categories else 0.0


def in_frame(det: Detection, x0: float, y0: float, scale: float) -> Row:
    """A MediaPipe detection's box in frame pixels, from a region at (x0, y0) scaled by
    `scale` (region pixels per frame pixel); not clipped to the frame."""
    bb = det.bounding_box
    bx0, by0 = x0 + bb.origin_x / scale, y0 + bb.origin_y / scale
    return bx0, by0, bx0 + bb.width / scale, by0 + bb.height / scale


def faces_in_frame(detections: list[Detection], x0: float, y0: float, scale: float,
                   width: int, height: int, min_face_px: int) -> list[Found]:
    """The detections of a region at (x0, y0) in frame pixels, clipped to the `width` x
    `height` frame; those narrower or shorter than `min_face_px` there are left out."""
    found: list[Found] = []
    for det in detections:
        bx0, by0, bx1, by1 = in_frame(det, x0, y0, scale)
        bx0, by0 = max(0.0, bx0), max(0.0, by0)
        bx1, by1 = min(float(width), bx1), min(float(height), by1)
        if bx1 - bx0 < min_face_px or by1 - by0 < min_face_px:
            continue
        found.append(((bx0, by0, bx1, by1), score_of(det)))
    return found
