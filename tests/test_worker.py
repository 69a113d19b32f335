"""The classification thread: batching, deduplication, and surviving a model that raises."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from kiosk.classify.worker import ClassificationWorker
from kiosk.views import Label


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
    from kiosk.classify.loading import classifier_threads, classifier_workers

    assert classifier_workers(0, on_cpu=True) == 2 and classifier_workers(0, on_cpu=False) == 1
    assert classifier_workers(3, on_cpu=False) == 3  # an explicit setting wins
    assert classifier_threads(0, cpu_count=2) == 1  # two workers, one thread each
    assert classifier_threads(0, cpu_count=8) == 3
    assert classifier_threads(0, cpu_count=8, workers=1) == 6
    assert classifier_threads(3, cpu_count=2) == 3  # an explicit setting wins


def test_two_threads_classify_two_crops_side_by_side() -> None:
    """With two threads a second crop does not wait for the first: both calls must be inside
    the label function at once to pass the barrier (one thread would time out on it)."""
    barrier = threading.Barrier(2, timeout=5.0)

    def label_fn(crops):
        barrier.wait()
        return [_label("ok") for _ in crops]

    worker = ClassificationWorker(label_fn, batch_size=1, threads=2)
    crop = np.zeros((8, 8, 3), np.uint8)
    assert worker.submit("a", crop) and worker.submit("b", crop)
    results = _wait(worker, 2)
    worker.close()
    assert sorted(r.key for r in results) == ["a", "b"]
    assert all(r.label is not None for r in results), [r.error for r in results]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # meant
def test_a_dead_thread_of_several_is_restarted() -> None:
    deaths = [2]
    lock = threading.Lock()

    def label_fn(crops):
        with lock:
            die, deaths[0] = deaths[0] > 0, deaths[0] - 1
        if die:  # not an Exception: the thread ends, as a bug outside the guard would end it
            raise SystemExit
        return [_label("ok") for _ in crops]

    worker = ClassificationWorker(label_fn, batch_size=1, threads=2)
    crop = np.zeros((8, 8, 3), np.uint8)
    assert worker.submit("a", crop) and worker.submit("b", crop)
    deadline = time.monotonic() + 5
    while worker.restarts < 2:  # the display calls this every frame
        assert time.monotonic() < deadline
        time.sleep(0.02)
        worker.ensure_running()
    assert worker.restarts == 2
    assert worker.submit("x", crop)
    (result,) = _wait(worker, 1)
    worker.close()
    assert result.key == "x" and result.label is not None


def test_a_worker_needs_a_thread() -> None:
    import pytest

    with pytest.raises(ValueError, match="at least one thread"):
        ClassificationWorker(lambda crops: [], threads=0)
