"""The running service: its health file (repeated failures of a component) and systemd's view."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from kiosk.config import KioskConfig
from kiosk.doctor.base import Check, Status

UNIT = "roulette-kiosk.service"
SERVICE_HEALTH_FILE = Path("/run/roulette-kiosk/health.json")  # set by the systemd unit


def check_health(cfg: KioskConfig, now: float | None = None) -> list[Check]:
    from kiosk.service.health import read_health

    path = cfg.service.health_file or SERVICE_HEALTH_FILE
    try:
        doc = read_health(path)
    except (OSError, ValueError) as exc:
        return [Check("WARN", "health", f"{path}: unreadable: {exc}")]
    if doc is None:
        return [Check("INFO", "health", f"{path}: none (service not running, or health_file "
                      "unset)")]  # fmt: skip
    now = time.time() if now is None else now
    age = now - float(doc.get("timestamp", 0))
    fps = doc.get("fps")
    errors = doc.get("errors") or {}
    summary = (
        f"{path}: {age:.0f} s old, fps {fps if fps is not None else '-'}, "
        f"provider {doc.get('provider', '-')}, rss {doc.get('rss_mb', '-')} MB, "
        f"uptime {doc.get('uptime_s', '-')} s"
    )
    checks: list[Check] = []
    stale_after = max(3 * cfg.service.health_interval_s, 3 * cfg.service.metrics_interval_s)
    if age > stale_after:
        checks.append(Check("WARN", "health", f"{summary}: stale (service hung or stopped?)"))
    else:
        checks.append(Check("OK", "health", summary))
    failing = doc.get("failing") or []
    streaks = doc.get("consecutive_failures") or {}
    last = doc.get("last_error") or {}
    for component in failing:
        checks.append(
            Check("FAIL", "failures", f"{component}: {streaks.get(component, '?')} failures "
                  f"in a row, last: {last.get(component, '?')}")
        )  # fmt: skip
    others = {c: n for c, n in errors.items() if n and c not in failing}
    if others:
        text = ", ".join(f"{c} {n}" for c, n in sorted(others.items()))
        checks.append(Check("WARN", "failures", f"errors since start (recovered): {text}"))
    return checks


def check_systemd() -> list[Check]:
    if not Path("/run/systemd/system").is_dir() or shutil.which("systemctl") is None:
        return [Check("INFO", "systemd", "systemd is not running here; service not checked")]
    try:
        out = subprocess.run(
            ["systemctl", "show", UNIT, "-p", "LoadState,ActiveState,SubState,NRestarts,"
             "StatusText,UnitFileState"],
            capture_output=True, text=True, timeout=5, check=False,
        ).stdout  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [Check("INFO", "systemd", f"systemctl failed: {exc}")]
    props = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    if props.get("LoadState") != "loaded":
        return [Check("INFO", "systemd", f"{UNIT} not installed (systemd/install.sh)")]
    state = f"{props.get('ActiveState')}/{props.get('SubState')}"
    restarts = int(props.get("NRestarts", "0") or 0)
    detail = f"{UNIT} {state}, {props.get('UnitFileState', '?')}, restarts {restarts}" + (
        f", status: {props['StatusText']}" if props.get("StatusText") else ""
    )
    if restarts:
        return [Check("WARN", "systemd", f"{detail}; see journalctl -u {UNIT} -b")]
    status: Status = "OK" if props.get("ActiveState") == "active" else "INFO"
    return [Check(status, "systemd", detail)]
