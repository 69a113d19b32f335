"""Keep native libraries' routine chatter out of the terminal and the journal.

MediaPipe, LiteRT/TFLite, glog and libwayland (probed by SDL) write straight to file
descriptor 2 from C++, where Python's logging cannot reach them: 10-25 lines of `INFO: [...]`,
46 of `Sparsity tensors may not yet be fully supported` (the full-range sparse model),
`WARNING: Logging before InitGoogle()` and `error: XDG_RUNTIME_DIR is invalid` per start, none
of which an installer can act on. `filter_native_stderr()` points fd 2 at a pipe read by a
thread that drops the known-noise lines and forwards everything else (errors, fatal checks,
anything unknown) to the real stderr. Python's own `sys.stderr` (logging) and `faulthandler`
write to the real stderr directly, so tracebacks and watchdog dumps never wait on the thread.
"""

from __future__ import annotations

import atexit
import faulthandler
import os
import re
import sys
import threading

# Lines that are routine, never a fault; matched from the start of the line.
NOISE = (
    re.compile(r"INFO: "),  # LiteRT/TFLite: accelerator registry, XNNPACK delegate, environment
    re.compile(r"WARNING: Logging before InitGoogle\(\) is written to STDERR"),
    # LiteRT, once per sparse tensor (46 lines) when the full-range sparse model loads; it runs fine
    re.compile(r"WARNING: \[model_load\.cc:\d+\] Sparsity tensors may not yet be fully supported"),
    re.compile(r"I\d{4} [\d:.]+ +\d+ "),  # glog INFO
    re.compile(r"W\d{4} [\d:.]+ +\d+ inference_runner_litert\.cc:\d+\] "
               r"Input tensor memory is not aligned"),  # LiteRT copies the frame: harmless
    re.compile(r"W\d{4} [\d:.]+ +\d+ \w+\.cc:\d+\] "
               r"(?:Feedback manager|OpenGL error checking is disabled|Using NORM_RECT)"),
)
# libwayland-client, when SDL probes Wayland on a machine with no Wayland session at all.
NO_WAYLAND = re.compile(r"error: XDG_RUNTIME_DIR is invalid or not set in the environment\.")

_installed: _StderrFilter | None = None


def is_noise(line: str, *, wayland_session: bool | None = None) -> bool:
    """Whether a native stderr line is routine chatter (dropped unless --verbose)."""
    if any(p.match(line) for p in NOISE):
        return True
    if wayland_session is None:
        wayland_session = bool(os.environ.get("WAYLAND_DISPLAY"))
    return not wayland_session and bool(NO_WAYLAND.match(line))


class _StderrFilter:
    def __init__(self) -> None:
        sys.stderr.flush()
        self.real_fd = os.dup(2)
        read_fd, write_fd = os.pipe()
        os.dup2(write_fd, 2)
        os.close(write_fd)
        self._read = os.fdopen(read_fd, "rb", buffering=0)
        self.real = os.fdopen(os.dup(self.real_fd), "w", buffering=1, encoding="utf-8",
                              errors="backslashreplace")
        self._wayland = bool(os.environ.get("WAYLAND_DISPLAY"))
        self._thread = threading.Thread(target=self._pump, name="native-stderr", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        pending = b""
        while True:
            try:
                chunk = os.read(self._read.fileno(), 65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for raw in lines:
                self._forward(raw)
        if pending:
            self._forward(pending)

    def _forward(self, raw: bytes) -> None:
        line = raw.decode("utf-8", "backslashreplace")
        if not is_noise(line, wayland_session=self._wayland):
            os.write(self.real_fd, raw + b"\n")

    def close(self) -> None:
        """Put the real stderr back on fd 2 and forward whatever is still in the pipe."""
        os.dup2(self.real_fd, 2)  # closes the pipe's last write end: the thread sees EOF
        self._thread.join(timeout=1.0)


def filter_native_stderr() -> None:
    """Route fd 2 through the noise filter for the rest of the process (idempotent).

    Call before logging is set up: `sys.stderr` is rebound to the real stderr, and
    faulthandler re-enabled on it, so Python's messages bypass the pipe.
    """
    global _installed
    if _installed is not None:
        return
    _installed = _StderrFilter()
    sys.stderr = _installed.real
    if faulthandler.is_enabled():
        faulthandler.enable(file=sys.stderr)
    atexit.register(_installed.close)
