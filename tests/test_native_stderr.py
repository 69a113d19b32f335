"""Native libraries' routine stderr chatter is dropped; real errors and faulthandler still show."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r"""
import ctypes, faulthandler, os, sys
faulthandler.enable()
from kiosk.native_stderr import filter_native_stderr
filter_native_stderr()
libc = ctypes.CDLL(None)
for line in (
    b"INFO: [accelerator_registry.cc:54] RegisterAccelerator: ptr=0x1, name=CpuAccelerator\n",
    b"WARNING: Logging before InitGoogle() is written to STDERR\n",
    b"WARNING: [model_load.cc:402] Sparsity tensors may not yet be fully supported.\n",
    b"W0000 00:00:1795494868.630530    9726 inference_runner_litert.cc:1418] Input tensor "
    b"memory is not aligned according to LiteRt's memory alignment requirements.\n",
    b"error: XDG_RUNTIME_DIR is invalid or not set in the environment.\n",
    b"E0000 00:00:1795494868.1 9726 gl_context.cc:1] real native error\n",
    b"F0000 00:00:1795494868.1 9726 calculator.cc:2] Check failed: something\n",
):
    libc.write(2, line, len(line))
print("python warning", file=sys.stderr)
faulthandler.dump_traceback()
"""


def _run(env_extra: dict[str, str] | None = None) -> str:
    import os

    env = {k: v for k, v in os.environ.items() if k != "WAYLAND_DISPLAY"}
    env.update(env_extra or {})
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          cwd=ROOT, timeout=30, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stderr


def test_noise_is_dropped_and_errors_are_forwarded() -> None:
    err = _run()
    assert "real native error" in err and "Check failed: something" in err
    assert "python warning" in err and "Current thread" in err  # faulthandler, real stderr
    for noise in ("RegisterAccelerator", "InitGoogle", "Sparsity", "not aligned",
                  "XDG_RUNTIME_DIR"):
        assert noise not in err, err


def test_wayland_error_is_kept_in_a_wayland_session() -> None:
    assert "XDG_RUNTIME_DIR" in _run({"WAYLAND_DISPLAY": "wayland-0"})
