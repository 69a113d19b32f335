"""PersonClassifier: RGB face crops in, probabilities over the person synsets out.

One onnxruntime session, opened at start on the best provider that really works here
(TensorRT, CUDA, then CPU; see providers.py), checked against the manifest before the first
visitor arrives: checksum, input name and size, output width, and one warm-up run.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kiosk.classify.errors import ModelError
from kiosk.classify.manifest import Manifest, load_manifest, sha256_file
from kiosk.classify.preprocess import preprocess
from kiosk.classify.prior import ScorePrior, load_prior
from kiosk.classify.providers import choose_providers, provider_options

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scores:
    """Per-crop model outputs: raw per-synset scores (N, C) and, when the model has them, the
    ImageNet-1k probabilities behind them (N, 1000)."""

    scores: np.ndarray
    imagenet: np.ndarray | None


def _read_imagenet_names(path: Path) -> tuple[str, ...]:
    """'wnid<TAB>lemma, lemma' lines -> the first lemma of each class ("suit", "bow tie")."""
    try:
        rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if line]
    except OSError as exc:
        raise ModelError(path, f"ImageNet class names unreadable: {exc}") from exc
    if any(len(r) != 2 for r in rows):
        raise ModelError(path, "each line must be 'wnid<TAB>names'")
    return tuple(r[1].split(",")[0].strip() for r in rows)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def _trt_cache_dir(sha: str) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    path = base / "roulette-kiosk" / "tensorrt" / sha[:16]
    path.mkdir(parents=True, exist_ok=True)
    return path


def _check_model_file(path: Path, manifest: Manifest, verify_checksum: bool) -> None:
    """The model file is there, of the manifest's size and (verify_checksum) its sha256."""
    if not path.is_file():
        raise ModelError(path, "model file not found (named by manifest.json)")
    size = path.stat().st_size
    if size != manifest.size_bytes:
        raise ModelError(path, f"model file is {size} bytes but manifest.json says "
                         f"{manifest.size_bytes}: truncated or replaced")
    if verify_checksum:
        digest = sha256_file(path)
        if digest != manifest.sha256:
            raise ModelError(path, f"sha256 {digest[:16]}... does not match "
                             f"manifest.json ({manifest.sha256[:16]}...): corrupt or "
                             "replaced model file")


