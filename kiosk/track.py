"""Keeps one identity per face across frames, so a visitor keeps one label while they stay.

A deliberately small tracker in the spirit of `norfair`: greedy matching by overlap (with a
centre-distance fallback for quick movements), exponential box smoothing, and tracks that
survive brief misses (a turned head, a blink of the detector). It tracks geometry and identity
only: what each visitor is called (the spin, its landing, re-spins) is the classify stage's,
keyed by track id (kiosk/classify/spins.py).

Detection runs on its own thread (kiosk/detect/loop.py), at whatever rate the CPU allows, on
the freshest frame: between two results `follow()` moves each box with its face in every
drawn frame (the same appearance match), and a result computed on an older frame is moved by
what its track has moved since (`update(..., since=index)`), so a box never lags its face by
the detector's latency.

When the detector misses a face, the tracker looks at the picture itself: the face's grey
appearance at its last detection is searched for around its box (normalised correlation). Found
(the person is still there, the detector blinked) -> the track, its box and its label stay, up to
`max_missing_s`; not found (the scene changed: a cut, the person left) -> the track ends at once,
so no box is left over an empty table.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import cv2
import numpy as np

from kiosk.config import TrackerConfig
from kiosk.detections import Detections
from kiosk.views import Box


@dataclass
class Track:
    """One visitor's face over time: where it is and which one it is."""

    track_id: int
    box: Box
    created_at: float
    last_seen: float
    hits: int = 1
    appearance: np.ndarray | None = None  # grey thumbnail at the last detection
    present: bool = True  # detected in this frame, or still seen where it was missed
    gone: bool = False  # missed, and the picture under its box changed: ends now
    # (frame index, box) of the last frames drawn: where the track was when a detection's
    # frame was taken, to move that detection to where the face is now
    history: deque[tuple[int, Box]] = field(default_factory=lambda: deque(maxlen=HISTORY))

    def box_at(self, index: int | None) -> Box:
        """The track's box in frame `index` (the oldest remembered before it, else now)."""
        if index is not None:
            for seen, box in reversed(self.history):
                if seen <= index:
                    return box
        return self.box

    def remember(self, index: int | None) -> None:
        if index is not None:
            self.history.append((index, self.box))


THUMB = 24  # appearance thumbnail side in pixels: coarse enough for blur and small moves
HISTORY = 90  # frames of box history: 3 s at 30 fps, longer than any detection takes
HOLD_WITHOUT_IMAGE_S = 0.3  # with no picture to look at, a missed box is drawn this long


def _grey_crop(image: np.ndarray, box: Box) -> np.ndarray:
    """The pixels under `box` in grey: only the box is converted, never the whole frame (this
    runs on the display thread every frame)."""
    patch = box.crop(image)
    if patch.ndim == 3 and patch.size:
        patch = cv2.cvtColor(np.ascontiguousarray(patch), cv2.COLOR_RGB2GRAY)
    return patch


def appearance(image: np.ndarray, box: Box) -> np.ndarray | None:
    """The grey pixels under `box`, resized to THUMB x THUMB (None if the box is off-frame)."""
    patch = _grey_crop(image, box)
    if patch.shape[0] < 4 or patch.shape[1] < 4:
        return None
    return cv2.resize(patch, (THUMB, THUMB), interpolation=cv2.INTER_AREA)


def find_again(image: np.ndarray, box: Box, thumb: np.ndarray) -> tuple[float, Box]:
    """Where the face last seen as `thumb` is now, searched within half a box around `box`:
    the best normalised correlation (-1..1) and the box moved there."""
    h, w = image.shape[:2]
    bw, bh = max(1.0, box.width), max(1.0, box.height)
    region = Box(max(0.0, box.x0 - bw / 2), max(0.0, box.y0 - bh / 2),
                 min(float(w), box.x1 + bw / 2), min(float(h), box.y1 + bh / 2))
    patch = _grey_crop(image, region)
    sx, sy = THUMB / bw, THUMB / bh
    size = (max(THUMB, round(patch.shape[1] * sx)), max(THUMB, round(patch.shape[0] * sy)))
    if patch.shape[0] < 2 or patch.shape[1] < 2:
        return -1.0, box
    scaled = cv2.resize(patch, size, interpolation=cv2.INTER_AREA)
    scores = cv2.matchTemplate(scaled, thumb, cv2.TM_CCOEFF_NORMED)
    _lo, best, _lo_at, (mx, my) = cv2.minMaxLoc(scores)
    fx, fy = _subpixel(scores, mx, my)  # a thumbnail pixel is ~4% of a face: refine within it
    dx = region.x0 + (mx + fx) / sx - box.x0
    dy = region.y0 + (my + fy) / sy - box.y0
    if not np.isfinite(best):
        return -1.0, box
    return float(best), _shifted(box, dx, dy)


def _subpixel(scores: np.ndarray, x: int, y: int) -> tuple[float, float]:
    """The peak's offset within its pixel (-0.5..0.5 each way), from a parabola through it
    and its neighbours: boxes then follow a slow face smoothly, not in thumbnail steps."""
    def offset(left: float, centre: float, right: float) -> float:
        curve = left - 2.0 * centre + right
        if not np.isfinite(curve) or curve >= 0:
            return 0.0
        return float(np.clip(0.5 * (left - right) / curve, -0.5, 0.5))

    h, w = scores.shape
    fx = offset(scores[y, x - 1], scores[y, x], scores[y, x + 1]) if 0 < x < w - 1 else 0.0
    fy = offset(scores[y - 1, x], scores[y, x], scores[y + 1, x]) if 0 < y < h - 1 else 0.0
    return fx, fy


