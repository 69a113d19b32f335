"""What every doctor check returns, and the small helpers several checks share."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Status = Literal["OK", "WARN", "FAIL", "INFO"]


@dataclass(frozen=True)
class Check:
    status: Status
    name: str
    detail: str


@contextlib.contextmanager
def quiet_stderr() -> Iterator[list[str]]:
    """Keep native libraries' start-up chatter (MediaPipe, onnxruntime) off the screen.

    File descriptor 2 goes to a temporary file; its text is yielded (filled in on exit) so a
    failing check can still show it.
    """
    captured: list[str] = []
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield captured
        return
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield captured
        finally:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            captured.append(tmp.read().decode(errors="replace"))


def file_size(path: Path) -> str:
    n = float(path.stat().st_size)
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return ""
