"""Who is being labelled: each visitor's spin, its landing and re-spins, keyed by track id.

The tracker (kiosk/track.py) knows where faces are and which is which; this scheduler knows
what each of them is being called. It asks the classification worker for the crops each
spinning visitor still needs, collects their scores into the visitor's Spin
(kiosk/classify/spin.py), lands the label when it is due, and starts a re-spin after
`tracker.respin_after_s`. Everything runs on the display thread.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from kiosk.classify.labeller import CropLook, Labeller
from kiosk.classify.spin import Spin
from kiosk.config import KioskConfig
from kiosk.views import Box, Label, SpinView

SEARCH_YIELDS_MAX_S = 1.5  # the search waits this long at most for a newcomer's crops
MIN_CROP_PX = 8


class Tracked(Protocol):
    """What the scheduler needs of a tracked face (kiosk.track.Track has it)."""

    track_id: int
    box: Box
    created_at: float


class CropQueue(Protocol):
    """The classification worker, as the scheduler uses it."""

    def submit(self, key: Hashable, crop: np.ndarray) -> bool: ...

    def pending(self, key: Hashable) -> bool: ...


@dataclass
class VisitorLabel:
    """One visitor's label: the spin under way, or the label it landed on."""

    label: Label | None = None
    labelled_at: float | None = None
    generation: int = 0  # bumped on each re-spin, so stale answers are ignored
    spin: Spin | None = None  # this spin's crops and wheel; a re-spin starts a new one


def face_key(track_id: int, generation: int) -> tuple[str, int, int]:
    """The worker key of a visitor's crop (a re-spin's answers are told from the last one's)."""
    return ("face", track_id, generation)


class SpinScheduler:
    """Crops, spins, landings and re-spins of the tracked visitors, keyed by track id."""

    def __init__(self, config: KioskConfig, worker: CropQueue, labeller: Labeller,
                 fail: Callable[[str, BaseException], None],
                 on_visitor: Callable[[np.ndarray], None] | None = None,
                 on_first_label: Callable[[int, Label], None] | None = None) -> None:
        self._config = config
        # a newcomer's first label, as it lands (track id, label): the speech (kiosk/speech/)
        self._on_first_label = on_first_label
        self._worker = worker
        self._labeller = labeller
        self._fail = fail
        self._on_visitor = on_visitor  # a visitor's mean scores, once (the room's calibration)
        self._visitors: dict[int, VisitorLabel] = {}
        self.first_label_latencies: list[float] = []  # from a face's first sighting to its label

    def state(self, track_id: int) -> VisitorLabel | None:
        return self._visitors.get(track_id)

    def keep_only(self, track_ids: Iterable[int]) -> None:
        """Forget the visitors whose tracks have ended (their late answers are ignored)."""
        alive = set(track_ids)
        for track_id in [t for t in self._visitors if t not in alive]:
            del self._visitors[track_id]

    def take(self, key: tuple, look: CropLook) -> None:
        """A crop's scores: into its visitor's spin, if that spin still waits for them."""
        _, track_id, generation = key
        visitor = self._visitors.get(track_id)
        spin = visitor.spin if visitor is not None else None
        if spin is None or visitor.generation != generation or spin.landed is not None:
            return
        spin.add(look)
        try:
            spin.candidates = self._labeller.candidates(spin.mean(),
                                                        self._config.spin.candidates)
        except Exception as exc:
            self._fail("label", exc)

    def respin(self, track_id: int) -> None:
        """Label this visitor again: a new spin, while the visitor stays one visitor."""
        visitor = self._visitors.get(track_id)
        if visitor is not None:
            visitor.label = visitor.labelled_at = visitor.spin = None
            visitor.generation += 1

    def respin_due(self, now: float) -> None:
        """`tracker.respin_after_s` after a label landed, the visitor spins again."""
        after = self._config.tracker.respin_after_s
        if after <= 0:
            return
        for track_id, visitor in self._visitors.items():
            if visitor.labelled_at is not None and now - visitor.labelled_at >= after:
                self.respin(track_id)

    def request(self, image: np.ndarray, tracks: Sequence[Tracked], now: float) -> None:
        """Ask for the crops each spinning visitor still needs, the one with fewest first, one
        crop in flight per visitor (so four newcomers' spins advance side by side)."""
        h, w = image.shape[:2]
        pad = self._config.classifier.crop_padding
        plan = self._config.spin
        for track in tracks:
            visitor = self._visitors.setdefault(track.track_id, VisitorLabel())
            if visitor.spin is None and visitor.label is None:
                visitor.spin = Spin(started_at=now)
        spinning = [(t, self._visitors[t.track_id]) for t in tracks]
        spinning = [(t, v) for t, v in spinning if v.spin is not None and v.spin.landed is None]
        for track, visitor in sorted(spinning, key=lambda tv: (tv[1].spin.crops,
                                                              tv[0].created_at)):
            key = face_key(track.track_id, visitor.generation)
            if self._worker.pending(key) or not visitor.spin.wants_crop(now, plan):
                continue
            crop = track.box.padded(pad, w, h).crop(image)
            if crop.shape[0] < MIN_CROP_PX or crop.shape[1] < MIN_CROP_PX:
                continue
            if self._worker.submit(key, crop):
                visitor.spin.last_request_at = now

    def land_due(self, tracks: Sequence[Tracked], now: float) -> None:
        """Land every spin that is due: its label is that of its crops' mean scores."""
        plan = self._config.spin
        for track in tracks:
            visitor = self._visitors.get(track.track_id)
            spin = visitor.spin if visitor is not None else None
            if spin is None or not spin.due(now, plan):
                continue
            try:
                label = self._labeller.label_scores(spin.mean(), spin.imagenet_mean())
            except Exception as exc:
                self._fail("label", exc)
                continue
            spin.landed = visitor.label = label
            visitor.labelled_at = now
            if visitor.generation == 0:  # a visitor counts once, however often they re-spin
                self._first_label(spin, now - track.created_at)
                self._announce(track.track_id, label)

    def _first_label(self, spin: Spin, latency: float) -> None:
        self.first_label_latencies.append(latency)
        del self.first_label_latencies[:-1000]
        if self._on_visitor is not None:
            try:
                self._on_visitor(spin.mean())
            except Exception as exc:
                self._fail("calibration", exc)

    def _announce(self, track_id: int, label: Label) -> None:
        if self._on_first_label is not None:
            try:
                self._on_first_label(track_id, label)
            except Exception as exc:
                self._fail("speech", exc)

    def newcomers_waiting(self, tracks: Sequence[Tracked], now: float) -> bool:
        """A newcomer's crops are still being scored, for SEARCH_YIELDS_MAX_S at most (so a
        classifier that has stopped answering cannot hold the detector back for good)."""
        plan = self._config.spin
        for track in tracks:
            visitor = self._visitors.get(track.track_id)
            spin = visitor.spin if visitor is not None else None
            if spin is not None and spin.landed is None and spin.crops < plan.crops \
                    and now - spin.started_at < SEARCH_YIELDS_MAX_S:
                return True
        return False

    def label(self, track_id: int) -> Label | None:
        visitor = self._visitors.get(track_id)
        return visitor.label if visitor is not None else None

    def spin_view(self, track_id: int) -> SpinView | None:
        visitor = self._visitors.get(track_id)
        spin = visitor.spin if visitor is not None else None
        if spin is None or spin.landed is not None or not spin.candidates:
            return None  # landed, or no crop scored yet: the box alone
        return SpinView(spin.candidates, spin.progress(self._config.spin), spin.started_at)
