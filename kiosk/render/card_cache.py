"""The cards blitted over the image (label bands, the wheel, "why" panels, the notice and the
debug overlay), built once and reused while they stay the same.

A steady scene then costs a few blits a frame: building a band (wrapping, rendering text)
is the expensive part of a frame, and it happens only when a label, a size or a pixel
format changes. `CardCache` also owns the fonts, opened on first use (after pygame.font is
initialised).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pygame

from kiosk.config import PROJECT_ROOT, DisplayConfig
from kiosk.render import cards
from kiosk.render.lru import LRU
from kiosk.render.text import FontBook, TextCache
from kiosk.render.theme import Theme
from kiosk.views import Label, SpinView

WHEEL_HZ = 9.0  # candidates a second as a spin starts; it slows to a third as crops come in


class CardCache:
    """Cards by what they show and the surface's pixel format; `clear()` when the theme
    (the screen size) changes."""

    def __init__(self, display: DisplayConfig, clock: Callable[[], float]) -> None:
        self.display = display
        self._clock = clock
        self._text: TextCache | None = None
        # Bands are up to ~1 MB each: 48 covers every face on screen with room to spare.
        self._cards: LRU[pygame.Surface] = LRU(48)
        self._debug_cards: LRU[pygame.Surface] = LRU(4)  # changes every frame (fps)

    @property
    def text(self) -> TextCache:
        """Rendered text, in the configured font (pygame's own when none is set)."""
        if self._text is None:
            font_path = self.display.font_path
            if font_path is not None and not font_path.is_absolute():
                font_path = PROJECT_ROOT / font_path
            self._text = TextCache(FontBook(font_path), maxsize=256)
        return self._text

    @property
    def misses(self) -> int:
        """Cards and text surfaces built so far: constant while the screen is steady."""
        return self.text.misses + self._cards.misses

    def clear(self) -> None:
        self._cards.clear()
        self._debug_cards.clear()

    def label(
        self,
        surface: pygame.Surface,
        label: Label,
        theme: Theme,
        caption: str | None = None,
        compact: bool = False,
        gloss: bool = False,
    ) -> pygame.Surface:
        """A label band (`compact`: in the compact theme the caller passed)."""
        key = ("label", _hashable(label), caption, compact, gloss, _format_key(surface))
        return self._cards.get_or_make(
            key, lambda: cards.label_band(self.text, theme, label, surface, caption, gloss)
        )

    def wheel(
        self, surface: pygame.Surface, spin: SpinView, theme: Theme, compact: bool = False
    ) -> pygame.Surface:
        """The candidate the wheel shows now: it turns at WHEEL_HZ, slowing as crops come in."""
        spun = max(0.0, self._clock() - spin.started_at)
        hz = WHEEL_HZ * (1.0 - 0.66 * min(1.0, max(0.0, spin.progress)))
        candidate = spin.candidates[int(spun * hz) % len(spin.candidates)]
        progress = round(spin.progress, 2)
        key = ("wheel", candidate, progress, compact, _format_key(surface))
        return self._cards.get_or_make(
            key, lambda: cards.wheel_band(self.text, theme, candidate, progress, surface)
        )

    def why(self, surface: pygame.Surface, label: Label, theme: Theme) -> pygame.Surface:
        """The top-k "why" panel of a label."""
        k = int(self.display.topk)
        key = ("why", _hashable(label), k, _format_key(surface))
        return self._cards.get_or_make(
            key, lambda: cards.why_panel(self.text, theme, label, k, surface)
        )

    def notice(self, notice: str | None, theme: Theme) -> pygame.Surface | None:
        """The notice pill, or None when there is no notice."""
        if not notice:
            return None
        text = str(notice)
        return self._cards.get_or_make(
            ("notice", text), lambda: cards.notice_pill(self.text, theme, text)
        )

    def debug(self, items: Sequence[tuple[str, str]], theme: Theme) -> pygame.Surface:
        """The technician's key/value overlay."""
        items = tuple(items)
        return self._debug_cards.get_or_make(
            items, lambda: cards.debug_box(self.text, theme, items)
        )


def _format_key(surface: pygame.Surface) -> tuple:
    return (surface.get_bitsize(), surface.get_masks())


def _hashable(label: Label) -> object:
    try:
        hash(label)
    except TypeError:  # a caller passed lists where tuples belong
        return repr(label)
    return label
