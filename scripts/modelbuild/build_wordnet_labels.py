"""Build wordnet_labels/ (the person taxonomy the kiosk reads at run time) from WordNet 3.0.

Offline: WordNet 3.0 comes from Debian's `wordnet-base` (/usr/share/wordnet) or any NLTK_DATA
tree holding corpora/wordnet; nltk.download() is never called. The files nltk needs are copied
into a private NLTK_DATA layout (nltk refuses symlinks out of its corpus root, and Debian ships
no `lexnames` file, which this script writes from the WordNet 3.0 lexicographer file list).

The ImageNet fall 2011 wnid list comes from the `timm` wheel (timm/data/_info/
imagenet22k_synsets.txt, 21,841 wnids), given as the wheel, the extracted text file, or, by
default, the person-subtree subset committed in wordnet_labels/, so a rebuild needs no network.

Outputs, all sorted and byte-identical on rebuild:
  person_synsets.json               every synset of the person subtree (see README.md)
  imagenet_fall2011_person_wnids.txt  the ImageNet fall 2011 wnids in that subtree
  noun_synsets.tsv                  every WordNet 3.0 noun wnid and name (list-file errors)
  WORDNET_LICENSE.txt               the WordNet 3.0 licence, which must travel with the data
  translations/<language>.json      translations of the person synsets (es, fr, it, pt, ro),
                                    with source and mapping evidence
                                    (wordnet_translations.py, beside this), from two pinned
                                    wheels read from a cache: offline unless --fetch-wheels;
                                    a language is offered when it translates a third of
                                    benchmark_portraits_labels.txt (an input, written by
                                    `python -m scripts.bench.eval_labels --portrait-labels`)

Usage:
  python -m scripts.modelbuild.build_wordnet_labels [--wordnet DIR] [--imagenet WHEEL|TXT]
      [--out DIR] [--wheels DIR] [--fetch-wheels | --no-translations]
  python -m scripts.modelbuild.build_wordnet_labels --nltk-data DIR   # only an NLTK_DATA layout
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import warnings
import zipfile
from functools import cache
from pathlib import Path

from kiosk.labels.coverage import PORTRAITS_FILE
from scripts.modelbuild import wordnet_translations

REPO = Path(__file__).resolve().parents[2]
# The name written into imagenet_fall2011_person_wnids.txt's header: this script's path before
# scripts/ became packages, kept verbatim because a rebuild must give the committed files byte
# for byte (tests/test_labels_build.py). Run this as
# `python -m scripts.modelbuild.build_wordnet_labels`.
RECORDED_AS = "scripts/build_wordnet_labels.py"
DEFAULT_OUT = REPO / "wordnet_labels"
SUBSET_NAME = "imagenet_fall2011_person_wnids.txt"
SYNSETS_NAME = "person_synsets.json"
NOUNS_NAME = "noun_synsets.tsv"
LICENSE_NAME = "WORDNET_LICENSE.txt"
FORMAT = "roulette-kiosk/person-synsets/1"

ROOT_NAME = "person.n.01"
ROOT_OFFSET = 7846
DEBIAN_WORDNET = Path("/usr/share/wordnet")
TIMM_MEMBER = "timm/data/_info/imagenet22k_synsets.txt"
# timm 1.0.31's imagenet22k_synsets.txt: 21,841 wnids, the fall 2011 release.
KNOWN_LISTS = {
    "0ae24538751973797b29d8dec412b2bdc61bc4ec3ecd081eba0735804236bbd2": (
        "timm 1.0.31 (PyPI wheel timm-1.0.31-py3-none-any.whl, Apache-2.0), " + TIMM_MEMBER
    ),
}
SUBSET_MARKER = "# roulette-kiosk: ImageNet fall 2011 wnids in the WordNet 3.0 person subtree"

# WordNet 3.0 lexicographer files (lexnames(5WN)); Debian's wordnet-base does not ship the file.
LEXNAMES = (
    "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact",
    "noun.attribute", "noun.body", "noun.cognition", "noun.communication", "noun.event",
    "noun.feeling", "noun.food", "noun.group", "noun.location", "noun.motive", "noun.object",
    "noun.person", "noun.phenomenon", "noun.plant", "noun.possession", "noun.process",
    "noun.quantity", "noun.relation", "noun.shape", "noun.state", "noun.substance", "noun.time",
    "verb.body", "verb.change", "verb.cognition", "verb.communication", "verb.competition",
    "verb.consumption", "verb.contact", "verb.creation", "verb.emotion", "verb.motion",
    "verb.perception", "verb.possession", "verb.social", "verb.stative", "verb.weather", "adj.ppl",
)
_LEX_POS = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}
NLTK_FILES = [
    f"{kind}.{pos}" for kind in ("data", "index") for pos in ("noun", "verb", "adj", "adv")
] + [f"{pos}.exc" for pos in ("noun", "verb", "adj", "adv")]
OPTIONAL_FILES = ["lexnames", "cntlist.rev", "index.sense"]

# --- the offensive rule (documented in wordnet_labels/README.md) -------------------------------
# WordNet usage domains (";u" pointers) that mark a word as derogatory or offensive. Other usage
# domains in the subtree (slang, colloquialism, archaism, Yiddish, ...) say nothing about offence.
OFFENSIVE_DOMAINS = ("disparagement.n.01", "ethnic_slur.n.01", "obscenity.n.02")
# Gloss wording by which WordNet says the *term itself* is offensive, where no domain is set.
# "offensive play", "obscene or offensive words" (expurgator) and the like must not match.
OFFENSIVE_GLOSS = re.compile(
    "|".join(
        [
            r"\(ethnic slur\)",
            r"\b(?:offensive|derogatory|disparaging|insulting|contemptuous|pejorative)\b"
            r"[^.;]{0,25}?\b(?:term|name)s?\b",
            r"\([^)]*\b(?:offensive|derogatory|disparaging)\b[^)]*\)",
            r"\b(?:regarded|considered)\s+(?:as\s+)?offensive\b",
            r"\bterms?\s+of\s+(?:abuse|contempt)\b",
        ]
    ),
    re.IGNORECASE,
)


class BuildError(Exception):
    pass


# --- WordNet location ---------------------------------------------------------------------------


def _wordnet_dir_candidates(given: Path | None) -> list[Path]:
    if given is not None:
        return [given, given / "corpora" / "wordnet", given / "wordnet", given / "dict"]
    roots = [Path(p) for p in os.environ.get("NLTK_DATA", "").split(os.pathsep) if p]
    try:
        import nltk.data

        roots += [Path(p) for p in nltk.data.path]
    except ImportError:  # pragma: no cover - nltk is a project dependency
        pass
    return [r / "corpora" / "wordnet" for r in roots] + [DEBIAN_WORDNET]


def find_wordnet(given: Path | None = None) -> Path | None:
    """The first directory holding the WordNet database files (data.noun, index.noun...)."""
    for cand in _wordnet_dir_candidates(given):
        if all((cand / name).is_file() for name in NLTK_FILES):
            return cand
    return None


def make_nltk_data(source: Path, nltk_data: Path) -> Path:
    """Copy WordNet's database into `<nltk_data>/corpora/wordnet/`, adding `lexnames`."""
    dest = nltk_data / "corpora" / "wordnet"
    dest.mkdir(parents=True, exist_ok=True)
    for name in NLTK_FILES + OPTIONAL_FILES:
        if (source / name).is_file():
            shutil.copyfile(source / name, dest / name)
    if not (dest / "lexnames").is_file():
        lines = [
            f"{i:02d}\t{name}\t{_LEX_POS[name.split('.')[0]]}\n" for i, name in enumerate(LEXNAMES)
        ]
        (dest / "lexnames").write_text("".join(lines), encoding="ascii")
    return dest


