"""The picture never waits (issue 21): detection runs beside the display on the freshest
frame, every camera frame is drawn, boxes follow their faces between detections and a late
detection is moved to where its face is now; labels run at a lower priority.

Real MediaPipe detection on real photos, the real KioskApp on a real video file."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import ASTRONAUT_FACE, place, write_video

from kiosk.config import KioskConfig, TrackerConfig
from kiosk.detect.loop import DetectionLoop
from kiosk.detections import Detections
from kiosk.sources.base import Frame
from kiosk.track import Tracker
from kiosk.views import Box


def _shifted_face(astronaut: np.ndarray, dx: int) -> np.ndarray:
    return place(astronaut, (1280, 720), 300 + dx, 100)


def _truth(dx: int) -> Box:
    x0, y0, x1, y1 = ASTRONAUT_FACE
    return Box(x0 + 300 + dx, y0 + 100, x1 + 300 + dx, y1 + 100)


def test_boxes_follow_their_face_between_detections(astronaut: np.ndarray) -> None:
    tracker = Tracker(TrackerConfig())
    first = _shifted_face(astronaut, 0)
    tracker.update(Detections(np.asarray([[*_truth(0).__dict__.values()]], np.float32),
                              np.ones(1, np.float32)), 0.0, first, index=1)
    for step in range(1, 16):  # 3 px a frame, no detection at all: appearance alone
        tracker.follow(_shifted_face(astronaut, 3 * step), step / 30, index=1 + step)
    (track,) = tracker.tracks
    truth = _truth(45)
    assert abs(track.box.center[0] - truth.center[0]) < 0.1 * truth.width
    assert abs(track.box.center[1] - truth.center[1]) < 0.1 * truth.height


def test_a_late_detection_is_moved_to_where_its_face_is_now(astronaut: np.ndarray) -> None:
    """A detection computed on frame 1 arrives at frame 11: it is matched against where the
    track was in frame 1, and moved by what the track moved since, so the box does not jump
    back to where the face was."""
    tracker = Tracker(TrackerConfig(smoothing=0.0))
    frame1 = _shifted_face(astronaut, 0)
    det1 = Detections(np.asarray([[*_truth(0).__dict__.values()]], np.float32),
                      np.ones(1, np.float32))
    tracker.update(det1, 0.0, frame1, index=1)
    for step in range(1, 11):
        tracker.follow(_shifted_face(astronaut, 4 * step), step / 30, index=1 + step)
    now = _shifted_face(astronaut, 40)
    tracker.update(det1, 11 / 30, now, since=1, since_image=frame1, index=11)
    (track,) = tracker.tracks
    assert track.box.iou(_truth(40)) > 0.8, track.box
    assert track.box.iou(_truth(0)) < 0.7  # not back where the detector saw it


class _Analysis:
    def __init__(self, index: int, held: bool = False) -> None:
        self.index, self.held = index, held


def test_the_detection_loop_takes_the_newest_frame_and_skips_what_it_missed() -> None:
    started = threading.Event()
    release = threading.Event()
    seen: list[int] = []

    def analyse(frame: Frame) -> _Analysis:
        seen.append(frame.index)
        started.set()
        release.wait(2.0)
        return _Analysis(frame.index, held=frame.index == 4)

    loop = DetectionLoop(analyse, skip=lambda a: a.held)
    try:
        image = np.zeros((8, 8, 3), np.uint8)
        loop.submit(Frame(1, image, 0.0))
        assert started.wait(2.0)
        for i in (2, 3):  # arrive while frame 1 is being detected: only the newest is kept
            loop.submit(Frame(i, image, 0.0))
        release.set()
        deadline = time.monotonic() + 2.0
        while len(seen) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)
        assert seen == [1, 3] and loop.skipped_frames == 1
        result = loop.take()
        assert result is not None and result.frame.index == 3 and loop.take() is None
        loop.submit(Frame(4, image, 0.0))  # a held analysis is not news: not published
        time.sleep(0.1)
        assert loop.take() is None
    finally:
        release.set()
        loop.close()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_detection_fault_costs_a_frame_and_a_dead_thread_is_restarted() -> None:
    def analyse(frame: Frame) -> _Analysis:
        if frame.index == 1:
            raise RuntimeError("a driver fault")  # logged; the thread goes on
        if frame.index == 2:
            raise SystemExit  # the thread itself ends (as no ordinary fault makes it)
        return _Analysis(frame.index)

    loop = DetectionLoop(analyse)
    try:
        image = np.zeros((8, 8, 3), np.uint8)
        loop.submit(Frame(1, image, 0.0))
        time.sleep(0.2)
        loop.ensure_running()
        assert loop.restarts == 0 and loop.take() is None
        loop.submit(Frame(2, image, 0.0))
        time.sleep(0.2)
        loop.ensure_running()
        assert loop.restarts == 1
        loop.submit(Frame(3, image, 0.0))
        time.sleep(0.2)
        assert loop.take().frame.index == 3
    finally:
        loop.close()


class _SlowDetector:
    """The real detector, 0.25 s slower a frame: a host far too slow for camera rate."""

    def __init__(self, config: KioskConfig) -> None:
        from kiosk.detect import FaceDetector

        self._real = FaceDetector.from_config(config)
        self.search_paused = self._real.search_paused
        self.calls = 0

    def detect(self, image: np.ndarray, timestamp: float):
        self.calls += 1
        time.sleep(0.25)
        return self._real.detect(image, timestamp)

    def close(self) -> None:
        self._real.close()


def test_a_slow_detector_does_not_slow_the_picture(tmp_path: Path, astronaut: np.ndarray):
    """Detection at 4 a second, the camera at 30: every camera frame is still drawn, the face
    is boxed, and its box follows it between the detections."""
    from kiosk.app import KioskApp
    from kiosk.classify.loading import load_model_parts
    from kiosk.sources.files import VideoFileSource

    frames = [_shifted_face(astronaut, i) for i in range(150)]
    video = write_video(tmp_path / "walk.avi", frames)
    config = KioskConfig.model_validate({
        "display": {"fullscreen": False, "width": 1280, "height": 720, "mirror": False}})
    parts = load_model_parts(config)
    detector = _SlowDetector(config)
    app = KioskApp(config, parts.labeller, VideoFileSource(video, loop=False), headless=True,
                   detector=detector)  # type: ignore[arg-type]
    try:
        app.run(max_seconds=0.5)
        drawn, calls = app.pipeline.camera_frames, detector.calls
        app.run(max_seconds=2.0)
        drawn, calls = app.pipeline.camera_frames - drawn, detector.calls - calls
        assert drawn >= 45, f"{drawn} camera frames drawn in 2 s"  # ~60 at 30 fps
        assert calls <= 10  # the detector ran at its own pace, on the freshest frames
        view = app.step()
        assert len(view.faces) == 1
        index = app.pipeline.last_frame_index
        assert view.faces[0].box.iou(_truth(index - 1)) > 0.6  # where the face is now
    finally:
        app.close()
        parts.close()


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="per-thread nice is Linux's")
def test_classification_threads_run_at_a_lower_priority() -> None:
    from kiosk.classify.worker import ClassificationWorker

    niceness: list[int] = []

    def label_fn(crops):  # noqa: ANN001, ANN202
        niceness.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return [None for _ in crops]

    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    worker = ClassificationWorker(label_fn, batch_size=1, nice=7)
    try:
        worker.submit("a", np.zeros((8, 8, 3), np.uint8))
        deadline = time.monotonic() + 2.0
        while not niceness and time.monotonic() < deadline:
            time.sleep(0.01)
        assert niceness == [7]
        assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine
    finally:
        worker.close()
