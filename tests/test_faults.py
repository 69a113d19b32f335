"""Fault injection (kiosk/service/faults.py): each fault at its seam, on a clock the test
moves; and nothing at all is wrapped when no fault is planned (the normal path pays nothing)."""

from __future__ import annotations

import errno

import numpy as np
import pytest
from conftest import FakeClock

from kiosk.service.faults import (
    KINDS,
    Fault,
    Faults,
    InjectedFault,
    parse_faults,
    random_plan,
    truncated_jpeg,
)
from kiosk.sources.base import FrameSource, validate_image
from kiosk.sources.reader import FrameReader


class _Picture(FrameSource):
    name = "picture"

    @property
    def fps(self) -> float:
        return 30.0

    def read(self) -> np.ndarray:
        rng = np.random.default_rng(0)
        return rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)


def _faults(*plan: Fault) -> tuple[Faults, FakeClock, list[float]]:
    clock, slept = FakeClock(0.0), []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.t += seconds

    faults = Faults(plan, clock=clock, sleep=sleep)
    faults.start()
    return faults, clock, slept


def test_nothing_planned_wraps_nothing() -> None:
    faults = Faults([Fault("render", 5.0)])
    source = _Picture()

    def detect() -> None:
        pass

    assert faults.source(source) is source and faults.wrap("detect", detect) is detect
    assert Faults.from_environ({}) is None


def test_once_and_repeated_exceptions_and_the_ground_truth() -> None:
    faults, clock, _ = _faults(Fault("detect", 1.0), Fault("classify", 1.0, 2.0))
    detect = faults.wrap("detect", lambda: "found")
    classify = faults.wrap("classify", lambda: "label")
    assert detect() == "found" and classify() == "label"
    clock.t = 1.5
    with pytest.raises(InjectedFault):
        detect()
    assert detect() == "found"  # once
    for _ in range(3):
        with pytest.raises(InjectedFault):
            classify()
    assert set(faults.failing_since()) == {"classify"}
    clock.t = 3.0
    assert classify() == "label" and faults.failing_since() == {}
    assert faults.injected == {"detect": 1, "classify": 1}


def test_state_folder_read_only_or_full_at_the_save() -> None:
    faults, clock, _ = _faults(Fault("state_read_only", 0.0, 1.0), Fault("state_full", 2.0, 1.0))
    save = faults.wrap("calibration", lambda: True)
    with pytest.raises(OSError) as ro:
        save()
    clock.t = 2.5
    with pytest.raises(OSError) as full:
        save()
    assert (ro.value.errno, full.value.errno) == (errno.EROFS, errno.ENOSPC)
    clock.t = 4.0
    assert save() is True


def test_the_camera_vanishes_flaps_and_comes_back() -> None:
    faults, clock, _ = _faults(Fault("camera_gone", 1.0, 2.0), Fault("camera_flap", 10.0, 6.0))
    source = faults.source(_Picture())
    assert source.read() is not None and source.available
    clock.t = 1.5
    assert source.read() is None and not source.available
    clock.t = 3.5
    assert source.read() is not None and source.available
    seen = []
    for step in range(60):
        clock.t = 10.0 + step * 0.1
        seen.append(source.read() is not None)
    assert seen[:10] == [False] * 10 and seen[10:30] == [True] * 20  # gone 1 s in 3
    assert seen[30:40] == [False] * 10


def test_corrupt_frames_are_dropped_at_the_one_gate_and_counted() -> None:
    faults, clock, _ = _faults(Fault("frame_wrong_shape", 1.0, 1.0), Fault("frame_zeros", 3.0),
                               Fault("frame_truncated_jpeg", 4.0))
    errors: list[BaseException] = []
    reader = FrameReader(faults.source(_Picture()), threaded=False, on_error=errors.append)
    clock.t = 1.5
    reader.latest()
    assert reader.bad_frames == 1 and "corrupt frame" in str(errors[0])
    clock.t = 3.5
    assert not reader.latest().image.any()  # all zeros: a valid, black frame
    clock.t = 4.5
    cut = truncated_jpeg(_Picture().read())
    assert cut is None or validate_image(cut) is not None  # grey below the cut, or nothing
    reader.latest()
    assert faults.injected == {"frame_wrong_shape": 1, "frame_zeros": 1,
                               "frame_truncated_jpeg": 1}


def test_a_source_that_blocks_in_read() -> None:
    faults, clock, slept = _faults(Fault("source_blocks", 1.0, 4.0))
    source = faults.source(_Picture())
    clock.t = 2.0
    assert source.read() is not None  # after hanging until the fault ends
    assert slept == [3.0] and clock.t == 5.0


def test_schedules_parse_and_a_seeded_plan_repeats() -> None:
    assert parse_faults("render@2+5;camera_gone@1") == [Fault("render", 2.0, 5.0),
                                                        Fault("camera_gone", 1.0)]
    with pytest.raises(ValueError, match="kind@start_s"):
        parse_faults("gremlins@3")
    plan = random_plan(7, 600)
    assert plan == random_plan(7, 600) and plan != random_plan(8, 600)
    assert {f.kind for f in plan} == set(KINDS) - {"display_gone"}
    assert all(a.end_s < b.at_s for a, b in zip(plan, plan[1:], strict=False))
    assert parse_faults("seed=7;seconds=600") == plan
