"""Soak: push 100,000 frames through the real loop headless and report drift.

The source is the bundled demo stepped frame by frame (one visitor, two visitors, an empty
room, over and over), so faces arrive, get labelled, leave, and the scene is classified, the
whole way through. The loop runs unpaced (as fast as it can) with the shipped model and real
MediaPipe. Prints RSS, fps and error counts at the start, every `--every` frames, and at the
end; exits 1 if anything failed or memory grew by more than `--max-growth-mb`.

    .venv/bin/python -m scripts.bench.soak [--frames 100000]

With `--faults` (issue 28) it runs instead for `--seconds` at camera rate (the reader on its
own thread, paced to the source's frame rate, as a camera) on a looping video of faces
(`--video`, default: the bundled demo, said in the line as `source=demo`), while
kiosk/service/faults.py injects a seeded random schedule of every fault but the display's
(the run is headless: the display loss is tests/test_display_lost.py, on a real Xvfb). It
prints one key=value line and exits 1 on a fault not recovered from, a frame gap over 2 s, RSS
growth over 30 MB after warm-up (a quarter of the run, at most 15 min), more threads or file
descriptors at the end than after warm-up, a file written other than the calibration, or
health saying OK while a component had been failing past its limit (`health_lies`, seconds):

    .venv/bin/python -m scripts.bench.soak --faults --seconds 3600 [--seed 1] [--video faces.mp4]

`--faults --no-faults` is the same timed run, line and checks with nothing injected (and
nothing wrapped): the hour without faults. `faults_by_kind` counts what was injected, per kind.

`files_written` counts the files the process opened for writing (Python's audit hook: every
open() and os.open(), not native code's; the strace test in tests/test_privacy.py covers
native code), other than the calibration file and the soak's own health file.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import psutil  # noqa: E402

from kiosk.config import KioskConfig  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--every", type=int, default=10_000)
    parser.add_argument("--max-growth-mb", type=float, default=50.0)
    parser.add_argument("--faults", action="store_true", help="timed run with faults injected")
    parser.add_argument("--seconds", type=float, default=3600.0, help="with --faults")
    parser.add_argument("--seed", type=int, default=1, help="with --faults: the schedule")
    parser.add_argument("--video", type=Path, help="with --faults: a video of faces (looped)")
    parser.add_argument("--no-faults", action="store_true",
                        help="with --faults: the same timed run, line and checks, injecting none")
    args = parser.parse_args(argv)
    if args.faults:
        from scripts.bench.soak_faults import soak_with_faults

        return soak_with_faults(args.seconds, args.seed, args.video, inject=not args.no_faults)

    from kiosk.app import KioskApp
    from kiosk.classify.loading import load_model_parts
    from kiosk.service.metrics import Metrics
    from kiosk.sources.demo import DemoSource

    config = KioskConfig.model_validate({
        "display": {"fullscreen": False, "width": 1920, "height": 1080},
        "scene": {"no_face_after_s": 0.5, "idle_after_s": 5.0, "scene_relabel_s": 2.0},
        "service": {"metrics_interval_s": 3600},
    })
    parts = load_model_parts(config)
    metrics = Metrics(config.service)
    source = DemoSource(1280, 720, fps=30.0, realtime=False)
    app = KioskApp(config, parts.labeller, source, headless=True, threaded_source=False,
                   metrics=metrics, provider=parts.classifier.provider)
    process = psutil.Process()

    def report(tag: str, frames: int, window_fps: float) -> float:
        snap = metrics.snapshot()
        rss = process.memory_info().rss / 2**20
        errors = sum(snap["errors"].values()) + app.reader.errors + app.worker.restarts
        print(f"{tag:>6} frames={frames:>7} fps={window_fps:6.1f} rss_mb={rss:7.1f} "
              f"errors={errors} labelled_faces={len(app.pipeline.first_label_latencies)} "
              f"classify_p99_ms={snap['classify_p99_ms']}", flush=True)
        return rss

    print(f"soak: {args.frames} frames, provider {parts.classifier.provider}, "
          f"demo 1280x720 -> screen 1920x1080, unpaced", flush=True)
    done = 0
    first = min(1000, args.frames)
    started = time.monotonic()
    stats = app.run(max_frames=first, paced=False)
    done += stats.frames
    rss_start = report("start", done, stats.fps)
    while done < args.frames:
        chunk = min(args.every, args.frames - done)
        stats = app.run(max_frames=chunk, paced=False)
        done += stats.frames
        rss_end = report("", done, stats.fps)
    elapsed = time.monotonic() - started
    rss_end = report("end", done, done / elapsed)
    snap = metrics.snapshot()
    failed = sum(snap["errors"].values()) + app.reader.errors + app.worker.restarts
    app.close()
    parts.close()
    growth = rss_end - rss_start
    print(f"soak done: {done} frames in {elapsed:.0f} s ({done / elapsed:.1f} fps), "
          f"RSS {rss_start:.0f} -> {rss_end:.0f} MB ({growth:+.1f} MB), errors {failed}")
    return 0 if failed == 0 and growth <= args.max_growth_mb else 1


if __name__ == "__main__":
    from kiosk.native_stderr import filter_native_stderr

    filter_native_stderr()  # MediaPipe's routine chatter stays out of the figures
    raise SystemExit(main())
