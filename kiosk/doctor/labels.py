"""The labels: the taxonomy loads, and the vocabulary policy leaves labels to show."""

from __future__ import annotations

from collections.abc import Iterable

from kiosk.config import KioskConfig
from kiosk.doctor.base import Check


def check_labels(cfg: KioskConfig, model_wnids: Iterable[str] | None) -> list[Check]:
    labels_dir = cfg.resolve(cfg.vocabulary.labels_dir)
    try:
        from kiosk.labels.taxonomy import Taxonomy

        taxonomy = Taxonomy.load(labels_dir)
    except Exception as exc:
        return [Check("FAIL", "labels", str(exc))]
    imagenet = sum(1 for s in taxonomy if getattr(s, "in_imagenet", False))
    checks = [Check("OK", "labels", f"{labels_dir}: {len(taxonomy)} synsets, "
                    f"{imagenet} in ImageNet")]  # fmt: skip
    if model_wnids is None:
        checks.append(Check("WARN", "vocabulary", "not checked: the model did not load"))
        return checks
    try:
        from kiosk.labels.vocabulary import Vocabulary

        vocab = Vocabulary.from_config(cfg.vocabulary, taxonomy, list(model_wnids), cfg.resolve)
    except Exception as exc:
        return checks + [Check("FAIL", "vocabulary", str(exc))]
    checks.append(
        Check("OK", "vocabulary", f"policy {cfg.vocabulary.policy}: {vocab.allowed_count} of "
              f"{len(vocab.model_wnids)} model labels may be shown")
    )  # fmt: skip
    return checks
