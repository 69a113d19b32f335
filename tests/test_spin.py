"""One label that lands (issue 23): a visitor's label is the mean scores of several crops from
different frames; meanwhile the band spins through that face's real top candidates.

Real CropLooks from the shipped model on real crops; the Pipeline's spin logic is driven
directly (no threads), so the order and timing of answers is the test's to choose.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from conftest import ASTRONAUT_FACE

from kiosk.classify.labeller import CropLook, Labeller
from kiosk.classify.worker import Result
from kiosk.config import KioskConfig
from kiosk.detections import Detections
from kiosk.frame_path import frame_logic
from kiosk.pipeline import Pipeline
from kiosk.sources.base import Frame
from kiosk.track import Track
from kiosk.views import Box

IMAGE = np.zeros((512, 512, 3), np.uint8)


class _Worker:
    """Records what the pipeline asks for; answers what the test tells it to."""

    def __init__(self) -> None:
        self.asked: list[tuple] = []
        self._answers: list[Result] = []
        self._pending: set = set()

    def pending(self, key) -> bool:  # noqa: ANN001
        return key in self._pending

    def submit(self, key, crop) -> bool:  # noqa: ANN001
        self.asked.append(key)
        self._pending.add(key)
        return True

    def answer(self, key, look: CropLook | None) -> None:  # noqa: ANN001
        self._pending.discard(key)
        self._answers.append(Result(key, look, None if look else "failed", 0.0))

    def ensure_running(self) -> None:
        pass

    def drain(self) -> list:
        out, self._answers = self._answers, []
        return out


@pytest.fixture(scope="module")
def model(astronaut: np.ndarray):
    """The shipped labeller and real looks: eight crops of the astronaut's face (the box moved
    a little each time, as frames move it) and one of the camera man's."""
    from skimage import data

    from kiosk.classify.loading import load_model_parts

    parts = load_model_parts(KioskConfig())
    face = Box(*ASTRONAUT_FACE)
    crops = []
    for dx in range(-8, 8, 2):
        moved = Box(face.x0 + dx, face.y0 + dx / 2, face.x1 + dx, face.y1 + dx / 2)
        crops.append(moved.padded(1.0, 512, 512).crop(astronaut).copy())
    camera = Box(200, 60, 290, 150).padded(1.0, 512, 512).crop(data.camera()).copy()
    looks = parts.labeller.look(crops + [np.stack([camera] * 3, axis=-1)])
    yield parts.labeller, looks[:-1], looks[-1]
    parts.close()


def _pipeline(labeller: Labeller, visitors: list | None = None, **spin) -> tuple[Pipeline, _Worker]:
    config = KioskConfig.model_validate({"spin": {"crops": 4, "crop_interval_s": 0.08,
                                                  "min_s": 0.5, "max_s": 2.0, **spin}})
    worker = _Worker()
    box = np.asarray([ASTRONAUT_FACE], np.float32)
    pipe = frame_logic(config, lambda image, now: Detections(box, np.ones(1, np.float32)), worker,
                       labeller, threaded=False,
                       on_visitor=None if visitors is None else visitors.append).pipeline
    return pipe, worker


def _frame(pipe: Pipeline, now: float, index: int):  # noqa: ANN202
    return pipe.step(Frame(image=IMAGE, index=index, timestamp=now), now=now)


def test_the_wheel_shows_real_candidates_then_lands_once_on_the_mean(model) -> None:
    labeller, looks, _ = model
    visitors: list[np.ndarray] = []
    pipe, worker = _pipeline(labeller, visitors)
    view = _frame(pipe, 0.0, 1)
    (face,) = view.faces
    assert face.label is None and face.spin is None  # no crop scored: the box alone
    assert len(worker.asked) == 1
    t, i = 0.0, 1
    for k in range(4):
        worker.answer(worker.asked[-1], looks[k])
        t, i = t + 0.1, i + 1
        view = _frame(pipe, t, i)
        (face,) = view.faces
        mean = np.mean([look.scores for look in looks[:k + 1]], axis=0)
        assert face.label is None, "landed before the designed length of the spin"
        # every name on the wheel is one of this face's real top candidates right now
        assert face.spin.candidates == labeller.candidates(mean, 5)
        assert face.spin.progress == pytest.approx((k + 1) / 4)
    assert len(worker.asked) == 4  # all crops in: no more asked
    view = _frame(pipe, 0.55, i + 1)
    (face,) = view.faces
    mean = np.mean([look.scores for look in looks[:4]], axis=0)
    assert face.label is not None and face.spin is None
    assert face.label.wnid == labeller.label_scores(mean).wnid
    landed = face.label
    for j in range(30):  # it does not change while the visitor stays
        view = _frame(pipe, 0.6 + j * 0.1, i + 2 + j)
        assert view.faces[0].label == landed
    assert len(worker.asked) == 4
    assert len(visitors) == 1 and np.allclose(visitors[0], mean)  # the room learns it once
    assert pipe.first_label_latencies == [pytest.approx(0.55)]


def test_crops_are_spaced_in_time_and_a_failed_one_is_asked_again(model) -> None:
    labeller, looks, _ = model
    pipe, worker = _pipeline(labeller)
    _frame(pipe, 0.0, 1)
    worker.answer(worker.asked[-1], looks[0])
    _frame(pipe, 0.03, 2)  # too soon after the first request
    assert len(worker.asked) == 1
    _frame(pipe, 0.09, 3)
    assert len(worker.asked) == 2
    worker.answer(worker.asked[-1], None)  # the model failed on it
    _frame(pipe, 0.2, 4)
    track_id = pipe.tracker.tracks[0].track_id
    assert len(worker.asked) == 3 and pipe.spins.state(track_id).spin.crops == 1


