"""Frame sources with real files: OpenCV-written videos, real photos, a vanishing 'camera'."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import write_video

from kiosk.config import CameraConfig, KioskConfig
from kiosk.sources.base import SourceError, validate_image
from kiosk.sources.camera import CameraSource
from kiosk.sources.demo import DemoSource
from kiosk.sources.factory import open_source
from kiosk.sources.files import ImageSource, VideoFileSource, read_image
from kiosk.sources.reader import FrameReader


def test_video_file_loops_forever(astronaut_video: Path) -> None:
    with VideoFileSource(astronaut_video) as source:
        frames = [source.read() for _ in range(150)]  # the file has 60 frames
    assert all(f is not None and f.shape == (720, 1280, 3) for f in frames)
    assert np.abs(frames[0].astype(int) - frames[60].astype(int)).mean() < 3  # looped back


def test_video_without_loop_ends_like_an_unplugged_camera(astronaut_video: Path) -> None:
    with VideoFileSource(astronaut_video, loop=False) as source:
        frames = [source.read() for _ in range(70)]
        assert frames[59] is not None and frames[65] is None
        assert not source.available


def test_missing_and_corrupt_files_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="nothere.avi: video file not found"):
        VideoFileSource(tmp_path / "nothere.avi")
    junk = tmp_path / "junk.avi"
    junk.write_bytes(os.urandom(4096))
    with pytest.raises(SourceError, match="junk.avi"):
        VideoFileSource(junk)
    bad_png = tmp_path / "bad.png"
    bad_png.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(100))
    with pytest.raises(SourceError, match="bad.png: not a readable image"):
        read_image(bad_png)
    with pytest.raises(SourceError, match="missing.jpg: image file not found"):
        ImageSource(tmp_path / "missing.jpg")


def test_validate_image_gates_corrupt_frames() -> None:
    assert validate_image(None) is None
    assert validate_image(np.zeros((0, 0, 3), np.uint8)) is None
    assert validate_image(np.zeros((10, 10, 3), np.float32)) is None
    assert validate_image(np.zeros((1, 10, 3), np.uint8)) is None
    assert validate_image(np.zeros((10, 10, 2), np.uint8)) is None
    assert validate_image(np.zeros((10, 10), np.uint8)).shape == (10, 10, 3)
    assert validate_image(np.zeros((10, 10, 4), np.uint8)).shape == (10, 10, 3)


def test_demo_is_built_from_real_photos_with_faces_then_an_empty_room() -> None:
    from kiosk.config import DetectorConfig
    from kiosk.detect import FaceDetector

    demo = DemoSource(1280, 720, realtime=False)
    cfg = KioskConfig()
    with FaceDetector(cfg.resolve(cfg.detector.short_range_path), DetectorConfig()) as det:
        counts = [len(det.detect_still(demo.compose(t))) for t in (1.0, 12.0, 19.0)]
    assert counts == [1, 2, 0]


def test_a_camera_that_does_not_exist_is_a_clear_error() -> None:
    with pytest.raises(SourceError, match="camera 97 could not be opened"):
        CameraSource(CameraConfig(device=97))


def test_auto_falls_back_to_demo_with_a_notice() -> None:
    config = KioskConfig.model_validate({"camera": {"source": "auto", "device": 97}})
    source, notice = open_source(config)
    assert isinstance(source, DemoSource)
    assert notice == config.texts.demo_notice


def test_camera_that_vanishes_is_reopened_when_it_returns(tmp_path: Path,
                                                          astronaut: np.ndarray) -> None:
    """A 'camera' OpenCV opens by path: it runs dry, disappears, and comes back."""
    path = write_video(tmp_path / "cam.avi", [astronaut] * 5)
    cfg = CameraConfig(device=str(path), read_timeout_s=0.2, reopen_interval_s=0.2)
    source = CameraSource(cfg)
    assert source.available
    hidden = tmp_path / "unplugged.avi"
    path.rename(hidden)
    deadline = time.monotonic() + 3
    while source.available and time.monotonic() < deadline:
        source.read()
    assert not source.available, "camera was never marked unavailable"
    time.sleep(0.3)
    assert source.read() is None  # still gone: reopen fails quietly
    hidden.rename(path)
    deadline = time.monotonic() + 3
    frame = None
    while frame is None and time.monotonic() < deadline:
        frame = source.read()
    assert frame is not None and source.available, "camera did not come back"
    source.close()


class _FlakySource(DemoSource):
    """Real demo frames, with faults a driver really produces: exceptions and bad buffers."""

    def __init__(self) -> None:
        super().__init__(320, 180, realtime=False)
        self.calls = 0

    def read(self) -> np.ndarray | None:
        self.calls += 1
        if self.calls % 3 == 0:
            raise OSError("VIDIOC_DQBUF: No such device")
        if self.calls % 3 == 1:
            return np.zeros((5, 5, 7), np.uint8)
        return super().read()


def test_reader_survives_faulty_sources() -> None:
    reader = FrameReader(_FlakySource(), threaded=False)
    frames = [reader.latest() for _ in range(9)]
    assert reader.errors == 3 and reader.bad_frames == 3
    assert frames[-1] is not None and frames[-1].image.shape == (180, 320, 3)
    reader.close()
