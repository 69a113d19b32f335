"""What a camera does to a face between two looks, for the label benchmark (eval_labels.py).

A still photo gives the model one crop; a kiosk camera gives it a different one every frame:
the box lands a little elsewhere, the visitor stands nearer or further, the stream is
compressed, the room's light has a colour. These functions apply such changes to a photo and
its face box, deterministically (fixed seeds), so that the benchmark can ask whether a label
survives them.
"""

from __future__ import annotations

import cv2
import numpy as np

from kiosk.views import Box

JPEG_QUALITY = 70
SHRINK = 0.6  # the same visitor further away (scale_keep)
LOOK_SCALES = (0.7, 1.0)  # a look's crops come from the photo scaled within this range
WARM = (18, 0, -12)  # RGB shifts: a fixed warm and a fixed cool light cast (light_keep)
COOL = (-12, 0, 18)


def jpeg(image: np.ndarray, quality: int = JPEG_QUALITY) -> np.ndarray:
    """The RGB image through a JPEG encoder and decoder at `quality`."""
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def shrink(image: np.ndarray, box: Box, factor: float) -> tuple[np.ndarray, Box]:
    """The photo scaled by `factor` (area interpolation, as a camera's optics would), and
    the box scaled with it."""
    h, w = image.shape[:2]
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    fx, fy = size[0] / w, size[1] / h
    return small, Box(box.x0 * fx, box.y0 * fy, box.x1 * fx, box.y1 * fy)


def cast(image: np.ndarray, shift: tuple[int, int, int]) -> np.ndarray:
    """A uniform colour cast: `shift` added to the R, G and B channels, clipped."""
    return np.clip(image.astype(np.int16) + np.array(shift, np.int16), 0, 255).astype(np.uint8)


def around(image: np.ndarray, box: Box, reach: float = 1.5) -> tuple[np.ndarray, Box]:
    """The part of the photo within `reach` face sizes of the box, and the box in it: the
    changes below then cost a face's worth of pixels, not a 1080p photo's."""
    h, w = image.shape[:2]
    region = box.padded(reach, w, h)
    x0, y0 = int(region.x0), int(region.y0)
    part = image[y0:int(round(region.y1)), x0:int(round(region.x1))]
    return part, Box(box.x0 - x0, box.y0 - y0, box.x1 - x0, box.y1 - y0)


def jitter(box: Box, rng: np.random.Generator, centre: float = 0.05,
           scale: float = 0.05) -> Box:
    """The box with its centre moved by up to ±centre of its size and its size scaled by up
    to ±scale (uniform), as scripts/bench/label_faces.py's jittered_boxes draws them."""
    (cx, cy), w, h = box.center, box.width, box.height
    dx, dy = rng.uniform(-centre, centre, 2)
    s = 1.0 + rng.uniform(-scale, scale)
    nx, ny = cx + dx * w, cy + dy * h
    return Box(nx - s * w / 2, ny - s * h / 2, nx + s * w / 2, ny + s * h / 2)


def crop(image: np.ndarray, box: Box, padding: float) -> np.ndarray:
    """The kiosk's crop: the box grown by `padding` on every side, clipped, copied."""
    h, w = image.shape[:2]
    return box.padded(padding, w, h).crop(image).copy()


def look(image: np.ndarray, box: Box, count: int, seed: int, padding: float) -> list[np.ndarray]:
    """`count` crops of one look at a face, each as a camera frame might give it: the photo
    scaled by a factor drawn from LOOK_SCALES, the box jittered, the whole JPEG-compressed."""
    rng = np.random.default_rng(seed)
    part, local = around(image, box)
    crops = []
    for _ in range(count):
        factor = rng.uniform(*LOOK_SCALES)
        small, scaled = shrink(part, local, factor)
        crops.append(crop(jpeg(small), jitter(scaled, rng), padding))
    return crops
