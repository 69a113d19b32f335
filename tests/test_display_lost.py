"""The display lost while running (issue 28): the real `kiosk run` on a real X server (Xvfb),
the server killed by its PID mid-run. One clear log line and exit status 1: not Xlib's
"X connection to :N broken" exit, and no native abort from the threads left running."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb not installed")


def _free_display() -> int:
    for number in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() \
                and not Path(f"/tmp/.X{number}-lock").exists():
            return number
    pytest.skip("no free X display number")


def _start_xvfb(number: int) -> subprocess.Popen:
    xvfb = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "640x480x24",
                             "-nolisten", "tcp"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        if time.monotonic() > deadline or xvfb.poll() is not None:
            xvfb.kill()
            pytest.skip("Xvfb did not start")
        time.sleep(0.05)
    return xvfb


def _run_until_drawn(tmp_path: Path, video: Path, env: dict[str, str]) -> subprocess.Popen:
    config = tmp_path / "kiosk.yaml"
    config.write_text(yaml.safe_dump({
        "camera": {"source": "video", "path": str(video)},
        "display": {"fullscreen": False, "width": 320, "height": 240},
        "service": {"metrics_interval_s": 3600},
    }))
    return subprocess.Popen([sys.executable, "-m", "kiosk", "run", "--seconds", "120",
                             "--config", str(config)], cwd=tmp_path, env=env,
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)


@pytest.mark.parametrize("how", ["server killed", "injected"])
def test_display_lost_mid_run_gives_one_line_and_exit_1(tmp_path: Path, astronaut_video: Path,
                                                        how: str) -> None:
    """`server killed`: Xvfb gets SIGTERM; `injected`: KIOSK_FAULTS=display_gone cuts the
    kiosk's X connection under Xlib (kiosk/service/faults.py), the same error seen from the
    kiosk's side, for runs that cannot kill their X server."""
    number = _free_display()
    xvfb = _start_xvfb(number)
    env = {k: v for k, v in os.environ.items() if k not in ("SDL_VIDEODRIVER", "NOTIFY_SOCKET")}
    env.update(DISPLAY=f":{number}", SDL_AUDIODRIVER="dummy", HOME=str(tmp_path))
    if how == "injected":
        env["KIOSK_FAULTS"] = "display_gone@4"
    kiosk = _run_until_drawn(tmp_path, astronaut_video, env)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:  # wait for the first frame on the real X screen
            line = kiosk.stderr.readline()
            if not line:
                break
            lines.append(line)
            if "first frame drawn" in line:
                break
        assert any("first frame drawn" in x and "(x11)" in x for x in lines), "".join(lines)
        time.sleep(1.0)  # the detection, reader and model threads are all at work
        if how == "server killed":
            os.kill(xvfb.pid, signal.SIGTERM)
            xvfb.wait(timeout=10)
        rest = kiosk.communicate(timeout=60)[1]
    finally:
        if kiosk.poll() is None:
            kiosk.kill()
            kiosk.wait()
        if xvfb.poll() is None:
            xvfb.kill()
            xvfb.wait()
    stderr = "".join(lines) + rest
    assert kiosk.returncode == 1, f"status {kiosk.returncode}\n{stderr[-3000:]}"
    lost = [x for x in stderr.splitlines() if "display lost" in x]
    assert len(lost) == 1 and f":{number}" in lost[0], stderr[-3000:]
    for crash in ("X connection to", "Aborted", "terminate called", "core dumped",
                  "Fatal Python error", "Traceback"):
        assert crash not in stderr, f"{crash!r} in\n{stderr[-3000:]}"
