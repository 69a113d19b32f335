"""Face detection with MediaPipe Tasks' BlazeFace models, near and distant visitors alike.

The short-range model sees a 128x128 input and finds faces that fill 20-50% of it almost
always, and little else (no box in 300 empty squares at a score of 0.7); faces under ~13%
of its input it misses. So one pass over the whole frame (downscaled to `max_width`) finds
only near visitors (faces over ~250 px at 1280x720, ~390 px at 1920x1080); every other frame
that pass looks at one square tile as tall as the frame instead, in turn (faces of ~145-360 px
at 720p, ~220-540 px at 1080p, which the search squares below are too small for). Distant
ones are searched for:

- Search: the full-range model (192x192 input, faces of 8-40% of it) looks at squares of a
  fixed size in source pixels whatever the resolution (`search_tile_px` 256: faces of
  ~21-105 px; and coarse squares 1.5x wider: ~32-155 px), two squares a frame, alternately
  coarse and fine. Squares are taken in order of how long ago they were searched, weighted
  by how much of each moved since last frame (`search_motion_weight`, on a quarter-size
  thumbnail): visitors move, walls do not, so a newcomer is found in a frame or two; a still
  scene is swept in turn. While a newcomer waits for its first label, no square is searched
  (`search_yields_to_labels`): on 2 cores the classifier needs that CPU more.
- Confirm: the full-range model boxes a patch of texture every few dozen squares, and the
  short-range model a few times per 1000 frames, so every new face is looked at again by the
  short-range model on a square ~3.3 faces wide around it (where it is reliable), and gets a
  box once confirmed in `confirm_frames` frames running (one frame, 33 ms, later).
- Follow: a face of last frame that no pass found again is confirmed around where it was, so
  a distant face once found is kept every frame for one short-range run.

Regions are cut from a pyramid of exact halvings (cheap) instead of odd-factor area resizes.
With `search_tile_px: 0` only the old pass runs: tiles of the downscaled frame's height.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from kiosk.config import DetectorConfig, KioskConfig
from kiosk.detections import Detections
from kiosk.mediapipe_import import BaseOptions, mp, vision
from kiosk.scene import Box

if TYPE_CHECKING:
    from mediapipe.tasks.python.components.containers import Detection

SEARCH_INPUT_PX = 192  # the full-range model's input: larger squares are downscaled to it
CONFIRM_INPUT_PX = 128  # the short-range model's input
CONFIRM_FACE_FRACTION = 0.3  # a face is confirmed in a square ~3.3 faces wide, where the
# short-range model finds real faces (20-50% of its input) almost always and little else
COARSE_STRIDE = 0.75  # coarse squares at most this many sides apart (a quarter overlap)
MOTION_LEVEL = 6  # a thumbnail pixel changed by more than this (of 255) counts as motion
MOTION_THUMB = 4  # motion is measured on a thumbnail 1/this of the frame's width; at 1/8 and
# 10 levels a distant visitor's sway (a 40 px face moving 1-3 px) went unseen
LARGE_TILE_FACTOR = 1.5  # the coarse search level's squares are this many fine squares wide


def _grid(width: int, height: int, side: int,
          stride: float = 0.75) -> list[tuple[int, int, int]]:
    """Overlapping squares of `side` covering the frame, at most `stride` sides apart (a
    quarter overlap, so a face on one tile's edge lies whole in the next)."""
    def starts(extent: int) -> list[int]:
        if extent <= side:
            return [0]
        count = int(np.ceil((extent - side) / (stride * side))) + 1
        return [round(i * (extent - side) / (count - 1)) for i in range(count)]
    return [(x, y, side) for y in starts(height) for x in starts(width)]


def _same_face(a: Box, b: Box) -> bool:
    """Overlapping boxes, or either's centre inside the other: the same face in two passes or
    frames. Both ways round: the full-range model can box a face larger and off-centre (a 176
    px box beside the 135 px one of the same face at 1080p, IoU 0.28), and a check of one
    centre only let that through as a second visitor (a second box and label on one face)."""
    (ax, ay), (bx, by) = a.center, b.center
    return (a.iou(b) > 0.3 or (b.x0 <= ax <= b.x1 and b.y0 <= ay <= b.y1)
            or (a.x0 <= bx <= a.x1 and a.y0 <= by <= a.y1))


def _suppress_duplicates(found: Detections) -> Detections:
    """One box per face where passes or overlapping tiles both saw it: the most confident
    box of each group of `_same_face` boxes is kept."""
    if len(found) < 2:
        return found
    boxes = found.boxes()
    kept: list[int] = []
    for i in np.argsort(-found.confidence, kind="stable"):
        if not any(_same_face(boxes[i], boxes[k]) for k in kept):
            kept.append(int(i))
    mask = np.zeros(len(found), bool)
    mask[kept] = True
    return found.filter(mask)


class _Pyramid:
    """A frame and its halvings, made when first needed: any region is brought to a model's
    input size by an exact 2x area reduction (cheap) and then a bilinear step of less than
    2x, instead of one area resize by an odd factor (2 ms for a 640-px square)."""

    def __init__(self, image: np.ndarray) -> None:
        self.levels = [image]
        self.shape = image.shape

    def region(self, x0: int, y0: int, width: int, height: int, out_w: int) -> np.ndarray:
        """Pixels [x0, x0+width) x [y0, y0+height) at `out_w` wide (or as they are when
        narrower)."""
        level = 0
        while width >> (level + 1) >= out_w:
            level += 1
        while len(self.levels) <= level:
            prev = self.levels[-1]
            self.levels.append(cv2.resize(prev, (prev.shape[1] // 2, prev.shape[0] // 2),
                                          interpolation=cv2.INTER_AREA))
        f = 1 << level
        crop = self.levels[level][y0 // f:(y0 + height) // f, x0 // f:(x0 + width) // f]
        if width <= out_w:
            return np.ascontiguousarray(crop)
        out_h = max(1, round(height * out_w / width))
        return cv2.resize(crop, (out_w, out_h), interpolation=cv2.INTER_LINEAR)


def _in_frame(det: Detection, x0: float, y0: float,
              scale: float) -> tuple[float, float, float, float]:
    """A MediaPipe detection's box in frame pixels, from a region at (x0, y0) scaled by
    `scale` (region pixels per frame pixel); not clipped to the frame."""
    bb = det.bounding_box
    bx0, by0 = x0 + bb.origin_x / scale, y0 + bb.origin_y / scale
    return bx0, by0, bx0 + bb.width / scale, by0 + bb.height / scale


class DetectorError(Exception):
    """The face model is missing or unusable; names the file."""


class FaceDetector:
    """MediaPipe's FaceDetector over RGB frames; call `close()` (or use `with`)."""

    def __init__(self, model_path: Path, config: DetectorConfig,
                 search_model_path: Path | None = None) -> None:
        model_path = Path(model_path)
        if not model_path.is_file():
            raise DetectorError(f"{model_path}: face detection model not found")
        self._config = config
        options = vision.FaceDetectorOptions(
            base_options=BaseOptions(model_asset_path=str(model_path)),
            running_mode=vision.RunningMode.VIDEO,
            min_detection_confidence=config.min_confidence,
        )
        self._options = options
        self._detectors: list[vision.FaceDetector] = [self._create()]
        self._last_ts_ms = -1
        self.model_path = model_path
        self.tiled = model_path.name.startswith("face_detection_short_range")
        self._searcher: vision.FaceDetector | None = None
        self._confirmer: vision.FaceDetector | None = None
        if config.search_tile_px > 0:
            self.tiled = False  # one cheap pass over the whole frame; the search does the rest
            full_range = search_model_path or model_path.parent / Path(config.full_range_path).name
            short_range = model_path.parent / Path(config.short_range_path).name
            self._searcher = self._create_searcher(full_range, config.search_min_confidence)
            self._confirmer = self._create_searcher(short_range, config.confirm_min_confidence)
        self._tile_cursor = 0
        self._large_cursor = 0
        self._calls = 0
        self._near_calls = 0
        self._sweep_all = False
        self._thumb: np.ndarray | None = None
        self._moved: np.ndarray | None = None
        self._searched_at: dict[tuple[int, int, int], int] = {}
        self._frame_no = 0
        self._streaks: list[tuple[Box, int]] = []  # confirmed faces, frames seen running
        self._previous = Detections.empty()
        # set by the pipeline while a newcomer waits for its first label: no square is
        # searched then (the classifier gets that CPU); near faces and found ones still are
        self.search_paused = threading.Event()

    def _create(self) -> vision.FaceDetector:
        try:
            return vision.FaceDetector.create_from_options(self._options)
        except Exception as exc:  # MediaPipe raises RuntimeError/ValueError on a bad model
            raise DetectorError(
                f"{self._options.base_options.model_asset_path}: "
                f"not a usable face detection model ({exc})"
            ) from exc

    def _create_searcher(self, path: Path, min_confidence: float) -> vision.FaceDetector:
        """One IMAGE-mode detector for tiles and follow-ups (each call is a different place)."""
        if not Path(path).is_file():
            raise DetectorError(f"{path}: face detection model not found")
        options = vision.FaceDetectorOptions(
            base_options=BaseOptions(model_asset_path=str(path)),
            running_mode=vision.RunningMode.IMAGE,
            min_detection_confidence=min_confidence,
        )
        try:
            return vision.FaceDetector.create_from_options(options)
        except Exception as exc:
            raise DetectorError(f"{path}: not a usable face detection model ({exc})") from exc

    @classmethod
    def from_config(cls, config: KioskConfig) -> FaceDetector:
        det = config.detector
        path = det.short_range_path if det.model == "short_range" else det.full_range_path
        return cls(config.resolve(path), det, config.resolve(det.full_range_path))

    def detect(self, image: np.ndarray, timestamp_s: float) -> Detections:
        """Faces in an RGB uint8 frame, boxes in that frame's pixels, most confident first."""
        h, w = image.shape[:2]
        scale = min(1.0, self._config.max_width / float(w))
        small = image
        pyramid = _Pyramid(image)
        if scale < 1.0 and self._searcher is not None:
            small = pyramid.region(0, 0, w, h, max(1, int(w * scale)))
            scale = small.shape[1] / float(w)
        elif scale < 1.0:
            small = cv2.resize(image, (max(1, int(w * scale)), max(1, int(h * scale))),
                               interpolation=cv2.INTER_AREA)
        # VIDEO mode needs strictly increasing timestamps, whatever the caller's clock does.
        ts_ms = max(int(timestamp_s * 1000.0), self._last_ts_ms + 1)
        self._last_ts_ms = ts_ms
        rows: list[tuple[float, float, float, float]] = []
        scores: list[float] = []
        if self._searcher is not None:
            offsets = self._near_pass_offsets(small.shape[1], small.shape[0])
        else:
            offsets = self._tile_offsets(small.shape[1], small.shape[0])
        for index, x_offset in enumerate(offsets):
            side = min(small.shape[:2]) if x_offset is not None else small.shape[1]
            tile = small if x_offset is None else small[:, x_offset:x_offset + side]
            while len(self._detectors) <= index:
                self._detectors.append(self._create())
            result = self._detectors[index].detect_for_video(
                mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(tile)), ts_ms
            )
            for det in result.detections:
                x0, y0, x1, y1 = _in_frame(det, (x_offset or 0) / scale, 0.0, scale)
                x0, y0 = max(0.0, x0), max(0.0, y0)
                x1, y1 = min(float(w), x1), min(float(h), y1)
                if x1 - x0 < self._config.min_face_px or y1 - y0 < self._config.min_face_px:
                    continue
                rows.append((x0, y0, x1, y1))
                scores.append(det.categories[0].score if det.categories else 0.0)
        if self._searcher is not None:
            rows, scores = self._reach(pyramid, rows, scores)
        if not rows:
            self._previous = Detections.empty()
            self._streaks = []
            return self._previous
        found = Detections(np.asarray(rows, np.float32), np.asarray(scores, np.float32))
        self._previous = _suppress_duplicates(found).top(self._config.max_faces)
        if self._searcher is None:
            return self._previous
        return self._seen_long_enough(self._previous)

    def _seen_long_enough(self, confirmed: Detections) -> Detections:
        """The faces confirmed in `confirm_frames` frames running: a texture the short-range
        model takes for a face once (a few times per 1000 frames) never gets a box."""
        needed = 1 if self._sweep_all else self._config.confirm_frames
        streaks = []
        for box in confirmed.boxes():
            before = [n for old, n in self._streaks if _same_face(box, old)]
            streaks.append(min(needed, 1 + max(before, default=0)))
        self._streaks = list(zip(confirmed.boxes(), streaks, strict=True))
        return confirmed.filter(np.asarray(streaks, int) >= needed)

    def detect_still(self, image: np.ndarray) -> Detections:
        """Faces in one still picture (`kiosk classify`): every search square at once, where
        the live feed spreads them over frames."""
        self._previous, self._streaks = Detections.empty(), []
        self._sweep_all = True
        try:
            return self.detect(image, self._last_ts_ms / 1000.0 + 1.0)
        finally:
            self._sweep_all = False
            self._previous, self._streaks = Detections.empty(), []

    def _reach(self, image: _Pyramid, rows: list[tuple[float, float, float, float]],
               scores: list[float]) -> tuple[list[tuple[float, float, float, float]], list[float]]:
        """Follow last frame's faces, search this frame's tiles, and keep only faces the
        short-range model confirms on a square around them (the full-range model alone boxes
        a patch of texture every few dozen tiles)."""
        h, w = image.shape[:2]
        self._frame_no += 1
        kept_rows: list[tuple[float, float, float, float]] = []
        kept_scores: list[float] = []

        def known(box: Box) -> bool:
            return any(_same_face(box, Box(*r)) for r in kept_rows)

        def keep(row: tuple[float, float, float, float], score: float) -> None:
            if not known(Box(*row)):
                kept_rows.append(row)
                kept_scores.append(score)

        def confirm(box: Box) -> None:
            if not known(box):
                found = self._confirm(image, box)
                if found is not None:
                    keep(*found)

        found_rows, found_scores = list(rows), list(scores)
        if self._config.search_motion_weight > 0:
            self._note_motion(image)
        paused = self.search_paused.is_set() and not self._sweep_all
        for x0, y0, side in [] if paused else self._search_regions(w, h):
            self._search(image, x0, y0, side, found_rows, found_scores)
        order = np.argsort(-np.asarray(found_scores, np.float32), kind="stable")
        candidates = [(found_rows[i], float(found_scores[i])) for i in order]
        previous = [box for box, _ in self._streaks]
        shown = [box for box, n in self._streaks if n >= self._config.confirm_frames]
        # a face shown last frame and found again where it was needs no second look
        fresh = []
        for row, score in candidates:
            if any(Box(*row).iou(p) > 0.3 for p in shown):
                keep(row, score)
            else:
                fresh.append(Box(*row))
        if self._config.follow_faces:
            for box in previous:  # last frame's faces that no pass found again
                confirm(box)
        for box in fresh[:2 * self._config.max_faces]:
            confirm(box)
        return kept_rows, kept_scores

    def _confirm(self, image: _Pyramid,
                 box: Box) -> tuple[tuple[float, float, float, float], float] | None:
        """The short-range model on a square about 3.3 faces wide around `box`: the face
        nearest its centre, in frame pixels, or None."""
        assert self._confirmer is not None
        h, w = image.shape[:2]
        side = int(min(max(box.width, box.height) / CONFIRM_FACE_FRACTION, w, h))
        side = max(side, min(w, h, 32))
        cx, cy = box.center
        x0 = int(np.clip(cx - side / 2, 0, w - side))
        y0 = int(np.clip(cy - side / 2, 0, h - side))
        crop = image.region(x0, y0, side, side, CONFIRM_INPUT_PX)
        scale = crop.shape[1] / float(side)
        result = self._confirmer.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=crop))
        best = None
        best_distance = float("inf")
        for det in result.detections:
            bx0, by0, bx1, by1 = _in_frame(det, x0, y0, scale)
            distance = np.hypot((bx0 + bx1) / 2 - cx, (by0 + by1) / 2 - cy)
            if distance > max(box.width, box.height) or distance >= best_distance:
                continue
            if min(bx1 - bx0, by1 - by0) < self._config.min_face_px:
                continue
            best_distance = distance
            row = (max(0.0, bx0), max(0.0, by0), min(float(w), bx1), min(float(h), by1))
            best = (row, det.categories[0].score if det.categories else 0.0)
        return best

    def _search_regions(self, width: int, height: int) -> list[tuple[int, int, int]]:
        """This frame's squares (x0, y0, side): alternately the next coarse square (faces of
        ~32-155 px) and the next fine one (faces of ~21-105 px), in turn across frames."""
        side = min(self._config.search_tile_px, width, height)
        fine = _grid(width, height, side)
        large = int(min(LARGE_TILE_FACTOR * self._config.search_tile_px, width, height))
        coarse = _grid(width, height, large, COARSE_STRIDE) if large > side else []
        if self._sweep_all:
            return coarse + fine
        regions = []
        for _ in range(self._config.search_tiles_per_frame):
            self._calls += 1
            level = coarse if coarse and self._calls % 2 == 1 else fine
            if self._config.search_motion_weight > 0:
                regions.append(self._most_due(level))
            elif level is coarse:
                self._large_cursor = (self._large_cursor + 1) % len(coarse)
                regions.append(coarse[self._large_cursor])
            else:
                self._tile_cursor = (self._tile_cursor + 1) % len(fine)
                regions.append(fine[self._tile_cursor])
        return regions

    def _note_motion(self, image: _Pyramid) -> None:
        """What changed since last frame, on a thumbnail (1/MOTION_THUMB size): squares where
        something moved are searched first (visitors move; walls do not)."""
        thumb = image.region(0, 0, image.shape[1], image.shape[0],
                             max(1, image.shape[1] // MOTION_THUMB))
        grey = cv2.cvtColor(thumb, cv2.COLOR_RGB2GRAY)
        last, self._thumb = self._thumb, grey
        if last is None or last.shape != grey.shape:
            self._moved = None
            return
        changed = (cv2.absdiff(grey, last) > MOTION_LEVEL).astype(np.uint8)
        fx = grey.shape[1] / float(image.shape[1])
        for box, _ in self._streaks:  # faces already found need no search
            changed[int(box.y0 * fx):int(box.y1 * fx) + 1,
                    int(box.x0 * fx):int(box.x1 * fx) + 1] = 0
        self._moved = cv2.integral(changed)

    def _most_due(self, level: list[tuple[int, int, int]]) -> tuple[int, int, int]:
        """The square of `level` searched longest ago, weighted by how much moved in it."""
        best, best_score = level[0], -1.0
        for tile in level:
            x0, y0, side = tile
            age = self._frame_no - self._searched_at.get(tile, -10_000)
            moved = 0.0
            if self._moved is not None:
                a, b = x0 // MOTION_THUMB, y0 // MOTION_THUMB
                c = min(self._moved.shape[1] - 1, (x0 + side) // MOTION_THUMB)
                d = min(self._moved.shape[0] - 1, (y0 + side) // MOTION_THUMB)
                area = max(1, (c - a) * (d - b))
                m = self._moved
                moved = float(m[d, c] - m[b, c] - m[d, a] + m[b, a]) / area
            score = age * (1.0 + self._config.search_motion_weight * moved)
            if score > best_score:
                best, best_score = tile, score
        self._searched_at[best] = self._frame_no
        return best

    def _search(self, image: _Pyramid, x0: int, y0: int, side: int,
                rows: list[tuple[float, float, float, float]], scores: list[float]) -> None:
        """Run the searcher on one square of the source frame; add what it finds."""
        assert self._searcher is not None
        crop = image.region(x0, y0, side, side, SEARCH_INPUT_PX)
        scale = crop.shape[1] / float(side)
        result = self._searcher.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=crop))
        for det in result.detections:
            bx0, by0, bx1, by1 = _in_frame(det, x0, y0, scale)
            bx0, by0 = max(0.0, bx0), max(0.0, by0)
            bx1 = min(float(image.shape[1]), bx1)
            by1 = min(float(image.shape[0]), by1)
            if bx1 - bx0 < self._config.min_face_px or by1 - by0 < self._config.min_face_px:
                continue
            rows.append((bx0, by0, bx1, by1))
            scores.append(det.categories[0].score if det.categories else 0.0)

    def _near_pass_offsets(self, width: int, height: int) -> list[int | None]:
        """The short-range pass for near visitors: the whole frame on even frames, one square
        tile as tall as the frame (in turn) on odd ones. The model sees the whole frame
        letterboxed into 128 px, so at 1920x1080 a 300 px face is ~20 px there, too small, and
        too large for the search squares; in a tile it is ~36 px (faces of ~220-540 px at
        1080p, ~145-360 px at 720p). Stills get the whole frame and every tile."""
        tiles = self._height_tiles(width, height)
        if self._sweep_all or not tiles:
            return [None, *tiles]
        self._near_calls += 1
        if self._near_calls % 2 == 1:
            return [None]
        return [tiles[(self._near_calls // 2) % len(tiles)]]

    def _height_tiles(self, width: int, height: int) -> list[int]:
        """x offsets of square tiles as tall as a wide frame, covering it; none for a frame
        too close to square to need them."""
        if width < 1.25 * height:
            return []
        count = int(np.ceil(width / height)) + (1 if width % height else 0)
        count = max(2, min(count, 4))
        return [round(i * (width - height) / (count - 1)) for i in range(count)]

    def _tile_offsets(self, width: int, height: int) -> list[int | None]:
        """x offsets of square tiles covering a wide frame; [None] means the whole frame."""
        tiles = self._height_tiles(width, height) if self.tiled else []
        return list(tiles) if tiles else [None]

    def close(self) -> None:
        for detector in self._detectors:
            detector.close()
        self._detectors.clear()
        for searcher in (self._searcher, self._confirmer):
            if searcher is not None:
                searcher.close()
        self._searcher = self._confirmer = None

    def __enter__(self) -> FaceDetector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
