"""For curators: a synset's translation with its provenance, and how far each language reaches.

`kiosk label WNID --language it` adds the translation's lines to the usual view;
`kiosk label --coverage` prints one line per language looked at:

    language=it synsets=1108 of=2832 portraits_share=pending offered=yes

portraits_share is the share of the label benchmark's portraits whose shipped label has a
translation: what visitors would see, the issue's bar for offering a language. The portraits'
labels are not recorded in the repository (scripts/bench/eval_labels.py computes them and keeps
only aggregates), so it is `pending` unless `--portraits FILE` gives them, one wnid a line
(a portrait's shipped label; repeats count).
"""

from __future__ import annotations

from pathlib import Path

from kiosk.labels.taxonomy import LabelsError, Taxonomy, parse_wnid
from kiosk.labels.translation import LOOKED_AT, Translations


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
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        token = raw.split("#", 1)[0].strip()
        if not token:
            continue
        wnid = parse_wnid(token)
        if wnid is None or wnid not in taxonomy:
            raise LabelsError(f"{path}:{number}: {token!r} is not a wnid of the person subtree")
        out.append(wnid)
    if not out:
        raise LabelsError(f"{path}: no wnid: the portraits' shipped labels, one a line")
    return out


def coverage_lines(taxonomy: Taxonomy, labels_dir: Path | None = None,
                   portraits: list[str] | None = None) -> list[str]:
    """One line per language looked at, offered or not."""
    imagenet = [w for w in taxonomy.imagenet_wnids() if w != taxonomy.root.wnid]
    lines = []
    for code in LOOKED_AT:
        tr = Translations.load(code, labels_dir)
        share = ("pending" if portraits is None
                 else f"{tr.coverage(portraits) / len(portraits):.3f}")
        lines.append(f"language={code} synsets={tr.coverage(imagenet)} of={len(imagenet)} "
                     f"portraits_share={share} offered={'yes' if tr.offered else 'no'}")
    return lines


PENDING_WHY = ("portraits_share=pending: the benchmark portraits' shipped labels are not "
               "recorded (scripts/bench/eval_labels.py keeps only aggregates); give them with "
               "--portraits FILE. Offered meanwhile on the synsets' share, >= 1/3 + 0.05 "
               "(wordnet_labels/README.md).")
