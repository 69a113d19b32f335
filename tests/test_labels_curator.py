"""The curator command (`kiosk label QUERY`, `python -m kiosk.labels.curator QUERY`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kiosk.labels.curator import main

REPO = Path(__file__).resolve().parent.parent


def test_wnid(capsys):
    assert main(["n10093167"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "n10093167  first offender  (first_offender.n.01)"
    assert (
        "breadcrumb:     person, individual, someone, somebody, mortal, soul > bad person > "
        "wrongdoer, offender > convict > first offender"
    ) in out
    assert "gloss:          someone convicted for the first time" in out
    assert "ImageNet 2011:  yes" in out
    assert "policies:       full: shown; non_offensive: shown; no_identity: shown" in out


def test_lemma_with_other_paths_and_offensive(capsys):
    assert main(["Grass_Widower", "blackamoor"]) == 0
    out = capsys.readouterr().out
    assert "also via:       person, individual, someone, somebody, mortal, soul > adult" in out
    assert "offensive:      yes (lemma 'blackamoor': usage domain ethnic_slur.n.01)" in out
    assert "non_offensive: filtered" in out


def test_no_match_exit_1(capsys):
    assert main(["xyzzy", "n02084071"]) == 1
    err = capsys.readouterr().err
    assert "xyzzy: no synset" in err
    assert "n02084071 is dog.n.01, outside the person subtree" in err


def test_config_installation_status(tmp_path: Path, capsys):
    deny = tmp_path / "deny.txt"
    deny.write_text("n10093167\n")
    cfg = tmp_path / "kiosk.yaml"
    cfg.write_text(f"vocabulary:\n  policy: non_offensive\n  deny_file: {deny}\n")
    assert main(["--config", str(cfg), "first offender", "blackamoor", "grass widower"]) == 0
    out = capsys.readouterr().out
    assert f"installation:   not shown (deny_file {deny}:1)" in out
    assert "installation:   not shown (policy non_offensive: lemma 'blackamoor'" in out
    assert "installation:   shown" in out


def test_module_entry_point():
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk.labels.curator", "first_offender.n.01"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "convict > first offender" in proc.stdout
