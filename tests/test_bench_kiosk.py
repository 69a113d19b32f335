"""The kiosk benchmark runs the real loop on a real video and prints its one line a case,
with the host's keys and the run's own crop time; the one-core case really runs on one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_bench_kiosk_prints_one_line_a_case_with_its_first_labels() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "scripts.bench.bench_kiosk", "--cases", "720p_1face",
         "720p_1face_one_core", "720p_moving_face", "--seconds", "1", "--arrivals", "2"],
        capture_output=True, text=True, timeout=240, check=True, cwd=ROOT,
    )
    lines = [line for line in proc.stdout.splitlines() if not line.startswith("#")]
    assert len(lines) == 3, proc.stdout
    cases = [dict(part.split("=", 1) for part in line.split()) for line in lines]
    moving = cases.pop()
    assert [fields["case"] for fields in cases] == ["720p_1face", "720p_1face_one_core"]
    for fields in cases:
        assert int(fields["first_labels"]) == 2  # one newcomer a wave, each labelled
        p50, p99, top = (float(fields[f"first_label_{k}_ms"]) for k in ("p50", "p99", "max"))
        # a label lands no sooner than the spin's designed length, and by its longest
        assert 1000.0 <= p50 <= p99 <= top < 2500.0 + 500.0
        assert float(fields["label_wait_p50_ms"]) == pytest.approx(p50 - 1000.0, abs=0.2)
        assert float(fields["detect_hz"]) > 0.0
        assert float(fields["camera_fps"]) > 0.0 and float(fields["rss_mb"]) > 0.0
        # the host, and the run's own crop time, so that hosts compare as ratios
        assert fields["cpu_model"] and " " not in fields["cpu_model"]
        assert fields["avx512"] in ("0", "1")
        crop = float(fields["per_crop_ms_p50"])
        assert 0.0 < crop < 1000.0
        assert abs(float(fields["first_label_over_crop"]) - p50 / crop) < 0.02 * p50 / crop + 0.01
    assert cases[0]["per_crop_ms_p50"] == cases[1]["per_crop_ms_p50"]  # measured once a run
    # the moving face: how far the box lags, in face widths, over the frames drawn
    assert moving["case"] == "720p_moving_face" and int(moving["frames"]) > 5
    assert 0.0 <= float(moving["box_lag_p50_fw"]) <= float(moving["box_lag_p95_fw"]) < 1.0
    assert int(cases[0]["cores"]) >= 1 and int(cases[1]["cores"]) == 1  # pinned to one core


def test_bench_kiosk_refuses_no_arrivals() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "scripts.bench.bench_kiosk", "--arrivals", "0"],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )
    assert proc.returncode == 2 and "--arrivals must be at least 1" in proc.stderr
