"""Word wrapping, the LRU and band placement: pure pieces of the renderer."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import pygame  # noqa: E402
import pytest  # noqa: E402

from kiosk.plain_text import ELLIPSIS, clean_text  # noqa: E402
from kiosk.render.layout import band_candidates, clamp_rect, place_rect  # noqa: E402
from kiosk.render.lru import LRU  # noqa: E402
from kiosk.render.text import FontBook, TextCache  # noqa: E402

CRUMB = (
    "person, individual, someone, somebody, mortal, soul > bad person > "
    "wrongdoer, offender > convict > first offender"
)


@pytest.fixture(scope="module")
def tc() -> TextCache:
    return TextCache(FontBook(None), maxsize=64)


def test_wrap_fits_width_and_keeps_words(tc: TextCache) -> None:
    lines = tc.wrap(CRUMB, 30, 500, 4)
    assert len(lines) > 1
    assert all(tc.width(line, 30) <= 500 for line in lines)
    assert " ".join(lines).split() == CRUMB.split()
    # ">" ends a line rather than starting the next one.
    assert not any(line.startswith(">") for line in lines)


def test_wrap_balanced_is_no_longer_and_narrower(tc: TextCache) -> None:
    plain = tc.wrap(CRUMB, 30, 800, 4)
    balanced = tc.wrap(CRUMB, 30, 800, 4, balance=True)
    assert len(balanced) == len(plain)
    widest = max(tc.width(line, 30) for line in balanced)
    assert widest <= max(tc.width(line, 30) for line in plain)


def test_wrap_truncates_with_ellipsis_and_splits_long_words(tc: TextCache) -> None:
    lines = tc.wrap("word " * 200, 30, 300, 2)
    assert len(lines) == 2 and lines[-1].endswith(ELLIPSIS)
    assert all(tc.width(line, 30) <= 300 for line in lines)
    long = tc.wrap("x" * 500, 30, 120, 3)
    assert len(long) == 3 and all(tc.width(line, 30) <= 120 for line in long)
    assert tc.wrap("", 30, 100, 2) == ("",)
    assert tc.wrap("abc", 30, 1, 2)  # narrower than a letter: still terminates


def test_clean_text() -> None:
    assert clean_text("a\x00b\nc\td") == "a b c d"
    assert clean_text(None) == ""
    assert len(clean_text("z" * 5000)) <= 600
    assert clean_text("\ud800x")  # lone surrogate does not break encoding


def test_text_cache_is_bounded_and_reused(tc: TextCache) -> None:
    a = tc.render("hello", 30, (0, 255, 0))
    assert tc.render("hello", 30, (0, 255, 0)) is a
    for i in range(200):
        tc.render(f"t{i}", 30, (0, 255, 0))
    assert len(tc) <= 64


def test_lru_evicts_oldest() -> None:
    lru: LRU[int] = LRU(2)
    lru.get_or_make("a", lambda: 1)
    lru.get_or_make("b", lambda: 2)
    lru.get_or_make("a", lambda: 99)  # hit: "a" becomes newest
    lru.get_or_make("c", lambda: 3)
    assert "a" in lru and "c" in lru and "b" not in lru
    with pytest.raises(ValueError):
        LRU(0)


def test_missing_font_falls_back(caplog: pytest.LogCaptureFixture, tmp_path) -> None:
    with caplog.at_level("WARNING"):
        book = FontBook(tmp_path / "nope.ttf")
    assert book.font_path is None
    assert "not found" in caplog.text
    assert 40 <= book.font(48).get_linesize() <= 56


SCREEN = pygame.Rect(0, 0, 1920, 1080)


def test_clamp_rect_keeps_on_screen() -> None:
    for x, y in [(-500, -500), (1900, 1000), (5000, 5000), (100, 100)]:
        r = clamp_rect(pygame.Rect(x, y, 400, 200), SCREEN, 24)
        assert SCREEN.inflate(-48, -48).contains(r)
    huge = clamp_rect(pygame.Rect(50, 50, 3000, 2000), SCREEN, 24)
    assert huge.topleft == (0, 0)


def test_band_goes_below_else_above_the_box() -> None:
    box = pygame.Rect(800, 200, 200, 200)
    size = (400, 150)
    r = place_rect(size, band_candidates(box, size), SCREEN, anchor=box, obstacles=[box])
    assert r.topleft == (800, 400)
    low = pygame.Rect(800, 850, 200, 200)
    r = place_rect(size, band_candidates(low, size), SCREEN, anchor=low, obstacles=[low])
    assert r.bottom == low.top and SCREEN.contains(r)


def test_bands_avoid_each_other() -> None:
    size = (500, 150)
    a_box, b_box = pygame.Rect(300, 100, 200, 200), pygame.Rect(600, 120, 200, 200)
    placed: list[pygame.Rect] = []
    for box in (a_box, b_box):
        r = place_rect(
            size, band_candidates(box, size), SCREEN, placed, [a_box, b_box], 24, 10, box
        )
        placed.append(r)
    assert not placed[0].colliderect(placed[1])
    assert all(SCREEN.contains(r) for r in placed)
