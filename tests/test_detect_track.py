"""Real MediaPipe detection on real photos, and the tracker that keeps identities."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import ASTRONAUT_FACE, place

from kiosk.config import DetectorConfig, KioskConfig, TrackerConfig
from kiosk.detect import DetectorError, FaceDetector
from kiosk.detections import Detections
from kiosk.track import Tracker
from kiosk.views import Box


@pytest.fixture()
def detector():
    cfg = KioskConfig()
    with FaceDetector(cfg.resolve(cfg.detector.short_range_path), DetectorConfig()) as det:
        yield det


def test_finds_the_astronaut_face(detector: FaceDetector, astronaut: np.ndarray) -> None:
    found = detector.detect_still(astronaut)
    assert len(found) == 1
    assert found.boxes()[0].iou(Box(*ASTRONAUT_FACE)) > 0.7


def test_several_faces_and_coordinates_in_source_pixels(detector: FaceDetector,
                                                         astronaut: np.ndarray) -> None:
    frame = place(astronaut, (1280, 720), 60, 100)  # faces ~95 px: found via tiles
    frame = place(astronaut, (1280, 720), 700, 150, canvas=frame)
    boxes = sorted(detector.detect_still(frame).boxes(), key=lambda b: b.x0)
    assert len(boxes) == 2
    x0, y0, x1, y1 = ASTRONAUT_FACE
    assert boxes[0].iou(Box(x0 + 60, y0 + 100, x1 + 60, y1 + 100)) > 0.6
    assert boxes[1].iou(Box(x0 + 700, y0 + 150, x1 + 700, y1 + 150)) > 0.6


def test_tiny_huge_and_border_faces_do_not_break(detector: FaceDetector,
                                                 astronaut: np.ndarray) -> None:
    tiny = cv2.resize(astronaut, (48, 48))
    assert len(detector.detect(place(tiny, (1280, 720), 600, 300), 1.0)) == 0
    huge = cv2.resize(astronaut, (1400, 1400))
    for found in (detector.detect(huge[:720, :1280], 2.0),
                  detector.detect(place(astronaut, (1280, 720), -200, -60), 3.0)):
        for box in found.boxes():
            assert 0 <= box.x0 < box.x1 <= 1280 and 0 <= box.y0 < box.y1 <= 720


def test_missing_or_corrupt_face_model_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(DetectorError, match="nope.tflite: face detection model not found"):
        FaceDetector(tmp_path / "nope.tflite", DetectorConfig())
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a model" * 100)
    with pytest.raises(DetectorError, match="bad.tflite: not a usable"):
        FaceDetector(bad, DetectorConfig())


def _dets(*boxes: tuple[float, float, float, float]) -> Detections:
    return Detections(np.asarray(boxes, np.float32).reshape(-1, 4),
                      np.ones(len(boxes), np.float32))


def test_tracker_keeps_identity_and_spins_for_newcomers() -> None:
    tracker = Tracker(TrackerConfig(max_missing_s=0.5))
    first = tracker.update(_dets((100, 100, 200, 200)), 0.0)
    ids = {t.track_id for t in first}
    for i in range(1, 20):  # the visitor drifts right, 6 px per frame
        tracks = tracker.update(_dets((100 + 6 * i, 100, 200 + 6 * i, 200)), i / 30)
        assert {t.track_id for t in tracks} == ids
    tracks = tracker.update(_dets((220, 100, 320, 200), (700, 100, 800, 200)), 0.7)
    assert len(tracks) == 2 and len({t.track_id for t in tracks} - ids) == 1  # a newcomer
    tracker.update(_dets((700, 100, 800, 200)), 1.5)
    tracks = tracker.update(_dets((700, 100, 800, 200)), 1.6)
    assert len(tracks) == 1 and tracks[0].track_id not in ids  # the first visitor left


def test_tracker_survives_a_missed_detection_and_a_label_respins_after_a_while() -> None:
    from kiosk.classify.labeller import CropLook
    from kiosk.classify.spins import SpinScheduler, face_key

    tracker = Tracker(TrackerConfig(max_missing_s=1.0, respin_after_s=5.0))
    (track,) = tracker.update(_dets((0, 0, 50, 50)), 0.0)
    assert tracker.update(Detections.empty(), 0.5)[0].track_id == track.track_id
    (again,) = tracker.update(_dets((2, 0, 52, 50)), 5.5)
    assert again.track_id == track.track_id  # one visitor, one identity

    class Labeller:  # the landing's label, whatever the scores
        def label_scores(self, scores, imagenet=None):  # noqa: ANN001, ANN202
            return "a label"

        def candidates(self, scores, k):  # noqa: ANN001, ANN202
            return ("a label",)

    class Worker:
        def pending(self, key) -> bool:  # noqa: ANN001
            return False

        def submit(self, key, crop) -> bool:  # noqa: ANN001
            return True

    config = KioskConfig.model_validate({"tracker": {"respin_after_s": 5.0},
                                         "spin": {"crops": 1, "min_s": 0.0}})
    spins = SpinScheduler(config, Worker(), Labeller(),  # type: ignore[arg-type]
                          lambda what, exc: None)
    spins.request(np.zeros((100, 100, 3), np.uint8), [track], 0.0)
    spins.take(face_key(track.track_id, 0), CropLook(np.zeros(3), None, None))  # type: ignore[arg-type]
    spins.land_due([track], 0.0)
    assert spins.label(track.track_id) == "a label"
    spins.respin_due(4.9)
    assert spins.label(track.track_id) == "a label"
    spins.respin_due(5.0)
    assert spins.label(track.track_id) is None and spins.state(track.track_id).generation == 1
