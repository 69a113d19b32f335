"""One display frame's worth of work, without pygame: detections -> track -> classify -> view.

The display side of the frame path, owned by the display thread. The display loop calls
`step()` once per frame with the newest detection result, a value (`Detected`: kiosk/detect/
loop.py's, or `None`); where there is no detection thread (tests, benchmarks, the doctor) the
pipeline is built with an inline analyser (kiosk/detect/analyser.py) and each new frame is
detected here. The model runs on the worker threads, so a face shows a box at once, its wheel of
candidates as the first crop is scored, and its label when the spin lands
(kiosk/classify/spins.py). `kiosk/frame_path.py` builds both sides, with every mode given.

Time is an input: every call takes `now` (the kiosk's own clock), and the kiosk's time starts
at the first frame, so what the screen shows never depends on how long the host has been up.
Every stage that can fail is guarded: a detector or classifier fault is logged and counted,
and the screen keeps showing what it last knew.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from kiosk.classify.labeller import CropLook, Labeller
from kiosk.classify.spins import SpinScheduler
from kiosk.classify.worker import ClassificationWorker
from kiosk.config import KioskConfig
from kiosk.detections import Detected, FrameAnalysis
from kiosk.sources.base import Frame
from kiosk.track import Track, Tracker
from kiosk.views import FaceView, FrameView, Label

log = logging.getLogger(__name__)

Analyse = Callable[[Frame], FrameAnalysis]

RETRY_LABEL_S = 1.0  # ask again this long after a failed or dropped classification


@dataclass
class StepTimings:
    detect_s: float | None = None
    faces: int = 0


class RoomMotion:
    """Mean absolute change between small grey thumbnails: is anybody moving?"""

    def __init__(self) -> None:
        self._previous: np.ndarray | None = None
        self.level = 255.0  # start "moving" so the idle screen never shows at once

    def update(self, image: np.ndarray) -> float:
        # Every 8th pixel first: a 64x36 thumbnail needs no more, and greying and shrinking
        # a whole 1080p frame would cost the display thread a millisecond or two.
        step = max(1, min(image.shape[0] // 36, image.shape[1] // 64) // 2)
        sparse = np.ascontiguousarray(image[::step, ::step])
        thumb = cv2.resize(cv2.cvtColor(sparse, cv2.COLOR_RGB2GRAY), (64, 36),
                           interpolation=cv2.INTER_AREA).astype(np.int16)
        if self._previous is not None and self._previous.shape == thumb.shape:
            change = float(np.mean(np.abs(thumb - self._previous)))
            self.level = 0.8 * self.level + 0.2 * change
        self._previous = thumb
        return self.level


class Pipeline:
    """The display side's frame logic: tracks, spins, the scene label and the idle state."""

    def __init__(self, config: KioskConfig, worker: ClassificationWorker, labeller: Labeller,
                 *, labels_waiting: threading.Event, inline: Analyse | None = None,
                 on_error: Callable[[str, BaseException], None] | None = None,
                 on_success: Callable[[str], None] | None = None,
                 search_paused: threading.Event | None = None,
                 on_visitor: Callable[[np.ndarray], None] | None = None,
                 on_first_label: Callable[[int, Label], None] | None = None) -> None:
        self._config = config
        # inline: each new frame is detected in step() (no detection thread); otherwise the
        # detection thread's results come in as values
        self._inline = inline
        # set while a newcomer waits for its first label: the detector's search for distant
        # faces (~10 ms of a core a frame) then waits, so the classifier gets the CPU sooner
        self._search_paused = search_paused if config.detector.search_yields_to_labels else None
        # set while a newcomer waits for its first label, read by the detection side: it then
        # detects one frame in `detector.detect_every_while_labelling`
        self._labels_waiting = labels_waiting
        self._worker = worker
        self._on_error = on_error
        self._on_success = on_success
        self.tracker = Tracker(config.tracker)
        self._motion = RoomMotion()
        self._last_face_at: float | None = None  # the first frame starts the kiosk's time
        self._scene_label: Label | None = None
        self._scene_requested_at: float | None = None
        self._scene_serial = 0
        self._last_frame_index = -1
        self.camera_frames = 0  # distinct camera frames processed (a redraw of one is not)
        self.timings = StepTimings()
        self.detections_applied = 0
        # what each tracked visitor is called: spins, landings, re-spins (the classify stage's);
        # a visitor's mean scores go to on_visitor once, when their first label lands, and
        # the label to on_first_label (the speech, kiosk/speech/)
        self.spins = SpinScheduler(config, worker, labeller, self._fail, on_visitor,
                                   on_first_label)

    @property
    def first_label_latencies(self) -> list[float]:
        """From a face's first sighting to its label landing, per visitor (the last 1,000)."""
        return self.spins.first_label_latencies

    def _fail(self, component: str, exc: BaseException) -> None:
        if self._on_error is None:
            log.exception("%s failed; the display goes on", component)
        else:  # Metrics logs the first failure of a streak and then only at milestones
            self._on_error(component, exc)

    def _apply_results(self, now: float) -> None:
        self.spins.keep_only(t.track_id for t in self.tracker.tracks)
        for result in self._worker.drain():
            kind = result.key[0] if isinstance(result.key, tuple) else None
            if not isinstance(result.label, CropLook):
                continue  # failed: the spin or the scene asks again
            if kind == "face":
                self.spins.take(result.key, result.label)
            elif kind == "scene":
                self._scene_label = result.label.label

    def _note_newcomers_waiting(self, tracks: list[Track], now: float) -> None:
        """While a newcomer's crops are being scored (on 2 cores a crop competes with
        detection for the CPU) the search pauses and detection may skip every other frame (the
        boxes follow their faces in between), for a while at most (spins.SEARCH_YIELDS_MAX_S)."""
        waiting = self.spins.newcomers_waiting(tracks, now)
        for event in (self._labels_waiting, self._search_paused):
            if event is None:
                continue
            if waiting:
                event.set()
            else:
                event.clear()

    def _request_scene_label(self, image: np.ndarray, now: float) -> None:
        scene = self._config.scene
        due = self._scene_requested_at is None or now - self._scene_requested_at >= (
            scene.scene_relabel_s if self._scene_label is not None else RETRY_LABEL_S)
        if due and self._worker.submit(("scene", self._scene_serial), image):
            self._scene_serial += 1
            self._scene_requested_at = now

    def _apply_analysis(self, analysis: FrameAnalysis, now: float, image: np.ndarray, *,
                        since: Frame | None = None, index: int | None = None) -> None:
        self.timings.detect_s = analysis.detect_s
        self.detections_applied += 1
        if analysis.error is not None:
            self._fail("detect", analysis.error)
        elif self._on_success is not None:
            self._on_success("detect")
        self.tracker.update(analysis.detections, now, image, index=index,
                            since=None if since is None else since.index,
                            since_image=None if since is None else since.image)
        self.spins.respin_due(now)

    def step(self, frame: Frame | None, *, now: float, camera_available: bool = True,
             notice: str | None = None, detected: Detected | None = None) -> FrameView:
        """Process the newest frame (None: nothing new to show) at the kiosk's time `now` and
        describe the screen.

        `detected`: the newest result of the detection thread (kiosk/detect/loop.py), on this
        frame or an earlier one; without one the boxes follow their faces in this frame. Built
        with an inline analyser (no detection thread: tests, benchmarks), each new frame is
        detected here."""
        self._worker.ensure_running()
        self._apply_results(now)
        if not camera_available:
            self.tracker.reset()
            return FrameView(None, mode="camera_unavailable")  # the screen says it all
        if frame is None:
            return FrameView(None, notice=notice)
        self.timings.detect_s = None
        new_frame = frame.index != self._last_frame_index
        self._track(frame, new_frame, detected, now)
        if new_frame:
            self._count(frame, now)
        tracks = [t for t in self.tracker.tracks if t.present]  # no ghost box (track.py)
        self.timings.faces = len(tracks)
        if tracks:
            return self._faces_view(frame.image, tracks, now, notice)
        self._note_newcomers_waiting([], now)
        return self._room_view(frame.image, now, notice)

    @property
    def last_frame_index(self) -> int:
        """The index of the last camera frame processed (-1: none yet)."""
        return self._last_frame_index

    def _track(self, frame: Frame, new_frame: bool, detected: Detected | None,
               now: float) -> None:
        """Detections into tracks. Inline, a new frame is detected and its faces applied as
        they are; otherwise the boxes follow their faces into a new frame, and a result of the
        detection thread is moved by what its faces moved since its frame."""
        if new_frame and self._inline is not None:
            self._apply_analysis(self._inline(frame), now, frame.image, index=frame.index)
            return
        if new_frame:
            self.tracker.follow(frame.image, now, frame.index)
        if detected is not None:
            self._apply_analysis(detected.analysis, now, frame.image, since=detected.frame,
                                 index=frame.index)

    def _count(self, frame: Frame, now: float) -> None:
        """A new camera frame: counted, and its motion measured (is anybody there?). The first
        one starts the kiosk's time: "nobody for N s" counts from it."""
        if self._last_face_at is None:
            self._last_face_at = now
        self._last_frame_index = frame.index
        self.camera_frames += 1
        try:
            self._motion.update(frame.image)
        except Exception as exc:
            self._fail("motion", exc)

    def _faces_view(self, image: np.ndarray, tracks: list[Track], now: float,
                    notice: str | None) -> FrameView:
        """Faces on screen: their spins advance and land; each gets its box and label."""
        self._last_face_at = now
        self._scene_label = None
        self._scene_requested_at = None
        self.spins.request(image, tracks, now)
        self.spins.land_due(tracks, now)
        self._note_newcomers_waiting(tracks, now)
        faces = tuple(FaceView(t.track_id, t.box, self.spins.label(t.track_id),
                               self.spins.spin_view(t.track_id)) for t in tracks)
        return FrameView(image, faces=faces, notice=notice)

    def _room_view(self, image: np.ndarray, now: float, notice: str | None) -> FrameView:
        """No face: the picture alone, then the whole scene labelled, then the idle screen."""
        scene = self._config.scene
        absent_for = now - (now if self._last_face_at is None else self._last_face_at)
        if absent_for >= scene.idle_after_s and self._motion.level < scene.idle_motion_threshold:
            return FrameView(image, mode="idle", notice=notice)
        if absent_for >= scene.no_face_after_s:
            self._request_scene_label(image, now)
            return FrameView(image, scene_label=self._scene_label, notice=notice)
        return FrameView(image, notice=notice)
