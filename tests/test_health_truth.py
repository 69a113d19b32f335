"""Health tells the truth (issue 28): a render fault is counted, a persistent one turns the
health file and Prometheus to failing naming the component, a black screen stops the
watchdog pings, and every component's failures land in the one Metrics.

The loop here is the real KioskApp and Renderer (headless pygame) with a stand-in detector
that finds nobody and a stand-in model never called, so no model is loaded: the faults are
in drawing, the source and the calibration save, not in the model.
"""

from __future__ import annotations

import errno
import socket
import types
from pathlib import Path

import numpy as np
import pytest
from conftest import FakeClock, NobodyDetector

from kiosk.app import KioskApp
from kiosk.config import KioskConfig
from kiosk.service.faults import Fault, Faults
from kiosk.service.health import Health, read_health
from kiosk.service.metrics import Metrics
from kiosk.service.notify import Notifier
from kiosk.service.prometheus import PrometheusTextfile
from kiosk.sources.base import FrameSource


class _Grey(FrameSource):
    """A steady grey picture at 30 fps: nobody there."""

    name = "grey"

    @property
    def fps(self) -> float:
        return 30.0

    def read(self) -> np.ndarray:
        return np.full((180, 320, 3), 90, np.uint8)


def _config(**service: object) -> KioskConfig:
    return KioskConfig.model_validate({
        "display": {"fullscreen": False, "width": 320, "height": 180},
        "scene": {"no_face_after_s": 3600, "idle_after_s": 3600},
        "service": {"metrics_interval_s": 3600, **service},
    })


def _app(config: KioskConfig, source: FrameSource | None = None, **kwargs: object) -> KioskApp:
    never = types.SimpleNamespace(look=lambda crops: pytest.fail("the model was called"))
    return KioskApp(config, never, source or _Grey(), headless=True,  # type: ignore[arg-type]
                    threaded_source=False, detector=NobodyDetector(), **kwargs)  # type: ignore[arg-type]


class _DrawingBreaks:
    """A render fault switched on and off by hand, through the seam the kiosk declares for
    fault injection (KioskApp(faults=...), the renderer's wrap_paint): drawing raises while on."""

    def __init__(self) -> None:
        self._clock = FakeClock(0.0)
        self.faults = Faults([Fault("render", 10.0, 10.0)], clock=self._clock)

    def on(self) -> None:
        self._clock.t = 10.0

    def off(self) -> None:
        self._clock.t = 30.0


def test_a_render_fault_is_counted() -> None:
    metrics = Metrics(_config().service)
    drawing = _DrawingBreaks()
    app = _app(_config(), metrics=metrics, faults=drawing.faults)
    try:
        app.run(max_frames=3, paced=False)
        assert "render" not in metrics.snapshot()["errors"]
        drawing.on()
        app.run(max_frames=3, paced=False)
        assert metrics.snapshot()["errors"]["render"] == 3  # each fault counted once
        assert "injected render fault" in metrics.snapshot()["last_error"]["render"]
        assert not app.screenshot().any()  # the frame drawn black meanwhile
        drawing.off()
        app.run(max_frames=1, paced=False)
        assert metrics.consecutive_failures("render") == 0  # recovered
    finally:
        app.close()


def test_a_persistent_render_fault_turns_health_and_prometheus_to_failing(
        tmp_path: Path) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    config = _config(failure_alert_count=1000, failing_after_s=0.2)  # the time rule alone
    metrics = Metrics(config.service)
    prom = tmp_path / "kiosk.prom"
    health = Health(tmp_path / "health.json", interval_s=0.05,
                    textfile=PrometheusTextfile(prom))
    drawing = _DrawingBreaks()
    app = _app(config, metrics=metrics, health=health, faults=drawing.faults)
    try:
        app.run(max_frames=5, paced=False)
        assert read_health(tmp_path / "health.json")["status"] == "ok"
        drawing.on()
        app.run(max_seconds=0.6, paced=False)
        doc = read_health(tmp_path / "health.json")
        assert doc["status"] == "failing" and doc["failing"] == ["render"], doc
        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                   for f in text_string_to_metric_families(prom.read_text())
                   for s in f.samples}
        assert samples[("roulette_kiosk_failing", (("component", "render"),))] == 1
        assert samples[("roulette_kiosk_healthy", ())] == 0
    finally:
        app.close()


def test_render_failing_n_frames_in_a_row_stops_the_watchdog_pings(tmp_path: Path) -> None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify.sock"))
    sock.setblocking(False)
    ticks = iter(range(10**6))  # each ping is due: the clock moves an hour a call
    notifier = Notifier(environ={"NOTIFY_SOCKET": str(tmp_path / "notify.sock"),
                                 "WATCHDOG_USEC": "20000000"},
                        clock=lambda: 3600.0 * next(ticks))

    def pings() -> int:
        got = []
        while True:
            try:
                got.append(sock.recv(4096).decode())
            except BlockingIOError:
                return sum(m == "WATCHDOG=1" for m in got)

    drawing = _DrawingBreaks()
    app = _app(_config(watchdog_render_failures=5), notifier=notifier, faults=drawing.faults)
    try:
        app.run(max_frames=4, paced=False)
        assert pings() == 4  # one a frame while all is well
        drawing.on()
        app.run(max_frames=20, paced=False)
        assert pings() == 4  # the first 4 failures still ping; from the 5th in a row, none
        drawing.off()
        app.run(max_frames=3, paced=False)
        assert pings() == 3  # drawn again: the pings resume
    finally:
        app.close()
        sock.close()


def test_failing_for_longer_than_the_set_time_is_failing_however_slow() -> None:
    """A save tried once a minute fails 2 times in 60 s: far below the streak count, but it
    has been failing for a minute, which is longer than service.failing_after_s."""
    clock = FakeClock()
    metrics = Metrics(60.0, failure_alert_count=5, failing_after_s=10.0, clock=clock)
    metrics.record_error("calibration", OSError(errno.ENOSPC, "No space left on device"))
    assert metrics.failing() == []  # one failure is not yet failing
    clock.t += 60
    metrics.record_error("calibration", OSError(errno.ENOSPC, "No space left on device"))
    assert metrics.failing() == ["calibration"]
    assert metrics.failing_for_s("calibration") == 60
    metrics.record_success("calibration")
    assert metrics.failing() == [] and metrics.failing_for_s("calibration") == 0


def test_calibration_save_faults_and_a_gone_source_are_counted_in_the_metrics() -> None:
    from kiosk.service.faults import Fault, Faults

    config = _config()
    # next to no start-up grace: the source is gone at once
    config = config.model_copy(update={"camera": config.camera.model_copy(
        update={"read_timeout_s": 0.001})})
    metrics = Metrics(config.service)
    saves: list[int] = []
    calibration = types.SimpleNamespace(save=lambda: saves.append(1) or False,
                                        add_visitor=lambda scores: None, count=0)
    faults = Faults([Fault("state_full", 0.0, 30.0), Fault("camera_gone", 0.0, 30.0)])
    app = _app(config, metrics=metrics, calibration=calibration, faults=faults)
    try:
        app.service.save_calibration()
        app.run(max_frames=3, paced=False)
        errors = metrics.snapshot()["errors"]
        assert errors["calibration"] == 1 and saves == []
        assert "No space left on device" in metrics.snapshot()["last_error"]["calibration"]
        assert errors["source"] >= 1 and app.step().mode == "camera_unavailable"
    finally:
        faults.close()
        app.close()
