"""The display: which SDL video driver works, the screens it sees, and the service's own path
(the compositor its unit starts)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from kiosk.config import KioskConfig
from kiosk.doctor.base import Check

INSTALLED_UNIT = Path("/etc/systemd/system/roulette-kiosk.service")


def check_display(cfg: KioskConfig | None = None, *, unit: Path = INSTALLED_UNIT) -> list[Check]:
    """FAIL where nothing would be shown and a screen is required: display.require_screen
    (auto: under systemd), or an installed service, which never runs headless."""
    from kiosk.app import screen_required

    required = (cfg is not None and screen_required(cfg)) or unit.is_file()
    sdl = _check_sdl(required)
    if unit.is_file() and sdl[0].status == "FAIL":
        age = _service_health_age(cfg or KioskConfig())
        if age is not None:  # a technician's terminal has no screen; the running service has
            sdl = [Check("INFO", "display", f"none from this terminal ({sdl[0].detail}); the "
                         f"service shows on its own (its health file is {age:.0f} s old, and "
                         "it never runs without a screen)")]  # fmt: skip
    return [*sdl, *_check_unit_display_path(unit)]


def _service_health_age(cfg: KioskConfig) -> float | None:
    """Seconds since the running service last wrote its health file, if it did lately."""
    from kiosk.doctor.service import SERVICE_HEALTH_FILE
    from kiosk.service.health import read_health

    try:
        doc = read_health(cfg.service.health_file or SERVICE_HEALTH_FILE)
    except (OSError, ValueError):
        return None
    if not doc:
        return None
    age = time.time() - float(doc.get("timestamp", 0))
    return age if age <= 3 * max(cfg.service.health_interval_s, 1.0) else None


def _check_sdl(required: bool) -> list[Check]:
    hints = ", ".join(
        f"{k}={os.environ[k]}" for k in ("SDL_VIDEODRIVER", "DISPLAY", "WAYLAND_DISPLAY")
        if os.environ.get(k)
    )  # fmt: skip
    dri = (
        sorted(p.name for p in Path("/dev/dri").glob("card*")) if Path("/dev/dri").is_dir() else []
    )
    hints = "; ".join(x for x in (hints, f"/dev/dri: {', '.join(dri)}" if dri else "") if x)
    try:
        import pygame

        pygame.display.init()
        try:
            driver = pygame.display.get_driver()
            sizes = pygame.display.get_desktop_sizes()
        finally:
            pygame.display.quit()
    except Exception as exc:
        return [Check("FAIL", "display", f"no SDL video driver works ({exc}); "
                      f"{hints or 'no DISPLAY, WAYLAND_DISPLAY or /dev/dri card'}")]  # fmt: skip
    screens = ", ".join(f"{w}x{h}" for w, h in sizes) or "none"
    if driver in ("dummy", "offscreen"):
        detail = f" ({hints})" if hints else ""
        if required:
            return [Check("FAIL", "display", f"SDL driver {driver}: nothing is shown{detail}, "
                          "and this kiosk needs a screen (display.require_screen, or the "
                          "installed service): it will not start")]  # fmt: skip
        return [Check("WARN", "display", f"SDL driver {driver}: nothing is shown{detail}")]
    return [Check("OK", "display", f"SDL driver {driver}, screen(s) {screens}"
                  + (f" ({hints})" if hints else ""))]  # fmt: skip


def _check_unit_display_path(unit: Path) -> list[Check]:
    """The installed unit starts a compositor, which starts Xwayland for SDL's x11 driver:
    both must be installed, or the service restarts for ever with a black screen."""
    if not unit.is_file():
        return []
    from kiosk.service.unitfile import UnitFile

    argv = UnitFile.read(unit).exec_start()
    compositor = argv[0]
    missing = [p for p in (compositor,) if not Path(p).is_file()]
    if Path(compositor).name == "cage" and shutil.which("Xwayland") is None:
        missing.append("Xwayland")
    if missing:
        return [Check("FAIL", "display", f"{unit} starts {compositor}, but {', '.join(missing)} "
                      "is not installed (apt-get install cage xwayland)")]  # fmt: skip
    return [Check("OK", "display", f"service display path: {Path(compositor).name} "
                  f"({compositor}) with Xwayland, from {unit}")]  # fmt: skip
