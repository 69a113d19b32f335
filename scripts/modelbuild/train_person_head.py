"""Fit the person head on licensed images in ImageNet layout: <root>/<wnid>/*.jpg.

The backbone stays frozen. Its pooled features (the model's `embedding` output) and the text
head's logits are computed once per image; then a softmax regression is fitted in numpy:

    logits = w * text_logits + features @ W.T + b      (W = 0, b = 0 at the start)

so training starts from the zero-shot text head (the text embeddings are its initialisation)
and learns a correction from images. Classes without images keep their text-head scores. The
new model folder gets the same backbone, the new head, and a manifest with a new checksum and
a `head.trained_on` record. No torch needed: numpy, OpenCV and onnxruntime only.

  .venv/bin/python -m scripts.modelbuild.train_person_head /data/imagenet-person \
      --out models/person_trained
  # then set classifier.model_dir: models/person_trained in config/kiosk.yaml
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import shutil
import sys
from pathlib import Path

import numpy as np

from kiosk.classify.classifier import PersonClassifier
from kiosk.classify.manifest import MANIFEST_FILE, TrainedOn, write_manifest
from scripts.modelbuild.conse import add_linear_residual
from scripts.modelbuild.views import add_score_residual

ROOT = Path(__file__).resolve().parents[2]

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".JPEG"}


class TrainError(Exception):
    """A problem with the training folder, worded for an installer."""


def list_images(root: Path, wnids: tuple[str, ...]) -> list[tuple[Path, int]]:
    if not root.is_dir():
        raise TrainError(f"{root}: training folder not found")
    index = {w: i for i, w in enumerate(wnids)}
    items: list[tuple[Path, int]] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder.name not in index:
            raise TrainError(f"{folder}: not one of the model's output wnids (ImageNet fall 2011 "
                             "person synsets); rename or remove the folder")
        files = sorted(p for p in folder.iterdir() if p.suffix in IMAGE_SUFFIXES or
                       p.suffix.lower() in IMAGE_SUFFIXES)
        items += [(f, index[folder.name]) for f in files]
    if not items:
        raise TrainError(f"{root}: no images found in <root>/<wnid>/ folders")
    return items


def read_rgb(path: Path) -> np.ndarray:
    import cv2

    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise TrainError(f"{path}: not a readable image")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def features(clf: PersonClassifier, items: list[tuple[Path, int]], chunk: int = 64,
             ) -> tuple[np.ndarray, np.ndarray]:
    """(embedding, text-head logits / scale) for every image, computed in chunks."""
    m = clf.manifest
    feats, cos = [], []
    scale = float(m.head.logit_scale or 1.0)
    for start in range(0, len(items), chunk):
        crops = [read_rgb(p) for p, _ in items[start:start + chunk]]
        if m.output_kind == "scores":  # the kiosk's z-scores: the prior outside the graph
            emb, scores = clf.outputs(crops, [m.outputs.embedding, m.outputs.scores])
            assert clf.prior is not None
            cos.append(clf.prior.standardise(scores))
        else:
            emb, logits = clf.outputs(crops, [m.outputs.embedding, m.outputs.logits])
            cos.append(logits / scale)
        feats.append(emb)
        print(f"train: features {min(start + chunk, len(items))}/{len(items)}", end="\r",
              flush=True)
    print()
    return np.concatenate(feats), np.concatenate(cos)


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit(x: np.ndarray, prior: np.ndarray, y: np.ndarray, classes: int, *, epochs: int,
        lr: float, l2: float, batch: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Softmax regression with a fixed prior logit, Adam, L2 on W. Returns W (C, D), b (C,)."""
    rng = np.random.default_rng(seed)
    n, d = x.shape
    w = np.zeros((classes, d), np.float32)
    b = np.zeros(classes, np.float32)
    mw, vw, mb, vb = (np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b))
    step = 0
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            p = softmax(prior[idx] + x[idx] @ w.T + b)
            p[np.arange(len(idx)), y[idx]] -= 1.0
            p /= len(idx)
            gw = p.T @ x[idx] + l2 * w
            gb = p.sum(axis=0)
            step += 1
            for param, grad, m1, m2 in ((w, gw, mw, vw), (b, gb, mb, vb)):
                m1 *= 0.9
                m1 += 0.1 * grad
                m2 *= 0.999
                m2 += 0.001 * grad * grad
                param -= lr * (m1 / (1 - 0.9 ** step)) / (np.sqrt(m2 / (1 - 0.999 ** step)) + 1e-8)
    return w, b


