"""`kiosk classify` over many images as a curator runs it: a folder of real photos with a broken
file among them, JSON Lines, annotated PNGs in a folder, the exit status, and the progress bar
on a terminal (a real pseudo-terminal) but not on a pipe."""

from __future__ import annotations

import fcntl
import json
import os
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import ASTRONAUT_FACE

from kiosk.annotate_many import InputError, Item, collect_images, plan_outputs

ROOT = Path(__file__).resolve().parents[1]
KIOSK = [sys.executable, "-m", "kiosk"]
ENV = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """astronaut.jpg and coffee.png at the top, camera.png in a subfolder, a broken JPEG, a text
    file and a hidden file that a folder search must skip."""
    from skimage import data

    folder = tmp_path_factory.mktemp("photos")
    (folder / "sub").mkdir()
    cv2.imwrite(str(folder / "astronaut.jpg"), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(folder / "coffee.png"), cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(folder / "sub" / "camera.png"), data.camera())
    (folder / "broken.jpg").write_bytes(b"\xff\xd8 not really a JPEG")
    (folder / "notes.txt").write_text("curator's notes")
    cv2.imwrite(str(folder / ".hidden.png"), np.zeros((8, 8, 3), np.uint8))
    return folder


def test_collect_images_in_folders_and_plan_their_outputs(photos: Path, tmp_path: Path) -> None:
    names = [item.relative.as_posix() for item in collect_images([photos])]
    assert names == ["astronaut.jpg", "broken.jpg", "coffee.png"]
    items = collect_images([photos, photos / "coffee.png"], recursive=True)  # each file once
    assert [i.relative.as_posix() for i in items] == ["astronaut.jpg", "broken.jpg",
                                                      "coffee.png", "sub/camera.png"]
    with pytest.raises(InputError, match="not found: .*missing"):
        collect_images([photos, tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no image files.*-r also"):
        collect_images([tmp_path / "empty"])
    out = tmp_path / "out"
    same_stem = [Item(Path("a.jpg"), Path("a.jpg")), Item(Path("a.png"), Path("a.png")),
                 Item(Path("x/b.jpg"), Path("b.jpg"))]
    assert plan_outputs(same_stem, out) == [out / "a-jpg.png", out / "a-png.png", out / "b.png"]


def test_a_folder_gives_json_lines_an_error_line_and_annotated_pngs(photos: Path,
                                                                    tmp_path: Path) -> None:
    out = tmp_path / "annotated"
    proc = subprocess.run([*KIOSK, "classify", str(photos), "-r", "-o", str(out)],
                          capture_output=True, text=True, timeout=180, cwd=ROOT, env=ENV)
    assert proc.returncode == 1, proc.stderr  # one image failed
    lines = [json.loads(line) for line in proc.stdout.splitlines()]  # every line is JSON
    by_name = {Path(doc["image"]).name: doc for doc in lines}
    assert list(by_name) == ["astronaut.jpg", "broken.jpg", "coffee.png", "camera.png"]
    broken = by_name["broken.jpg"]
    assert set(broken) == {"image", "error"} and "not a readable image" in broken["error"]
    astronaut = by_name["astronaut.jpg"]
    (face,) = astronaut["faces"]
    x, y, w, h = face["box"]
    assert abs(x - ASTRONAUT_FACE[0]) < 15 and abs(y + h - ASTRONAUT_FACE[3]) < 15
    assert face["breadcrumb"][-1] == face["label"] and astronaut["scene"] is None
    assert by_name["coffee.png"]["faces"] == [] and by_name["coffee.png"]["scene"]["label"]
    assert by_name["camera.png"]["faces"], "the camera man's face was not found"
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png"))
    assert written == ["astronaut.png", "coffee.png", "sub/camera.png"]
    assert astronaut["annotated"] == str(out / "astronaut.png")
    annotated = cv2.imread(str(out / "astronaut.png"))
    assert annotated.shape[:2] == (512, 512)
    assert "labelled 3 of 4 images; 1 failed" in proc.stderr
    assert "\r" not in proc.stderr and "image/s" not in proc.stderr  # no bar off a terminal


def test_on_a_terminal_a_progress_bar_goes_to_stderr(photos: Path) -> None:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    proc = subprocess.Popen([*KIOSK, "classify", str(photos / "astronaut.jpg"),
                             str(photos / "coffee.png")], stdout=subprocess.PIPE, stderr=slave,
                            stdin=subprocess.DEVNULL, cwd=ROOT, env=ENV)
    os.close(slave)
    seen = b""
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 1.0)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
            elif proc.poll() is not None:
                break
        stdout = proc.stdout.read().decode()
        proc.wait(timeout=120)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    terminal = seen.decode("utf-8", "replace")
    assert proc.returncode == 0, terminal[-2000:]
    assert "2/2 [" in terminal and "image/s]" in terminal, terminal[-2000:]  # count and rate
    assert "<" in terminal.split("2/2 [")[-1].split("]")[0]  # elapsed<left
    assert [json.loads(line)["image"] for line in stdout.splitlines()] == [
        str(photos / "astronaut.jpg"), str(photos / "coffee.png")]  # stdout: JSON lines only


def test_usage_errors_come_before_any_model_loads(photos: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    import kiosk.classify.loading
    from kiosk.cli import main

    def no_model(*args, **kwargs):
        raise AssertionError("the model was loaded before the command line was checked")

    monkeypatch.setattr(kiosk.classify.loading, "load_model_parts", no_model)
    assert main(["classify", str(photos), str(tmp_path / "missing")]) == 2
    assert f"not found: {tmp_path / 'missing'}" in capsys.readouterr().err
    target = tmp_path / "file.png"
    target.write_bytes(b"x")
    assert main(["classify", str(photos), "-o", str(target)]) == 2
    assert "exists and is not a folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["classify", str(tmp_path / "empty"), "-o", str(tmp_path / "out")]) == 2
    assert "no image files" in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_one_image_with_o_folder_writes_into_it(photos: Path, tmp_path: Path) -> None:
    proc = subprocess.run([*KIOSK, "classify", str(photos / "coffee.png"), "-o", str(tmp_path)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT, env=ENV)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "coffee.png").is_file() and f"wrote {tmp_path / 'coffee.png'}" in proc.stdout
    assert "{" not in proc.stdout  # today's text form for one image
