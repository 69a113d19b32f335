"""What host a figure was measured on: CPU model, AVX-512, and the cores this process may use.

Speed figures from different hosts differ by 2x (the same crop takes 16-22 ms on a 2-core
Xeon with AVX-512 and 34 ms on an AVX2-only EPYC), so every benchmark line and the doctor's
self-test say which host they come from.
"""

from __future__ import annotations

import os
import platform
import re
from dataclasses import dataclass
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")


@dataclass(frozen=True)
class HostInfo:
    cpu_model: str  # as /proc/cpuinfo names it, e.g. "Intel(R) Xeon(R) Processor"
    avx512: bool  # the CPU has AVX-512 Foundation (flag avx512f)
    cores: int  # cores this process may run on (its CPU affinity), not the machine's

    @property
    def cpu_model_key(self) -> str:
        """The model as one `key=value` token: no spaces, no `=`."""
        return re.sub(r"[\s=]+", "_", self.cpu_model.strip()) or "unknown"

    def keys(self) -> str:
        """`cpu_model=... avx512=0|1 cores=N`, for a benchmark's key=value line."""
        return f"cpu_model={self.cpu_model_key} avx512={int(self.avx512)} cores={self.cores}"

    def describe(self) -> str:
        """For people: `Intel(R) Xeon(R) Processor, 2 cores, AVX-512`."""
        simd = "AVX-512" if self.avx512 else "no AVX-512"
        return f"{self.cpu_model}, {self.cores} core{'s' if self.cores != 1 else ''}, {simd}"


def allowed_cores() -> int:
    """Cores this process may use: `taskset` and `os.sched_setaffinity` narrow it."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def host_info(cpuinfo: Path = CPUINFO) -> HostInfo:
    """Read the first processor's model name and flags; fall back to `platform` elsewhere."""
    model = flags = ""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and not model:
            model = value.strip()
        elif key in ("flags", "Features") and not flags:  # x86; ARM says Features
            flags = value
        if model and flags:
            break
    return HostInfo(cpu_model=model or platform.processor() or platform.machine() or "unknown",
                    avx512="avx512f" in flags.split(), cores=allowed_cores())
