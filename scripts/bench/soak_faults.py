"""`python -m scripts.bench.soak --faults`: the real loop at camera rate under a seeded
schedule of faults; one key=value line; exit status 1 on the rules in soak.py's docstring
(issue 28)."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psutil

from kiosk.config import KioskConfig

RECOVERY_S = 15.0  # a fault not recovered from this long after it ends is not recovered
MAX_GAP_S = 2.0
MAX_RSS_GROWTH_MB = 30.0
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


@dataclass
class FilesWritten:
    """Paths opened for writing by Python code (audit hook), but the allowed ones."""

    allowed: tuple[Path, ...]
    paths: set[str] = field(default_factory=set)

    def hook(self, event: str, args: tuple) -> None:
        if event != "open" or not isinstance(args[0], str | bytes | os.PathLike):
            return
        mode, flags = args[1], args[2]
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & _WRITE_FLAGS)
        path = os.fsdecode(args[0])
        if writes and not path.startswith(("/dev/", "/proc/")) \
                and not any(Path(path).is_relative_to(a) for a in self.allowed):
            self.paths.add(path)


def _census(samples: int = 5) -> tuple[float, int, int]:
    """RSS, threads and fds, each the least of a few samples 0.1 s apart: a health or
    calibration write caught mid-way (one more fd, one more thread) is not growth."""
    process = psutil.Process()
    seen = []
    for _ in range(samples):
        seen.append((process.memory_info().rss / 2**20, threading.active_count(),
                     process.num_fds()))
        time.sleep(0.1)
    if os.environ.get("SOAK_SHOW_FDS"):
        fds = {}
        for name in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError):
                fds[name] = os.readlink(f"/proc/self/fd/{name}")
        print(f"fds: {fds}; threads: {[t.name for t in threading.enumerate()]}",
              file=sys.stderr)
    return min(s[0] for s in seen), min(s[1] for s in seen), min(s[2] for s in seen)


def soak_with_faults(seconds: float, seed: int, video: Path | None, *,
                     inject: bool = True) -> int:
    """`inject=False` (`--no-faults`): the same run, line and checks with fault injection off
    (nothing wrapped; an empty plan only answers the bookkeeping below)."""
    from kiosk.app import KioskApp
    from kiosk.classify.loading import load_model_parts
    from kiosk.hostinfo import host_info
    from kiosk.service.faults import Faults, random_plan
    from kiosk.service.health import Health, read_health
    from kiosk.service.metrics import Metrics
    from kiosk.sources.demo import DemoSource
    from kiosk.sources.files import VideoFileSource

    state = Path(tempfile.mkdtemp(prefix="soak-state-"))
    calibration_path = state / "site-calibration.bin"
    health_path = Path(tempfile.mkdtemp(prefix="soak-health-")) / "health.json"
    config = KioskConfig.model_validate({
        "display": {"fullscreen": False, "width": 1280, "height": 720},
        "scene": {"no_face_after_s": 1.0, "idle_after_s": 10.0, "scene_relabel_s": 3.0},
        "calibration": {"path": str(calibration_path), "save_interval_s": 1.0},
        "service": {"metrics_interval_s": 3600, "failing_after_s": 3.0,
                    "health_interval_s": 0.5},
    })
    written = FilesWritten((state, health_path.parent))
    sys.addaudithook(written.hook)
    parts = load_model_parts(config, calibrate=True)
    source = VideoFileSource(video) if video is not None else DemoSource(1280, 720, 30.0)
    faults = Faults(random_plan(seed, seconds) if inject else [])
    metrics = Metrics(config.service)
    health = Health(health_path, config.service.health_interval_s)
    app = KioskApp(config, parts.labeller, source, headless=True, metrics=metrics,
                   health=health, provider=parts.classifier.provider,
                   calibration=parts.calibration, faults=faults if inject else None)
    from kiosk.views import FrameView

    blank = np.zeros((720, 1280, 3), np.uint8)  # never source.read(): the reader thread owns it
    for mode in ("camera_unavailable", "idle"):  # warm-up: every screen's fonts opened once
        app.renderer.draw(app.surface, FrameView(blank, mode=mode))
    limits = {c: config.service.failing_after_s + config.service.health_interval_s + 1.0
              for c in ("detect", "classify", "render", "calibration")}
    limits["source"] = limits["detect"] + config.camera.read_timeout_s
    # RSS climbs for the first minutes (caches, MediaPipe's and onnxruntime's arenas, the
    # labels' fonts) and levels off (docs/speed.md's soak: flat from ~21,000 frames, ~12 min);
    # the hour runs of 2026-12-03 measured from 10 s and saw 31 and 41 MB of that climb.
    warm_up = min(900.0, seconds / 4)
    started = time.monotonic()
    census_start = None
    recovered_at: dict[object, float] = {}
    frames = lies = 0.0
    max_gap = 0.0
    last = started
    while (now := time.monotonic()) - started < seconds:
        stats = app.run(max_seconds=0.25)
        frames += stats.frames
        max_gap = max([max_gap, *stats.frame_times])
        now = time.monotonic()
        t = faults.elapsed()
        if census_start is None and now - started >= warm_up:
            census_start = _census()
        doc = read_health(health_path) or {}
        for component, since in faults.failing_since().items():
            if now - since > limits.get(component, 0) and component not in doc.get("failing", []):
                lies += now - last
                break
        for fault in faults.fired():
            if fault in recovered_at or t < fault.end_s:
                continue
            back = metrics.consecutive_failures(fault.component) == 0 and (
                fault.component != "source" or app.reader.seconds_since_frame() < 1.0)
            if back and fault.component not in faults.failing_since():
                recovered_at[fault] = t
        last = now
    elapsed = time.monotonic() - started
    rss_end, threads_end, fds_end = _census()
    rss_start, threads_start, fds_start = census_start or (rss_end, threads_end, fds_end)
    fired = faults.fired()
    unrecovered = [f for f in fired if f not in recovered_at]
    camera_frames = app.pipeline.camera_frames
    app.close()
    parts.close()
    faults.close()
    by_kind = ",".join(f"{k}:{n}" for k, n in sorted(faults.injected.items())) or "-"
    line = (f"soak_faults seconds={elapsed:.0f} frames={int(frames)} "
            f"camera_fps={camera_frames / elapsed:.1f} faults_injected={len(fired)} "
            f"faults_recovered={len(fired) - len(unrecovered)} "
            f"max_frame_gap_ms={max_gap * 1000:.0f} rss_start_mb={rss_start:.0f} "
            f"rss_end_mb={rss_end:.0f} threads_start={threads_start} threads_end={threads_end} "
            f"fds_start={fds_start} fds_end={fds_end} files_written={len(written.paths)} "
            f"health_lies={lies:.1f} seed={seed} "
            f"faults_by_kind={by_kind} "
            f"source={'demo' if video is None else video.name} {host_info().keys()}")
    print(line, flush=True)
    for fault in unrecovered:
        print(f"not recovered: {fault}", file=sys.stderr)
    for path in sorted(written.paths):
        print(f"written: {path}", file=sys.stderr)
    ok = (not unrecovered and max_gap <= MAX_GAP_S and rss_end - rss_start <= MAX_RSS_GROWTH_MB
          and threads_end <= threads_start and fds_end <= fds_start and not written.paths
          and lies == 0)
    return 0 if ok else 1
