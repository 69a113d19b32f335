"""Opening hours as systemd reads them: calendar expressions checked and stepped through by
`systemd-analyze calendar`, so the kiosk never parses systemd's calendar syntax itself.

"Open now" needs no history: the kiosk is open when the next event is a closing (the next
closing comes before the next opening), closed when it is an opening. That is what the boot
check (roulette-kiosk-open.service's ExecCondition) asks, so a machine rebooted at night
stays dark and one rebooted at noon comes back.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from kiosk.config import HoursConfig

# "Next elapse: Thu 2026-12-03 10:00:00 UTC", or with a local zone a "(in UTC): ..." line after it
_ELAPSE = re.compile(r"^\s*(Next elapse|\(in UTC\)): (.*)$")
_UTC = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC$")


class CalendarError(Exception):
    """An expression systemd does not accept, or systemd-analyze missing."""


def _analyze(*args: str) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        raise CalendarError("systemd-analyze not found (Debian: apt-get install systemd)")
    env = dict(os.environ, LC_ALL="C", SYSTEMD_COLORS="0", SYSTEMD_PAGER="")
    return subprocess.run([tool, "calendar", *args], capture_output=True, text=True,
                          timeout=30, env=env, check=False)


def calendar_problems(key: str, expressions: Sequence[str]) -> list[str]:
    """One message per expression that `systemd-analyze calendar` rejects, naming the key."""
    problems = []
    for expression in expressions:
        result = _analyze(expression)
        if result.returncode != 0:
            why = (result.stderr.strip().splitlines() or ["rejected"])[-1]
            problems.append(f"{key}: {expression!r} is not a systemd calendar expression ({why})")
    return problems


def next_elapse(expressions: Sequence[str], after: float) -> float | None:
    """The first time (Unix seconds) strictly after `after` that any expression elapses."""
    if not expressions:
        return None
    result = _analyze("--iterations=1", f"--base-time=@{int(after)}", *expressions)
    if result.returncode != 0:
        raise CalendarError(result.stderr.strip() or f"systemd-analyze calendar {expressions}")
    times = []
    for block in result.stdout.split("Original form:")[1:]:
        lines = dict(m.groups() for m in map(_ELAPSE.match, block.splitlines()) if m)
        match = _UTC.search((lines.get("(in UTC)") or lines.get("Next elapse", "")).strip())
        if match:  # "never" has no time: that expression does not elapse again
            stamp = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S")
            times.append(stamp.replace(tzinfo=UTC).timestamp())
    return min(times) if times else None


def is_open(hours: HoursConfig, at: float | None = None) -> bool:
    """Whether `at` (default: now) lies within opening hours; always True without hours."""
    if not hours.enabled:
        return True
    at = time.time() if at is None else at
    next_open, next_close = next_elapse(hours.open, at), next_elapse(hours.close, at)
    if next_close is None:
        return False  # never closes again: the hours are over (one-off dates in the past)
    return next_open is None or next_close < next_open
