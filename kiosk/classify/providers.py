"""Choosing onnxruntime execution providers without noise.

onnxruntime-gpu lists the CUDA and TensorRT providers as "available" on every machine, even
with no GPU or no CUDA libraries, and then logs an error (and falls back to CPU) when a session
asks for them. So before asking, we check ourselves that each GPU provider can really load:
the NVIDIA driver library answers with at least one device, and the provider's own shared
library (which links the CUDA runtime, cuBLAS, cuDNN, or TensorRT) loads, after the CUDA and
cuDNN of any nvidia-* wheels were preloaded (kiosk/classify/cuda_runtime.py). Whatever we skip
comes with one human-readable reason (naming each missing library), shown by `kiosk doctor`
and logged at start.
"""

from __future__ import annotations

import ctypes
import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kiosk.classify import cuda_runtime

NAMES = {
    "tensorrt": "TensorrtExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "cpu": "CPUExecutionProvider",
}
_PROVIDER_LIBS = {
    "cuda": "libonnxruntime_providers_cuda.so",
    "tensorrt": "libonnxruntime_providers_tensorrt.so",
}


@dataclass(frozen=True)
class ProviderChoice:
    """The providers to ask for, best first, and why any GPU provider is missing."""

    providers: tuple[str, ...]  # onnxruntime names, CPU always last
    reason: str  # "" when the first preference is usable


@functools.lru_cache(maxsize=1)
def gpu_device_count() -> tuple[int, str]:
    """(number of CUDA devices, reason if none) from the driver API, without CUDA runtime."""
    try:
        lib = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return 0, "no NVIDIA driver (libcuda.so.1 not found)"
    try:
        rc = lib.cuInit(0)
        if rc != 0:
            return 0, f"NVIDIA driver present but cuInit failed (CUDA error {rc}; no usable GPU)"
        count = ctypes.c_int(0)
        rc = lib.cuDeviceGetCount(ctypes.byref(count))
        if rc != 0 or count.value < 1:
            return 0, "NVIDIA driver present but no CUDA device found"
        return count.value, ""
    except (AttributeError, OSError) as exc:
        return 0, f"NVIDIA driver unusable: {exc}"


@functools.lru_cache(maxsize=4)
def provider_library_loads(kind: str) -> tuple[bool, str]:
    """Whether onnxruntime's provider library for `kind` and everything it links can load."""
    import onnxruntime as ort

    lib = Path(ort.__file__).parent / "capi" / _PROVIDER_LIBS[kind]
    if not lib.exists():
        return False, f"this onnxruntime build has no {lib.name}"
    cuda_runtime.preload()  # the nvidia-* wheels' CUDA and cuDNN, before any session
    try:
        ctypes.CDLL(str(lib), mode=getattr(os, "RTLD_LAZY", 1) | ctypes.RTLD_GLOBAL)
    except OSError as exc:
        first = str(exc).split(":")[0].strip()
        if kind == "cuda":
            ok, report = cuda_runtime.runtime_report()
            if not ok:  # every missing library by name, not only the loader's first
                return False, report
        what = "CUDA/cuDNN" if kind == "cuda" else "TensorRT/CUDA"
        return False, f"{what} libraries missing ({first or exc})"
    if kind == "cuda":  # cuDNN is only loaded when a session runs: check it now
        missing = cuda_runtime.missing_libraries(("libcudnn.so.9",),
                                                 cuda_runtime.wheel_library_dirs())
        if missing:
            return False, f"cuDNN missing ({', '.join(missing)})"
    return True, ""


def gpu_provider_usable(kind: str) -> tuple[bool, str]:
    """(usable, reason) for 'cuda' or 'tensorrt' on this machine, checked quietly."""
    import onnxruntime as ort

    name = NAMES[kind]
    if name not in ort.get_available_providers():
        return False, f"onnxruntime {ort.__version__} has no {name}"
    devices, why = gpu_device_count()
    if not devices:
        return False, why
    ok, why = provider_library_loads(kind)
    if not ok:
        return False, why
    if kind == "tensorrt":
        cuda_ok, cuda_why = provider_library_loads("cuda")
        if not cuda_ok:
            return False, cuda_why
    return True, ""


def choose_providers(preferences: Sequence[str] = ("tensorrt", "cuda", "cpu")) -> ProviderChoice:
    """onnxruntime provider names to request, in the configured order, CPU always last.

    GPU providers that would fail are left out, so onnxruntime never logs an error for them;
    `reason` says why the first GPU preference was skipped (empty when nothing was skipped).
    """
    unknown = [p for p in preferences if p not in NAMES]
    if unknown:
        raise ValueError(f"unknown provider(s) {unknown}; use {', '.join(NAMES)}")
    chosen: list[str] = []
    reasons: list[str] = []
    for pref in preferences:
        if pref == "cpu":
            continue
        ok, why = gpu_provider_usable(pref)
        if ok:
            chosen.append(NAMES[pref])
        else:
            reasons.append(f"{pref}: {why}")
    chosen.append(NAMES["cpu"])
    if not any(p != "cpu" for p in preferences):
        return ProviderChoice(tuple(chosen), "GPU providers not requested in classifier.providers")
    return ProviderChoice(tuple(chosen), _group(reasons))


def _group(reasons: list[str]) -> str:
    """'tensorrt: X; cuda: X' -> 'tensorrt, cuda: X' (one line, no repetition)."""
    by_reason: dict[str, list[str]] = {}
    for item in reasons:
        kind, _, why = item.partition(": ")
        by_reason.setdefault(why, []).append(kind)
    return "; ".join(f"{', '.join(kinds)}: {why}" for why, kinds in by_reason.items())


def provider_options(name: str, *, cache_dir: Path | None, input_name: str,
                     input_shape: tuple[int, int, int], max_batch: int) -> dict[str, object]:
    """Options per provider: TensorRT gets a dynamic-batch profile and an engine cache."""
    if name == "TensorrtExecutionProvider":
        c, h, w = input_shape
        opts: dict[str, object] = {
            "trt_profile_min_shapes": f"{input_name}:1x{c}x{h}x{w}",
            "trt_profile_opt_shapes": f"{input_name}:{max_batch}x{c}x{h}x{w}",
            "trt_profile_max_shapes": f"{input_name}:{max_batch}x{c}x{h}x{w}",
            "trt_fp16_enable": False,
        }
        if cache_dir is not None:
            opts["trt_engine_cache_enable"] = True
            opts["trt_engine_cache_path"] = str(cache_dir)
            opts["trt_timing_cache_enable"] = True
            opts["trt_timing_cache_path"] = str(cache_dir)
        return opts
    if name == "CUDAExecutionProvider":
        return {"cudnn_conv_algo_search": "HEURISTIC"}
    return {}
