"""The folder benchmark runs the real `kiosk classify` both ways and prints one line a case,
each with the CPU model and its AVX-512 flag."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_classify_folder_prints_both_cases_with_the_cpu() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "scripts.bench.bench_classify_folder", "--images", "2"],
        capture_output=True, text=True, timeout=300, check=True, cwd=ROOT,
    )
    rows = [dict(part.split("=", 1) for part in shlex.split(line))
            for line in proc.stdout.splitlines()]
    assert [row["case"] for row in rows] == ["one_process", "process_per_image", "speedup"]
    for row in rows:
        assert row["cpu"] and row["avx512"] in ("yes", "no") and row["images"] == "2"
    for row in rows[:2]:
        assert float(row["images_per_s"]) > 0 and int(row["faces"]) >= 2  # astronaut, camera man
    assert float(rows[2]["one_process_vs_per_image"]) > 0
