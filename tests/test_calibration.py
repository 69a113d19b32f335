"""The kiosk learns its own room (issue 23): aggregate statistics only, a fixed-size file,
nothing saved before 20 visitors, blended with the shipped prior, survives a restart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kiosk.classify.calibration import (
    MIN_VISITORS,
    CalibrationError,
    SiteCalibration,
    file_size,
)
from kiosk.classify.prior import ScorePrior

C = 2832


@pytest.fixture()
def shipped() -> ScorePrior:
    rng = np.random.default_rng(0)
    return ScorePrior(rng.normal(0.1, 0.02, C), rng.uniform(0.01, 0.03, C))


def _visitors(n: int, shift: float, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(0.1 + shift, 0.02, (n, C))


def test_nothing_is_saved_before_twenty_visitors(tmp_path: Path, shipped) -> None:
    cal = SiteCalibration(shipped, tmp_path / "state" / "cal.bin")
    for row in _visitors(MIN_VISITORS - 1, 0.0):
        cal.add_visitor(row)
        assert not cal.save()
    assert not (tmp_path / "state").exists()
    cal.add_visitor(_visitors(1, 0.0, seed=9)[0])
    assert cal.save()
    assert (tmp_path / "state" / "cal.bin").stat().st_size == file_size(C)
    assert sorted(p.name for p in (tmp_path / "state").iterdir()) == ["cal.bin"]


def test_the_file_has_one_size_whatever_the_count(tmp_path: Path, shipped) -> None:
    sizes = set()
    for n in (20, 57, 400):
        cal = SiteCalibration(shipped, tmp_path / f"{n}.bin")
        for row in _visitors(n, 0.0):
            cal.add_visitor(row)
        cal.save()
        sizes.add((tmp_path / f"{n}.bin").stat().st_size)
    # 6 + 2 + 4 + 8 header bytes and two float64 vectors: no room for an image of a visitor
    assert sizes == {20 + 16 * C}


def test_the_room_survives_a_restart_and_is_reset(tmp_path: Path, shipped) -> None:
    path = tmp_path / "cal.bin"
    first = SiteCalibration(shipped, path)
    rows = _visitors(30, 0.05)
    for row in rows:
        first.add_visitor(row)
    assert first.save()
    again = SiteCalibration(shipped, path)
    assert again.load() and again.count == 30
    np.testing.assert_allclose(again.prior().mean, first.prior().mean)
    np.testing.assert_allclose(again.prior().sd, first.prior().sd)
    assert again.reset() and not path.exists() and again.count == 0
    assert again.prior() is shipped


def test_the_blend_moves_towards_the_room_as_visitors_come(shipped) -> None:
    cal = SiteCalibration(shipped, None, prior_weight=100.0)
    rows = _visitors(300, 0.05)
    for row in rows[:100]:
        cal.add_visitor(row)
    half = cal.prior().mean
    for row in rows[100:]:
        cal.add_visitor(row)
    room = rows.mean(axis=0)
    # after 100 visitors the room weighs as much as the shipped prior; after 300, three times
    np.testing.assert_allclose(half, (shipped.mean + rows[:100].mean(axis=0)) / 2, rtol=1e-9)
    np.testing.assert_allclose(cal.prior().mean, (shipped.mean + 3 * room) / 4, rtol=1e-9)
    assert (cal.prior().sd > 0).all()


def test_a_foreign_or_damaged_file_is_an_error_naming_it(tmp_path: Path, shipped) -> None:
    path = tmp_path / "cal.bin"
    path.write_bytes(b"\x89PNG" + bytes(file_size(C) - 4))
    with pytest.raises(CalibrationError, match="cal.bin"):
        SiteCalibration(shipped, path).load()
    path.write_bytes(b"short")
    with pytest.raises(CalibrationError, match="bytes"):
        SiteCalibration(shipped, path).load()


def test_off_keeps_nothing(tmp_path: Path, shipped) -> None:
    cal = SiteCalibration(shipped, tmp_path / "cal.bin", enabled=False)
    for row in _visitors(40, 0.1):
        cal.add_visitor(row)
    assert not cal.save() and cal.count == 0 and cal.prior() is shipped
