"""Read a systemd unit file the way systemd does for the few keys the kiosk's tools need.

The display test runs the installed unit's own command line with its own environment, and the
doctor checks that the compositor the unit starts is installed: both read the unit rather than
repeat it, so that they follow the file a museum really has.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class UnitFile:
    """(section, key, value) for every assignment, in order: systemd allows a key more than
    once (Environment=, DeviceAllow=), and an empty value resets a list."""

    directives: tuple[tuple[str, str, str], ...]

    @classmethod
    def read(cls, path: Path) -> UnitFile:
        section, out = "", []
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = line.strip("[]")
                continue
            key, _, value = line.partition("=")
            out.append((section, key.strip(), value.strip()))
        return cls(tuple(out))

    def values(self, key: str, section: str = "Service") -> list[str]:
        found: list[str] = []
        for sec, k, v in self.directives:
            if sec == section and k == key:
                found = [] if v == "" else [*found, v]
        return found

    def environment(self) -> dict[str, str]:
        """Environment= assignments merged in order (each line may hold several, quoted)."""
        env: dict[str, str] = {}
        for value in self.values("Environment"):
            for word in shlex.split(value):
                name, _, val = word.partition("=")
                env[name] = val
        return env

    def exec_start(self) -> list[str]:
        """The one ExecStart= command line as argv (systemd's '-', '@', '+' prefixes dropped)."""
        lines = self.values("ExecStart")
        if len(lines) != 1:
            raise ValueError(f"expected one ExecStart=, found {len(lines)}")
        argv = shlex.split(lines[0])
        argv[0] = argv[0].lstrip("-@+!:")
        return argv
