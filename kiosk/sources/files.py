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


def read_image(path: Path) -> np.ndarray:
    """An image file as RGB uint8, or SourceError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"{path}: image file not found")
    data = np.fromfile(str(path), dtype=np.uint8)
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    image = validate_image(bgr)
    if image is None:
        raise SourceError(f"{path}: not a readable image (corrupt or unsupported format)")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


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
