"""The readers' verdicts on the translations (issue 36): the build's filters of second
spellings, the second reading and what it decides. The data are wordnet_labels/; the
whole rebuild is tests/test_labels_build.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.labels.taxonomy import Taxonomy
from kiosk.labels.translation import OFFERED, Translations
from scripts.modelbuild import wordnet_translations as wt

LABELS = Path(__file__).resolve().parents[1] / "wordnet_labels"


@pytest.mark.parametrize(("code", "words", "kept"), [
    ("es", ["habitante", "habitantes", "residente"], ["habitante", "residente"]),
    ("es", ["interprete", "intérprete", "traductor"], ["intérprete", "traductor"]),
    ("es", ["Azteca", "azteca"], ["azteca"]),  # a people, lower case in Spanish
    ("es", ["nobelista", "premio_Nobel", "premio_nobel"], ["nobelista", "premio_Nobel"]),
    ("es", ["indonesio", "indonesias", "indonesios"], ["indonesio"]),
    ("es", ["bebé_probeta", "bebé-probeta"], ["bebé_probeta"]),
    ("it", ["factotum", "tutto_fare", "tuttofare"], ["factotum", "tuttofare"]),
    ("it", ["santi", "santo"], ["santi", "santo"]),  # Italian plurals are not -s
    ("es", ["lunes"], ["lunes"]),
])
def test_one_spelling_of_each_word(code: str, words: list[str], kept: list[str]) -> None:
    assert wt.without_variants(code, words) == kept


def test_an_english_copy_written_apart_is_english() -> None:
    assert wt.english_copy("es", "cheer_leader", ["cheerleader"])
    assert wt.english_copy("es", "play-boy", ["playboy", "man-about-town"])
    assert not wt.english_copy("es", "animadora", ["cheerleader"])


def _review(shown: str, right: bool, fix: str = "", note: str = "") -> wt.Review:
    return wt.Review(1, shown, right, fix, note)


def test_a_wrong_second_verdict_must_be_fixed(tmp_path: Path) -> None:
    path = tmp_path / wt.SECOND_READING_FILE
    unread = {("es", "n1"): _review("liberal", False)}
    with pytest.raises(wt.TranslationError, match="fix it in translations_reviewed.tsv"):
        wt.with_second_reading({}, unread, path)
    fixed = {("es", "n1"): _review("liberal", False, "drop", "second: not a Whig")}
    assert wt.with_second_reading(fixed, unread, path) == fixed
    # a word the first reader judged right and the second wrong: fixed too, or an error
    first = {("fr", "n2"): _review("footballeur", True, "", "crumb")}
    with pytest.raises(wt.TranslationError):
        wt.with_second_reading(first, {("fr", "n2"): _review("footballeur", False)}, path)
    # a right verdict on words nobody had read makes them checked
    merged = wt.with_second_reading({}, {("it", "n3"): _review("sociologo", True)}, path)
    assert merged[("it", "n3")].right


def test_both_samples_of_unread_words_decide_what_a_language_shows() -> None:
    reviews = {("es", f"n{i}"): _review("x", i < 38, "drop" if i >= 38 else "", "sample")
               for i in range(40)}
    second = {("es", f"m{i}"): _review("y", i < 32) for i in range(40)}
    assert wt.sample_reading(reviews, "es", second)["precision"] == 0.875  # 70/80 < 0.95
    # a re-reading of checked words measures the first reader, not the source
    checked = {("fr", "n1"): _review("x", True, "", "benchmark")}
    assert wt.sample_reading(checked, "fr", {("fr", "n1"): _review("x", False)}) is None
    assert wt.second_sample(checked, {("fr", "n1"): _review("x", False)}, "fr") == {
        "read": 1, "right": 0, "precision": 0.0, "of_checked": 1}


def test_the_second_reading_is_what_the_build_shows() -> None:
    """Every verdict of the second reading is on words the language shows today, as read,
    or on words a reader has fixed since (the build refuses a wrong one left unfixed)."""
    reading = wt.read_second_reading(LABELS / wt.SECOND_READING_FILE)
    reviews = wt.read_reviews(LABELS / wt.REVIEWED_FILE)
    assert {code for code, _ in reading} == set(OFFERED)
    for code in OFFERED:
        translations = Translations.load(code)
        for (c, wnid), verdict in reading.items():
            if c != code:
                continue
            if verdict.right and (c, wnid) not in reviews:
                shown = translations.get(wnid)
                assert shown is not None and shown.review == "right", (code, wnid)
                assert wt.read_as(list(shown.lemmas)) == verdict.shown
            else:  # fixed or read again since
                assert (c, wnid) in reviews, (code, wnid)


def test_every_word_a_band_can_show_was_read() -> None:
    """The label and every breadcrumb step of every ImageNet person synset, in each offered
    language: where the band shows the language's words, a reader has a verdict on them
    (right, or fixed). What a visitor can read was read."""
    taxonomy = Taxonomy.load()
    steps = {w for s in taxonomy if s.in_imagenet for w in s.paths[0]}
    for code in OFFERED:
        translations = Translations.load(code)
        unread = sorted(w for w in steps if (t := translations.get(w)) and not t.review)
        assert not unread, (code, unread[:10])


def test_a_verdict_fixes_the_words_the_gloss_or_both() -> None:
    record = {"wnid": "n1", "lemmas": ["simplon", "mentecato"], "gloss": "inocenton y tímido"}
    source = ["simplon", "mentecato"]

    def read(right: bool, fix: str) -> dict | None:
        return wt.apply_review("es", record, source, _review("simplon, mentecato", right, fix),
                               Path("reviewed.tsv"))

    assert read(True, "") == {**record, "review": "right"}
    assert read(False, "english gloss") == {**record, "gloss": None, "review": "fixed"}
    assert read(False, "mentecato") == {**record, "lemmas": ["mentecato"], "review": "fixed"}
    assert read(False, "mentecato; english gloss") == {
        **record, "lemmas": ["mentecato"], "gloss": None, "review": "fixed"}
    assert read(False, "drop") is None
