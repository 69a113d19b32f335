"""`kiosk doctor`: one screen of checks, exit 1 on any FAIL."""

from __future__ import annotations

import io
import shutil
import time
from pathlib import Path

import pytest

from kiosk import doctor
from kiosk.config import KioskConfig, load_config
from kiosk.service.health import Health
from kiosk.service.metrics import Metrics

MODEL_DIR = KioskConfig().resolve(KioskConfig().classifier.model_dir)


@pytest.fixture()
def setup_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.delenv("KIOSK_SET", raising=False)


def _config(tmp_path: Path, extra: str = "", model_dir: Path = MODEL_DIR) -> Path:
    path = tmp_path / "kiosk.yaml"
    path.write_text(
        f"camera:\n  source: demo\nclassifier:\n  model_dir: {model_dir}\n{extra}",
        encoding="utf-8",
    )
    return path


def _run(path: Path | None, overrides: list[str] | None = None,
         selftest: bool = False) -> tuple[int, str]:
    out = io.StringIO()
    code = doctor.run_doctor(path, overrides, out=out, selftest=selftest)
    return code, out.getvalue()


def _lines(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines()[1:-1]:
        parts = line.split(None, 2)
        if len(parts) >= 2 and parts[0] in ("OK", "WARN", "FAIL", "INFO"):
            found.setdefault(parts[1], []).append(parts[0])
    return found


def test_config_error_exits_non_zero(tmp_path: Path, setup_env) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("camera:\n  fps: -3\n  fsp: 2\n")
    code, text = _run(path)
    assert code == 1
    assert "FAIL config" in text and "camera.fps" in text and "camera.fsp: unknown key" in text
    assert "built-in defaults" in text  # the other checks still ran
    assert text.rstrip().splitlines()[-1].startswith("problems found")


def test_malformed_yaml_exits_non_zero(tmp_path: Path, setup_env) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("camera: [\n")
    code, text = _run(path)
    assert code == 1 and "malformed YAML" in text


def test_healthy_setup(tmp_path: Path, setup_env) -> None:
    code, text = _run(_config(tmp_path), selftest=True)
    lines = _lines(text)
    assert code == 0, text
    for name in ("config", "camera", "display", "detector", "classifier", "provider", "labels",
                 "vocabulary", "health", "systemd", "privacy", "network", "selftest", "frame",
                 "crop", "newcomers"):
        assert name in lines, (name, text)
    assert lines["config"] == ["OK"] and lines["detector"] == ["OK"]
    assert lines["classifier"] == ["OK"] and lines["privacy"] == ["OK"]
    assert lines["display"] == ["WARN"]  # SDL dummy driver: nothing shown
    assert lines["provider"] == ["WARN"]  # no GPU here: on CPU, with the reason
    assert "no NVIDIA" in text or "no CUDA provider" in text
    assert "sha256 verified, 2832 classes" in text
    assert "2832 of 2832 model labels" in text
    assert lines["network"] == ["OK"], text
    assert len(text.splitlines()) <= 25  # one screen


def test_missing_files_fail(tmp_path: Path, setup_env) -> None:
    code, text = _run(
        _config(tmp_path),
        [
            f"vocabulary.deny_file={tmp_path / 'deny.txt'}",
            f"detector.short_range_path={tmp_path / 'x.tflite'}",
        ],
    )
    assert code == 1
    assert "FAIL paths      vocabulary.deny_file" in text
    assert "FAIL detector" in text and "x.tflite" in text


def test_corrupt_model_is_reported(tmp_path: Path, setup_env) -> None:
    broken = tmp_path / "model"
    shutil.copytree(MODEL_DIR, broken)
    onnx = next(broken.glob("*.onnx"))
    data = bytearray(onnx.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte: same size, wrong sha256
    onnx.write_bytes(bytes(data))
    code, text = _run(_config(tmp_path, model_dir=broken))
    assert code == 1 and "FAIL classifier" in text and "sha256" in text and onnx.name in text
    assert "WARN vocabulary" in text  # not checked against a model that did not load


def _failing_health(tmp_path: Path, failing: bool) -> Path:
    path = tmp_path / "health.json"
    metrics = Metrics(failure_alert_count=5)
    metrics.record_frame(0.02)
    metrics.record_error("detect", ValueError("old"))
    metrics.record_success("detect")
    for _ in range(7 if failing else 1):
        metrics.record_error("classify", RuntimeError("CUDA error: out of memory"))
    Health(path).write(metrics.snapshot())
    return path


def test_health_file_with_repeated_failures_fails(tmp_path: Path, setup_env) -> None:
    health = _failing_health(tmp_path, failing=True)
    code, text = _run(_config(tmp_path, f"service:\n  health_file: {health}\n"))
    assert code == 1
    assert "FAIL failures" in text and "classify: 7 failures in a row" in text
    assert "CUDA error: out of memory" in text
    assert "OK   health" in text


def test_health_file_with_recovered_errors_warns(tmp_path: Path, setup_env) -> None:
    health = _failing_health(tmp_path, failing=False)
    code, text = _run(_config(tmp_path, f"service:\n  health_file: {health}\n"))
    assert code == 0, text
    assert "WARN failures" in text and "detect 1" in text


def test_stale_health_file_warns(tmp_path: Path) -> None:
    cfg = load_config(None, [f"service.health_file={tmp_path / 'h.json'}"])
    Health(tmp_path / "h.json").write(Metrics().snapshot())
    checks = doctor.check_health(cfg, now=time.time() + 3600)
    assert checks[0].status == "WARN" and "stale" in checks[0].detail


def test_cameras_with_fake_devices() -> None:
    cfg = load_config(None, ["camera.source=camera", "camera.device=1"])
    devices = [Path("/dev/video0"), Path("/dev/video1"), Path("/dev/video2")]

    def probe(dev, w, h, fps):
        if dev.name == "video1":
            return {
                "opened": True,
                "frame": True,
                "width": 640,
                "height": 480,
                "fps": 30.0,
                "fourcc": "YUYV",
            }
        return {"opened": dev.name == "video0", "frame": False}

    checks = doctor.check_cameras(cfg, devices, probe)
    text = "\n".join(f"{c.status} {c.detail}" for c in checks)
    assert ("OK /dev/video1 (configured): delivers YUYV 640x480, driver says 30 fps "
            "(not measured); requested 1280x720@30") in text
    assert all(c.status != "FAIL" for c in checks)
    checks = doctor.check_cameras(
        load_config(None, ["camera.source=camera", "camera.device=2"]), devices, probe
    )
    assert checks[-1].status == "FAIL" and "camera.device 2" in checks[-1].detail
    auto = doctor.check_cameras(load_config(None, ["camera.device=2"]), devices, probe)
    assert auto[-1].status == "WARN" and "demo" in auto[-1].detail
    none = doctor.check_cameras(load_config(None, ["camera.source=camera"]), [], probe)
    assert [c.status for c in none] == ["FAIL"]
    assert doctor.check_cameras(KioskConfig(), [], probe)[0].status == "WARN"


def test_real_classifier_when_installed(monkeypatch) -> None:
    """With the real kiosk.classify and a fetched model, doctor's classifier lines are OK."""
    pytest.importorskip("kiosk.classify.classifier")
    cfg = KioskConfig()
    if not cfg.resolve(cfg.classifier.model_dir).is_dir():
        pytest.skip("classifier model not fetched (scripts/setup.sh)")
    checks, wnids = doctor.check_classifier(cfg)
    assert wnids, [c.detail for c in checks]
    assert {c.name for c in checks} >= {"classifier", "provider"}
    assert all(c.status != "FAIL" for c in checks)
