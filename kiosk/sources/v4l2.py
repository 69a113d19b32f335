"""What a USB (UVC) webcam needs to run at camera rate: a pixel format, one control, a rate meter.

OpenCV's V4L2 backend tries YUYV before MJPG unless CAP_PROP_FOURCC is set, and over USB 2.0
a UVC webcam's YUYV is typically 10 fps or less at 1280x720 (5 fps at 1920x1080), while its
MJPG gives 30. In dim light many UVC cameras also lengthen the exposure and drop the frame
rate, unless their `exposure_dynamic_framerate` control (older kernels:
`exposure_auto_priority`) is off; that control is set with `v4l2-ctl` (Debian's v4l-utils),
never by hand-rolled ioctls. What a camera really delivers is measured, not taken from
CAP_PROP_FPS, which only repeats what the driver accepted.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import cv2

log = logging.getLogger(__name__)

FORMAT_PREFERENCE = ("MJPG", "YUYV")  # then whatever the camera gives by default
RATE_CONTROLS = ("exposure_dynamic_framerate", "exposure_auto_priority")  # new name, old name
MEASURE_S = 3.0  # the first seconds over which the delivered rate is measured


class Capture(Protocol):
    """The part of cv2.VideoCapture the camera source uses (a seam for a fake UVC camera)."""

    def isOpened(self) -> bool: ...  # noqa: N802 - OpenCV's name
    def set(self, prop: int, value: float) -> bool: ...
    def get(self, prop: int) -> float: ...
    def read(self) -> tuple[bool, object]: ...
    def release(self) -> None: ...


CaptureFactory = Callable[[int | str, int], Capture]  # (device, backend) -> capture


class Runner(Protocol):
    """Runs a command: (argv, timeout in seconds) -> (exit status, stdout + stderr)."""

    def __call__(self, argv: Sequence[str], timeout: float) -> tuple[int, str]: ...


def run_command(argv: Sequence[str], timeout: float) -> tuple[int, str]:
    """The real runner: a subprocess with a timeout; a tool that hangs or fails is a status."""
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout,
                              check=False)  # fmt: skip
    except subprocess.TimeoutExpired:
        return 124, f"timed out after {timeout:g} s"
    except OSError as exc:
        return 127, str(exc)
    return done.returncode, done.stdout + done.stderr


def fourcc_code(name: str) -> int:
    """'MJPG' -> the integer CAP_PROP_FOURCC takes."""
    a, b, c, d = (ord(ch) for ch in name.ljust(4)[:4])
    return a | b << 8 | c << 16 | d << 24


def fourcc_name(code: float) -> str:
    """The integer CAP_PROP_FOURCC reports -> 'MJPG' ('' when there is none)."""
    value = int(code)
    return "".join(chr((value >> 8 * i) & 0xFF) for i in range(4)).strip("\0 ")


def is_v4l2_device(device: int | str) -> bool:
    return isinstance(device, int) or str(device).startswith("/dev/")


def device_path(device: int | str) -> str:
    return f"/dev/video{device}" if isinstance(device, int) else str(device)


def choose_format(cap: Capture, preference: Sequence[str] = FORMAT_PREFERENCE) -> str:
    """Ask for each format in turn; the first the camera keeps wins, else its default."""
    for name in preference:
        cap.set(cv2.CAP_PROP_FOURCC, fourcc_code(name))
        if fourcc_name(cap.get(cv2.CAP_PROP_FOURCC)) == name:
            return name
        log.info("camera refused %s", name)
    return fourcc_name(cap.get(cv2.CAP_PROP_FOURCC)) or "?"


def parse_formats(listing: str) -> dict[str, dict[tuple[int, int], float]]:
    """`v4l2-ctl --list-formats-ext` -> {fourcc: {(w, h): highest fps}} (old and new layouts)."""
    modes: dict[str, dict[tuple[int, int], float]] = {}
    fmt: str | None = None
    size: tuple[int, int] | None = None
    for line in listing.splitlines():
        if ("Pixel Format" in line or re.match(r"\s*\[\d+\]:", line)) and (
            m := re.search(r"'(\w+)'", line)
        ):
            fmt, size = m.group(1), None
            modes.setdefault(fmt, {})
        elif fmt and (m := re.search(r"Size: \w+ (\d+)x(\d+)", line)):
            size = (int(m.group(1)), int(m.group(2)))
            modes[fmt].setdefault(size, 0.0)
        elif fmt and size and (m := re.search(r"\(([\d.]+) fps\)", line)):
            modes[fmt][size] = max(modes[fmt][size], float(m.group(1)))
    return modes


def parse_controls(listing: str) -> dict[str, int]:
    """`v4l2-ctl --list-ctrls` -> {control name: current value} (integer-valued ones)."""
    found = re.finditer(r"^\s*(\w+) 0x[0-9a-f]+ \(\w+\)\s*:.*?\bvalue=(-?\d+)", listing, re.M)
    return {m.group(1): int(m.group(2)) for m in found}


def keep_rate_in_dim_light(device: int | str, runner: Runner = run_command,
                           which: Callable[[str], str | None] = shutil.which) -> str:
    """Switch off the exposure-driven frame-rate drop where the camera has that control.

    Returns what was done, for the log, the health file and the doctor: "off", "absent" (the
    camera has no such control), "no v4l2-ctl", "not a device", or "failed: ...". Never raises.
    """
    if not is_v4l2_device(device):
        return "not a device"
    tool = which("v4l2-ctl")
    if tool is None:
        log.warning("v4l2-ctl not found (apt install v4l-utils): the camera may lower its "
                    "frame rate in dim light")  # fmt: skip
        return "no v4l2-ctl"
    dev = device_path(device)
    rc, out = runner([tool, "-d", dev, "--list-ctrls"], 5.0)
    if rc != 0:
        log.warning("v4l2-ctl --list-ctrls on %s failed (%d): %s", dev, rc, out.strip()[:200])
        return f"failed: {out.strip()[:80] or rc}"
    controls = parse_controls(out)
    name = next((c for c in RATE_CONTROLS if c in controls), None)
    if name is None:
        log.info("%s has no %s control; its frame rate does not follow the exposure", dev,
                 " or ".join(RATE_CONTROLS))  # fmt: skip
        return "absent"
    if controls[name] != 0:
        rc, out = runner([tool, "-d", dev, f"--set-ctrl={name}=0"], 5.0)
        if rc != 0:
            log.warning("could not set %s=0 on %s (%d): %s", name, dev, rc, out.strip()[:200])
            return f"failed: {out.strip()[:80] or rc}"
    log.info("%s: %s=0 (dim light lengthens exposure, not the frame interval)", dev, name)
    return "off"


class RateMeter:
    """The rate frames really arrive at over the first `window_s` seconds, on an injected clock.

    The first frame only starts the clock (opening a camera delays it); the figure is fixed once
    the window is full, so it says what the camera delivers, not what a later stall did.
    """

    def __init__(self, window_s: float = MEASURE_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self._clock = clock
        self._first: float | None = None
        self._last = 0.0
        self._frames = 0
        self.measured: float | None = None

    def tick(self) -> float | None:
        """Count one delivered frame; returns the rate the moment the window fills, else None."""
        if self.measured is not None:
            return None
        now = self._clock()
        if self._first is None:
            self._first = now
            return None
        self._frames += 1
        self._last = now
        if now - self._first >= self.window_s:
            self.measured = round(self._frames / (now - self._first), 1)
            return self.measured
        return None

    @property
    def provisional(self) -> float | None:
        """The rate so far (before the window fills), or the measured one."""
        if self.measured is not None:
            return self.measured
        if self._first is None or self._frames == 0 or self._last <= self._first:
            return None
        return round(self._frames / (self._last - self._first), 1)


@dataclass
class CameraMode:
    """What a camera was asked for, what it accepted, and what it delivers (for the doctor,
    the health file and the log)."""

    format: str
    width: int
    height: int
    requested_fps: float
    reported_fps: float
    measured_fps: float | None = None
    dim_light: str = "-"  # keep_rate_in_dim_light's result

    @property
    def slow(self) -> bool:
        """Measured under the configured rate (5% slack: 29.97 fps is a 30 fps camera)."""
        return self.measured_fps is not None and self.measured_fps < 0.95 * self.requested_fps

    def describe(self) -> str:
        measured = "not yet measured" if self.measured_fps is None else \
            f"{self.measured_fps:g} fps measured"
        return (f"{self.format} {self.width}x{self.height}, {measured} "
                f"(asked {self.requested_fps:g}, driver says {self.reported_fps:g}); "
                f"exposure-driven rate drop: {self.dim_light}")

    def as_dict(self) -> dict[str, object]:
        return {"format": self.format, "width": self.width, "height": self.height,
                "requested_fps": self.requested_fps, "reported_fps": self.reported_fps,
                "measured_fps": self.measured_fps, "dim_light": self.dim_light}
