"""For curators: a synset's translation with its provenance, and how far each language reaches.

`kiosk label WNID --language it` adds the translation's lines to the usual view;
`kiosk label --coverage` prints one line per language looked at:

    language=it synsets=1095 of=2832 portraits_share=0.401 checked_right_share=0.401
        sample_right=76/80 second_reading=37/40 shows=all offered=yes

portraits_share is the share of the label benchmark's portraits whose shipped label has a
translation: what visitors would see; checked_right_share the share whose translation a
reader has checked right (wordnet_labels/translations_reviewed.tsv), the bar for offering a
language (a third, issue 36); sample_right the readers' fresh random samples of words nobody
had read (the first reader's 40, and the second reading's 40 where the language then showed
all its words); shows=checked: those read under 95% right, so only checked words are shown;
second_reading the second reader's sample of what the language showed (`of_checked`: a
re-reading of checked words, wordnet_labels/translations_second_reading.tsv). The
portraits' shipped labels are `wordnet_labels/benchmark_portraits_labels.txt`, written by
`python -m scripts.bench.eval_labels --portrait-labels FILE`: wnids only, sorted, so nothing
ties a label to a photo; `--portraits FILE` gives another such list (repeats count).
"""

from __future__ import annotations

from pathlib import Path

from kiosk.labels.taxonomy import DEFAULT_LABELS_DIR, LabelsError, Taxonomy, parse_wnid
from kiosk.labels.translation import LOOKED_AT, Translations

PORTRAITS_FILE = "benchmark_portraits_labels.txt"  # in wordnet_labels/
OFFER_SHARE = 1 / 3  # a language is offered when portraits_share reaches this


def _tokens(path: Path) -> list[tuple[int, str]]:
    """(line number, token) of a one-a-line file, `#` comments and blank lines skipped."""
    out = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        token = raw.split("#", 1)[0].strip()
        if token:
            out.append((number, token))
    return out


def portrait_wnids(path: Path) -> list[str]:
    """A portraits' labels file as written, unchecked (the labels' build reads it)."""
    return [token for _number, token in _tokens(path)]


def describe_translation(taxonomy: Taxonomy, wnid: str, tr: Translations) -> list[str]:
    """The lines `kiosk label --language` adds: the words shown, all the source's words, its
    gloss, the translated breadcrumb, where it came from and how it was mapped."""
    code = tr.language
    name = tr.header.get("name", code)
    t = tr.get(wnid)
    tag = f"  {code}:".ljust(18)
    if t is None:
        return [f"{tag}no {name} translation: the kiosk shows English",
                f"  {code} crumb:".ljust(18) + " > ".join(tr.breadcrumb(taxonomy,
                                                                        taxonomy[wnid].path))]
    src = tr.header["source"]
    lines = [f"{tag}{t.display_name}"]
    if len(t.lemmas) > len(t.display_name.split(", ")):
        lines.append(f"  {code} all words:".ljust(18)
                     + ", ".join(w.replace("_", " ") for w in t.lemmas))
    lines.append(f"  {code} gloss:".ljust(18) + (t.gloss or "(none: the band shows WordNet's "
                                                  "English gloss)"))
    lines.append(f"  {code} crumb:".ljust(18)
                 + " > ".join(tr.breadcrumb(taxonomy, taxonomy[wnid].path)))
    lines.append(f"  {code} source:".ljust(18) + f"{src['package']}=={src['version']} "
                 f"({src['table']}), id {t.id}; licence: {src['licence']}")
    if t.id_version == "3.0":
        how = "the source's id is this WordNet 3.0 synset's own offset: no mapping"
    else:
        e = t.evidence or {}
        how = (f"mapped from MultiWordNet's WordNet-1.6-era synset "
               f"({' '.join(e.get('english', []))}): lemma overlap "
               f"{e.get('lemma_overlap', 0):.2f}, gloss similarity "
               f"{e.get('gloss_similarity', 0):.2f}, hypernyms agree: "
               f"{'yes' if e.get('hypernyms_agree') else 'no'}")
    lines.append(f"  {code} evidence:".ljust(18) + how)
    return lines


def read_portraits(path: Path, taxonomy: Taxonomy) -> list[str]:
    """The portraits' shipped labels, one wnid a line (`#` comments, blank lines skipped)."""
    out = []
    for number, token in _tokens(path):
        wnid = parse_wnid(token)
        if wnid is None or wnid not in taxonomy:
            raise LabelsError(f"{path}:{number}: {token!r} is not a wnid of the person subtree")
        out.append(wnid)
    if not out:
        raise LabelsError(f"{path}: no wnid: the portraits' shipped labels, one a line")
    return out


def coverage_lines(taxonomy: Taxonomy, labels_dir: Path | None = None,
                   portraits: list[str] | None = None) -> list[str]:
    """One line per language looked at, offered or not; `portraits` default: the shipped
    model's, `wordnet_labels/benchmark_portraits_labels.txt`."""
    imagenet = [w for w in taxonomy.imagenet_wnids() if w != taxonomy.root.wnid]
    if portraits is None:
        portraits = read_portraits(Path(labels_dir or DEFAULT_LABELS_DIR) / PORTRAITS_FILE,
                                   taxonomy)
    lines = []
    for code in LOOKED_AT:
        tr = Translations.load(code, labels_dir)
        share = f"{tr.coverage(portraits) / len(portraits):.3f}"
        checked = f"{tr.checked(portraits) / len(portraits):.3f}"
        sample = tr.header.get("sample") or {}
        read = (f"sample_right={sample['right']}/{sample['read']}" if sample
                else "sample_right=none")
        second = tr.header.get("second_sample")
        read += (f" second_reading={second['right']}/{second['read']}"
                 f"{' of_checked' if second['of_checked'] else ''}" if second else "")
        shows = "checked" if str(tr.header.get("shows", "all")).startswith("checked") else "all"
        lines.append(f"language={code} synsets={tr.coverage(imagenet)} of={len(imagenet)} "
                     f"portraits_share={share} checked_right_share={checked} {read} "
                     f"shows={shows} offered={'yes' if tr.offered else 'no'}")
    return lines
