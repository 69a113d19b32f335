"""The display: which SDL video driver works, and the screens it sees."""

from __future__ import annotations

import os
from pathlib import Path

from kiosk.doctor.base import Check


def check_display() -> list[Check]:
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
        return [Check("WARN", "display", f"SDL driver {driver}: nothing is shown{detail}")]
    return [Check("OK", "display", f"SDL driver {driver}, screen(s) {screens}"
                  + (f" ({hints})" if hints else ""))]  # fmt: skip