def _centre_close(a: Box, b: Box) -> bool:
    (ax, ay), (bx, by) = a.center, b.center
    reach = 0.5 * max(a.width, a.height, b.width, b.height)
    return (ax - bx) ** 2 + (ay - by) ** 2 <= reach**2


def _shifted(box: Box, dx: float, dy: float) -> Box:
    return Box(box.x0 + dx, box.y0 + dy, box.x1 + dx, box.y1 + dy)


def _smooth(old: Box, new: Box, alpha: float) -> Box:
    keep = alpha
    take = 1.0 - alpha
    return Box(
        old.x0 * keep + new.x0 * take, old.y0 * keep + new.y0 * take,
        old.x1 * keep + new.x1 * take, old.y1 * keep + new.y1 * take,
    )


class Tracker:
    """Greedy IoU tracker; `update` returns the tracks alive after this frame."""

    def __init__(self, config: TrackerConfig) -> None:
        self._config = config
        self._tracks: list[Track] = []
        self._next_id = 1

    @property
    def tracks(self) -> list[Track]:
        return list(self._tracks)

    def follow(self, image: np.ndarray, now: float, index: int | None = None) -> None:
        """A frame with no detection result: each box moves with its face, found again by its
        appearance around the box. A face not found there keeps its box for now; the next
        detection decides whether it is still there."""
        for track in self._tracks:
            if track.appearance is not None and not track.gone:
                score, moved = find_again(image, track.box, track.appearance)
                if score >= self._config.still_there_similarity:
                    track.box = moved
            track.remember(index)

    def update(self, detections: Detections, now: float,
               image: np.ndarray | None = None, *, since: int | None = None,
               since_image: np.ndarray | None = None,
               index: int | None = None) -> list[Track]:
        """Match detections; with `image`, missed faces are looked for in it.

        `since`: the detections were computed on that (earlier) frame, `since_image`; each is
        matched against where the tracks were then, and moved by what its track has moved
        since, and a new face's appearance is taken from that frame, where its box is."""
        boxes = detections.boxes()
        then = [t.box_at(since) for t in self._tracks]
        matches = self._match(then, boxes)
        for ti, bi in matches:
            self._move(self._tracks[ti], then[ti], boxes[bi], now, image)
        matched_tracks = {ti for ti, _ in matches}
        for ti, track in enumerate(self._tracks):
            if ti not in matched_tracks:
                self._missed(track, image, now)
        matched_boxes = {bi for _, bi in matches}
        for bi, box in enumerate(boxes):
            if bi not in matched_boxes:
                self._start(box, now, image, since_image)
        self._end_lost(now)
        for track in self._tracks:
            track.remember(index)
        return list(self._tracks)

    def _match(self, then: list[Box], boxes: list[Box]) -> list[tuple[int, int]]:
        """Greedy: the best overlaps first; a pair that barely overlaps still matches when
        the centres are close (a quick movement)."""
        pairs = sorted(
            ((then[ti].iou(b), ti, bi) for ti in range(len(then)) for bi, b in enumerate(boxes)),
            reverse=True,
        )
        used_tracks: set[int] = set()
        used_boxes: set[int] = set()
        matches: list[tuple[int, int]] = []
        for iou, ti, bi in pairs:
            if ti in used_tracks or bi in used_boxes:
                continue
            if iou < self._config.iou_match and not _centre_close(then[ti], boxes[bi]):
                continue
            matches.append((ti, bi))
            used_tracks.add(ti)
            used_boxes.add(bi)
        return matches

    def _move(self, track: Track, then: Box, box: Box, now: float,
              image: np.ndarray | None) -> None:
        """A matched detection: moved as its track has moved since its frame, then smoothed."""
        (nx, ny), (tx, ty) = track.box.center, then.center
        box_now = _shifted(box, nx - tx, ny - ty)
        track.box = _smooth(track.box, box_now, self._config.smoothing)
        track.last_seen = now
        track.hits += 1
        track.present = True
        if image is not None:  # the face as it looks now, under the box as drawn now
            track.appearance = appearance(image, track.box)

    def _start(self, box: Box, now: float, image: np.ndarray | None,
               since_image: np.ndarray | None) -> None:
        """A newcomer; found on an earlier frame, it is looked for where it is now."""
        source = since_image if since_image is not None else image
        thumb = appearance(source, box) if source is not None else None
        track = Track(self._next_id, box, created_at=now, last_seen=now, appearance=thumb)
        if since_image is not None and image is not None and thumb is not None:
            score, moved = find_again(image, box, thumb)  # where it is now
            if score >= self._config.still_there_similarity:
                track.box = moved
            track.appearance = appearance(image, track.box)
        self._tracks.append(track)
        self._next_id += 1

    def _end_lost(self, now: float) -> None:
        """Tracks missed for longer than max_missing_s, or gone from the picture, end."""
        self._tracks = [
            t for t in self._tracks
            if now - t.last_seen <= self._config.max_missing_s and not t.gone
        ]

    def _missed(self, track: Track, image: np.ndarray | None, now: float) -> None:
        """The detector did not find this face: is it still there (keep) or gone (end now)?"""
        if image is None or track.appearance is None:
            track.present = now - track.last_seen <= HOLD_WITHOUT_IMAGE_S
            return
        score, moved = find_again(image, track.box, track.appearance)
        if score >= self._config.still_there_similarity:
            track.box = moved
            track.present = True
        else:
            track.gone = True  # the scene changed under the box: no ghost box

    def reset(self) -> None:
        self._tracks.clear()
