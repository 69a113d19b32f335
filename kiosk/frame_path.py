"""Wiring: builds the frame path's parts, each with its mode, and says which thread owns what.

    reader (frame-reader thread) -> analyser (face-detection thread) -> pipeline (display)
                                                      classification worker (classifier-N) <-'

- `FrameReader` (kiosk/sources/reader.py) reads the source on its own thread and hands each
  frame on; the display takes the newest.
- `FrameAnalyser` (kiosk/detect/analyser.py) is owned by the detection thread
  (`DetectionLoop`, kiosk/detect/loop.py); its results cross to the display as values.
  Unthreaded (tests, benchmarks, the doctor), the display thread owns it and the pipeline
  calls it inline on each new frame.
- `Pipeline` (kiosk/pipeline.py) is owned by the display thread: tracks, spins, scene, idle.
- The classification worker's threads take copies of crops and queue answers back.

Two `threading.Event`s cross from the display to the detection side: a newcomer is waiting
for a label (`labels_waiting`: detection looks at fewer frames) and the detector's own
`search_paused`. Everything is decided here, at construction: no mode is flipped later.

Time: the frame logic (pipeline, tracker, spins, the wheel, frame stamps and the camera's
silence) runs on one clock handed in (`clock`, the kiosk's; a test's fake one); its time
starts at the first frame. The real clock is read only to measure real work and to wait:
detection's duration (FrameAnalyser, perf_counter), a crop's queue age and a batch's duration
(kiosk/classify/worker.py), frame pacing and frame times (kiosk/app.py, kiosk/pacing.py,
the reader's pacing of a file), and the service's watchdog, metrics and saves.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from kiosk.classify.labeller import Labeller
from kiosk.classify.loading import kiosk_worker
from kiosk.classify.worker import ClassificationWorker
from kiosk.config import KioskConfig
from kiosk.detect.analyser import DetectFn, FrameAnalyser
from kiosk.detect.loop import DetectionLoop
from kiosk.pipeline import Pipeline
from kiosk.sources.base import FrameSource
from kiosk.sources.reader import FrameReader
from kiosk.views import Label


@dataclass(frozen=True)
class FrameLogic:
    """The two sides of detection: the analyser (detection thread) and the pipeline
    (display thread)."""

    analyser: FrameAnalyser
    pipeline: Pipeline


def frame_logic(config: KioskConfig, detect: DetectFn, worker: ClassificationWorker,
                labeller: Labeller, *, threaded: bool,
                search_paused: threading.Event | None = None,
                on_error: Callable[[str, BaseException], None] | None = None,
                on_success: Callable[[str], None] | None = None,
                on_visitor: Callable[[np.ndarray], None] | None = None,
                on_first_label: Callable[[int, Label], None] | None = None) -> FrameLogic:
    """The analyser and the pipeline, sharing the one flag that crosses between them.
    `threaded`: a detection thread will run the analyser and hand its results to
    `Pipeline.step`; otherwise the pipeline detects each new frame inline."""
    labels_waiting = threading.Event()
    analyser = FrameAnalyser(
        detect, every_while_labelling=config.detector.detect_every_while_labelling,
        labels_waiting=labels_waiting)
    pipeline = Pipeline(config, worker, labeller, labels_waiting=labels_waiting,
                        inline=None if threaded else analyser.analyse,
                        on_error=on_error, on_success=on_success,
                        search_paused=search_paused, on_visitor=on_visitor,
                        on_first_label=on_first_label)
    return FrameLogic(analyser, pipeline)


@dataclass(frozen=True)
class FramePath:
    """Everything between the source and the renderer, built and started."""

    reader: FrameReader
    detect_loop: DetectionLoop | None  # None: detection inline in Pipeline.step
    pipeline: Pipeline
    worker: ClassificationWorker

    def close(self) -> None:
        self.worker.close()
        self.reader.close()
        if self.detect_loop is not None:
            self.detect_loop.close()


@dataclass(frozen=True)
class PathHooks:
    """What the frame path reports to (the service hooks and the pacer; each optional)."""

    on_error: Callable[[str, BaseException], None] | None = None
    on_success: Callable[[str], None] | None = None
    on_batch: Callable[[float, int, BaseException | None], None] | None = None
    on_visitor: Callable[[np.ndarray], None] | None = None
    on_first_label: Callable[[int, Label], None] | None = None  # a newcomer's label landed
    on_frame: Callable[[], None] | None = None  # a frame was read (wakes the display)
    on_results: Callable[[], None] | None = None  # classification answers are queued


def build_frame_path(config: KioskConfig, source: FrameSource, detect: DetectFn,
                     look: Callable, labeller: Labeller, *, threaded: bool, on_cpu: bool,
                     clock: Callable[[], float], hooks: PathHooks,
                     search_paused: threading.Event | None = None) -> FramePath:
    """The worker, the two sides of detection, the detection thread (`threaded`) and the
    reader (on its own thread when `threaded`), every frame stamped by `clock`."""
    worker = kiosk_worker(config, look, on_cpu=on_cpu, on_batch=hooks.on_batch,
                          on_results=hooks.on_results)
    logic = frame_logic(config, detect, worker, labeller, threaded=threaded,
                        search_paused=search_paused, on_error=hooks.on_error,
                        on_success=hooks.on_success, on_visitor=hooks.on_visitor,
                        on_first_label=hooks.on_first_label)
    detect_loop = None
    if threaded:
        detect_loop = DetectionLoop(logic.analyser.analyse,
                                    skip=lambda analysis: analysis.held)
    on_error, on_success = hooks.on_error, hooks.on_success
    reader = FrameReader(
        source, threaded=threaded, clock=clock, on_frame=hooks.on_frame,
        submit=detect_loop.submit if detect_loop is not None else None,
        on_error=(lambda exc: on_error("source", exc)) if on_error is not None else None,
        on_success=(lambda: on_success("source")) if on_success is not None else None)
    return FramePath(reader, detect_loop, logic.pipeline, worker)
