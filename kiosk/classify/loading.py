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


CPU_WORKERS = 2  # newcomers' crops classified two at a time (issue 9: first labels)


def classifier_workers(configured: int, *, on_cpu: bool) -> int:
    """Worker threads. 0 (auto): on the CPU two, so that a second newcomer's crop does not wait
    for the first (4 newcomers' labels: p50 105 -> 68-81 ms, max 208 -> 109-170 ms on 2 cores);
    on a GPU one, which batches the crops instead."""
    if configured > 0:
        return configured
    return CPU_WORKERS if on_cpu else 1


def classifier_threads(configured: int, cpu_count: int | None = None,
                       workers: int = CPU_WORKERS) -> int:
    """onnxruntime's intra-op threads, per worker. 0 (auto): every core but the two that the
    display and the reader (video decoding, face detection) need, shared by the CPU workers, at
    least one. On a 2-core machine two intra-op threads fight those for the cores (a crop took
    30-90 ms instead of ~24), where two one-thread crops side by side do not."""
    if configured > 0:
        return configured
    cores = cpu_count if cpu_count is not None else os.cpu_count() or 1
    return max(1, (cores - 2) // max(1, workers))


def load_model_parts(config: KioskConfig) -> ModelParts:
    cls_cfg = config.classifier
    taxonomy = Taxonomy.load(config.resolve(config.vocabulary.labels_dir))
    classifier = PersonClassifier(
        config.resolve(cls_cfg.model_dir), providers=cls_cfg.providers,
        threads=classifier_threads(cls_cfg.threads,
                                   workers=classifier_workers(cls_cfg.workers, on_cpu=True)),
        verify_checksum=cls_cfg.verify_checksum, batch_size=cls_cfg.batch_size,
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
