"""The display's pacing: a steady rate when nothing happens, at once when a frame or a label
arrives, never a spin. On a clock the test moves itself (no sleeps), and one test with a real
thread posting news across threads."""

from __future__ import annotations

import threading

import pytest

from kiosk.pacing import DrawPacer


class _Time:
    """A clock, a sleep and an event wait on time the test owns: news can be posted for a
    moment in the future, and a wait that reaches that moment is woken by it."""

    def __init__(self) -> None:
        self.t = 100.0
        self._news: list[tuple[float, object]] = []

    def clock(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += max(0.0, seconds)

    def news_after(self, seconds: float, post) -> None:  # noqa: ANN001 - pacer.news
        self._news.append((self.t + seconds, post))

    def wait(self, event: threading.Event, timeout: float) -> bool:
        if event.is_set():
            return True
        end = self.t + timeout
        due = sorted((at, i) for i, (at, _) in enumerate(self._news) if at <= end)
        if due:
            at, i = due[0]
            _, post = self._news.pop(i)
            self.t = max(self.t, at)
            post()
            return True
        self.t = end
        return False

    def pacer(self, target_fps: float) -> DrawPacer:
        return DrawPacer(target_fps, clock=self.clock, sleep=self.sleep, wait=self.wait)


def test_with_nothing_new_it_waits_one_and_a_half_periods() -> None:
    time = _Time()
    pacer = time.pacer(target_fps=4.0)  # 250 ms: a redraw every 375 ms
    pacer.wait()
    started = time.t
    assert not pacer.wait()
    assert time.t - started == pytest.approx(0.375)


def test_news_ends_the_wait_at_once() -> None:
    time = _Time()
    pacer = time.pacer(target_fps=1.0)  # 1 s; news after 0.6 s, past the half-period floor
    pacer.wait()
    started = time.t
    time.news_after(0.6, pacer.news)
    assert pacer.wait()
    assert time.t - started == pytest.approx(0.6)


def test_a_burst_of_news_is_drawn_at_most_twice_the_rate() -> None:
    time = _Time()
    pacer = time.pacer(target_fps=2.0)  # 500 ms, so at most one draw every 250 ms
    pacer.wait()
    started = time.t
    for _ in range(3):
        pacer.news()
        assert pacer.wait()
    assert time.t - started == pytest.approx(0.75)


def test_news_that_arrives_while_drawing_is_not_lost() -> None:
    time = _Time()
    pacer = time.pacer(target_fps=1.0)
    pacer.wait()
    pacer.news()  # e.g. a label posted while the frame was being drawn
    time.sleep(0.6)  # the draw, slower than half a period
    started = time.t
    assert pacer.wait()
    assert time.t == started  # drawn at once


def test_a_slow_draw_is_followed_at_once_without_catch_up() -> None:
    time = _Time()
    pacer = time.pacer(target_fps=10.0)  # 100 ms: a redraw every 150 ms with nothing new
    pacer.wait()
    time.sleep(0.35)  # a draw that took three and a half periods
    started = time.t
    pacer.wait()
    assert time.t == started
    pacer.wait()  # the next one waits its whole time again, not zero to catch up
    assert time.t - started == pytest.approx(0.15)


def test_a_rate_of_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="target_fps"):
        DrawPacer(0)


def test_a_label_is_drawn_sooner_than_a_frame_after_the_last_draw() -> None:
    """A newcomer's label waits an eighth of a period, a camera frame half of one."""
    time = _Time()
    pacer = time.pacer(target_fps=1.0)  # 1 s: a frame waits 500 ms after a draw, a label 125
    pacer.wait()
    started = time.t
    pacer.label_news()
    assert pacer.wait()
    assert time.t - started == pytest.approx(0.125)
    started = time.t
    pacer.news()
    assert pacer.wait()
    assert time.t - started == pytest.approx(0.5)


def test_news_from_another_thread_wakes_a_real_wait() -> None:
    """Real time and a real thread: the reader's news ends the wait (True), not the period."""
    pacer = DrawPacer(target_fps=1.0)  # a redraw 1.5 s after the last with nothing new
    timer = threading.Timer(0.05, pacer.news)
    timer.start()
    try:
        assert pacer.wait()
    finally:
        timer.join()
