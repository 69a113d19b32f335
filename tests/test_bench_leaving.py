"""The leaving benchmark's figures (scripts/bench/bench_leaving.py), on drawn frames written
by hand: what each key counts is what its docstring says."""

from __future__ import annotations

import numpy as np

from scripts.bench.bench_leaving import Clip, Drawn, continuous_figures, leave_figures, pass_figures

BLANK = np.zeros((4, 4, 3), np.uint8)


def _clip(way: str, n: int, **truth: list[bool]) -> Clip:
    return Clip("t", way, 10.0, [BLANK] * n, truth.get("in_view", [True] * n),
                truth.get("hidden", [False] * n), truth.get("covered", [False] * n))


def test_leave_counts_from_the_first_empty_frame_drawn_to_the_first_without_a_box() -> None:
    clip = _clip("cut", 6, in_view=[True, True, True, False, False, False])
    drawn = [Drawn(0.1 * i, i, ((1, "n1"),) if i < 5 else ()) for i in range(6)]
    got = leave_figures(clip, drawn)
    assert np.isclose(got["leave_s"], 0.2) and got["boxed_after"] == 2


def test_pass_counts_boxes_while_hidden_the_return_and_the_same_visitor() -> None:
    hidden = [False, False, True, True, False, False, False]
    covered = [False, True, True, True, True, False, False]
    clip = _clip("pass", 7, hidden=hidden, covered=covered)
    faces = [((1, "n1"),), ((1, "n1"),), ((1, "n1"),), (), (), (), ((1, "n1"),)]
    drawn = [Drawn(0.1 * i, i, f) for i, f in enumerate(faces)]
    got = pass_figures(clip, drawn)
    assert np.isclose(got["hidden_box_s"], 0.1)  # frame 2 drawn with a box while hidden
    assert np.isclose(got["return_s"], 0.1)  # wholly in view from frame 5, boxed on 6
    assert got["same_track"] == 1.0 and got["same_label"] == 1.0 and got["respins"] == 0.0
    newcomer = drawn[:6] + [Drawn(0.6, 6, ((2, None),))]
    got = pass_figures(clip, newcomer)
    assert got["same_track"] == 0.0 and got["respins"] == 1.0


def test_continuous_counts_boxed_frames_tracks_and_label_changes() -> None:
    clip = _clip("continuous", 4)
    drawn = [Drawn(0.0, 0, ()), Drawn(0.1, 1, ((1, None),)), Drawn(0.2, 2, ((1, "n1"),)),
             Drawn(0.3, 3, ((1, "n2"),))]
    got = continuous_figures(clip, drawn)
    assert got == {"box_share": 0.75, "tracks": 1.0, "label_changes": 1.0}
