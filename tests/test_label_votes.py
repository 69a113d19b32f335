"""A face's label is voted on by its first few crops, without delaying the first label.

Real Labels from the shipped model on real crops; the Pipeline's vote and request logic is
driven directly (no threads), so the order of answers is the test's to choose.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ASTRONAUT_FACE

from kiosk.config import KioskConfig
from kiosk.detections import Detections
from kiosk.pipeline import Pipeline
from kiosk.scene import Box


class _Worker:
    """Records what the pipeline asks for; answers nothing by itself."""

    def __init__(self) -> None:
        self.asked: list[tuple] = []

    def pending(self, key) -> bool:  # noqa: ANN001
        return False

    def submit(self, key, crop) -> bool:  # noqa: ANN001
        self.asked.append(key)
        return True

    def ensure_running(self) -> None:
        pass

    def drain(self) -> list:
        return []


@pytest.fixture(scope="module")
def labels(astronaut: np.ndarray):
    """Three different real Labels: the astronaut's face, the camera man's, Grace Hopper's."""
    import cv2
    import matplotlib.cbook
    from skimage import data

    from kiosk.classify.loading import load_model_parts

    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
        hopper = cv2.cvtColor(cv2.imdecode(np.frombuffer(f.read(), np.uint8), 1), cv2.COLOR_BGR2RGB)
    crops = [Box(*ASTRONAUT_FACE).padded(0.6, 512, 512).crop(astronaut).copy(),
             Box(200, 60, 290, 150).padded(0.6, 512, 512).crop(data.camera()).copy(),
             Box(190, 80, 370, 290).padded(0.6, 512, 600).crop(hopper).copy()]
    crops[1] = np.stack([crops[1]] * 3, axis=-1)
    parts = load_model_parts(KioskConfig())
    try:
        out = parts.labeller.label_crops(crops)
    finally:
        parts.close()
    assert len({lab.wnid for lab in out}) == 3, [lab.name for lab in out]
    return out


def _pipeline(votes: int = 3) -> tuple[Pipeline, _Worker]:
    config = KioskConfig.model_validate({"classifier": {"label_votes": votes,
                                                        "label_vote_interval_s": 0.25}})
    worker = _Worker()
    box = np.asarray([ASTRONAUT_FACE], np.float32)
    pipe = Pipeline(config, lambda image, now: Detections(box, np.ones(1, np.float32)), worker)
    return pipe, worker


def _frame(pipe: Pipeline, now: float, index: int) -> None:
    from kiosk.sources.base import Frame

    image = np.zeros((512, 512, 3), np.uint8)
    pipe.step(Frame(image=image, index=index, timestamp=now), now=now)


def test_first_label_at_once_then_a_majority_and_then_fixed(labels) -> None:
    a, b, c = labels
    pipe, worker = _pipeline(votes=3)
    _frame(pipe, 0.0, 1)
    track = pipe.tracker.tracks[0]
    assert len(worker.asked) == 1
    pipe._vote(track, a, 0.05)
    assert track.label == a and pipe.first_label_latencies == [pytest.approx(0.05)]
    pipe._vote(track, b, 0.3)
    assert track.label == a  # a tie keeps what the visitor already reads
    pipe._vote(track, b, 0.6)
    assert track.label == b  # two crops of three say b
    for i in range(2, 12):  # three votes are in: no more requests, the label stays
        _frame(pipe, 0.3 * i, i)
    assert len(worker.asked) == 1 and track.label == b


def test_votes_ask_for_crops_spaced_in_time_and_newcomers_first(labels) -> None:
    pipe, worker = _pipeline(votes=3)
    _frame(pipe, 0.0, 1)
    track = pipe.tracker.tracks[0]
    pipe._vote(track, labels[0], 0.05)
    _frame(pipe, 0.1, 2)  # too soon after the first request: no vote asked yet
    assert len(worker.asked) == 1
    _frame(pipe, 0.3, 3)
    assert len(worker.asked) == 2
    track.label_votes.clear()  # a newcomer is waiting: no vote asked for the labelled face
    newcomer = Box(300, 300, 380, 380)
    pipe.tracker._tracks.append(type(track)(99, newcomer, created_at=0.5, last_seen=0.6))
    pipe._request_face_labels(np.zeros((512, 512, 3), np.uint8),
                              [track, pipe.tracker._tracks[-1]], 0.9)
    assert worker.asked[-1][1] == 99 and len(worker.asked) == 3


