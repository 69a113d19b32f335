"""The person taxonomy as the kiosk reads it at run time: no WordNet corpus, one JSON file.

`wordnet_labels/person_synsets.json` is built by scripts/modelbuild/build_wordnet_labels.py from
WordNet 3.0; its format, the breadcrumb rule and the offensive rule are in
wordnet_labels/README.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_LABELS_DIR = PROJECT_ROOT / "wordnet_labels"
SYNSETS_FILE = "person_synsets.json"
NOUNS_FILE = "noun_synsets.tsv"
FORMAT = "roulette-kiosk/person-synsets/1"
ROOT_WNID = "n00007846"

_WNID = re.compile(r"^n?(\d{8})$", re.IGNORECASE)
_FIELDS = (
    "wnid", "name", "lemmas", "gloss", "in_imagenet", "paths", "offensive", "offensive_reasons",
)


class LabelsError(Exception):
    """The taxonomy data is missing or unreadable; the message names the file."""


def display_text(lemmas: tuple[str, ...] | list[str]) -> str:
    """As ImageNet Roulette showed a synset: lemma names joined by ", ", underscores as spaces."""
    return ", ".join(lemma.replace("_", " ") for lemma in lemmas)


def normalise_query(query: str) -> str:
    """Lower case, spaces as underscores, surrounding blanks dropped."""
    return "_".join(query.strip().lower().split())


def parse_wnid(text: str) -> str | None:
    """'n10093167', 'N10093167' or '10093167' as 'n10093167'; None if it is not a wnid."""
    match = _WNID.match(text.strip())
    return f"n{match.group(1)}" if match else None


@dataclass(frozen=True)
class Synset:
    """One WordNet 3.0 noun synset of the person subtree with its ImageNet wnid."""

    wnid: str
    name: str  # e.g. "first_offender.n.01"
    lemmas: tuple[str, ...]
    gloss: str
    in_imagenet: bool  # in ImageNet's fall 2011 release
    paths: tuple[tuple[str, ...], ...]  # wnids root..self; the first is the breadcrumb
    offensive: bool  # WordNet marks it derogatory or offensive (see README.md)
    offensive_reasons: tuple[str, ...]
    examples: tuple[str, ...] = ()

    @property
    def display_name(self) -> str:
        return display_text(self.lemmas)

    @property
    def path(self) -> tuple[str, ...]:
        """The chosen breadcrumb path (wnids from person.n.01 down to this synset)."""
        return self.paths[0]

    @property
    def parent(self) -> str | None:
        """The hypernym on the chosen path; None for the root."""
        return self.paths[0][-2] if len(self.paths[0]) > 1 else None


class Taxonomy:
    """All synsets of the person subtree, by wnid, with breadcrumbs and lookup."""

    def __init__(self, synsets: dict[str, Synset], source: Path):
        self._synsets = synsets
        self.source = source
        self._lookup: dict[str, list[str]] | None = None

    @classmethod
    def load(cls, labels_dir: Path | None = None) -> Taxonomy:
        """Read `<labels_dir>/person_synsets.json` (default: the repo's wordnet_labels/)."""
        path = Path(labels_dir or DEFAULT_LABELS_DIR) / SYNSETS_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise LabelsError(
                f"{path}: taxonomy data not found "
                "(build it with python -m scripts.modelbuild.build_wordnet_labels)"
            ) from exc
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise LabelsError(f"{path}: unreadable taxonomy data: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            found = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise LabelsError(f"{path}: not {FORMAT} data (format: {found!r})")
        records = data.get("synsets")
        if not isinstance(records, list):
            raise LabelsError(f"{path}: corrupt: no synset list")
        synsets: dict[str, Synset] = {}
        for i, rec in enumerate(records):
            try:
                synsets[rec["wnid"]] = Synset(
                    wnid=rec["wnid"],
                    name=rec["name"],
                    lemmas=tuple(rec["lemmas"]),
                    gloss=rec["gloss"],
                    in_imagenet=bool(rec["in_imagenet"]),
                    paths=tuple(tuple(p) for p in rec["paths"]),
                    offensive=bool(rec["offensive"]),
                    offensive_reasons=tuple(rec["offensive_reasons"]),
                    examples=tuple(rec.get("examples", ())),
                )
            except (KeyError, TypeError, AttributeError) as exc:
                missing = [f for f in _FIELDS if isinstance(rec, dict) and f not in rec]
                detail = f"missing {', '.join(missing)}" if missing else repr(exc)
                raise LabelsError(f"{path}: corrupt synset record {i + 1}: {detail}") from exc
        if data.get("count") != len(synsets) or ROOT_WNID not in synsets:
            raise LabelsError(
                f"{path}: corrupt: {len(synsets)} synsets read, header says {data.get('count')}"
                f"{'' if ROOT_WNID in synsets else f', root {ROOT_WNID} missing'}"
            )
        for syn in synsets.values():
            if not syn.paths or any(p[0] != ROOT_WNID or p[-1] != syn.wnid for p in syn.paths):
                raise LabelsError(f"{path}: corrupt paths for {syn.wnid}")
        return cls(synsets, path)

    # --- mapping -------------------------------------------------------------------------------

    def __getitem__(self, wnid: str) -> Synset:
        return self._synsets[wnid]

    def __contains__(self, wnid: object) -> bool:
        return wnid in self._synsets

    def __len__(self) -> int:
        return len(self._synsets)

    def __iter__(self) -> Iterator[Synset]:
        return iter(self._synsets.values())

    def get(self, wnid: str) -> Synset | None:
        return self._synsets.get(wnid)

    @property
    def root(self) -> Synset:
        return self._synsets[ROOT_WNID]

    @property
    def labels_dir(self) -> Path:
        return self.source.parent

    # --- breadcrumbs ---------------------------------------------------------------------------

    def path_names(self, path: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(self._synsets[w].display_name for w in path)

    def breadcrumb(self, wnid: str) -> tuple[str, ...]:
        """Display names from person.n.01 down to `wnid`, along the chosen path."""
        return self.path_names(self._synsets[wnid].paths[0])

    def breadcrumb_text(self, wnid: str, sep: str = " > ") -> str:
        return sep.join(self.breadcrumb(wnid))

    def other_breadcrumbs(self, wnid: str) -> tuple[tuple[str, ...], ...]:
        """The other routes to person.n.01, for the "why" panel (WordNet's order)."""
        return tuple(self.path_names(p) for p in self._synsets[wnid].paths[1:])

    def hyponyms(self, wnid: str) -> list[str]:
        """Direct hyponyms of `wnid` in the subtree (sorted wnids)."""
        return sorted(
            s.wnid for s in self._synsets.values() if any(p[-2:-1] == (wnid,) for p in s.paths)
        )

    def descendants(self, wnid: str) -> list[str]:
        """Every synset below `wnid` (sorted wnids, `wnid` itself excluded)."""
        return sorted(
            s.wnid for s in self._synsets.values()
            if s.wnid != wnid and any(wnid in p for p in s.paths)
        )

    # --- lookup --------------------------------------------------------------------------------

    def _index(self) -> dict[str, list[str]]:
        if self._lookup is None:
            index: dict[str, list[str]] = {}
            for syn in self._synsets.values():
                keys = [syn.name.lower()] + [normalise_query(lem) for lem in syn.lemmas]
                for key in dict.fromkeys(keys):
                    index.setdefault(key, []).append(syn.wnid)
            self._lookup = index
        return self._lookup

    def find(self, query: str) -> list[Synset]:
        """Synsets named by a wnid, a synset name or a lemma (any case, spaces or underscores).

        A lemma can name several synsets ("man": man.n.01, man.n.03...): those whose first lemma
        it is come first, then by sense number.
        """
        wnid = parse_wnid(query)
        if wnid is not None:
            return [self._synsets[wnid]] if wnid in self._synsets else []
        key = normalise_query(query)
        hits = [self._synsets[w] for w in self._index().get(key, [])]

        def order(syn: Synset) -> tuple[int, str, int]:
            base, _, sense = syn.name.rpartition(".n.")
            position = next(
                (i for i, lem in enumerate(syn.lemmas) if normalise_query(lem) == key), -1
            )
            return (position, base, int(sense) if sense.isdigit() else 0)

        return sorted(hits, key=order)

    def lemma_keys(self) -> list[str]:
        """Every lookup key (lower-case lemma and synset names), for suggestions."""
        return list(self._index())

    def imagenet_wnids(self) -> list[str]:
        """Synsets in ImageNet fall 2011 (sorted), the root included."""
        return sorted(s.wnid for s in self._synsets.values() if s.in_imagenet)


def load_noun_names(labels_dir: Path | None = None) -> dict[str, str]:
    """wnid -> synset name for every WordNet 3.0 noun (only read to word list-file errors)."""
    path = Path(labels_dir or DEFAULT_LABELS_DIR) / NOUNS_FILE
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelsError(f"{path}: WordNet noun list unreadable: {exc}") from exc
    names: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            wnid, _, name = line.partition("\t")
            names[wnid] = name
    return names
