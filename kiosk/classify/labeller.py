"""Turns the model's scores into the labels visitors read.

The classifier knows wnids and numbers; the prior (shipped, or blended with what this room has
taught the kiosk: calibration.py) knows what is unusual for a face; the taxonomy knows names,
glosses and breadcrumbs; the vocabulary knows what the installer allows. This is where they
meet. A visitor's label comes from several crops: `look()` scores each crop (on a worker
thread), and `label_scores()` labels their mean (on the display thread, ~0.1 ms).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from kiosk.labels.band import band_glosses
from kiosk.views import Label

if TYPE_CHECKING:
    from kiosk.classify.classifier import PersonClassifier
    from kiosk.classify.prior import ScorePrior
    from kiosk.labels.taxonomy import Taxonomy
    from kiosk.labels.translation import Translations
    from kiosk.labels.vocabulary import Vocabulary

EVIDENCE_K = 3  # ImageNet-1k classes named in the "why" panel
EVIDENCE_MIN = 0.02  # ...each at least this probable


@dataclass(frozen=True)
class CropLook:
    """What the model made of one crop: raw per-synset scores (before any prior), the
    ImageNet-1k probabilities behind them (None if the model has no such output), and the
    crop's own label under the current prior."""

    scores: np.ndarray  # (C,) float32
    imagenet: np.ndarray | None  # (1000,) float32
    label: Label


class Labeller:
    """`label_crops(crops)` -> one Label per RGB crop; `label_scores(mean)` -> the Label of a
    visitor's mean scores; `look(crops)` -> per-crop scores for the worker."""

    def __init__(self, classifier: PersonClassifier, vocabulary: Vocabulary,
                 taxonomy: Taxonomy, topk: int = 5,
                 prior: Callable[[], ScorePrior | None] | None = None,
                 translations: Translations | None = None) -> None:
        self.classifier = classifier
        self.vocabulary = vocabulary
        self.taxonomy = taxonomy
        self.topk = topk
        # the prior in force now: the room's calibration when there is one (kiosk run)
        self._prior = prior or (lambda: classifier.prior)
        self._imagenet_names = classifier.imagenet_names
        # vocabulary.language: words only, looked up after the vocabulary chose the wnid
        self.translations = translations

    @property
    def prior(self) -> ScorePrior | None:
        return self._prior()

    def probabilities(self, scores: np.ndarray) -> np.ndarray:
        """(…, C) raw scores -> probabilities over the model's classes under the prior."""
        prior = self.prior
        if prior is None:  # a model whose output is probabilities already
            return np.asarray(scores, np.float64)
        return prior.probabilities(scores, self.classifier.logit_scale)

    def evidence(self, imagenet: np.ndarray | None) -> tuple[tuple[str, float], ...]:
        if imagenet is None or not self._imagenet_names:
            return ()
        order = np.argsort(-imagenet, kind="stable")[:EVIDENCE_K]
        return tuple((self._imagenet_names[i], float(imagenet[i])) for i in order
                     if imagenet[i] >= EVIDENCE_MIN)

    def name(self, wnid: str) -> str:
        """The display name visitors read: the translation where there is one, else English."""
        if self.translations is None:
            return self.taxonomy[wnid].display_name
        return self.translations.name(self.taxonomy, wnid)

    def path_names(self, path: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(self.name(w) for w in path)

    def label_for(self, ranked: Sequence[tuple[str, float]],
                  evidence: tuple[tuple[str, float], ...] = ()) -> Label:
        wnid, probability = ranked[0]
        synset = self.taxonomy[wnid]
        tr = self.translations
        translation = tr.get(wnid) if tr is not None else None
        gloss = translation.gloss if translation is not None else None
        band = band_glosses(tr.language if tr is not None else "en",
                            self.taxonomy.labels_dir).get(wnid)
        return Label(
            wnid=wnid,
            name=self.name(wnid),
            probability=float(probability),
            breadcrumb=self.path_names(synset.path),
            gloss=gloss or synset.gloss,
            other_breadcrumbs=tuple(self.path_names(p) for p in synset.paths[1:]),
            topk=tuple((self.name(w), float(p)) for w, p in ranked),
            evidence=evidence,
            name_en=synset.display_name if translation is not None else "",
            gloss_language=tr.language if gloss and tr is not None else "en",
            gloss_band=band[1] if band is not None else "",
        )

    def label_probabilities(self, probs: np.ndarray) -> list[Label]:
        return [self.label_for(ranked) for ranked in self.vocabulary.top_k(probs, self.topk)]

    def label_scores(self, scores: np.ndarray, imagenet: np.ndarray | None = None) -> Label:
        """The label of one score vector (a crop's, or the mean of a visitor's crops)."""
        ranked = self.vocabulary.top_k(self.probabilities(scores), self.topk)[0]
        return self.label_for(ranked, self.evidence(imagenet))

    def candidates(self, scores: np.ndarray, k: int) -> tuple[str, ...]:
        """The display names of the k best shown labels for these scores, best first: what
        the spinning wheel shows while a visitor's crops come in."""
        ranked = self.vocabulary.top_k(self.probabilities(scores), k)[0]
        return tuple(self.name(w) for w, _ in ranked)

    def look(self, crops: Sequence[np.ndarray]) -> list[CropLook]:
        """Scores of each crop, with its own label (the worker's job)."""
        if not crops:
            return []
        out = self.classifier.predict_scores(list(crops))
        looks = []
        for i in range(len(out.scores)):
            imagenet = None if out.imagenet is None else out.imagenet[i]
            looks.append(CropLook(out.scores[i], imagenet,
                                  self.label_scores(out.scores[i], imagenet)))
        return looks

    def label_crops(self, crops: Sequence[np.ndarray]) -> list[Label]:
        """One label per crop, each on its own (a still photo, the scene)."""
        return [look.label for look in self.look(crops)]
