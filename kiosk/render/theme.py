"""Colours and sizes of everything drawn, scaled from one reference: a 1080-pixel screen.

The scale follows the screen's shorter side, so a portrait 1080x1920 screen gets the same
type as a landscape 1920x1080 one, and a 512x512 still gets proportionally smaller type.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

Colour = tuple[int, int, int]

GREEN: Colour = (0, 255, 0)
BLACK: Colour = (0, 0, 0)


@dataclass(frozen=True)
class Theme:
    """Everything visual that depends on the screen size, in whole pixels."""

    screen: tuple[int, int]
    scale: float
    box_thickness: int
    margin: int
    pad_x: int
    pad_y: int
    line_gap: int
    gap: int
    label_px: int  # the label itself: legible from three metres at 1080p
    crumb_px: int  # WordNet breadcrumb under it
    gloss_px: int  # the gloss between them: read from three metres, smaller than the label
    caption_px: int  # "Scene:" and the panel's small headings
    panel_px: int  # top-k rows, gloss, other paths
    debug_px: int
    notice_px: int
    title_px: int
    idle_px: int
    message_px: int
    band_max_w: int  # label bands wrap at this width
    panel_w: int  # the "why" panel's width
    green: Colour = GREEN
    black: Colour = BLACK
    soft: Colour = (170, 235, 170)  # secondary text: gloss, idle lines
    dim: Colour = (0, 150, 0)  # captions, inactive spinner dots
    faint: Colour = (0, 70, 0)  # bar track, rules
    notice: Colour = (165, 190, 165)
    band_alpha: int = 255  # label bands are solid black
    overlay_alpha: int = 200  # debug box and notice pill
    dim_factor: int = 70  # idle screen: camera image at 70/255 brightness

    def compact(self) -> Theme:
        """Smaller label bands for a crowd, so more of them fit without covering each other."""
        return replace(
            self,
            label_px=max(10, round(self.label_px * 0.68)),
            crumb_px=max(9, round(self.crumb_px * 0.8)),
            pad_x=max(2, round(self.pad_x * 0.7)),
            pad_y=max(2, round(self.pad_y * 0.7)),
            band_max_w=max(1, round(self.band_max_w * 0.7)),
        )

    @classmethod
    def for_size(cls, size: tuple[int, int]) -> Theme:
        w, h = max(1, int(size[0])), max(1, int(size[1]))
        s = min(w, h) / 1080.0

        def px(value: float, least: int = 1) -> int:
            return max(least, round(value * s))

        margin = px(24, 2)
        usable_w = max(1, w - 2 * margin)
        return cls(
            screen=(w, h),
            scale=s,
            box_thickness=px(4, 2),
            margin=margin,
            pad_x=px(18, 2),
            pad_y=px(12, 2),
            line_gap=px(4, 0),
            gap=px(10, 1),
            label_px=px(62, 10),
            crumb_px=px(31, 9),
            gloss_px=px(34, 9),
            caption_px=px(26, 8),
            panel_px=px(27, 8),
            debug_px=px(22, 8),
            notice_px=px(24, 8),
            title_px=px(104, 12),
            idle_px=px(40, 9),
            message_px=px(52, 10),
            band_max_w=min(usable_w, max(round(0.42 * w), px(640))),
            panel_w=min(usable_w, px(600)),
        )
