"""The proof-reading sheet (issue 36): `kiosk label --band --language LANG` prints every
ImageNet person synset as one face's band shows it at 1920x1080; read here as a curator
would, for English and every offered language. No shown gloss ends on a small word of its
language (a whole English gloss may end on a phrasal verb's particle: "looks on"), none is a
quoted example, and no shown word has an underscore."""

from __future__ import annotations

import io
import unicodedata

import pytest

from kiosk.labels.band import band_glosses
from kiosk.labels.curator import band_sheet
from kiosk.labels.gloss import ends_on_small_word, is_quoted_example
from kiosk.labels.taxonomy import Taxonomy
from kiosk.labels.translation import OFFERED, Translations
from kiosk.plain_text import ELLIPSIS


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return Taxonomy.load()


def _sheet(taxonomy: Taxonomy, language: str) -> list[list[str]]:
    out = io.StringIO()
    band_sheet(taxonomy, Translations.load(language) if language != "en" else None, out)
    return [line.split("\t") for line in out.getvalue().splitlines()]


@pytest.mark.parametrize("language", ["en", *OFFERED])
def test_every_band_reads_right(taxonomy: Taxonomy, language: str) -> None:
    rows = _sheet(taxonomy, language)
    assert len(rows) == 2832 and all(len(r) == 4 for r in rows)
    built = band_glosses(language)
    bad = []
    for wnid, label, gloss, crumb in rows:
        gloss_language = built[wnid][0]
        if "_" in label or "_" in crumb:
            bad.append(f"{wnid}: an underscore in {label!r} / {crumb!r}")
        if not gloss or is_quoted_example(gloss):
            bad.append(f"{wnid}: gloss {gloss!r} is no definition")
        elif ends_on_small_word(gloss, gloss_language):
            bad.append(f"{wnid}: gloss {gloss!r} ends on a small word of {gloss_language}")
        if gloss.count("(") != gloss.count(")"):
            bad.append(f"{wnid}: gloss {gloss!r} leaves a parenthesis open")
        if gloss.replace(ELLIPSIS, "") != built[wnid][1].replace(ELLIPSIS, ""):
            bad.append(f"{wnid}: the band shows {gloss!r}, not the built {built[wnid][1]!r}")
    assert not bad, "\n".join(bad[:20])


def test_most_english_glosses_show_whole(taxonomy: Taxonomy) -> None:
    """Issue 36's target: at least 90% of the English glosses whole on the band."""
    built = band_glosses("en")
    whole = sum(built[s.wnid][1] == " ".join(s.gloss.split())
                for s in taxonomy if s.in_imagenet and s.wnid != taxonomy.root.wnid)
    assert whole / 2832 >= 0.9


def test_person_leads_with_the_common_word(taxonomy: Taxonomy) -> None:
    for code, word in (("es", "persona"), ("it", "persona"), ("ro", "persoană")):
        assert Translations.load(code).name(taxonomy, taxonomy.root.wnid).startswith(word)


def _spelling(word: str) -> str:
    """A word without case, accents or hyphens: "Azteca", "azteca" and "bebé-probeta",
    "bebé probeta" are one word spelt twice."""
    plain = unicodedata.normalize("NFKD", word.lower().replace("-", " "))
    return "".join(c for c in plain if not unicodedata.combining(c))


@pytest.mark.parametrize("language", OFFERED)
def test_no_translated_word_shows_twice(taxonomy: Taxonomy, language: str) -> None:
    """The sources list misspelt, inflected and re-cased forms as synonyms ("habitante,
    habitantes", "interprete, intérprete", "Azteca, azteca"): the band shows each translated
    word once. (WordNet's own English is shown as the 2019 work showed it: "half-brother,
    half brother".)"""
    english = {row[0]: row for row in _sheet(taxonomy, "en")}
    twice = []
    for wnid, label, _, crumb in _sheet(taxonomy, language):
        in_english = {english[wnid][1], *english[wnid][3].split(" > ")}
        for step in {label, *crumb.split(" > ")} - in_english:
            words = [_spelling(w) for w in step.split(", ") if not w.endswith(ELLIPSIS)]
            plurals = [w for w in words if language in ("es", "fr") and w.endswith("s")
                       and (w[:-1] in words or w[:-2] in words)]
            if len(set(words)) < len(words) or plurals:
                twice.append(f"{wnid}: {step!r}")
    assert not twice, "\n".join(sorted(set(twice))[:20])
