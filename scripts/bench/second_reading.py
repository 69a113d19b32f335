"""The second reading of the translations (issue 36): a fresh seeded sample of 40 a language
among what the build shows, for a second reader; and the score of that reading.

  .venv/bin/python -m scripts.bench.second_reading draw     # the sample, to read
  .venv/bin/python -m scripts.bench.second_reading score    # one key=value line a language

The sample is drawn from the ImageNet person synsets the language shows in its own words
(`wordnet_labels/translations/<code>.json`). Where a language shows all its words, the
synsets a reader has already judged (translations_reviewed.tsv) are left out, so the sample
measures what nobody read (a fix this reading caused, noted "second", does not change the
draw); where it shows only checked words (`shows: checked`), every one was read once, and
the sample is a second reading of them. The verdicts are
`wordnet_labels/translations_second_reading.tsv`; the build writes their score into each
language's header (`second_sample`) and `kiosk label --coverage` prints it.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from kiosk.labels.translation import OFFERED
from scripts.modelbuild import wordnet_translations as wt

ROOT = Path(__file__).resolve().parents[2]
LABELS = ROOT / "wordnet_labels"
SAMPLE = 40


def draw(code: str, synsets: dict[str, dict], reviews: dict) -> list[dict]:
    """The language's sample, sorted by wnid (seeded: the same for every reader)."""
    data = json.loads((LABELS / "translations" / f"{code}.json").read_text(encoding="utf-8"))
    records = {r["wnid"]: r for r in data["translations"]}
    pool = sorted(w for w, r in records.items() if synsets[w]["in_imagenet"]
                  and (data["shows"] != "all" or wt.unread_before_second(reviews, (code, w))))
    picked = random.Random(f"issue-36-second-{code}").sample(pool, min(SAMPLE, len(pool)))
    return [records[w] for w in sorted(picked)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=["draw", "score"])
    args = ap.parse_args(argv)
    synsets = {s["wnid"]: s for s in
               json.loads((LABELS / "person_synsets.json").read_text())["synsets"]}
    if args.what == "draw":
        reviews = wt.read_reviews(LABELS / wt.REVIEWED_FILE)
        for code in OFFERED:
            for r in draw(code, synsets, reviews):
                s = synsets[r["wnid"]]
                print("\t".join([code, r["wnid"], wt.read_as(r["lemmas"]), ", ".join(s["lemmas"]),
                                 s["gloss"], r.get("gloss") or ""]))
        return 0
    reading = wt.read_second_reading(LABELS / wt.SECOND_READING_FILE)
    reviews = wt.read_reviews(LABELS / wt.REVIEWED_FILE)
    for code in OFFERED:
        score = wt.second_sample(reviews, reading, code)
        print(f"language={code} " + (" ".join(f"{k}={v}" for k, v in score.items())
                                     if score else "read=0"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
