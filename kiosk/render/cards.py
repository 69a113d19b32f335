"""Builds the small surfaces blitted over the image: label bands, the spinning wheel, "why" panel,
debug box and notice. Each builder returns a finished surface; callers cache them, so a
steady label costs one blit per frame.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pygame

from kiosk.labels.gloss import shown_gloss
from kiosk.plain_text import clean_text
from kiosk.render.text import TextCache
from kiosk.render.theme import Colour, Theme
from kiosk.views import Label

GLOSS_LINES = 3  # the gloss's lines on the band (kiosk/render/band_text.py measures them)


@dataclass(frozen=True)
class Line:
    """One row of a card: a surface, the space above it and its left indent."""

    surface: pygame.Surface
    gap_before: int = 0
    indent: int = 0


def compose(
    lines: Sequence[Line],
    theme: Theme,
    like: pygame.Surface | None = None,
    alpha: int = 255,
    min_width: int = 0,
    pad: tuple[int, int] | None = None,
) -> pygame.Surface:
    """Stack `lines` on a black card with padding. Opaque cards match `like`'s pixel format."""
    pad_x, pad_y = pad if pad is not None else (theme.pad_x, theme.pad_y)
    inner_w = max([min_width] + [ln.indent + ln.surface.get_width() for ln in lines])
    inner_h = sum(ln.gap_before + ln.surface.get_height() for ln in lines)
    size = (max(1, inner_w + 2 * pad_x), max(1, inner_h + 2 * pad_y))
    if alpha >= 255:
        card = pygame.Surface(size, 0, like) if like is not None else pygame.Surface(size)
        card.fill(theme.black)
    else:
        card = pygame.Surface(size, pygame.SRCALPHA)
        card.fill((*theme.black, alpha))
    y = pad_y
    for ln in lines:
        y += ln.gap_before
        card.blit(ln.surface, (pad_x + ln.indent, y))
        y += ln.surface.get_height()
    return card


def _text_lines(
    tc: TextCache,
    text: str,
    px: int,
    colour: Colour,
    max_w: int,
    max_lines: int,
    first_gap: int = 0,
    indent: int = 0,
    balance: bool = False,
) -> list[Line]:
    text = clean_text(text)
    if not text:
        return []
    wrapped = tc.wrap(text, px, max(1, max_w - indent), max_lines, balance)
    return [
        Line(tc.render(t, px, colour), first_gap if i == 0 else 0, indent)
        for i, t in enumerate(wrapped)
    ]


def label_band(
    tc: TextCache,
    theme: Theme,
    label: Label,
    like: pygame.Surface | None = None,
    caption: str | None = None,
    gloss: bool = False,
) -> pygame.Surface:
    """Black band: optional small caption, the label in large green type (a translation has
    the English label beneath it in smaller, dimmer type), with `gloss` its
    WordNet definition as the labels' build worked it out (whole where it fits three lines,
    else cut at a boundary of its language: kiosk/labels/gloss.py) in softer type, then the
    breadcrumb. The gloss says what an unknown word ("gambist") means, in three lines at
    most, so the band stays about one face wide."""
    max_w = max(1, theme.band_max_w - 2 * theme.pad_x)
    lines: list[Line] = []
    if caption:
        lines += _text_lines(tc, caption, theme.caption_px, theme.dim, max_w, 1)
    gap = theme.line_gap if lines else 0
    lines += _text_lines(tc, label.name, theme.label_px, theme.green, max_w, 3, gap, balance=True)
    if label.name_en:  # a translated label: WordNet's English beneath it, as a museum's wall text
        lines += _text_lines(tc, label.name_en, theme.gloss_px, theme.dim, max_w, 2,
                             theme.line_gap, balance=True)
    if gloss:  # as built (whole where it fits three lines), else cut here
        text = shown_gloss(clean_text(label.gloss_band), clean_text(label.gloss),
                           label.gloss_language)
        lines += _text_lines(tc, text, theme.gloss_px, theme.soft, max_w, GLOSS_LINES,
                             theme.line_gap, balance=True)
    crumb = " > ".join(clean_text(part) for part in label.breadcrumb if clean_text(part))
    gap = 2 * theme.line_gap
    lines += _text_lines(tc, crumb, theme.crumb_px, theme.green, max_w, 4, gap, balance=True)
    if not lines:  # nothing printable: keep a band the height of one label line
        lines = [
            Line(pygame.Surface((1, tc.fonts.font(theme.label_px).get_height()), pygame.SRCALPHA))
        ]
    return compose(lines, theme, like)


def wheel_band(
    tc: TextCache, theme: Theme, candidate: str, progress: float,
    like: pygame.Surface | None = None,
) -> pygame.Surface:
    """The label still spinning: one of the face's real top candidates in large, dimmer type
    (the wheel turns through them), and under it a thin bar of how many crops are in. Only
    what the model currently says of this face is ever shown: no random word, no dots."""
    max_w = max(1, theme.band_max_w - 2 * theme.pad_x)
    lines = _text_lines(tc, candidate, theme.label_px, theme.dim, max_w, 2, balance=True)
    if not lines:
        lines = [Line(pygame.Surface((1, tc.fonts.font(theme.label_px).get_height()),
                                     pygame.SRCALPHA))]
    width = max(ln.surface.get_width() for ln in lines)
    bar_h = max(2, round(theme.label_px * 0.08))
    bar = pygame.Surface((max(1, width), bar_h), pygame.SRCALPHA)
    bar.fill(theme.faint)
    done = round(width * min(1.0, max(0.0, float(progress))))
    if done > 0:
        bar.fill(theme.green, pygame.Rect(0, 0, done, bar_h))
    lines.append(Line(bar, 2 * theme.line_gap))
    return compose(lines, theme, like)