def accuracy(x: np.ndarray, prior: np.ndarray, y: np.ndarray, w: np.ndarray,
             b: np.ndarray) -> float:
    if len(y) == 0:
        return float("nan")
    return float(np.mean(np.argmax(prior + x @ w.T + b, axis=1) == y))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root", type=Path, help="ImageNet-layout folder: <root>/<wnid>/*.jpg")
    ap.add_argument("--base", type=Path, default=ROOT / "models" / "person_effnet",
                    help="model folder to start from (its text head is the prior)")
    ap.add_argument("--out", type=Path, required=True, help="new model folder")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--lr", type=float, default=1e-2)
    ap.add_argument("--l2", type=float, default=1e-4)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--val-fraction", type=float, default=0.1)
    ap.add_argument("--zero-shot-weight", type=float, default=1.0,
                    help="weight of the text head's logits (0 = images only)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    try:
        return train(args)
    except TrainError as exc:
        print(f"train: error: {exc}", file=sys.stderr)
        return 2


def train(args: argparse.Namespace) -> int:
    import onnx

    if args.out.resolve() == args.base.resolve():
        raise TrainError(f"{args.out}: --out must be a new folder, not the base model")
    with PersonClassifier(args.base, providers=("cuda", "cpu")) as clf:
        m = clf.manifest
        base_kind = m.head.kind.removesuffix("+linear")
        if base_kind not in ("conse_text", "conse_dense_prior", "conse_dense_scores") \
                or not m.outputs.embedding:
            raise TrainError(f"{args.base}: head {m.head.kind!r} cannot be re-trained here")
        items = list_images(args.root, clf.wnids)
        print(f"train: {len(items)} images in {len({c for _, c in items})} classes, "
              f"on {clf.provider}")
        x, cos = features(clf, items)
        wnids = clf.wnids
        score_sd = None if clf.prior is None else clf.prior.sd
    y = np.array([c for _, c in items])
    base_scale = m.score_prior.logit_scale if m.score_prior is not None else m.head.logit_scale
    scale = float(base_scale or 1.0) * args.zero_shot_weight
    prior = cos * scale
    rng = np.random.default_rng(args.seed)
    val = np.zeros(len(y), bool)
    if args.val_fraction > 0:
        for c in np.unique(y):
            members = np.flatnonzero(y == c)
            if len(members) >= 4:
                k = max(1, int(round(len(members) * args.val_fraction)))
                val[rng.choice(members, k, replace=False)] = True
    tr = ~val
    mean = x[tr].mean(axis=0)
    x_c = x - mean  # centred features: the bias absorbs the mean (folded back below)
    w, b = fit(x_c[tr], prior[tr], y[tr], len(wnids), epochs=args.epochs, lr=args.lr,
               l2=args.l2, batch=args.batch, seed=args.seed)
    train_acc = accuracy(x_c[tr], prior[tr], y[tr], w, b)
    val_acc = accuracy(x_c[val], prior[val], y[val], w, b) if val.any() else None
    zs_acc = accuracy(x_c[val if val.any() else tr], prior[val if val.any() else tr],
                      y[val if val.any() else tr], np.zeros_like(w), np.zeros_like(b))
    print(f"train: accuracy train {train_acc:.3f}"
          + (f", held out {val_acc:.3f}" if val_acc is not None else "")
          + f" (text head alone: {zs_acc:.3f})")
    b_folded = (b - w @ mean).astype(np.float32)

    base_model = onnx.load(str(m.model_path(args.base)))
    score_prior = m.score_prior
    if score_sd is not None and score_prior is not None:  # stored in score units (see views.py)
        to_scores = (score_sd / scale)[:, None]
        model = add_score_residual(base_model, (w * to_scores).astype(np.float32),
                                   (b_folded * to_scores[:, 0]).astype(np.float32))
        score_prior = score_prior.model_copy(update={"logit_scale": scale})
    else:
        model = add_linear_residual(base_model, w.astype(np.float32), b_folded, scale)
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.onnx"):
        old.unlink()
    name = Path(m.model_file).stem.replace("_conse", "") + "_trained.onnx"
    path = args.out / name
    onnx.save(model, str(path))
    blob = path.read_bytes()
    trained = TrainedOn(
        root=str(args.root), images=int(len(y)), classes=int(len(np.unique(y))),
        epochs=args.epochs, train_accuracy=round(train_acc, 4),
        val_accuracy=None if val_acc is None else round(val_acc, 4),
        zero_shot_weight=args.zero_shot_weight, l2=args.l2, date=dt.date.today().isoformat(),
    )
    head = m.head.model_copy(update={
        "kind": m.head.kind.removesuffix("+linear") + "+linear",
        "trained_on": trained,
        "description": m.head.description.split(" Trained:")[0] + (
            f" Trained: logits = {args.zero_shot_weight:g} x text-head logits + linear layer on "
            "the pooled backbone features, softmax regression (Adam, L2) by "
            "scripts/modelbuild/train_person_head.py, initialised at zero (= the text head)."),
    })
    manifest = m.model_copy(update={
        "name": m.name + "-trained", "model_file": name, "size_bytes": len(blob),
        "sha256": hashlib.sha256(blob).hexdigest(), "head": head, "score_prior": score_prior,
        "build": {**m.build, "trained_by": "scripts/modelbuild/train_person_head.py",
                  "trained_date": trained.date},
    })
    write_manifest(args.out, manifest)
    extras = ["LICENSE.txt", m.imagenet_classes or ""]
    if score_prior is not None:
        extras.append(score_prior.file)
    for extra in filter(None, extras):
        if (args.base / extra).exists():
            shutil.copy2(args.base / extra, args.out / extra)
    # the new folder must load like any model: checksum, shapes, warm-up
    with PersonClassifier(args.out, providers=("cpu",)) as check:
        assert check.wnids == wnids
    print(f"train: wrote {path} and {args.out / MANIFEST_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
