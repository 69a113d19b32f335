"""Draws one whole kiosk screen per frame from a FrameView. Nothing else draws.

    renderer = Renderer((1920, 1080), config.display, config.texts)
    renderer.draw(screen_surface, view)      # every frame
    renderer.toggle_debug(); renderer.toggle_topk()   # keys D and T, say

Modes: "live" (camera image, green boxes, label bands, optional scene label and "why"
panels), "idle" (the explanatory screen over a dimmed image) and "camera_unavailable".
Rendered text and bands are cached, so a steady scene costs one frame resize and a few blits.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

import pygame

from kiosk.config import PROJECT_ROOT, DisplayConfig, TextsConfig
from kiosk.render import cards
from kiosk.render.annotators import BoxAnnotator, CardAnnotator
from kiosk.render.geometry import Fit, ScreenMapping, box_is_finite
from kiosk.render.image import FramePainter, normalise_frame
from kiosk.render.layout import (
    band_candidates,
    clamp_rect,
    covers,
    leader_line,
    panel_candidates,
    place_rect,
    touches,
)
from kiosk.render.lru import LRU
from kiosk.render.screens import CenteredText, blit_centred, draw_pulse
from kiosk.render.text import FontBook, TextCache
from kiosk.render.theme import Theme
from kiosk.views import Box, FaceView, FrameView, Label, SpinView

log = logging.getLogger(__name__)

WHEEL_HZ = 9.0  # candidates a second as a spin starts; it slows to a third as crops come in
CROWD = 4  # more faces than this get compact label bands
MAX_FACES = 32  # beyond this, faces are not drawn (the detector allows at most 32)
_ERROR_LOG_INTERVAL_S = 10.0


class Renderer:
    """Draws FrameViews onto a pygame surface (see the module docstring).

    `size` is the expected output size; `draw` lays out for the surface it is given, so a
    resized window simply re-lays out. `fit` is "contain" (letterbox, the default) or
    "cover" (fill the screen, cropping). Set `strict = True` to let drawing errors raise
    (tests); otherwise an error is logged, handed to `on_fault` (the app counts it in the
    metrics: a black screen must not look healthy) and the frame is drawn black, so the kiosk
    runs on. `draw` says whether the frame was drawn.
    """

    strict = False

    def __init__(
        self,
        size: tuple[int, int],
        display: DisplayConfig,
        texts: TextsConfig,
        *,
        fit: Fit = "contain",
        clock: Callable[[], float] = time.monotonic,
        use_opencv: bool = True,
        on_fault: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.size = (max(1, int(size[0])), max(1, int(size[1])))
        self.display = display
        self.texts = texts
        self.fit: Fit = fit
        self._clock = clock
        self._on_fault = on_fault
        # what draw() calls to paint a screen, raising on a fault: fault injection
        # (kiosk/service/faults.py) and tests wrap or replace it
        self.paint: Callable[[pygame.Surface, FrameView], None] = self._draw
        self._debug = bool(display.debug_overlay)
        self._topk = bool(display.show_topk)
        self._painter = FramePainter(use_opencv=use_opencv)
        self._fonts: FontBook | None = None
        self._tc: TextCache | None = None
        self._theme: Theme | None = None
        self._centred: CenteredText | None = None
        # Bands are up to ~1 MB each: 48 covers every face on screen with room to spare.
        self._cards: LRU[pygame.Surface] = LRU(48)
        self._debug_cards: LRU[pygame.Surface] = LRU(4)  # changes every frame (fps)
        self._boxes: BoxAnnotator | None = None
        self._blitter = CardAnnotator()
        self._last_src_size: tuple[int, int] | None = None
        self._last_error_log = -math.inf
        # What the last draw placed where: ("box" | "band" | "wheel" | "scene" | "why" |
        # "notice" | "debug", rect). For tests and for a technician's curiosity.
        self.last_layout: list[tuple[str, pygame.Rect]] = []
        # (track id, its box as drawn, its label band): which label is whose, for tests.
        self.last_bands: list[tuple[int, pygame.Rect, pygame.Rect]] = []

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
    def draw(self, surface: pygame.Surface, view: FrameView) -> bool:
        """Draw the whole screen for `view` onto `surface`; False if it failed (drawn black)."""
        try:
            self.paint(surface, view)
            return True
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
            return False

    def _draw(self, surface: pygame.Surface, view: FrameView) -> None:
        theme = self._prepare(surface)
        mode = getattr(view, "mode", "live")
        self.last_layout = []
        placed: list[pygame.Rect] = []
        notice = self._notice_card(view.notice, theme)
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
            self._draw_live(surface, view, theme, placed)
        if notice is not None:
            surface.blit(notice, placed[0])
            self.last_layout.append(("notice", placed[0]))
        if debug is not None:
            surface.blit(*debug)
            self.last_layout.append(("debug", debug[1]))

    def _prepare(self, surface: pygame.Surface) -> Theme:
        if self._fonts is None:
            font_path = self.display.font_path
            if font_path is not None and not font_path.is_absolute():
                font_path = PROJECT_ROOT / font_path
            self._fonts = FontBook(font_path)
            self._tc = TextCache(self._fonts, maxsize=256)
        size = surface.get_size()
        if self._theme is None or self._theme.screen != (max(1, size[0]), max(1, size[1])):
            self._theme = Theme.for_size(size)
            self._centred = CenteredText(self._tc, self._theme)
            self._boxes = BoxAnnotator(self._theme.green, self._theme.box_thickness)
            self._cards.clear()
            self._debug_cards.clear()
        return self._theme

    def _mapping(self, src_size: tuple[int, int], screen: tuple[int, int]) -> ScreenMapping:
        return ScreenMapping(
            src_size, screen, int(self.display.rotation), self.display.mirror is True, self.fit
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
        self, surface: pygame.Surface, view: FrameView, theme: Theme, placed: list[pygame.Rect]
    ) -> None:
        mapping = self._paint_frame(surface, view)
        screen = surface.get_rect()
        faces: list[tuple[FaceView, pygame.Rect]] = []
        if mapping is not None:
            for face in tuple(view.faces or ())[:MAX_FACES]:
                rect = face_rect(face.box, mapping)
                if rect is not None:
                    faces.append((face, rect))
        assert self._boxes is not None
        self._boxes.annotate(surface, [rect for _f, rect in faces])
        self.last_layout += [("box", rect) for _f, rect in faces]

        t = theme.box_thickness
        outers = [rect.inflate(t, t) for _f, rect in faces]
        out: list[tuple[pygame.Surface, pygame.Rect]] = []

        scene = view.scene_label
        scene_rect = None
        if scene is not None:
            band = self._label_card(surface, scene, theme, caption=self.texts.scene_prefix,
                                    gloss=bool(self.display.gloss))
            at = (theme.margin, theme.margin)
            scene_rect = place_rect(band.get_size(), [at], screen, placed, (), theme.margin)
            placed.append(scene_rect)
            out.append((band, scene_rect))
            self.last_layout.append(("scene", scene_rect))

        order = sorted(range(len(faces)), key=lambda i: (faces[i][1].top, faces[i][1].left))
        band_rects: dict[int, pygame.Rect] = {}
        crowd = len(faces) > CROWD
        band_theme = theme.compact() if crowd else theme
        # The gloss explains an unknown word to a few visitors; in a crowd it goes first.
        gloss = bool(self.display.gloss) and not crowd and (
            len(faces) <= int(self.display.gloss_max_faces))
        leaders: list[tuple[tuple[int, int], tuple[int, int]]] = []
        self.last_bands = []
        for i in order:
            face, _rect = faces[i]
            if face.label is None and face.spin is None:
                continue  # no crop scored yet: the box alone, for the first few frames
            if face.label is None:
                band = self._wheel_card(surface, face.spin, band_theme, crowd)
            else:
                band = self._label_card(surface, face.label, band_theme, compact=crowd,
                                        gloss=gloss)
            rect = place_rect(
                band.get_size(), band_candidates(outers[i], band.get_size()), screen, placed,
                outers, theme.margin, theme.gap, anchor=outers[i],
            )  # fmt: skip
            if face.label is not None and not crowd and (
                    covers(rect, outers, outers[i]) or covers(rect, placed, None)):
                # No clear place: the gloss goes first, then the breadcrumb is shortened
                # (a compact band); with no clear place for either, the band without gloss.
                tries = [(theme, False)] if gloss else []
                tries.append((theme.compact(), True))
                fallback = None
                for try_theme, compact in tries:
                    small = self._label_card(surface, face.label, try_theme, compact=compact)
                    small_rect = place_rect(
                        small.get_size(), band_candidates(outers[i], small.get_size()), screen,
                        placed, outers, theme.margin, theme.gap, anchor=outers[i],
                    )  # fmt: skip
                    fallback = fallback or (small, small_rect)
                    if not (covers(small_rect, outers, outers[i])
                            or covers(small_rect, placed, None)):
                        band, rect = small, small_rect
                        break
                else:
                    if gloss and fallback is not None:
                        band, rect = fallback
            if not touches(rect, outers[i]):
                leaders.append(leader_line(outers[i], rect))
            placed.append(rect)
            band_rects[i] = rect
            out.append((band, rect))
            self.last_layout.append(("wheel" if face.label is None else "band", rect))
            self.last_bands.append((face.track_id, outers[i], rect))
        for start, end in leaders:  # a band away from its face is joined to it
            pygame.draw.line(surface, theme.green, start, end, max(2, theme.box_thickness // 2))
            self.last_layout.append(("leader", pygame.Rect(start, (1, 1)).union(
                pygame.Rect(end, (1, 1)))))

        if self._topk:
            if scene is not None and scene_rect is not None:
                panel = self._why_card(surface, scene, theme)
                at = [
                    (scene_rect.left, scene_rect.bottom + theme.gap),
                    (scene_rect.right + theme.gap, scene_rect.top),
                ]
                rect = place_rect(
                    panel.get_size(), at, screen, placed, outers, theme.margin, theme.gap,
                    anchor=scene_rect,
                )  # fmt: skip
                placed.append(rect)
                out.append((panel, rect))
                self.last_layout.append(("why", rect))
            for i in order:
                face, _rect = faces[i]
                if face.label is None:
                    continue
                panel = self._why_card(surface, face.label, theme)
                at = panel_candidates(outers[i], band_rects[i], panel.get_size(), theme.gap)
                rect = place_rect(
                    panel.get_size(), at, screen, placed, outers, theme.margin, theme.gap,
                    anchor=outers[i],
                )  # fmt: skip
                placed.append(rect)
                out.append((panel, rect))
                self.last_layout.append(("why", rect))
        self._blitter.annotate(surface, out)

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
        assert self._tc is not None
        box = self._debug_cards.get_or_make(items, lambda: cards.debug_box(self._tc, theme, items))
        rect = box.get_rect(topright=(surface.get_width() - theme.margin, theme.margin))
        return box, clamp_rect(rect, surface.get_rect())

    # ----------------------------------------------------------------- cached cards
    def _label_card(
        self,
        surface: pygame.Surface,
        label: Label,
        theme: Theme,
        caption: str | None = None,
        compact: bool = False,
        gloss: bool = False,
    ) -> pygame.Surface:
        key = ("label", _hashable(label), caption, compact, gloss, _format_key(surface))
        return self._cards.get_or_make(
            key, lambda: cards.label_band(self._tc, theme, label, surface, caption, gloss)
        )

    def _wheel_card(
        self, surface: pygame.Surface, spin: SpinView, theme: Theme, compact: bool = False
    ) -> pygame.Surface:
        """The candidate the wheel shows now: it turns at WHEEL_HZ, slowing as crops come in."""
        spun = max(0.0, self._clock() - spin.started_at)
        hz = WHEEL_HZ * (1.0 - 0.66 * min(1.0, max(0.0, spin.progress)))
        candidate = spin.candidates[int(spun * hz) % len(spin.candidates)]
        progress = round(spin.progress, 2)
        key = ("wheel", candidate, progress, compact, _format_key(surface))
        return self._cards.get_or_make(
            key, lambda: cards.wheel_band(self._tc, theme, candidate, progress, surface)
        )

    def _why_card(self, surface: pygame.Surface, label: Label, theme: Theme) -> pygame.Surface:
        k = int(self.display.topk)
        key = ("why", _hashable(label), k, _format_key(surface))
        return self._cards.get_or_make(
            key, lambda: cards.why_panel(self._tc, theme, label, k, surface)
        )

    def _notice_card(self, notice: str | None, theme: Theme) -> pygame.Surface | None:
        if not notice:
            return None
        text = str(notice)
        assert self._tc is not None
        return self._cards.get_or_make(
            ("notice", text), lambda: cards.notice_pill(self._tc, theme, text)
        )


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


def _format_key(surface: pygame.Surface) -> tuple:
    return (surface.get_bitsize(), surface.get_masks())


def _hashable(label: Label) -> object:
    try:
        hash(label)
    except TypeError:  # a caller passed lists where tuples belong
        return repr(label)
    return label
