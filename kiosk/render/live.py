"""Where the live screen's cards go: each face's label band (or its spinning wheel), the
scene's band, and the "why" panels.

`LivePlacement` places one frame's cards in a fixed order, so each placed card is an
obstacle for the next: the scene's band (top left), then the faces' bands from the top of
the screen down, then the panels. It only decides *where*; `Renderer` draws. `Layout` is
what a drawn screen placed where: tests, screenshots and a curious technician read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pygame

from kiosk.config import DisplayConfig
from kiosk.render.card_cache import CardCache
from kiosk.render.layout import (
    band_candidates,
    covers,
    leader_line,
    panel_candidates,
    place_rect,
    touches,
)
from kiosk.render.theme import Theme
from kiosk.views import FaceView, Label

CROWD = 4  # more faces than this get compact label bands

Card = tuple[pygame.Surface, pygame.Rect]
Line = tuple[tuple[int, int], tuple[int, int]]


@dataclass
class Layout:
    """What one drawn screen placed where, in screen pixels.

    `placed` is (kind, rect) in drawing order, kind one of "box", "scene", "band", "wheel",
    "leader", "why", "notice", "debug"; `bands` is (track id, its box as drawn with the
    stroke, its label band): which label is whose.
    """

    placed: list[tuple[str, pygame.Rect]] = field(default_factory=list)
    bands: list[tuple[int, pygame.Rect, pygame.Rect]] = field(default_factory=list)

    def of(self, kind: str) -> list[pygame.Rect]:
        """The rects of one kind, in drawing order."""
        return [rect for k, rect in self.placed if k == kind]


class LivePlacement:
    """One live frame's cards, placed clear of each other and of every face where possible.

    `faces` are the faces to label with their boxes on screen; `placed` holds what must stay
    clear already (the notice, the debug overlay) and grows with every card placed.
    """

    def __init__(
        self,
        surface: pygame.Surface,
        theme: Theme,
        cards: CardCache,
        display: DisplayConfig,
        faces: Sequence[tuple[FaceView, pygame.Rect]],
        placed: list[pygame.Rect],
        layout: Layout,
    ) -> None:
        self.surface = surface
        self.theme = theme
        self.cards = cards
        self.display = display
        self.faces = list(faces)
        self.placed = placed
        self.layout = layout
        self.screen = surface.get_rect()
        t = theme.box_thickness
        self.outers = [rect.inflate(t, t) for _f, rect in self.faces]  # boxes with their stroke
        self.order = sorted(range(len(self.faces)),
                            key=lambda i: (self.faces[i][1].top, self.faces[i][1].left))
        self.crowd = len(self.faces) > CROWD
        self.band_theme = theme.compact() if self.crowd else theme  # the faces' bands
        # The gloss explains an unknown word to a few visitors; in a crowd it goes first.
        self.gloss = bool(display.gloss) and not self.crowd and (
            len(self.faces) <= int(display.gloss_max_faces))
        self.cards_out: list[Card] = []  # what to blit, in order
        self.leaders: list[Line] = []  # lines joining a band placed away from its face
        self._band_rects: dict[int, pygame.Rect] = {}

    def place(self, scene: Label | None, caption: str, topk: bool) -> None:
        """Place the scene's band, every face's band and (with `topk`) the panels."""
        scene_rect = self._place_scene(scene, caption) if scene is not None else None
        for i in self.order:
            self._place_face_band(i)
        self.layout.placed += [("leader", pygame.Rect(start, (1, 1)).union(
            pygame.Rect(end, (1, 1)))) for start, end in self.leaders]
        if topk:
            if scene is not None and scene_rect is not None:
                self._place_scene_panel(scene, scene_rect)
            for i in self.order:
                if self.faces[i][0].label is not None:
                    self._place_face_panel(i)

    # ------------------------------------------------------------------ steps
    def _place_scene(self, scene: Label, caption: str) -> pygame.Rect:
        theme = self.theme
        band = self.cards.label(self.surface, scene, theme, caption=caption,
                                gloss=bool(self.display.gloss))
        at = (theme.margin, theme.margin)
        rect = place_rect(band.get_size(), [at], self.screen, self.placed, (), theme.margin)
        self._put("scene", band, rect)
        return rect

    def _place_face_band(self, i: int) -> None:
        face = self.faces[i][0]
        if face.label is None and face.spin is None:
            return  # no crop scored yet: the box alone, for the first few frames
        if face.label is None:
            band = self.cards.wheel(self.surface, face.spin, self.band_theme, self.crowd)
        else:
            band = self.cards.label(self.surface, face.label, self.band_theme,
                                    compact=self.crowd, gloss=self.gloss)
        rect = self._near_face(i, band)
        if face.label is not None and not self.crowd and not self._clear(i, rect):
            band, rect = self._clearer_band(i, face.label, (band, rect))
        if not touches(rect, self.outers[i]):
            self.leaders.append(leader_line(self.outers[i], rect))
        self._put("wheel" if face.label is None else "band", band, rect)
        self._band_rects[i] = rect
        self.layout.bands.append((face.track_id, self.outers[i], rect))

    def _clearer_band(self, i: int, label: Label, band: Card) -> Card:
        """No clear place for the band: the gloss goes first, then the breadcrumb is
        shortened (a compact band); with no clear place for either, the band without gloss."""
        tries = [(self.theme, False)] if self.gloss else []
        tries.append((self.theme.compact(), True))
        fallback = None
        for theme, compact in tries:
            small = self.cards.label(self.surface, label, theme, compact=compact)
            small_rect = self._near_face(i, small)
            fallback = fallback or (small, small_rect)
            if self._clear(i, small_rect):
                return small, small_rect
        if self.gloss and fallback is not None:
            return fallback
        return band

    def _place_scene_panel(self, scene: Label, scene_rect: pygame.Rect) -> None:
        theme = self.theme
        panel = self.cards.why(self.surface, scene, theme)
        at = [
            (scene_rect.left, scene_rect.bottom + theme.gap),
            (scene_rect.right + theme.gap, scene_rect.top),
        ]
        rect = place_rect(panel.get_size(), at, self.screen, self.placed, self.outers,
                          theme.margin, theme.gap, anchor=scene_rect)
        self._put("why", panel, rect)

    def _place_face_panel(self, i: int) -> None:
        theme = self.theme
        panel = self.cards.why(self.surface, self.faces[i][0].label, theme)
        at = panel_candidates(self.outers[i], self._band_rects[i], panel.get_size(), theme.gap)
        rect = place_rect(panel.get_size(), at, self.screen, self.placed, self.outers,
                          theme.margin, theme.gap, anchor=self.outers[i])
        self._put("why", panel, rect)

    # ------------------------------------------------------------------ helpers
    def _near_face(self, i: int, card: pygame.Surface) -> pygame.Rect:
        size = card.get_size()
        return place_rect(size, band_candidates(self.outers[i], size), self.screen,
                          self.placed, self.outers, self.theme.margin, self.theme.gap,
                          anchor=self.outers[i])

    def _clear(self, i: int, rect: pygame.Rect) -> bool:
        """Whether `rect` covers no other face and no card placed before it."""
        return not (covers(rect, self.outers, self.outers[i]) or covers(rect, self.placed, None))

    def _put(self, kind: str, card: pygame.Surface, rect: pygame.Rect) -> None:
        self.placed.append(rect)
        self.cards_out.append((card, rect))
        self.layout.placed.append((kind, rect))
