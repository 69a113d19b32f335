"""A USB webcam at camera rate, against a fake UVC camera built from a real C920's listings
(tests/data/uvc_c920_*.txt): MJPG asked first, the exposure-driven rate drop switched off with
v4l2-ctl, and the rate really delivered measured and reported (log, health file, doctor)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from conftest import FakeClock
from fake_uvc import C920_CTRLS, C920_FORMATS, FakeV4l2Ctl, fake_camera

from kiosk import doctor
from kiosk.config import CameraConfig, load_config
from kiosk.doctor.camera import probe_camera
from kiosk.service.health import Health, build_health
from kiosk.service.metrics import Metrics
from kiosk.service.prometheus import PrometheusTextfile
from kiosk.sources.camera import CameraSource
from kiosk.sources.v4l2 import RateMeter, keep_rate_in_dim_light, parse_controls, parse_formats

YUYV_ONLY = re.sub(r"\t\[1\]: 'MJPG'.*", "", C920_FORMATS, flags=re.S)  # a camera without MJPG
V4L2_CTL = "/usr/bin/v4l2-ctl"


def which(name: str) -> str | None:
    return V4L2_CTL if name == "v4l2-ctl" else None


def no_tools(name: str) -> None:
    return None


def run_for(source: CameraSource, clock: FakeClock, seconds: float) -> int:
    """Read frames for `seconds` of camera time; the fake camera moves the clock."""
    frames, end = 0, clock.t + seconds
    while clock.t < end:
        frames += source.read() is not None
    return frames


def open_camera(clock: FakeClock, formats: str = C920_FORMATS, *, dim: bool = False,
                ctl: FakeV4l2Ctl | None = None, tools=which, fps: float = 30.0):  # noqa: ANN001, ANN201
    cams, factory = fake_camera(clock, formats, dim=dim, ctl=ctl)
    cfg = CameraConfig(source="camera", device=0, width=1280, height=720, fps=fps)
    source = CameraSource(cfg, capture_factory=factory, runner=ctl or FakeV4l2Ctl(),
                          which=tools, clock=clock)
    return source, cams


def test_the_c920_listing_parses_as_published() -> None:
    modes = parse_formats(C920_FORMATS)
    assert list(modes) == ["YUYV", "MJPG"]  # YUYV first: what OpenCV keeps unless told
    assert modes["YUYV"][(1280, 720)] == 10.0 and modes["YUYV"][(1920, 1080)] == 5.0
    assert modes["MJPG"][(1280, 720)] == 30.0 and modes["MJPG"][(1920, 1080)] == 30.0
    assert parse_controls(C920_CTRLS)["exposure_dynamic_framerate"] == 1


def test_rate_meter_measures_the_first_seconds_only() -> None:
    clock = FakeClock()
    meter = RateMeter(3.0, clock)
    assert meter.tick() is None and meter.provisional is None  # the first frame starts it
    results = []
    for _ in range(95):
        clock.t += 1 / 30
        results.append(meter.tick())
    assert [r for r in results if r is not None] == [30.0]  # reported once, when the window fills
    clock.t += 60.0  # a later stall does not change what the camera was measured to deliver
    meter.tick()
    assert meter.measured == 30.0 and meter.provisional == 30.0


def test_mjpg_is_chosen_and_the_delivered_rate_reported(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    ctl = FakeV4l2Ctl()
    caplog.set_level(logging.INFO, logger="kiosk")
    source, cams = open_camera(clock, ctl=ctl)
    assert cams[0].fourcc_asked[0] == "MJPG"  # asked for before the size and rate
    assert source.mode is not None and source.mode.format == "MJPG"
    assert (source.mode.width, source.mode.height, source.mode.reported_fps) == (1280, 720, 30.0)
    assert source.camera_mode()["measured_fps"] is None  # still measuring
    assert run_for(source, clock, 3.5) >= 100
    mode = source.camera_mode()
    assert mode["format"] == "MJPG" and mode["measured_fps"] == pytest.approx(30.0, abs=0.2)
    assert not source.mode.slow
    text = caplog.text
    assert "camera 0 open: MJPG 1280x720, not yet measured (asked 30" in text
    assert re.search(r"camera 0 delivers MJPG 1280x720, 30 fps measured", text)

    metrics = Metrics(clock=clock)
    metrics.watch_camera(source.camera_mode)
    snap = metrics.snapshot()
    assert "camera=MJPG_1280x720_30.0fps" in metrics.format_line(snap)
    assert "camera_mode" not in metrics.format_line(snap)  # the details go to the health file
    doc = json.loads(json.dumps(build_health(snap)))
    assert doc["camera"] == "MJPG 1280x720 30.0fps"
    assert doc["camera_mode"]["format"] == "MJPG" and doc["camera_mode"]["measured_fps"] == 30.0
    source.close()


def test_without_mjpg_it_falls_back_to_yuyv_and_says_it_is_slow(
        caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    source, cams = open_camera(clock, YUYV_ONLY)
    assert cams[0].fourcc_asked[:2] == ["MJPG", "YUYV"]
    assert source.mode.format == "YUYV" and (source.mode.width, source.mode.height) == (1280, 720)
    run_for(source, clock, 3.5)
    assert source.mode.measured_fps == pytest.approx(10.0, abs=0.1) and source.mode.slow
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("delivers only YUYV 1280x720, 10 fps measured" in r.getMessage() for r in warned)
    source.close()


def test_dim_light_rate_drop_is_switched_off() -> None:
    clock = FakeClock()
    ctl = FakeV4l2Ctl()
    source, _ = open_camera(clock, dim=True, ctl=ctl)
    assert [V4L2_CTL, "-d", "/dev/video0", "--set-ctrl=exposure_dynamic_framerate=0"] in ctl.calls
    assert ctl.controls["exposure_dynamic_framerate"] == 0
    run_for(source, clock, 3.5)
    assert source.mode.measured_fps == pytest.approx(30.0, abs=0.2)  # not 15: exposure 1/15 s
    assert source.mode.dim_light == "off"
    source.close()


def test_without_switching_it_off_dim_light_halves_the_rate() -> None:
    """The same camera, with no v4l2-ctl on the host: in dim light it gives 15 fps, and the
    kiosk says so (the fake is honest about what the control does)."""
    clock = FakeClock()
    ctl = FakeV4l2Ctl()
    cams, factory = fake_camera(clock, dim=True, ctl=ctl)
    cfg = CameraConfig(source="camera", device=0, width=1280, height=720, fps=30)
    source = CameraSource(cfg, capture_factory=factory, runner=ctl, which=no_tools, clock=clock)
    run_for(source, clock, 3.5)
    assert source.mode.dim_light == "no v4l2-ctl" and ctl.calls == []
    assert source.mode.measured_fps == pytest.approx(15.0, abs=0.1) and source.mode.slow
    source.close()


def test_older_kernels_name_the_control_exposure_auto_priority() -> None:
    ctl = FakeV4l2Ctl(C920_CTRLS.replace("exposure_dynamic_framerate", "exposure_auto_priority"))
    assert keep_rate_in_dim_light(0, ctl, which) == "off"
    assert ctl.controls["exposure_auto_priority"] == 0


def test_a_camera_without_the_control_or_a_failing_tool_is_no_error() -> None:
    ctl = FakeV4l2Ctl(C920_CTRLS.replace("exposure_dynamic_framerate", "some_other_control"))
    assert keep_rate_in_dim_light("/dev/video2", ctl, which) == "absent"
    assert not any(a.startswith("--set-ctrl") for call in ctl.calls for a in call)

    def broken(argv, timeout):  # noqa: ANN001, ANN202
        return 124, "timed out after 5 s"

    assert keep_rate_in_dim_light(0, broken, which).startswith("failed: timed out")
    assert keep_rate_in_dim_light(0, broken, no_tools) == "no v4l2-ctl"
    assert keep_rate_in_dim_light("/tmp/clip.avi", broken, which) == "not a device"


def test_the_doctor_reports_format_size_and_measured_rate() -> None:
    cfg = load_config(None, ["camera.source=camera", "camera.device=0"])
    devices = [Path("/dev/video0")]

    def probe_with(formats: str):  # noqa: ANN202
        def probe(dev, w, h, fps):  # noqa: ANN001, ANN202
            clock = FakeClock()
            _, factory = fake_camera(clock, formats, ctl=FakeV4l2Ctl())
            return probe_camera(dev, w, h, fps, capture_factory=factory, runner=FakeV4l2Ctl(),
                                which=which, clock=clock)
        return probe

    checks = doctor.check_cameras(cfg, devices, probe_with(C920_FORMATS))
    line = next(c for c in checks if c.name == "camera")
    assert line.status == "OK", line
    assert line.detail.startswith("/dev/video0 (configured): delivers MJPG 1280x720, 30 fps "
                                  "measured (driver says 30; exposure-driven rate drop: off)")
    checks = doctor.check_cameras(cfg, devices, probe_with(YUYV_ONLY))
    line = next(c for c in checks if c.name == "camera")
    assert line.status == "WARN", line
    assert "delivers YUYV 1280x720, 10 fps measured" in line.detail
    assert "under camera.fps 30" in line.detail


def test_the_doctor_reads_a_busy_camera_from_the_health_file(tmp_path: Path) -> None:
    health = tmp_path / "health.json"
    cfg = load_config(None, ["camera.source=camera", f"service.health_file={health}"])
    clock = FakeClock()
    source, _ = open_camera(clock, YUYV_ONLY)
    run_for(source, clock, 3.5)
    metrics = Metrics()
    metrics.watch_camera(source.camera_mode)
    Health(health).write(metrics.snapshot())
    busy = doctor.check_cameras(cfg, [Path("/dev/video0")],
                                lambda *a: {"opened": True, "frame": False})
    assert busy[0].status == "WARN"
    assert "in use by the running kiosk, which reports it delivers YUYV 1280x720, 10 fps " \
           "measured" in busy[0].detail
    source.close()


def test_prometheus_carries_the_measured_rate(tmp_path: Path) -> None:
    clock = FakeClock()
    source, _ = open_camera(clock)
    run_for(source, clock, 3.5)
    metrics = Metrics()
    metrics.watch_camera(source.camera_mode)
    prom = tmp_path / "kiosk.prom"
    assert PrometheusTextfile(prom).write(build_health(metrics.snapshot()))
    text = prom.read_text()
    assert "roulette_kiosk_camera_frames_per_second 30.0" in text
    assert 'format="MJPG"' in text and 'size="1280x720"' in text
    source.close()
