"""Crops to the model's input tensor, in numpy and OpenCV, exactly as the manifest says.

The same function is used by the kiosk, the build checks and the training script, so a model
is always fed the way it was measured.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from kiosk.classify.manifest import Manifest

_INTERP = {
    "area": cv2.INTER_AREA,
    "linear": cv2.INTER_LINEAR,
    "cubic": cv2.INTER_CUBIC,
    "nearest": cv2.INTER_NEAREST,
}


def as_rgb_uint8(crop: np.ndarray, index: int = 0) -> np.ndarray:
    """Check one crop: HxWx3 (or HxW grey, or HxWx4) uint8 with at least one pixel."""
    if not isinstance(crop, np.ndarray):
        raise ValueError(f"crop {index}: expected a numpy array, got {type(crop).__name__}")
    if crop.dtype != np.uint8:
        raise ValueError(f"crop {index}: expected uint8 pixels, got {crop.dtype}")
    if crop.ndim == 2:
        crop = crop[:, :, None].repeat(3, axis=2)
    elif crop.ndim == 3 and crop.shape[2] == 4:
        crop = crop[:, :, :3]
    elif crop.ndim == 3 and crop.shape[2] == 1:
        crop = crop.repeat(3, axis=2)
    if crop.ndim != 3 or crop.shape[2] != 3:
        raise ValueError(f"crop {index}: expected HxWx3 RGB, got shape {crop.shape}")
    if crop.shape[0] < 1 or crop.shape[1] < 1:
        raise ValueError(f"crop {index}: empty ({crop.shape[1]}x{crop.shape[0]} px)")
    return crop


def resize_crop(crop: np.ndarray, manifest: Manifest) -> np.ndarray:
    """One RGB uint8 crop of any size to the input (h, w), as uint8."""
    out_h, out_w = manifest.input_size
    h, w = crop.shape[:2]
    r = manifest.resize
    if r.method == "stretch":
        interp = _INTERP[r.interpolation_down if h * w >= out_h * out_w else r.interpolation_up]
        return cv2.resize(crop, (out_w, out_h), interpolation=interp)
    # short side -> input / crop_fraction, keep aspect, then cut the centre
    scale = max(out_h / h, out_w / w) / r.crop_fraction
    new_w = max(out_w, int(round(w * scale)))
    new_h = max(out_h, int(round(h * scale)))
    interp = _INTERP[r.interpolation_down if scale < 1.0 else r.interpolation_up]
    resized = cv2.resize(np.ascontiguousarray(crop), (new_w, new_h), interpolation=interp)
    y0 = (new_h - out_h) // 2
    x0 = (new_w - out_w) // 2
    return resized[y0:y0 + out_h, x0:x0 + out_w]


def preprocess(crops: Sequence[np.ndarray], manifest: Manifest) -> np.ndarray:
    """RGB uint8 crops -> float32 (N, 3, H, W), normalised as the manifest says."""
    out_h, out_w = manifest.input_size
    batch = np.empty((len(crops), 3, out_h, out_w), np.float32)
    mean = np.asarray(manifest.mean, np.float32)
    inv_std = 1.0 / np.asarray(manifest.std, np.float32)
    for i, crop in enumerate(crops):
        square = resize_crop(as_rgb_uint8(crop, i), manifest)
        if manifest.colour_order == "BGR":
            square = square[:, :, ::-1]
        x = (square.astype(np.float32) - mean) * inv_std
        batch[i] = x.transpose(2, 0, 1)
    return batch
