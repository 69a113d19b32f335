"""The models: the face detector loads, the classifier's checksum, and the execution provider
actually used (and why not the GPU)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path

from kiosk.classify.manifest import sha256_file
from kiosk.config import KioskConfig
from kiosk.doctor.base import Check, file_size, quiet_stderr


def check_detector(cfg: KioskConfig) -> list[Check]:
    det = cfg.detector
    key = "short_range_path" if det.model == "short_range" else "full_range_path"
    path = cfg.resolve(getattr(det, key))
    if not path.is_file():
        return [Check("FAIL", "detector", f"detector.{key}: {path} not found")]
    detail = f"{det.model} {path.name} {file_size(path)} sha256 {sha256_file(path)[:12]}"
    try:
        from kiosk.detect import FaceDetector

        with quiet_stderr():
            detector = FaceDetector.from_config(cfg)
            with contextlib.suppress(Exception):
                detector.close()
    except ImportError as exc:
        return [Check("WARN", "detector", f"{detail}; cannot load the detector code: {exc}")]
    except Exception as exc:
        return [Check("FAIL", "detector", f"{detail}; MediaPipe cannot load it: {exc}")]
    return [Check("OK", "detector", f"{detail}, loads")]


def _cuda_reasons(cfg: KioskConfig, provider: str) -> str:
    """Why the model is not on the GPU, as far as the host can tell."""
    if "CUDA" in provider or "Tensorrt" in provider or "TensorRT" in provider:
        return ""
    reasons = []
    if "cuda" not in cfg.classifier.providers and "tensorrt" not in cfg.classifier.providers:
        reasons.append("classifier.providers does not list cuda")
    try:
        import onnxruntime

        available = onnxruntime.get_available_providers()
        if "CUDAExecutionProvider" not in available:
            reasons.append(f"this onnxruntime has no CUDA provider ({', '.join(available)})")
    except Exception as exc:
        reasons.append(f"onnxruntime does not import: {exc}")
    if not Path("/dev/nvidia0").exists() and not Path("/dev/nvidiactl").exists():
        reasons.append("no /dev/nvidia* device (no NVIDIA GPU or driver not loaded)")
    elif not Path("/dev/nvidia-uvm").exists():
        reasons.append("/dev/nvidia-uvm missing (load nvidia-uvm at boot)")
    return "; ".join(reasons)


def check_classifier(cfg: KioskConfig) -> tuple[list[Check], tuple[str, ...] | None]:
    """Load the model as the kiosk does (manifest, size, sha256, session, warm-up)."""
    from kiosk.classify.classifier import PersonClassifier
    from kiosk.classify.errors import ModelError
    from kiosk.classify.loading import model_dir_for

    ccfg = cfg.classifier
    model_dir = model_dir_for(cfg)
    if not model_dir.is_dir():
        return [Check("FAIL", "classifier", f"classifier.model_dir: {model_dir} not found")], None
    started = time.monotonic()
    try:
        with quiet_stderr():
            classifier = PersonClassifier(
                model_dir, providers=ccfg.providers, threads=ccfg.threads, verify_checksum=True
            )
    except ModelError as exc:
        return [Check("FAIL", "classifier", str(exc))], None
    except Exception as exc:
        return [Check("FAIL", "classifier", f"{type(exc).__name__}: {exc}")], None
    try:
        provider, note, wnids = classifier.provider, classifier.provider_note, classifier.wnids
        name = classifier.manifest.name
    finally:
        classifier.close()
    took = time.monotonic() - started
    checks = [Check("OK", "classifier", f"{name} in {model_dir.name}/: sha256 verified, "
                    f"{len(wnids)} classes, loaded in {took:.1f} s")]  # fmt: skip
    why = _cuda_reasons(cfg, provider)
    if why or (note and "CPU" in provider):
        detail = f"{provider}: not on the GPU because " + "; ".join(x for x in (note, why) if x)
        checks.append(Check("WARN", "provider", detail))
    else:
        checks.append(Check("OK", "provider", provider + (f" ({note})" if note else "")))
    checks += check_gpu_runtime(cfg)
    return checks, wnids


def check_gpu_runtime(
    cfg: KioskConfig,
    devices: Callable[[], tuple[int, str]] | None = None,
    report: Callable[[], tuple[bool, str]] | None = None,
) -> list[Check]:
    """Where the config asks for the GPU: the driver, then each CUDA/cuDNN library by name.

    A host with no NVIDIA driver is said to be one, plainly: nothing there is broken.
    """
    if not {"cuda", "tensorrt"} & set(cfg.classifier.providers):
        return []
    from kiosk.classify import cuda_runtime
    from kiosk.classify.providers import gpu_device_count

    count, why = (devices or gpu_device_count)()
    if not count:
        if "libcuda.so.1 not found" in why:
            return [Check("INFO", "gpu", "no NVIDIA driver on this host (libcuda.so.1 not "
                          "found): the classifier runs on the CPU; nothing to install for it")]
        return [Check("WARN", "gpu", why)]
    with quiet_stderr():
        ok, line = (report or cuda_runtime.runtime_report)()
    return [Check("OK" if ok else "WARN", "gpu", f"{count} CUDA device(s); {line}")]
