"""Where a source-frame pixel lands on the screen: rotation, mirror and fit, nothing else.

The order is fixed and documented because the image and the boxes must agree:

1. rotate the source clockwise by `rotation` degrees (0, 90, 180 or 270), so a camera mounted
   on its side, or a screen hung upside down, shows people upright;
2. mirror left-right *as the visitor sees it* (after rotating), as a mirror would;
3. fit the result to the screen: "contain" scales it to fit whole, centred, with black bars
   (letterbox), "cover" scales it to fill the screen, centred, cropping what spills over.

Coordinates are continuous pixel coordinates: a source box (x0, y0, x1, y1) covers
[x0, x1) x [y0, y1), so the source frame is the box (0, 0, W, H).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from kiosk.views import Box

Fit = Literal["contain", "cover"]
ROTATIONS = (0, 90, 180, 270)


def oriented_size(width: int, height: int, rotation: int) -> tuple[int, int]:
    """Size of a width x height frame after rotating it clockwise by `rotation`."""
    return (height, width) if rotation in (90, 270) else (width, height)


def orient_point(
    x: float, y: float, width: float, height: float, rotation: int, mirror: bool
) -> tuple[float, float]:
    """Map a point of a width x height source to the rotated-then-mirrored frame."""
    if rotation == 0:
        u, v, ow = x, y, width
    elif rotation == 90:
        u, v, ow = height - y, x, height
    elif rotation == 180:
        u, v, ow = width - x, height - y, width
    elif rotation == 270:
        u, v, ow = y, width - x, height
    else:
        raise ValueError(f"rotation must be one of {ROTATIONS}, got {rotation!r}")
    if mirror:
        u = ow - u
    return u, v


@dataclass(frozen=True)
class ScreenMapping:
    """Maps source-frame coordinates to screen coordinates (see the module docstring)."""

    src_size: tuple[int, int]  # (width, height) of the frame as it arrives
    screen_size: tuple[int, int]  # (width, height) of the surface drawn on
    rotation: int = 0
    mirror: bool = False
    fit: Fit = "contain"

    def __post_init__(self) -> None:
        if self.rotation not in ROTATIONS:
            raise ValueError(f"rotation must be one of {ROTATIONS}, got {self.rotation!r}")
        if self.fit not in ("contain", "cover"):
            raise ValueError(f"fit must be 'contain' or 'cover', got {self.fit!r}")
        # Degenerate sizes are clamped to one pixel, so the mapping is always defined.
        sw, sh = (max(1, int(v)) for v in self.src_size)
        dw, dh = (max(1, int(v)) for v in self.screen_size)
        object.__setattr__(self, "src_size", (sw, sh))
        object.__setattr__(self, "screen_size", (dw, dh))

    @property
    def oriented_size(self) -> tuple[int, int]:
        """Size of the source after rotation (mirroring keeps the size)."""
        return oriented_size(*self.src_size, self.rotation)

    @property
    def scale(self) -> float:
        ow, oh = self.oriented_size
        sw, sh = self.screen_size
        pick = min if self.fit == "contain" else max
        return pick(sw / ow, sh / oh)

    @property
    def image_rect(self) -> tuple[int, int, int, int]:
        """(x, y, w, h) of the whole fitted image on the screen, in whole pixels.

        With "cover" it is larger than the screen and x or y is negative.
        """
        ow, oh = self.oriented_size
        sw, sh = self.screen_size
        s = self.scale
        w = max(1, round(ow * s))
        h = max(1, round(oh * s))
        # "contain" must never spill over by a rounding error.
        if self.fit == "contain":
            w, h = min(w, sw), min(h, sh)
        return (sw - w) // 2, (sh - h) // 2, w, h

    def map_point(self, x: float, y: float) -> tuple[float, float]:
        """Screen position of source point (x, y)."""
        sw_, sh_ = self.src_size
        u, v = orient_point(x, y, sw_, sh_, self.rotation, self.mirror)
        ow, oh = self.oriented_size
        ix, iy, iw, ih = self.image_rect
        # Per-axis scale of the image actually drawn, so boxes sit on the drawn pixels.
        return ix + u * (iw / ow), iy + v * (ih / oh)

    def map_box(self, box: Box) -> Box:
        """The screen box covering source `box` (corners reordered; may lie off-screen)."""
        ax, ay = self.map_point(box.x0, box.y0)
        bx, by = self.map_point(box.x1, box.y1)
        return Box(min(ax, bx), min(ay, by), max(ax, bx), max(ay, by))

    def visible_image_box(self) -> Box:
        """The part of the screen the image covers (the screen itself with "cover")."""
        ix, iy, iw, ih = self.image_rect
        sw, sh = self.screen_size
        return Box(max(0, ix), max(0, iy), min(sw, ix + iw), min(sh, iy + ih))


def map_box(
    box: Box,
    src_size: tuple[int, int],
    screen_size: tuple[int, int],
    rotation: int = 0,
    mirror: bool = False,
    fit: Fit = "contain",
) -> Box:
    """Functional shorthand for `ScreenMapping(...).map_box(box)`."""
    return ScreenMapping(src_size, screen_size, rotation, mirror, fit).map_box(box)


def box_is_finite(box: Box) -> bool:
    return all(math.isfinite(v) for v in (box.x0, box.y0, box.x1, box.y1))