def open_wordnet(corpus_dir: Path):
    import nltk.data
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    # nltk only reads corpora under an NLTK_DATA root (nltk.pathsec): authorise this one.
    nltk_root = str(corpus_dir.parent.parent)
    if nltk_root not in nltk.data.path:
        nltk.data.path.append(nltk_root)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "multilingual functions are not available"
        wn = WordNetCorpusReader(str(corpus_dir), None)
    version = wn.get_version()
    root = wn.synset(ROOT_NAME)
    if version != "3.0" or root.offset() != ROOT_OFFSET:
        raise BuildError(
            f"{corpus_dir}: WordNet {version} with {ROOT_NAME} at offset {root.offset()}; "
            f"ImageNet wnids need WordNet 3.0 ({ROOT_NAME} at {ROOT_OFFSET})"
        )
    return wn


# --- ImageNet list ------------------------------------------------------------------------------


def wnid(offset: int) -> str:
    return f"n{offset:08d}"


def read_imagenet(path: Path) -> tuple[set[str], str | None, str]:
    """(wnids, committed header or None, description) from a wheel, a full list or our subset."""
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as zf:
            try:
                raw = zf.read(TIMM_MEMBER)
            except KeyError as exc:
                raise BuildError(f"{path}: no {TIMM_MEMBER} in this wheel") from exc
        source = f"{path.name}, {TIMM_MEMBER}"
    else:
        raw = path.read_bytes()
        source = path.name
    text = raw.decode("ascii")
    lines = text.splitlines()
    if lines and lines[0] == SUBSET_MARKER:
        header = "".join(line + "\n" for line in lines if line.startswith("#"))
        wnids = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
        return wnids, header, source
    wnids = {line.strip() for line in lines if line.strip()}
    digest = hashlib.sha256(raw).hexdigest()
    described = KNOWN_LISTS.get(digest, source)
    return wnids, None, f"{described}; {len(wnids)} wnids; sha256 {digest}"


