"""requirements/lock.txt holds what pyproject.toml asks for, and .venv holds the lock.

The lock (scripts/lock.sh, pip-compile --generate-hashes) is what scripts/setup.sh installs
with --require-hashes. These checks fail when pyproject.toml gains or changes a requirement and
the lock was not refreshed, naming the package and the command that fixes it.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "lock.txt"
REFRESH = "refresh it with scripts/lock.sh"


def _locked(lock: Path = LOCK) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, sha256 hashes) for each pin of the lock."""
    text = lock.read_text().replace("\\\n", " ")
    pins: dict[str, tuple[str, list[str]]] = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)(.*)$", line)
        if match:
            name, version, rest = match.groups()
            hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", rest)
            pins[canonicalize_name(name)] = (version, hashes)
    return pins


def _wanted() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    specs = [*project["project"]["dependencies"],
             *project["project"]["optional-dependencies"]["dev"],
             *project["build-system"]["requires"]]
    installers = (ROOT / "requirements" / "installers.in").read_text().splitlines()
    specs += [line for line in installers if line.strip() and not line.startswith("#")]
    return [Requirement(spec) for spec in specs]


def test_the_lock_pins_every_requirement_within_its_range_with_hashes() -> None:
    pins = _locked()
    assert len(pins) > 40
    for req in _wanted():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not in {LOCK.name}: {REFRESH}"
        version, _ = pins[name]
        assert req.specifier.contains(version, prereleases=True), (
            f"{req.name}=={version} in {LOCK.name} is outside pyproject's {req}: {REFRESH}")
    for name, (version, hashes) in pins.items():
        assert hashes, f"{name}=={version} has no sha256 in {LOCK.name}"


def test_the_lock_says_its_platform() -> None:
    head = LOCK.read_text()[:400]
    assert "Linux x86-64, CPython 3.11, 3.12 and 3.13" in head and "scripts/lock.sh" in head


def test_the_virtual_environment_is_the_lock() -> None:
    """Every package in the running environment is the locked version, and nothing else is
    installed but the kiosk itself (scripts/setup.sh installs the lock with --no-deps)."""
    pins = _locked()
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    installed.pop("roulette-kiosk")
    assert {n: v for n, v in installed.items() if pins.get(n, (None,))[0] != v} == {}, (
        f"not as in {LOCK.name}: run ./scripts/setup.sh")
    assert set(pins) - set(installed) == set()


GPU_LOCK = ROOT / "requirements" / "gpu-lock.txt"


def test_the_gpu_lock_holds_what_onnxruntime_gpus_cuda_extras_ask_for() -> None:
    """requirements/gpu-lock.txt (installed only where an NVIDIA driver is present) pins, with
    hashes, every package the installed onnxruntime-gpu's `cuda` and `cudnn` extras require,
    within their ranges, and agrees with the main lock on every package both hold."""
    from packaging.markers import default_environment

    main, gpu = _locked(), _locked(GPU_LOCK)
    ort = metadata.distribution("onnxruntime-gpu")
    assert gpu["onnxruntime-gpu"][0] == ort.version == main["onnxruntime-gpu"][0]
    wanted = []
    for spec in ort.requires or []:
        req = Requirement(spec)
        extras = [e for e in ("cuda", "cudnn")
                  if req.marker and req.marker.evaluate({**default_environment(), "extra": e})]
        if extras:
            wanted.append(req)
    assert {canonicalize_name(r.name) for r in wanted} >= {"nvidia-cuda-runtime",
                                                           "nvidia-cudnn-cu13"}
    for req in wanted:
        name = canonicalize_name(req.name)
        assert name in gpu, f"{req.name} is not in {GPU_LOCK.name}: {REFRESH}"
        assert req.specifier.contains(gpu[name][0], prereleases=True), (name, gpu[name][0])
    for name, (version, hashes) in gpu.items():
        assert hashes, f"{name}=={version} has no sha256 in {GPU_LOCK.name}"
        if name in main:
            assert main[name][0] == version, f"{name}: {version} here, {main[name][0]} in lock.txt"
