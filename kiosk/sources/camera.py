"""A V4L2 camera through OpenCV that survives being unplugged.

A museum camera is unplugged by cleaners, knocked loose, or resets over USB. Reads never
raise: after `read_timeout_s` without a frame the camera is marked unavailable, and it is
reopened every `reopen_interval_s` until it answers again.
"""

from __future__ import annotations

import logging
import time

import cv2
import numpy as np

from kiosk.config import CameraConfig
from kiosk.sources.base import FrameSource, SourceError, validate_image

log = logging.getLogger(__name__)


def _open_capture(device: int | str, width: int, height: int, fps: float) -> cv2.VideoCapture:
    backend = cv2.CAP_V4L2 if isinstance(device, int) or str(device).startswith("/dev/") else 0
    cap = cv2.VideoCapture(device, backend)
    if cap.isOpened():
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        cap.set(cv2.CAP_PROP_FPS, fps)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
    return cap


class CameraSource(FrameSource):
    """An OpenCV camera by index or device path; reopens itself after a disconnect."""

    live = True

    def __init__(self, config: CameraConfig, *, must_open: bool = True) -> None:
        self._config = config
        self.name = f"camera {config.device}"
        self._cap: cv2.VideoCapture | None = None
        self._last_frame_at = time.monotonic()
        self._next_reopen_at = 0.0
        self._available = False
        self._fps = config.fps
        if not self._try_open() and must_open:
            raise SourceError(f"camera {config.device!r} could not be opened")

    @property
    def fps(self) -> float:
        return self._fps

    @property
    def available(self) -> bool:
        return self._available

    def _try_open(self) -> bool:
        self._release()
        cfg = self._config
        cap = _open_capture(cfg.device, cfg.width, cfg.height, cfg.fps)
        if not cap.isOpened():
            cap.release()
            return False
        ok, _ = cap.read()
        if not ok:
            cap.release()
            return False
        reported = cap.get(cv2.CAP_PROP_FPS)
        self._fps = reported if 1.0 <= reported <= 240.0 else cfg.fps
        self._cap = cap
        self._available = True
        self._last_frame_at = time.monotonic()
        log.info(
            "camera %r open: %dx%d @ %.1f fps", cfg.device,
            int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            self._fps,
        )
        return True

    def _release(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def read(self) -> np.ndarray | None:
        now = time.monotonic()
        if self._cap is None:
            if now >= self._next_reopen_at:
                self._next_reopen_at = now + self._config.reopen_interval_s
                if self._try_open():
                    log.info("camera %r is back", self._config.device)
                else:
                    time.sleep(min(0.05, self._config.reopen_interval_s))
            else:
                time.sleep(0.02)
            return None
        ok, bgr = self._cap.read()
        image = validate_image(bgr) if ok else None
        if image is None:
            if now - self._last_frame_at > self._config.read_timeout_s or not self._cap.isOpened():
                log.warning("camera %r stopped delivering frames; will reopen", self._config.device)
                self._available = False
                self._release()
                self._next_reopen_at = now + self._config.reopen_interval_s
            return None
        self._last_frame_at = now
        self._available = True
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)

    def close(self) -> None:
        self._release()
        self._available = False
