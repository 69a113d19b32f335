"""Metrics (bounded, logged at an interval), the health file (atomic, no image data), capture."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import FakeClock, fed_metrics

from kiosk.config import CaptureConfig, ServiceConfig
from kiosk.screen_capture import Capture
from kiosk.service.health import Health, build_health, read_health
from kiosk.service.metrics import Metrics

# -- metrics ---------------------------------------------------------------------------------


def test_snapshot_numbers() -> None:
    m = fed_metrics(FakeClock())
    snap = m.snapshot()
    assert snap["fps"] == pytest.approx(25.0, rel=0.01)
    assert snap["frame_p50_ms"] == pytest.approx(14.95, abs=0.1)
    assert snap["frame_p50_ms"] <= snap["frame_p95_ms"] <= snap["frame_p99_ms"]
    assert snap["detect_p50_ms"] == pytest.approx(5.0) and snap["detect_p99_ms"] == 5.0
    assert snap["classify_p50_ms"] == pytest.approx(40.0)
    assert snap["crops_per_batch"] == 1.5
    assert (snap["faces"], snap["provider"], snap["frames"]) == (2, "CUDAExecutionProvider", 100)
    assert snap["rss_mb"] > 10
    assert snap["uptime_s"] == pytest.approx(4.0)
    json.dumps(snap)  # JSON-ready


def test_fps_falls_when_the_loop_stalls() -> None:
    clock = FakeClock()
    m = Metrics(clock=clock)
    for _ in range(30):
        clock.t += 1 / 30
        m.record_frame(0.01)
    assert m.fps() == pytest.approx(30, rel=0.02)
    clock.t += 10
    assert m.fps() < 3


def test_windows_are_bounded() -> None:
    m = Metrics(window=64)
    for _ in range(10_000):
        m.record_frame(0.01)
        m.record_detection(0.01)
        m.record_classification(0.01, 1)
    snap = m.snapshot()
    assert snap["frames"] == 10_000 and snap["totals"]["detections"] == 10_000
    # the windows hold the last 64: a slow stretch older than that has left every percentile
    for _ in range(64):
        m.record_frame(0.5)
        m.record_detection(0.5)
        m.record_classification(0.5, 1)
    snap = m.snapshot()
    assert snap["frame_p50_ms"] == snap["detect_p50_ms"] == snap["classify_p50_ms"] == 500.0


def test_from_service_config() -> None:
    cfg = ServiceConfig(metrics_interval_s=7, failure_alert_count=3)
    for m in (Metrics(cfg), Metrics.from_config(cfg)):
        assert (m.interval_s, m.failure_alert_count) == (7.0, 3)


def test_maybe_log_once_per_interval(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    m = Metrics(10.0, clock=clock)
    m.record_frame(0.02)
    m.set_provider("CPUExecutionProvider")
    m.record_error("classify", RuntimeError("boom"))
    caplog.set_level(logging.INFO, logger="kiosk.metrics")
    caplog.clear()
    logged = []
    for _ in range(250):  # 25 s
        clock.t += 0.1
        logged.append(m.maybe_log(clock.t))
    assert sum(logged) == 2
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("metrics ")]
    assert len(lines) == 2
    fields = dict(part.split("=", 1) for part in lines[0].split()[1:])
    for key in (
        "fps",
        "frame_p50_ms",
        "frame_p95_ms",
        "frame_p99_ms",
        "detect_p50_ms",
        "detect_p99_ms",
        "classify_p50_ms",
        "classify_p99_ms",
        "faces",
        "provider",
        "rss_mb",
        "uptime_s",
        "errors",
        "failing",
    ):
        assert key in fields, key
    assert fields["provider"] == "CPUExecutionProvider"
    assert fields["errors"] == "classify:1" and fields["failing"] == "-"


def test_failure_streaks_logged_without_flooding(caplog: pytest.LogCaptureFixture) -> None:
    m = Metrics(failure_alert_count=5)
    caplog.set_level(logging.INFO, logger="kiosk.metrics")
    for _ in range(100):
        try:
            raise ValueError("frame of shape (3,)")
        except ValueError as exc:
            m.record_error("detect", exc)
    assert m.consecutive_failures("detect") == 100
    assert m.failing() == ["detect"]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(warnings) == 1  # the first failure, with its stack
    assert "Traceback" in warnings[0].getMessage() and "test_service_ops.py" in caplog.text
    assert [r.args[1] for r in errors] == [5, 8, 16, 32, 64]  # alert, then powers of two
    snap = m.snapshot()
    assert snap["errors"] == {"detect": 100} and snap["failing"] == ["detect"]
    assert "ValueError" in snap["last_error"]["detect"]
    caplog.clear()
    m.record_success("detect")
    assert m.consecutive_failures("detect") == 0 and m.failing() == []
    assert "recovered after 100" in caplog.text
    assert m.snapshot()["errors"] == {"detect": 100}  # totals are kept


def test_metrics_are_thread_safe() -> None:
    """The display thread, the detection thread and the workers record at once: no update may
    be lost. Four threads hammer the counters while snapshots are taken, the interpreter
    switching threads every microsecond, and every total must add up exactly. With
    `Metrics._lock` replaced by a no-op (contextlib.nullcontext) this fails: `self._frames += 1`
    and the error counts lose updates (issue 29's note has the run)."""
    m = Metrics(window=128)
    n = 20_000
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)

    def frames() -> None:
        for _ in range(n):
            m.record_frame(0.01)

    def errors() -> None:
        for _ in range(n):
            m.record_error("classify", RuntimeError("x"))
            m.record_detection(0.005)

    threads = [threading.Thread(target=fn) for fn in (frames, frames, errors, errors)]
    try:
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            m.snapshot()
    finally:
        for t in threads:
            t.join()
        sys.setswitchinterval(previous)
    snap = m.snapshot()
    counts = (snap["frames"], snap["totals"]["detections"], snap["errors"]["classify"],
              snap["consecutive_failures"]["classify"])
    assert counts == (2 * n,) * 4, f"lost updates: {counts} of {2 * n} each"


