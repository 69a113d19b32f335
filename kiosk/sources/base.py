"""The one interface every frame source implements, and the frame value it yields."""

from __future__ import annotations

import abc
from dataclasses import dataclass

import numpy as np


class SourceError(Exception):
    """A source that cannot be opened or read, worded for a technician."""


@dataclass(frozen=True)
class Frame:
    """One RGB uint8 image (H, W, 3) with a monotonically increasing index and capture time."""

    index: int
    image: np.ndarray
    timestamp: float


def validate_image(image: object) -> np.ndarray | None:
    """Return a contiguous RGB uint8 (H, W, 3) array, or None for a corrupt or empty frame.

    Cameras and decoders occasionally hand back empty, truncated, grey or 4-channel buffers;
    the pipeline must see only well-formed frames, so this is the single gate they pass.
    """
    if not isinstance(image, np.ndarray) or image.size == 0 or image.dtype != np.uint8:
        return None
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    if image.ndim != 3 or image.shape[0] < 2 or image.shape[1] < 2:
        return None
    if image.shape[2] == 4:
        image = image[:, :, :3]
    if image.shape[2] != 3:
        return None
    return np.ascontiguousarray(image)


def mirror_for(setting: bool | str, source: FrameSource) -> bool:
    """`display.mirror` resolved for this source: `auto` mirrors only a live camera."""
    return mirrors(setting, live=source.live)


def mirrors(setting: bool | str, *, live: bool) -> bool:
    """`display.mirror` resolved for a source that is (or stands in for) a live camera or not."""
    if setting == "auto":
        return bool(live)
    return bool(setting)


class FrameSource(abc.ABC):
    """A producer of RGB frames. `read()` blocks at most about one frame interval.

    `read()` returns None when no frame is available right now (a hiccup or a camera that
    vanished); sources that can come back (cameras) reopen themselves on later reads.
    """

    name: str = "source"
    live: bool = False  # a camera: frames come at the device's pace and can disappear

    @property
    @abc.abstractmethod
    def fps(self) -> float:
        """Nominal frame rate, used to pace non-live sources."""

    @abc.abstractmethod
    def read(self) -> np.ndarray | None:
        """The next RGB frame, or None if none is available now."""

    @property
    def available(self) -> bool:
        """False while a live source is disconnected."""
        return True

    def camera_mode(self) -> dict[str, object] | None:
        """A camera's negotiated format, size and measured rate (None for other sources)."""
        return None

    def close(self) -> None:  # noqa: B027 - most sources hold nothing to release
        """Release the device or file."""

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
