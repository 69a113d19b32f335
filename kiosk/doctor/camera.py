"""Cameras: which /dev/video* devices deliver frames, in what mode, and the configured one."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.config import KioskConfig
from kiosk.doctor.base import Check, Status
from kiosk.sources.v4l2 import (
    CaptureFactory,
    RateMeter,
    Runner,
    keep_rate_in_dim_light,
    parse_formats,
    run_command,
)

MAX_CAMERAS = 8
PROBE_MEASURE_S = 2.0  # the doctor times each camera this long
SLOW = 0.95  # measured under this share of camera.fps is a WARN (29.97 fps is 30)


def list_video_devices(dev: Path = Path("/dev")) -> list[Path]:
    found = [p for p in dev.glob("video*") if re.fullmatch(r"video\d+", p.name)]
    return sorted(found, key=lambda p: int(p.name[5:]))


def v4l2_modes(device: Path, runner: Runner = run_command) -> str | None:
    """The camera's modes from `v4l2-ctl --list-formats-ext` (v4l-utils), condensed."""
    tool = shutil.which("v4l2-ctl")
    if tool is None:
        return None
    rc, out = runner([tool, "-d", str(device), "--list-formats-ext"], 5.0)
    if rc != 0:
        return None
    parts = []
    for fmt, sizes in parse_formats(out).items():
        best = sorted(sizes.items(), key=lambda kv: -kv[0][0])[:4]
        more = f" +{len(sizes) - 4}" if len(sizes) > 4 else ""
        parts.append(fmt + " " + ",".join(f"{w}x{h}@{f:g}" for (w, h), f in best) + more)
    return "; ".join(parts) or None


def probe_camera(device: Path | int, width: int, height: int, fps: float, *,
                 capture_factory: CaptureFactory | None = None, runner: Runner = run_command,
                 which: Callable[[str], str | None] = shutil.which,
                 clock: Callable[[], float] = time.monotonic,
                 measure_s: float = PROBE_MEASURE_S) -> dict[str, Any]:
    """Open a camera as the kiosk does (MJPG first, exposure-driven rate drop off) and measure
    the rate it delivers over `measure_s`; what it reports and delivers."""
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    import cv2

    from kiosk.sources.camera import open_capture

    target = str(device) if isinstance(device, Path) else device
    factory = capture_factory or cv2.VideoCapture
    cap, fmt = open_capture(target, width, height, fps, factory)
    try:
        if not cap.isOpened():
            return {"opened": False}
        dim_light = keep_rate_in_dim_light(target, runner, which)
        ok, frame = cap.read()
        info: dict[str, Any] = {
            "opened": True,
            "frame": bool(ok and frame is not None),
            "width": int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            "height": int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            "fps": round(float(cap.get(cv2.CAP_PROP_FPS)), 1),
            "fourcc": fmt,
            "dim_light": dim_light,
        }
        if info["frame"]:
            meter = RateMeter(measure_s, clock)
            meter.tick()
            started = clock()
            while meter.measured is None and clock() - started < measure_s + 2.0:
                ok, _ = cap.read()
                if ok:
                    meter.tick()
            info["measured_fps"] = meter.measured if meter.measured is not None \
                else meter.provisional
        return info
    finally:
        cap.release()


def _delivers(info: dict[str, Any], cam: Any) -> tuple[Status, str]:
    """'MJPG 1280x720, 29.9 fps measured ...', WARN when under camera.fps or another size."""
    size = f"{info['width']}x{info['height']}"
    measured = info.get("measured_fps")
    rate = (f"{measured:g} fps measured" if measured is not None
            else f"driver says {info['fps']:g} fps (not measured)")
    text = f"delivers {info.get('fourcc') or '?'} {size}, {rate}"
    extras = []
    if measured is not None:
        extras.append(f"driver says {info['fps']:g}")
    if info.get("dim_light") not in (None, "not a device"):
        extras.append(f"exposure-driven rate drop: {info['dim_light']}")
    if extras:
        text += f" ({'; '.join(extras)})"
    status: Status = "OK"
    if (info["width"], info["height"]) != (cam.width, cam.height):
        text += f"; requested {cam.width}x{cam.height}@{cam.fps:g}"
    if measured is not None and measured < SLOW * cam.fps:
        status = "WARN"
        text += (f"; under camera.fps {cam.fps:g}: try MJPG at this size (kiosk doctor's "
                 "modes), a USB 3 port without a hub, more light, or a lower camera.fps")
    return status, text


def _running_kiosk_mode(cfg: KioskConfig) -> dict[str, Any] | None:
    """The running kiosk's camera as its health file reports it, in probe_camera's keys."""
    from kiosk.doctor.service import SERVICE_HEALTH_FILE
    from kiosk.service.health import read_health

    try:
        doc = read_health(cfg.service.health_file or SERVICE_HEALTH_FILE)
    except (OSError, ValueError):
        return None
    mode = (doc or {}).get("camera_mode")
    if not isinstance(mode, dict) or "width" not in mode:
        return None
    return {"width": mode["width"], "height": mode["height"], "fourcc": mode.get("format"),
            "fps": mode.get("reported_fps") or 0.0, "measured_fps": mode.get("measured_fps"),
            "dim_light": mode.get("dim_light")}


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
            running = _running_kiosk_mode(cfg) if dev == wanted else None
            if running is not None:  # held by the service: its health file says how it runs
                status, text = _delivers(running, cam)
                checks.append(Check(status, "camera", f"{dev}{mark}: in use by the running "
                                    f"kiosk, which reports it {text}"))  # fmt: skip
            else:
                checks.append(
                    Check("WARN", "camera", f"{dev}{mark}: opens but gives no frame "
                          "(in use by the running kiosk?)")
                )  # fmt: skip
            if dev == wanted:
                configured_ok = True  # held by the service is fine
            continue
        status, text = _delivers(info, cam)
        checks.append(Check(status, "camera", f"{dev}{mark}: {text}"))
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
