"""A display lost while running ends the kiosk with one log line and a non-zero status.

When the X server dies (a crash, a restart of the display manager), SDL's next call into Xlib
fails with an I/O error, and Xlib's default handler prints "X connection to :0 broken" and
calls exit(): Python's and the native libraries' exit handlers then run while the detection,
reader and model threads are still inside OpenCV and onnxruntime, which ends in an abort
(OpenCV's thread-local storage torn down under a running thread). SDL reports nothing first:
no SDL_QUIT, no window event; the error arrives inside whichever pygame call next touches the
connection. So the kiosk installs its own Xlib I/O error handler: it logs one line naming the
display, and ends the process at once with `os._exit`, before any exit handler or static
destructor can race the other threads. systemd (Restart=always) then starts a fresh kiosk,
which waits for a display as at boot.

Only the X11 driver needs this; under Wayland or KMS/DRM SDL reports a lost display as an
error the loop sees. (An Xlib I/O error handler must not return: Xlib exits if it does.)
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import sys

log = logging.getLogger(__name__)

EXIT_DISPLAY_LOST = 1  # systemd restarts on any failure status
_HANDLER_TYPE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
_installed: list[object] = []  # keeps the ctypes callback alive for the process's life


def display_lost_line(display: str, driver: str = "x11") -> str:
    return (f"display lost: the {driver} display {display or '(unset)'} went away while "
            f"running (X server stopped or restarted); exiting with status "
            f"{EXIT_DISPLAY_LOST} so that systemd starts the kiosk again")


def _exit_display_lost(_dpy: object = None) -> int:
    log.critical("%s", display_lost_line(os.environ.get("DISPLAY", "")))
    for handler in logging.getLogger().handlers + log.handlers:
        with contextlib.suppress(Exception):  # the process ends next whatever happens
            handler.flush()
    sys.stderr.flush()
    os._exit(EXIT_DISPLAY_LOST)


def watch_display(driver: str) -> bool:
    """Install the handler when SDL's video driver is X11; True if installed."""
    if driver != "x11" or _installed:
        return bool(_installed)
    name = ctypes.util.find_library("X11") or "libX11.so.6"
    try:
        x11 = ctypes.CDLL(name)  # the library SDL loaded: one instance per process
    except OSError as exc:
        log.warning("cannot load %s to watch the display (%s): a lost X server will end "
                    "the kiosk with Xlib's own exit", name, exc)
        return False
    callback = _HANDLER_TYPE(_exit_display_lost)
    x11.XSetIOErrorHandler.argtypes = [_HANDLER_TYPE]
    x11.XSetIOErrorHandler.restype = ctypes.c_void_p
    x11.XSetIOErrorHandler(callback)
    _installed.append(callback)
    return True
