"""Runs every check, each guarded, and prints them as one screen of OK / WARN / FAIL lines."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from kiosk.config import KioskConfig
from kiosk.doctor.audio import check_audio
from kiosk.doctor.base import Check
from kiosk.doctor.camera import check_cameras
from kiosk.doctor.config import check_config
from kiosk.doctor.display import check_display
from kiosk.doctor.labels import check_labels
from kiosk.doctor.models import check_classifier, check_detector
from kiosk.doctor.privacy import check_privacy
from kiosk.doctor.selftest import run_apart
from kiosk.doctor.service import check_health, check_systemd


def _guarded(name: str, fn: Callable[[], list[Check]]) -> list[Check]:
    try:
        return fn()
    except Exception as exc:  # a crashing check is a finding, not a crashing doctor
        return [Check("FAIL", name, f"check crashed: {type(exc).__name__}: {exc}")]


def _selftest(cfg: KioskConfig, earlier: list[Check]) -> list[Check]:
    """The self-test needs the detector and the model that earlier checks loaded."""
    broken = sorted({c.name for c in earlier
                     if c.status == "FAIL" and c.name in ("detector", "classifier")})
    if broken:
        return [Check("INFO", "selftest", f"not run: the {' and '.join(broken)} did not load")]
    return run_apart(cfg)


def collect_checks(config_path: Path | None, overrides: list[str] | None = None,
                   selftest: bool = True) -> list[Check]:
    cfg, checks = check_config(config_path, overrides)
    if cfg is None:
        cfg = KioskConfig()
        checks.append(Check("INFO", "config", "the checks below use the built-in defaults"))

    checks += _guarded("camera", lambda: check_cameras(cfg))
    checks += _guarded("display", lambda: check_display(cfg))
    checks += _guarded("detector", lambda: check_detector(cfg))
    wnids: list[tuple[str, ...] | None] = [None]

    def classifier() -> list[Check]:
        found, wnids[0] = check_classifier(cfg)
        return found

    checks += _guarded("classifier", classifier)
    checks += _guarded("labels", lambda: check_labels(cfg, wnids[0]))
    checks += _guarded("health", lambda: check_health(cfg))
    checks += _guarded("systemd", check_systemd)
    checks += _guarded("privacy", lambda: check_privacy(cfg))
    checks += _guarded("audio", lambda: check_audio(cfg))
    if selftest:
        earlier = list(checks)
        checks += _guarded("selftest", lambda: _selftest(cfg, earlier))
    return checks


def render(checks: list[Check], out: TextIO) -> None:
    from kiosk import __version__

    print(f"roulette kiosk {__version__} doctor", file=out)
    for check in checks:
        lines = check.detail.splitlines() or [""]
        print(f"{check.status:<4} {check.name:<10} {lines[0]}", file=out)
        for line in lines[1:]:
            print(f"{'':<15} {line.strip()}", file=out)
    fails = sum(c.status == "FAIL" for c in checks)
    warns = sum(c.status == "WARN" for c in checks)
    verdict = "problems found" if fails else "ready"
    print(f"{verdict}: {fails} FAIL, {warns} WARN", file=out)


def run_doctor(config_path: Path | None, overrides: list[str] | None = None,
               out: TextIO | None = None, selftest: bool = True) -> int:
    """Print the checks (and, unless `selftest` is False, the self-test's speed lines);
    0 when none FAILs, 1 otherwise."""
    out = out or sys.stdout
    checks = collect_checks(Path(config_path) if config_path else None, overrides, selftest)
    render(checks, out)
    return 1 if any(c.status == "FAIL" for c in checks) else 0
