"""Opening hours and the Prometheus folder as systemd gets them: the shipped timers and
services verify, the drop-ins written from kiosk.yaml verify with them, the hours' calendar
expressions pass `systemd-analyze calendar`, "open now" follows the hours through systemd's own
calendar arithmetic, and the screen switch says clearly what a headless X server cannot do.

Debian's X servers that run headless (Xvfb; Xorg's dummy driver) have no DPMS extension
(checked: `xdpyinfo` lists none, `xset q` says so), so switching a real monitor off and on is
not tested here; what the script does on such a server (a clear error, exit 1, where xset
alone prints its usage and exits 0) is.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from kiosk.config import ConfigError, HoursConfig, KioskConfig, load_config
from kiosk.service import units
from kiosk.service.hours import calendar_problems, is_open, next_elapse

ROOT = Path(__file__).resolve().parent.parent
SYSTEMD = ROOT / "systemd"
SHIPPED = ["roulette-kiosk.service", "roulette-kiosk-open.timer", "roulette-kiosk-close.timer",
           "roulette-kiosk-open.service", "roulette-kiosk-close.service",
           "roulette-kiosk-screen@.service"]
# The installed paths the units name, and what stands in for them in a copy here.
INSTALLED = {
    "/opt/roulette-kiosk/venv/bin/kiosk": shutil.which("true") or "/bin/true",
    "/opt/roulette-kiosk/venv/bin/python": sys.executable,
    "/opt/roulette-kiosk/app/systemd/screen-power.sh": str(SYSTEMD / "screen-power.sh"),
}
# The documented examples (systemd/README.md, docs/operations.md) and the placeholders.
EXAMPLES = ["Tue..Sun 10:00", "Tue..Sun 18:00", "Mon..Fri 09:30", "Sat,Sun 11:00",
            "Mon..Fri 18:00", "Sat,Sun 17:00", "*-*-* 10:00:00", "*-*-* 18:00:00"]

analyze = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(
    analyze is None, reason="systemd-analyze not installed (apt-get install systemd)")


def _analyze(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    assert analyze is not None
    return subprocess.run([analyze, *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd, check=False)


def _copy_units(folder: Path) -> Path:
    """The shipped units with the install's paths pointed at files that exist here."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in SHIPPED:
        text = (SYSTEMD / name).read_text(encoding="utf-8")
        for installed, here in INSTALLED.items():
            text = text.replace(installed, here)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _config(tmp_path: Path, **sections) -> tuple[KioskConfig, Path]:
    path = tmp_path / "kiosk.yaml"
    path.write_text(yaml.safe_dump(sections))
    return load_config(path), path


def _at(text: str) -> float:
    """A local wall-clock time (the test runs with TZ=UTC) as Unix seconds."""
    return datetime.fromisoformat(text).timestamp()


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")  # systemd-analyze reads hours in the local zone
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


# -- the configuration ----------------------------------------------------------------------


def test_hours_are_off_by_default_and_set_together() -> None:
    assert not KioskConfig().hours.enabled and KioskConfig().hours.when_closed == "stop"
    hours = load_config(None, ["hours.open=Tue..Sun 10:00", "hours.close=Tue..Sun 18:00"]).hours
    assert hours.open == ["Tue..Sun 10:00"] and hours.close == ["Tue..Sun 18:00"]
    with pytest.raises(ConfigError, match="set together"):
        load_config(None, ["hours.open=Tue..Sun 10:00"])
    with pytest.raises(ValueError, match="one non-empty line"):  # no directive smuggled in
        HoursConfig.model_validate({"open": ["10:00\nExecStart=/bin/sh"], "close": ["18:00"]})
    with pytest.raises(ConfigError, match="when_closed"):
        load_config(None, ["hours.when_closed=sleep"])


@needs_analyze
def test_documented_and_placeholder_expressions_pass_systemd_analyze_calendar() -> None:
    placeholders = [line.split("=", 1)[1] for name in SHIPPED if name.endswith(".timer")
                    for line in (SYSTEMD / name).read_text().splitlines()
                    if line.startswith("OnCalendar=") and line != "OnCalendar="]
    assert len(placeholders) == 2 and set(placeholders) <= set(EXAMPLES)
    result = _analyze("calendar", *EXAMPLES)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Next elapse:") == len(EXAMPLES)
    assert calendar_problems("hours.open", EXAMPLES) == []
    (problem,) = calendar_problems("hours.close", ["Tue..Sun 10:00", "at six"])
    assert problem.startswith("hours.close: 'at six' is not a systemd calendar expression")


