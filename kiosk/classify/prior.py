"""The face prior: each synset's score standardised by its mean and spread over real faces.

Why: a face crop looks like the same few ImageNet-1k things (a suit, a wig, a trumpet
player's cheeks), so the raw scores favour the same few synsets for everybody. A synset wins
when THIS face is unusually close to it: `(score - mean) / sd`, per synset, with the mean and sd
measured over many faces. The model file outputs the raw scores; the prior lives beside it in
`prior.npy` (shipped, fitted on colour faces by scripts/modelbuild/fit_prior.py) and can be
blended with what a kiosk learns of its own room (calibration.py) without rebuilding the ONNX
file.

File format: a NumPy .npy array, float32, shape (2, C): row 0 the means, row 1 the standard
deviations, columns in the model's output_wnids order. Deterministic bytes for equal values.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kiosk.classify.errors import ModelError


@dataclass(frozen=True)
class ScorePrior:
    """Per-synset mean and standard deviation of the raw scores over reference faces."""

    mean: np.ndarray  # (C,) float64
    sd: np.ndarray  # (C,) float64, > 0

    def __post_init__(self) -> None:
        mean = np.asarray(self.mean, np.float64)
        sd = np.asarray(self.sd, np.float64)
        if mean.ndim != 1 or mean.shape != sd.shape:
            raise ValueError(f"prior mean {mean.shape} and sd {sd.shape} must be (C,)")
        if not (np.isfinite(mean).all() and np.isfinite(sd).all() and (sd > 0).all()):
            raise ValueError("prior mean and sd must be finite, sd positive")
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "sd", sd)

    @property
    def classes(self) -> int:
        return int(self.mean.shape[0])

    def standardise(self, scores: np.ndarray) -> np.ndarray:
        """(…, C) raw scores -> z-scores, float32."""
        return ((np.asarray(scores, np.float64) - self.mean) / self.sd).astype(np.float32)

    def probabilities(self, scores: np.ndarray, logit_scale: float) -> np.ndarray:
        """(…, C) raw scores -> probabilities over the classes (float64): a softmax of the
        z-scores times the model's logit scale. The one place scores become probabilities."""
        z = np.asarray(self.standardise(scores) * logit_scale, np.float64)
        z = z - z.max(axis=-1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)

    @classmethod
    def fit(cls, scores: np.ndarray, sd_floor: float = 1e-4) -> ScorePrior:
        """The prior of (N, C) raw scores, one row per reference face."""
        scores = np.asarray(scores, np.float64)
        if scores.ndim != 2 or scores.shape[0] < 2:
            raise ValueError("a prior needs (N >= 2, C) scores")
        return cls(scores.mean(axis=0), scores.std(axis=0) + sd_floor)

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.save(buf, np.stack([self.mean, self.sd]).astype(np.float32), allow_pickle=False)
        return buf.getvalue()

    def save(self, path: Path) -> None:
        Path(path).write_bytes(self.to_bytes())


def load_prior(path: Path, classes: int) -> ScorePrior:
    """Read prior.npy; ModelError naming the file when it is missing, unreadable or of the
    wrong shape."""
    path = Path(path)
    try:
        arr = np.load(path, allow_pickle=False)
    except FileNotFoundError as exc:
        raise ModelError(path, "prior file not found (named by manifest.json)") from exc
    except (OSError, ValueError) as exc:
        raise ModelError(path, f"prior file unreadable: {exc}") from exc
    if arr.shape != (2, classes):
        raise ModelError(path, f"prior has shape {list(arr.shape)}; expected [2, {classes}] "
                         "(mean and sd of each output class)")
    try:
        return ScorePrior(arr[0], arr[1])
    except ValueError as exc:
        raise ModelError(path, str(exc)) from exc