def test_a_slow_host_still_lands_by_max_s(model) -> None:
    labeller, looks, _ = model
    pipe, worker = _pipeline(labeller)
    _frame(pipe, 0.0, 1)
    worker.answer(worker.asked[-1], looks[0])
    _frame(pipe, 1.9, 2)
    assert pipe.spins.label(pipe.tracker.tracks[0].track_id) is None
    view = _frame(pipe, 2.05, 3)
    assert view.faces[0].label is not None
    assert view.faces[0].label.wnid == labeller.label_scores(looks[0].scores).wnid


def test_newcomers_with_fewest_crops_are_asked_first(model) -> None:
    labeller, looks, _ = model
    pipe, worker = _pipeline(labeller)
    _frame(pipe, 0.0, 1)
    track = pipe.tracker.tracks[0]
    worker.answer(worker.asked[-1], looks[0])
    _frame(pipe, 0.01, 2)
    newcomer = Track(99, Box(300, 300, 380, 380), created_at=0.1, last_seen=0.1)
    pipe.spins.request(IMAGE, [track, newcomer], 0.2)
    assert [k[1] for k in worker.asked[-2:]] == [99, track.track_id]


def test_a_respin_is_a_new_spin_but_not_a_new_visitor(model) -> None:
    labeller, looks, other = model
    visitors: list[np.ndarray] = []
    pipe, worker = _pipeline(labeller, visitors, crops=1, min_s=0.0)
    _frame(pipe, 0.0, 1)
    worker.answer(worker.asked[-1], looks[0])
    _frame(pipe, 0.1, 2)
    track_id = pipe.tracker.tracks[0].track_id
    assert pipe.spins.label(track_id) is not None and len(visitors) == 1
    pipe.spins.respin(track_id)  # what tracker.respin_after_s does
    assert pipe.spins.label(track_id) is None and pipe.spins.state(track_id).generation == 1
    _frame(pipe, 0.2, 3)
    worker.answer(worker.asked[-1], other)
    _frame(pipe, 0.3, 4)
    assert pipe.spins.label(track_id).wnid == labeller.label_scores(other.scores).wnid
    assert len(visitors) == 1  # each visitor counts once, however long they stay


def test_the_search_waits_while_a_newcomer_spins(model) -> None:
    """On 2 cores a newcomer's crops compete with the search for distant faces: the search
    pauses from the first request until its crops are in, for 1.5 s at most."""
    labeller, looks, _ = model
    paused = threading.Event()
    box = np.asarray([ASTRONAUT_FACE], np.float32)
    worker = _Worker()
    config = KioskConfig.model_validate({"spin": {"crops": 2, "crop_interval_s": 0.0}})
    pipe = frame_logic(config, lambda image, now: Detections(box, np.ones(1, np.float32)),
                       worker, labeller, threaded=False, search_paused=paused).pipeline
    _frame(pipe, 0.0, 1)
    assert paused.is_set()
    worker.answer(worker.asked[-1], looks[0])
    _frame(pipe, 0.05, 2)
    assert paused.is_set()
    worker.answer(worker.asked[-1], looks[1])
    _frame(pipe, 0.1, 3)
    assert not paused.is_set()  # its crops are in: the search goes on while it lands
    # a face whose crops never come (a stuck model)
    pipe.spins.state(pipe.tracker.tracks[0].track_id).spin.crops = 0
    _frame(pipe, 0.3, 4)
    assert paused.is_set()
    _frame(pipe, 1.55, 5)
    assert not paused.is_set()  # at most SEARCH_YIELDS_MAX_S (1.5 s)
    off = config.model_copy(update={"detector": config.detector.model_copy(
        update={"search_yields_to_labels": False})})
    still = threading.Event()
    pipe = frame_logic(off, lambda image, now: Detections(box, np.ones(1, np.float32)),
                       _Worker(), labeller, threaded=False, search_paused=still).pipeline
    _frame(pipe, 0.0, 1)
    assert not still.is_set()


def test_detection_looks_at_every_other_frame_while_a_newcomer_spins(model) -> None:
    """`detector.detect_every_while_labelling`: while a newcomer's crops are being scored only
    one frame in that many is looked at and the others carry the last faces (the box holds);
    once they are in, every frame is looked at again. 1: every frame, always."""
    labeller, looks, _ = model
    box = np.asarray([ASTRONAUT_FACE], np.float32)

    def run(config: KioskConfig) -> list[bool]:
        calls: list[int] = []

        def detect(img: np.ndarray, now: float) -> Detections:
            calls.append(1)
            return Detections(box, np.ones(1, np.float32))

        worker = _Worker()
        pipe = frame_logic(config, detect, worker, labeller, threaded=False).pipeline
        looked = []
        for i in range(1, 9):
            now = i / 30
            if i == 6:  # the newcomer's only crop is scored
                worker.answer(worker.asked[-1], looks[0])
            before = len(calls)
            view = pipe.step(Frame(image=IMAGE, index=i, timestamp=now), now=now)
            looked.append(len(calls) > before)
            assert (pipe.timings.detect_s is not None) == looked[-1]  # a held frame: no time
            assert [f.box for f in view.faces] == [pipe.tracker.tracks[0].box]  # never lost
        return looked

    one = {"spin": {"crops": 1}}
    assert run(KioskConfig.model_validate(one)) == [True, False, False, True, False, False,
                                                    True, True]
    two = KioskConfig.model_validate({**one, "detector": {"detect_every_while_labelling": 2}})
    assert run(two) == [True, False, True, False, True, False, True, True]
    off = KioskConfig.model_validate({**one, "detector": {"detect_every_while_labelling": 1}})
    assert run(off) == [True] * 8
