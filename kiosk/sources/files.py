"""Frames from files: a looping video (camera stand-in for tests and rehearsals) or a still."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from kiosk.sources.base import FrameSource, SourceError, validate_image


class VideoFileSource(FrameSource):
    """A video file that loops forever; `loop=False` makes it end like an unplugged camera."""

    def __init__(self, path: Path, *, loop: bool = True) -> None:
        self.path = Path(path)
        self.name = f"video {self.path.name}"
        self._loop = loop
        self._ended = False
        if not self.path.is_file():
            raise SourceError(f"{self.path}: video file not found")
        self._cap = cv2.VideoCapture(str(self.path))
        if not self._cap.isOpened():
            raise SourceError(f"{self.path}: cannot be opened as a video")
        ok, first = self._cap.read()
        if not ok or validate_image(first) is None:
            self._cap.release()
            raise SourceError(f"{self.path}: no readable frame (corrupt or empty video)")
        self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        reported = self._cap.get(cv2.CAP_PROP_FPS)
        self._fps = reported if 1.0 <= reported <= 240.0 else 25.0

    @property
    def fps(self) -> float:
        return self._fps

    @property
    def available(self) -> bool:
        return not self._ended

    def read(self) -> np.ndarray | None:
        if self._ended:
            time.sleep(0.01)
            return None
        ok, bgr = self._cap.read()
        if not ok:
            if not self._loop:
                self._ended = True
                return None
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, bgr = self._cap.read()
            if not ok:
                return None
        image = validate_image(bgr)
        return None if image is None else cv2.cvtColor(image, cv2.COLOR_BGR2RGB)

    def close(self) -> None:
        self._cap.release()


# A decoded image is held several times over (BGR, RGB, the drawing surface, the annotated
# copy), so its size is bounded before decoding: peak memory stays under 1 GB for any file.
MAX_WORKING_PIXELS = 16_000_000  # larger images are scaled down to about this after decoding
MAX_DECODED_PIXELS = 64_000_000  # what may be decoded at all (JPEG decodes reduced natively)
_REDUCED_JPEG = {2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
                 8: cv2.IMREAD_REDUCED_COLOR_8}


def image_header_size(path: Path) -> tuple[int, int, str] | None:
    """(width, height, format) from the file header alone, without decoding the pixels."""
    from PIL import Image

    limit = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None  # only the header is read here; the bound is ours
    try:
        with Image.open(path) as img:
            return int(img.width), int(img.height), str(img.format or "")
    except Exception:
        return None
    finally:
        Image.MAX_IMAGE_PIXELS = limit


def read_image_bounded(path: Path) -> tuple[np.ndarray, tuple[int, int]]:
    """An image file as RGB uint8 of at most about MAX_WORKING_PIXELS, and the file's own
    (width, height); SourceError naming the file when it is missing, unreadable or too large."""
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"{path}: image file not found")
    header = image_header_size(path)
    flag = cv2.IMREAD_COLOR
    if header is not None:
        width, height, fmt = header
        pixels = width * height
        if pixels > MAX_DECODED_PIXELS:
            factor = next((f for f in (2, 4, 8) if pixels / (f * f) <= MAX_DECODED_PIXELS), 0)
            if fmt != "JPEG" or not factor:
                raise SourceError(
                    f"{path}: {width}x{height} is too large ({pixels / 1e6:.0f} megapixels; at "
                    f"most {MAX_DECODED_PIXELS / 1e6:.0f} MP, or a JPEG; scale it down first)"
                )
            flag = _REDUCED_JPEG[factor]
    data = np.fromfile(str(path), dtype=np.uint8)
    bgr = cv2.imdecode(data, flag) if data.size else None
    del data
    image = validate_image(bgr)
    if image is None:
        raise SourceError(f"{path}: not a readable image (corrupt or unsupported format)")
    h, w = image.shape[:2]
    original = (header[0], header[1]) if header is not None else (w, h)
    if w * h > MAX_WORKING_PIXELS:
        scale = (MAX_WORKING_PIXELS / (w * h)) ** 0.5
        image = cv2.resize(image, (max(1, int(w * scale)), max(1, int(h * scale))),
                           interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB), original


def read_image(path: Path) -> np.ndarray:
    """An image file as RGB uint8 (bounded in size, see read_image_bounded), or SourceError."""
    return read_image_bounded(path)[0]


class ImageSource(FrameSource):
    """One still image, served at a steady rate so the loop behaves as with a camera."""

    def __init__(self, path: Path, fps: float = 30.0) -> None:
        self.name = f"image {Path(path).name}"
        self._image = read_image(path)
        self._fps = fps

    @property
    def fps(self) -> float:
        return self._fps

    def read(self) -> np.ndarray | None:
        return self._image
