#!/usr/bin/env python3
"""Label-quality benchmark: what the kiosk would say to the real faces packages ship.

  .venv/bin/python scripts/eval_labels.py                  # key=value lines (all, heldout)
  .venv/bin/python scripts/eval_labels.py --table          # + per-photo top-3 (markdown)
  .venv/bin/python scripts/eval_labels.py --limit 6        # first 6 faces only (tests)
  .venv/bin/python scripts/eval_labels.py --model-dir models/person_steady --providers cuda,cpu
                                                           # a GPU kiosk's labels, on its GPU

Faces: see scripts/label_faces.py (lfw_subset's 100 real faces, the faces MediaPipe finds in
the astronaut, camera man, Grace Hopper and opencv-doc's photos). Each face is cut as the kiosk
cuts it (classifier.crop_padding) and labelled by the kiosk's own Labeller, vocabulary included.

  faces               faces labelled
  distinct            distinct top-1 labels
  most_common_share   share of faces given the most common top-1 label
  effective_labels    exp(entropy of the top-1 label distribution)
  jitter_mode_share   mean over faces of the share of 20 jittered crops (centre ±5%, size ±5%
                      of the face box, fixed seed per face) that get that face's modal label
  crop_ms_p50         per-crop latency at batch 1, preprocessing included (p50 over faces)

The `set=heldout` line leaves out the lfw faces the head's prior was fitted on (even indices).
Deterministic: fixed seeds, fixed face order.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from label_faces import Face, all_faces, jittered_boxes  # noqa: E402

from kiosk.classify.loading import load_model_parts  # noqa: E402
from kiosk.config import load_config  # noqa: E402

JITTER = 20


def figures(top1: list[str], jitter_share: list[float], crop_ms: list[float]) -> dict[str, float]:
    counts = Counter(top1)
    n = len(top1)
    p = np.array(list(counts.values()), float) / max(n, 1)
    return {
        "faces": n,
        "distinct": len(counts),
        "most_common_share": round(float(p.max()) if n else 0.0, 4),
        "effective_labels": round(float(np.exp(-(p * np.log(p)).sum())) if n else 0.0, 2),
        "jitter_mode_share": round(float(np.mean(jitter_share)) if n else 0.0, 4),
        "crop_ms_p50": round(float(np.median(crop_ms)) if crop_ms else 0.0, 2),
    }


def line(tag: str, model: str, provider: str, values: dict[str, float]) -> str:
    return (f"set={tag} model={model} provider={provider} "
            + " ".join(f"{k}={v}" for k, v in values.items()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="only the first N faces")
    ap.add_argument("--model-dir", type=Path, default=None,
                    help="person model folder (default: the kiosk's pick on these providers)")
    ap.add_argument("--threads", type=int, default=2, help="onnxruntime CPU threads")
    ap.add_argument("--providers", default="cpu",
                    help="comma-separated, in order of preference (e.g. cuda,cpu on a GPU: "
                         "its float arithmetic differs from the CPU's, and labels can follow)")
    ap.add_argument("--table", action="store_true", help="print the per-photo top-3 table")
    args = ap.parse_args(argv)

    providers = json.dumps([p.strip() for p in args.providers.split(",") if p.strip()])
    overrides = [f"classifier.providers={providers}", f"classifier.threads={args.threads}"]
    if args.model_dir is not None:
        overrides += [f"classifier.model_dir={args.model_dir.resolve()}",
                      "classifier.gpu_model_dir=null"]  # that folder, on whichever provider
    config = load_config(None, overrides)
    parts = load_model_parts(config)
    labeller, pad = parts.labeller, config.classifier.crop_padding
    faces: list[Face] = all_faces(config, args.limit)
    top1: list[str] = []
    shares: list[float] = []
    crop_ms: list[float] = []
    rows: list[str] = []
    for index, face in enumerate(faces):
        h, w = face.image.shape[:2]
        crop = face.box.padded(pad, w, h).crop(face.image).copy()
        started = time.perf_counter()
        label = labeller.label_crops([crop])[0]
        crop_ms.append((time.perf_counter() - started) * 1000.0)
        top1.append(label.wnid)
        boxes = jittered_boxes(face.box, JITTER, seed=index)
        jittered = [b.padded(pad, w, h).crop(face.image).copy() for b in boxes]
        votes = Counter(lab.wnid for lab in labeller.label_crops(jittered))
        shares.append(votes.most_common(1)[0][1] / JITTER)
        if not face.name.startswith("lfw"):
            top3 = ", ".join(f"{n} {p:.2f}" for n, p in label.topk[:3])
            rows.append(f"| {face.name} | {top3} | {' > '.join(label.breadcrumb)} |")
    model, provider = parts.classifier.manifest.name, parts.classifier.provider
    print(line("all", model, provider, figures(top1, shares, crop_ms)))
    held = [i for i, f in enumerate(faces) if not f.reference]
    print(line("heldout", model, provider, figures(
        [top1[i] for i in held], [shares[i] for i in held], [crop_ms[i] for i in held])))
    if args.table:
        print("\n| face | top-3 | breadcrumb of top-1 |\n|---|---|---|")
        print("\n".join(rows))
    parts.close()
    return 0


if __name__ == "__main__":
    from kiosk.native_stderr import filter_native_stderr

    filter_native_stderr()  # MediaPipe's routine chatter stays out of the figures
    sys.exit(main())
