"""Write an 8-bit copy of the person model, to measure it against the float one.

  .venv/bin/python -m scripts.bench.fetch_face_sets   # first: the colour face sets
  .venv/bin/python -m scripts.modelbuild.quantize_person_model --out /tmp/person_int8
  .venv/bin/python -m scripts.bench.bench_classifier --model-dir /tmp/person_int8
  .venv/bin/python -m scripts.bench.eval_labels --model-dir /tmp/person_int8 --refit-prior

onnxruntime's static quantization (QDQ, int8 weights per channel, uint8 activations) of the
backbone's convolutions only: the views before it and the zero-shot head after it (the text
embeddings' cosines, where a synset's lead over the next is a few thousandths) stay in float.
The activations' ranges are calibrated on crops of the REFERENCE portraits (the ones the prior
is fitted on; eval_labels.py scores the others), cut as the kiosk cuts them. The folder gets
the model, the shipped prior and class names, and a manifest with the new sha256: the kiosk
and the benchmarks load it with classifier.model_dir / --model-dir. Not shipped: see
docs/labels.md ("What each change gained").
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnx
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)

from kiosk.classify.manifest import (
    load_manifest,
    sha256_file,
    write_manifest,
)
from kiosk.classify.preprocess import preprocess
from kiosk.config import load_config
from scripts.bench import camera_looks as looks
from scripts.bench.label_faces import portrait_faces

ROOT = Path(__file__).resolve().parents[2]


class _Crops(CalibrationDataReader):
    """One reference portrait's crop a step, as the model's input tensor."""

    def __init__(self, input_name: str, batches: list[np.ndarray]) -> None:
        self._items: Iterator[dict[str, np.ndarray]] = iter(
            {input_name: b} for b in batches)

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._items, None)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", type=Path, default=ROOT / "models" / "person_effnet")
    ap.add_argument("--out", type=Path, required=True, help="the folder to write")
    ap.add_argument("--faces", type=int, default=64, help="reference portraits to calibrate on")
    args = ap.parse_args(argv)
    manifest = load_manifest(args.model_dir)
    config = load_config(None, ['classifier.providers=["cpu"]'])
    faces = [f for f in portrait_faces(config) if f.reference][:args.faces]
    if not faces:
        print("no reference portraits: run python -m scripts.bench.fetch_face_sets first",
              file=sys.stderr)
        return 2
    pad = config.classifier.crop_padding
    batches = [preprocess([looks.crop(face.image, face.box, pad)], manifest) for face in faces]
    model = onnx.load(str(args.model_dir / manifest.model_file))
    head_nodes = [n.name for n in model.graph.node if n.name.startswith("head/")]
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / manifest.model_file.replace(".onnx", "_int8.onnx")
    quantize_static(str(args.model_dir / manifest.model_file), str(target),
                    _Crops(manifest.input_name, batches),
                    quant_format=QuantFormat.QDQ, op_types_to_quantize=["Conv"],
                    per_channel=True, activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8, nodes_to_exclude=head_nodes,
                    calibrate_method=CalibrationMethod.MinMax,
                    calibration_providers=["CPUExecutionProvider"])
    for extra in args.model_dir.iterdir():
        if extra.suffix in (".npy", ".tsv", ".txt"):
            shutil.copy2(extra, args.out / extra.name)
    quantized = manifest.model_copy(update={
        "name": manifest.name + "-int8", "model_file": target.name,
        "sha256": sha256_file(target), "size_bytes": target.stat().st_size})
    write_manifest(args.out, quantized)
    print(f"wrote {target} ({target.stat().st_size} bytes, {len(faces)} calibration crops, "
          f"{len(head_nodes)} head nodes left in float)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
