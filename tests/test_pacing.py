"""The display's pacing: a steady rate when nothing happens, at once when a frame or a label
arrives, never a spin. Real threads and real sleeps, with periods long enough for a busy CI."""

from __future__ import annotations

import threading
import time

import pytest

from kiosk.pacing import DrawPacer


def _news_after(pacer: DrawPacer, seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, pacer.news)
    timer.start()
    return timer


def test_with_nothing_new_it_waits_one_and_a_half_periods() -> None:
    pacer = DrawPacer(target_fps=4.0)  # 250 ms: a redraw every 375 ms
    pacer.wait()
    started = time.monotonic()
    woke = pacer.wait()
    assert not woke
    assert 0.33 <= time.monotonic() - started < 0.6


def test_news_ends_the_wait_at_once() -> None:
    pacer = DrawPacer(target_fps=1.0)  # 1 s; news after 0.6 s, past the half-period floor
    pacer.wait()
    started = time.monotonic()
    timer = _news_after(pacer, 0.6)
    woke = pacer.wait()
    timer.join()
    assert woke
    assert 0.55 <= time.monotonic() - started < 0.9


def test_a_burst_of_news_is_drawn_at_most_twice_the_rate() -> None:
    pacer = DrawPacer(target_fps=2.0)  # 500 ms, so at most one draw every 250 ms
    pacer.wait()
    started = time.monotonic()
    for _ in range(3):
        pacer.news()
        assert pacer.wait()
    assert time.monotonic() - started >= 0.7


def test_news_that_arrives_while_drawing_is_not_lost() -> None:
    pacer = DrawPacer(target_fps=1.0)
    pacer.wait()
    pacer.news()  # e.g. a label posted while the frame was being drawn
    time.sleep(0.6)  # the draw, slower than half a period
    started = time.monotonic()
    assert pacer.wait()
    assert time.monotonic() - started < 0.2


def test_a_slow_draw_is_followed_at_once_without_catch_up() -> None:
    pacer = DrawPacer(target_fps=10.0)  # 100 ms: a redraw every 150 ms with nothing new
    pacer.wait()
    time.sleep(0.35)  # a draw that took three and a half periods
    started = time.monotonic()
    pacer.wait()
    assert time.monotonic() - started < 0.05
    started = time.monotonic()
    pacer.wait()  # the next one waits its whole time again, not zero to catch up
    assert time.monotonic() - started >= 0.12


def test_a_rate_of_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="target_fps"):
        DrawPacer(0)


def test_a_label_is_drawn_sooner_than_a_frame_after_the_last_draw() -> None:
    """A newcomer's label waits an eighth of a period, a camera frame half of one."""
    pacer = DrawPacer(target_fps=1.0)  # 1 s: a frame waits 500 ms after a draw, a label 125
    pacer.wait()
    started = time.monotonic()
    pacer.label_news()
    assert pacer.wait()
    assert 0.1 <= time.monotonic() - started < 0.3
    started = time.monotonic()
    pacer.news()
    assert pacer.wait()
    assert time.monotonic() - started >= 0.45
