"""systemd drop-ins made from kiosk.yaml, so the installer's one file also sets what systemd
does: the opening hours (hours.*) and the one folder the unit may write for Prometheus
(service.prometheus_textfile). systemd/install.sh runs this module as root:

    python -m kiosk.service.units plan  --config /etc/roulette-kiosk/kiosk.yaml
    python -m kiosk.service.units write --config ... --unit-dir /etc/systemd/system [--dry-run]
    python -m kiosk.service.units is-open --config ...   # exit 0 open, 1 closed (ExecCondition)

`write` owns exactly the drop-ins named in MANAGED: each is written when the config wants it
and removed when it does not, so taking the hours out of kiosk.yaml turns the timers back
into the shipped placeholders (install.sh then disables them).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from kiosk.config import ConfigError, KioskConfig, load_config

SERVICE = "roulette-kiosk.service"
OPEN_TIMER = "roulette-kiosk-open.timer"
CLOSE_TIMER = "roulette-kiosk-close.timer"
OPEN_SERVICE = "roulette-kiosk-open.service"
CLOSE_SERVICE = "roulette-kiosk-close.service"
SCREEN = "roulette-kiosk-screen@{}.service"
SYSTEMCTL = "/usr/bin/systemctl --no-block start"
DROPIN = "50-kiosk-yaml.conf"
MANAGED = tuple(f"{unit}.d/{DROPIN}" for unit in (SERVICE, OPEN_TIMER, CLOSE_TIMER,
                                                    OPEN_SERVICE, CLOSE_SERVICE))
HEADER = ("# Written by systemd/install.sh from {config}; edit that file and run\n"
          "# `sudo systemd/install.sh --hours`, not this one.\n")


class UnitsError(Exception):
    """The config asks for something systemd cannot be told."""


def textfile_dir(config: KioskConfig) -> Path | None:
    """The folder of service.prometheus_textfile (what the unit may write), or None."""
    path = config.service.prometheus_textfile
    return None if path is None else config.resolve(path).parent


def _timer(expressions: list[str], source: str) -> str:
    lines = ["[Timer]", "OnCalendar="]  # the empty assignment drops the placeholder
    lines += [f"OnCalendar={expression}" for expression in expressions]
    return HEADER.format(config=source) + "\n".join(lines) + "\n"


def _blank(units: str, why: str, source: str) -> str:
    """A service drop-in for hours.when_closed: blank (a timer's Unit= cannot be changed by a
    drop-in, so the open and close services change what they start instead)."""
    return (HEADER.format(config=source) + f"# hours.when_closed: blank: {why}\n[Service]\n"
            "ExecCondition=\nExecStart=\n" f"ExecStart={SYSTEMCTL} {units}\n")


def dropins(config: KioskConfig, source: str = "kiosk.yaml") -> dict[str, str]:
    """{path below the unit folder: content} for what `config` asks; UnitsError if it cannot."""
    from kiosk.service.hours import calendar_problems

    out: dict[str, str] = {}
    hours = config.hours
    if hours.enabled:
        problems = calendar_problems("hours.open", hours.open)
        problems += calendar_problems("hours.close", hours.close)
        if problems:
            raise UnitsError("; ".join(problems))
        out[f"{OPEN_TIMER}.d/{DROPIN}"] = _timer(hours.open, source)
        out[f"{CLOSE_TIMER}.d/{DROPIN}"] = _timer(hours.close, source)
        if hours.when_closed == "blank":
            out[f"{OPEN_SERVICE}.d/{DROPIN}"] = _blank(
                f"{SERVICE} {SCREEN.format('on')}", "the kiosk runs (started if it was not) and "
                "the screen comes on", source)
            out[f"{CLOSE_SERVICE}.d/{DROPIN}"] = _blank(
                SCREEN.format("off"), "the screen goes off, the kiosk keeps running", source)
    folder = textfile_dir(config)
    if folder is not None:
        if not folder.is_absolute() or any(ch.isspace() or ch in "\"'\\" for ch in str(folder)):
            raise UnitsError(f"service.prometheus_textfile: {folder} must be an absolute path "
                             "without spaces or quotes to be given to systemd (ReadWritePaths=)")
        # "-": a missing folder must not stop the kiosk from starting (monitoring is extra)
        out[f"{SERVICE}.d/{DROPIN}"] = (
            HEADER.format(config=source) + "[Service]\n"
            "# The Prometheus textfile's folder: the one place added to what the kiosk writes.\n"
            f"ReadWritePaths=-{folder}\n")
    return out


def plan(config: KioskConfig) -> str:
    """Shell assignments for install.sh: HOURS=off|stop|blank and TEXTFILE_DIR (may be empty)."""
    hours = config.hours.when_closed if config.hours.enabled else "off"
    folder = textfile_dir(config)
    return f"HOURS={hours}\nTEXTFILE_DIR={shlex.quote(str(folder)) if folder else ''}\n"


def write(config: KioskConfig, unit_dir: Path, *, source: str, dry_run: bool = False) -> list[str]:
    """Write the wanted drop-ins, remove the unwanted managed ones; what was done, a line each."""
    wanted = dropins(config, source)
    done = []
    for name in MANAGED:
        path = unit_dir / name
        if name in wanted:
            if path.is_file() and path.read_text(encoding="utf-8") == wanted[name]:
                done.append(f"= {path} (unchanged)")
                continue
            done.append(f"+ {path}:\n" + "".join(f"    {line}\n"
                                                 for line in wanted[name].splitlines()).rstrip())
            if not dry_run:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(wanted[name], encoding="utf-8")
                path.chmod(0o644)
        elif path.exists():
            done.append(f"- {path}")
            if not dry_run:
                path.unlink()
                if not any(path.parent.iterdir()):
                    path.parent.rmdir()
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk.service.units", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["plan", "write", "is-open"])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--unit-dir", type=Path, default=Path("/etc/systemd/system"))
    parser.add_argument("--dry-run", action="store_true", help="write: print, change nothing")
    args = parser.parse_args(argv)
    if args.action == "is-open":
        return _is_open_command(args.config)
    try:
        config = load_config(args.config)
        if args.action == "plan":
            print(plan(config), end="")
        elif args.action == "write":
            for line in write(config, args.unit_dir, source=str(args.config),
                              dry_run=args.dry_run):
                print(line)
    except (ConfigError, UnitsError, OSError) as exc:
        print(f"kiosk.service.units: error: {exc}", file=sys.stderr)
        return 2
    return 0


def _is_open_command(config_path: Path) -> int:
    """Exit 0 within opening hours, 1 outside (ExecCondition= skips the start on 1). When the
    hours cannot be read, 0: the kiosk starts and its own start-up names the problem in the
    journal, rather than a dark screen nobody can explain."""
    from kiosk.service.hours import is_open

    try:
        config = load_config(config_path)
        now_open = is_open(config.hours)
    except Exception as exc:
        print(f"cannot tell the opening hours ({type(exc).__name__}: {exc}); starting the kiosk",
              file=sys.stderr)
        return 0
    if now_open:
        print("open: starting the kiosk")
        return 0
    print(f"closed (hours in {config_path}): the kiosk stays off until the next opening")
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
