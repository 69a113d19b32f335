"""Benchmark the whole kiosk loop headless: display fps, frame-time percentiles, first-label
latency and memory, on a 1920x1080 screen.

Cases: 1280x720 camera with one and with four faces, 1920x1080 camera with four faces,
1280x720 with four faces while a "busy neighbour" (a child process spinning on one core,
started and stopped here by its PID) competes for the CPU, and 1280x720 with one face on one
core (the whole process pinned to it, every thread, as `taskset -c` would: a stand-in for a
slower host). The camera is a real video file
(written here with OpenCV from real photos) read on the reader thread at its own 30 fps,
exactly as a camera would be; the model is the shipped one. Prints one key=value line per
case; asserts nothing (speed is measured here, not in the tests). `fps` counts every draw (a
label is drawn as soon as it arrives, between camera frames); `camera_fps` counts the distinct
camera frames shown, the rate a visitor sees themselves move at.

`720p_moving_face`: one face crossing the frame at one face-width a second (a visitor walking
past), for how far the drawn box lags the face: `box_lag_p95_fw`, the 95th percentile of the
distance between the box's centre and the face's true centre in each drawn frame, in face
widths (the target is 0.25).

First labels: `first_label_*` is from a face's arrival to its label landing (classify/spin.py);
the spin lasts `spin.min_s` by design, so `label_wait_*` is that time less the designed length
(what a slow host adds), and `label_wait_over_crop` = label_wait_p50_ms / per_crop_ms_p50.

Every line also says which host it comes from (`cpu_model`, `avx512`, and `cores`, those the
case may use) and gives `per_crop_ms_p50`, one crop's time on the kiosk's own session measured
at the start of the run as bench_classifier.py measures it, with `first_label_over_crop` =
first_label_p50_ms / per_crop_ms_p50: figures from different hosts compare as these ratios.

    .venv/bin/python -m scripts.bench.bench_kiosk [--seconds 15] [--arrivals 12] \
        [--cases 720p_1face ...]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import psutil  # noqa: E402

from kiosk.config import load_config  # noqa: E402
from kiosk.doctor.selftest import per_crop_ms  # noqa: E402
from kiosk.hostinfo import allowed_cores, host_info  # noqa: E402
from scripts.bench.bench_classifier import crops as classifier_crops  # noqa: E402

ARRIVALS = 12  # newcomer waves per case, for the first-label latency (--arrivals)
CROP_RUNS = 30  # crops timed at the start of the run, for per_crop_ms_p50


@dataclass(frozen=True)
class Case:
    width: int
    height: int
    faces: int
    busy_neighbour: bool = False
    one_core: bool = False  # the whole process pinned to one core
    moving: bool = False  # one face crossing at one face-width a second: the box's lag


CASES = {
    "720p_1face": Case(1280, 720, 1),
    "720p_4faces": Case(1280, 720, 4),
    "1080p_4faces": Case(1920, 1080, 4),
    "720p_4faces_busy_neighbour": Case(1280, 720, 4, busy_neighbour=True),
    "720p_1face_one_core": Case(1280, 720, 1, one_core=True),
    "720p_moving_face": Case(1280, 720, 1, moving=True),
}
FACE_WIDTH_PX = 95  # the astronaut's face in _heads() at 720p (MediaPipe's box)
PERIOD_FRAMES = 480  # the moving face: 8 s across and back, at one face-width a second


def _heads(scale: float) -> list[np.ndarray]:
    """Head-and-shoulders crops of a real photo (faces ~95 px at 720p, visitors at ~1.5 m)."""
    from skimage import data

    astronaut = np.ascontiguousarray(data.astronaut()[20:270, 100:350])
    if scale != 1.0:
        astronaut = cv2.resize(astronaut, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    mirrored = np.ascontiguousarray(astronaut[:, ::-1])
    return [astronaut, mirrored, astronaut, mirrored]


def make_video(path: Path, faces: int, width: int = 1280, height: int = 720,
               frames: int = 150) -> Path:
    """An MJPG video with `faces` visitors drifting slowly, over a real backdrop (visitors
    stand where they would at 720p: the same share of the frame at any resolution)."""
    from skimage import data

    backdrop = cv2.resize(data.coffee(), (width, height))
    backdrop = (backdrop * 0.4).astype(np.uint8)
    scale = width / 1280
    heads = _heads(scale)[:faces]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (width, height))
    for i in range(frames):
        canvas = backdrop.copy()
        for k, head in enumerate(heads):
            x = int(scale * (40 + k * 300 + 20 * np.sin(i / 15 + k)))
            y = int(scale * (200 + 10 * np.cos(i / 20 + k)))
            canvas[y:y + head.shape[0], x:x + head.shape[1]] = head
        writer.write(cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def moving_x(i: int, width: int = 1280) -> float:
    """Where the moving head is in frame i (a triangle wave at FACE_WIDTH_PX a second)."""
    speed = FACE_WIDTH_PX / 30.0
    half = PERIOD_FRAMES // 2
    phase = i % PERIOD_FRAMES
    return 100 + speed * (phase if phase < half else PERIOD_FRAMES - phase)


def make_moving_video(path: Path, width: int = 1280, height: int = 720) -> Path:
    """One visitor crossing the frame at one face-width a second, over a real backdrop."""
    from skimage import data

    backdrop = (cv2.resize(data.coffee(), (width, height)) * 0.4).astype(np.uint8)
    head = _heads(1.0)[0]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (width, height))
    for i in range(PERIOD_FRAMES):
        canvas = backdrop.copy()
        x = int(round(moving_x(i)))
        canvas[200:200 + head.shape[0], x:x + head.shape[1]] = head
        writer.write(cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def start_busy_neighbour() -> subprocess.Popen:
    """Another process keeping one core busy (a test suite, a screenshot tool...)."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def stop_busy_neighbour(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _thread_ids() -> list[int]:
    return [int(tid) for tid in os.listdir("/proc/self/task")]


