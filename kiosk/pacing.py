"""When the display draws next: as soon as there is something new to show, else at a steady rate.

A fixed 30 fps tick drew each camera frame up to one tick after it was read, and each label up
to one tick after the model had it (16 ms on average, 33 ms at worst, for nothing). The camera
reader and the classification worker call `news()` instead; `wait()` returns at once on news
(never sooner than half a period after the last draw, so a burst of labels cannot make the
loop spin). With nothing new (idle screen, a stalled camera) it redraws all the same, every
1.5 periods: a camera at the display rate then never meets a redraw just before its frame.
"""

from __future__ import annotations

import threading
import time


class DrawPacer:
    """Paces the display loop: at once for news, at most at twice `target_fps`, and at least
    at two thirds of it."""

    def __init__(self, target_fps: float) -> None:
        if target_fps <= 0:
            raise ValueError(f"target_fps must be positive, not {target_fps}")
        self.period = 1.0 / target_fps
        self._news = threading.Event()
        self._last_draw = time.monotonic()

    def news(self) -> None:
        """Something new to show (a frame, a label); safe from any thread."""
        self._news.set()

    def wait(self) -> bool:
        """Block until the next draw is due; True when news (not the period) ended the wait.
        Call once per drawn frame, after drawing. Periods count from the start of the last
        draw, so a slow draw is followed at once by the next and never by a catch-up burst."""
        due = self._last_draw + 1.5 * self.period
        woke = self._news.wait(max(0.0, due - time.monotonic()))
        if woke:
            pause = self._last_draw + self.period / 2 - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        self._news.clear()  # what arrives from here on is drawn by the coming frame or the next
        self._last_draw = time.monotonic()
        return woke
