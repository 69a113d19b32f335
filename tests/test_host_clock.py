"""Time is an input (issue 34): the kiosk's time starts at its first frame, whatever the host's
uptime. A real KioskApp with its reader and detection threads, on a host whose monotonic
clock reads a minute and a year, must show the same screens: the picture while the room is
new to it, the idle screen only once nobody has been there for `scene.idle_after_s` of its
own time. (tests/test_ratchet.py runs the golden screens on both hosts too.)"""

from __future__ import annotations

import time
import types

import numpy as np
import pytest
from conftest import HOST_UPTIMES, FakeClock, NobodyDetector, shift_host_clock

from kiosk.app import KioskApp
from kiosk.config import KioskConfig
from kiosk.sources.base import FrameSource

STEP_S = 1 / 30


class _EmptyRoom(FrameSource):
    """A still, empty room at 30 fps."""

    name = "empty room"

    @property
    def fps(self) -> float:
        return 30.0

    def read(self) -> np.ndarray:
        time.sleep(STEP_S / 2)
        return np.full((180, 320, 3), 90, np.uint8)


def _modes(steps: int) -> list[str]:
    """The screen's mode each step of a threaded kiosk whose clock starts at 1000 s and moves
    one frame a step (the steps paced at the camera's rate, so the room's motion settles)."""
    config = KioskConfig.model_validate({
        "display": {"fullscreen": False, "width": 320, "height": 180},
        "scene": {"no_face_after_s": 3600, "idle_after_s": 2.0},
    })
    clock = FakeClock(1000.0)
    never = types.SimpleNamespace(look=lambda crops: pytest.fail("the model was called"))
    app = KioskApp(config, never, _EmptyRoom(), headless=True,  # type: ignore[arg-type]
                   detector=NobodyDetector(), clock=clock)
    modes = []
    try:
        while app.reader.latest() is None:  # the first frame starts the kiosk's time
            time.sleep(0.005)
        for _ in range(steps):
            modes.append(app.step().mode)
            time.sleep(STEP_S)
            clock.t += STEP_S
    finally:
        app.close()
    return modes


def test_a_threaded_kiosk_counts_nobody_from_its_first_frame(
        monkeypatch: pytest.MonkeyPatch) -> None:
    onsets = {}
    for host, uptime in HOST_UPTIMES.items():
        with monkeypatch.context() as patch:
            shift_host_clock(patch, uptime)
            modes = _modes(90)
        assert "camera_unavailable" not in modes, host
        onsets[host] = modes.index("idle") if "idle" in modes else None
    # idle from 2 s of the kiosk's own time (step 60), not at once because the host was up
    # for less (or more) than the kiosk's clock reads
    for host, onset in onsets.items():
        assert onset is not None and 59 <= onset <= 62, (host, onsets)
