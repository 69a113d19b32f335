"""A V4L2 camera through OpenCV that survives being unplugged and runs at camera rate.

A museum camera is unplugged by cleaners, knocked loose, or resets over USB. Reads never
raise: after `read_timeout_s` without a frame the camera is marked unavailable, and it is
reopened every `reopen_interval_s` until it answers again.

A USB webcam reaches its rated speed only in MJPG (OpenCV would pick YUYV: 10 fps at
1280x720 over USB 2.0) and with its exposure-driven rate drop switched off
(kiosk/sources/v4l2.py); what it then really delivers is measured over the first seconds of
each opening, logged, and reported to the health file and the doctor.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable

import cv2
import numpy as np

from kiosk.config import CameraConfig
from kiosk.sources.base import FrameSource, SourceError, validate_image
from kiosk.sources.v4l2 import (
    MEASURE_S,
    CameraMode,
    Capture,
    CaptureFactory,
    RateMeter,
    Runner,
    choose_format,
    fourcc_name,
    is_v4l2_device,
    keep_rate_in_dim_light,
    run_command,
)

log = logging.getLogger(__name__)


def open_capture(device: int | str, width: int, height: int, fps: float,
                 factory: CaptureFactory = cv2.VideoCapture) -> tuple[Capture, str]:
    """The capture, asked for MJPG first (V4L2 devices), then size, rate and a 1-frame buffer;
    and the pixel format it runs in ('' when it did not open)."""
    v4l2 = is_v4l2_device(device)
    cap = factory(device, cv2.CAP_V4L2 if v4l2 else 0)
    if not cap.isOpened():
        return cap, ""
    if v4l2:  # the format first: size and rate are then negotiated within it
        choose_format(cap)
    cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
    cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
    cap.set(cv2.CAP_PROP_FPS, fps)
    cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
    return cap, fourcc_name(cap.get(cv2.CAP_PROP_FOURCC)) or "?"


class CameraSource(FrameSource):
    """An OpenCV camera by index or device path; reopens itself after a disconnect.

    `capture_factory` (cv2.VideoCapture's signature), `runner` (for v4l2-ctl), `which` and
    `clock` are seams for tests with a fake UVC camera.
    """

    live = True

    def __init__(self, config: CameraConfig, *, must_open: bool = True,
                 capture_factory: CaptureFactory = cv2.VideoCapture,
                 runner: Runner = run_command,
                 which: Callable[[str], str | None] = shutil.which,
                 clock: Callable[[], float] = time.monotonic,
                 measure_s: float = MEASURE_S) -> None:
        self._config = config
        self.name = f"camera {config.device}"
        self._factory = capture_factory
        self._runner = runner
        self._which = which
        self._clock = clock
        self._measure_s = measure_s
        self._cap: Capture | None = None
        self._last_frame_at = clock()
        self._next_reopen_at = 0.0
        self._available = False
        self._fps = config.fps
        self.mode: CameraMode | None = None  # what the last opening negotiated and delivers
        self._meter = RateMeter(measure_s, clock)
        if not self._try_open() and must_open:
            raise SourceError(f"camera {config.device!r} could not be opened")

    @property
    def fps(self) -> float:
        return self._fps

    @property
    def available(self) -> bool:
        return self._available

    def camera_mode(self) -> dict[str, object] | None:
        mode = self.mode
        if mode is None:
            return None
        if mode.measured_fps is None:  # still measuring: say so, with the rate so far
            return {**mode.as_dict(), "measuring_fps": self._meter.provisional}
        return mode.as_dict()

    def _try_open(self) -> bool:
        self._release()
        cfg = self._config
        cap, fmt = open_capture(cfg.device, cfg.width, cfg.height, cfg.fps, self._factory)
        if not cap.isOpened():
            cap.release()
            return False
        dim_light = keep_rate_in_dim_light(cfg.device, self._runner, self._which)
        ok, _ = cap.read()
        if not ok:
            cap.release()
            return False
        reported = cap.get(cv2.CAP_PROP_FPS)
        self._fps = reported if 1.0 <= reported <= 240.0 else cfg.fps
        self._cap = cap
        self._available = True
        self._last_frame_at = self._clock()
        self.mode = CameraMode(fmt, int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
                               int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)), cfg.fps,
                               round(float(reported), 1), dim_light=dim_light)
        self._meter = RateMeter(self._measure_s, self._clock)
        self._meter.tick()  # the first frame starts the clock
        log.info("camera %r open: %s", cfg.device, self.mode.describe())
        return True

    def _measured(self, rate: float) -> None:
        assert self.mode is not None
        self.mode.measured_fps = rate
        if self.mode.slow:
            log.warning("camera %r delivers only %s; check camera.width/height/fps against "
                        "`kiosk doctor`'s modes, the USB port (USB 2.0 hub?) and the light",
                        self._config.device, self.mode.describe())  # fmt: skip
        else:
            log.info("camera %r delivers %s", self._config.device, self.mode.describe())

    def _release(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def read(self) -> np.ndarray | None:
        now = self._clock()
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
        now = self._clock()
        if image is None:
            if now - self._last_frame_at > self._config.read_timeout_s or not self._cap.isOpened():
                log.warning("camera %r stopped delivering frames; will reopen", self._config.device)
                self._available = False
                self._release()
                self._next_reopen_at = now + self._config.reopen_interval_s
            return None
        self._last_frame_at = now
        self._available = True
        if (rate := self._meter.tick()) is not None:
            self._measured(rate)
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)

    def close(self) -> None:
        self._release()
        self._available = False
