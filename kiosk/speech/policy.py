"""What is said, and when: the queue of labels waiting to be said.

Pure logic with an injected clock, tested on its own (tests/test_speech.py): a newcomer's
label is offered once, when it lands; the speech thread takes the newest waiting label, one at
a time; a label that has waited longer than `audio.max_wait_s` is dropped, never said late, so
a crowd of newcomers leaves no backlog. A visitor is said once while they stay: a track id
offered before is not offered again.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from kiosk.labels.gloss import shown_gloss
from kiosk.plain_text import ELLIPSIS, clean_text
from kiosk.views import Label

CAPACITY = 8  # labels waiting at most; an older one is dropped for a newer
REMEMBERED = 4096  # track ids remembered as said (ids only grow: a bounded set suffices)
MAX_CHARS = 200  # one utterance's text at most (a label's first name, a band's gloss)

@dataclass(frozen=True)
class Offer:
    """A label waiting to be said: the visitor's track id, what to say (text, language) in
    order, and when it landed (the speech clock's seconds)."""

    track_id: int
    parts: tuple[tuple[str, str], ...]
    at: float


def first_words(name: str) -> str:
    """The label as the band heads it: its first name ("first offender" of "first offender,
    ..."), the words a visitor reads first."""
    return clean_text(name).split(", ")[0].strip()[:MAX_CHARS]


def utterance(label: Label, language: str, *, gloss: bool) -> tuple[tuple[str, str], ...]:
    """(text, language) pairs to say: the label's first words in the kiosk's language, then,
    with `gloss`, the gloss the band shows, in the gloss's own language."""
    parts = [(first_words(label.name), language)]
    if gloss:
        text = shown_gloss(clean_text(label.gloss_band), clean_text(label.gloss),
                           label.gloss_language or "en").rstrip(ELLIPSIS).strip()[:MAX_CHARS]
        if text:
            parts.append((text, label.gloss_language or "en"))
    return tuple((text, lang) for text, lang in parts if text)


class SpeechQueue:
    """Newest first, nothing older than `max_wait_s`, each visitor once; thread-safe (the
    display thread offers, the speech thread takes)."""

    def __init__(self, max_wait_s: float, capacity: int = CAPACITY) -> None:
        self.max_wait_s = max_wait_s
        self.capacity = capacity
        self._waiting: deque[Offer] = deque()
        self._offered: deque[int] = deque(maxlen=REMEMBERED)
        self._offered_set: set[int] = set()
        self._lock = threading.Lock()
        self.dropped_stale = 0  # waited too long
        self.dropped_full = 0  # pushed out by newer ones

    def offer(self, offer: Offer) -> bool:
        """Queue a visitor's label; False if that visitor was offered before (said once)."""
        with self._lock:
            if offer.track_id in self._offered_set:
                return False
            if len(self._offered) == self._offered.maxlen:
                self._offered_set.discard(self._offered[0])
            self._offered.append(offer.track_id)
            self._offered_set.add(offer.track_id)
            self._waiting.append(offer)
            while len(self._waiting) > self.capacity:
                self._waiting.popleft()
                self.dropped_full += 1
            return True

    def take(self, now: float) -> Offer | None:
        """The newest label still fresh (landed within max_wait_s), or None; stale ones go."""
        with self._lock:
            fresh = [o for o in self._waiting if now - o.at <= self.max_wait_s]
            self.dropped_stale += len(self._waiting) - len(fresh)
            if not fresh:
                self._waiting.clear()
                return None
            newest = max(fresh, key=lambda o: (o.at, o.track_id))
            fresh.remove(newest)
            self._waiting = deque(fresh)
            return newest

    def stale(self, offer: Offer, now: float) -> bool:
        """Too old to begin now (checked again once the speech is made)."""
        if now - offer.at > self.max_wait_s:
            with self._lock:
                self.dropped_stale += 1
            return True
        return False

    def __len__(self) -> int:
        with self._lock:
            return len(self._waiting)

    def clear(self) -> int:
        with self._lock:
            n = len(self._waiting)
            self._waiting.clear()
            return n