# -- open now --------------------------------------------------------------------------------


@needs_analyze
def test_open_now_follows_the_hours() -> None:
    hours = HoursConfig(open=["Mon..Fri 09:30", "Sat,Sun 11:00"],
                        close=["Mon..Fri 18:00", "Sat,Sun 17:00"])
    cases = {  # 2026-12-02 is a Wednesday, 2026-12-06 a Sunday
        "2026-12-02T09:29:59": False, "2026-12-02T09:30:00": True, "2026-12-02T12:00:00": True,
        "2026-12-02T18:00:00": False, "2026-12-02T23:00:00": False,
        "2026-12-06T10:00:00": False, "2026-12-06T12:00:00": True, "2026-12-06T17:30:00": False,
    }
    assert {when: is_open(hours, _at(when)) for when in cases} == cases
    assert next_elapse(hours.open, _at("2026-12-04T19:00:00")) == _at("2026-12-05T11:00:00")
    assert next_elapse(["2020-01-01 10:00"], _at("2026-12-02T12:00:00")) is None
    assert is_open(HoursConfig(), _at("2026-12-02T03:00:00"))  # no hours: always open


@needs_analyze
def test_is_open_command_is_an_exec_condition(tmp_path: Path) -> None:
    """Exit 0 open / 1 closed (systemd skips the start), 0 for hours it cannot read."""
    now = datetime.now()
    # open from a minute ago every day, closing in an hour; and the reverse
    opened = (now.replace(second=0, microsecond=0).timestamp() - 60)
    opens_at = datetime.fromtimestamp(opened).strftime("%H:%M")
    closes_at = datetime.fromtimestamp(opened + 3600).strftime("%H:%M")
    for (o, c), code in {(opens_at, closes_at): 0, (closes_at, opens_at): 1}.items():
        _, path = _config(tmp_path, hours={"open": [o], "close": [c]})
        assert units.main(["is-open", "--config", str(path)]) == code, (o, c, now)
    broken = tmp_path / "broken.yaml"
    broken.write_text("hours: [")
    assert units.main(["is-open", "--config", str(broken)]) == 0


# -- the units and the drop-ins --------------------------------------------------------------


@needs_analyze
def test_the_shipped_units_verify_with_only_the_missing_install_reported() -> None:
    result = _analyze("verify", *(str(SYSTEMD / n) for n in SHIPPED if "@" not in n))
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    missing = [p for p in INSTALLED if not Path(p).exists()]
    unexpected = [line for line in lines
                  if not any(f"Command {p} is not executable" in line for p in missing)]
    assert not unexpected, "\n".join(lines)


@needs_analyze
@pytest.mark.parametrize("when_closed", ["stop", "blank"])
def test_dropins_from_kiosk_yaml_verify_with_the_units(tmp_path: Path, when_closed: str) -> None:
    unit_dir = _copy_units(tmp_path / "system")
    prom = tmp_path / "node-exporter" / "roulette-kiosk.prom"
    config, source = _config(tmp_path, hours={
        "open": ["Mon..Fri 09:30", "Sat,Sun 11:00"], "close": "Mon..Sun 18:00",
        "when_closed": when_closed}, service={"prometheus_textfile": str(prom)})
    assert units.plan(config) == f"HOURS={when_closed}\nTEXTFILE_DIR={prom.parent}\n"
    done = units.write(config, unit_dir, source=str(source))
    written = sorted(p.relative_to(unit_dir).as_posix() for p in unit_dir.rglob("*.conf"))
    expected = ["roulette-kiosk-close.timer.d/50-kiosk-yaml.conf",
                "roulette-kiosk-open.timer.d/50-kiosk-yaml.conf",
                "roulette-kiosk.service.d/50-kiosk-yaml.conf"]
    if when_closed == "blank":
        expected += ["roulette-kiosk-close.service.d/50-kiosk-yaml.conf",
                     "roulette-kiosk-open.service.d/50-kiosk-yaml.conf"]
    assert written == sorted(expected) and len(done) == len(expected)
    opening = (unit_dir / "roulette-kiosk-open.timer.d/50-kiosk-yaml.conf").read_text()
    assert "OnCalendar=\nOnCalendar=Mon..Fri 09:30\nOnCalendar=Sat,Sun 11:00\n" in opening
    assert str(source) in opening  # says where the hours are set
    service = (unit_dir / "roulette-kiosk.service.d/50-kiosk-yaml.conf").read_text()
    assert f"ReadWritePaths=-{prom.parent}\n" in service
    result = _analyze("verify", *SHIPPED[:-1], "roulette-kiosk-screen@off.service",
                      "roulette-kiosk-screen@on.service", cwd=unit_dir)
    assert result.returncode == 0 and (result.stdout + result.stderr).strip() == "", (
        result.stdout + result.stderr)
    # systemd reads the drop-in: a bad expression in it fails verify
    (unit_dir / "roulette-kiosk-open.timer.d/50-kiosk-yaml.conf").write_text(
        "[Timer]\nOnCalendar=\nOnCalendar=at six\n")
    bad = _analyze("verify", "roulette-kiosk-open.timer", cwd=unit_dir)
    assert bad.returncode != 0 and "at six" in bad.stdout + bad.stderr


