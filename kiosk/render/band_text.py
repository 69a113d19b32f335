"""The label band's text as one face's band shows it at 1920x1080, measured with the
renderer's own font and wrap (kiosk/render/cards.py `label_band`): used by the labels' build
to decide which glosses show whole (up to GLOSS_LINES lines at the gloss's size), and by
`kiosk label --band`, the curators' proof-reading sheet (issue 36).
"""

from __future__ import annotations

from pathlib import Path

from kiosk.plain_text import ELLIPSIS, clean_text
from kiosk.render.cards import GLOSS_LINES
from kiosk.render.text import FontBook, TextCache
from kiosk.render.theme import Theme

SCREEN = (1920, 1080)
LABEL_LINES = 3  # the label's lines on the band (cards.label_band)
CRUMB_LINES = 4


class BandText:
    """Widths and wraps of the band's three texts for one face at `screen`."""

    def __init__(self, screen: tuple[int, int] = SCREEN, font_path: Path | None = None) -> None:
        self.theme = Theme.for_size(screen)
        self.text = TextCache(FontBook(font_path), maxsize=64)
        self.width = max(1, self.theme.band_max_w - 2 * self.theme.pad_x)

    def _lines(self, text: str, px: int, lines: int) -> tuple[str, ...]:
        return self.text.wrap(clean_text(text), px, self.width, lines, balance=True)

    def gloss_fits(self, gloss: str) -> bool:
        """Whether `gloss` shows whole in GLOSS_LINES lines of the band at the gloss's size."""
        return len(self.text.wrap(clean_text(gloss), self.theme.gloss_px, self.width,
                                  GLOSS_LINES + 1)) <= GLOSS_LINES

    def shown(self, label: str, gloss: str, crumb: str) -> tuple[str, str, str]:
        """The label, gloss and breadcrumb as the band draws them, each line joined by a
        space (a word the wrap had to break keeps its hyphen; text past the last line ends
        in an ellipsis)."""
        def joined(text: str, px: int, lines: int) -> str:
            return " ".join(self._lines(text, px, lines)) if clean_text(text) else ""

        return (joined(label, self.theme.label_px, LABEL_LINES),
                joined(gloss, self.theme.gloss_px, GLOSS_LINES),
                joined(crumb, self.theme.crumb_px, CRUMB_LINES))


__all__ = ["ELLIPSIS", "GLOSS_LINES", "SCREEN", "BandText"]
