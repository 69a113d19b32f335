"""The kiosk learns its own room: running per-synset statistics of its visitors' scores.

Why: a room's light and camera move every visitor's scores the same way (a warm cast, a
softer lens). A prior fitted elsewhere then favours the same few synsets for all of them, and
every visitor is "Communist". So each visitor's score vector (the mean over the crops their
label landed on) is added, once per visitor however long they stay, to a running mean and
variance per synset; the prior the labels use blends these with the shipped prior, weighted by
how many visitors the room has shown (`prior_weight` pseudo-visitors for the shipped one).

Only aggregate numbers are kept: a count and two float64 vectors of the model's class count.
No image, no per-visitor record. The file has a fixed size for a given model, so it cannot
hold an image, and nothing is written until it holds at least MIN_VISITORS visitors, so no
file ever describes one person. Format (little-endian): magic b"RKCAL\\0", u16 version,
u32 classes, u64 count, then classes x f64 means and classes x f64 sums of squared deviations
(Welford's M2).
"""

from __future__ import annotations

import logging
import os
import struct
import threading
from pathlib import Path

import numpy as np

from kiosk.classify.prior import ScorePrior

log = logging.getLogger(__name__)

MIN_VISITORS = 20
MAGIC = b"RKCAL\0"
VERSION = 1
_HEADER = struct.Struct("<6sHIQ")
FILE_NAME = "site-calibration.bin"


def file_size(classes: int) -> int:
    """The exact size in bytes of a calibration file for `classes` output classes."""
    return _HEADER.size + 2 * 8 * classes


def default_state_dir() -> Path:
    """systemd's StateDirectory= (/var/lib/roulette-kiosk) when run as the service, else
    $XDG_STATE_HOME/roulette-kiosk (~/.local/state/roulette-kiosk)."""
    if os.environ.get("STATE_DIRECTORY"):
        return Path(os.environ["STATE_DIRECTORY"].split(":")[0])
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "roulette-kiosk"


class CalibrationError(Exception):
    """A calibration file that cannot be read as one (the message names it)."""


class SiteCalibration:
    """Running mean and variance of visitors' score vectors; thread-safe."""

    def __init__(self, shipped: ScorePrior, path: Path | None, prior_weight: float = 200.0,
                 enabled: bool = True) -> None:
        if prior_weight <= 0:
            raise ValueError("prior_weight must be positive")
        self.shipped = shipped
        self.path = path
        self.prior_weight = float(prior_weight)
        self.enabled = enabled
        self._lock = threading.Lock()
        self.count = 0
        self._mean = np.zeros(shipped.classes)
        self._m2 = np.zeros(shipped.classes)
        self._blended: ScorePrior | None = None
        self.saved_count = 0

    # -- statistics --------------------------------------------------------------------------

    def add_visitor(self, scores: np.ndarray) -> None:
        """One visitor's score vector (raw, before the prior). Welford's update."""
        if not self.enabled:
            return
        x = np.asarray(scores, np.float64).reshape(-1)
        if x.shape != self._mean.shape or not np.isfinite(x).all():
            raise ValueError(f"visitor scores of shape {x.shape}, expected {self._mean.shape}")
        with self._lock:
            self.count += 1
            delta = x - self._mean
            self._mean += delta / self.count
            self._m2 += delta * (x - self._mean)
            self._blended = None

    def prior(self) -> ScorePrior:
        """The shipped prior blended with this room's visitors (a mixture of the two: its mean
        and variance, the shipped one counting `prior_weight` visitors)."""
        with self._lock:
            if self._blended is not None:
                return self._blended
            if not self.enabled or self.count == 0:
                self._blended = self.shipped
                return self.shipped
            w0, n = self.prior_weight, float(self.count)
            mu0, var0 = self.shipped.mean, self.shipped.sd ** 2
            var_site = self._m2 / n
            mean = (w0 * mu0 + n * self._mean) / (w0 + n)
            var = (w0 * var0 + n * var_site) / (w0 + n) \
                + w0 * n / (w0 + n) ** 2 * (mu0 - self._mean) ** 2
            self._blended = ScorePrior(mean, np.sqrt(np.maximum(var, 1e-12)))
            return self._blended

    def summary(self) -> dict[str, float]:
        with self._lock:
            n = self.count
            shift = float(np.mean(np.abs(self._mean - self.shipped.mean) / self.shipped.sd)) \
                if n else 0.0
        return {"visitors": n, "weight_of_room": round(n / (n + self.prior_weight), 3),
                "mean_shift_sd": round(shift, 3)}

    # -- the file ----------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        with self._lock:
            header = _HEADER.pack(MAGIC, VERSION, self.shipped.classes, self.count)
            return header + self._mean.astype("<f8").tobytes() + self._m2.astype("<f8").tobytes()

    def save(self) -> bool:
        """Write the file atomically if there is one to write and it holds >= MIN_VISITORS
        visitors (and more than when last saved). True when written."""
        if not self.enabled or self.path is None or self.count < MIN_VISITORS \
                or self.count == self.saved_count:
            return False
        data = self.to_bytes()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        self.saved_count = self.count
        return True

    def load(self) -> bool:
        """Read the file if there is one; CalibrationError if it is not a calibration file of
        this model. False when there is none (a new room)."""
        if self.path is None or not self.path.is_file() or not self.enabled:
            return False
        data = self.path.read_bytes()
        classes = self.shipped.classes
        if len(data) != file_size(classes):
            raise CalibrationError(f"{self.path}: {len(data)} bytes; a calibration file for "
                                   f"{classes} classes has {file_size(classes)}")
        magic, version, got, count = _HEADER.unpack_from(data)
        if magic != MAGIC or version != VERSION or got != classes:
            raise CalibrationError(f"{self.path}: not a version {VERSION} calibration file "
                                   f"for {classes} classes")
        body = np.frombuffer(data, "<f8", offset=_HEADER.size).reshape(2, classes)
        if not np.isfinite(body).all() or (body[1] < 0).any():
            raise CalibrationError(f"{self.path}: holds values that are not finite")
        with self._lock:
            self.count = int(count)
            self._mean = body[0].copy()
            self._m2 = body[1].copy()
            self._blended = None
        self.saved_count = self.count
        return True

    def reset(self) -> bool:
        """Forget the room: statistics cleared and the file removed. True if one was removed."""
        with self._lock:
            self.count = 0
            self._mean[:] = 0.0
            self._m2[:] = 0.0
            self._blended = None
        self.saved_count = 0
        if self.path is not None and self.path.is_file():
            self.path.unlink()
            return True
        return False
