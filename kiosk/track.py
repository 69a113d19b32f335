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

Boxes only where faces are. In every drawn frame and at every detection the tracker looks at
the picture itself: the face's grey appearance at its last detection is searched for around its
box (normalised correlation).

- Found (the person is still there, the detector blinked: turning, blurred, partly covered) ->
  the box follows it and the track, its box and its label stay, up to `max_missing_s`.
- Not found (the person left, someone passed in front, the scene changed), or a cut (the whole
  picture changed at once, `SceneCut`) -> the box is hidden on that frame. Hidden is not
  forgotten: the track keeps its identity (and so its landed label, kiosk/classify/spins.py)
  for `max_missing_s`.
- A detection computed on an earlier frame is applied only where its face is still in the
  present picture, so a late result cannot bring a hidden box back, nor refresh a box over
  nobody. A hidden track comes back on the first detection of the same face near where it
  was (its appearance matches, `same_face_similarity`); anyone else is a newcomer.
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
    present: bool = True  # drawn: detected, or still seen where it was; False: hidden
    hidden_at: int | None = None  # the frame it was hidden on (no result of before revives it)
    hidden_since: float = 0.0  # when it was hidden
    # what this visitor's face looked like at its last clean detections: who they are, when a
    # face shows again where they were hidden, or when the picture under their box changes
    faces: deque[np.ndarray] = field(default_factory=lambda: deque(maxlen=FACES_KEPT))
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
FACES_KEPT = 8  # a visitor's last clean looks, kept to know them again
CLEAN_LOOK = 0.75  # a detection looking at least this much like the last look is clean
RECENT_S = 0.3  # a face found where a visitor was hidden this recently is them (partly covered)
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


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Normalised correlation (-1..1) of two appearance thumbnails of the same size."""
    score = float(cv2.matchTemplate(a, b, cv2.TM_CCOEFF_NORMED)[0, 0])
    return score if np.isfinite(score) else -1.0


CUT_THUMB = (32, 18)  # the whole picture, small: what a cut changes is everywhere
CUT_SIMILARITY = 0.5  # consecutive pictures correlating less than this: the scene was cut


class SceneCut:
    """Did the whole picture change at once (a cut, someone right in front of the lens)?
    Normalised correlation of consecutive small grey pictures: a light switched on or a
    visitor moving keeps it high; a new scene does not."""

    def __init__(self) -> None:
        self._previous: np.ndarray | None = None

    def changed(self, image: np.ndarray) -> bool:
        step = max(1, min(image.shape[0] // 36, image.shape[1] // 64) // 2)
        sparse = np.ascontiguousarray(image[::step, ::step])
        grey = cv2.cvtColor(sparse, cv2.COLOR_RGB2GRAY) if sparse.ndim == 3 else sparse
        thumb = cv2.resize(grey, CUT_THUMB, interpolation=cv2.INTER_AREA)
        previous, self._previous = self._previous, thumb
        if previous is None or previous.shape != thumb.shape:
            return False
        if float(thumb.std()) < 1.0 or float(previous.std()) < 1.0:  # a flat picture: black
            return abs(float(thumb.mean()) - float(previous.mean())) > 16.0
        return similarity(thumb, previous) < CUT_SIMILARITY


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


def _hide(track: Track, index: int | None, now: float) -> None:
    track.present = False
    track.hidden_at = index
    track.hidden_since = now


def _note_look(track: Track, thumb: np.ndarray | None) -> None:
    """Keep a detection's look of the face among the visitor's clean looks when it looks like
    the last one (not half covered by a passer-by's coat)."""
    if thumb is None:
        return
    if not track.faces or similarity(track.faces[-1], thumb) >= CLEAN_LOOK:
        track.faces.append(thumb)


@dataclass(frozen=True)
class _Seen:
    """What one detection result is applied with: the time, the present picture, and the
    earlier frame it was computed on (`since`, `since_image`; None: this frame)."""

    now: float
    image: np.ndarray | None
    since_image: np.ndarray | None
    since: int | None
    index: int | None

    @property
    def late(self) -> bool:
        return self.since_image is not None

    def before(self, index: int | None) -> bool:
        """Was the detection's frame earlier than frame `index`?"""
        return self.since is not None and index is not None and self.since < index


class Tracker:
    """Greedy IoU tracker; `follow` each new frame, `update` with each detection result."""

    def __init__(self, config: TrackerConfig) -> None:
        self._config = config
        self._tracks: list[Track] = []
        self._next_id = 1
        self._cut = SceneCut()
        self._last_cut: int | None = None  # the frame index of the last cut

    @property
    def tracks(self) -> list[Track]:
        """Every track kept: drawn (`present`) and hidden ones."""
        return list(self._tracks)

    def follow(self, image: np.ndarray, now: float, index: int | None = None) -> None:
        """A new frame: a cut hides every box; otherwise each drawn box moves with its face,
        found again by its appearance around the box, or is hidden where it is not found."""
        cut = self._cut.changed(image)
        if cut:
            self._last_cut = index
        for track in self._tracks:
            if track.present:
                found = None if cut else self._found(image, track, track.appearance)
                if found is None:
                    _hide(track, index, now)
                else:
                    track.box = found
            track.remember(index)

    def update(self, detections: Detections, now: float,
               image: np.ndarray | None = None, *, since: int | None = None,
               since_image: np.ndarray | None = None,
               index: int | None = None) -> list[Track]:
        """Match detections; with `image`, missed faces are looked for in it.

        `since`: the detections were computed on that (earlier) frame, `since_image`; each is
        matched against where the tracks were then, applied only where its face is still in
        `image`, and moved by what its track has moved since."""
        boxes = detections.boxes()
        source = since_image if since_image is not None else image
        thumbs = [appearance(source, b) if source is not None else None for b in boxes]
        then = [t.box_at(since) for t in self._tracks]
        matches = self._match(then, boxes, thumbs, now)
        seen = _Seen(now, image, since_image, since, index)
        for ti, bi in matches:
            self._confirm(self._tracks[ti], then[ti], boxes[bi], thumbs[bi], seen)
        matched_tracks = {ti for ti, _ in matches}
        for ti, track in enumerate(self._tracks):
            if ti not in matched_tracks:
                self._missed(track, image, now, index)
        matched_boxes = {bi for _, bi in matches}
        for bi, box in enumerate(boxes):
            if bi not in matched_boxes:
                self._start(box, thumbs[bi], seen)
        self._forget_lost(now)
        for track in self._tracks:
            track.remember(index)
        return list(self._tracks)

    def _found(self, image: np.ndarray, track: Track, thumb: np.ndarray | None,
               box: Box | None = None) -> Box | None:
        """Where the face last seen as `thumb` is now, around `box` (the track's); None: not
        there, or what is there now is not this visitor's face (a coat's edge, a wall)."""
        box = track.box if box is None else box
        if thumb is None:
            return box
        score, moved = find_again(image, box, thumb)
        if score < self._config.still_there_similarity:
            return None
        if track.faces and not self._looks_like(track, appearance(image, moved)):
            return None
        return moved

    def _looks_like(self, track: Track, thumb: np.ndarray | None) -> bool:
        """Does `thumb` look like one of the visitor's clean looks? (The newest first: in a
        steady scene the first answers, so a drawn frame pays for one comparison a face.)"""
        if thumb is None or not track.faces:
            return True
        wanted = self._config.same_face_similarity
        return any(similarity(face, thumb) >= wanted for face in reversed(track.faces))

    def _match(self, then: list[Box], boxes: list[Box], thumbs: list[np.ndarray | None],
               now: float) -> list[tuple[int, int]]:
        """Greedy: drawn tracks first, then hidden ones, the best overlaps first; a pair that
        barely overlaps still matches when the centres are close (a quick movement). A hidden
        track matches only the same face (its appearance), and never one a drawn track has
        taken: anyone else near where it was is a newcomer."""
        pairs = sorted(
            ((self._tracks[ti].present, then[ti].iou(b), ti, bi)
             for ti in range(len(then)) for bi, b in enumerate(boxes)),
            reverse=True,
        )
        used_tracks: set[int] = set()
        used_boxes: set[int] = set()
        matches: list[tuple[int, int]] = []
        for _present, iou, ti, bi in pairs:
            if ti in used_tracks or bi in used_boxes:
                continue
            if iou < self._config.iou_match and not _centre_close(then[ti], boxes[bi]):
                continue
            if not self._tracks[ti].present and not self._same_face(self._tracks[ti],
                                                                     thumbs[bi], now):
                continue
            matches.append((ti, bi))
            used_tracks.add(ti)
            used_boxes.add(bi)
        return matches

    def _same_face(self, track: Track, thumb: np.ndarray | None, now: float) -> bool:
        """Is a face detected near a hidden track that visitor? Just hidden (RECENT_S): yes,
        partly covered (nobody else steps into their place that fast); later: if it looks
        like them. (No picture: where it is decides.)"""
        if now - track.hidden_since <= RECENT_S:
            return True
        return self._looks_like(track, thumb)

    def _confirm(self, track: Track, then: Box, box: Box, thumb: np.ndarray | None,
                 seen: _Seen) -> None:
        """A matched detection. Late (of an earlier frame), it counts only where its face is
        still in the present picture, and never brings back a box hidden after its frame. A
        drawn box is moved as its track has moved since the detection's frame, then smoothed;
        a hidden one comes back where the face is now."""
        if not track.present and seen.before(track.hidden_at):
            return  # a result of before the box was hidden cannot bring it back
        (nx, ny), (tx, ty) = track.box.center, then.center
        box_now = _shifted(box, nx - tx, ny - ty)
        image = seen.image
        if seen.late and image is not None:
            found = self._found(image, track, thumb, box_now)
            if found is None:  # the picture changed since: not here now
                self._missed(track, image, seen.now, seen.index)
                return
            if not track.present:
                box_now = found
        shown = track.present
        track.box = _smooth(track.box, box_now, self._config.smoothing) if shown else box_now
        track.last_seen = seen.now
        track.hits += 1
        track.present = True
        track.hidden_at = None
        _note_look(track, thumb)
        if seen.late and seen.since_image is not None:  # the face as detected, under the box
            track.appearance = (appearance(seen.since_image, _shifted(track.box, tx - nx, ty - ny))
                                if shown else thumb)
        elif image is not None:
            track.appearance = appearance(image, track.box)

    def _start(self, box: Box, thumb: np.ndarray | None, seen: _Seen) -> None:
        """A newcomer; found on an earlier frame, it starts only where it is now, and not at
        all if the scene was cut since."""
        image = seen.image
        if seen.late and image is not None and thumb is not None:
            if seen.before(self._last_cut):
                return
            score, moved = find_again(image, box, thumb)
            if score < self._config.still_there_similarity:
                return  # gone from the picture since: no box over nobody
            box = moved
            thumb = appearance(image, box)
        track = Track(self._next_id, box, created_at=seen.now, last_seen=seen.now,
                      appearance=thumb)
        _note_look(track, thumb)
        self._tracks.append(track)
        self._next_id += 1

    def _forget_lost(self, now: float) -> None:
        """Tracks not seen for longer than max_missing_s, drawn or hidden, are forgotten."""
        self._tracks = [t for t in self._tracks if now - t.last_seen <= self._config.max_missing_s]

    def _missed(self, track: Track, image: np.ndarray | None, now: float,
                index: int | None) -> None:
        """The detector did not find this face (or found it only in an earlier picture): is
        it still there (kept) or not (hidden)? A hidden track stays hidden."""
        if not track.present:
            return
        if image is None or track.appearance is None:
            track.present = now - track.last_seen <= HOLD_WITHOUT_IMAGE_S
            return
        found = self._found(image, track, track.appearance)
        if found is None:
            _hide(track, index, now)  # the picture under the box changed: no box over nobody
        else:
            track.box = found

    def reset(self) -> None:
        self._tracks.clear()
