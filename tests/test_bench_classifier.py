"""The classifier benchmark times the real model on real crops and says which host it ran on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_classifier_prints_its_cases_with_the_host() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "scripts.bench.bench_classifier", "--providers", "cpu",
         "--runs", "3", "--warmup", "1"],
        capture_output=True, text=True, timeout=180, check=True, cwd=ROOT,
    )
    lines = [line for line in proc.stdout.splitlines() if not line.startswith("#")]
    cases = [dict(part.split("=", 1) for part in line.split()) for line in lines]
    assert [fields["case"] for fields in cases] == ["batch_1", "batch_8", "mixed_1to4"]
    for fields in cases:
        assert fields["cpu_model"] and fields["avx512"] in ("0", "1") and int(fields["cores"]) >= 1
    for fields in cases[:2]:
        assert 0.0 < float(fields["per_crop_ms_p50"]) <= float(fields["per_crop_ms_p99"])
    assert float(cases[2]["per_batch_ms_p50"]) > 0.0
