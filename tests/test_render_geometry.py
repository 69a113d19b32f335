"""The pure source-to-screen mapping: all rotations x mirror, fit modes, and agreement with
the way the image itself is rotated and mirrored."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from kiosk.render.geometry import ScreenMapping, map_box, orient_point, oriented_size
from kiosk.render.image import orient_array
from kiosk.views import Box

W, H = 100, 50

# Source point (10, 5) on a 100x50 frame, by (rotation, mirror), computed by hand:
# rotate clockwise first, then mirror left-right as seen on screen.
EXPECTED = {
    (0, False): (10, 5),
    (0, True): (90, 5),
    (90, False): (45, 10),
    (90, True): (5, 10),
    (180, False): (90, 45),
    (180, True): (10, 45),
    (270, False): (5, 90),
    (270, True): (45, 90),
}


@pytest.mark.parametrize(("rotation", "mirror"), list(EXPECTED))
def test_point_all_rotations_and_mirror(rotation: int, mirror: bool) -> None:
    screen = oriented_size(W, H, rotation)  # scale 1, no bars
    m = ScreenMapping((W, H), screen, rotation, mirror)
    assert m.image_rect == (0, 0, *screen)
    assert m.map_point(10, 5) == pytest.approx(EXPECTED[(rotation, mirror)])


@pytest.mark.parametrize(("rotation", "mirror"), list(EXPECTED))
def test_box_all_rotations_and_mirror(rotation: int, mirror: bool) -> None:
    screen = oriented_size(W, H, rotation)
    box = Box(10, 5, 30, 15)
    got = map_box(box, (W, H), screen, rotation, mirror)
    # The mapped box is the bounding box of the mapped corners, well ordered.
    corners = [orient_point(x, y, W, H, rotation, mirror) for x in (10, 30) for y in (5, 15)]
    xs, ys = zip(*corners, strict=True)
    assert (got.x0, got.y0, got.x1, got.y1) == pytest.approx((min(xs), min(ys), max(xs), max(ys)))
    assert got.width == pytest.approx(20 if rotation in (0, 180) else 10)
    assert got.height == pytest.approx(10 if rotation in (0, 180) else 20)
    assert got.x0 < got.x1 and got.y0 < got.y1


@pytest.mark.parametrize(("rotation", "mirror"), list(itertools.product((0, 90, 180, 270), (0, 1))))
def test_mapping_agrees_with_image_orientation(rotation: int, mirror: int) -> None:
    """A marked source pixel lands, in the oriented image, where map_point says."""
    frame = np.zeros((H, W, 3), np.uint8)
    frame[7, 23] = (255, 0, 0)  # pixel x=23, y=7
    oriented = orient_array(frame, rotation, bool(mirror))
    m = ScreenMapping((W, H), (oriented.shape[1], oriented.shape[0]), rotation, bool(mirror))
    x, y = m.map_point(23.5, 7.5)  # pixel centre
    assert tuple(oriented[int(y), int(x)]) == (255, 0, 0)


def test_contain_letterboxes_and_scales() -> None:
    m = ScreenMapping((1280, 720), (1920, 1080))
    assert m.image_rect == (0, 0, 1920, 1080)
    assert m.map_point(640, 360) == pytest.approx((960, 540))
    square = ScreenMapping((512, 512), (1920, 1080))
    assert square.image_rect == (420, 0, 1080, 1080)  # black bars left and right
    assert square.map_point(0, 0) == pytest.approx((420, 0))
    assert square.map_point(512, 512) == pytest.approx((1500, 1080))
    portrait = ScreenMapping((1280, 720), (1920, 1080), rotation=90)
    x, y, w, h = portrait.image_rect
    assert (w, h) == (608, 1080) and x == (1920 - 608) // 2 and y == 0


def test_cover_fills_and_crops() -> None:
    m = ScreenMapping((640, 480), (1920, 1080), fit="cover")
    x, y, w, h = m.image_rect
    assert (w, h) == (1920, 1440) and x == 0 and y == -180
    assert m.map_point(320, 240) == pytest.approx((960, 540))
    assert m.visible_image_box() == Box(0, 0, 1920, 1080)


def test_degenerate_sizes_and_bad_arguments() -> None:
    m = ScreenMapping((0, 0), (0, 5))
    assert m.src_size == (1, 1) and m.screen_size == (1, 5)
    with pytest.raises(ValueError):
        ScreenMapping((10, 10), (10, 10), rotation=45)
    with pytest.raises(ValueError):
        ScreenMapping((10, 10), (10, 10), fit="stretch")  # type: ignore[arg-type]
    # A reversed box comes back well ordered.
    b = map_box(Box(30, 15, 10, 5), (W, H), (W, H))
    assert (b.x0, b.y0, b.x1, b.y1) == (10, 5, 30, 15)
