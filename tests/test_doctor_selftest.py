"""`kiosk doctor`'s self-test: the real detector, renderer, model and worker on the demo's
photographs, timed against camera.fps; an impossible budget is a WARN that says why."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from kiosk import cli
from kiosk.config import load_config
from kiosk.doctor import selftest
from kiosk.hostinfo import HostInfo


@pytest.fixture()
def headless(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.delenv("KIOSK_SET", raising=False)


def test_the_self_test_really_runs_and_prints_its_figures(headless) -> None:
    cfg = load_config(None, ["camera.source=demo"])
    fig = selftest.measure(cfg)
    assert fig.faces_found  # the detector sees the demo's visitors
    assert fig.size == (1280, 720) and fig.fps == 30.0
    assert 0.0 < fig.frame_p50 <= fig.frame_p95 < 1000.0
    for stage in (fig.decode_p50, fig.follow_p50, fig.draw_p50):  # the picture's path
        assert 0.0 < stage < fig.frame_p95 + 1e-9
    assert fig.detect_p50 > 0.0  # beside it, on its own thread in the kiosk
    assert fig.frame_while_labelling_p95 > 0.0
    assert 0.0 < fig.crop_p50 < 1000.0
    assert fig.provider == "CPUExecutionProvider" and fig.workers == 2 and fig.threads >= 1
    # the fourth of four labels lands no sooner than the spin's designed length, and after
    # its crops' work
    assert fig.spin_crops == cfg.spin.crops and fig.spin_min == cfg.spin.min_s * 1000.0
    assert fig.spin_min <= fig.first_label_p50 <= fig.first_label_max < 10_000.0
    assert fig.seconds > 0.0  # how long is the doctor's to print, not a test's to judge

    checks = selftest.judge(fig)
    names = [c.name for c in checks]
    assert names == ["selftest", "frame", "crop", "newcomers"]
    assert {c.status for c in checks[1:]} <= {"OK", "WARN"}  # OK or WARN: the machine is shared
    header, frame, crop, newcomers = (c.detail for c in checks)
    assert fig.host.cpu_model in header and "1280x720" in header and "30 fps" in header
    assert f"p50 {fig.frame_p50:.1f}" in frame and "budget" in frame and "detect" in frame
    assert f"{fig.crop_p50:.1f} ms p50" in crop and "2 workers" in crop
    assert f"lands after {fig.first_label_p50:.0f} ms p50" in newcomers
    assert "beyond the spin" in newcomers and "crops' time" in newcomers


def test_an_impossible_frame_budget_is_a_warn_that_says_why(headless) -> None:
    checks = selftest.check_selftest(load_config(None, [  # a 1080p picture at 240 fps
        "camera.source=demo", "camera.fps=240", "camera.width=1920", "camera.height=1080"]))
    by_name = {c.name: c for c in checks}
    frame = by_name["frame"]
    assert frame.status == "WARN", frame
    assert "4.2 ms budget" in frame.detail and "too slow for 240 fps" in frame.detail
    assert "visitors see it stutter" in frame.detail
    # the slowest stage is named, with its time
    assert re.search(r"(decode|draw) takes the most \(\d+\.\d ms\)", frame.detail)


def _figures(**changes: float) -> selftest.Figures:
    base = selftest.Figures(
        host=HostInfo("Test CPU", avx512=False, cores=2), fps=30.0, size=(1280, 720),
        frame_p50=12.0, frame_p95=15.0, decode_p50=3.0, detect_p50=8.0, draw_p50=1.0,
        frame_while_labelling_p95=20.0, crop_p50=18.0, provider="CPUExecutionProvider",
        workers=2, threads=1, first_label_p50=850.0, first_label_max=860.0, faces_found=True,
        seconds=4.0, spin_min=800.0, spin_crops=10)
    return replace(base, **changes)


def test_judgement_against_the_frame_budget() -> None:
    assert [c.status for c in selftest.judge(_figures())] == ["INFO", "OK", "OK", "OK"]
    jerky = {c.name: c for c in selftest.judge(_figures(frame_p95=40.0))}["frame"]
    assert jerky.status == "WARN" and "jerk" in jerky.detail
    busy = {c.name: c for c in selftest.judge(_figures(frame_while_labelling_p95=45.0))}
    assert busy["frame"].status == "WARN" and "while newcomers wait" in busy["frame"].detail
    slow = {c.name: c for c in selftest.judge(_figures(crop_p50=40.0, first_label_p50=1000.0))}
    assert slow["crop"].status == "WARN" and "slower than a frame" in slow["crop"].detail
    assert slow["newcomers"].status == "WARN" and "200 ms longer" in slow["newcomers"].detail
    rare = {c.name: c for c in selftest.judge(_figures(detect_p50=120.0))}["frame"]
    assert rare.status == "WARN" and "detection is slow" in rare.detail
    blind = selftest.judge(_figures(faces_found=False))
    assert [c.status for c in blind[:2]] == ["INFO", "WARN"] and "no face" in blind[1].detail


def test_doctor_no_selftest_skips_it(headless, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["doctor", "--no-selftest", "--set", "camera.source=demo"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "OK   network" in out and "selftest" not in out and "newcomers" not in out
