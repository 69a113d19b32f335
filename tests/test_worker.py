"""The classification thread: batching, deduplication, and surviving a model that raises."""

from __future__ import annotations

import time

import numpy as np

from kiosk.classify.worker import ClassificationWorker
from kiosk.scene import Label


def _label(name: str) -> Label:
    return Label("n00007846", name, 1.0, ("person",))


def _wait(worker: ClassificationWorker, n: int, timeout: float = 5.0) -> list:
    results: list = []
    deadline = time.monotonic() + timeout
    while len(results) < n and time.monotonic() < deadline:
        results += worker.drain()
        time.sleep(0.01)
    return results


def test_batches_and_deduplicates() -> None:
    sizes: list[int] = []

    def label_fn(crops):
        sizes.append(len(crops))
        time.sleep(0.05)
        return [_label(str(c.shape)) for c in crops]

    worker = ClassificationWorker(label_fn, batch_size=3)
    crop = np.zeros((8, 8, 3), np.uint8)
    assert worker.submit("a", crop)
    assert not worker.submit("a", crop)  # already waiting
    for key in "bcdefg":
        worker.submit(key, crop)
    results = _wait(worker, 7)
    worker.close()
    assert sorted(r.key for r in results) == list("abcdefg")
    assert max(sizes) <= 3 and sum(sizes) == 7


def test_a_model_that_raises_is_reported_and_the_thread_goes_on() -> None:
    calls = {"n": 0}
    failures: list[BaseException | None] = []

    def label_fn(crops):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("onnxruntime: CUDA failure 700")
        return [_label("ok") for _ in crops]

    worker = ClassificationWorker(label_fn, on_batch=lambda s, n, e: failures.append(e))
    crop = np.zeros((8, 8, 3), np.uint8)
    worker.submit("x", crop)
    (failed,) = _wait(worker, 1)
    assert failed.label is None and "CUDA failure" in failed.error
    worker.submit("x", crop)  # the same key may be asked again
    (ok,) = _wait(worker, 1)
    worker.close()
    assert ok.label is not None and ok.label.name == "ok"
    assert isinstance(failures[0], RuntimeError) and failures[1] is None


def test_classifier_threads_leave_two_cores_to_the_display_and_reader() -> None:
    from kiosk.classify.loading import classifier_threads

    assert classifier_threads(0, cpu_count=2) == 1
    assert classifier_threads(0, cpu_count=8) == 6
    assert classifier_threads(3, cpu_count=2) == 3  # an explicit setting wins
