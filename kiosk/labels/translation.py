"""The labels in the room's language: `wordnet_labels/translations/<language>.json`, built
offline by scripts/modelbuild/build_wordnet_labels.py from two registry wheels
(wordnet_labels/README.md).

A translation is looked up by wnid only, after the vocabulary has chosen the wnid: it changes
the words, never which label is shown, so a policy's removed labels stay removed. A synset with
no translation shows English; a breadcrumb is translated step by step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from kiosk.labels.taxonomy import DEFAULT_LABELS_DIR, LabelsError, Taxonomy, display_text

FORMAT = "roulette-kiosk/translations/1"
TRANSLATIONS_DIR = "translations"
# Offered: the languages whose translations reach a third of what visitors would see (the
# build decides, from the data, and writes "offered" into each file; tests check the two
# agree). Config validation needs the list without reading files, hence this constant.
OFFERED = ("es", "fr", "it", "ro")
LOOKED_AT = ("es", "fr", "it", "pt", "ro")
# A translated label shows at most this many words: MultiWordNet lists up to a dozen
# synonyms ("alcoldipendente alcolista alcolizzato..."), which would fill the band; English
# shows all WordNet's lemmas, and sits beneath in smaller type when a translation is shown.
MAX_LEMMAS = 3


@dataclass(frozen=True)
class Translation:
    """One synset in another language, with where it came from."""

    wnid: str
    lemmas: tuple[str, ...]
    gloss: str | None  # the source's own definition, if it has one
    id: str  # the source's id ("n#07025273", "ENG30-10750188-n")
    id_version: str  # "3.0": the id is the wnid's own; "1.6": mapped (evidence says how)
    evidence: dict | None
    review: str | None = None  # "right" or "fixed": a reader checked it (issue 36)

    @property
    def display_name(self) -> str:  # underscores as spaces: no shown word has one
        return display_text(self.lemmas[:MAX_LEMMAS])


class Translations:
    """One language's translations, by wnid, with the file's header (source, coverage)."""

    def __init__(self, language: str, records: dict[str, Translation], header: dict,
                 source: Path) -> None:
        self.language = language
        self._records = records
        self.header = header
        self.source = source

    @classmethod
    def load(cls, language: str, labels_dir: Path | None = None) -> Translations:
        path = Path(labels_dir or DEFAULT_LABELS_DIR) / TRANSLATIONS_DIR / f"{language}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise LabelsError(f"{path}: no translations for language {language!r} "
                              f"(looked at: {', '.join(LOOKED_AT)})") from exc
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise LabelsError(f"{path}: unreadable translations: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise LabelsError(f"{path}: not {FORMAT} data")
        try:
            records = {
                r["wnid"]: Translation(r["wnid"], tuple(r["lemmas"]), r.get("gloss"), r["id"],
                                       r["id_version"], r.get("evidence"), r.get("review"))
                for r in data["translations"]
            }
        except (KeyError, TypeError) as exc:
            raise LabelsError(f"{path}: corrupt translation record: {exc!r}") from exc
        header = {k: v for k, v in data.items() if k != "translations"}
        return cls(language, records, header, path)

    def get(self, wnid: str) -> Translation | None:
        return self._records.get(wnid)

    def __contains__(self, wnid: object) -> bool:
        return wnid in self._records

    def __len__(self) -> int:
        return len(self._records)

    @property
    def offered(self) -> bool:
        return bool(self.header.get("offered"))

    def name(self, taxonomy: Taxonomy, wnid: str) -> str:
        """The translated display name, or English where there is none."""
        t = self._records.get(wnid)
        return t.display_name if t is not None else taxonomy[wnid].display_name

    def breadcrumb(self, taxonomy: Taxonomy, path: tuple[str, ...]) -> tuple[str, ...]:
        """Each step translated where it has a translation, English otherwise."""
        return tuple(self.name(taxonomy, w) for w in path)

    def gloss(self, wnid: str) -> str | None:
        t = self._records.get(wnid)
        return t.gloss if t is not None else None

    def coverage(self, wnids: list[str]) -> int:
        """How many of `wnids` have a translation."""
        return sum(w in self._records for w in wnids)

    def checked(self, wnids: list[str]) -> int:
        """How many of `wnids` have a translation a reader has checked right (or fixed)."""
        return sum(bool(t.review) for w in wnids if (t := self._records.get(w)) is not None)
