"""For curators: what the kiosk would show for a wnid or lemma, and which policies keep it.

    python -m kiosk.labels.curator n10093167 "grass widower" man.n.01
    python -m kiosk.labels.curator --config config/kiosk.yaml boy   # with the installation's lists
    python -m kiosk.labels.curator n09716047 --language it   # + the translation and its evidence
    python -m kiosk.labels.curator --coverage                 # one line per language looked at
    python -m kiosk.labels.curator --band --language it       # the proof-reading sheet

Prints the wnid, display name, breadcrumb, the other breadcrumbs, gloss, whether ImageNet fall
2011 had it, WordNet's offensive marking with reasons, and which policies keep it. Exit status 1
when a query matches nothing (the others are still printed), 2 on a data or config problem.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path
from typing import TextIO

from kiosk.labels.coverage import (
    coverage_lines,
    describe_translation,
    read_portraits,
)
from kiosk.labels.taxonomy import (
    LabelsError,
    Synset,
    Taxonomy,
    load_noun_names,
    normalise_query,
    parse_wnid,
)
from kiosk.labels.translation import LOOKED_AT, Translations
from kiosk.labels.vocabulary import POLICIES, Vocabulary, VocabularyError, policy_keeps


def describe(taxonomy: Taxonomy, syn: Synset, vocabulary: Vocabulary | None = None,
             translations: Translations | None = None) -> str:
    """The curator's view of one synset, several lines, no trailing newline."""
    lines = [f"{syn.wnid}  {syn.display_name}  ({syn.name})"]
    lines.append(f"  breadcrumb:     {taxonomy.breadcrumb_text(syn.wnid)}")
    others = taxonomy.other_breadcrumbs(syn.wnid)
    if others:
        for crumb in others:
            lines.append(f"  also via:       {' > '.join(crumb)}")
    else:
        lines.append("  also via:       (no other path)")
    lines.append(f"  gloss:          {syn.gloss}")
    if syn.examples:
        lines.append(f"  example:        {'; '.join(syn.examples)}")
    lines.append(f"  ImageNet 2011:  {'yes' if syn.in_imagenet else 'no'}")
    if syn.offensive:
        lines.append(f"  offensive:      yes ({'; '.join(syn.offensive_reasons)})")
    else:
        lines.append("  offensive:      no (WordNet does not mark it)")
    kept = [f"{p}: {'shown' if policy_keeps(syn, p, taxonomy) else 'filtered'}" for p in POLICIES]
    lines.append(f"  policies:       {'; '.join(kept)}")
    if vocabulary is not None:
        if vocabulary.is_allowed(syn.wnid):
            status = "shown"
        else:
            status = f"not shown ({vocabulary.why_filtered(syn.wnid) or 'not a model class'})"
        lines.append(f"  installation:   {status}")
    if translations is not None:
        lines += describe_translation(taxonomy, syn.wnid, translations)
    return "\n".join(lines)


def _no_match(taxonomy: Taxonomy, query: str) -> str:
    wnid = parse_wnid(query)
    if wnid is not None:
        try:
            name = load_noun_names(taxonomy.labels_dir).get(wnid)
        except LabelsError:
            name = None
        if name:
            return f"{query}: {wnid} is {name}, outside the person subtree"
        return f"{query}: {wnid} is not a WordNet 3.0 noun synset"
    close = difflib.get_close_matches(normalise_query(query), taxonomy.lemma_keys(), n=5)
    hint = f" (close: {', '.join(close)})" if close else ""
    return f"{query}: no synset of the person subtree has this wnid, name or lemma{hint}"


