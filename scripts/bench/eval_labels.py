"""Label-quality benchmark: what the kiosk would say to real colour faces, and to the same
face again under the changes a camera brings.

  .venv/bin/python -m scripts.bench.fetch_face_sets   # once: the colour sets (a cache)
  .venv/bin/python -m scripts.bench.eval_labels       # key=value lines, one per set
  .venv/bin/python -m scripts.bench.eval_labels --sets wild --table   # + per-photo top-3
  .venv/bin/python -m scripts.bench.eval_labels --limit 6   # first 6 faces a set (tests)

Sets (scripts/bench/label_faces.py): `portraits` (the 304 odd-indexed portraits, never fitted
on), `wild` (27 faces in groups and natural light, each scored with a prior refitted without
its own source: scripts/modelbuild/fit_prior.py), `lfw` (the 50 odd lfw_subset thumbnails,
greyscale, kept for history), and `site_shift` (below). Each face is cut as the kiosk cuts it
(classifier.crop_padding) and labelled by the kiosk's own Labeller, vocabulary included.

  distinct, most_common_share, effective_labels   between people: top-1 of one crop per face
  jitter_mode_share  share of 20 jittered crops (centre ±5%, size ±5%) with the face's modal
                     label, mean over faces (a diagnostic, per crop)
  jpeg_keep          the crop's label unchanged after JPEG q70 (per crop)
  scale_keep         unchanged with the photo shrunk to 0.6x, the box with it (per crop)
  light_keep         unchanged under a fixed warm and a fixed cool cast, both counted (per crop)
  visitor_keep       the label the kiosk lands on for a visitor (the mean scores of spin.crops
                     crops, classify/spin.py) is the same on two independent looks at the face;
                     each crop of a look with its own jitter, JPEG q70 and a scale of 0.7-1.0x
  crop_ms_p50        per-crop latency at batch 1, preprocessing included (p50 over faces)

`set=site_shift`: the held-out portraits under a strong colour cast (a room's light, R+40
G+10 B-35, the same for every visitor); `prior=shipped` labels them with the shipped prior
alone, `prior=calibrated` after the kiosk has learnt the room from the first 100 of them
(their visitor scores, kiosk/classify/calibration.py); both are scored on the other faces.
Deterministic: fixed seeds, fixed face order.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from kiosk.classify.calibration import SiteCalibration
from kiosk.classify.labeller import Labeller
from kiosk.classify.loading import load_model_parts
from kiosk.classify.prior import ScorePrior
from kiosk.config import load_config
from kiosk.hostinfo import host_info
from scripts.bench import camera_looks as looks
from scripts.bench.label_faces import Face, jittered_boxes, lfw_faces, portrait_faces, wild_faces
from scripts.modelbuild.fit_prior import crop_scores, fit, fit_faces

ROOT = Path(__file__).resolve().parents[2]

JITTER = 20
ROOM_CAST = (40, 10, -35)
CALIBRATION_FACES = 100
SETS = ("portraits", "wild", "lfw", "site_shift")


def figures(top1: Sequence[str]) -> dict[str, float]:
    counts = Counter(top1)
    n = len(top1)
    p = np.array(list(counts.values()), float) / max(n, 1)
    return {
        "faces": n,
        "distinct": len(counts),
        "most_common_share": round(float(p.max()) if n else 0.0, 4),
        "effective_labels": round(float(np.exp(-(p * np.log(p)).sum())) if n else 0.0, 2),
    }


def mean_share(rows: Sequence[Sequence[str]]) -> float:
    return round(float(np.mean([Counter(r).most_common(1)[0][1] / len(r) for r in rows])), 4) \
        if rows else 0.0


def line(tag: str, model: str, provider: str, values: dict[str, object]) -> str:
    return (f"set={tag} model={model} provider={provider} "
            + " ".join(f"{k}={v}" for k, v in values.items()))


class Bench:
    """The kiosk's labeller and crops, with the prior swappable (leave one source out)."""

    def __init__(self, labeller: Labeller, padding: float, visitor_crops: int,
                 sweep: Sequence[int] = ()) -> None:
        self.labeller = labeller
        self.padding = padding
        self.visitor_crops = visitor_crops
        self.sweep = tuple(sweep)  # also visitor_keep for these crop counts (look prefixes)

    def scores(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        return np.asarray(self.labeller.classifier.predict_scores(list(crops)).scores)

    def top(self, scores: np.ndarray) -> list[str]:
        return [self.labeller.label_scores(row).wnid for row in np.atleast_2d(scores)]

    def look_scores(self, face: Face, seed: int) -> np.ndarray:
        """The scores of each crop of one look (the first n are the look of n crops)."""
        count = max((self.visitor_crops, *self.sweep))
        return self.scores(looks.look(face.image, face.box, count, seed, self.padding))

    def visitor(self, face: Face, seed: int) -> np.ndarray:
        """The mean scores of one look at the face: what the kiosk's spin lands on."""
        return self.look_scores(face, seed)[:self.visitor_crops].mean(axis=0)

    def face(self, index: int, face: Face) -> dict[str, object]:
        """Every key of one face: its crop's label and how it survives a camera's changes."""
        pad = self.padding
        crop = looks.crop(face.image, face.box, pad)
        started = time.perf_counter()
        base = self.top(self.scores([crop]))[0]
        ms = (time.perf_counter() - started) * 1000.0
        jittered = [looks.crop(face.image, b, pad)
                    for b in jittered_boxes(face.box, JITTER, seed=index)]
        part, local = looks.around(face.image, face.box)
        small, small_box = looks.shrink(part, local, looks.SHRINK)
        changed = [looks.crop(looks.jpeg(part), local, pad), looks.crop(small, small_box, pad),
                   looks.crop(looks.cast(part, looks.WARM), local, pad),
                   looks.crop(looks.cast(part, looks.COOL), local, pad)]
        tops = self.top(self.scores(jittered + changed))
        a, b = self.look_scores(face, 10_000 + index), self.look_scores(face, 20_000 + index)

        def same(n: int) -> bool:
            return self.top(a[:n].mean(axis=0))[0] == self.top(b[:n].mean(axis=0))[0]

        return {"top": base, "ms": ms, "jitter": tops[:JITTER], "jpeg": tops[JITTER] == base,
                "scale": tops[JITTER + 1] == base,
                "light": [tops[JITTER + 2] == base, tops[JITTER + 3] == base],
                "visitor": same(self.visitor_crops),
                "sweep": {n: same(n) for n in self.sweep},
                # what the kiosk lands on for this visitor (the first look): its shipped label
                "landed": self.labeller.label_scores(a[:self.visitor_crops].mean(axis=0)).wnid}

    def summary(self, rows: list[dict[str, object]]) -> dict[str, object]:
        values: dict[str, object] = dict(figures([r["top"] for r in rows]))
        values.update({
            "jitter_mode_share": mean_share([r["jitter"] for r in rows]),
            "jpeg_keep": round(float(np.mean([r["jpeg"] for r in rows])), 4),
            "scale_keep": round(float(np.mean([r["scale"] for r in rows])), 4),
            "light_keep": round(float(np.mean([x for r in rows for x in r["light"]])), 4),
            "visitor_keep": round(float(np.mean([r["visitor"] for r in rows])), 4),
            "crops_per_visitor": self.visitor_crops,
            "crop_ms_p50": round(float(np.median([r["ms"] for r in rows])), 2),
        })
        for n in self.sweep:
            values[f"visitor_keep_{n}"] = round(float(np.mean([r["sweep"][n] for r in rows])), 4)
        return values


def with_prior(labeller: Labeller, prior: ScorePrior | None) -> Labeller:
    return Labeller(labeller.classifier, labeller.vocabulary, labeller.taxonomy,
                    labeller.topk, prior=(lambda: prior) if prior is not None else None)


def wild_rows(bench: Bench, faces: list[Face], fit_rows: np.ndarray,
              fit_sources: list[str]) -> list[dict[str, object]]:
    """Each wild face scored with the prior refitted without its source."""
    rows: list[dict[str, object]] = [{} for _ in faces]
    keep = bench.labeller
    for source in dict.fromkeys(f.source for f in faces):
        others = np.array([s != source for s in fit_sources])
        bench.labeller = with_prior(keep, fit(fit_rows[others]))
        for i, face in enumerate(faces):
            if face.source == source:
                rows[i] = bench.face(i, face)
    bench.labeller = keep
    return rows


def site_shift(bench: Bench, faces: list[Face], prior_weight: float,
               ) -> tuple[dict[str, object], dict[str, object]]:
    """(shipped, calibrated) figures on a room with a strong cast: the first 100 faces teach
    the kiosk the room, the rest are scored."""
    cast = [Face(f.name, looks.cast(f.image, ROOM_CAST), f.box, f.reference, f.source)
            for f in faces]
    learn, score = cast[:CALIBRATION_FACES], cast[CALIBRATION_FACES:]
    shipped = bench.labeller.prior
    assert shipped is not None
    room = SiteCalibration(shipped, None, prior_weight=prior_weight)
    for i, face in enumerate(learn):
        room.add_visitor(bench.visitor(face, 10_000 + i))
    out = []
    for prior in (shipped, room.prior()):
        labeller = with_prior(bench.labeller, prior)
        tops = [labeller.label_scores(bench.visitor(f, 30_000 + i)).wnid
                for i, f in enumerate(score)]
        values: dict[str, object] = dict(figures(tops))
        values.update({"calibration_visitors": room.count if prior is not shipped else 0,
                       "crops_per_visitor": bench.visitor_crops})
        out.append(values)
    return out[0], out[1]


PORTRAIT_LABELS_HEADER = """\
# The label benchmark's held-out portraits: the label the kiosk lands on for each (a wnid a
# line, sorted, so nothing ties a label to a photo; repeats count). Written by
# `python -m scripts.bench.eval_labels --portrait-labels FILE`; wordnet_labels/ keeps the
# shipped model's as benchmark_portraits_labels.txt, read by `kiosk label --coverage` and by
# the translations' build: a language is offered when it translates a third of these.
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
    ap.add_argument("--limit", type=int, default=None, help="only the first N faces of a set")
    ap.add_argument("--model-dir", type=Path, default=None,
                    help="person model folder (default: the kiosk's pick on these providers)")
    ap.add_argument("--threads", type=int, default=2, help="onnxruntime CPU threads")
    ap.add_argument("--providers", default="cpu",
                    help="comma-separated, in order of preference (e.g. cuda,cpu on a GPU: "
                         "its float arithmetic differs from the CPU's, and labels can follow)")
    ap.add_argument("--set", dest="overrides", action="append", default=[],
                    metavar="KEY=VALUE", help="a kiosk config override (e.g. spin.crops=12)")
    ap.add_argument("--table", action="store_true", help="per-photo top-3 of the wild set")
    ap.add_argument("--refit-prior", action="store_true",
                    help="fit the prior here, on the fitting faces as this config cuts them "
                    "(another crop_padding, another model), instead of the model's prior.npy")
    ap.add_argument("--crops-sweep", default="",
                    help="comma-separated crop counts: also visitor_keep_N for each")
    ap.add_argument("--portrait-labels", type=Path, default=None, metavar="FILE",
                    help="also write each held-out portrait's shipped label (the wnid the kiosk "
                         "lands on), one a line: `kiosk label --coverage --portraits FILE`")
    args = ap.parse_args(argv)

    providers = json.dumps([p.strip() for p in args.providers.split(",") if p.strip()])
    overrides = [f"classifier.providers={providers}", f"classifier.threads={args.threads}",
                 *args.overrides]
    if args.model_dir is not None:
        overrides += [f"classifier.model_dir={args.model_dir.resolve()}",
                      "classifier.gpu_model_dir=null"]  # that folder, on whichever provider
    config = load_config(None, overrides)
    parts = load_model_parts(config)
    pad = config.classifier.crop_padding
    sweep = [int(n) for n in args.crops_sweep.split(",") if n.strip()]
    bench = Bench(parts.labeller, pad, config.spin.crops, sweep)
    baked = parts.classifier.prior is None  # an older model with its prior in the graph
    fit_rows: np.ndarray | None = None
    fit_sources: list[str] = []
    if ("wild" in args.sets or args.refit_prior) and not baked:
        reference, fit_wild = fit_faces(config)
        if reference or fit_wild:
            fit_rows = np.concatenate([crop_scores(parts.classifier, reference, pad),
                                       crop_scores(parts.classifier, fit_wild, pad)])
            fit_sources = ["portraits"] * len(reference) + [f.source for f in fit_wild]
    if args.refit_prior and fit_rows is not None:
        bench.labeller = with_prior(parts.labeller, fit(fit_rows))
    model, provider = parts.classifier.manifest.name, parts.classifier.provider
    host = host_info().keys()
    limit: Callable[[list[Face]], list[Face]] = (
        (lambda faces: faces) if args.limit is None else (lambda faces: faces[:args.limit]))
    emit = lambda tag, values: print(line(tag, model, provider, values) + " " + host,  # noqa: E731
                                     flush=True)
    held = limit([f for f in portrait_faces(config) if not f.reference])
    if "portraits" in args.sets:
        if not held:
            print("set=portraits skipped: not fetched (python -m scripts.bench.fetch_face_sets)",
                  flush=True)
        else:
            rows = [bench.face(i, f) for i, f in enumerate(held)]
            emit("portraits", bench.summary(rows))
            if args.portrait_labels is not None:
                args.portrait_labels.write_text(PORTRAIT_LABELS_HEADER + "".join(
                    f"{wnid}\n" for wnid in sorted(r["landed"] for r in rows)))
    if "wild" in args.sets:
        wild = limit(wild_faces(config))
        if not wild:
            print("set=wild skipped: not fetched (python -m scripts.bench.fetch_face_sets)",
                  flush=True)
        else:
            rows = ([bench.face(i, f) for i, f in enumerate(wild)] if fit_rows is None
                    else wild_rows(bench, wild, fit_rows, fit_sources))
            emit("wild", bench.summary(rows))
            if args.table:
                print("\n| face | top-3 | breadcrumb of top-1 |\n|---|---|---|")
                for face in wild:
                    label = bench.labeller.label_crops([looks.crop(face.image, face.box, pad)])[0]
                    top3 = ", ".join(f"{n} {p:.2f}" for n, p in label.topk[:3])
                    print(f"| {face.name} | {top3} | {' > '.join(label.breadcrumb)} |")
                print()
    if "lfw" in args.sets:
        lfw = limit([f for f in lfw_faces(pad) if not f.reference])
        emit("lfw", bench.summary([bench.face(i, f) for i, f in enumerate(lfw)]))
    if "site_shift" in args.sets and len(held) > CALIBRATION_FACES and not baked:
        shipped, calibrated = site_shift(bench, held, config.calibration.prior_weight)
        emit("site_shift prior=shipped", shipped)
        emit("site_shift prior=calibrated", calibrated)
    parts.close()
    return 0


if __name__ == "__main__":
    from kiosk.native_stderr import filter_native_stderr

    filter_native_stderr()  # MediaPipe's routine chatter stays out of the figures
    sys.exit(main())
