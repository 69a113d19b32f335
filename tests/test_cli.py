"""The `kiosk` command as a new user meets it: help, errors that name their cause, `classify
--json` on real photos, huge image files, and the doctor's display line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import ASTRONAUT_FACE

from kiosk.labels.band import band_glosses

ROOT = Path(__file__).resolve().parents[1]
KIOSK = [sys.executable, "-m", "kiosk"]


def _kiosk(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    return subprocess.run([*KIOSK, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, env=env)


def test_label_help_and_plain_kiosk_print_help() -> None:
    from kiosk.cli import main

    with pytest.raises(SystemExit) as done:
        main(["label", "--help"])
    assert done.value.code == 0
    proc = _kiosk(timeout=20)  # must not start a kiosk that never ends
    assert proc.returncode == 0 and proc.stdout.startswith("usage: kiosk")
    assert "Q or Esc" in proc.stdout


def test_classify_help_documents_the_image_and_json(capsys: pytest.CaptureFixture) -> None:
    from kiosk.cli import main

    with pytest.raises(SystemExit) as done:
        main(["classify", "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "image file to label" in text and '"faces": [{"box": [x, y, w, h]' in text


def test_readme_label_example_pairs_a_label_with_its_own_wnid() -> None:
    from kiosk.labels.taxonomy import Taxonomy

    readme = (ROOT / "README.md").read_text()
    assert 'kiosk label "first offender" n10093167' in readme
    tax = Taxonomy.load()
    assert [s.wnid for s in tax.find("first offender")] == ["n10093167"]


def test_a_bad_override_is_named_as_the_override_not_the_file() -> None:
    from kiosk.config import ConfigError, load_config

    with pytest.raises(ConfigError) as err:
        load_config(None, ["camera.fps=abc"])
    message = str(err.value)
    assert "--set camera.fps=abc" in message and "kiosk.yaml" not in message


def test_classify_a_missing_file_fails_before_any_model_loads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kiosk.classify.loading
    from kiosk.cli import main

    def no_model(*args: object, **kwargs: object) -> None:
        pytest.fail("the model was loaded for a file that does not exist")

    monkeypatch.setattr(kiosk.classify.loading, "load_model_parts", no_model)
    assert main(["classify", str(tmp_path / "missing.png"), "--json"]) == 2


def test_classify_json_is_one_object_with_the_face_box(tmp_path: Path,
                                                        astronaut: np.ndarray) -> None:
    photo = tmp_path / "astronaut.png"
    cv2.imwrite(str(photo), cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR))
    out = tmp_path / "annotated.png"
    proc = _kiosk("classify", str(photo), "--json", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)  # the whole of stdout is one JSON object
    assert result["image"] == str(photo) and (result["width"], result["height"]) == (512, 512)
    assert result["scene"] is None and len(result["faces"]) == 1
    face = result["faces"][0]
    x, y, w, h = face["box"]
    assert abs(x - ASTRONAUT_FACE[0]) < 15 and abs(y - ASTRONAUT_FACE[1]) < 15
    assert abs(x + w - ASTRONAUT_FACE[2]) < 15 and abs(y + h - ASTRONAUT_FACE[3]) < 15
    assert 0.5 < face["score"] <= 1.0 and face["wnid"].startswith("n")
    assert face["breadcrumb"][-1] == face["label"] and face["topk"][0][0] == face["label"]
    # issue 36: the band's gloss is the one the labels' build worked out for that synset
    assert face["gloss"] and face["gloss_band"] == band_glosses("en")[face["wnid"]][1]
    assert out.is_file() and f"wrote {out}" in proc.stderr
    for chatter in ("INFO: [", "InitGoogle", "Sparsity tensors"):  # native, from the detectors
        assert chatter not in proc.stderr, proc.stderr


def test_classify_json_gives_the_label_in_the_language_and_in_english(
        tmp_path: Path, astronaut: np.ndarray) -> None:
    from kiosk.labels.taxonomy import Taxonomy
    from kiosk.labels.translation import Translations

    photo = tmp_path / "astronaut.png"
    cv2.imwrite(str(photo), cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR))
    english = json.loads(_kiosk("classify", str(photo), "--json").stdout)["faces"][0]
    proc = _kiosk("classify", str(photo), "--json", "--set", "vocabulary.language=it")
    assert proc.returncode == 0, proc.stderr
    face = json.loads(proc.stdout)["faces"][0]
    assert face["wnid"] == english["wnid"]  # the language changes the words, not the choice
    assert face["label_en"] == english["label"] == english["label_en"]
    taxonomy, italian = Taxonomy.load(), Translations.load("it")
    assert face["label"] == italian.name(taxonomy, face["wnid"])
    assert face["breadcrumb"] == list(italian.breadcrumb(taxonomy, taxonomy[face["wnid"]].path))


def test_classify_json_labels_the_scene_when_there_is_no_face(tmp_path: Path,
                                                               coffee: np.ndarray) -> None:
    photo = tmp_path / "coffee.jpg"
    cv2.imwrite(str(photo), cv2.cvtColor(coffee, cv2.COLOR_RGB2BGR))
    proc = _kiosk("classify", str(photo), "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["faces"] == [] and result["scene"]["label"]
    assert "box" not in result["scene"] and result["scene"]["breadcrumb"][0].startswith("person")
    assert result["scene"]["gloss"] and (
        result["scene"]["gloss_band"] == band_glosses("en")[result["scene"]["wnid"]][1])


def _peak_rss_mb(code: str) -> tuple[float, str]:
    # VmHWM, not ru_maxrss: the latter keeps the parent's high-water mark across fork and exec.
    hwm = "[l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0]"
    script = f"{code}\nprint({hwm})"
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    return int(lines[-1]) / 1024, "\n".join(lines[:-1])


def test_huge_images_are_refused_or_decoded_reduced_within_memory(tmp_path: Path) -> None:
    """A 12000x6000 PNG (72 MP) is refused by its header; a 12000x6000 JPEG is decoded reduced."""
    big = np.zeros((6000, 12000, 3), np.uint8)
    big[::50] = 200
    cv2.imwrite(str(tmp_path / "big.png"), big, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    cv2.imwrite(str(tmp_path / "big.jpg"), big)
    del big
    peak, out = _peak_rss_mb(
        "from kiosk.sources.base import SourceError\n"
        "from kiosk.sources.files import read_image_bounded\n"
        f"try:\n    read_image_bounded('{tmp_path / 'big.png'}')\n"
        "except SourceError as exc:\n    print(exc)\n"
    )
    assert "12000x6000 is too large" in out and peak < 400
    peak, out = _peak_rss_mb(
        "from kiosk.sources.files import read_image_bounded\n"
        f"rgb, size = read_image_bounded('{tmp_path / 'big.jpg'}')\n"
        "print(rgb.shape, size)"
    )
    h, w, _ = eval(out.split(") (")[0] + ")")
    assert w * h <= 16_000_000 and "(12000, 6000)" in out and peak < 1000


def test_doctor_display_line_has_no_empty_brackets(monkeypatch: pytest.MonkeyPatch) -> None:
    from kiosk.doctor import check_display

    monkeypatch.setenv("SDL_VIDEODRIVER", "offscreen")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr("pathlib.Path.is_dir", lambda self: False if str(self) == "/dev/dri"
                        else os.path.isdir(self))
    (check,) = check_display(unit=Path("/nonexistent.service"))
    assert check.status == "WARN"  # a developer's terminal: headless is fine
    assert "nothing is shown" in check.detail and "()" not in check.detail


def test_doctor_display_fails_where_a_screen_is_required(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    """Under systemd (NOTIFY_SOCKET), or with the service installed, a kiosk that would show
    nothing is a FAIL: the service never starts headless. A unit naming a compositor that is
    not installed is a FAIL naming it."""
    from kiosk.config import KioskConfig
    from kiosk.doctor import check_display

    monkeypatch.setenv("SDL_VIDEODRIVER", "offscreen")
    (check,) = check_display(KioskConfig.model_validate({"display": {"require_screen": True}}),
                             unit=tmp_path / "none.service")
    assert check.status == "FAIL" and "will not start" in check.detail
    monkeypatch.setenv("NOTIFY_SOCKET", "/run/systemd/notify")
    (check,) = check_display(KioskConfig(), unit=tmp_path / "none.service")
    assert check.status == "FAIL"
    monkeypatch.delenv("NOTIFY_SOCKET")
    unit = tmp_path / "roulette-kiosk.service"
    unit.write_text((ROOT / "systemd" / "roulette-kiosk.service").read_text().replace(
        "/usr/bin/cage", str(tmp_path / "cage")))
    sdl, path = check_display(KioskConfig(), unit=unit)
    assert sdl.status == "FAIL"  # the installed service needs a screen
    assert path.status == "FAIL" and str(tmp_path / "cage") in path.detail
    # a technician's terminal while the service runs: its fresh health file says it shows
    health = tmp_path / "health.json"
    health.write_text(json.dumps({"timestamp": time.time() - 2}))
    cfg = KioskConfig.model_validate({"service": {"health_file": str(health)}})
    sdl, _ = check_display(cfg, unit=unit)
    assert sdl.status == "INFO" and "2 s old" in sdl.detail
    health.write_text(json.dumps({"timestamp": time.time() - 600}))  # stale: not shown
    assert check_display(cfg, unit=unit)[0].status == "FAIL"


def test_pyproject_license_is_an_spdx_string() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