def test_write_removes_what_kiosk_yaml_no_longer_asks_for(tmp_path: Path) -> None:
    unit_dir = tmp_path / "system"
    config, source = _config(tmp_path, service={"prometheus_textfile": "/srv/m/k.prom"})
    assert units.write(config, unit_dir, source=str(source), dry_run=True)
    assert not unit_dir.exists()  # a dry run writes nothing
    units.write(config, unit_dir, source=str(source))
    assert [p.name for p in unit_dir.rglob("*.conf")] == ["50-kiosk-yaml.conf"]
    assert units.write(config, unit_dir, source=str(source))[0].startswith("= ")  # unchanged
    done = units.write(KioskConfig(), unit_dir, source=str(source))
    assert done == [f"- {unit_dir}/roulette-kiosk.service.d/50-kiosk-yaml.conf"]
    assert list(unit_dir.iterdir()) == []


def test_a_textfile_folder_systemd_cannot_be_given_is_refused(tmp_path: Path) -> None:
    config, _ = _config(tmp_path, service={"prometheus_textfile": "/srv/my metrics/k.prom"})
    with pytest.raises(units.UnitsError, match="without spaces"):
        units.dropins(config)


@needs_analyze
def test_install_dry_run_installs_the_timers_and_applies_the_hours() -> None:
    result = subprocess.run(["bash", str(SYSTEMD / "install.sh"), "--dry-run", "--hours"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for unit in SHIPPED:
        assert f"/etc/systemd/system/{unit}" in out, unit
    assert "kiosk.service.units write" in out and "--dry-run" in out
    assert "hours: off" in out  # the shipped kiosk.yaml has none
    assert "useradd" not in out and "pip" not in out  # --hours: steps 4-6 only


# -- the screen switch -----------------------------------------------------------------------


def _screen_power(display: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DISPLAY": display}
    return subprocess.run(["sh", str(SYSTEMD / "screen-power.sh"), "off"], capture_output=True,
                          text=True, timeout=30, env=env, check=False)


@pytest.mark.skipif(shutil.which("Xvfb") is None or shutil.which("xset") is None,
                    reason="Xvfb and xset not installed (scripts/setup.sh installs them)")
def test_screen_power_on_a_headless_x_server_says_it_has_no_dpms(tmp_path: Path) -> None:
    display = f":{90 + os.getpid() % 50}"
    server = subprocess.Popen(["Xvfb", display, "-screen", "0", "320x240x24", "-nolisten",
                               "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        probe = None
        while time.monotonic() < deadline:
            probe = subprocess.run(["xset", "-display", display, "q"], capture_output=True,
                                   text=True, check=False)
            if probe.returncode == 0:
                break
            time.sleep(0.2)
        assert probe is not None and probe.returncode == 0, "Xvfb did not start"
        assert "does not have the DPMS Extension" in probe.stdout  # why success is untested
        result = _screen_power(display)
        assert result.returncode == 1
        assert re.search(r"has no DPMS extension: the screen cannot be switched off",
                         result.stderr), result.stderr
    finally:
        server.terminate()
        server.wait(timeout=10)
    gone = _screen_power(display)  # the server is gone
    assert gone.returncode == 1 and f"no X server at DISPLAY={display}" in gone.stderr
