"""Cameras: which /dev/video* devices deliver frames, in what mode, and the configured one."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.config import KioskConfig
from kiosk.doctor.base import Check, Status

MAX_CAMERAS = 8


def list_video_devices(dev: Path = Path("/dev")) -> list[Path]:
    found = [p for p in dev.glob("video*") if re.fullmatch(r"video\d+", p.name)]
    return sorted(found, key=lambda p: int(p.name[5:]))


def v4l2_modes(device: Path) -> str | None:
    """The camera's modes from `v4l2-ctl --list-formats-ext` (v4l-utils), condensed."""
    tool = shutil.which("v4l2-ctl")
    if tool is None:
        return None
    try:
        out = subprocess.run(
            [tool, "-d", str(device), "--list-formats-ext"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    modes: dict[str, dict[str, float]] = {}
    fmt = size = None
    for line in out.splitlines():
        if "[" in line and (m := re.search(r"'(\w+)'", line)):
            fmt = m.group(1)
            modes.setdefault(fmt, {})
            continue
        if fmt and (m := re.search(r"Size: \w+ (\d+x\d+)", line)):
            size = m.group(1)
            modes[fmt].setdefault(size, 0.0)
        elif fmt and size and (m := re.search(r"\(([\d.]+) fps\)", line)):
            modes[fmt][size] = max(modes[fmt][size], float(m.group(1)))
    parts = []
    for fmt, sizes in modes.items():
        best = sorted(sizes.items(), key=lambda kv: -int(kv[0].split("x")[0]))[:4]
        more = f" +{len(sizes) - 4}" if len(sizes) > 4 else ""
        parts.append(fmt + " " + ",".join(f"{s}@{f:g}" for s, f in best) + more)
    return "; ".join(parts) or None


def probe_camera(device: Path | int, width: int, height: int, fps: float) -> dict[str, Any]:
    """Open a camera briefly with the configured request; what it reports and delivers."""
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    import cv2

    target = str(device) if isinstance(device, Path) else device
    cap = cv2.VideoCapture(target, cv2.CAP_V4L2)
    try:
        if not cap.isOpened():
            return {"opened": False}
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        cap.set(cv2.CAP_PROP_FPS, fps)
        ok, frame = cap.read()
        fourcc = int(cap.get(cv2.CAP_PROP_FOURCC))
        return {
            "opened": True,
            "frame": bool(ok and frame is not None),
            "width": int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            "height": int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            "fps": round(float(cap.get(cv2.CAP_PROP_FPS)), 1),
            "fourcc": "".join(chr((fourcc >> 8 * i) & 0xFF) for i in range(4)).strip("\0 "),
        }
    finally:
        cap.release()


def check_cameras(
    cfg: KioskConfig,
    devices: list[Path] | None = None,
    probe: Callable[..., dict[str, Any]] = probe_camera,
) -> list[Check]:
    cam = cfg.camera
    devices = list_video_devices() if devices is None else devices
    wanted = Path(f"/dev/video{cam.device}") if isinstance(cam.device, int) else Path(cam.device)
    if cam.source in ("video", "image", "demo"):
        where = f": {cfg.resolve(cam.path)}" if cam.path else ""
        return [
            Check("OK", "camera", f"not used (camera.source {cam.source}{where}); "
                  f"{len(devices)} video device(s) present")
        ]  # fmt: skip
    if not devices:
        status: Status = "FAIL" if cam.source == "camera" else "WARN"
        tail = "" if cam.source == "camera" else "; the kiosk shows the demo source"
        return [Check(status, "camera", f"no /dev/video* device found{tail}")]
    checks: list[Check] = []
    configured_ok = False
    for dev in devices[:MAX_CAMERAS]:
        mark = " (configured)" if dev == wanted else ""
        try:
            info = probe(dev, cam.width, cam.height, cam.fps)
        except Exception as exc:  # a driver that crashes OpenCV's probe is itself a finding
            info = {"opened": False, "error": str(exc)}
        if not info.get("opened"):
            checks.append(Check("INFO", "camera", f"{dev}{mark}: not a capture device or busy"))
            continue
        if not info.get("frame"):
            checks.append(
                Check("WARN", "camera", f"{dev}{mark}: opens but gives no frame "
                      "(in use by the running kiosk?)")
            )  # fmt: skip
            if dev == wanted:
                configured_ok = True  # held by the service is fine
            continue
        got = f"{info['width']}x{info['height']}@{info['fps']:g} {info.get('fourcc', '')}"
        req = f"{cam.width}x{cam.height}@{cam.fps:g}"
        differs = (info["width"], info["height"]) != (cam.width, cam.height)
        note = f" (requested {req})" if differs else ""
        checks.append(Check("OK", "camera", f"{dev}{mark}: delivers {got.strip()}{note}"))
        if dev == wanted:
            configured_ok = True
        modes = v4l2_modes(dev)
        if modes:
            checks.append(Check("INFO", "modes", f"{dev}: {modes}"))
    if not configured_ok:
        status = "FAIL" if cam.source == "camera" else "WARN"
        tail = "" if cam.source == "camera" else "; the kiosk shows the demo source"
        checks.append(Check(status, "camera", f"configured camera.device {cam.device} "
                            f"({wanted}) does not deliver frames{tail}"))  # fmt: skip
    return checks
