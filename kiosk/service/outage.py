"""A state (the camera there or not) reported as failures, so it is counted like any other.

A camera that is gone raises nothing: its reads just return no frame. Metrics (and so the
health file, Prometheus and doctor) know components by their failures and successes, so an
outage is reported as one failure when it begins, one more each `every_s` while it lasts (so
`service.failing_after_s` and the streak count see it go on), and one success when it ends.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class SourceUnavailable(Exception):
    """The frame source delivered nothing for longer than the camera's read timeout."""


class Outage:
    """Feeds `update(ok)` once a frame into `on_error`/`on_success`, at most once a second."""

    def __init__(self, component: str, on_error: Callable[[str, BaseException], None],
                 on_success: Callable[[str], None], *, every_s: float = 1.0,
                 grace_s: float = 0.0, clock: Callable[[], float] = time.monotonic) -> None:
        """`grace_s`: nothing is reported for this long after creation (a camera opening)."""
        self.component = component
        self._on_error = on_error
        self._on_success = on_success
        self._every_s = every_s
        self._clock = clock
        self._down_since: float | None = None
        self._reported_at = 0.0
        self._quiet_until = clock() + grace_s

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def update(self, ok: bool, reason: str = "no frames") -> None:
        if ok:
            if self._down_since is not None:
                self._down_since = None
                self._on_success(self.component)
            return
        now = self._clock()
        if now < self._quiet_until:
            return
        if self._down_since is None:
            self._down_since = now
        elif now - self._reported_at < self._every_s:
            return
        self._reported_at = now
        self._on_error(self.component, SourceUnavailable(
            f"{reason} for {now - self._down_since:.0f} s"))
