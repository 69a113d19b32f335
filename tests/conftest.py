"""Shared fixtures: real photos, real video files written by OpenCV, headless SDL."""

from __future__ import annotations

import os
import time

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from pathlib import Path  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


class FakeClock:
    """A monotonic clock the test moves by hand (`clock.t += 0.04`)."""

    def __init__(self, t: float = 100.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


class NobodyDetector:
    """A face detector (kiosk.collaborators.FaceFinder) that finds nobody: no model loaded."""

    def __init__(self) -> None:
        import threading

        self.search_paused = threading.Event()

    def detect(self, image: np.ndarray, timestamp: float):  # noqa: ANN201 - kiosk Detections
        from kiosk.detections import Detections

        return Detections.empty()

    def close(self) -> None:
        pass


HOST_UPTIMES = {"booted-a-minute-ago": 60.0, "up-a-year": 365 * 86400.0}


def shift_host_clock(monkeypatch: pytest.MonkeyPatch, uptime_s: float) -> None:
    """Make the host's monotonic clock read about `uptime_s` (a museum PC booted a minute ago,
    or one up for a year): frame logic that read the host's clock instead of its `now` would
    then show something else than the golden screens. Every reader of time.monotonic() sees the
    shift (the worker's queue ages, the service's timers); its rate is the real one."""
    real = time.monotonic
    offset = uptime_s - real()
    monkeypatch.setattr(time, "monotonic", lambda: real() + offset)


@pytest.fixture(params=sorted(HOST_UPTIMES), ids=sorted(HOST_UPTIMES))
def host_uptime(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> float:
    """Run a test twice: on a host booted a minute ago and on one up for a year."""
    uptime = HOST_UPTIMES[request.param]
    shift_host_clock(monkeypatch, uptime)
    return uptime


def fed_metrics(clock: FakeClock, **kwargs: object):  # noqa: ANN201 - kiosk Metrics
    """Metrics after 4 s of a kiosk's life: 100 frames at 25 fps, each detected, two
    classifications, two faces, on CUDA (what the health file and the textfile report)."""
    from kiosk.service.metrics import Metrics

    metrics = Metrics(60.0, clock=clock, **kwargs)
    for i in range(100):
        clock.t += 0.04
        metrics.record_frame(0.010 + i * 0.0001)
        metrics.record_detection(0.005)
    metrics.record_classification(0.030, 2)
    metrics.record_classification(0.050, 1)
    metrics.set_faces(2)
    metrics.set_provider("CUDAExecutionProvider")
    return metrics


# The astronaut's face in skimage.data.astronaut() as MediaPipe finds it (x0, y0, x1, y1).
ASTRONAUT_FACE = (177, 82, 272, 177)


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    from skimage import data

    return np.ascontiguousarray(data.astronaut())


@pytest.fixture(scope="session")
def coffee() -> np.ndarray:
    from skimage import data

    return np.ascontiguousarray(data.coffee())


def place(photo: np.ndarray, canvas_size: tuple[int, int], x: int, y: int,
          canvas: np.ndarray | None = None) -> np.ndarray:
    """Paste a photo onto a dark canvas (w, h) at (x, y), clipped at the edges."""
    w, h = canvas_size
    out = np.full((h, w, 3), 20, np.uint8) if canvas is None else canvas
    ph, pw = photo.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(w, x + pw), min(h, y + ph)
    if x1 > x0 and y1 > y0:
        out[y0:y1, x0:x1] = photo[y0 - y:y1 - y, x0 - x:x1 - x]
    return out


def write_video(path: Path, frames: list[np.ndarray], fps: float = 30.0) -> Path:
    """Write RGB frames to a real video file with OpenCV (MJPG in .avi)."""
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    assert writer.isOpened(), "OpenCV could not open a MJPG writer"
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


@pytest.fixture(scope="session")
def astronaut_video(tmp_path_factory: pytest.TempPathFactory, astronaut: np.ndarray) -> Path:
    """A 1280x720 video: the astronaut photo (its face ~95 px, a visitor at ~1.5 m) drifting
    right by 2 px per frame, 60 frames."""
    frames = [place(astronaut, (1280, 720), 300 + 2 * i, 100) for i in range(60)]
    return write_video(tmp_path_factory.mktemp("video") / "astronaut.avi", frames)