# --- the taxonomy -------------------------------------------------------------------------------


class _RawNouns:
    """data.noun read directly, for the one thing nltk loses: the order of hypernym pointers."""

    def __init__(self, path: Path):
        self._fh = path.open("rb")

    def hypernyms(self, offset: int) -> list[int]:
        self._fh.seek(offset)
        fields = self._fh.readline().decode("ascii").split(" | ", 1)[0].split()
        if int(fields[0]) != offset:
            raise BuildError(f"data.noun: no synset at offset {offset}")
        i = 4 + 2 * int(fields[3], 16)
        count = int(fields[i])
        out = []
        for k in range(count):
            symbol, target, pos = fields[i + 1 + 4 * k : i + 4 + 4 * k]
            if symbol == "@" and pos == "n":
                out.append(int(target))
        return out

    def close(self) -> None:
        self._fh.close()


def offensive_reasons(synset) -> list[str]:
    reasons = []
    for dom in sorted(d.name() for d in synset.usage_domains()):
        if dom in OFFENSIVE_DOMAINS:
            reasons.append(f"usage domain {dom}")
    for lemma in synset.lemmas():
        for dom in sorted(d.synset().name() for d in lemma.usage_domains()):
            if dom in OFFENSIVE_DOMAINS:
                reasons.append(f"lemma {lemma.name()!r}: usage domain {dom}")
    match = OFFENSIVE_GLOSS.search(synset.definition())
    if match:
        reasons.append(f"gloss says {match.group(0)!r}")
    return reasons


def build_records(wn, data_noun: Path, imagenet: set[str]) -> list[dict]:
    root = wn.synset(ROOT_NAME)
    members = {root.offset(): root}
    stack = [root]
    while stack:  # non-instance hyponyms only: ImageNet's person classes are common nouns
        for hypo in stack.pop().hyponyms():
            if hypo.offset() not in members:
                members[hypo.offset()] = hypo
                stack.append(hypo)
    raw = _RawNouns(data_noun)

    @cache
    def paths(offset: int) -> tuple[tuple[int, ...], ...]:
        # WordNet's order: walking up, the first-listed hypernym first (as `wn X -hypen` prints).
        if offset == ROOT_OFFSET:
            return ((offset,),)
        out: list[tuple[int, ...]] = []
        for hyper in raw.hypernyms(offset):
            if hyper in members:  # hypernyms outside the person subtree are not breadcrumbs
                out.extend(path + (offset,) for path in paths(hyper))
        return tuple(out)

    records = []
    try:
        for offset in sorted(members):
            synset = members[offset]
            reasons = offensive_reasons(synset)
            records.append(
                {
                    "wnid": wnid(offset),
                    "name": synset.name(),
                    "lemmas": list(synset.lemma_names()),
                    "gloss": synset.definition(),
                    "examples": list(synset.examples()),
                    "in_imagenet": wnid(offset) in imagenet,
                    "offensive": bool(reasons),
                    "offensive_reasons": reasons,
                    "paths": [[wnid(o) for o in path] for path in paths(offset)],
                }
            )
    finally:
        raw.close()
    for rec in records:
        if not rec["paths"]:
            raise BuildError(f"{rec['wnid']} {rec['name']}: no hypernym path to {ROOT_NAME}")
    return records


