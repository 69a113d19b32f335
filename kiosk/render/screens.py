"""The calm full screens: idle (what the work is) and camera unavailable."""

from __future__ import annotations

import math

import pygame

from kiosk.plain_text import clean_text
from kiosk.render.cards import Line
from kiosk.render.lru import LRU
from kiosk.render.text import TextCache
from kiosk.render.theme import Theme


class CenteredText:
    """A centred block of wrapped lines, each line centred, cached per content."""

    def __init__(self, tc: TextCache, theme: Theme) -> None:
        self.tc = tc
        self.theme = theme
        self._cache: LRU[pygame.Surface] = LRU(16)

    def block(
        self, parts: tuple[tuple[str, int, tuple[int, int, int], int], ...]
    ) -> pygame.Surface:
        """`parts`: (text, px, colour, gap above) paragraphs, wrapped to 80% of the width."""
        return self._cache.get_or_make(parts, lambda: self._make(parts))

    def _make(
        self, parts: tuple[tuple[str, int, tuple[int, int, int], int], ...]
    ) -> pygame.Surface:
        max_w = max(1, round(self.theme.screen[0] * 0.8))
        lines: list[Line] = []
        for text, px, colour, gap in parts:
            text = clean_text(text)
            if not text:
                continue
            for i, t in enumerate(self.tc.wrap(text, px, max_w, 4)):
                gap_here = gap if i == 0 and lines else self.theme.line_gap
                lines.append(Line(self.tc.render(t, px, colour), gap_here))
        w = max([ln.surface.get_width() for ln in lines] + [1])
        h = max(1, sum(ln.gap_before + ln.surface.get_height() for ln in lines))
        out = pygame.Surface((w, h), pygame.SRCALPHA)
        y = 0
        for ln in lines:
            y += ln.gap_before
            out.blit(ln.surface, ((w - ln.surface.get_width()) // 2, y))
            y += ln.surface.get_height()
        return out


def blit_centred(surface: pygame.Surface, block: pygame.Surface, dy: int = 0) -> pygame.Rect:
    rect = block.get_rect(center=surface.get_rect().center)
    rect.y += dy
    rect.x = max(0, rect.x)
    rect.y = max(0, rect.y)
    surface.blit(block, rect)
    return rect


def draw_pulse(surface: pygame.Surface, theme: Theme, centre: tuple[int, int], t: float) -> None:
    """A slowly breathing dot: the kiosk is alive, nothing is frozen."""
    level = 0.35 + 0.65 * (0.5 + 0.5 * math.sin(t * 2.0))
    r = max(2, round(theme.message_px * 0.14))
    colour = tuple(round(c * level) for c in theme.green)
    pygame.draw.circle(surface, colour, centre, r)
