"""Loads the classify stage once, before any screen opens: model, taxonomy, vocabulary, labeller.

Every failure here is an installer's problem (a missing model, a bad list file) and is
reported as one clear error with a non-zero exit, never as a half-working kiosk.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from kiosk.classify.classifier import PersonClassifier
from kiosk.classify.labeller import Labeller
from kiosk.config import KioskConfig
from kiosk.labels.taxonomy import Taxonomy
from kiosk.labels.vocabulary import Vocabulary


@dataclass
class ModelParts:
    classifier: PersonClassifier
    taxonomy: Taxonomy
    vocabulary: Vocabulary
    labeller: Labeller

    def close(self) -> None:
        self.classifier.close()


def classifier_threads(configured: int, cpu_count: int | None = None) -> int:
    """onnxruntime's intra-op threads. 0 (auto): every core but the two that the display and
    the reader (video decoding, face detection) need, at least one. On a 2-core machine two
    classifier threads fight those for the cores, and a crop took 30-90 ms instead of ~24."""
    if configured > 0:
        return configured
    return max(1, (cpu_count if cpu_count is not None else os.cpu_count() or 1) - 2)


def load_model_parts(config: KioskConfig) -> ModelParts:
    cls_cfg = config.classifier
    taxonomy = Taxonomy.load(config.resolve(config.vocabulary.labels_dir))
    classifier = PersonClassifier(
        config.resolve(cls_cfg.model_dir), providers=cls_cfg.providers,
        threads=classifier_threads(cls_cfg.threads), verify_checksum=cls_cfg.verify_checksum,
    )
    try:
        vocabulary = Vocabulary.from_config(
            config.vocabulary, taxonomy, classifier.wnids, resolve=config.resolve
        )
    except Exception:
        classifier.close()
        raise
    labeller = Labeller(classifier, vocabulary, taxonomy, topk=config.display.topk)
    return ModelParts(classifier, taxonomy, vocabulary, labeller)
