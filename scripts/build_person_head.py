#!/usr/bin/env python3
"""Rebuild the person head of models/person_effnet/ WITHOUT torch, by ONNX graph surgery.

  .venv/bin/python scripts/build_person_head.py            # in place (replaces the .onnx)
  .venv/bin/python scripts/build_person_head.py --view-set steady --out-dir models/person_steady

Reads the model folder's current ONNX (the EfficientNet-Lite2 backbone plus the text constants
head/class_text and head/person_text_t that scripts/build_person_model.py baked in), strips its
head, and adds the "conse_dense_prior" head of kiosk/classify/prior_head.py: dense ConSE over all
1,000 ImageNet-1k classes (temperature), a test-time average over fixed views of the crop
(windows of the input, some mirrored: --input-size, --window, --views), and each synset's
score standardised against its mean and spread over REFERENCE face crops: the 50 even-indexed
real faces of skimage.data.lfw_subset() (scripts/label_faces.py), cut as the kiosk cuts them.
The odd-indexed faces and every photo face are held out (scripts/eval_labels.py set=heldout).
Deterministic: same inputs, same bytes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import onnx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from label_faces import lfw_faces  # noqa: E402

from kiosk.classify.manifest import Head, Manifest, Package, Prior, load_manifest, write_manifest  # noqa: E402
from kiosk.classify.preprocess import preprocess  # noqa: E402
from kiosk.classify.prior_head import (  # noqa: E402
    STEADY_INPUT,
    add_prior_head,
    backbone_of,
    cosine_model,
    steady_views,
    views_for,
)
from kiosk.config import load_config  # noqa: E402

NAME = "person-effnet-lite2-prior"
FILE = "person_effnet_lite2_prior.onnx"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def reference_cosines(model: onnx.ModelProto, manifest: Manifest, padding: float) -> np.ndarray:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    session = ort.InferenceSession(model.SerializeToString(), so,
                                   providers=["CPUExecutionProvider"])
    faces = [f for f in lfw_faces(padding) if f.reference]
    crops = []
    for f in faces:
        h, w = f.image.shape[:2]
        crops.append(f.box.padded(padding, w, h).crop(f.image).copy())
    rows = [session.run(["logits"], {manifest.input_name: preprocess(crops[i:i + 8], manifest)})[0]
            for i in range(0, len(crops), 8)]
    return np.concatenate(rows, axis=0)


def lfw_package() -> Package:
    import skimage

    path = Path(skimage.__file__).parent / "data" / "lfw_subset.npy"
    return Package(
        registry="pypi", package="scikit-image", version=skimage.__version__,
        file="skimage/data/lfw_subset.npy", file_sha256=sha256(path),
        licence="scikit-image BSD-3-Clause; the faces are from Labeled Faces in the Wild "
        "(UMass Amherst), which states no licence; used only to measure a prior, not trained on",
        homepage="https://scikit-image.org", upstream="LFW (Huang et al. 2007), 25x25 greyscale")


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
                    "cosines averaged; steady: six views at two scales of a 192 px input "
                    "(four 168 px windows of it resized to 184, its 176 px centre and mirror), "
                    "logits averaged: steadier labels for 1.7x the backbone's pixels")
    ap.add_argument("--out-dir", type=Path, default=None,
                    help="write the model here (LICENSE.txt copied) instead of in place")
    ap.add_argument("--if-stale", action="store_true",
                    help="do nothing when --out-dir already holds this view set built from the "
                    "model folder's current model (scripts/setup.sh)")
    ap.add_argument("--logit-scale", type=float, default=3.0, help="z-score x this = logits")
    ap.add_argument("--sd-floor", type=float, default=1e-4)
    args = ap.parse_args(argv)

    old = load_manifest(args.model_dir)
    if args.if_stale and args.out_dir and (args.out_dir / "manifest.json").is_file():
        built = load_manifest(args.out_dir).build
        if (built.get("rebuilt_from_sha256") == old.sha256
                and built.get("view_set") == args.view_set):
            print(f"{args.out_dir}: up to date")
            return 0
    old_path = old.model_path(args.model_dir)
    backbone, input_name, logits_1k, features = backbone_of(onnx.load(str(old_path)))
    average = "cosine"
    if args.view_set == "steady":
        args.input_size, views, average = STEADY_INPUT, steady_views(), "logits"
        args.window = views[0].window
    else:
        views = views_for(args.input_size, args.window, args.views)
    settings = dict(input_name=input_name, logits_1k=logits_1k, features=features,
                    feat_dim=1280, temperature=args.temperature, views=views,
                    input_size=args.input_size, window=args.window, average=average)
    padding = load_config(None, []).classifier.crop_padding
    sized = old.model_copy(update=dict(input_size=(args.input_size, args.input_size)))
    cos = reference_cosines(cosine_model(backbone, **settings), sized, padding)
    mean, sd = cos.mean(axis=0), cos.std(axis=0) + args.sd_floor
    model = add_prior_head(backbone, prior_mean=mean, prior_sd=sd,
                           logit_scale=args.logit_scale, **settings)
    out_dir = args.out_dir or args.model_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    if out_dir.resolve() != args.model_dir.resolve():
        shutil.copyfile(args.model_dir / "LICENSE.txt", out_dir / "LICENSE.txt")
    new_path = out_dir / FILE
    tmp = new_path.with_suffix(".tmp")
    onnx.save(model, str(tmp))
    os.replace(tmp, new_path)
    if old_path != new_path and out_dir.resolve() == args.model_dir.resolve():
        old_path.unlink()
    prior = Prior(
        description=f"{len(cos)} real faces: skimage.data.lfw_subset() images 0, 2, ..., 98 "
        "(the first 100 of its 200 images are faces; the rest are not and are never used), "
        f"upscaled to 200 px, grey as RGB, cut with the kiosk's crop_padding {padding}. The "
        "odd-indexed faces and all photo faces are held out (scripts/eval_labels.py set=heldout).",
        faces=len(cos), source=lfw_package(), sd_floor=args.sd_floor)
    if args.view_set == "steady":
        mirror = (f"seen as {len(views)} fixed views at two scales of the {args.input_size} px "
                  "input (head.views: four 168 px windows of it resized to 184 px, its 176 px "
                  "centre and mirror; in the graph), their ImageNet-1k logits averaged, then ")
    else:
        mirror = (f"seen as {len(views)} fixed {args.window} px views of the "
                  f"{args.input_size} px input (head.views, in the graph; their cosines are "
                  "averaged), for each view " if len(views) > 1 else "")
    head = Head(
        kind="conse_dense_prior",
        description=f"Dense ConSE with a face prior, baked after the backbone: each crop is "
        f"{mirror}softmax(ImageNet-1k logits / {args.temperature}) over all 1,000 classes mixes "
        "their text embeddings (normalised); cosine with each person synset's text embedding; "
        "each synset's cosine standardised by its mean and sd over reference face crops "
        f"(head.prior); x {args.logit_scale}; softmax. Text embeddings as in the conse_text "
        "head this was rebuilt from (lemmas, lemmas + gloss, all-MiniLM-L6-v2, mean-centred). "
        "Built by graph surgery (scripts/build_person_head.py), no torch.",
        logit_scale=args.logit_scale, text_encoder=old.head.text_encoder,
        text_templates=old.head.text_templates, base_classes=1000,
        temperature_1k=args.temperature, prior=prior,
        mirror_average=any(v.mirrored for v in views),
        view_window=args.window if len(views) > 1 else None,
        views=([(v.top, v.left, v.mirrored) if not (v.window or v.scale)
                else (v.top, v.left, v.mirrored, v.window, v.scale) for v in views]
               if len(views) > 1 else []),
        view_average=average)
    build = dict(old.build)
    build.update({"head_script": "scripts/build_person_head.py",
                  "head_date": dt.date.today().isoformat(),
                  "head_onnx": onnx.__version__, "rebuilt_from": old.model_file,
                  "rebuilt_from_sha256": old.sha256, "view_set": args.view_set})
    manifest = old.model_copy(update=dict(
        name=NAME + ("-steady" if args.view_set == "steady" else ""), model_file=FILE,
        sha256=sha256(new_path),
        input_size=(args.input_size, args.input_size),
        size_bytes=new_path.stat().st_size, head=head, build=build))
    write_manifest(out_dir, Manifest.model_validate(manifest.model_dump()))
    print(f"wrote {new_path} ({new_path.stat().st_size} bytes) sha256={manifest.sha256}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
