"""When the display draws next: as soon as there is something new to show, else at a steady rate.

A fixed 30 fps tick drew each camera frame up to one tick after it was read, and each label up
to one tick after the model had it (16 ms on average, 33 ms at worst, for nothing). The camera
reader calls `news()` instead, and `wait()` returns at once (never sooner than half a period
after the last draw, so a burst of frames cannot make the loop spin); the classification
worker calls `label_news()`, which waits an eighth of a period at most: a label is what the
visitor waits for, and half a period cost a newcomer's first label up to 17 ms; labels are a
handful a second, so they cannot make the loop spin either. With nothing new (idle screen, a
stalled camera) it redraws all the same, every 1.5 periods: a camera at the display rate then
never meets a redraw just before its frame.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# waits for the event at most `timeout` seconds; True if it is set (threading.Event.wait)
WaitFn = Callable[[threading.Event, float], bool]


def _wait(event: threading.Event, timeout: float) -> bool:
    return event.wait(timeout)


class DrawPacer:
    """Paces the display loop: at once for news, for camera frames at most at twice
    `target_fps` (labels sooner), and at least at two thirds of it. `clock`, `sleep` and
    `wait` are time's and the event's own unless a test hands in a clock it moves itself."""

    def __init__(self, target_fps: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, wait: WaitFn = _wait) -> None:
        if target_fps <= 0:
            raise ValueError(f"target_fps must be positive, not {target_fps}")
        self.period = 1.0 / target_fps
        self._clock = clock
        self._sleep = sleep
        self._wait = wait
        self._news = threading.Event()
        self._label = False  # the news includes a label
        self._last_draw = clock()

    def news(self) -> None:
        """Something new to show (a camera frame); safe from any thread."""
        self._news.set()

    def label_news(self) -> None:
        """A label to show: drawn an eighth of a period after the last draw at the soonest."""
        self._label = True
        self._news.set()

    def wait(self) -> bool:
        """Block until the next draw is due; True when news (not the period) ended the wait.
        Call once per drawn frame, after drawing. Periods count from the start of the last
        draw, so a slow draw is followed at once by the next and never by a catch-up burst."""
        due = self._last_draw + 1.5 * self.period
        woke = self._wait(self._news, max(0.0, due - self._clock()))
        if woke:
            floor = self.period / 8 if self._label else self.period / 2
            pause = self._last_draw + floor - self._clock()
            if pause > 0:
                self._sleep(pause)
        self._news.clear()  # what arrives from here on is drawn by the coming frame or the next
        self._label = False
        self._last_draw = self._clock()
        return woke