@contextlib.contextmanager
def pinned_to_one_core() -> Iterator[int]:
    """Every thread of this process on one core (the first allowed), as `taskset -c` would
    pin it; threads started inside inherit it. Each thread's own set is restored on exit."""
    core = min(os.sched_getaffinity(0))
    saved: dict[int, set[int]] = {}
    for tid in _thread_ids():
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            saved[tid] = os.sched_getaffinity(tid)
            os.sched_setaffinity(tid, {core})
    try:
        yield core
    finally:
        for tid, cores in saved.items():
            with contextlib.suppress(OSError):
                os.sched_setaffinity(tid, cores)
        for tid in set(_thread_ids()) - set(saved):  # started inside: back to the main set
            with contextlib.suppress(OSError):
                os.sched_setaffinity(tid, saved.get(os.getpid(), os.sched_getaffinity(0)))


def measure_per_crop_ms(parts) -> float:
    """One crop's time (p50, batch 1) on the kiosk's session, as bench_classifier.py times it."""
    return float(np.percentile(per_crop_ms(parts.classifier.predict_proba,
                                           classifier_crops(1), CROP_RUNS, warmup=5), 50))


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000.0, q)) if values else float("nan")


def run_case(name: str, seconds: float, parts, video_dir: Path,
             overrides: list[str] | None = None,
             arrivals: int = ARRIVALS) -> dict[str, float | str]:
    case = CASES[name]
    config = load_config(None, [
        "display.fullscreen=false", "display.width=1920", "display.height=1080",
        f"camera.width={case.width}", f"camera.height={case.height}",
        "tracker.respin_after_s=0", *(overrides or [])])
    if case.moving:
        return _run_moving(name, config, seconds, parts,
                           make_moving_video(video_dir / f"{name}.avi"))
    video = make_video(video_dir / f"{name}.avi", case.faces, case.width, case.height)
    # pinned before KioskApp starts its threads (reader, workers, MediaPipe's), which inherit it
    with pinned_to_one_core() if case.one_core else contextlib.nullcontext():
        return _run_app(name, config, seconds, parts, video, case.busy_neighbour, arrivals)


def _run_moving(name: str, config, seconds: float, parts, video: Path) -> dict[str, float | str]:
    """The moving face: each drawn frame's box against where the face truly is in it."""
    from kiosk.app import KioskApp
    from kiosk.sources.files import VideoFileSource

    app = KioskApp(config, parts.labeller, VideoFileSource(video), headless=True,
                   provider=parts.classifier.provider)
    lags: list[float] = []
    offset: float | None = None  # the face's centre within the head crop, from a still frame
    try:
        app.run(max_seconds=1.0)
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            view = app.step()
            app.present()
            app.pacer.wait()
            index = app.pipeline.last_frame_index
            if len(view.faces) != 1 or index < 0:
                continue
            truth = moving_x(index - 1)  # frame indices count from 1
            centre = view.faces[0].box.center[0]
            if offset is None:
                offset = centre - truth
                continue
            lags.append(abs(centre - truth - offset) / FACE_WIDTH_PX)
    finally:
        app.close()
    return {"case": name, "box_lag_p50_fw": float(np.percentile(lags, 50)) if lags else
            float("nan"), "box_lag_p95_fw": float(np.percentile(lags, 95)) if lags else
            float("nan"), "frames_measured": len(lags), "cores": allowed_cores()}


