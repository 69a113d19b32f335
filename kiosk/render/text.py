"""Fonts sized by line height, cached rendered text, and word wrapping that never overflows.

Sizes are asked for in pixels of line height, so pygame's bundled font and an installer's
TTF give the same layout. Every rendered string is cached keyed by (text, px, colour) in a
bounded LRU, so steady labels cost a dictionary lookup per frame, not a font render.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable
from pathlib import Path

import pygame

from kiosk.plain_text import ELLIPSIS
from kiosk.render.lru import LRU

log = logging.getLogger(__name__)

Colour = tuple[int, int, int]

_TOKENS = re.compile(r"\S+\s*")


class FontBook:
    """pygame fonts by line height in pixels; the bundled font if `font_path` is unusable."""

    _REFERENCE = 100

    def __init__(self, font_path: Path | None = None) -> None:
        if not pygame.font.get_init():
            pygame.font.init()
        self.font_path = self._usable(font_path)
        # the font file read once: a pygame Font opened from a path holds a file descriptor
        # as long as it lives, one per size, and sizes follow the faces (a soak saw the
        # kiosk's descriptors grow with each new size); from memory it holds none
        default = Path(pygame.__file__).parent / pygame.font.get_default_font()
        try:
            self._data: bytes | None = (self.font_path or default).read_bytes()
        except OSError:
            self._data = None
        self._fonts: LRU[pygame.font.Font] = LRU(64)
        ref = self._load(self._REFERENCE)
        self._px_per_size = max(0.1, ref.get_linesize() / self._REFERENCE)

    @staticmethod
    def _usable(font_path: Path | None) -> Path | None:
        if font_path is None:
            return None
        path = Path(font_path)
        if not path.is_file():
            log.warning("font %s not found; using pygame's default font", path)
            return None
        try:
            pygame.font.Font(str(path), 12)
        except (OSError, pygame.error) as exc:
            log.warning("font %s cannot be loaded (%s); using pygame's default font", path, exc)
            return None
        return path

    def _load(self, size: int) -> pygame.font.Font:
        if self._data is not None:
            return pygame.font.Font(io.BytesIO(self._data), size)
        return pygame.font.Font(str(self.font_path) if self.font_path else None, size)

    def font(self, px: int) -> pygame.font.Font:
        """A font whose line height is about `px` pixels."""
        px = max(4, int(px))
        return self._fonts.get_or_make(
            px, lambda: self._load(max(1, round(px / self._px_per_size))))


class TextCache:
    """Rendered text surfaces and wrapped lines, both in bounded LRUs."""

    def __init__(self, fonts: FontBook, maxsize: int = 512) -> None:
        self.fonts = fonts
        self._surfaces: LRU[pygame.Surface] = LRU(maxsize)
        self._wraps: LRU[tuple[str, ...]] = LRU(maxsize)
        self._glyphs: LRU[pygame.Surface] = LRU(2048)

    def __len__(self) -> int:
        """Rendered text surfaces held (at most `maxsize`)."""
        return len(self._surfaces)

    @property
    def misses(self) -> int:
        """Text surfaces rendered so far (not found in the cache)."""
        return self._surfaces.misses

    def render(self, text: str, px: int, colour: Colour) -> pygame.Surface:
        """Antialiased `text` with a transparent background (cached)."""
        key = (text, int(px), tuple(colour))
        return self._surfaces.get_or_make(key, lambda: self._render(text, px, colour))

    def _render(self, text: str, px: int, colour: Colour) -> pygame.Surface:
        font = self.fonts.font(px)
        try:
            if self.fonts.font_path is None:
                return _render_unkerned(font, text, colour, self._glyph)
            return font.render(text, True, colour)
        except (pygame.error, ValueError, UnicodeError):
            # A glyph the renderer chokes on: keep the ASCII part rather than fail the frame.
            safe = text.encode("ascii", "replace").decode("ascii")
            try:
                return font.render(safe, True, colour)
            except (pygame.error, ValueError):
                return pygame.Surface((0, font.get_linesize()), pygame.SRCALPHA)

    def _glyph(self, font: pygame.font.Font, char: str, colour: Colour) -> pygame.Surface:
        key = (char, id(font), tuple(colour))
        return self._glyphs.get_or_make(key, lambda: font.render(char, True, colour))

    def width(self, text: str, px: int) -> int:
        try:
            font = self.fonts.font(px)
            if self.fonts.font_path is None:
                return _unkerned_width(font, text)
            return font.size(text)[0]
        except (pygame.error, ValueError, UnicodeError):
            return self.fonts.font(px).size(text.encode("ascii", "replace").decode("ascii"))[0]

    def wrap(
        self, text: str, px: int, max_width: int, max_lines: int = 3, balance: bool = False
    ) -> tuple[str, ...]:
        """Greedy word wrap of `text` to lines at most `max_width` pixels wide (cached).

        Breaks after spaces, keeps a breadcrumb's ">" at the end of a line, splits words too
        long for a line, and ends with an ellipsis when more than `max_lines` are needed.
        With `balance`, uses the narrowest width that needs no more lines, so the last line
        is not a lone word.
        """
        key = (text, int(px), int(max_width), int(max_lines), balance)
        return self._wraps.get_or_make(
            key, lambda: self._wrap_balanced(text, px, max_width, max_lines, balance)
        )

    def _wrap_balanced(
        self, text: str, px: int, max_width: int, max_lines: int, balance: bool
    ) -> tuple[str, ...]:
        lines, split = self._wrap(text, px, max_width, max_lines)
        if not balance or len(lines) < 2 or lines[-1].endswith(ELLIPSIS):
            return lines
        lo, hi, best = max(1, max_width // 2), max_width, lines
        while hi - lo > 4:
            mid = (lo + hi) // 2
            trial, trial_split = self._wrap(text, px, mid, max_lines)
            # Narrower is only better if no word has to break that did not at full width.
            if (len(trial) <= len(lines) and not trial[-1].endswith(ELLIPSIS)
                    and trial_split <= split):
                hi, best = mid, trial
            else:
                lo = mid
        return best

    def _wrap(self, text: str, px: int, max_width: int,
              max_lines: int) -> tuple[tuple[str, ...], int]:
        """Lines at spaces (after commas and ">" too); a word alone wider than the line is
        broken with a hyphen. Returns the lines and how many words had to be broken."""
        max_width = max(1, max_width)
        max_lines = max(1, max_lines)
        tokens = _merge_separators(_TOKENS.findall(text))
        lines: list[str] = []
        line = ""
        split = 0
        for token in tokens:
            candidate = line + token
            if self.width(candidate.rstrip(), px) <= max_width:
                line = candidate
                continue
            if line:
                lines.append(line.rstrip())
                line = ""
            while self.width(token.rstrip(), px) > max_width and len(lines) <= max_lines:
                head = self._longest_prefix(token.rstrip(), px, max_width)
                split += 1
                lines.append(head + "-" if len(head) < len(token.rstrip()) else head)
                token = token[len(head) :]
            line = token
            if len(lines) > max_lines:
                break
        if line.strip():
            lines.append(line.rstrip())
        if len(lines) > max_lines:
            lines = lines[:max_lines]
            lines[-1] = self._with_ellipsis(lines[-1], px, max_width)
        return (tuple(lines) if lines else ("",)), split

    def _longest_prefix(self, word: str, px: int, max_width: int) -> str:
        """The longest head of `word` that fits with a hyphen after it (at least 1 letter)."""
        lo, hi = 1, max(1, len(word) - 1)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.width(word[:mid] + "-", px) <= max_width:
                lo = mid
            else:
                hi = mid - 1
        return word[:lo]

    def _with_ellipsis(self, line: str, px: int, max_width: int) -> str:
        line = line.rstrip(" >,")
        while line and self.width(line + ELLIPSIS, px) > max_width:
            line = line[:-1].rstrip(" >,")
        return line + ELLIPSIS

    def clear(self) -> None:
        self._surfaces.clear()
        self._wraps.clear()
        self._glyphs.clear()


# pygame's bundled font (freesansbold) carries kerning pairs that widen some letter pairs
# ("tt": "Roulet te" in the idle title), and pygame.font cannot turn kerning off; so with that
# font each glyph is placed at its own advance, the spacing the font was drawn with.
def _unkerned_width(font: pygame.font.Font, text: str) -> int:
    metrics = font.metrics(text)
    return sum(m[4] if m else font.size(c)[0] for c, m in zip(text, metrics, strict=False))


def _render_unkerned(font: pygame.font.Font, text: str, colour: Colour,
                     glyph: Callable[[pygame.font.Font, str, Colour], pygame.Surface]
                     ) -> pygame.Surface:
    glyphs = [glyph(font, c, colour) for c in text]
    metrics = font.metrics(text)
    advances = [m[4] if m else g.get_width() for g, m in zip(glyphs, metrics, strict=False)]
    width = sum(advances)
    surface = pygame.Surface((max(1, width + 2), font.get_height()), pygame.SRCALPHA)
    x = 0
    for glyph, advance in zip(glyphs, advances, strict=True):
        surface.blit(glyph, (x, 0))
        x += advance
    return surface


def _merge_separators(tokens: list[str]) -> list[str]:
    """Attach a lone ">" to the word before it, so lines end in ">" rather than start with it."""
    out: list[str] = []
    for token in tokens:
        if out and token.strip() in (">", "\u203a", "/", "|"):
            out[-1] += token
        else:
            out.append(token)
    return out
