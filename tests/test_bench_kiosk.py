"""The kiosk benchmark runs the real loop on a real video and prints its one line a case."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_kiosk_prints_one_line_a_case_with_its_first_labels() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_kiosk.py"), "--cases", "720p_1face",
         "--seconds", "1", "--arrivals", "2"],
        capture_output=True, text=True, timeout=180, check=True, cwd=ROOT,
    )
    lines = [line for line in proc.stdout.splitlines() if not line.startswith("#")]
    assert len(lines) == 1, proc.stdout
    fields = dict(part.split("=", 1) for part in lines[0].split())
    assert fields["case"] == "720p_1face"
    assert int(fields["first_labels"]) == 2  # one newcomer a wave, each labelled
    p50, p99, top = (float(fields[f"first_label_{k}_ms"]) for k in ("p50", "p99", "max"))
    assert 0.0 < p50 <= p99 <= top < 1000.0
    assert float(fields["camera_fps"]) > 0.0 and float(fields["rss_mb"]) > 0.0


def test_bench_kiosk_refuses_no_arrivals() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_kiosk.py"), "--arrivals", "0"],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )
    assert proc.returncode == 2 and "--arrivals must be at least 1" in proc.stderr
