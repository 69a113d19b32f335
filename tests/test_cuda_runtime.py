"""The GPU runtime, as far as a host without a GPU can check it: which CUDA/cuDNN libraries
onnxruntime-gpu's CUDA provider needs, that each missing one is named, that the nvidia-*
wheels are preloaded (quietly) before a session, and that a host with no driver says so."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kiosk.classify import cuda_runtime, providers
from kiosk.config import load_config
from kiosk.doctor.models import check_gpu_runtime


def test_the_list_matches_what_the_installed_provider_links() -> None:
    """required_libraries covers every CUDA library the installed provider's ELF needs."""
    import onnxruntime as ort

    lib = Path(ort.__file__).parent / "capi" / "libonnxruntime_providers_cuda.so"
    major = cuda_runtime.build_cuda_major()
    if major is None or not lib.exists() or shutil.which("readelf") is None:
        pytest.skip("no CUDA build of onnxruntime or no readelf here")
    out = subprocess.run(["readelf", "-d", str(lib)], capture_output=True, text=True,
                         check=True).stdout
    needed = set(re.findall(r"NEEDED.*\[(lib\S+)\]", out))
    cuda_libs = {n for n in needed if re.match(r"lib(cu|nv)", n) and n != "libcuda.so.1"}
    assert cuda_libs, needed
    assert cuda_libs <= set(cuda_runtime.required_libraries(major))
    assert "libcudnn.so.9" in cuda_runtime.required_libraries(major)  # loaded at run time


def _fake_loader(present: set[str], needs: dict[str, str] | None = None):  # noqa: ANN202
    loaded: list[str] = []

    def load(path: str) -> object:
        name = Path(path).name
        if name not in present:
            raise OSError(f"{name}: cannot open shared object file: No such file or directory")
        if needs and needs.get(name) and needs[name] not in present:
            raise OSError(f"{needs[name]}: cannot open shared object file: No such file")
        loaded.append(path)
        return object()

    return load, loaded


def test_each_missing_library_is_named(tmp_path: Path) -> None:
    wheel = tmp_path / "nvidia" / "cu13" / "lib"
    wheel.mkdir(parents=True)
    (wheel / "libcudart.so.13").write_bytes(b"")
    (wheel / "libcublas.so.13").write_bytes(b"")
    dirs = cuda_runtime.wheel_library_dirs([tmp_path / "nvidia"])
    assert dirs == [wheel]
    load, loaded = _fake_loader({"libcudart.so.13", "libcublas.so.13", "libcurand.so.10"},
                                needs={"libcublas.so.13": "libcublasLt.so.13"})
    names = cuda_runtime.required_libraries(13)
    missing = cuda_runtime.missing_libraries(names, dirs, load)
    assert missing == ["libcublasLt.so.13", "libcublas.so.13 (needs libcublasLt.so.13)",
                       "libcudnn.so.9"]
    assert str(wheel / "libcudart.so.13") in loaded  # the wheel's copy, by path, first
    ok, line = cuda_runtime.runtime_report(load, dirs, cuda_major=13)
    assert not ok and "missing libcublasLt.so.13, libcublas.so.13 (needs" in line
    load_all, _ = _fake_loader(set(names))
    ok, line = cuda_runtime.runtime_report(load_all, dirs, cuda_major=13)
    assert ok and line.startswith("CUDA 13 runtime: libcudart.so.13, libcublasLt.so.13")
    assert "libcufft.so.11" in cuda_runtime.required_libraries(12)  # CUDA 12 builds link cuFFT


class _FakeOrt:
    def __init__(self) -> None:
        self.calls: list[dict[str, bool]] = []

    def preload_dlls(self, cuda: bool = True, cudnn: bool = True, msvc: bool = True,
                     directory: str | None = None) -> None:
        self.calls.append({"cuda": cuda, "cudnn": cudnn, "msvc": msvc})
        print("Failed to load libcudnn.so.9: not found")  # what onnxruntime really prints


def test_preload_runs_only_with_wheels_and_keeps_stdout_clean(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ort = _FakeOrt()
    assert cuda_runtime.preload(ort, dirs=[]) is False and ort.calls == []
    assert cuda_runtime.preload(ort, dirs=[tmp_path]) is True
    assert ort.calls == [{"cuda": True, "cudnn": True, "msvc": False}]
    assert capsys.readouterr().out == ""  # `kiosk classify --json` keeps stdout for its object


def test_the_installed_preload_dlls_takes_these_arguments() -> None:
    import inspect

    import onnxruntime as ort

    if not hasattr(ort, "preload_dlls"):
        pytest.skip("onnxruntime older than 1.21")
    params = inspect.signature(ort.preload_dlls).parameters
    assert {"cuda", "cudnn", "msvc"} <= set(params)


def test_the_provider_check_preloads_first_and_names_every_missing_library(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import onnxruntime as ort

    lib = Path(ort.__file__).parent / "capi" / "libonnxruntime_providers_cuda.so"
    if not lib.exists():
        pytest.skip("this onnxruntime has no CUDA provider library")
    order: list[str] = []
    monkeypatch.setattr(cuda_runtime, "preload", lambda: order.append("preload"))

    def cdll(path: str, mode: int = 0) -> object:
        order.append("provider")
        raise OSError("libcublasLt.so.13: cannot open shared object file: No such file")

    monkeypatch.setattr(providers.ctypes, "CDLL", cdll)
    monkeypatch.setattr(cuda_runtime, "runtime_report", lambda: (
        False, "CUDA 13 runtime: missing libcublasLt.so.13, libcublas.so.13, libcudnn.so.9"))
    ok, why = providers.provider_library_loads.__wrapped__("cuda")
    assert order == ["preload", "provider"]
    assert not ok and why.endswith("missing libcublasLt.so.13, libcublas.so.13, libcudnn.so.9")


def test_doctor_on_hosts_with_and_without_a_driver() -> None:
    cfg = load_config(None, [])
    no_driver = check_gpu_runtime(cfg, devices=lambda: (0, "no NVIDIA driver (libcuda.so.1 "
                                                        "not found)"))  # fmt: skip
    assert [(c.status, c.name) for c in no_driver] == [("INFO", "gpu")]
    assert no_driver[0].detail.startswith("no NVIDIA driver on this host")
    missing = check_gpu_runtime(cfg, devices=lambda: (1, ""), report=lambda: (
        False, "CUDA 13 runtime: missing libcudnn.so.9"))
    assert missing[0].status == "WARN" and "missing libcudnn.so.9" in missing[0].detail
    fine = check_gpu_runtime(cfg, devices=lambda: (2, ""), report=lambda: (True, "CUDA 13 ok"))
    assert fine[0].status == "OK" and fine[0].detail.startswith("2 CUDA device(s)")
    assert check_gpu_runtime(load_config(None, ["classifier.providers=[cpu]"])) == []


def test_this_host_says_plainly_what_it_has() -> None:
    """On the real host: a plain line, never an exception (no driver here: INFO)."""
    checks = check_gpu_runtime(load_config(None, []))
    assert len(checks) == 1 and checks[0].status in ("INFO", "OK", "WARN")
    if providers.gpu_device_count()[0] == 0:
        assert "NVIDIA" in checks[0].detail
