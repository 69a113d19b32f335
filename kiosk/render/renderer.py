"""Draws one whole kiosk screen per frame from a FrameView. Nothing else draws.

    renderer = Renderer((1920, 1080), config.display, config.texts, mirror=False)
    layout = renderer.draw(screen_surface, view)   # every frame; None if it failed
    renderer.toggle_debug(); renderer.toggle_topk()   # keys D and T, say

Modes: "live" (camera image, green boxes, label bands, optional scene label and "why"
panels), "idle" (the explanatory screen over a dimmed image) and "camera_unavailable".
Cards are cached (kiosk/render/card_cache.py), so a steady scene costs one frame resize
and a few blits; where they go is kiosk/render/live.py's job.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

import pygame

from kiosk.config import DisplayConfig, TextsConfig
from kiosk.render.annotators import BoxAnnotator, CardAnnotator, LineAnnotator
from kiosk.render.card_cache import CardCache
from kiosk.render.geometry import Fit, ScreenMapping, box_is_finite
from kiosk.render.image import FramePainter, normalise_frame
from kiosk.render.layout import clamp_rect
from kiosk.render.live import Layout, LivePlacement
from kiosk.render.screens import CenteredText, blit_centred, draw_pulse
from kiosk.render.theme import Theme
from kiosk.views import Box, FaceView, FrameView

__all__ = ["MAX_FACES", "Layout", "Renderer", "face_rect"]

log = logging.getLogger(__name__)

MAX_FACES = 32  # beyond this, faces are not drawn (the detector allows at most 32)
_ERROR_LOG_INTERVAL_S = 10.0

Paint = Callable[[pygame.Surface, FrameView], Layout]  # paints one whole screen, or raises


class Renderer:
    """Draws FrameViews onto a pygame surface (see the module docstring).

    `size` is the expected output size; `draw` lays out for the surface it is given, so a
    resized window simply re-lays out. `mirror` is `display.mirror` resolved for the source
    (kiosk/sources/base.py `mirror_for`: "auto" mirrors a live camera only). `fit` is
    "contain" (letterbox, the default) or "cover" (fill the screen, cropping). Set
    `strict = True` to let drawing errors raise (tests); otherwise an error is caught here,
    once, handed to `on_fault` (the app counts it in the metrics: a black screen must not look
    healthy) or logged, and the frame is drawn black, so the kiosk runs on. `draw` returns what
    it placed where (a `Layout`), or None when it failed. `wrap_paint` is the declared seam for
    fault injection (kiosk/service/faults.py): it is given the painting function once, here.
    """

    strict = False

    def __init__(
        self,
        size: tuple[int, int],
        display: DisplayConfig,
        texts: TextsConfig,
        *,
        mirror: bool,
        fit: Fit = "contain",
        clock: Callable[[], float] = time.monotonic,
        use_opencv: bool = True,
        on_fault: Callable[[BaseException], None] | None = None,
        wrap_paint: Callable[[Paint], Paint] | None = None,
    ) -> None:
        self.size = (max(1, int(size[0])), max(1, int(size[1])))
        self.display = display
        self.mirror = bool(mirror)
        self.texts = texts
        self.fit: Fit = fit
        self._clock = clock
        self._on_fault = on_fault
        # what draw() calls to paint a screen, raising on a fault (wrapped by fault injection)
        self._paint: Paint = wrap_paint(self._draw) if wrap_paint is not None else self._draw
        self._debug = bool(display.debug_overlay)
        self._topk = bool(display.show_topk)
        self._painter = FramePainter(use_opencv=use_opencv)
        self.cards = CardCache(display, clock)
        self._theme: Theme | None = None
        self._centred: CenteredText | None = None
        self._boxes: BoxAnnotator | None = None
        self._leaders: LineAnnotator | None = None
        self._blitter = CardAnnotator()
        self._last_src_size: tuple[int, int] | None = None
        self._last_error_log = -math.inf

    # ----------------------------------------------------------------- toggles
    @property
    def debug_enabled(self) -> bool:
        return self._debug

    @debug_enabled.setter
    def debug_enabled(self, value: bool) -> None:
        self._debug = bool(value)

    @property
    def topk_enabled(self) -> bool:
        return self._topk

    @topk_enabled.setter
    def topk_enabled(self, value: bool) -> None:
        self._topk = bool(value)

    def toggle_debug(self) -> bool:
        """Flip the debug overlay; returns the new state."""
        self._debug = not self._debug
        return self._debug

    def toggle_topk(self) -> bool:
        """Flip the top-k "why" panel; returns the new state."""
        self._topk = not self._topk
        return self._topk

    # ----------------------------------------------------------------- drawing
    def draw(self, surface: pygame.Surface, view: FrameView) -> Layout | None:
        """Draw the whole screen for `view` onto `surface`: what was placed where, or None
        if drawing failed (and the frame was drawn black)."""
        try:
            return self._paint(surface, view)
        except Exception as exc:
            if self.strict:
                raise
            if self._on_fault is not None:  # the metrics log it, without flooding
                self._on_fault(exc)
            else:
                now = time.monotonic()
                if now - self._last_error_log >= _ERROR_LOG_INTERVAL_S:
                    self._last_error_log = now
                    log.exception("render failed; drawing a black frame")
            surface.fill((0, 0, 0))
            return None

    def _draw(self, surface: pygame.Surface, view: FrameView) -> Layout:
        theme = self._prepare(surface)
        mode = getattr(view, "mode", "live")
        layout = Layout()
        placed: list[pygame.Rect] = []
        notice = self.cards.notice(view.notice, theme)
        if notice is not None:
            sw, sh = surface.get_size()
            rect = notice.get_rect(midbottom=(sw // 2, sh - theme.margin))
            rect = clamp_rect(rect, surface.get_rect())
            placed.append(rect)
        debug = self._debug_card(surface, view, theme) if self._debug else None
        if debug is not None:
            placed.append(debug[1])  # labels keep clear of the technician's overlay
        if mode == "idle":
            self._draw_idle(surface, view, theme)
        elif mode == "camera_unavailable":
            self._draw_unavailable(surface, theme)
        else:
            self._draw_live(surface, view, theme, placed, layout)
        if notice is not None:
            surface.blit(notice, placed[0])
            layout.placed.append(("notice", placed[0]))
        if debug is not None:
            surface.blit(*debug)
            layout.placed.append(("debug", debug[1]))
        return layout

    def _prepare(self, surface: pygame.Surface) -> Theme:
        text = self.cards.text  # opens the fonts on the first frame
        size = surface.get_size()
        if self._theme is None or self._theme.screen != (max(1, size[0]), max(1, size[1])):
            self._theme = Theme.for_size(size)
            self._centred = CenteredText(text, self._theme)
            self._boxes = BoxAnnotator(self._theme.green, self._theme.box_thickness)
            self._leaders = LineAnnotator(self._theme.green,
                                          max(2, self._theme.box_thickness // 2))
            self.cards.clear()
        return self._theme

    def _mapping(self, src_size: tuple[int, int], screen: tuple[int, int]) -> ScreenMapping:
        return ScreenMapping(
            src_size, screen, int(self.display.rotation), self.mirror, self.fit
        )

    def _paint_frame(
        self, surface: pygame.Surface, view: FrameView, dim: float | None = None
    ) -> ScreenMapping | None:
        """Camera image with black bars; the mapping for boxes (last known size if no frame)."""
        rgb = normalise_frame(view.frame)
        size = surface.get_size()
        if rgb is None:
            surface.fill((0, 0, 0))
            if self._last_src_size is None:
                return None
            return self._mapping(self._last_src_size, size)
        self._last_src_size = (rgb.shape[1], rgb.shape[0])
        mapping = self._mapping(self._last_src_size, size)
        ix, iy, iw, ih = mapping.image_rect
        sw, sh = size
        black = (0, 0, 0)
        if iy > 0:
            surface.fill(black, (0, 0, sw, iy))
        if iy + ih < sh:
            surface.fill(black, (0, iy + ih, sw, sh - iy - ih))
        if ix > 0:
            surface.fill(black, (0, iy, ix, ih))
        if ix + iw < sw:
            surface.fill(black, (ix + iw, iy, sw - ix - iw, ih))
        self._painter.paint(surface, rgb, mapping, dim)
        return mapping

    # ----------------------------------------------------------------- live
    def _draw_live(
        self, surface: pygame.Surface, view: FrameView, theme: Theme,
        placed: list[pygame.Rect], layout: Layout,
    ) -> None:
        """The camera image, a green box per face, then the cards LivePlacement placed."""
        mapping = self._paint_frame(surface, view)
        faces: list[tuple[FaceView, pygame.Rect]] = []
        if mapping is not None:
            for face in tuple(view.faces or ())[:MAX_FACES]:
                rect = face_rect(face.box, mapping)
                if rect is not None:
                    faces.append((face, rect))
        assert self._boxes is not None
        self._boxes.annotate(surface, [rect for _f, rect in faces])
        layout.placed += [("box", rect) for _f, rect in faces]
        where = LivePlacement(surface, theme, self.cards, self.display, faces, placed, layout)
        where.place(view.scene_label, self.texts.scene_prefix, self._topk)
        assert self._leaders is not None
        self._leaders.annotate(surface, where.leaders)  # under the cards: band to its face
        self._blitter.annotate(surface, where.cards_out)

    # ----------------------------------------------------------------- other screens
    def _draw_idle(self, surface: pygame.Surface, view: FrameView, theme: Theme) -> None:
        self._paint_frame(surface, view, dim=theme.dim_factor / 255.0)  # black if no frame
        parts: list[tuple[str, int, tuple[int, int, int], int]] = [
            (self.texts.title, theme.title_px, theme.green, 0)
        ]
        for i, line in enumerate(self.texts.idle_lines):
            gap = theme.title_px // 2 if i == 0 else theme.gap
            parts.append((line, theme.idle_px, theme.soft, gap))
        assert self._centred is not None
        blit_centred(surface, self._centred.block(tuple(parts)))

    def _draw_unavailable(self, surface: pygame.Surface, theme: Theme) -> None:
        surface.fill((0, 0, 0))
        assert self._centred is not None
        block = self._centred.block(
            ((self.texts.camera_unavailable, theme.message_px, theme.green, 0),)
        )
        rect = blit_centred(surface, block)
        centre = (surface.get_width() // 2, rect.bottom + theme.message_px)
        draw_pulse(surface, theme, centre, self._clock())

    def _debug_card(self, surface: pygame.Surface, view: FrameView,
                    theme: Theme) -> tuple[pygame.Surface, pygame.Rect]:
        """The debug overlay and where it goes (top right), placed before the labels."""
        items = tuple((str(k), str(v)) for k, v in (view.debug or {}).items())[:16]
        box = self.cards.debug(items, theme)
        rect = box.get_rect(topright=(surface.get_width() - theme.margin, theme.margin))
        return box, clamp_rect(rect, surface.get_rect())


def face_rect(box: Box, mapping: ScreenMapping) -> pygame.Rect | None:
    """The screen rect of a source box, clipped to the visible image; None if not visible."""
    if not box_is_finite(box):
        return None
    b = mapping.map_box(box)
    v = mapping.visible_image_box()
    x0, y0 = max(b.x0, v.x0), max(b.y0, v.y0)
    x1, y1 = min(b.x1, v.x1), min(b.y1, v.y1)
    if x1 < x0 or y1 < y0 or (x1 == x0 and b.x1 > b.x0) or (y1 == y0 and b.y1 > b.y0):
        return None
    ix0, iy0 = round(x0), round(y0)
    return pygame.Rect(ix0, iy0, max(1, round(x1) - ix0), max(1, round(y1) - iy0))
