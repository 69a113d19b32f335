"""The committed person taxonomy (wordnet_labels/): breadcrumbs, counts, lookup, offensive rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.labels.taxonomy import ROOT_WNID, LabelsError, Taxonomy

LABELS = Path(__file__).resolve().parent.parent / "wordnet_labels"
DATA_NOUN = Path("/usr/share/wordnet/data.noun")
ROOT_TEXT = "person, individual, someone, somebody, mortal, soul"


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return Taxonomy.load()


def test_loads_without_wordnet():
    """The committed data alone is enough (scripts/bench/bench_kiosk.py prints its load time)."""
    tax = Taxonomy.load(LABELS)
    assert len(tax) == 6979


def test_first_offender_breadcrumb(tax: Taxonomy):
    syn = tax["n10093167"]
    assert syn.name == "first_offender.n.01"
    assert syn.paths == (("n00007846", "n09831962", "n09633969", "n09963159", "n10093167"),)
    assert tax.breadcrumb_text("n10093167") == (
        f"{ROOT_TEXT} > bad person > wrongdoer, offender > convict > first offender"
    )
    assert tax.other_breadcrumbs("n10093167") == ()


def test_grass_widower_two_paths_wordnet_order(tax: Taxonomy):
    [syn] = tax.find("grass widower")
    assert syn.display_name == "grass widower, divorced man"
    assert len(syn.paths) == 2
    # man.n.01 (n10287213) lists male.n.02 (n09624168) before adult.n.01 (n09605289) in
    # data.noun, so the breadcrumb goes through "male, male person".
    assert syn.paths[0] == ("n00007846", "n09624168", "n10287213", syn.wnid)
    assert syn.paths[1] == ("n00007846", "n09605289", "n10287213", syn.wnid)
    assert tax.breadcrumb(syn.wnid)[1] == "male, male person"
    assert tax.other_breadcrumbs(syn.wnid) == (
        (ROOT_TEXT, "adult, grownup", "man, adult male", "grass widower, divorced man"),
    )


def _hypernym_order() -> dict[str, list[str]]:
    order: dict[str, list[str]] = {}
    with DATA_NOUN.open("r", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("  "):
                continue
            fields = line.split(" | ", 1)[0].split()
            i = 4 + 2 * int(fields[3], 16)
            ptrs = [fields[i + 1 + 4 * k : i + 4 + 4 * k] for k in range(int(fields[i]))]
            order[f"n{fields[0]}"] = [f"n{t}" for s, t, p in ptrs if s == "@" and p == "n"]
    return order


@pytest.mark.skipif(not DATA_NOUN.exists(), reason="Debian wordnet-base not installed")
def test_every_path_list_follows_wordnet_order(tax: Taxonomy):
    order = _hypernym_order()

    def key(path: tuple[str, ...]) -> list[int]:
        # walking up from the synset, the position of each hypernym among those listed
        return [order[path[i]].index(path[i - 1]) for i in range(len(path) - 1, 0, -1)]

    multi = 0
    for syn in tax:
        assert len(set(syn.paths)) == len(syn.paths)
        if len(syn.paths) > 1:
            multi += 1
            keys = [key(p) for p in syn.paths]
            assert keys == sorted(keys), syn.wnid
    assert multi == 872


def test_counts_and_paths(tax: Taxonomy):
    assert ROOT_WNID in tax and tax.root.name == "person.n.01"
    assert tax.root.paths == ((ROOT_WNID,),)
    assert sum(1 for s in tax if s.wnid != ROOT_WNID) == 6978
    assert sum(len(s.paths) > 1 for s in tax) == 872
    for syn in tax:
        assert all(p[0] == ROOT_WNID and p[-1] == syn.wnid for p in syn.paths)
        assert all(w in tax for p in syn.paths for w in p)
    net = tax.imagenet_wnids()
    assert net == sorted(net)
    assert len(net) == 2833 and ROOT_WNID in net  # 2,832 below the root, as in fall 2011


def test_imagenet_subset_file_matches(tax: Taxonomy):
    lines = (LABELS / "imagenet_fall2011_person_wnids.txt").read_text().splitlines()
    assert "timm" in lines[1] and "sha256" in lines[1]
    assert [x for x in lines if not x.startswith("#")] == tax.imagenet_wnids()


def test_json_is_sorted_one_record_per_line():
    text = (LABELS / "person_synsets.json").read_text(encoding="utf-8")
    data = json.loads(text)
    wnids = [r["wnid"] for r in data["synsets"]]
    assert wnids == sorted(wnids) and len(wnids) == data["count"]
    assert sum(line.startswith('{"wnid": ') for line in text.splitlines()) == len(wnids)


def test_find(tax: Taxonomy):
    assert [s.wnid for s in tax.find("N10093167")] == ["n10093167"]
    assert [s.wnid for s in tax.find("10093167")] == ["n10093167"]
    assert [s.wnid for s in tax.find("First_Offender.n.01")] == ["n10093167"]
    assert [s.wnid for s in tax.find("  first   OFFENDER ")] == ["n10093167"]
    men = tax.find("man")
    assert men[0].name == "man.n.01" and len(men) > 3
    assert tax.find("giraffe") == [] and tax.find("n02084071") == []
    with pytest.raises(KeyError):
        tax["n02084071"]


def test_offensive_rule(tax: Taxonomy):
    offensive = [s for s in tax if s.offensive]
    assert len(offensive) == 53
    assert sum(s.in_imagenet for s in offensive) == 7
    slur = tax.find("nigger")[0]
    assert "usage domain ethnic_slur.n.01" in slur.offensive_reasons
    # a lemma-level usage domain: the display name carries the slur
    black = tax["n09636339"]
    assert black.offensive and black.offensive_reasons == (
        "lemma 'blackamoor': usage domain ethnic_slur.n.01",
    )
    assert tax.find("pommy")[0].offensive_reasons == ("gloss says 'disparaging term'",)
    # "offensive play", "obscene or offensive words": not a statement about the term
    for name in ("running_back.n.01", "tight_end.n.01", "expurgator.n.01", "smirker.n.01"):
        assert not tax.find(name)[0].offensive, name
    # no inheritance: Mongol is a hyponym of the offensive "Oriental"
    assert tax.find("oriental.n.01")[0].offensive
    assert not tax.find("mongol.n.01")[0].offensive
    # slang and colloquialism domains alone are not offensive
    assert not tax.find("boffin")[0].offensive


def test_labels_error_names_file(tmp_path: Path):
    with pytest.raises(LabelsError, match=str(tmp_path / "person_synsets.json")):
        Taxonomy.load(tmp_path)
    (tmp_path / "person_synsets.json").write_text("{not json")
    with pytest.raises(LabelsError, match="unreadable"):
        Taxonomy.load(tmp_path)
    (tmp_path / "person_synsets.json").write_text(
        '{"format": "roulette-kiosk/person-synsets/1", "count": 1, "synsets": [{"wnid": "x"}]}'
    )
    with pytest.raises(LabelsError, match="record 1: missing name"):
        Taxonomy.load(tmp_path)
