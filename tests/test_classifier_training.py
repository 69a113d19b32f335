"""The training path end to end on a small ImageNet-layout folder made from real photos.

No torch: scripts/modelbuild/train_person_head.py reads images with OpenCV, gets features from
the shipped model with onnxruntime, fits the head in numpy and writes a new model folder that
loads.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.classify.classifier import PersonClassifier
from scripts.modelbuild import train_person_head
from scripts.modelbuild.conse import text_head_arrays

ROOT = Path(__file__).resolve().parent.parent
MODEL_DIR = ROOT / "models" / "person_effnet"
ASTRONAUT, REAR_ADMIRAL, DRINKER = "n09818022", "n10510245", "n10034614"


def _variants(img: np.ndarray, n: int, seed: int) -> list[np.ndarray]:
    """Crops, flips and small colour shifts of one photo: more samples of the same class."""
    rng = np.random.default_rng(seed)
    h, w = img.shape[:2]
    out = []
    for i in range(n):
        f = rng.uniform(0.6, 0.95)
        ch, cw = int(h * f), int(w * f)
        y, x = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
        crop = img[y:y + ch, x:x + cw]
        if i % 2:
            crop = crop[:, ::-1]
        shift = rng.integers(-12, 13, size=3)
        out.append(np.clip(crop.astype(int) + shift, 0, 255).astype(np.uint8))
    return out


@pytest.fixture(scope="module")
def photos() -> dict[str, np.ndarray]:
    import matplotlib
    from skimage import data

    hopper = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    return {ASTRONAUT: data.astronaut(), DRINKER: data.coffee(),
            REAR_ADMIRAL: cv2.cvtColor(cv2.imread(str(hopper)), cv2.COLOR_BGR2RGB)}


def _write_folder(root: Path, photos: dict[str, np.ndarray], n: int, seed: int) -> None:
    for k, (wnid, img) in enumerate(photos.items()):
        (root / wnid).mkdir(parents=True)
        for i, v in enumerate(_variants(img, n, seed + k)):
            cv2.imwrite(str(root / wnid / f"{wnid}_{i}.jpg"), cv2.cvtColor(v, cv2.COLOR_RGB2BGR))


def test_train_head_on_an_imagenet_layout_folder(tmp_path: Path, photos, capsys) -> None:
    train_root = tmp_path / "train"
    _write_folder(train_root, photos, n=8, seed=1)
    out = tmp_path / "trained"
    rc = train_person_head.main([str(train_root), "--base", str(MODEL_DIR), "--out", str(out),
                         "--epochs", "40", "--val-fraction", "0.25"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "accuracy train 1.000" in printed, printed

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["head"]["kind"] == "conse_dense_scores+linear"
    assert manifest["head"]["trained_on"]["classes"] == 3
    assert manifest["head"]["trained_on"]["images"] == 24
    base = json.loads((MODEL_DIR / "manifest.json").read_text())
    assert manifest["output_wnids"] == base["output_wnids"]
    assert manifest["sha256"] != base["sha256"]

    # new crops of the same photos, never seen in training, get the trained labels
    with PersonClassifier(out, providers=("cpu",)) as clf:
        held_out = {wnid: _variants(img, 3, seed=99) for wnid, img in photos.items()}
        for wnid, crops in held_out.items():
            for ranked in clf.top_k(crops, 1):
                assert ranked[0][0] == wnid, (wnid, ranked)
        assert clf.manifest.head.trained_on is not None


def test_training_again_replaces_the_linear_layer(tmp_path: Path, photos) -> None:
    import onnx

    root = tmp_path / "train"
    _write_folder(root, {ASTRONAUT: photos[ASTRONAUT], DRINKER: photos[DRINKER]}, n=4, seed=5)
    first, second = tmp_path / "first", tmp_path / "second"
    script = train_person_head
    assert script.main([str(root), "--base", str(MODEL_DIR), "--out", str(first),
                        "--epochs", "5", "--val-fraction", "0"]) == 0
    assert script.main([str(root), "--base", str(first), "--out", str(second),
                        "--epochs", "5", "--zero-shot-weight", "0.5", "--val-fraction", "0"]) == 0
    model = onnx.load(str(next(second.glob("*.onnx"))))
    assert [n.name for n in model.graph.node].count("head/linear") == 1
    arrays = text_head_arrays(model)
    base_scale = json.loads((MODEL_DIR / "manifest.json").read_text())["score_prior"][
        "logit_scale"]
    trained = json.loads((second / "manifest.json").read_text())["score_prior"]["logit_scale"]
    assert trained == pytest.approx(base_scale * 0.5)
    assert "head/linear_w" in arrays


def test_bad_training_folders(tmp_path: Path) -> None:
    script = train_person_head
    (tmp_path / "root" / "n99999999").mkdir(parents=True)
    assert script.main([str(tmp_path / "root"), "--out", str(tmp_path / "o")]) == 2
    assert script.main([str(tmp_path / "missing"), "--out", str(tmp_path / "o")]) == 2
    (tmp_path / "root" / "n99999999").rmdir()
    (tmp_path / "root" / ASTRONAUT).mkdir()
    assert script.main([str(tmp_path / "root"), "--out", str(tmp_path / "o")]) == 2  # no images
