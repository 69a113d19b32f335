"""The bundled demo: real photographs from scikit-image, staged as a small gallery visit.

Used automatically when no camera opens, so a newcomer's first run (and a kiosk whose camera
is missing) still shows the work: one visitor drifting in front of the camera, two visitors,
then an empty room whose whole scene gets classified. All pixels come from real photos
(NASA's astronaut portrait, the "cameraman" photograph, a coffee cup); nothing is drawn.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import cv2
import numpy as np

from kiosk.sources.base import FrameSource


def _rgb(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    return np.ascontiguousarray(image[:, :, :3])


def _photos() -> dict[str, np.ndarray]:
    from skimage import data  # imported here: only the demo needs scikit-image's photos

    return {
        "astronaut": _rgb(data.astronaut()),
        "cameraman": _rgb(data.camera()),
        "coffee": _rgb(data.coffee()),
    }


@dataclass(frozen=True)
class _Placement:
    photo: str
    height_frac: float  # photo height as a fraction of the canvas height
    x_frac: tuple[float, float]  # centre x at the start and end of the scene
    y_frac: float


@dataclass(frozen=True)
class _Scene:
    seconds: float
    placements: tuple[_Placement, ...]
    backdrop: str


SCENES: tuple[_Scene, ...] = (
    _Scene(8.0, (_Placement("astronaut", 0.92, (0.40, 0.60), 0.5),), "astronaut"),
    _Scene(
        8.0,
        (
            _Placement("astronaut", 0.88, (0.25, 0.26), 0.5),
            _Placement("cameraman", 0.88, (0.75, 0.74), 0.5),
        ),
        "cameraman",
    ),
    _Scene(6.0, (_Placement("coffee", 1.0, (0.5, 0.5), 0.5),), "coffee"),
)


class DemoSource(FrameSource):
    """Real photos composed into a looping 1280x720 (by default) scene sequence."""

    name = "demo"

    def __init__(self, width: int = 1280, height: int = 720, fps: float = 30.0,
                 realtime: bool = True) -> None:
        self._size = (width, height)
        self._fps = fps
        self._realtime = realtime
        self._photos = _photos()
        self._backdrops = {key: self._backdrop(img) for key, img in self._photos.items()}
        self._frame_index = 0
        self._started = time.monotonic()
        self._cycle = sum(scene.seconds for scene in SCENES)

    @property
    def fps(self) -> float:
        return self._fps

    def _backdrop(self, photo: np.ndarray) -> np.ndarray:
        """The photo blurred and darkened to fill the canvas, like a dim gallery wall."""
        w, h = self._size
        small = cv2.resize(photo, (max(1, w // 16), max(1, h // 16)), interpolation=cv2.INTER_AREA)
        blurred = cv2.GaussianBlur(small, (0, 0), 2.0)
        return (cv2.resize(blurred, (w, h), interpolation=cv2.INTER_LINEAR) * 0.35).astype(np.uint8)

    def _scene_at(self, t: float) -> tuple[_Scene, float]:
        t %= self._cycle
        for scene in SCENES:
            if t < scene.seconds:
                return scene, t / scene.seconds
            t -= scene.seconds
        return SCENES[-1], 1.0

    def compose(self, t: float) -> np.ndarray:
        """The demo frame at `t` seconds into the loop."""
        scene, progress = self._scene_at(t)
        w, h = self._size
        canvas = self._backdrops[scene.backdrop].copy()
        for place in scene.placements:
            photo = self._photos[place.photo]
            scale = place.height_frac * h / photo.shape[0]
            pw, ph = max(1, int(photo.shape[1] * scale)), max(1, int(photo.shape[0] * scale))
            if pw > w:  # wide photos fill the width instead
                scale = w / photo.shape[1]
                pw, ph = w, max(1, int(photo.shape[0] * scale))
            resized = cv2.resize(photo, (pw, ph), interpolation=cv2.INTER_AREA)
            cx = (place.x_frac[0] + (place.x_frac[1] - place.x_frac[0]) * progress) * w
            x0, y0 = int(cx - pw / 2), int(place.y_frac * h - ph / 2)
            sx0, sy0 = max(0, -x0), max(0, -y0)
            dx0, dy0 = max(0, x0), max(0, y0)
            dx1, dy1 = min(w, x0 + pw), min(h, y0 + ph)
            if dx1 > dx0 and dy1 > dy0:
                canvas[dy0:dy1, dx0:dx1] = resized[sy0:sy0 + dy1 - dy0, sx0:sx0 + dx1 - dx0]
        return canvas

    def read(self) -> np.ndarray | None:
        t = (time.monotonic() - self._started if self._realtime
             else self._frame_index / self._fps)
        self._frame_index += 1
        return self.compose(t)
