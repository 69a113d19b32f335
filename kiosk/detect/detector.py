"""`FaceDetector`: the passes of this package put together, frame by frame.

Near pass first (near.py); with the search on, the motion meter (motion.py), the search
squares due (search.py) and the confirmation of every candidate (confirm.py); then one box
per face (dedupe.py) and, with the search on, only faces seen long enough.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from kiosk.config import DetectorConfig, KioskConfig
from kiosk.detect.confirm import Confirmer, Streaks
from kiosk.detect.dedupe import suppress_duplicates
from kiosk.detect.models import Found, require_model
from kiosk.detect.motion import MotionMeter
from kiosk.detect.near import NearPass
from kiosk.detect.pyramid import Pyramid
from kiosk.detect.search import SquareSearch
from kiosk.detections import Detections


class FaceDetector:
    """MediaPipe's FaceDetector over RGB frames; call `close()` (or use `with`)."""

    def __init__(self, model_path: Path, config: DetectorConfig,
                 search_model_path: Path | None = None) -> None:
        model_path = Path(model_path)
        require_model(model_path)
        self._config = config
        self.model_path = model_path
        searching = config.search_tile_px > 0
        # with the search on, one cheap pass over the whole frame; the search does the rest
        self.tiled = model_path.name.startswith("face_detection_short_range") and not searching
        self._near = NearPass(model_path, config, tiled=self.tiled, alternate=searching)
        self._search: SquareSearch | None = None
        self._confirmer: Confirmer | None = None
        if searching:
            full_range = search_model_path or model_path.parent / Path(config.full_range_path).name
            short_range = model_path.parent / Path(config.short_range_path).name
            require_model(full_range)
            self._search = SquareSearch(full_range, config)
            require_model(short_range)
            self._confirmer = Confirmer(short_range, config)
        self._motion = MotionMeter()
        self._streaks = Streaks()
        # set by the pipeline while a newcomer waits for its first label: no square is
        # searched then (the classifier gets that CPU); near faces and found ones still are
        self.search_paused = threading.Event()

    @classmethod
    def from_config(cls, config: KioskConfig) -> FaceDetector:
        det = config.detector
        path = det.short_range_path if det.model == "short_range" else det.full_range_path
        return cls(config.resolve(path), det, config.resolve(det.full_range_path))

    @property
    def squares_searched(self) -> int:
        """Live search squares taken so far (tests/test_detect_reach.py checks that a paused
        search takes none)."""
        return self._search.squares_taken if self._search is not None else 0

    def detect(self, image: np.ndarray, timestamp_s: float) -> Detections:
        """Faces in an RGB uint8 frame, boxes in that frame's pixels, most confident first."""
        return self._detect(image, timestamp_s, sweep_all=False)

    def detect_still(self, image: np.ndarray) -> Detections:
        """Faces in one still picture (`kiosk classify`): every search square at once, where
        the live feed spreads them over frames."""
        self._streaks.clear()
        try:
            return self._detect(image, self._near.last_timestamp_ms / 1000.0 + 1.0,
                                sweep_all=True)
        finally:
            self._streaks.clear()

    def _detect(self, image: np.ndarray, timestamp_s: float, sweep_all: bool) -> Detections:
        pyramid = Pyramid(image)
        found = self._near.run(pyramid, timestamp_s, sweep_all)
        if self._search is not None:
            found = self._reach(pyramid, found, sweep_all)
        if not found:
            self._streaks.clear()
            return Detections.empty()
        faces = Detections(np.asarray([row for row, _ in found], np.float32),
                           np.asarray([score for _, score in found], np.float32))
        faces = suppress_duplicates(faces).top(self._config.max_faces)
        if self._search is None:
            return faces
        needed = 1 if sweep_all else self._config.confirm_frames
        return self._streaks.seen_long_enough(faces, needed)

    def _reach(self, pyramid: Pyramid, near: list[Found], sweep_all: bool) -> list[Found]:
        """Search this frame's squares, then keep only faces the short-range model confirms
        (the full-range model alone boxes a patch of texture every few dozen squares)."""
        assert self._search is not None and self._confirmer is not None
        self._search.next_frame()
        candidates = list(near)
        if self._config.search_motion_weight > 0:
            self._motion.note(pyramid, self._streaks.boxes())
        if not (self.search_paused.is_set() and not sweep_all):
            h, w = pyramid.shape[:2]
            for square in self._search.squares(w, h, self._motion, sweep_all):
                candidates += self._search.look(pyramid, square)
        return self._confirmer.confirmed(pyramid, candidates, self._streaks)

    def close(self) -> None:
        self._near.close()
        for part in (self._search, self._confirmer):
            if part is not None:
                part.close()
        self._search = self._confirmer = None

    def __enter__(self) -> FaceDetector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
