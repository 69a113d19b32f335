"""The CUDA and cuDNN runtime onnxruntime-gpu's CUDA provider loads: which, from where, missing.

onnxruntime-gpu from PyPI carries no CUDA runtime. On a kiosk it comes from NVIDIA's `nvidia-*`
pip wheels (site-packages/nvidia/...), which the dynamic loader does not search by itself:
`onnxruntime.preload_dlls()` (onnxruntime 1.21+) loads them by path before a session is made,
so the provider's own library then finds them already loaded. onnxruntime-gpu 1.28.0 is built
for CUDA 13 (`onnxruntime.capi.build_and_package_info.cuda_version`); its
libonnxruntime_providers_cuda.so links libcublasLt.so.13, libcublas.so.13, libcurand.so.10,
libcudart.so.13 and the driver's libcuda.so.1, and loads cuDNN 9 (libcudnn.so.9) when it runs.
When one is missing, the loader names only the first; `missing_libraries` names them all.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import io
import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

log = logging.getLogger(__name__)

Loader = Callable[[str], object]  # ctypes.CDLL's shape: raises OSError when it cannot load


def build_cuda_major() -> int | None:
    """The CUDA major version this onnxruntime was built for (None: a CPU-only build)."""
    try:
        from onnxruntime.capi.build_and_package_info import cuda_version
    except ImportError:
        return None
    try:
        return int(str(cuda_version).split(".")[0]) if cuda_version else None
    except ValueError:
        return None


def required_libraries(cuda_major: int) -> tuple[str, ...]:
    """The runtime libraries the CUDA provider needs, in load order (cuBLASLt before cuBLAS)."""
    libs = [f"libcudart.so.{cuda_major}", f"libcublasLt.so.{cuda_major}",
            f"libcublas.so.{cuda_major}", "libcurand.so.10"]
    if cuda_major == 12:  # the CUDA 12 builds (onnxruntime-gpu 1.19-1.2x) also link cuFFT 11
        libs.append("libcufft.so.11")
    libs.append("libcudnn.so.9")
    return tuple(libs)


def wheel_library_dirs(roots: Iterable[Path] | None = None) -> list[Path]:
    """The lib folders of installed nvidia-* wheels (nvidia/cu13/lib, nvidia/cudnn/lib, ...)."""
    if roots is None:
        try:
            spec = importlib.util.find_spec("nvidia")
        except (ImportError, ValueError):
            spec = None
        roots = [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
    return sorted({lib for root in roots for lib in Path(root).glob("*/lib") if lib.is_dir()})


def _load(path: str) -> object:
    return ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)


def missing_libraries(names: Sequence[str], dirs: Sequence[Path],
                      load: Loader = _load) -> list[str]:
    """Each of `names` that loads neither from a wheel folder nor from the system's search
    path, as 'libX.so.N' (or 'libX.so.N (needs libY.so.M)' when it is there but a library it
    needs is not)."""
    missing = []
    for name in names:
        candidates = [str(d / name) for d in dirs if (d / name).exists()] + [name]
        error = ""
        for candidate in candidates:
            try:
                load(candidate)
                error = ""
                break
            except OSError as exc:
                error = str(exc)
        if error:
            culprit = error.split(":")[0].strip()
            needs = Path(culprit).name
            missing.append(name if needs in ("", name) or not needs.startswith("lib")
                           else f"{name} (needs {needs})")
    return missing


def preload(ort: object | None = None, dirs: Sequence[Path] | None = None) -> bool:
    """Load the CUDA/cuDNN libraries of the nvidia-* wheels before a session is made, with
    onnxruntime's own `preload_dlls`. Only where such wheels are installed (elsewhere it would
    only print about what it did not find); its prints go to the log, never to stdout, which
    `kiosk classify --json` keeps for its one object. True if it ran."""
    if ort is None:
        import onnxruntime as ort
    preload_dlls = getattr(ort, "preload_dlls", None)
    dirs = wheel_library_dirs() if dirs is None else dirs
    if preload_dlls is None or not dirs:
        return False
    said = io.StringIO()
    try:
        with contextlib.redirect_stdout(said):
            preload_dlls(cuda=True, cudnn=True, msvc=False)
    except Exception as exc:  # best effort: the provider checks that follow decide
        log.warning("onnxruntime.preload_dlls failed: %s", exc)
        return False
    if said.getvalue().strip():
        log.info("onnxruntime.preload_dlls: %s", " ".join(said.getvalue().split())[:500])
    return True


def runtime_report(load: Loader = _load, dirs: Sequence[Path] | None = None,
                   cuda_major: int | None = None) -> tuple[bool, str]:
    """(all present, one line): the CUDA runtime this onnxruntime needs, and what is missing."""
    major = build_cuda_major() if cuda_major is None else cuda_major
    if major is None:
        return False, "this onnxruntime is not a CUDA build (install onnxruntime-gpu)"
    dirs = wheel_library_dirs() if dirs is None else dirs
    names = required_libraries(major)
    missing = missing_libraries(names, dirs, load)
    where = ("the nvidia-* wheels and the system's library path" if dirs
             else "the system's library path; no nvidia-* wheels installed")
    if missing:
        return False, (f"CUDA {major} runtime: missing {', '.join(missing)} "
                       f"(looked in {where}); scripts/setup.sh installs them where an NVIDIA "
                       "driver is present")
    return True, f"CUDA {major} runtime: {', '.join(names)} load (from {where})"