# -- health file -----------------------------------------------------------------------------


def test_health_file_written_atomically_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "run" / "health.json"
    m = Metrics(failure_alert_count=2)
    m.record_frame(0.01)
    m.record_error("camera", OSError("gone"))
    m.record_error("camera", OSError("gone"))
    clock = FakeClock()
    h = Health(path, interval_s=5, clock=clock)
    assert h.maybe_write(m) is True
    assert h.maybe_write(m) is False  # not yet due
    clock.t += 5
    assert h.maybe_write(m) is True
    doc = read_health(path)
    assert doc["failing"] == ["camera"] and doc["status"] == "failing"
    assert doc["consecutive_failures"] == {"camera": 2}
    assert doc["pid"] == os.getpid() and doc["timestamp"] > 0
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    assert [p.name for p in path.parent.iterdir()] == ["health.json"]  # no temp left
    h.remove()
    assert read_health(path) is None


def test_health_contains_no_image_data() -> None:
    snap = Metrics().snapshot()
    snap["frame"] = np.zeros((4, 4, 3), np.uint8)  # whatever a caller adds is dropped
    snap["crop"] = b"\x89PNG"
    doc = build_health(snap)
    assert "frame" not in doc and "crop" not in doc
    json.dumps(doc)


def test_health_without_path_and_unwritable(tmp_path: Path) -> None:
    assert Health(None).maybe_write(Metrics()) is False
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert Health(blocker / "health.json").write(Metrics().snapshot()) is False  # no raise


def test_read_health_rejects_garbage(tmp_path: Path) -> None:
    bad = tmp_path / "health.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError):
        read_health(bad)


# -- capture ---------------------------------------------------------------------------------


def _frame() -> np.ndarray:
    frame = np.zeros((48, 64, 3), np.uint8)
    frame[:, :, 0] = 200  # red
    frame[10:20, 10:20] = (0, 255, 0)
    return frame


