"""Keeps one identity per face across frames, so a visitor keeps one label while they stay.

A deliberately small tracker in the spirit of `norfair`: greedy matching by overlap (with a
centre-distance fallback for quick movements), exponential box smoothing, and tracks that
survive brief misses (a turned head, a blink of the detector). A new track is a newcomer and
gets a fresh "spin"; `respin_after_s` can re-label someone who stays a long time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.config import TrackerConfig
from kiosk.detections import Detections
from kiosk.scene import Box, Label


@dataclass
class Track:
    """One visitor's face over time and the label they were given."""

    track_id: int
    box: Box
    created_at: float
    last_seen: float
    hits: int = 1
    label: Label | None = None
    labelled_at: float | None = None
    requested_at: float | None = None  # when a label was last asked of the classifier
    generation: int = 0  # bumped on each re-spin, so stale answers are ignored
    label_votes: dict[str, int] = field(default_factory=dict)  # top wnid -> crops, this spin
    label_options: dict[str, Label] = field(default_factory=dict)  # a Label per voted wnid
    extra: dict[str, float] = field(default_factory=dict)


def _centre_close(a: Box, b: Box) -> bool:
    (ax, ay), (bx, by) = a.center, b.center
    reach = 0.5 * max(a.width, a.height, b.width, b.height)
    return (ax - bx) ** 2 + (ay - by) ** 2 <= reach**2


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

    def update(self, detections: Detections, now: float) -> list[Track]:
        boxes = detections.boxes()
        pairs = sorted(
            ((t.box.iou(b), ti, bi)
             for ti, t in enumerate(self._tracks) for bi, b in enumerate(boxes)),
            reverse=True,
        )
        used_tracks: set[int] = set()
        used_boxes: set[int] = set()
        for iou, ti, bi in pairs:
            if ti in used_tracks or bi in used_boxes:
                continue
            track, box = self._tracks[ti], boxes[bi]
            if iou < self._config.iou_match and not _centre_close(track.box, box):
                continue
            track.box = _smooth(track.box, box, self._config.smoothing)
            track.last_seen = now
            track.hits += 1
            used_tracks.add(ti)
            used_boxes.add(bi)
        for bi, box in enumerate(boxes):
            if bi not in used_boxes:
                self._tracks.append(Track(self._next_id, box, created_at=now, last_seen=now))
                self._next_id += 1
        self._tracks = [t for t in self._tracks if now - t.last_seen <= self._config.max_missing_s]
        for track in self._tracks:
            if self._config.respin_after_s > 0 and track.labelled_at is not None \
                    and now - track.labelled_at >= self._config.respin_after_s:
                track.label = None
                track.labelled_at = None
                track.requested_at = None
                track.generation += 1
        return list(self._tracks)

    def visible(self, now: float) -> list[Track]:
        """Tracks seen in this very frame (the ones with a box to draw)."""
        return [t for t in self._tracks if t.last_seen == now]

    def reset(self) -> None:
        self._tracks.clear()
