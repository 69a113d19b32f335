"""Benchmark the whole kiosk loop headless: display fps, frame-time percentiles, first-label
latency and memory, at 1280x720 with one and with four faces.

The camera is a real video file (written here with OpenCV from real photos) read on the
reader thread at its own 30 fps, exactly as a camera would be; the model is the shipped one.
Prints figures; asserts nothing (speed is measured here, not in the tests).

    .venv/bin/python scripts/bench_kiosk.py [--seconds 20]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import psutil  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiosk.config import KioskConfig  # noqa: E402

WIDTH, HEIGHT = 1280, 720
ARRIVALS = 12  # newcomer waves per case, for the first-label latency


def _heads() -> list[np.ndarray]:
    """Head-and-shoulders crops of a real photo (faces ~95 px, visitors at ~1.5 m)."""
    from skimage import data

    astronaut = np.ascontiguousarray(data.astronaut()[20:270, 100:350])
    mirrored = np.ascontiguousarray(astronaut[:, ::-1])
    return [astronaut, mirrored, astronaut, mirrored]


def make_video(path: Path, faces: int, frames: int = 150) -> Path:
    """A 1280x720 MJPG video with `faces` visitors drifting slowly, over a real backdrop."""
    from skimage import data

    backdrop = cv2.resize(data.coffee(), (WIDTH, HEIGHT))
    backdrop = (backdrop * 0.4).astype(np.uint8)
    heads = _heads()[:faces]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (WIDTH, HEIGHT))
    for i in range(frames):
        canvas = backdrop.copy()
        for k, head in enumerate(heads):
            x = 40 + k * 300 + int(20 * np.sin(i / 15 + k))
            y = 200 + int(10 * np.cos(i / 20 + k))
            canvas[y:y + head.shape[0], x:x + head.shape[1]] = head
        writer.write(cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000.0, q)) if values else float("nan")


def run_case(faces: int, seconds: float, parts, video_dir: Path) -> dict[str, float]:
    from kiosk.app import KioskApp
    from kiosk.sources.files import VideoFileSource

    config = KioskConfig.model_validate({
        "display": {"fullscreen": False, "width": 1920, "height": 1080},
        "camera": {"width": WIDTH, "height": HEIGHT},
        "tracker": {"respin_after_s": 0},
    })
    video = make_video(video_dir / f"faces{faces}.avi", faces)
    process = psutil.Process()
    app = KioskApp(config, parts.labeller, VideoFileSource(video), headless=True,
                   provider=parts.classifier.provider)
    try:
        app.run(max_seconds=1.0)  # warm-up: first frames, first labels
        rss_start = process.memory_info().rss / 2**20
        stats = app.run(max_seconds=seconds)
        rss_end = process.memory_info().rss / 2**20
        app.pipeline.first_label_latencies.clear()
        for _ in range(ARRIVALS):  # everyone leaves; the next frames bring newcomers
            app.pipeline.tracker.reset()
            app.run(max_seconds=1.0)
        first = list(app.pipeline.first_label_latencies)
    finally:
        app.close()
    return {
        "faces": faces,
        "fps": stats.fps,
        "frame_p50": _pct(stats.frame_times, 50),
        "frame_p99": _pct(stats.frame_times, 99),
        "work_p50": _pct(stats.work_times, 50),
        "work_p99": _pct(stats.work_times, 99),
        "first_label_p50": _pct(first, 50),
        "first_label_max": max(first) * 1000 if first else float("nan"),
        "first_labels": len(first),
        "rss_start": rss_start,
        "rss_end": rss_end,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args(argv)

    from kiosk.classify.loading import load_model_parts
    from kiosk.labels.taxonomy import Taxonomy

    config = KioskConfig()
    started = time.perf_counter()
    taxonomy = Taxonomy.load(config.resolve(config.vocabulary.labels_dir))
    load_ms = (time.perf_counter() - started) * 1000
    print(f"labels: {len(taxonomy)} synsets loaded in {load_ms:.0f} ms")
    parts = load_model_parts(config)
    print(f"model provider: {parts.classifier.provider} ({parts.classifier.provider_note})")
    print(f"cpu cores: {os.cpu_count()}; source 1280x720 @ 30 fps video; screen 1920x1080")
    header = (f"{'faces':>5} {'fps':>6} {'frame p50':>10} {'frame p99':>10} {'work p50':>9} "
              f"{'work p99':>9} {'1st label p50':>14} {'1st label max':>14} {'n':>4} "
              f"{'RSS MB':>15}")
    print(header)
    with tempfile.TemporaryDirectory() as tmp:
        for faces in (1, 4):
            r = run_case(faces, args.seconds, parts, Path(tmp))
            print(f"{r['faces']:>5} {r['fps']:>6.1f} {r['frame_p50']:>8.1f}ms "
                  f"{r['frame_p99']:>8.1f}ms {r['work_p50']:>7.1f}ms {r['work_p99']:>7.1f}ms "
                  f"{r['first_label_p50']:>12.0f}ms {r['first_label_max']:>12.0f}ms "
                  f"{r['first_labels']:>4} "
                  f"{r['rss_start']:>6.0f}->{r['rss_end']:<6.0f}")
            time.sleep(0.5)
    parts.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