def run(
    queries: list[str],
    taxonomy: Taxonomy,
    vocabulary: Vocabulary | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    translations: Translations | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    status = 0
    first = True
    for query in queries:
        hits = taxonomy.find(query)
        if not hits:
            print(_no_match(taxonomy, query), file=err)
            status = 1
            continue
        for syn in hits:
            if not first:
                print(file=out)
            first = False
            print(describe(taxonomy, syn, vocabulary, translations), file=out)
    return status


def band_sheet(taxonomy: Taxonomy, translations: Translations | None,
               out: TextIO) -> None:
    """The curators' proof-reading sheet (issue 36): one line per ImageNet person synset,
    `wnid<TAB>label<TAB>gloss<TAB>breadcrumb`, exactly as one face's band shows them at
    1920x1080 (the label in the room's language, its built band gloss, the breadcrumb;
    lines the band wraps are joined by a space)."""
    from kiosk.labels.band import band_glosses
    from kiosk.labels.gloss import band_gloss
    from kiosk.render.band_text import BandText

    band = BandText()
    language = translations.language if translations is not None else "en"
    built = band_glosses(language, taxonomy.labels_dir)
    for syn in taxonomy:
        if not syn.in_imagenet or syn.wnid == taxonomy.root.wnid:
            continue
        if translations is not None:
            name = translations.name(taxonomy, syn.wnid)
            crumb = translations.breadcrumb(taxonomy, syn.path)
            own = translations.gloss(syn.wnid)
        else:
            name, crumb, own = syn.display_name, taxonomy.path_names(syn.path), None
        gloss = built[syn.wnid][1] if syn.wnid in built else band_gloss(
            own or syn.gloss, language=language if own else "en")
        shown = band.shown(name, gloss, " > ".join(crumb))
        print("\t".join((syn.wnid, *shown)), file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="kiosk label", description="Breadcrumb, gloss and policy status of synsets."
    )
    parser.add_argument("queries", nargs="*", metavar="QUERY", help="wnid, synset name or lemma")
    parser.add_argument("--language", choices=("en", *LOOKED_AT),
                        help="also show the translation, where it came from and the mapping "
                        "evidence (any language looked at, offered or not; default: --config's "
                        "vocabulary.language)")
    parser.add_argument("--coverage", action="store_true",
                        help="one line per language: language=it synsets=N of=2832 "
                        "portraits_share=F offered=yes|no")
    parser.add_argument("--band", action="store_true",
                        help="the proof-reading sheet: one line per ImageNet person synset, "
                        "wnid<TAB>label<TAB>gloss<TAB>breadcrumb, exactly as one face's band "
                        "shows them at 1920x1080 in --language (default en)")
    parser.add_argument("--portraits", type=Path,
                        help="with --coverage: the benchmark portraits' shipped labels, one "
                        "wnid a line, for portraits_share (default: the shipped model's, "
                        "wordnet_labels/benchmark_portraits_labels.txt)")
    parser.add_argument("--labels-dir", type=Path, help="built taxonomy (default wordnet_labels/)")
    parser.add_argument(
        "--config", type=Path, help="kiosk YAML: also show this installation's vocabulary status"
    )
    args = parser.parse_args(argv)
    if not args.queries and not args.coverage and not args.band:
        parser.error("give a QUERY, --coverage or --band")
    vocabulary = None
    try:
        if args.config is not None:
            from kiosk.config import ConfigError, load_config

            try:
                cfg = load_config(args.config)
            except ConfigError as exc:
                print(exc, file=sys.stderr)
                return 2
            labels_dir = args.labels_dir or cfg.resolve(cfg.vocabulary.labels_dir)
            if args.language is None:  # the installation's language, unless asked otherwise
                args.language = cfg.vocabulary.language
            taxonomy = Taxonomy.load(labels_dir)
            everything = [s.wnid for s in taxonomy]
            vocabulary = Vocabulary.from_config(cfg.vocabulary, taxonomy, everything, cfg.resolve)
        else:
            taxonomy = Taxonomy.load(args.labels_dir)
        labels_dir = taxonomy.labels_dir
        translations = (Translations.load(args.language, labels_dir)
                        if args.language not in (None, "en") else None)
        if args.coverage:
            portraits = read_portraits(args.portraits, taxonomy) if args.portraits else None
            for line in coverage_lines(taxonomy, labels_dir, portraits):
                print(line)
        if args.band:
            band_sheet(taxonomy, translations, sys.stdout)
    except (LabelsError, VocabularyError, OSError) as exc:
        print(exc, file=sys.stderr)
        return 2
    if not args.queries:
        return 0
    return run(args.queries, taxonomy, vocabulary, translations=translations)


if __name__ == "__main__":
    sys.exit(main())
