"""A fake UVC webcam behind the camera source's seams, built from a real camera's listings.

`FakeUVC` answers like OpenCV's V4L2 backend over a UVC driver: it starts in the listing's
first format (YUYV, which OpenCV would keep), takes a FOURCC only if the camera lists it,
snaps a requested size to the nearest listed one and a requested rate to what that mode
allows, and delivers frames at that rate on an injected clock (no sleeping). In dim light
with `exposure_dynamic_framerate` on, the exposure stretches each frame to 1/15 s, as UVC
cameras do. `FakeV4l2Ctl` is `v4l2-ctl` for the same camera: it lists and sets its controls.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from conftest import FakeClock

from kiosk.sources.v4l2 import fourcc_name, parse_controls, parse_formats

DATA = Path(__file__).resolve().parent / "data"
C920_FORMATS = (DATA / "uvc_c920_formats.txt").read_text()
C920_CTRLS = (DATA / "uvc_c920_ctrls.txt").read_text()
DIM_LIGHT_FPS = 15.0  # exposure 1/15 s: a camera that lets exposure drive the frame rate


def _ours_removed(listing: str) -> str:
    return "\n".join(line for line in listing.splitlines() if not line.startswith("#"))


class FakeUVC:
    """One opened camera (a cv2.VideoCapture stand-in); `controls` is shared with v4l2-ctl."""

    def __init__(self, clock: FakeClock, formats: str = C920_FORMATS, *,
                 controls: dict[str, int] | None = None, dim: bool = False,
                 opens: bool = True) -> None:
        self.modes = parse_formats(_ours_removed(formats))
        self.clock = clock
        self.controls = controls if controls is not None else {}
        self.dim = dim
        self.opened = opens
        self.format = next(iter(self.modes))  # the driver's default: the first listed
        self.asked = (640, 480, 30.0)
        self.fourcc_asked: list[str] = []
        self._next_at: float | None = None
        self._frame: np.ndarray | None = None

    def _size(self) -> tuple[int, int]:
        w, h, _ = self.asked
        return min(self.modes[self.format], key=lambda s: abs(s[0] - w) + abs(s[1] - h))

    def rate(self) -> float:
        """What the mode delivers: the asked rate, capped by the mode and, in dim light with
        the dynamic-framerate control on, by the exposure time."""
        top = min(self.asked[2], self.modes[self.format][self._size()])
        if self.dim and (self.controls.get("exposure_dynamic_framerate")
                         or self.controls.get("exposure_auto_priority")):
            top = min(top, DIM_LIGHT_FPS)
        return top

    # -- cv2.VideoCapture's surface -------------------------------------------------------

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return self.opened

    def set(self, prop: int, value: float) -> bool:
        w, h, fps = self.asked
        if prop == cv2.CAP_PROP_FOURCC:
            name = fourcc_name(value)
            self.fourcc_asked.append(name)
            if name not in self.modes:
                return False  # VIDIOC_S_FMT keeps a listed format
            self.format = name
        elif prop == cv2.CAP_PROP_FRAME_WIDTH:
            self.asked = (int(value), h, fps)
        elif prop == cv2.CAP_PROP_FRAME_HEIGHT:
            self.asked = (w, int(value), fps)
        elif prop == cv2.CAP_PROP_FPS:
            self.asked = (w, h, float(value))
        return True

    def get(self, prop: int) -> float:
        if prop == cv2.CAP_PROP_FOURCC:
            a, b, c, d = (ord(ch) for ch in self.format)
            return float(a | b << 8 | c << 16 | d << 24)
        if prop == cv2.CAP_PROP_FRAME_WIDTH:
            return float(self._size()[0])
        if prop == cv2.CAP_PROP_FRAME_HEIGHT:
            return float(self._size()[1])
        if prop == cv2.CAP_PROP_FPS:  # the driver's nominal rate, blind to the exposure
            return min(self.asked[2], self.modes[self.format][self._size()])
        return 0.0

    def read(self) -> tuple[bool, np.ndarray | None]:
        """Blocks (on the fake clock) until the next frame is due, as a real camera does."""
        if not self.opened:
            return False, None
        period = 1.0 / self.rate()
        due = self.clock.t if self._next_at is None else max(self._next_at, self.clock.t)
        self.clock.t = due
        self._next_at = due + period
        w, h = self._size()
        if self._frame is None or self._frame.shape[:2] != (h, w):
            self._frame = np.full((h, w, 3), 90, np.uint8)
        return True, self._frame

    def release(self) -> None:
        self.opened = False


class FakeV4l2Ctl:
    """`v4l2-ctl -d DEV --list-ctrls` and `--set-ctrl=NAME=V` for one fake camera."""

    def __init__(self, listing: str = C920_CTRLS) -> None:
        self.listing = _ours_removed(listing)
        self.controls = parse_controls(self.listing)
        self.calls: list[list[str]] = []

    def __call__(self, argv: Sequence[str], timeout: float) -> tuple[int, str]:
        self.calls.append(list(argv))
        assert timeout > 0
        if "--list-ctrls" in argv:
            text = self.listing
            for name, value in self.controls.items():
                text = re.sub(rf"(\b{name} 0x[0-9a-f]+ .*?\bvalue=)-?\d+", rf"\g<1>{value}", text)
            return 0, text
        for arg in argv:
            if arg.startswith("--set-ctrl="):
                name, _, value = arg.removeprefix("--set-ctrl=").partition("=")
                if name not in self.controls:
                    return 255, f"unknown control '{name}'\n"
                self.controls[name] = int(value)
                return 0, ""
        return 1, "unsupported call\n"


def fake_camera(clock: FakeClock, formats: str = C920_FORMATS, *, dim: bool = False,
                ctl: FakeV4l2Ctl | None = None) -> tuple[list[FakeUVC], object]:
    """(opened cameras, a capture factory) sharing `ctl`'s controls, for CameraSource."""
    opened: list[FakeUVC] = []

    def factory(device: int | str, backend: int) -> FakeUVC:
        assert backend == cv2.CAP_V4L2
        cam = FakeUVC(clock, formats, controls=ctl.controls if ctl else {}, dim=dim)
        opened.append(cam)
        return cam

    return opened, factory
