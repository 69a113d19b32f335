"""Loads the classify stage once, before any screen opens: model, taxonomy, vocabulary, labeller.

Every failure here is an installer's problem (a missing model, a bad list file) and is
reported as one clear error with a non-zero exit, never as a half-working kiosk.
"""

from __future__ import annotations

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


def load_model_parts(config: KioskConfig) -> ModelParts:
    cls_cfg = config.classifier
    taxonomy = Taxonomy.load(config.resolve(config.vocabulary.labels_dir))
    classifier = PersonClassifier(
        config.resolve(cls_cfg.model_dir), providers=cls_cfg.providers,
        threads=cls_cfg.threads, verify_checksum=cls_cfg.verify_checksum,
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
