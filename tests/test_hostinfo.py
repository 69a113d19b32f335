"""The host's CPU model, AVX-512 and allowed cores, read from /proc/cpuinfo and the affinity."""

from __future__ import annotations

import os
from pathlib import Path

from kiosk.hostinfo import host_info

XEON = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Processor @ 2.10GHz
flags\t\t: fpu vme sse sse2 avx avx2 avx512f avx512dq avx512bw
processor\t: 1
model name\t: Intel(R) Xeon(R) Processor @ 2.10GHz
flags\t\t: fpu vme sse sse2 avx avx2 avx512f avx512dq avx512bw
"""
EPYC = """processor\t: 0
model name\t: AMD EPYC 7B12
flags\t\t: fpu sse sse2 avx avx2 fma avx512_bf16_not_really_f
"""


def test_cpu_model_and_avx512_from_cpuinfo(tmp_path: Path) -> None:
    (tmp_path / "xeon").write_text(XEON)
    (tmp_path / "epyc").write_text(EPYC)
    xeon, epyc = host_info(tmp_path / "xeon"), host_info(tmp_path / "epyc")
    assert xeon.cpu_model == "Intel(R) Xeon(R) Processor @ 2.10GHz" and xeon.avx512
    assert epyc.cpu_model == "AMD EPYC 7B12" and not epyc.avx512  # avx2 only
    assert xeon.cpu_model_key == "Intel(R)_Xeon(R)_Processor_@_2.10GHz"
    assert epyc.keys() == f"cpu_model=AMD_EPYC_7B12 avx512=0 cores={epyc.cores}"
    assert "no AVX-512" in epyc.describe() and "AVX-512" in xeon.describe()


def test_cores_are_the_process_affinity_and_a_missing_cpuinfo_still_names_the_host(
        tmp_path: Path) -> None:
    info = host_info(tmp_path / "absent")
    assert info.cores == len(os.sched_getaffinity(0)) and info.cpu_model and not info.avx512
    assert " " not in info.cpu_model_key and "=" not in info.cpu_model_key