def _run_app(name: str, config, seconds: float, parts, video: Path, busy: bool,
             arrivals: int) -> dict[str, float | str]:
    from kiosk.app import KioskApp
    from kiosk.sources.files import VideoFileSource

    process = psutil.Process()
    app = KioskApp(config, parts.labeller, VideoFileSource(video), headless=True,
                   provider=parts.classifier.provider)
    neighbour = start_busy_neighbour() if busy else None
    cores = allowed_cores()
    try:
        app.run(max_seconds=1.0)  # warm-up: first frames, first labels
        rss_start = process.memory_info().rss / 2**20
        camera_frames = app.pipeline.camera_frames
        applied = app.pipeline.detections_applied
        stats = app.run(max_seconds=seconds)
        camera_frames = app.pipeline.camera_frames - camera_frames
        applied = app.pipeline.detections_applied - applied
        rss_end = process.memory_info().rss / 2**20
        app.pipeline.first_label_latencies.clear()
        wave = config.spin.max_s + 0.5  # every spin lands by spin.max_s
        for _ in range(arrivals):  # everyone leaves; the next frames bring newcomers
            app.pipeline.tracker.reset()
            app.run(max_seconds=wave)
        first = list(app.pipeline.first_label_latencies)
        designed = config.spin.min_s
    finally:
        if neighbour is not None:
            stop_busy_neighbour(neighbour)
        app.close()
    return {
        "case": name,
        "fps": stats.fps,
        "camera_fps": camera_frames / stats.seconds,
        "frame_p50": _pct(stats.frame_times, 50),
        "frame_p99": _pct(stats.frame_times, 99),
        "work_p50": _pct(stats.work_times, 50),
        "work_p99": _pct(stats.work_times, 99),
        "first_label_p50": _pct(first, 50),
        "first_label_p99": _pct(first, 99),
        "first_label_max": max(first) * 1000 if first else float("nan"),
        "label_wait_p50": _pct([max(0.0, f - designed) for f in first], 50),
        "label_wait_max": max(max(0.0, f - designed) for f in first) * 1000 if first
        else float("nan"),
        "first_labels": len(first),
        "detect_hz": applied / max(1e-9, stats.seconds),
        "rss_mb": rss_end,
        "rss_growth_mb": rss_end - rss_start,
        "cores": cores,
    }


def format_line(result: dict[str, float | str], per_crop_ms_p50: float | None = None) -> str:
    """The case's key=value line; with `per_crop_ms_p50` (the run's own crop time) also
    `first_label_over_crop`, and always the host's keys."""
    if "box_lag_p95_fw" in result:  # the moving face
        host = host_info()
        return (f"case={result['case']} box_lag_p50_fw={result['box_lag_p50_fw']:.3f} "
                f"box_lag_p95_fw={result['box_lag_p95_fw']:.3f} "
                f"frames={result['frames_measured']} cpu_model={host.cpu_model_key} "
                f"avx512={int(host.avx512)} cores={result['cores']}")
    keys = {"fps": "fps", "camera_fps": "camera_fps",
            "frame_p50": "frame_p50_ms", "frame_p99": "frame_p99_ms",
            "work_p50": "work_p50_ms", "work_p99": "work_p99_ms",
            "first_label_p50": "first_label_p50_ms", "first_label_p99": "first_label_p99_ms",
            "first_label_max": "first_label_max_ms", "label_wait_p50": "label_wait_p50_ms",
            "label_wait_max": "label_wait_max_ms", "first_labels": "first_labels",
            "detect_hz": "detect_hz", "rss_mb": "rss_mb", "rss_growth_mb": "rss_growth_mb"}
    parts = [f"case={result['case']}"]
    for key, name in keys.items():
        value = result[key]
        parts.append(f"{name}={value}" if isinstance(value, int) else f"{name}={value:.1f}")
    if per_crop_ms_p50 is not None:
        ratio = float(result["first_label_p50"]) / per_crop_ms_p50
        wait = float(result["label_wait_p50"]) / per_crop_ms_p50
        parts.append(f"per_crop_ms_p50={per_crop_ms_p50:.2f} first_label_over_crop={ratio:.2f} "
                     f"label_wait_over_crop={wait:.2f}")
    host = host_info()
    parts.append(f"cpu_model={host.cpu_model_key} avx512={int(host.avx512)} "
                 f"cores={result.get('cores', host.cores)}")
    return " ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--arrivals", type=int, default=ARRIVALS,
                        help="newcomer waves per case (the maximum of 48 first labels is a "
                        "noisy figure; more waves give the tail)")
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="config override, e.g. classifier.threads=1")
    args = parser.parse_args(argv)
    if args.arrivals < 1:
        parser.error("--arrivals must be at least 1")

    from kiosk.classify.loading import load_model_parts

    parts = load_model_parts(load_config(None, args.overrides))
    crop_ms = measure_per_crop_ms(parts)
    print(f"# model provider: {parts.classifier.provider}; host {host_info().describe()}; "
          f"per crop {crop_ms:.2f} ms p50 (batch 1, {CROP_RUNS} runs); screen 1920x1080; "
          "sources are 30 fps videos", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.cases:
            result = run_case(name, args.seconds, parts, Path(tmp), args.overrides,
                              args.arrivals)
            print(format_line(result, crop_ms), flush=True)
            time.sleep(0.5)
    parts.close()
    return 0


if __name__ == "__main__":
    from kiosk.native_stderr import filter_native_stderr

    filter_native_stderr()  # MediaPipe's routine chatter stays out of the figures
    raise SystemExit(main())
