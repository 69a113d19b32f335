"""Annotators only draw: given finished geometry and surfaces, they put pixels on a surface.

In the spirit of Roboflow `supervision`: deciding *where* is the layout's job, deciding
*what* is the cards' job; these just draw.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pygame

from kiosk.render.theme import Colour


class BoxAnnotator:
    """Rectangles with a stroke centred on the box edge, kept wholly on screen."""

    def __init__(self, colour: Colour, thickness: int) -> None:
        self.colour = colour
        self.thickness = max(1, int(thickness))

    def annotate(self, surface: pygame.Surface, rects: Iterable[pygame.Rect]) -> None:
        t = self.thickness
        screen = surface.get_rect()
        for rect in rects:
            outer = pygame.Rect(rect.x - t // 2, rect.y - t // 2, rect.w + t, rect.h + t)
            outer = outer.clip(screen)
            if outer.w <= 0 or outer.h <= 0:
                continue
            if outer.w <= 2 * t or outer.h <= 2 * t:
                surface.fill(self.colour, outer)  # too small for a hollow box
            else:
                pygame.draw.rect(surface, self.colour, outer, t)


class CardAnnotator:
    """Blits prepared cards (label bands, panels, overlays) at their placed rects."""

    def annotate(
        self, surface: pygame.Surface, cards: Sequence[tuple[pygame.Surface, pygame.Rect]]
    ) -> None:
        if cards:
            surface.blits([(card, rect.topleft) for card, rect in cards], doreturn=False)


class LineAnnotator:
    """Straight lines (a label band's leader to its face), `width` pixels wide."""

    def __init__(self, colour: Colour, width: int) -> None:
        self.colour = colour
        self.width = max(1, int(width))

    def annotate(
        self, surface: pygame.Surface,
        lines: Iterable[tuple[tuple[int, int], tuple[int, int]]],
    ) -> None:
        for start, end in lines:
            pygame.draw.line(surface, self.colour, start, end, self.width)
