"""The gloss on the band (issues 30, 36): whole where it fits, else cut at a boundary of its
language so the defining clause stays, never mid-word, never ending on a small word, an
adjective before its noun, or inside a name."""

from __future__ import annotations

import pytest

from kiosk.labels.gloss import (
    BAND_GLOSS_CHARS,
    ELLIPSIS,
    band_gloss,
    ends_on_small_word,
    fit_gloss,
    is_quoted_example,
)
from kiosk.labels.taxonomy import Taxonomy


def test_short_gloss_whole() -> None:
    assert band_gloss("a musician who plays the viola da gamba") == (
        "a musician who plays the viola da gamba")
    assert band_gloss("  a  person\nwho grins ") == "a person who grins"
    assert band_gloss("") == ""


@pytest.mark.parametrize(("gloss", "shown"), [
    # an aside in parentheses goes first, and what is left fits: no ellipsis
    ("(when gas was used for streetlights) a person who lights and extinguishes streetlights",
     "a person who lights and extinguishes streetlights"),
    # a semicolon is the strongest boundary
    ("a person who owes a creditor; someone who has the obligation of paying a debt",
     "a person who owes a creditor" + ELLIPSIS),
    # a relative clause, when it keeps at least half
    ("someone trained in computer science and linguistics who uses computers for natural "
     "language processing", "someone trained in computer science and linguistics" + ELLIPSIS),
    # no clause boundary late enough: before a preposition, so the phrase before it is whole
    # (not "...in a conquered", an adjective without its noun)
    ("a member of a military force who is residing in a conquered foreign country",
     "a member of a military force who is residing" + ELLIPSIS),
    ("a chess player who has been awarded the highest title by an international chess "
     "organization", "a chess player who has been awarded the highest title" + ELLIPSIS),
])
def test_cut_at_a_clause_boundary(gloss: str, shown: str) -> None:
    assert band_gloss(gloss) == shown


def test_never_inside_a_name_nor_before_and_or() -> None:
    gloss = "a member of the Royal Canadian Mounted Police or of a national or international force"
    for room in range(12, 80):  # never "...Royal Canadian Mounted…" nor "...national…"
        shown = fit_gloss(gloss, lambda t, room=room: len(t) <= room)
        assert not shown.endswith(("Royal…", "Canadian…", "Mounted…", "national…")), shown
    assert band_gloss("an official of the Bank of England who keeps the accounts of others",
                      40) == "an official of the Bank of England…"


@pytest.mark.parametrize(("language", "gloss", "shown"), [
    # Romanian: never ends on "sau", "ale", "unui" (the old cutter's "...sau ale unui...")
    ("ro", "Persoană care urmează cursurile unei universități sau ale unui institut de "
           "învățământ superior", "Persoană care urmează cursurile…"),
    # Italian: "che" starts a clause; never ends on "della"
    ("it", "una persona della famiglia reale che vive a corte e serve il sovrano",
     "una persona della famiglia reale che vive…"),
    ("es", "persona que transfiere la propiedad de un título a través de la firma",
     "persona que transfiere la propiedad de un título…"),
    ("fr", "personne qui dirige les travaux de la maison du roi et de la reine",
     "personne qui dirige les travaux de la maison…"),
])
def test_each_language_has_its_own_small_words(language: str, gloss: str, shown: str) -> None:
    got = fit_gloss(gloss, lambda t: len(t) <= 52, language)
    assert got == shown
    assert not ends_on_small_word(got, language)


def test_a_whole_gloss_cut_short_in_its_source_is_cut_again() -> None:
    assert fit_gloss("rebeliune deschisă și refuz (în s", lambda t: True, "ro") == (
        "rebeliune deschisă și refuz…")
    # an English particle ends a sentence, not a cut
    assert fit_gloss("someone who looks on", lambda t: True) == "someone who looks on"
    assert ends_on_small_word("someone who looks on…")


def test_quoted_example_is_not_a_gloss() -> None:
    assert is_quoted_example("'smettila di essere un bambino'")
    assert not is_quoted_example("persona che eccelle; 'è un asso'")


def test_one_long_word_is_never_cut() -> None:
    word = "x" * 90
    assert band_gloss(word) == word
    assert band_gloss(word + " y") == word + ELLIPSIS


def test_every_imagenet_gloss_fits_and_no_word_is_cut() -> None:
    tax = Taxonomy.load()
    glosses = [s.gloss for s in tax if s.in_imagenet and s.wnid != tax.root.wnid]
    assert len(glosses) == 2832
    for gloss in glosses:
        shown = band_gloss(gloss)
        assert 0 < len(shown) <= BAND_GLOSS_CHARS, gloss
        assert not shown.endswith(ELLIPSIS) or not ends_on_small_word(shown), shown
        words = {w.strip("(),;:") for w in gloss.split()}
        for word in shown.rstrip(ELLIPSIS).split():  # every word shown is a word of the gloss
            assert word.strip("(),;:") in words, (shown, gloss)
