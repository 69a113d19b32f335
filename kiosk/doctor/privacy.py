"""Privacy: capture off, and internet sockets denied as `kiosk run` denies them."""

from __future__ import annotations

import subprocess
import sys

from kiosk.config import KioskConfig
from kiosk.doctor.base import Check

_NETWORK_PROBE = (
    "from kiosk.service.network_guard import deny_network_sockets, internet_socket_denied\n"
    "problem = deny_network_sockets()\n"
    "print(problem if problem else ('ok' if internet_socket_denied() else 'not denied'))\n"
)


def check_privacy(cfg: KioskConfig) -> list[Check]:
    """Capture off, and internet sockets denied as `kiosk run` denies them (tried in a child
    process: the filter cannot be taken back, and doctor's own process must stay as it was)."""
    if cfg.capture.enabled:
        checks = [Check("WARN", "privacy", f"capture is ON: annotated frames of visitors are "
                        f"written to {cfg.capture.folder}")]  # fmt: skip
    else:
        checks = [Check("OK", "privacy", "capture off: no image of a visitor is written")]
    if not cfg.service.deny_network:
        return checks + [Check("WARN", "network", "service.deny_network is off: MediaPipe may "
                               "reach Google for usage logging")]  # fmt: skip
    probe = subprocess.run([sys.executable, "-c", _NETWORK_PROBE], capture_output=True,
                           text=True, timeout=30)
    answer = (probe.stdout.strip() or probe.stderr.strip() or "no answer").splitlines()[-1]
    if answer == "ok":
        return checks + [Check("OK", "network", "internet sockets denied to the kiosk (seccomp)")]
    return checks + [Check("FAIL", "network", f"cannot deny internet sockets: {answer}; "
                           "install libseccomp2")]  # fmt: skip
