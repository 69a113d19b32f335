"""Turns the model's probabilities into the labels visitors read.

The classifier knows wnids and numbers; the taxonomy knows names, glosses and breadcrumbs;
the vocabulary knows what the installer allows. This is where the three meet.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from kiosk.scene import Label

if TYPE_CHECKING:
    from kiosk.classify.classifier import PersonClassifier
    from kiosk.labels.taxonomy import Taxonomy
    from kiosk.labels.vocabulary import Vocabulary


class Labeller:
    """`label_crops(crops)` -> one Label per RGB crop (best allowed synset, with top-k)."""

    def __init__(self, classifier: PersonClassifier, vocabulary: Vocabulary,
                 taxonomy: Taxonomy, topk: int = 5) -> None:
        self.classifier = classifier
        self.vocabulary = vocabulary
        self.taxonomy = taxonomy
        self.topk = topk

    def label_for(self, ranked: Sequence[tuple[str, float]]) -> Label:
        wnid, probability = ranked[0]
        synset = self.taxonomy[wnid]
        return Label(
            wnid=wnid,
            name=synset.display_name,
            probability=float(probability),
            breadcrumb=tuple(self.taxonomy.breadcrumb(wnid)),
            gloss=synset.gloss,
            other_breadcrumbs=tuple(tuple(b) for b in self.taxonomy.other_breadcrumbs(wnid)),
            topk=tuple((self.taxonomy[w].display_name, float(p)) for w, p in ranked),
        )

    def label_probabilities(self, probs: np.ndarray) -> list[Label]:
        return [self.label_for(ranked) for ranked in self.vocabulary.top_k(probs, self.topk)]

    def label_crops(self, crops: Sequence[np.ndarray]) -> list[Label]:
        if not crops:
            return []
        return self.label_probabilities(self.classifier.predict_proba(list(crops)))