def test_capture_disabled_never_touches_disk(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "captures"
    cap = Capture(CaptureConfig(enabled=False, folder=folder))

    def forbidden(*args, **kwargs):
        raise AssertionError("disk touched while capture is disabled")

    monkeypatch.setattr(os, "open", forbidden)
    monkeypatch.setattr(Path, "mkdir", forbidden)
    for i in range(10):
        assert cap.maybe_save(_frame(), float(i * 100), force=True) is None
    assert not folder.exists()
    assert Capture(CaptureConfig()).maybe_save(_frame(), 0.0, force=True) is None


def test_capture_writes_png_inside_folder_rate_limited(tmp_path: Path) -> None:
    folder = tmp_path / "captures"
    cap = Capture(CaptureConfig(enabled=True, folder=folder, interval_s=10))
    first = cap.maybe_save(_frame(), 100.0)
    assert first is not None and first.parent == folder and first.suffix == ".png"
    assert cap.maybe_save(_frame(), 105.0) is None  # automatic: within interval_s
    forced = cap.maybe_save(_frame(), 105.5, force=True)  # key C: allowed
    assert forced is not None and forced != first
    assert cap.maybe_save(_frame(), 105.9, force=True) is None  # 1 s minimum gap
    assert cap.maybe_save(_frame(), 110.1) is not None  # next automatic one
    files = sorted(folder.iterdir())
    assert len(files) == 3 and all(f.name.startswith("capture-") for f in files)
    back = cv2.cvtColor(cv2.imread(str(first)), cv2.COLOR_BGR2RGB)
    assert np.array_equal(back, _frame())  # RGB in, same RGB back out of the PNG
    assert oct(first.stat().st_mode & 0o777) == "0o640"


def test_capture_from_pygame_surface(tmp_path: Path) -> None:
    pygame = pytest.importorskip("pygame")
    surface = pygame.Surface((64, 48))
    surface.fill((200, 0, 0))
    pygame.draw.rect(surface, (0, 255, 0), pygame.Rect(10, 10, 10, 10))
    cap = Capture(CaptureConfig(enabled=True, folder=tmp_path))
    path = cap.maybe_save(surface, 0.0)
    assert path is not None
    back = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    assert back.shape == (48, 64, 3) and np.array_equal(back, _frame())


def test_capture_stops_at_max_files_and_deletes_nothing(tmp_path: Path) -> None:
    cap = Capture(CaptureConfig(enabled=True, folder=tmp_path, max_files=2, interval_s=1))
    saved = [cap.maybe_save(_frame(), float(t * 10)) for t in range(5)]
    assert sum(p is not None for p in saved) == 2
    assert len(list(tmp_path.iterdir())) == 2


def test_capture_bad_frame_is_logged_not_raised(tmp_path: Path) -> None:
    cap = Capture(CaptureConfig(enabled=True, folder=tmp_path))
    assert cap.maybe_save(np.zeros((5,), np.uint8), 0.0) is None
    assert cap.maybe_save(np.zeros((4, 4, 3), np.float32), 10.0) is None
    assert list(tmp_path.iterdir()) == []


def test_error_messages_never_quote_pixels(caplog: pytest.LogCaptureFixture) -> None:
    frame = np.arange(27, dtype=np.uint8).reshape(3, 3, 3)
    m = Metrics()
    caplog.set_level(logging.INFO, logger="kiosk.metrics")
    m.record_error("classify", ValueError(f"bad input {frame!r}"))
    m.record_error("detect", ValueError(f"bad input {frame.tolist()}"))
    m.record_error("camera", ValueError(f"bad bytes {frame.tobytes()!r}"))
    snap = m.snapshot()
    for component in ("classify", "detect", "camera"):
        assert "withheld" in snap["last_error"][component], snap["last_error"][component]
    assert "26" not in caplog.text and "array(" not in caplog.text
