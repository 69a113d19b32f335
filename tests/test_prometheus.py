"""The Prometheus textfile (service.prometheus_textfile): the health file's numbers in the text
exposition format, read back with prometheus_client's own parser, from Metrics fed by hand and
from the real `kiosk run` on a video of a real face."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import FakeClock, fed_metrics
from prometheus_client.parser import text_string_to_metric_families

from kiosk.config import ConfigError, ServiceConfig, load_config
from kiosk.service.health import Health
from kiosk.service.metrics import Metrics
from kiosk.service.prometheus import PrometheusTextfile

ROOT = Path(__file__).resolve().parent.parent


def _parse(path: Path) -> dict[str, dict]:
    """{family name: {"type": ..., "samples": {(sample name, labels...): value}}}."""
    families = {}
    for family in text_string_to_metric_families(path.read_text(encoding="utf-8")):
        samples = {(s.name, *sorted(s.labels.items())): s.value for s in family.samples}
        families[family.name] = {"type": family.type, "samples": samples}
    return families


def _value(families: dict, family: str, sample: str | None = None, **labels: str) -> float:
    return families[family]["samples"][(sample or family, *sorted(labels.items()))]


def test_textfile_carries_the_health_numbers_by_prometheus_conventions(tmp_path: Path) -> None:
    clock = FakeClock()
    metrics = fed_metrics(clock, failure_alert_count=2)
    metrics.watch_first_labels(lambda: [0.020, 0.040, 0.100])
    for _ in range(3):
        metrics.record_error("camera", OSError("gone"))
    metrics.record_error("classify", RuntimeError("boom"))
    metrics.record_success("classify")
    prom = tmp_path / "roulette-kiosk.prom"
    health = Health(None, interval_s=5, clock=clock, textfile=PrometheusTextfile(prom))
    assert health.enabled and health.maybe_write(metrics) is True

    fam = _parse(prom)
    assert all(name.startswith("roulette_kiosk_") for name in fam)
    assert _value(fam, "roulette_kiosk_up") == 1
    assert fam["roulette_kiosk_frames"]["type"] == "counter"
    assert _value(fam, "roulette_kiosk_frames", "roulette_kiosk_frames_total") == 100
    assert _value(fam, "roulette_kiosk_frames_per_second") == pytest.approx(25.0, rel=0.01)
    frame = "roulette_kiosk_frame_time_seconds"
    assert fam[frame]["type"] == "summary"
    assert _value(fam, frame, quantile="0.5") == pytest.approx(0.01495, abs=1e-4)
    assert (_value(fam, frame, quantile="0.5") <= _value(fam, frame, quantile="0.95")
            <= _value(fam, frame, quantile="0.99"))
    assert _value(fam, frame, frame + "_count") == 100
    assert _value(fam, frame, frame + "_sum") == pytest.approx(100 * 0.010 + 0.0001 * 4950)
    detect = "roulette_kiosk_detection_seconds"
    assert _value(fam, detect, quantile="0.99") == pytest.approx(0.005)
    assert _value(fam, detect, detect + "_count") == 100
    batch = "roulette_kiosk_classification_batch_seconds"
    assert _value(fam, batch, quantile="0.5") == pytest.approx(0.040)
    assert _value(fam, batch, batch + "_count") == 2
    first = "roulette_kiosk_first_label_seconds"
    assert _value(fam, first, quantile="0.5") == pytest.approx(0.040)
    assert _value(fam, first, quantile="0.99") == pytest.approx(0.0988, abs=1e-4)
    assert _value(fam, "roulette_kiosk_classified_crops",
                  "roulette_kiosk_classified_crops_total") == 3
    assert _value(fam, "roulette_kiosk_crops_per_batch") == 1.5
    assert _value(fam, "roulette_kiosk_faces") == 2
    assert _value(fam, "roulette_kiosk_provider_info",
                  provider="CUDAExecutionProvider") == 1
    assert _value(fam, "roulette_kiosk_uptime_seconds") == pytest.approx(4.0)
    assert _value(fam, "roulette_kiosk_resident_memory_bytes") > 10 * 2**20
    assert abs(_value(fam, "roulette_kiosk_last_update_timestamp_seconds") - time.time()) < 60
    errors = "roulette_kiosk_errors"
    assert fam[errors]["type"] == "counter"
    assert _value(fam, errors, errors + "_total", component="camera") == 3
    assert _value(fam, errors, errors + "_total", component="classify") == 1
    assert _value(fam, "roulette_kiosk_consecutive_failures", component="camera") == 3
    assert _value(fam, "roulette_kiosk_consecutive_failures", component="classify") == 0
    assert _value(fam, "roulette_kiosk_failing", component="camera") == 1
    assert _value(fam, "roulette_kiosk_failing", component="classify") == 0
    # node_exporter runs as another user: readable whatever the umask; no temporary file left
    assert oct(prom.stat().st_mode & 0o777) == "0o644"
    assert [p.name for p in tmp_path.iterdir()] == [prom.name]

    health.remove()  # a clean stop: still there, marked down
    assert _value(_parse(prom), "roulette_kiosk_up") == 0
    assert _value(_parse(prom), "roulette_kiosk_frames", "roulette_kiosk_frames_total") == 100


def test_an_empty_window_is_nan_in_a_summary_and_a_missing_gauge_is_left_out(
        tmp_path: Path) -> None:
    prom = tmp_path / "k.prom"
    assert PrometheusTextfile(prom).write(Metrics().snapshot())
    fam = _parse(prom)
    assert math.isnan(_value(fam, "roulette_kiosk_first_label_seconds", quantile="0.5"))
    assert "roulette_kiosk_frames_per_second" not in fam  # fps is unknown before two frames
    assert "roulette_kiosk_errors" not in fam and "roulette_kiosk_provider_info" not in fam


def test_health_writes_both_files_at_one_cadence(tmp_path: Path) -> None:
    clock = FakeClock()
    cfg = ServiceConfig(health_file=tmp_path / "health.json", health_interval_s=5,
                        prometheus_textfile=tmp_path / "k.prom")
    health = Health.from_config(cfg, clock=clock)
    metrics = Metrics()
    assert health.maybe_write(metrics) and health.maybe_write(metrics) is False
    first = (tmp_path / "k.prom").stat().st_mtime_ns
    time.sleep(0.01)
    clock.t += 5
    assert health.maybe_write(metrics)
    assert (tmp_path / "k.prom").stat().st_mtime_ns > first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["health.json", "k.prom"]


def test_an_unwritable_textfile_is_logged_not_raised(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert PrometheusTextfile(blocker / "k.prom").write(Metrics().snapshot()) is False


def test_the_textfile_must_end_in_prom() -> None:
    assert ServiceConfig().prometheus_textfile is None  # off by default
    with pytest.raises(ConfigError, match=r"service\.prometheus_textfile.*\.prom"):
        load_config(None, ["service.prometheus_textfile=/tmp/kiosk.txt"])


def test_the_running_kiosk_writes_a_textfile_that_parses(tmp_path: Path,
                                                         astronaut_video: Path) -> None:
    prom = tmp_path / "node-exporter" / "roulette-kiosk.prom"
    config = tmp_path / "kiosk.yaml"
    config.write_text(yaml.safe_dump({
        "camera": {"source": "video", "path": str(astronaut_video)},
        "display": {"fullscreen": False, "width": 640, "height": 360},
        "service": {"prometheus_textfile": str(prom), "health_interval_s": 0.5},
    }))
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "run", "--headless", "--seconds", "8",
         "--config", str(config)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen_running = None
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if prom.exists():
                fam = _parse(prom)
                if _value(fam, "roulette_kiosk_faces") >= 1:
                    seen_running = fam
                    break
            time.sleep(0.2)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr[-3000:]
    assert seen_running is not None, f"no textfile with a face while running\n{stderr[-3000:]}"
    assert _value(seen_running, "roulette_kiosk_up") == 1
    assert _value(seen_running, "roulette_kiosk_frames", "roulette_kiosk_frames_total") > 0
    providers = [labels for (_, *labels) in seen_running["roulette_kiosk_provider_info"]
                 ["samples"]]
    assert providers and providers[0][0][0] == "provider"
    final = _parse(prom)
    assert _value(final, "roulette_kiosk_up") == 0
    assert _value(final, "roulette_kiosk_frames", "roulette_kiosk_frames_total") >= _value(
        seen_running, "roulette_kiosk_frames", "roulette_kiosk_frames_total")
    assert _value(final, "roulette_kiosk_first_label_seconds", quantile="0.5") > 0
    assert [p.name for p in prom.parent.iterdir()] == [prom.name]
