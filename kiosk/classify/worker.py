"""Classification off the display thread: the render loop hands crops in and never waits.

Jobs queue up and are classified in batches on background threads (one, or on a CPU several,
so that newcomers' crops are classified side by side, each on its own core). Any exception in
the model is caught, logged and returned as a failed result, so the display goes on and the
caller can ask again later; if a thread should die anyway, `ensure_running` restarts it.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

# crops -> one answer per crop: the kiosk's is Labeller.look (a CropLook each), a test's may be
# a Label each; the worker only carries them
LabelFn = Callable[[Sequence[np.ndarray]], list[Any]]


@dataclass(frozen=True)
class Job:
    key: Hashable  # ("face", track_id, generation) or ("scene", n)
    crop: np.ndarray  # an RGB copy owned by the job
    submitted_at: float


@dataclass(frozen=True)
class Result:
    key: Hashable
    label: Any  # label_fn's answer for the crop; None when it failed
    error: str | None
    latency_s: float  # from submission to answer


class ClassificationWorker:
    """`threads` threads, batched crops, results collected by the display thread with `drain()`.
    `label_fn` must be safe to call from several threads at once (onnxruntime's `run` is)."""

    def __init__(self, label_fn: LabelFn, batch_size: int = 8,
                 on_batch: Callable[[float, int, BaseException | None], None] | None = None,
                 max_queue: int = 64, on_results: Callable[[], None] | None = None,
                 threads: int = 1, nice: int = 0) -> None:
        if threads < 1:
            raise ValueError(f"a worker needs at least one thread, not {threads}")
        self._label_fn = label_fn
        self._batch_size = batch_size
        self._on_batch = on_batch
        self._on_results = on_results  # wakes the display, so a label shows as soon as it is known
        self._nice = nice  # labels take what the picture leaves: a lower priority for these
        self._jobs: queue.Queue[Job] = queue.Queue(maxsize=max_queue)
        self._results: queue.Queue[Result] = queue.Queue()
        self._pending: set[Hashable] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread | None] = [None] * threads
        self.restarts = 0
        self.ensure_running()

    def ensure_running(self) -> None:
        """Start (or restart) the threads; the display loop calls this every frame, cheaply."""
        for i, thread in enumerate(self._threads):
            if thread is not None and thread.is_alive():
                continue
            if thread is not None:
                self.restarts += 1
                log.error("classification thread %s had stopped; restarting it", thread.name)
            thread = threading.Thread(target=self._run, name=f"classifier-{i}", daemon=True)
            self._threads[i] = thread
            thread.start()

    def submit(self, key: Hashable, crop: np.ndarray) -> bool:
        """Queue a crop unless the same key is already waiting or the queue is full."""
        with self._lock:
            if key in self._pending:
                return False
            self._pending.add(key)
        try:
            self._jobs.put_nowait(Job(key, np.ascontiguousarray(crop).copy(), time.monotonic()))
        except queue.Full:
            with self._lock:
                self._pending.discard(key)
            return False
        return True

    def pending(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._pending

    def drain(self) -> list[Result]:
        out: list[Result] = []
        while True:
            try:
                out.append(self._results.get_nowait())
            except queue.Empty:
                return out

    def _take_batch(self) -> list[Job]:
        try:
            first = self._jobs.get(timeout=0.1)
        except queue.Empty:
            return []
        batch = [first]
        while len(batch) < self._batch_size:
            try:
                batch.append(self._jobs.get_nowait())
            except queue.Empty:
                break
        return batch

    def _lower_priority(self) -> None:
        """This thread's nice value (Linux: per thread). Lowering one's own priority needs no
        privilege; where it fails the labels simply compete as before."""
        if self._nice <= 0:
            return
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self._nice)
        except (AttributeError, OSError) as exc:
            log.warning("classification thread keeps its priority: %s", exc)

    def _run(self) -> None:
        self._lower_priority()
        while not self._stop.is_set():
            batch = self._take_batch()
            if not batch:
                continue
            started = time.monotonic()
            labels: list[Any] = [None] * len(batch)
            error: BaseException | None = None
            try:
                labels = list(self._label_fn([job.crop for job in batch]))
                if len(labels) != len(batch):
                    raise RuntimeError(f"labeller returned {len(labels)} labels for {len(batch)}")
            except Exception as exc:  # the model failing must never take the display down
                error = exc
                labels = [None] * len(batch)
                if self._on_batch is None:  # otherwise the callback (Metrics) logs it
                    log.exception("classification of %d crop(s) failed", len(batch))
            finished = time.monotonic()
            if self._on_batch is not None:
                try:
                    self._on_batch(finished - started, len(batch), error)
                except Exception:
                    log.exception("metrics callback failed")
            for job, label in zip(batch, labels, strict=True):
                with self._lock:
                    self._pending.discard(job.key)
                self._results.put(Result(job.key, label, None if error is None else repr(error),
                                         finished - job.submitted_at))
            if self._on_results is not None:
                self._on_results()

    def close(self) -> None:
        self._stop.set()
        deadline = time.monotonic() + 5.0
        for thread in self._threads:
            if thread is not None:
                thread.join(timeout=max(0.0, deadline - time.monotonic()))
