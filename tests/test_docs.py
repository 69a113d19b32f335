"""The README stays a newcomer's page and the docs keep their promises: every path they name
exists, every measured figure says its date, its CPU's AVX-512 and its command, and the
screenshot is the real kiosk's screen (green boxes where the faces are)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = [ROOT / "docs" / name for name in ("speed.md", "labels.md", "operations.md")]
SCREENSHOT = ROOT / "docs" / "screenshot.png"


def _green_mask(rgb: np.ndarray) -> np.ndarray:
    return (rgb[..., 1] > 200) & (rgb[..., 0] < 80) & (rgb[..., 2] < 80)


def test_the_readme_is_short_and_has_the_two_commands() -> None:
    text = README.read_text()
    assert len(text.splitlines()) <= 250
    for command in ("./scripts/kiosk.sh", "./scripts/test.sh"):
        assert command in text
        assert (ROOT / command).stat().st_mode & 0o111, command
    assert "![" in text and "(docs/screenshot.png)" in text
    for moved in ("docs/speed.md", "docs/labels.md", "docs/operations.md", "CHANGELOG.md"):
        assert moved in text, moved


@pytest.mark.parametrize("doc", [README, *DOCS], ids=lambda p: p.name)
def test_every_path_a_doc_names_exists(doc: Path) -> None:
    """(CHANGELOG.md is history: it names files that have since moved or gone.)"""
    named = set(re.findall(r"[`(]((?:docs|scripts|kiosk|models|tests|requirements|systemd|"
                           r"config|wordnet_labels)/[\w./-]+\.\w+)", doc.read_text()))
    named |= {n for n in re.findall(r"`([A-Z]+\.md)`", doc.read_text())}
    missing = sorted(n for n in named if not (ROOT / n).exists()
                     and not n.startswith("models/person_steady/"))
    assert missing == [], f"{doc.name} names files that do not exist: {missing}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_measured_line_names_date_avx512_and_command(doc: Path) -> None:
    blocks = re.findall(r"(?m)^> Measured: (.*(?:\n> .*)*)", doc.read_text())
    if doc.name != "operations.md":
        assert blocks
    for block in blocks:
        assert re.search(r"20\d\d-\d\d-\d\d", block), block
        assert "AVX-512" in block, block
        assert "`" in block and any(c in block for c in ("scripts/", "-m scripts.", ".py",
                                                          "bin/kiosk ")), block


def test_every_module_run_with_python_m_exists_and_runs() -> None:
    """Every `python -m scripts.<package>.<module>` that a doc, a script, a message or a test
    names is a module that is there and runs as a program."""
    texts = [README, *DOCS, *ROOT.glob("*/README*.md"), ROOT / "config" / "kiosk.yaml",
             *(p for folder in ("scripts", "kiosk", "systemd", "tests", ".ci")
               for p in (ROOT / folder).rglob("*") if p.suffix in ("", ".py", ".sh", ".md")
               and p.is_file())]
    named: dict[str, set[str]] = {}
    for path in texts:
        for module in re.findall(r"-m (scripts(?:\.\w+)+)", path.read_text(errors="replace")):
            named.setdefault(module, set()).add(str(path.relative_to(ROOT)))
    assert len(named) >= 15, sorted(named)  # the docs name most of them
    for module, where in sorted(named.items()):
        path = ROOT / (module.replace(".", "/") + ".py")
        assert path.is_file(), f"{module} (named in {sorted(where)}) is not a module"
        assert 'if __name__ == "__main__":' in path.read_text(), f"{module} does not run"


def test_the_committed_screenshot_shows_green_boxes() -> None:
    rgb = cv2.cvtColor(cv2.imread(str(SCREENSHOT)), cv2.COLOR_BGR2RGB)
    assert rgb.shape[:2] == (720, 1280)
    assert _green_mask(rgb).mean() > 0.005  # boxes, labels and breadcrumbs in green


def test_the_screenshot_script_draws_the_real_kiosk(tmp_path: Path) -> None:
    """The script runs the real detector, model and renderer on the demo: each face it prints
    has a green outline on the screen it wrote, and a label."""
    out = tmp_path / "shot.png"
    proc = subprocess.run([sys.executable, "-m", "scripts.ops.screenshot", "--out", str(out)],
                          capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    faces = re.findall(r"face box=\((\d+),(\d+),(\d+),(\d+)\) label='([^']+)'", proc.stdout)
    assert len(faces) == 2, proc.stdout  # the demo's two-visitor scene
    green = _green_mask(cv2.cvtColor(cv2.imread(str(out)), cv2.COLOR_BGR2RGB))
    for x0, y0, x1, y1, label in faces:
        x0, y0, x1, y1 = int(x0), int(y0), int(x1), int(y1)
        top = green[max(y0 - 2, 0):y0 + 3, x0 + 4:x1 - 4].any(axis=0).mean()
        left = green[y0 + 4:y1 - 4, max(x0 - 2, 0):x0 + 3].any(axis=1).mean()
        assert top > 0.9 and left > 0.9, (label, top, left)
        assert label


def test_the_readme_sha256s_are_what_the_set_up_built() -> None:
    """Issue 20: a rebuild from the lock gives the bytes the README names (the shipped model,
    and the steady model scripts/setup.sh builds from it, which ./scripts/test.sh runs first)."""
    from kiosk.classify.manifest import sha256_file

    named = dict(re.findall(r"\| `(models/[\w/]+\.onnx)`[^|]*\| `([0-9a-f]{64})` \|",
                            README.read_text()))
    assert set(named) == {"models/person_effnet/person_effnet_lite2_scores.onnx",
                          "models/person_steady/person_effnet_lite2_scores.onnx"}, named
    for path, sha in named.items():
        if not (ROOT / path).exists():
            pytest.skip(f"{path} not built (./scripts/setup.sh builds it)")
        assert sha256_file(ROOT / path) == sha, (
            f"{path} is not the README's build; tests/test_classifier_steady.py and "
            "python -m scripts.modelbuild.compare_onnx name the first difference")
