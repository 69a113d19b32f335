"""The whole kiosk, end to end: a real video file as the camera, real MediaPipe, the shipped
ONNX model and labels, the real pygame loop headless; assertions read the screen back."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import ASTRONAUT_FACE, place, write_video

from kiosk.app import KioskApp
from kiosk.config import KioskConfig
from kiosk.sources.files import ImageSource, VideoFileSource
from kiosk.views import Box

GREEN = np.array([0, 255, 0])


@pytest.fixture(scope="module")
def parts():
    from kiosk.classify.loading import load_model_parts

    loaded = load_model_parts(KioskConfig())
    yield loaded
    loaded.close()


def _config(**sections) -> KioskConfig:
    data = {
        "display": {"fullscreen": False, "width": 1280, "height": 720, "mirror": False},
        "scene": {"no_face_after_s": 0.3, "idle_after_s": 60},
        # a short spin: these 60-frame videos loop (the face jumps back) within a default one;
        # the spin's own timing is tested in test_spin.py
        "spin": {"crops": 2, "min_s": 0.1, "crop_interval_s": 0.0},
    }
    for key, value in sections.items():
        data.setdefault(key, {}).update(value)
    return KioskConfig.model_validate(data)


def _run_until(app: KioskApp, predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    view = app.step()
    while not predicate(view) and time.monotonic() < deadline:
        time.sleep(1 / 60)
        view = app.step()
    return view


def _is_green(pixel: np.ndarray) -> bool:
    return bool(pixel[1] > 200 and pixel[0] < 80 and pixel[2] < 80)


def _green_fraction_on_edges(screen: np.ndarray, box: Box) -> float:
    """How much of the box outline, as drawn on the screen, is green (the stroke is centred
    on the box's edges, so the samples lie on the edges themselves)."""
    height, width = screen.shape[:2]
    x0, y0, x1, y1 = (int(round(v)) for v in (box.x0, box.y0, box.x1, box.y1))
    x1, y1 = min(x1, width - 1), min(y1, height - 1)
    samples = []
    for x in np.linspace(x0 + 4, x1 - 4, 12).astype(int):
        samples += [screen[y0, x], screen[y1, x]]
    for y in np.linspace(y0 + 4, y1 - 4, 12).astype(int):
        samples += [screen[y, x0], screen[y, x1]]
    return float(np.mean([_is_green(p) for p in samples]))


@pytest.fixture(scope="module")
def slow_astronaut_video(tmp_path_factory, astronaut: np.ndarray) -> Path:
    """The astronaut drifting right by 1 px a frame for 240 frames (8 s): long enough that a
    label landing on a loaded machine is followed for 40 frames before the video loops."""
    frames = [place(astronaut, (1280, 720), 300 + i, 100) for i in range(240)]
    return write_video(tmp_path_factory.mktemp("slow") / "astronaut.avi", frames)


def test_face_gets_a_green_box_where_it_is_and_a_stable_label(parts, slow_astronaut_video: Path):
    astronaut_video = slow_astronaut_video
    config = _config()
    app = KioskApp(config, parts.labeller, VideoFileSource(astronaut_video), headless=True,
                   threaded_source=False, provider=parts.classifier.provider)
    try:
        started = time.monotonic()
        wheel = _run_until(app, lambda v: v.faces and v.faces[0].spin is not None)
        assert wheel.faces[0].label is None  # spinning through real candidates first
        assert set(wheel.faces[0].spin.candidates) <= {
            parts.taxonomy[w].display_name for w in parts.classifier.wnids}
        view = _run_until(app, lambda v: v.faces and v.faces[0].label is not None)
        waited = time.monotonic() - started
        assert view.faces and view.faces[0].label is not None, "no label within 10 s"
        label = view.faces[0].label
        assert label.breadcrumb[0].startswith("person, individual, someone")
        assert label.name == label.breadcrumb[-1]
        frame_index = app.reader.latest().index
        # The video drifts 1 px per frame from x=300: where the face really is in this frame.
        shift = 300 + (frame_index - 1) % 240
        truth = Box(ASTRONAUT_FACE[0] + shift, ASTRONAUT_FACE[1] + 100,
                    ASTRONAUT_FACE[2] + shift, ASTRONAUT_FACE[3] + 100)
        face_box = view.faces[0].box
        assert face_box.iou(truth) > 0.5
        screen = app.screenshot()  # display size == source size, no mirror: same coordinates
        assert _green_fraction_on_edges(screen, face_box) > 0.8
        inside = screen[int(face_box.center[1]), int(face_box.center[0])]
        assert not _is_green(inside)
        # The label stays while the visitor stays (40 more frames of drifting); the spin's
        # crops and landing are tested in test_spin.py and the newcomer test below.
        track_id = view.faces[0].track_id
        for _ in range(40):
            view = app.step()
            assert [f.track_id for f in view.faces] == [track_id]
            assert view.faces[0].label == label
        print(f"first label after {waited * 1000:.0f} ms (includes model warm-up)")
    finally:
        app.close()


def test_a_newcomer_gets_a_fresh_spin(parts, tmp_path: Path, astronaut: np.ndarray):
    """One visitor, then a second steps in: the first keeps their label, the second spins."""
    one = [place(astronaut, (1280, 720), 40, 100)] * 45
    pair = place(astronaut, (1280, 720), 700, 100, canvas=place(astronaut, (1280, 720), 40, 100))
    two = [pair] * 60
    video = write_video(tmp_path / "arrive.avi", one + two)
    config = _config()
    app = KioskApp(config, parts.labeller, VideoFileSource(video, loop=False),
                   headless=True, threaded_source=False)

    def voted(v) -> bool:  # noqa: ANN001 - one face whose label has landed
        tracks = app.pipeline.tracker.tracks
        return len(v.faces) == 1 and len(tracks) == 1 and v.faces[0].label is not None

    try:
        first = _run_until(app, voted)
        assert first.faces[0].label is not None and voted(first)
        first_id, first_label = first.faces[0].track_id, first.faces[0].label
        view = _run_until(app, lambda v: len(v.faces) == 2)
        newcomer = [f for f in view.faces if f.track_id != first_id]
        assert len(newcomer) == 1 and newcomer[0].label is None  # spinning at first
        view = _run_until(app, lambda v: len(v.faces) == 2 and all(f.label for f in v.faces))
        by_id = {f.track_id: f.label for f in view.faces}
        assert by_id[first_id] == first_label
    finally:
        app.close()


def test_no_face_labels_the_whole_scene_top_left(parts, tmp_path: Path, coffee: np.ndarray):
    still = tmp_path / "coffee.png"
    import cv2

    cv2.imwrite(str(still), cv2.cvtColor(coffee, cv2.COLOR_RGB2BGR))
    config = _config(display={"width": 600, "height": 400})
    app = KioskApp(config, parts.labeller, ImageSource(still), headless=True,
                   threaded_source=False)
    try:
        view = _run_until(app, lambda v: v.scene_label is not None)
        assert not view.faces and view.scene_label is not None
        assert view.scene_label.breadcrumb[0].startswith("person")
        screen = app.screenshot()
        band = screen[:120, :300]  # top-left: black band with green text
        assert (np.abs(band.astype(int) - GREEN).sum(axis=2) < 120).mean() > 0.01
    finally:
        app.close()


def test_idle_screen_when_nobody_is_there(parts, tmp_path: Path, coffee: np.ndarray):
    import cv2

    still = tmp_path / "room.png"
    cv2.imwrite(str(still), cv2.cvtColor(coffee, cv2.COLOR_RGB2BGR))
    config = _config(scene={"no_face_after_s": 0.1, "idle_after_s": 0.5})
    app = KioskApp(config, parts.labeller, ImageSource(still), headless=True,
                   threaded_source=False)
    try:
        view = _run_until(app, lambda v: v.mode == "idle", timeout=8.0)
        assert view.mode == "idle"
        screen = app.screenshot()
        assert np.abs(screen.astype(int) - cv2.resize(coffee, (1280, 720))).mean() > 30
    finally:
        app.close()


def test_a_source_that_stops_shows_camera_unavailable_and_recovers(parts, tmp_path: Path,
                                                                   astronaut: np.ndarray):
    video = write_video(tmp_path / "short.avi", [place(astronaut, (1280, 720), 300, 100)] * 10)
    source = VideoFileSource(video, loop=False)  # it ends: the camera "is unplugged"
    app = KioskApp(_config(), parts.labeller, source, headless=True, threaded_source=False)
    try:
        view = _run_until(app, lambda v: v.mode == "camera_unavailable", timeout=5.0)
        assert view.mode == "camera_unavailable"
        unavailable = app.screenshot()
        app.reader.source = VideoFileSource(video)  # plugged back in
        view = _run_until(app, lambda v: v.mode == "live" and v.faces, timeout=5.0)
        assert view.faces
        assert np.abs(app.screenshot().astype(int) - unavailable).mean() > 5
    finally:
        app.close()


def test_model_session_that_raises_is_logged_and_the_display_goes_on(
        parts, astronaut_video: Path, caplog: pytest.LogCaptureFixture):
    from kiosk.service.metrics import Metrics

    metrics = Metrics(KioskConfig().service)
    app = KioskApp(_config(), parts.labeller, VideoFileSource(astronaut_video), headless=True,
                   threaded_source=False, metrics=metrics)
    session = parts.classifier.session  # the real onnxruntime session
    real_run = session.run
    calls = {"n": 0}

    def failing_run(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] <= 2:
            raise RuntimeError("[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : injected fault")
        return real_run(*args, **kwargs)

    try:
        session.run = failing_run  # type: ignore[method-assign]
        view = _run_until(app, lambda v: v.faces and v.faces[0].label is not None, timeout=10)
        assert view.faces and view.faces[0].label is not None, "never recovered from the fault"
        assert calls["n"] >= 3
        assert "classify failed" in caplog.text and "injected fault" in caplog.text
        assert metrics.snapshot()["errors"].get("classify", 0) >= 2
        assert metrics.consecutive_failures("classify") == 0  # recovered
    finally:
        session.run = real_run  # type: ignore[method-assign]
        app.close()


def test_a_frame_of_the_wrong_shape_is_dropped_not_fatal(parts, astronaut_video: Path):
    class WrongShapes(VideoFileSource):
        calls = 0

        def read(self):
            self.calls += 1
            if self.calls % 2:
                return np.zeros((720, 1280), np.float64)  # wrong dtype and shape
            return super().read()

    app = KioskApp(_config(), parts.labeller, WrongShapes(astronaut_video), headless=True,
                   threaded_source=False)
    try:
        view = _run_until(app, lambda v: v.faces and v.faces[0].label is not None)
        assert view.faces and app.reader.bad_frames > 0
    finally:
        app.close()


def test_rotation_and_mirror_move_the_box_with_the_picture(parts, astronaut_video: Path):
    from kiosk.render.geometry import map_box

    config = _config(display={"width": 720, "height": 1280, "rotation": 90, "mirror": True})
    app = KioskApp(config, parts.labeller, VideoFileSource(astronaut_video), headless=True,
                   threaded_source=False)
    try:
        view = _run_until(app, lambda v: bool(v.faces))
        screen_box = map_box(view.faces[0].box, (1280, 720), (720, 1280),
                             rotation=90, mirror=True)
        assert _green_fraction_on_edges(app.screenshot(), screen_box) > 0.7
    finally:
        app.close()


def test_recorded_sources_are_not_mirrored_unless_the_installer_says_so(
        parts, tmp_path: Path, caplog: pytest.LogCaptureFixture):
    """`display.mirror: auto` (the default) mirrors a live camera only: a still, a video or the
    demo keeps its text readable; `true` forces the mirror. The start-up line says what was
    chosen and how long the first frame took."""
    from kiosk.sources.base import mirror_for
    from kiosk.sources.camera import CameraSource

    photo = np.zeros((720, 1280, 3), np.uint8)
    photo[:, :640] = (200, 40, 40)  # red left half, blue right half: mirroring swaps them
    photo[:, 640:] = (40, 40, 200)
    path = tmp_path / "halves.png"
    cv2.imwrite(str(path), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    assert KioskConfig().display.mirror == "auto"
    assert CameraSource.live and mirror_for("auto", CameraSource.__new__(CameraSource))
    for setting, mirrored in (("auto", False), (True, True)):
        config = _config(display={"mirror": setting})
        app = KioskApp(config, parts.labeller, ImageSource(path), headless=True,
                       threaded_source=False, provider="CPUExecutionProvider",
                       vocabulary="full (2832 labels)")
        try:
            with caplog.at_level(logging.INFO, logger="kiosk"):
                app.run(max_frames=2, paced=False)
            left = app.screenshot()[360, 100]
            assert bool(left[2] > left[0]) is mirrored, (setting, left)
        finally:
            app.close()
    line = [r.getMessage() for r in caplog.records if "first frame drawn" in r.getMessage()][-1]
    assert "source='image halves.png'" in line and "screen=1280x720 headless" in line
    assert "mirror=True" in line and "provider=CPUExecutionProvider" in line
    assert "vocabulary=full (2832 labels)" in line


def test_a_cut_to_an_empty_scene_leaves_no_ghost_box(parts, tmp_path: Path,
                                                      astronaut: np.ndarray, coffee: np.ndarray):
    """Issue 10 item 1: the demo cut from the portraits to the coffee cup left two boxes over
    the empty table for 0.3-0.7 s. Once the detector has looked at the new scene and found
    nothing, the box must go: no frame of the coffee scene may show one."""
    portrait = place(astronaut, (1280, 720), 400, 100)
    table = cv2.resize(coffee, (1280, 720))
    video = write_video(tmp_path / "cut.avi", [portrait] * 20 + [table] * 20)
    app = KioskApp(_config(), parts.labeller, VideoFileSource(video, loop=False),
                   headless=True, threaded_source=False)
    try:
        boxed_portraits = boxed_table = table_frames = 0
        for _ in range(40):
            view = app.step()
            if view.frame is None:
                continue
            on_table = np.abs(view.frame.astype(np.int16) - table).mean() < 12
            table_frames += on_table
            boxed_table += bool(on_table and view.faces)
            boxed_portraits += bool(not on_table and view.faces)
            time.sleep(1 / 60)
        assert boxed_portraits >= 10 and table_frames >= 15
        assert boxed_table == 0
    finally:
        app.close()


class _BlinkingDetector:
    """The real detector, told to miss every face in a window of frames (a turned head, a
    detector blink) as the camera man's box did for ~1.3 s."""

    def __init__(self, config: KioskConfig, miss: range) -> None:
        from kiosk.detect import FaceDetector

        self.real = FaceDetector.from_config(config)
        self.search_paused = self.real.search_paused
        self.miss = miss
        self.calls = 0

    def detect(self, image: np.ndarray, timestamp: float):
        from kiosk.detections import Detections

        self.calls += 1
        found = self.real.detect(image, timestamp)
        return Detections.empty() if self.calls in self.miss else found

    def close(self) -> None:
        self.real.close()


class _FlakyDetector(_BlinkingDetector):
    """The real detector, failing its first three calls."""

    def detect(self, image: np.ndarray, timestamp: float):
        if self.calls < 3:
            self.calls += 1
            raise RuntimeError("injected detector fault")
        return super().detect(image, timestamp)


def test_a_face_missed_for_a_second_keeps_its_track_and_label(parts,
                                                               slow_astronaut_video: Path):
    """Issue 10 item 2: a face the detector misses for ~1 s while the person is still there
    keeps its box, track id and label (no vanishing, no new spin). The miss is counted in
    frames and the tracker in seconds: max_missing_s (default 2) is raised so that a loaded CI
    machine, stepping 30 frames in over 2 s, still tests the look-again logic, not its speed."""
    config = _config(tracker={"max_missing_s": 6.0})
    detector = _BlinkingDetector(config, range(0))  # the window is set once labelled
    app = KioskApp(config, parts.labeller, VideoFileSource(slow_astronaut_video),
                   headless=True, threaded_source=False,
                   detector=detector)  # type: ignore[arg-type]
    try:
        def voted(v) -> bool:  # wait for the label to land (it is fixed from then on)
            tracks = app.pipeline.tracker.tracks
            return bool(v.faces) and bool(tracks) and v.faces[0].label is not None

        view = _run_until(app, voted)
        assert view.faces and view.faces[0].label is not None
        track_id, label = view.faces[0].track_id, view.faces[0].label
        detector.miss = range(detector.calls + 1, detector.calls + 31)
        started = time.monotonic()
        while detector.calls < detector.miss.stop + 5:
            view = app.step()
            assert [(f.track_id, f.label) for f in view.faces] == [(track_id, label)], \
                f"lost after {time.monotonic() - started:.2f} s"
            time.sleep(1 / 30)  # 35 frames at camera rate: the 30 missed last over a second
    finally:
        app.close()


def test_a_detector_fault_on_the_detection_thread_is_counted_and_detection_recovers(
        parts, astronaut_video: Path):
    from kiosk.service.metrics import Metrics

    metrics = Metrics(KioskConfig().service)
    config = _config()
    detector = _FlakyDetector(config, range(0))
    app = KioskApp(config, parts.labeller, VideoFileSource(astronaut_video), headless=True,
                   metrics=metrics,  # threaded: detection runs on its own thread
                   detector=detector)  # type: ignore[arg-type]
    try:
        view = _run_until(app, lambda v: bool(v.faces), timeout=10)
        assert view.faces, "detection never recovered on the detection thread"
        assert app.reader.reading and app.detect_loop is not None
        assert app.detect_loop.restarts == 0  # the faults came back as values
        assert metrics.snapshot()["errors"].get("detect", 0) >= 1
    finally:
        app.close()


def test_a_label_or_a_camera_frame_wakes_the_display_before_its_next_tick(
        parts, tmp_path: Path, astronaut: np.ndarray, astronaut_video: Path):
    """The loop draws a new label as soon as the model has it and a camera frame as soon as it
    is read, not up to one display period later (issue 9's first-label figures)."""
    config = _config(display={"target_fps": 1.0})  # a 1 s tick, so waking early shows
    x0, y0, x1, y1 = ASTRONAUT_FACE
    still = tmp_path / "astronaut.png"
    cv2.imwrite(str(still), cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR))
    app = KioskApp(config, parts.labeller, ImageSource(still), headless=True,
                   threaded_source=False, provider=parts.classifier.provider)
    try:
        app.pacer.wait()
        assert app.worker.submit(("face", 1, 0), astronaut[y0:y1, x0:x1])
        assert app.pacer.wait(), "the label did not wake the display"  # not the 1.5 s tick
        assert [r.key for r in app.worker.drain()] == [("face", 1, 0)]
    finally:
        app.close()

    app = KioskApp(config, parts.labeller, VideoFileSource(astronaut_video), headless=True,
                   provider=parts.classifier.provider)  # the reader reads at 30 fps
    try:
        app.pacer.wait()
        assert app.pacer.wait(), "a camera frame did not wake the display"  # not the tick
    finally:
        app.close()