def why_panel(
    tc: TextCache,
    theme: Theme,
    label: Label,
    k: int,
    like: pygame.Surface | None = None,
) -> pygame.Surface:
    """Top-k scores as bars, the chosen synset's gloss, and its other paths to "person"."""
    inner_w = max(1, theme.panel_w - 2 * theme.pad_x)
    px = theme.panel_px
    lines: list[Line] = _text_lines(tc, "Top scores", theme.caption_px, theme.dim, inner_w, 1)
    rows = tuple(label.topk)[: max(1, k)] or ((label.name, label.probability),)
    for i, (name, prob) in enumerate(rows):
        chosen = clean_text(name) == clean_text(label.name)
        row = _score_row(tc, theme, clean_text(name), prob, inner_w, px, chosen)
        lines.append(Line(row, theme.line_gap if i else theme.line_gap * 2))
    gloss = clean_text(label.gloss)
    if gloss:
        gap = 3 * theme.line_gap + theme.gap
        lines += _text_lines(tc, f"\u201c{gloss}\u201d", px, theme.soft, inner_w, 4, gap)
    evidence = [(clean_text(n), p) for n, p in label.evidence if clean_text(n)]
    if evidence:  # the real cause of the label: what the ImageNet-1k model saw in the crop
        gap = 3 * theme.line_gap + theme.gap
        lines += _text_lines(tc, "The image model saw", theme.caption_px, theme.dim, inner_w, 1,
                             gap)
        seen = ", ".join(f"{n} {float(p) * 100:.0f}%" for n, p in evidence)
        lines += _text_lines(tc, seen, px, theme.soft, inner_w, 2, theme.line_gap)
    paths = [p for p in label.other_breadcrumbs if p][:3]
    if paths:
        gap = 3 * theme.line_gap + theme.gap
        lines += _text_lines(tc, "Also reached by", theme.caption_px, theme.dim, inner_w, 1, gap)
        for path in paths:
            crumb = " > ".join(clean_text(part) for part in path if clean_text(part))
            lines += _text_lines(tc, crumb, px, theme.soft, inner_w, 3, theme.line_gap)
    return compose(lines, theme, like, min_width=inner_w)


def _score_row(
    tc: TextCache,
    theme: Theme,
    name: str,
    prob: object,
    width: int,
    px: int,
    chosen: bool,
) -> pygame.Surface:
    try:
        p = float(prob)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        p = 0.0
    p = 0.0 if not math.isfinite(p) else min(1.0, max(0.0, p))
    colour = theme.green if chosen else theme.soft
    pct_w = tc.width("100.0%", px)
    bar_w = max(4, round(width * 0.26))
    name_w = max(1, width - bar_w - pct_w - 2 * theme.gap)
    # The name wraps (up to 3 lines) rather than being cut: the panel has the height for it.
    name_surfs = [tc.render(t, px, colour) for t in tc.wrap(name or "?", px, name_w, 3)]
    pct_surf = tc.render(f"{p * 100:.1f}%", px, colour)
    line_h = max(name_surfs[0].get_height(), pct_surf.get_height())
    h = max(line_h, sum(s.get_height() for s in name_surfs))
    row = pygame.Surface((max(1, width), max(1, h)), pygame.SRCALPHA)
    y = 0
    for surf in name_surfs:
        row.blit(surf, (0, y))
        y += surf.get_height()
    bar_x = name_w + theme.gap
    bar_h = max(2, round(line_h * 0.42))
    bar_y = (line_h - bar_h) // 2
    pygame.draw.rect(row, theme.faint, (bar_x, bar_y, bar_w, bar_h))
    if p > 0:
        pygame.draw.rect(row, colour, (bar_x, bar_y, max(1, round(bar_w * p)), bar_h))
    row.blit(pct_surf, (width - pct_surf.get_width(), 0))
    return row


def debug_box(tc: TextCache, theme: Theme, items: Sequence[tuple[str, str]]) -> pygame.Surface:
    """Translucent key/value table for technicians."""
    px = theme.debug_px
    keys = [tc.render(clean_text(k)[:40], px, theme.dim) for k, _ in items]
    values = [tc.render(clean_text(v)[:60], px, theme.green) for _, v in items]
    key_w = max([s.get_width() for s in keys] + [0])
    lines = []
    for i, (ks, vs) in enumerate(zip(keys, values, strict=True)):
        h = max(ks.get_height(), vs.get_height())
        row = pygame.Surface((key_w + theme.gap * 2 + vs.get_width(), h), pygame.SRCALPHA)
        row.blit(ks, (0, 0))
        row.blit(vs, (key_w + theme.gap * 2, 0))
        lines.append(Line(row, theme.line_gap if i else 0))
    if not lines:
        lines = [Line(tc.render("debug: no data", px, theme.dim))]
    pad = (max(2, theme.pad_x * 2 // 3), max(2, theme.pad_y * 2 // 3))
    return compose(lines, theme, alpha=theme.overlay_alpha, pad=pad)


def notice_pill(tc: TextCache, theme: Theme, text: str) -> pygame.Surface:
    """A small unobtrusive line, e.g. "No camera found: showing the demo source."."""
    max_w = max(1, theme.screen[0] - 4 * theme.margin)
    lines = _text_lines(tc, text, theme.notice_px, theme.notice, max_w, 2)
    pad = (max(2, theme.pad_x), max(2, theme.pad_y // 2))
    return compose(lines, theme, alpha=theme.overlay_alpha, pad=pad)
