"""Rebuild the person head of models/person_effnet/ WITHOUT torch, by ONNX graph surgery.

  .venv/bin/python -m scripts.modelbuild.build_person_head   # in place (replaces the .onnx)
  .venv/bin/python -m scripts.modelbuild.build_person_head --view-set steady \
      --out-dir models/person_steady

Reads the model folder's current ONNX (the EfficientNet-Lite2 backbone plus the text constants
head/class_text and head/person_text_t that build_person_model.py baked in), strips its head,
and adds the "conse_dense_scores" head of views.py (both in this package): dense ConSE over
all 1,000 ImageNet-1k classes (temperature), a test-time average over fixed views of the crop
(windows of the input, some mirrored: --input-size, --window, --views). The graph outputs the
raw per-synset scores; the prior that standardises them is a file beside it (prior.npy, fitted
on colour faces by fit_prior.py and committed), never measured here: building is pure
graph surgery, so the same inputs give the same bytes on every host.

The steady view set (a GPU kiosk's model) gets the prior fitted on its own scores,
models/person_effnet/prior_steady.npy, copied as its prior.npy.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
from pathlib import Path

import onnx

from kiosk.classify.manifest import Head, Manifest, load_manifest, write_manifest
from scripts.modelbuild.views import (
    STEADY_INPUT,
    add_score_head,
    backbone_of,
    steady_views,
    views_for,
)

ROOT = Path(__file__).resolve().parents[2]
# The name written into the manifest.json this builds (head.description, build.head_script):
# this script's path before scripts/ became packages, kept verbatim so that a rebuild gives the
# committed manifest byte for byte. Run this as `python -m scripts.modelbuild.build_person_head`.
RECORDED_AS = "scripts/build_person_head.py"

NAME = "person-effnet-lite2-scores"
FILE = "person_effnet_lite2_scores.onnx"
PRIOR = "prior.npy"
STEADY_PRIOR = "prior_steady.npy"
IMAGENET_CLASSES = "imagenet1k_classes.tsv"
COPIED = ("LICENSE.txt", IMAGENET_CLASSES)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def head_settings(view_set: str, input_size: int, window: int, views: int,
                  temperature: float) -> dict:
    """The add_score_head arguments (but the graph's names) of a view set."""
    if view_set == "steady":
        chosen = steady_views()
        return dict(views=chosen, input_size=STEADY_INPUT, window=chosen[0].window,
                    average="logits", temperature=temperature)
    return dict(views=views_for(input_size, window, views), input_size=input_size,
                window=window, average="cosine", temperature=temperature)


def build_graph(model: onnx.ModelProto, **settings) -> onnx.ModelProto:  # noqa: ANN003
    """The score head of `settings` on the backbone of `model` (any person head stripped)."""
    backbone, input_name, logits_1k, features = backbone_of(model)
    return add_score_head(backbone, input_name=input_name, logits_1k=logits_1k,
                          features=features, feat_dim=1280, **settings)


def describe(settings: dict) -> str:
    views, size, window = settings["views"], settings["input_size"], settings["window"]
    if settings["average"] == "logits":
        seen = (f"seen as {len(views)} fixed views at two scales of the {size} px input "
                "(head.views: four 168 px windows of it resized to 184 px, its 176 px centre "
                "and mirror; in the graph), their ImageNet-1k logits averaged, then ")
    elif len(views) > 1:
        seen = (f"seen as {len(views)} fixed {window} px views of the {size} px input "
                "(head.views, in the graph; their scores are averaged), for each view ")
    else:
        seen = ""
    return (f"Dense ConSE, baked after the backbone: each crop is {seen}softmax(ImageNet-1k "
            f"logits / {settings['temperature']:g}) over all 1,000 classes mixes their text "
            "embeddings (normalised); the output `scores` is the cosine with each person "
            "synset's text embedding. The kiosk standardises each synset's score by its mean "
            "and sd over real colour faces (score_prior, outside the graph, blended on site "
            "with the room's own visitors), x score_prior.logit_scale, softmax. `imagenet` is "
            "the backbone's own ImageNet-1k softmax (T = 1), mean over the views: the evidence "
            "in the 'why' panel. Text embeddings as in the conse_text head this was rebuilt "
            "from (lemmas, lemmas + gloss, all-MiniLM-L6-v2, mean-centred). Built by graph "
            f"surgery ({RECORDED_AS}), no torch.")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model-dir", type=Path, default=ROOT / "models" / "person_effnet")
    ap.add_argument("--temperature", type=float, default=8.0, help="ImageNet-1k softmax T")
    ap.add_argument("--input-size", type=int, default=176,
                    help="side of the model's input (the crop's short side is resized to it)")
    ap.add_argument("--window", type=int, default=160, help="side of each test-time view")
    ap.add_argument("--views", type=int, default=4, choices=(1, 2, 4),
                    help="test-time views averaged (1: the whole input; 2: centre window and "
                    "its mirror; 4: + top-left and mirrored bottom-right windows)")
    ap.add_argument("--view-set", choices=("windows", "steady"), default="windows",
                    help="windows: --views windows of --window px in the --input-size input, "
                    "scores averaged; steady: six views at two scales of a 192 px input "
                    "(four 168 px windows of it resized to 184, its 176 px centre and mirror), "
                    "logits averaged: steadier labels for 1.7x the backbone's pixels")
    ap.add_argument("--out-dir", type=Path, default=None,
                    help="write the model here (LICENSE.txt, class names and prior copied) "
                    "instead of in place")
    ap.add_argument("--if-stale", action="store_true",
                    help="do nothing when --out-dir already holds this view set built from the "
                    "model folder's current model and prior (scripts/setup.sh)")
    args = ap.parse_args(argv)

    old = load_manifest(args.model_dir)
    out_dir = args.out_dir or args.model_dir
    steady = args.view_set == "steady"
    prior_src = args.model_dir / (STEADY_PRIOR if steady else PRIOR)
    prior_sha = sha256(prior_src) if prior_src.is_file() else ""
    if args.if_stale and args.out_dir and (args.out_dir / "manifest.json").is_file():
        built = load_manifest(args.out_dir).build
        if (built.get("rebuilt_from_sha256") == old.sha256
                and built.get("view_set") == args.view_set
                and built.get("prior_sha256", "") == prior_sha):
            print(f"{args.out_dir}: up to date")
            return 0
    settings = head_settings(args.view_set, args.input_size, args.window, args.views,
                             args.temperature)
    old_path = old.model_path(args.model_dir)
    model = build_graph(onnx.load(str(old_path)), **settings)
    out_dir.mkdir(parents=True, exist_ok=True)
    new_path = out_dir / FILE
    tmp = new_path.with_suffix(".tmp")
    onnx.save(model, str(tmp))
    os.replace(tmp, new_path)
    in_place = out_dir.resolve() == args.model_dir.resolve()
    if old_path != new_path and in_place:
        old_path.unlink()
    if not in_place:
        for stale in out_dir.glob("*.onnx"):  # an earlier build's model, under another name
            if stale.name != FILE:
                stale.unlink()
        for name in COPIED:
            if (args.model_dir / name).is_file():
                shutil.copyfile(args.model_dir / name, out_dir / name)
        if prior_src.is_file():
            shutil.copyfile(prior_src, out_dir / PRIOR)
    views = settings["views"]
    head = Head(
        kind="conse_dense_scores", description=describe(settings),
        text_encoder=old.head.text_encoder, text_templates=old.head.text_templates,
        base_classes=1000, temperature_1k=settings["temperature"],
        mirror_average=any(v.mirrored for v in views),
        view_window=settings["window"] if len(views) > 1 else None,
        views=([(v.top, v.left, v.mirrored) if not (v.window or v.scale)
                else (v.top, v.left, v.mirrored, v.window, v.scale) for v in views]
               if len(views) > 1 else []),
        view_average=settings["average"])
    build = {k: v for k, v in old.build.items() if k != "head_date"}
    build.update({"head_script": RECORDED_AS, "head_onnx": onnx.__version__,
                  "rebuilt_from": old.model_file, "rebuilt_from_sha256": old.sha256,
                  "view_set": args.view_set, "prior_sha256": prior_sha})
    score_prior = old.score_prior
    if score_prior is not None and prior_sha:
        note = "" if not steady else " Fitted on the steady head's own scores (prior_steady.npy)."
        score_prior = score_prior.model_copy(update=dict(
            file=PRIOR, sha256=prior_sha,
            description=score_prior.description.split(" Fitted on the steady")[0] + note))
    else:
        score_prior = None  # scripts/modelbuild/fit_prior.py writes it
    outputs = old.outputs.model_copy(update=dict(probs=None, logits=None, scores="scores",
                                                 imagenet="imagenet"))
    manifest = old.model_copy(update=dict(
        name=NAME + ("-steady" if steady else ""), model_file=FILE, sha256=sha256(new_path),
        input_size=(settings["input_size"],) * 2, size_bytes=new_path.stat().st_size,
        output_kind="scores", outputs=outputs, score_prior=score_prior,
        imagenet_classes=IMAGENET_CLASSES, head=head, build=build))
    write_manifest(out_dir, Manifest.model_validate(manifest.model_dump()))
    print(f"wrote {new_path} ({new_path.stat().st_size} bytes) sha256={manifest.sha256}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
