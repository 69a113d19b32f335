"""Rebuilding wordnet_labels/ from WordNet 3.0 gives the committed bytes."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "build_wordnet_labels.py"
OUTPUTS = [
    "person_synsets.json", "imagenet_fall2011_person_wnids.txt", "noun_synsets.tsv",
    "WORDNET_LICENSE.txt",
]


def _find_wordnet():
    spec = importlib.util.spec_from_file_location("build_wordnet_labels", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.find_wordnet()


def test_rebuild_is_byte_identical(tmp_path: Path):
    if _find_wordnet() is None:
        pytest.skip("WordNet 3.0 not installed: apt-get install wordnet-base (or set NLTK_DATA)")
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "synsets=6979 below_root=6978 multi_path=872 imagenet=2833" in proc.stdout
    for name in OUTPUTS:
        assert (tmp_path / name).read_bytes() == (REPO / "wordnet_labels" / name).read_bytes(), name


def test_missing_wordnet_is_a_clear_error(tmp_path: Path):
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--wordnet", str(tmp_path), "--out", str(tmp_path / "o")],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 1
    assert f"WordNet 3.0 not found in {tmp_path}" in proc.stderr
