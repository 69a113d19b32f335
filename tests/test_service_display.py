"""The installed service on a screen: the unit's own command line, environment and user, under
a headless compositor, with the screen read back from the compositor (not from pygame).

systemd/install.sh --prefix DIR installs everything below DIR (user, venv from the lock, units,
PAM file, all but systemctl); `.ci/run` does that and names DIR in KIOSK_INSTALL_ROOT. These
tests then run the installed unit's ExecStart= (cage, then the kiosk) with its Environment= as
its User=, the way systemd would, adding only what systemd and logind give on a real console:
NOTIFY_SOCKET and WATCHDOG_* (a socket the test listens on), XDG_RUNTIME_DIR, and wlroots'
headless backend (WLR_BACKENDS=headless: no monitor here). `grim` reads the screen back from
cage. Only a real screen proves the DRM/logind half (PAMName=, TTYPath=): see systemd/README.md.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.service.unitfile import UnitFile

INSTALL_ROOT = os.environ.get("KIOSK_INSTALL_ROOT", "")
UNIT_NAME = "roulette-kiosk.service"
# What a real console gives and a headless test machine lacks (wlroots' headless backend, no
# input devices, software rendering); nothing of the kiosk's own.
HEADLESS_COMPOSITOR = {"WLR_BACKENDS": "headless", "WLR_LIBINPUT_NO_DEVICES": "1",
                       "WLR_RENDERER": "pixman"}


def _why_not() -> str | None:
    if not INSTALL_ROOT:
        return ("no installed kiosk: run systemd/install.sh --prefix DIR, then "
                "KIOSK_INSTALL_ROOT=DIR")
    if os.geteuid() != 0:
        return "needs root, to run the kiosk as the unit's User="
    missing = [t for t in ("cage", "grim", "Xwayland", "setpriv") if shutil.which(t) is None]
    return f"missing: {', '.join(missing)} (scripts/setup.sh installs them)" if missing else None


_reason = _why_not()
if _reason and os.environ.get("CI"):
    raise RuntimeError(f"CI must run the service's display path: {_reason}")  # never skipped there
pytestmark = pytest.mark.skipif(_reason is not None, reason=_reason or "")


@dataclass
class Service:
    """The installed unit, read, and the folders systemd would make for it."""

    unit: UnitFile
    user: pwd.struct_passwd
    runtime: Path  # RuntimeDirectory= and, here, XDG_RUNTIME_DIR (logind's on a console)
    state: Path  # WorkingDirectory=, StateDirectory=
    cache: Path
    notify: socket.socket

    def environment(self) -> dict[str, str]:
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
               "USER": self.user.pw_name, "LOGNAME": self.user.pw_name}
        for key, value in self.unit.environment().items():
            env[key] = value.replace("/run/roulette-kiosk", str(self.runtime))
        env.update(HOME=str(self.state), XDG_CACHE_HOME=str(self.cache),
                   XDG_RUNTIME_DIR=str(self.runtime), NOTIFY_SOCKET=self.notify.getsockname(),
                   WATCHDOG_USEC="20000000")
        return env

    def as_user(self, argv: list[str]) -> list[str]:
        return ["setpriv", f"--reuid={self.user.pw_uid}", f"--regid={self.user.pw_gid}",
                "--init-groups", "--", *argv]

    def messages(self) -> list[str]:
        out = []
        self.notify.setblocking(False)
        while True:
            try:
                out.append(self.notify.recv(4096).decode())
            except BlockingIOError:
                return out


@pytest.fixture
def service() -> Iterator[Service]:
    root = Path(INSTALL_ROOT)
    unit = UnitFile.read(root / "etc/systemd/system" / UNIT_NAME)
    user = pwd.getpwnam(unit.values("User")[0])
    top = Path(tempfile.mkdtemp(prefix="kiosk-service-"))
    top.chmod(0o755)
    dirs = [top / "run", top / "state", top / "cache"]
    for d in dirs:
        d.mkdir(mode=0o700)
        os.chown(d, user.pw_uid, user.pw_gid)
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(top / "run" / "notify.sock"))
    os.chmod(top / "run" / "notify.sock", 0o666)
    try:
        yield Service(unit, user, *dirs, notify)
    finally:
        notify.close()
        shutil.rmtree(top, ignore_errors=True)


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


def _green_boxes(screen_rgb: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Rectangles outlined in the kiosk's green (0, 255, 0): each contour's box, kept when most
    of its outline is green and its middle is not (a box, not the label's green type)."""
    r, g, b = (screen_rgb[..., i].astype(int) for i in range(3))
    mask = ((g > 200) & (r < 80) & (b < 80)).astype(np.uint8)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    boxes = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        if w < 40 or h < 40:
            continue
        edges = np.concatenate([mask[y, x:x + w], mask[y + h - 1, x:x + w],
                                mask[y:y + h, x], mask[y:y + h, x + w - 1]])
        if edges.mean() > 0.7 and mask[y + h // 2, x + w // 2] == 0:
            boxes.append((x, y, x + w, y + h))
    return boxes


def _faces(screen_rgb: np.ndarray) -> np.ndarray:
    """Faces on the screen as MediaPipe (the kiosk's own detector) finds them: xyxy."""
    from kiosk.config import KioskConfig
    from kiosk.detect import FaceDetector

    detector = FaceDetector.from_config(KioskConfig())
    try:  # a face is boxed once confirmed in consecutive frames: show it a few
        for frame in range(8):
            found = detector.detect(np.ascontiguousarray(screen_rgb), frame / 30).xyxy
            if len(found):
                return found
        return found
    finally:
        detector.close()


def test_the_installed_unit_puts_the_kiosk_on_the_compositors_screen(service: Service) -> None:
    argv = service.unit.exec_start()
    assert Path(argv[0]).name == "cage" and "kiosk" in argv[argv.index("--") + 1]
    env = {**service.environment(), **HEADLESS_COMPOSITOR}
    # systemd's WATCHDOG_PID is the main process's PID: cage's, which `exec` keeps.
    launcher = ["/bin/sh", "-c", 'export WATCHDOG_PID=$$; exec "$@"', "sh", *argv]
    proc = subprocess.Popen(service.as_user(launcher), env=env, cwd=service.state,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    shot = service.runtime / "screen.png"
    try:
        ready, deadline = [], time.monotonic() + 180
        while not any("READY=1" in m for m in ready) and time.monotonic() < deadline:
            assert proc.poll() is None, f"exited {proc.returncode} before READY=1"
            time.sleep(0.5)
            ready += service.messages()
        ready_msg = next(m for m in ready if "READY=1" in m)
        kiosk_pid = int(ready_msg.split("MAINPID=")[1].split()[0])  # the kiosk takes over
        assert kiosk_pid != proc.pid
        sockets = sorted(p.name for p in service.runtime.glob("wayland-*") if p.is_socket())
        assert sockets, "cage made no Wayland socket"
        grim = service.as_user(["grim", "-t", "png", str(shot)])
        genv = {"XDG_RUNTIME_DIR": str(service.runtime), "WAYLAND_DISPLAY": sockets[0],
                "PATH": env["PATH"]}
        found: list[tuple[int, int, int, int]] = []
        faces = np.zeros((0, 4))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # the box appears once the face is confirmed
            subprocess.run(grim, env=genv, check=True, timeout=30)
            if os.environ.get("KIOSK_SCREEN_OUT"):  # docs: systemd/README.md's screenshot
                shutil.copy(shot, os.environ["KIOSK_SCREEN_OUT"])
            screen = cv2.cvtColor(cv2.imread(str(shot)), cv2.COLOR_BGR2RGB)
            faces = _faces(screen)
            boxes = _green_boxes(screen)
            found = [b for b in boxes for f in faces
                     if b[0] <= (f[0] + f[2]) / 2 <= b[2] and b[1] <= (f[1] + f[3]) / 2 <= b[3]]
            if found:
                break
            time.sleep(1.0)
        assert len(faces), "no face on the screen read back from the compositor"
        assert found, f"no green box around the face at {faces.tolist()}"
        assert proc.poll() is None
    finally:
        _stop(proc)
    log = proc.stdout.read() if proc.stdout else ""
    assert "first frame drawn" in log and "fullscreen (x11)" in log, log[-3000:]


def test_with_no_screen_the_service_kiosk_exits_and_is_never_ready(service: Service) -> None:
    argv = service.unit.exec_start()
    kiosk = argv[argv.index("--") + 1:]  # the kiosk alone: no compositor, so no X server
    env = service.environment()
    env.pop("DISPLAY", None)
    result = subprocess.run(service.as_user(kiosk), env=env, cwd=service.state,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 3, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1 and "SDL video driver x11 failed" in errors[0], result.stderr
    assert not any("READY=1" in m for m in service.messages())
