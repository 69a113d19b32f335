"""The real faces the label benchmark and the head's prior are measured on.

Shared by scripts/eval_labels.py (evaluation) and scripts/build_person_head.py (the prior over
face crops), so both agree on which faces are reference and which are held out.

Sources, all shipped by packages the kiosk already installs (or Debian's opencv-doc):
- skimage.data.lfw_subset(): 200 greyscale 25x25 images, of which the FIRST 100 ARE FACES and
  the last 100 are non-face patches; only the 100 faces are used, upscaled to 200 px, as RGB.
  Faces with an even index (50) are the REFERENCE set for the prior; odd ones are held out.
- Larger photos, faces found by the kiosk's own MediaPipe detector: skimage astronaut and
  camera man, matplotlib's grace_hopper.jpg, and (when installed) opencv-doc's messi5.jpg,
  basketball1.png, basketball2.png. Missing optional photos are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from kiosk.scene import Box

LFW_SIDE = 200
OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")


@dataclass(frozen=True)
class Face:
    name: str  # e.g. "lfw#07" or "astronaut#1"
    image: np.ndarray  # RGB uint8, the whole photo
    box: Box  # the face box (as the detector would give it)
    reference: bool  # used to fit the head's prior (never count these as held out)


def lfw_faces(padding: float) -> list[Face]:
    """The 100 real faces of lfw_subset, upscaled; the box is chosen so that the kiosk's
    padding around it covers the whole (already face-centred) image."""
    from skimage import data

    faces = data.lfw_subset()[:100]
    side = LFW_SIDE / (1.0 + 2.0 * padding)
    lo, hi = (LFW_SIDE - side) / 2, (LFW_SIDE + side) / 2
    out = []
    for i, grey in enumerate(faces):
        up = cv2.resize((grey * 255).round().astype(np.uint8), (LFW_SIDE, LFW_SIDE),
                        interpolation=cv2.INTER_CUBIC)
        out.append(Face(f"lfw#{i:02d}", np.ascontiguousarray(np.stack([up] * 3, axis=-1)),
                        Box(lo, lo, hi, hi), reference=i % 2 == 0))
    return out


def photos() -> dict[str, np.ndarray]:
    """Larger real photos of people, RGB uint8; optional ones only when installed."""
    import matplotlib.cbook
    from skimage import data

    found = {"astronaut": data.astronaut(),
             "camera": np.stack([data.camera()] * 3, axis=-1)}
    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
        buf = np.frombuffer(f.read(), np.uint8)
    found["grace_hopper"] = cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    for name in ("messi5.jpg", "basketball1.png", "basketball2.png"):
        path = OPENCV_DATA / name
        if path.is_file():
            found[Path(name).stem] = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    return found


def photo_faces(config) -> list[Face]:  # noqa: ANN001 - KioskConfig
    """Every face the kiosk's detector finds in photos(), in a fixed order."""
    from kiosk.detect import FaceDetector

    out = []
    # the pass over the whole frame alone (no search and confirmation), so the face set and
    # its boxes stay the ones eval_labels has always scored
    plain = config.model_copy(
        update={"detector": config.detector.model_copy(update={"search_tile_px": 0})})
    with FaceDetector.from_config(plain) as detector:
        for t, (name, image) in enumerate(photos().items()):
            boxes = detector.detect(image, float(t + 1)).boxes()
            boxes = sorted(boxes, key=lambda b: (b.x0, b.y0))
            out.extend(Face(f"{name}#{i + 1}", image, b, reference=False)
                       for i, b in enumerate(boxes))
    return out


def all_faces(config, limit: int | None = None) -> list[Face]:  # noqa: ANN001
    """Photo faces first (they go in the README table), then lfw; `limit` keeps the first N."""
    faces = photo_faces(config) + lfw_faces(config.classifier.crop_padding)
    return faces if limit is None else faces[:limit]


def jittered_boxes(box: Box, count: int, seed: int, centre: float = 0.05,
                   scale: float = 0.05) -> list[Box]:
    """`count` boxes with the centre moved by up to ±centre of the box size and the size
    scaled by up to ±scale (uniform, fixed seed)."""
    rng = np.random.default_rng(seed)
    out = []
    (cx, cy), w, h = box.center, box.width, box.height
    for _ in range(count):
        dx, dy = rng.uniform(-centre, centre, 2)
        s = 1.0 + rng.uniform(-scale, scale)
        nx, ny = cx + dx * w, cy + dy * h
        out.append(Box(nx - s * w / 2, ny - s * h / 2, nx + s * w / 2, ny + s * h / 2))
    return out
