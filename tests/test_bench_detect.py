"""The detection benchmark runs on a tiny subset and computes its figures; distant faces
are found by the tile search and then followed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
from conftest import ASTRONAUT_FACE, place

from kiosk.config import DetectorConfig, KioskConfig
from kiosk.detect import FaceDetector
from kiosk.views import Box

ROOT = Path(__file__).resolve().parent.parent


def test_bench_detect_prints_its_figures_on_a_tiny_subset() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "scripts.bench.bench_detect", "--clips-per-size", "1",
         "--faces-per-frame", "1", "--empty-clips", "1", "--clip-frames", "2",
         "--resolutions", "1280x720"],
        capture_output=True, text=True, timeout=120, check=True, cwd=ROOT,
    )
    assert "Sparsity tensors" not in proc.stderr and "INFO: [" not in proc.stderr, proc.stderr
    out = proc.stdout.strip().splitlines()
    assert len(out) == 1
    fields = dict(part.split("=", 1) for part in out[0].split())
    assert fields["case"] == "1280x720"
    assert fields["frames"] == "14"  # (6 sizes + 1 empty) x 2 frames
    for size in (24, 32, 40, 56, 80, 120):
        assert 0.0 <= float(fields[f"recall_{size}px"]) <= 1.0
    assert float(fields["false_pos_per_1000_frames"]) >= 0.0
    assert 0.0 < float(fields["detect_ms_p50"]) <= float(fields["detect_ms_p99"])
    assert fields["cpu_model"] and fields["avx512"] in ("0", "1") and int(fields["cores"]) >= 1


def test_a_distant_face_is_found_by_the_tile_search_and_followed(astronaut: np.ndarray) -> None:
    scale = 48 / (ASTRONAUT_FACE[2] - ASTRONAUT_FACE[0])  # a 48 px face: a visitor at ~3 m
    small = cv2.resize(astronaut, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    frame = place(small, (1280, 720), 900, 420)
    x0, y0, x1, y1 = (v * scale for v in ASTRONAUT_FACE)
    truth = Box(x0 + 900, y0 + 420, x1 + 900, y1 + 420)
    cfg = KioskConfig()
    plain = DetectorConfig(search_tile_px=0)  # the old tiled pass alone
    with FaceDetector(cfg.resolve(cfg.detector.short_range_path), plain) as det:
        assert len(det.detect(frame, 0.0)) == 0  # too small for the pass over the whole frame
    searching = DetectorConfig(search_tile_px=360)
    with FaceDetector(cfg.resolve(cfg.detector.short_range_path), searching,
                      cfg.resolve(cfg.detector.full_range_path)) as det:
        found_at = None
        for i in range(16):  # 15 tiles at 1280x720: one sweep
            if any(b.iou(truth) > 0.4 for b in det.detect(frame, i / 30).boxes()):
                found_at = i
                break
        assert found_at is not None
        for i in range(found_at + 1, found_at + 6):  # then found every frame
            assert any(b.iou(truth) > 0.4 for b in det.detect(frame, i / 30).boxes())
