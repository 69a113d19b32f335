"""The gloss on the band (issue 30): cut to a two-second read at a clause boundary, never
mid-word, over every ImageNet person gloss."""

from __future__ import annotations

import pytest

from kiosk.labels.gloss import BAND_GLOSS_CHARS, ELLIPSIS, band_gloss
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
    # ...else the last content word ("in", "a" dropped)
    ("a member of a military force who is residing in a conquered foreign country",
     "a member of a military force who is residing in a conquered" + ELLIPSIS),
    # no boundary late enough: the last content word, not "a" or "of"
    ("a chess player who has been awarded the highest title by an international chess "
     "organization", "a chess player who has been awarded the highest title" + ELLIPSIS),
])
def test_cut_at_a_clause_boundary(gloss: str, shown: str) -> None:
    assert band_gloss(gloss) == shown


def test_one_long_word_is_never_cut() -> None:
    word = "x" * 90
    assert band_gloss(word) == word
    assert band_gloss(word + " y") == word + ELLIPSIS


def test_every_imagenet_gloss_fits_and_no_word_is_cut() -> None:
    tax = Taxonomy.load()
    glosses = [s.gloss for s in tax if s.in_imagenet and s.wnid != tax.root.wnid]
    assert len(glosses) == 2832
    whole = 0
    for gloss in glosses:
        shown = band_gloss(gloss)
        assert 0 < len(shown) <= BAND_GLOSS_CHARS, gloss
        whole += shown == gloss
        words = {w.strip("(),;:") for w in gloss.split()}
        for word in shown.rstrip(ELLIPSIS).split():  # every word shown is a word of the gloss
            assert word.strip("(),;:") in words, (shown, gloss)
    assert whole / len(glosses) > 0.7  # 73%: most glosses show whole