def write_synsets_json(records: list[dict], path: Path) -> None:
    lines = [
        "{",
        f'"format": {json.dumps(FORMAT)},',
        '"wordnet": "3.0",',
        f'"root": "{wnid(ROOT_OFFSET)}",',
        f'"count": {len(records)},',
        '"synsets": [',
    ]
    body = [json.dumps(rec, ensure_ascii=False, separators=(", ", ": ")) for rec in records]
    lines.append(",\n".join(body))
    lines += ["]", "}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def subset_header(source: str, instance_hits: list[tuple[str, str]], total: int) -> str:
    lines = [
        SUBSET_MARKER,
        f"# Source: {source}.",
        "# That file lists the 21,841 synsets of ImageNet's fall 2011 release (the 21k/22k set).",
        "# Kept here: its wnids that are WordNet 3.0 person.n.01 (n00007846) or a non-instance",
        f"# hyponym of it: {total} lines (the root and {total - 1} below it).",
    ]
    if instance_hits:
        names = ", ".join(f"{w} {n}" for w, n in instance_hits)
        lines.append(
            f"# Also in the list but instance synsets, left out like all instances: {names}."
        )
    lines.append(f"# Rebuilt by {RECORDED_AS}; see README.md.")
    return "".join(line + "\n" for line in lines)


def instance_hits(wn, imagenet: set[str], members: set[str]) -> list[tuple[str, str]]:
    root = wn.synset(ROOT_NAME)
    seen: dict[str, str] = {}
    stack = [root]
    while stack:
        s = stack.pop()
        for h in s.hyponyms() + s.instance_hyponyms():
            w = wnid(h.offset())
            if w not in seen:
                seen[w] = h.name()
                stack.append(h)
    return sorted((w, n) for w, n in seen.items() if w in imagenet and w not in members)


def write_nouns(wn, path: Path) -> None:
    rows = sorted((wnid(s.offset()), s.name()) for s in wn.all_synsets("n"))
    path.write_text(
        "# wnid\tname: every WordNet 3.0 noun synset (for list-file error messages)\n"
        + "".join(f"{w}\t{n}\n" for w, n in rows),
        encoding="ascii",
    )


def write_license(data_noun: Path, path: Path) -> None:
    out = []
    with data_noun.open("r", encoding="ascii") as fh:
        for line in fh:
            if not line.startswith("  "):
                break
            out.append(line.split(" ", 3)[-1].rstrip() if line.strip() else "")
    text = "\n".join(line.rstrip() for line in out).strip() + "\n"
    path.write_text(
        "The WordNet 3.0 licence, as it heads every WordNet 3.0 database file.\n"
        "It applies to person_synsets.json and noun_synsets.tsv, derived from WordNet 3.0.\n\n"
        + text,
        encoding="ascii",
    )


def build(out: Path, wordnet: Path | None = None, imagenet_path: Path | None = None,
          wheels: Path | None = None, fetch_wheels: bool = False,
          translations: bool = True) -> dict:
    source_dir = find_wordnet(wordnet)
    if source_dir is None:
        where = wordnet or f"$NLTK_DATA, nltk.data.path or {DEBIAN_WORDNET}"
        raise BuildError(
            f"WordNet 3.0 not found in {where} "
            "(apt-get install wordnet-base, or pass --wordnet DIR)"
        )
    imagenet_path = imagenet_path or DEFAULT_OUT / SUBSET_NAME
    if not imagenet_path.is_file():
        raise BuildError(f"{imagenet_path}: ImageNet wnid list not found (pass --imagenet)")
    imagenet, header, source = read_imagenet(imagenet_path)
    # a wheel missing from the cache is said before the WordNet work
    pinned = (wordnet_translations.cached_wheels(
        wheels or wordnet_translations.default_cache(), fetch_wheels) if translations else {})
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nltk_data_") as tmp:
        corpus = make_nltk_data(source_dir, Path(tmp))
        wn = open_wordnet(corpus)
        records = build_records(wn, corpus / "data.noun", imagenet)
        members = {r["wnid"] for r in records}
        in_net = sorted(r["wnid"] for r in records if r["in_imagenet"])
        if header is None:
            header = subset_header(source, instance_hits(wn, imagenet, members), len(in_net))
        write_synsets_json(records, out / SYNSETS_NAME)
        (out / SUBSET_NAME).write_text(header + "".join(w + "\n" for w in in_net), "ascii")
        write_nouns(wn, out / NOUNS_NAME)
        write_license(corpus / "data.noun", out / LICENSE_NAME)
        languages = {}
        if translations:
            languages = wordnet_translations.build_translations(
                out, records, corpus / "data.noun", pinned, DEFAULT_OUT / PORTRAITS_FILE)
        whole = write_band_glosses(out, records, {c: r for c, (_, r) in languages.items()})
    offensive = [r for r in records if r["offensive"]]
    return {
        "synsets": len(records),
        "below_root": len(records) - 1,
        "multi_path": sum(len(r["paths"]) > 1 for r in records),
        "imagenet": len(in_net),
        "offensive": len(offensive),
        "offensive_imagenet": sum(r["in_imagenet"] for r in offensive),
        **{f"{code}": f"{h['imagenet_synsets']}/{h['of']}{'' if h['offered'] else '(not offered)'}"
           for code, (h, _) in languages.items()},
        **{f"whole_glosses_{code}": f"{share:.3f}" for code, share in whole.items()},
    }


def write_band_glosses(out: Path, records: list[dict],
                       languages: dict[str, list[dict]]) -> dict[str, float]:
    """`out/band_glosses/<code>.tsv` for English and each language built: every ImageNet
    person synset's gloss as one face's band shows it at 1920x1080 (kiosk/labels/band.py),
    whole where it fits three lines of the renderer's own font, else cut by
    kiosk/labels/gloss.py's rules of the gloss's language. Returns each language's share of
    glosses shown whole."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    from kiosk.labels.band import BAND_DIR
    from kiosk.labels.band import FORMAT as BAND_FORMAT
    from kiosk.labels.gloss import fit_gloss
    from kiosk.render.band_text import GLOSS_LINES, SCREEN, BandText

    band = BandText()
    theme = band.theme
    imagenet = [r for r in records if r["in_imagenet"] and len(r["paths"][0]) > 1]
    shares = {}
    for code, recs in {"en": [], **languages}.items():
        own = {r["wnid"]: r["gloss"] for r in recs if r.get("gloss")}
        lines, whole, in_own = [], 0, 0
        for r in imagenet:
            gloss, lang = (own[r["wnid"]], code) if r["wnid"] in own else (r["gloss"], "en")
            source = " ".join(gloss.split())
            shown = fit_gloss(source, band.gloss_fits, lang)
            whole += shown == source
            in_own += lang == code
            lines.append(f"{r['wnid']}\t{lang}\t{shown}\n")
        shares[code] = whole / len(imagenet)
        header = (
            f"# {BAND_FORMAT} language={code}: wnid, the gloss's language, the gloss as one "
            f"face's band shows it\n"
            f"# at {SCREEN[0]}x{SCREEN[1]}: whole where it fits {GLOSS_LINES} lines of "
            f"{theme.gloss_px} px type in {band.width} px (pygame {pygame.version.ver}'s "
            f"bundled font),\n# else cut at a boundary of its language "
            f"(kiosk/labels/gloss.py). Generated by "
            f"scripts/modelbuild/build_wordnet_labels.py.\n"
            f"# synsets={len(imagenet)} whole={whole} whole_share={shares[code]:.4f} "
            f"in_{code}={in_own}\n")
        path = out / BAND_DIR / f"{code}.tsv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + "".join(lines), encoding="utf-8")
    return shares


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wordnet", type=Path, help="WordNet 3.0 dict dir or NLTK_DATA dir")
    parser.add_argument(
        "--imagenet",
        type=Path,
        help="timm wheel, its imagenet22k_synsets.txt, or the committed subset (default)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument(
        "--nltk-data", type=Path, help="only write an NLTK_DATA layout for WordNet here"
    )
    parser.add_argument("--wheels", type=Path,
                        help="cache of the pinned translation wheels (default "
                        "$XDG_CACHE_HOME/roulette-kiosk/wheels)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--fetch-wheels", action="store_true",
                       help="download a pinned wheel missing from the cache (else: offline)")
    group.add_argument("--no-translations", action="store_true",
                       help="leave translations/ alone (no wheels needed)")
    args = parser.parse_args(argv)
    try:
        if args.nltk_data:
            source = find_wordnet(args.wordnet)
            if source is None:
                raise BuildError("WordNet 3.0 not found (apt-get install wordnet-base)")
            print(make_nltk_data(source, args.nltk_data))
            return 0
        stats = build(args.out, args.wordnet, args.imagenet, args.wheels, args.fetch_wheels,
                      not args.no_translations)
    except (BuildError, OSError, wordnet_translations.TranslationError) as exc:
        print(f"build_wordnet_labels: {exc}", file=sys.stderr)
        return 1
    print(" ".join(f"{k}={v}" for k, v in stats.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
