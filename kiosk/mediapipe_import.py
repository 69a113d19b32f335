"""Import MediaPipe's vision tasks without the side effects of its audio and plotting helpers.

`mediapipe.tasks.python` imports its audio tasks, whose `sounddevice` looks for PortAudio with
ctypes.util.find_library (with no PortAudio installed that runs gcc, which writes temporary
files), and its vision package imports matplotlib for drawing helpers (which writes a font
cache and a config folder under $HOME). The kiosk uses neither, and promises that a run writes
nothing by default, so both are kept out while MediaPipe imports: sounddevice is made to fail
(MediaPipe catches that), matplotlib is replaced by an empty module for the duration. Code that
imports matplotlib later gets the real one.
"""

from __future__ import annotations

import contextlib
import os
import sys
import types
from collections.abc import Iterator

os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe's C++ chatter stays out of the journal
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

_KEPT_OUT: dict[str, types.ModuleType | None] = {
    "sounddevice": None,  # None in sys.modules: `import sounddevice` raises ImportError
    "matplotlib": types.ModuleType("matplotlib"),
    "matplotlib.pyplot": types.ModuleType("matplotlib.pyplot"),
}


@contextlib.contextmanager
def _modules_kept_out() -> Iterator[None]:
    placed = [name for name in _KEPT_OUT if name not in sys.modules]
    for name in placed:
        sys.modules[name] = _KEPT_OUT[name]  # type: ignore[assignment]
    if "matplotlib.pyplot" in placed and "matplotlib" in placed:
        _KEPT_OUT["matplotlib"].pyplot = _KEPT_OUT["matplotlib.pyplot"]  # type: ignore[union-attr]
    try:
        yield
    finally:
        for name in placed:
            if sys.modules.get(name) is _KEPT_OUT[name]:
                del sys.modules[name]


with _modules_kept_out():
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

__all__ = ["BaseOptions", "mp", "vision"]