def test_one_vote_means_the_first_label_only(labels) -> None:
    pipe, worker = _pipeline(votes=1)
    _frame(pipe, 0.0, 1)
    track = pipe.tracker.tracks[0]
    pipe._vote(track, labels[2], 0.05)
    for i in range(2, 8):
        _frame(pipe, 0.3 * i, i)
    assert len(worker.asked) == 1 and track.label == labels[2]




def test_the_search_waits_while_a_newcomer_waits_for_a_first_label(labels) -> None:
    """On 2 cores a newcomer's crop competes with the search for distant faces: the pipeline
    pauses the search from its request until its first label, for 0.5 s at most."""
    import threading

    paused = threading.Event()
    box = np.asarray([ASTRONAUT_FACE], np.float32)
    worker = _Worker()
    pipe = Pipeline(KioskConfig(), lambda image, now: Detections(box, np.ones(1, np.float32)),
                    worker, search_paused=paused)
    _frame(pipe, 0.0, 1)
    assert len(worker.asked) == 1 and paused.is_set()
    track = pipe.tracker.tracks[0]
    pipe._vote(track, labels[0], 0.05)
    _frame(pipe, 0.06, 2)
    assert not paused.is_set()  # labelled: the search goes on (votes do not pause it)
    track.label = None  # a face whose label never comes (a stuck classifier)
    track.requested_at = 0.1
    _frame(pipe, 0.2, 3)
    assert paused.is_set()
    _frame(pipe, 0.65, 4)
    assert not paused.is_set()  # at most SEARCH_YIELDS_MAX_S
    off = KioskConfig.model_validate({"detector": {"search_yields_to_labels": False}})
    still = threading.Event()
    pipe = Pipeline(off, lambda image, now: Detections(box, np.ones(1, np.float32)),
                    _Worker(), search_paused=still)
    _frame(pipe, 0.0, 1)
    assert not still.is_set()


def test_detection_looks_at_every_other_frame_while_a_newcomer_waits(labels) -> None:
    """`detector.halve_detection_for_labels`: while a first label is being worked out, every
    other frame is not looked at and carries the last faces (the box holds); once labelled,
    every frame is looked at again. Off: every frame, always."""
    from kiosk.sources.base import Frame

    box = np.asarray([ASTRONAUT_FACE], np.float32)
    image = np.zeros((512, 512, 3), np.uint8)

    def run(config: KioskConfig) -> tuple[list[bool], Pipeline]:
        calls: list[int] = []

        def detect(img: np.ndarray, now: float) -> Detections:
            calls.append(1)
            return Detections(box, np.ones(1, np.float32))

        pipe = Pipeline(config, detect, _Worker())
        looked = []
        for i in range(1, 9):
            now = i / 30
            if i == 6:  # the newcomer's label arrives
                pipe._vote(pipe.tracker.tracks[0], labels[0], now)
            frame = Frame(image=image, index=i, timestamp=now)
            before = len(calls)
            analysis = pipe.analyse(frame, now)
            looked.append(len(calls) > before)
            assert analysis.held != looked[-1]
            view = pipe.step(Frame(i, image, now, analysis), now=now)
            assert [f.box for f in view.faces] == [pipe.tracker.tracks[0].box]  # never lost
        return looked, pipe

    looked, pipe = run(KioskConfig())
    # frame 1 finds the newcomer and asks for its label; 2-5 alternate; labelled at 6
    assert looked == [True, False, True, False, True, False, True, True]
    assert len(pipe.tracker.tracks) == 1 and pipe.tracker.tracks[0].track_id == 1
    off = KioskConfig.model_validate({"detector": {"halve_detection_for_labels": False}})
    assert run(off)[0] == [True] * 8
