"""The installer's capture option: annotated frames as PNG files, off by default.

Privacy guarantee: with `capture.enabled: false` (the default) this module never touches the
disk; `maybe_save` returns at its first line. When an installer enables it (to make
exhibition photos), files are written only inside `capture.folder`, under names this module
makes (no path from elsewhere ever reaches `open`), at most one automatic capture per
`capture.interval_s`, and never more than `capture.max_files` files in the folder: capturing
stops with a warning rather than deleting anything or filling the disk.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.config import CaptureConfig

log = logging.getLogger(__name__)

PREFIX = "capture-"
FORCE_MIN_GAP_S = 1.0  # key C held down or pressed repeatedly: at most one file a second


def _to_rgb(image: Any) -> np.ndarray:
    """A pygame Surface or an array (H, W[, 3|4]) as contiguous RGB uint8 (H, W, 3)."""
    if hasattr(image, "get_size") and hasattr(image, "get_bitsize"):
        import pygame

        array = pygame.surfarray.array3d(image).swapaxes(0, 1)  # (W, H, 3) -> (H, W, 3)
    else:
        array = np.asarray(image)
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    if (
        array.ndim != 3
        or array.shape[2] not in (3, 4)
        or array.shape[0] == 0
        or (array.shape[1] == 0)
    ):
        raise ValueError(f"cannot capture an image of shape {array.shape}")
    if array.dtype != np.uint8:
        raise ValueError(f"cannot capture an image of dtype {array.dtype} (uint8 expected)")
    return np.ascontiguousarray(array[:, :, :3])


def _encode_png(rgb: np.ndarray) -> bytes:
    import cv2

    ok, buf = cv2.imencode(".png", np.ascontiguousarray(rgb[:, :, ::-1]))  # OpenCV wants BGR
    if not ok:
        raise ValueError("PNG encoding failed")
    return buf.tobytes()


class Capture:
    """Writes a PNG of the screen now and then, only when the installer enabled it."""

    def __init__(self, config: CaptureConfig, wall_clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self._wall_clock = wall_clock
        self._last_auto: float | None = None
        self._last_any: float | None = None
        self._count: int | None = None  # files in the folder, counted at the first save
        self._full_warned = False

    @property
    def enabled(self) -> bool:
        return self.config.enabled and self.config.folder is not None

    @property
    def folder(self) -> Path | None:
        return self.config.folder if self.enabled else None

    def maybe_save(self, image: Any, now: float, force: bool = False) -> Path | None:
        """Save `image` (pygame Surface or RGB array) if enabled and due; the path or None.

        `now` is a monotonic time. Automatic captures come at most every `interval_s`;
        `force=True` (key C) ignores that interval but not a one-second minimum gap.
        Never raises: a full disk or a bad frame is logged and the display goes on.
        """
        if not self.enabled:
            return None  # the default: nothing derived from a visitor's image is written
        if self._last_any is not None and now - self._last_any < FORCE_MIN_GAP_S:
            return None
        if (
            not force
            and self._last_auto is not None
            and (now - self._last_auto < self.config.interval_s)
        ):
            return None
        try:
            path = self._save(image)
        except Exception as exc:  # the display must go on
            log.warning("capture failed: %s", exc)
            path = None
        self._last_any = now
        if not force:
            self._last_auto = now
        return path

    def _save(self, image: Any) -> Path | None:
        folder = self.config.folder
        assert folder is not None
        folder.mkdir(parents=True, exist_ok=True, mode=0o750)
        if self._count is None:
            self._count = sum(1 for _ in folder.glob(PREFIX + "*.png"))
        if self._count >= self.config.max_files:
            if not self._full_warned:
                log.warning(
                    "capture stopped: %s holds %d captures (capture.max_files); move them away",
                    folder,
                    self._count,
                )
                self._full_warned = True
            return None
        data = _encode_png(_to_rgb(image))
        wall = self._wall_clock()
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(wall))
        base = f"{PREFIX}{stamp}-{int(wall * 1000) % 1000:03d}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        flags |= getattr(os, "O_CLOEXEC", 0)
        for attempt in range(100):
            name = base + (f"-{attempt}" if attempt else "") + ".png"
            path = folder / name
            if path.parent != folder:  # names are ours, but never write outside the folder
                raise ValueError(f"refusing to write outside {folder}")
            try:
                fd = os.open(path, flags, 0o640)
            except FileExistsError:
                continue
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
            except BaseException:
                path.unlink(missing_ok=True)
                raise
            self._count += 1
            log.info("captured %s", path)
            return path
        raise FileExistsError(f"no free capture name for {base} in {folder}")
