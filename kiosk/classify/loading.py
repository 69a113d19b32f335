"""Loads the classify stage once, before any screen opens: model, taxonomy, vocabulary, labeller.

Every failure here is an installer's problem (a missing model, a bad list file) and is
reported as one clear error with a non-zero exit, never as a half-working kiosk.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.classify.calibration import FILE_NAME, SiteCalibration, default_state_dir
from kiosk.classify.classifier import PersonClassifier
from kiosk.classify.errors import ModelError
from kiosk.classify.labeller import Labeller
from kiosk.classify.providers import NAMES, ProviderChoice, choose_providers
from kiosk.classify.worker import ClassificationWorker, LabelFn
from kiosk.config import KioskConfig
from kiosk.labels.taxonomy import Taxonomy
from kiosk.labels.translation import Translations
from kiosk.labels.vocabulary import Vocabulary


@dataclass
class ModelParts:
    classifier: PersonClassifier
    taxonomy: Taxonomy
    vocabulary: Vocabulary
    labeller: Labeller
    calibration: SiteCalibration | None = None  # kiosk run: what it has learnt of the room

    def close(self) -> None:
        self.classifier.close()


log = logging.getLogger(__name__)

CPU_WORKERS = 2  # newcomers' crops classified two at a time (issue 9: first labels)


def classifier_workers(configured: int, *, on_cpu: bool) -> int:
    """Worker threads. 0 (auto): on the CPU two, so that a second newcomer's crop does not wait
    for the first (4 newcomers' labels: p50 105 -> 68-81 ms, max 208 -> 109-170 ms on 2 cores);
    on a GPU one, which batches the crops instead."""
    if configured > 0:
        return configured
    return CPU_WORKERS if on_cpu else 1


def kiosk_worker(config: KioskConfig, label_fn: LabelFn, *, on_cpu: bool,
                 on_batch: Callable[[float, int, BaseException | None], None] | None = None,
                 on_results: Callable[[], None] | None = None) -> ClassificationWorker:
    """The classification worker as the kiosk runs it (its batch size, threads and nice value
    for this provider): KioskApp's, and the doctor's self-test times the same one."""
    cls = config.classifier
    return ClassificationWorker(label_fn, cls.cpu_batch_size if on_cpu else cls.batch_size,
                                on_batch=on_batch, on_results=on_results,
                                threads=classifier_workers(cls.workers, on_cpu=on_cpu),
                                nice=cls.nice)


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


def model_dir_for(config: KioskConfig, choice: ProviderChoice | None = None) -> Path:
    """classifier.gpu_model_dir when a GPU provider is usable and that model is built, else
    classifier.model_dir. The steadier six-view head costs 1.8x the backbone's work: little on
    a GPU, but on 2 CPU cores it would double four newcomers' first labels (models/README.md).
    `choice` defaults to the configured providers' (an unknown one is left to PersonClassifier
    to report, naming the manifest)."""
    cls_cfg = config.classifier
    if choice is None:
        try:
            choice = choose_providers(cls_cfg.providers)
        except ValueError:
            return config.resolve(cls_cfg.model_dir)
    if cls_cfg.gpu_model_dir is None or choice.providers[0] == NAMES["cpu"]:
        return config.resolve(cls_cfg.model_dir)
    gpu_dir = config.resolve(cls_cfg.gpu_model_dir)
    if not (gpu_dir / "manifest.json").is_file():
        log.warning("classifier.gpu_model_dir %s is not built (scripts/setup.sh builds it); "
                    "using %s on the GPU", gpu_dir, cls_cfg.model_dir)
        return config.resolve(cls_cfg.model_dir)
    return gpu_dir


def calibration_path(config: KioskConfig) -> Path:
    """Where the room's calibration lives (calibration.path, else the state folder)."""
    path = config.calibration.path
    return config.resolve(path) if path is not None else default_state_dir() / FILE_NAME


def open_calibration(config: KioskConfig, classifier: PersonClassifier) -> SiteCalibration | None:
    """The room's calibration, read from its file when there is one; None when the model has
    no prior to calibrate or calibration is off. A damaged file is set aside with a warning
    (renamed .bad), and the room is learnt anew: a kiosk never fails to start for it."""
    if classifier.prior is None or not config.calibration.enabled:
        return None
    from kiosk.classify.calibration import CalibrationError

    cal = SiteCalibration(classifier.prior, calibration_path(config),
                          prior_weight=config.calibration.prior_weight)
    try:
        if cal.load():
            log.info("calibration: %d visitors of this room (%s)", cal.count, cal.path)
    except (CalibrationError, OSError) as exc:
        log.warning("calibration file set aside, learning the room anew: %s", exc)
        with contextlib.suppress(OSError):
            cal.path.replace(cal.path.with_name(cal.path.name + ".bad"))
        cal.reset()
    return cal


def load_translations(config: KioskConfig) -> Translations | None:
    """vocabulary.language's translations (None for English), read before any model opens so
    that missing data stops start-up at once (LabelsError naming the file)."""
    language = config.vocabulary.language
    if language == "en":
        return None
    return Translations.load(language, config.resolve(config.vocabulary.labels_dir))


def load_model_parts(config: KioskConfig, calibrate: bool = False) -> ModelParts:
    """The classify stage; `calibrate` (kiosk run) blends the prior with the room's visitors."""
    cls_cfg = config.classifier
    taxonomy = Taxonomy.load(config.resolve(config.vocabulary.labels_dir))
    translations = load_translations(config)
    model_dir = model_dir_for(config)

    def open_classifier(folder: Path) -> PersonClassifier:
        return PersonClassifier(
            folder, providers=cls_cfg.providers,
            threads=classifier_threads(cls_cfg.threads,
                                       workers=classifier_workers(cls_cfg.workers, on_cpu=True)),
            verify_checksum=cls_cfg.verify_checksum, batch_size=cls_cfg.batch_size)

    classifier = open_classifier(model_dir)
    if classifier.manifest.output_kind == "scores" and classifier.prior is None:
        classifier.close()
        raise ModelError(model_dir / "manifest.json", "the model outputs raw scores but the "
                         "manifest names no score_prior (python -m "
                         "scripts.modelbuild.fit_prior fits it)")
    cpu_model_dir = config.resolve(cls_cfg.model_dir)
    if classifier.provider == NAMES["cpu"] and model_dir != cpu_model_dir:
        log.warning("the GPU session failed (%s); the CPU gets %s, not %s",
                    classifier.provider_note, cpu_model_dir, model_dir)
        classifier.close()
        classifier = open_classifier(cpu_model_dir)
    try:
        vocabulary = Vocabulary.from_config(
            config.vocabulary, taxonomy, classifier.wnids, resolve=config.resolve
        )
    except Exception:
        classifier.close()
        raise
    calibration = open_calibration(config, classifier) if calibrate else None
    labeller = Labeller(classifier, vocabulary, taxonomy, topk=config.display.topk,
                        prior=calibration.prior if calibration is not None else None,
                        translations=translations)
    return ModelParts(classifier, taxonomy, vocabulary, labeller, calibration)
