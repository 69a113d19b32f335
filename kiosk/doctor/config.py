"""The configuration file: valid, and the files it names exist."""

from __future__ import annotations

from pathlib import Path

from kiosk.config import (
    ConfigError,
    KioskConfig,
    check_paths,
    config_path_from_env,
    load_config_from_env,
)
from kiosk.doctor.base import Check

# check_paths() keys that a later check reports in more detail (no duplicate FAIL lines)
_PATHS_CHECKED_LATER = (
    "detector.",
    "classifier.model_dir",
    "vocabulary.labels_dir",
    "camera.device",
)



def check_config(
    config_path: Path | None, overrides: list[str] | None
) -> tuple[KioskConfig | None, list[Check]]:
    path = config_path_from_env(config_path)
    shown = str(path) if path.exists() else f"{path} (not found: built-in defaults)"
    try:
        cfg = load_config_from_env(config_path, overrides)
    except ConfigError as exc:
        return None, [Check("FAIL", "config", str(exc))]
    checks = [Check("OK", "config", f"{shown} valid")]
    for problem in check_paths(cfg):
        if not problem.startswith(_PATHS_CHECKED_LATER):
            checks.append(Check("FAIL", "paths", problem))
    return cfg, checks
