"""Replace a small file atomically, so a reader (doctor, node_exporter) never sees half of it.

The new content goes to a temporary file in the same folder (a rename is atomic only within
one file system), gets its mode, and is then renamed over the old file. The temporary name
starts with a dot and ends in `.tmp`, so neither node_exporter (`*.prom`) nor a person
listing the folder mistakes it for the real file; it is removed if anything fails.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def replace_file(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write `data` to `path` atomically with `mode` (the process umask does not apply)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