class PersonClassifier:
    """The person-subtree model. Safe to call from one worker thread (calls are serialised)."""

    def __init__(self, model_dir: Path, providers: Sequence[str] = ("tensorrt", "cuda", "cpu"),
                 threads: int = 0, verify_checksum: bool = True, batch_size: int = 8) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.model_dir = Path(model_dir)
        self.manifest: Manifest = load_manifest(self.model_dir)
        self.model_path = self.manifest.model_path(self.model_dir)
        self.wnids: tuple[str, ...] = tuple(self.manifest.output_wnids)
        self.batch_size = int(batch_size)
        self._lock = threading.Lock()
        self.session = None  # the onnxruntime session (tests may swap in one that fails)
        _check_model_file(self.model_path, self.manifest, verify_checksum)
        self.imagenet_names: tuple[str, ...] = ()
        if self.manifest.imagenet_classes:
            self.imagenet_names = _read_imagenet_names(
                self.model_dir / self.manifest.imagenet_classes)
        self._open_session(tuple(providers), threads)
        self._check_io()  # the model and its manifest agree before its prior is read
        self.prior: ScorePrior | None = None
        self.logit_scale = 1.0
        spec = self.manifest.score_prior
        if self.manifest.output_kind == "scores" and not self.manifest.outputs.scores:
            raise ModelError(self.model_dir / "manifest.json",
                             "output_kind scores needs outputs.scores")
        if self.manifest.output_kind == "scores" and spec is not None:
            prior_path = self.model_dir / spec.file
            if verify_checksum and prior_path.is_file() and sha256_file(prior_path) != spec.sha256:
                raise ModelError(prior_path, "sha256 does not match manifest.json "
                                 "(score_prior): corrupt or replaced prior")
            self.prior = load_prior(prior_path, len(self.wnids))
            self.logit_scale = spec.logit_scale
        self._warm_up()

    # -- start-up ------------------------------------------------------------------------------

    def _open_session(self, preferences: tuple[str, ...], threads: int) -> None:
        import onnxruntime as ort

        try:
            choice = choose_providers(preferences)
        except ValueError as exc:
            raise ModelError(self.model_dir / "manifest.json", str(exc)) from exc
        so = ort.SessionOptions()
        so.log_severity_level = 3  # errors only; the provider choice above pre-empts CUDA noise
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads > 0:
            so.intra_op_num_threads = threads
            so.inter_op_num_threads = 1
        h, w = self.manifest.input_size
        requested = []
        for name in choice.providers:
            cache = _trt_cache_dir(self.manifest.sha256) if name.startswith("Tensorrt") else None
            requested.append((name, provider_options(
                name, cache_dir=cache, input_name=self.manifest.input_name,
                input_shape=(3, h, w), max_batch=self.batch_size)))
        note = choice.reason
        try:
            session = ort.InferenceSession(str(self.model_path), so, providers=requested)
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises several unrelated types
            if len(requested) > 1:  # a GPU provider failed after all: CPU, and say why
                note = f"GPU session failed ({_first_line(exc)}); using CPU"
                try:
                    session = ort.InferenceSession(
                        str(self.model_path), so, providers=["CPUExecutionProvider"])
                except Exception as exc2:  # noqa: BLE001
                    raise ModelError(self.model_path,
                                     f"not a loadable ONNX model: {_first_line(exc2)}") from exc2
            else:
                raise ModelError(self.model_path,
                                 f"not a loadable ONNX model: {_first_line(exc)}") from exc
        self.session = session
        self.provider: str = session.get_providers()[0]
        if self.provider == "CPUExecutionProvider":
            self.provider_note: str = note or "CPU requested"
        else:
            self.provider_note = "" if not note else f"skipped {note}"
        # On a GPU every run gets the same input shape: onnxruntime's CUDA provider (1.20+,
        # microsoft/onnxruntime#23006) re-plans its convolutions whenever the batch size differs
        # from the last run's, and batches of 1, 3, 2... made a newcomer's first label take
        # 0.5-1 s on an H200 (docs/speed.md, "On a GPU"). Padding to batch_size costs ~7 ms there.
        self.fixed_batch: bool = self.provider != "CPUExecutionProvider"
        log.info("classifier %s on %s%s", self.manifest.name, self.provider,
                 f" ({self.provider_note})" if self.provider_note else "")

    def _check_io(self) -> None:
        m = self.manifest
        inputs = self.session.get_inputs()
        if len(inputs) != 1 or inputs[0].name != m.input_name:
            found = ", ".join(f"{i.name}{i.shape}" for i in inputs)
            raise ModelError(self.model_path,
                             f"model inputs are {found} but manifest.json says one input "
                             f"{m.input_name!r}")
        shape = list(inputs[0].shape)
        h, w = m.input_size
        expected = [None, 3, h, w]
        if len(shape) != 4 or any(
            isinstance(got, int) and want is not None and got != want
            for got, want in zip(shape, expected, strict=False)
        ):
            raise ModelError(self.model_path,
                             f"model input {m.input_name} has shape {shape} but manifest.json says "
                             f"[batch, 3, {h}, {w}] (input_size {h}x{w}, NCHW)")
        outputs = {o.name: o.shape for o in self.session.get_outputs()}
        wanted = [n for n in (self.main_output, m.outputs.logits, m.outputs.embedding,
                              m.outputs.imagenet) if n]
        missing = [n for n in wanted if n not in outputs]
        if missing:
            raise ModelError(self.model_path, f"model has no output {missing[0]!r} "
                             f"(outputs: {', '.join(outputs)}) named by manifest.json")
        if m.outputs.imagenet and len(self.imagenet_names) not in (0, 1000):
            raise ModelError(self.model_dir / str(m.imagenet_classes),
                             f"{len(self.imagenet_names)} ImageNet class names, not 1000")
        width = outputs[self.main_output][-1] if outputs[self.main_output] else None
        if isinstance(width, int) and width != len(self.wnids):
            raise ModelError(self.model_path, f"model outputs {width} classes but manifest.json "
                             f"lists {len(self.wnids)} output_wnids")

    def _warm_up(self) -> None:
        h, w = self.manifest.input_size
        try:
            out = self._run_batch(np.zeros((1, 3, h, w), np.float32), [self.main_output])[0]
        except ModelError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise ModelError(self.model_path, f"model fails on a {h}x{w} input: "
                             f"{_first_line(exc)}") from exc
        if out.shape != (1, len(self.wnids)):
            raise ModelError(self.model_path, f"model output has shape {list(out.shape)} for one "
                             f"image but manifest.json lists {len(self.wnids)} output_wnids")

    # -- inference -----------------------------------------------------------------------------

    def _run(self, batch: np.ndarray, names: list[str]) -> list[np.ndarray]:
        with self._lock:  # only to read the session: runs may overlap (one per worker thread)
            session = self.session
        if session is None:
            raise RuntimeError("classifier is closed")
        return session.run(names, {self.manifest.input_name: batch})

    def _run_batch(self, batch: np.ndarray, names: list[str]) -> list[np.ndarray]:
        """One batch of at most batch_size; padded with zeros to batch_size on a GPU."""
        n = len(batch)
        if self.fixed_batch and n < self.batch_size:
            pad = np.zeros((self.batch_size - n, *batch.shape[1:]), batch.dtype)
            return [out[:n] for out in self._run(np.concatenate([batch, pad]), names)]
        return self._run(batch, names)

    def preprocess(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """RGB uint8 crops of any size -> the (N, 3, H, W) float32 input the model expects."""
        return preprocess(crops, self.manifest)

    def outputs(self, crops: Sequence[np.ndarray], names: Sequence[str]) -> list[np.ndarray]:
        """Any named model outputs for the crops, in batches of batch_size."""
        crops = list(crops)
        names = list(names)
        if not crops:
            return [np.zeros((0, 0), np.float32) for _ in names]
        parts: list[list[np.ndarray]] = [[] for _ in names]
        for start in range(0, len(crops), self.batch_size):
            batch = self.preprocess(crops[start:start + self.batch_size])
            for i, arr in enumerate(self._run_batch(batch, names)):
                parts[i].append(np.asarray(arr, np.float32))
        return [np.concatenate(p, axis=0) for p in parts]

    @property
    def main_output(self) -> str:
        """The output the labels come from: raw scores, or probabilities/logits."""
        m = self.manifest
        name = m.outputs.scores if m.output_kind == "scores" else m.outputs.probs
        if not name:
            raise ModelError(self.model_dir / "manifest.json",
                             f"output_kind {m.output_kind} but no output named for it")
        return name

    def predict_scores(self, crops: Sequence[np.ndarray]) -> Scores:
        """Raw per-synset scores of each crop (before any prior) and the ImageNet-1k
        probabilities, when the model has them. A model without raw scores gives its
        probabilities as the scores (the kiosk then uses no prior)."""
        crops = list(crops)
        if not crops:
            return Scores(np.zeros((0, len(self.wnids)), np.float32), None)
        if self.manifest.output_kind != "scores":
            return Scores(self.predict_proba(crops), None)
        names = [self.main_output] + ([self.manifest.outputs.imagenet]
                                      if self.manifest.outputs.imagenet else [])
        got = self.outputs(crops, names)
        return Scores(got[0], got[1] if len(got) > 1 else None)

    def predict_proba(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """(N, C) float32, each row a probability distribution over `wnids` (for scores: under
        the shipped prior, each crop on its own)."""
        crops = list(crops)
        if not crops:
            return np.zeros((0, len(self.wnids)), np.float32)
        m = self.manifest
        if m.output_kind == "scores":
            if self.prior is None:
                raise ModelError(self.model_dir / "manifest.json", "no score_prior to turn "
                                 "scores into probabilities (python -m "
                                 "scripts.modelbuild.fit_prior fits it)")
            probs = self.prior.probabilities(self.outputs(crops, [self.main_output])[0],
                                             self.logit_scale)
        elif m.output_kind == "probabilities":
            probs = self.outputs(crops, [m.outputs.probs])[0]
        else:
            logits = self.outputs(crops, [m.outputs.probs])[0] / m.temperature
            logits -= logits.max(axis=1, keepdims=True)
            probs = np.exp(logits)
        probs = np.clip(probs, 0.0, None)
        probs /= probs.sum(axis=1, keepdims=True)
        return probs.astype(np.float32, copy=False)

    def embed(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """(N, D) backbone features, for training a head."""
        name = self.manifest.outputs.embedding
        if not name:
            raise ModelError(self.model_dir / "manifest.json", "manifest names no embedding output")
        return self.outputs(crops, [name])[0]

    def top_k(self, crops: Sequence[np.ndarray], k: int = 5) -> list[list[tuple[str, float]]]:
        """Unfiltered top-k (wnid, probability) per crop, best first."""
        probs = self.predict_proba(crops)
        k = max(1, min(k, probs.shape[1] if probs.size else 1))
        result = []
        for row in probs:
            idx = np.argsort(-row, kind="stable")[:k]
            result.append([(self.wnids[i], float(row[i])) for i in idx])
        return result

    # -- lifetime ------------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self.session = None

    def __enter__(self) -> PersonClassifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"PersonClassifier({self.manifest.name!r}, {len(self.wnids)} classes, "
                f"{self.provider})")
