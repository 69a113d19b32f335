"""The steady person head (issue 8): six views at two scales, built from the shipped model.

`python -m scripts.modelbuild.build_person_head --view-set steady` adds a Resize and a second
copy of the backbone's nodes (sharing its weights) to the shipped graph; the kiosk uses that
model when a GPU provider loads (`classifier.gpu_model_dir`). Checked here against the same
head computed in numpy from the backbone's own logits, on real photos, and for the provider
rule.
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from kiosk.classify.classifier import PersonClassifier
from kiosk.classify.loading import load_model_parts, model_dir_for
from kiosk.classify.manifest import load_manifest
from kiosk.classify.providers import ProviderChoice
from kiosk.config import load_config
from kiosk.views import Box
from scripts.modelbuild import build_person_head
from scripts.modelbuild.compare import first_difference
from scripts.modelbuild.views import backbone_of, steady_views

ROOT = Path(__file__).resolve().parent.parent

SHIPPED = ROOT / "models" / "person_effnet"
ASTRONAUT_FACE = (177, 82, 272, 177)  # as MediaPipe finds it (tests/conftest.py)
CUDA = ProviderChoice(("CUDAExecutionProvider", "CPUExecutionProvider"), "")
CPU = ProviderChoice(("CPUExecutionProvider",), "cuda: no NVIDIA driver")


def _build(argv: list[str]) -> None:
    assert build_person_head.main(argv) == 0


@pytest.fixture(scope="module")
def steady_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("steady")
    _build(["--view-set", "steady", "--out-dir", str(out)])
    return out


@pytest.fixture(scope="module")
def crops() -> list[np.ndarray]:
    from skimage import data

    astronaut = data.astronaut()
    face = Box(*ASTRONAUT_FACE)
    return [face.padded(0.6, 512, 512).crop(astronaut).copy(),
            face.padded(0.7, 512, 512).crop(astronaut).copy(),
            np.stack([data.camera()[40:240, 180:380]] * 3, axis=-1)]


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_the_manifest_names_six_views_at_two_scales(steady_dir: Path) -> None:
    m = load_manifest(steady_dir)
    assert m.name.endswith("-steady") and m.input_size == (192, 192)
    assert m.head.view_average == "logits" and len(m.head.views) == 6
    assert {v[3:] for v in m.head.views} == {(168, 184), (176, 0)}
    assert m.build["rebuilt_from_sha256"] == load_manifest(SHIPPED).sha256
    shipped_bytes = (SHIPPED / load_manifest(SHIPPED).model_file).stat().st_size
    assert m.size_bytes < shipped_bytes + 1_000_000  # the second backbone shares the weights


def test_the_graph_equals_its_views_averaged_as_logits(steady_dir: Path, crops) -> None:
    """The ONNX head against numpy: the backbone's logits for the six views (the 184 px scale
    made with OpenCV's bilinear resize), averaged, tempered, through the text: the raw scores
    (the prior is applied outside the graph)."""
    import onnxruntime as ort

    m = load_manifest(steady_dir)
    model = onnx.load(str(steady_dir / m.model_file))
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer
             if i.name.startswith("head/")}
    backbone, input_name, logits_name, _ = backbone_of(model)
    dims = backbone.graph.input[0].type.tensor_type.shape.dim
    dims[2].dim_param, dims[3].dim_param = "height", "width"
    session = ort.InferenceSession(backbone.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    with PersonClassifier(steady_dir, providers=("cpu",)) as clf:
        x = clf.preprocess(crops)
        got = clf.outputs(crops, ["scores"])[0]
    scaled = np.stack([cv2.resize(img.transpose(1, 2, 0), (184, 184),
                                  interpolation=cv2.INTER_LINEAR).transpose(2, 0, 1)
                       for img in x])
    per_view = []
    for v in steady_views():
        src = scaled if v.scale == 184 else x
        w = src[:, :, v.top:v.top + v.window, v.left:v.left + v.window]
        w = np.ascontiguousarray(w[:, :, :, ::-1] if v.mirrored else w)
        per_view.append(session.run([logits_name], {input_name: w})[0])
    p = _softmax(np.mean(per_view, axis=0) / inits["head/temperature_value"])
    e = p @ inits["head/class_text"]
    cos = (e / np.linalg.norm(e, axis=1, keepdims=True)) @ inits["head/person_text_t"]
    want = cos
    assert np.abs(got - want).max() < 2e-3, np.abs(got - want).max()
    assert (got.argmax(axis=1) == want.argmax(axis=1)).all()


def test_stripping_the_steady_head_gives_the_shipped_model_back(steady_dir: Path,
                                                               tmp_path: Path) -> None:
    """The same graph, node for node, weight for weight (scripts/modelbuild/compare.py): another
    onnx or protobuf version that writes it with other bytes passes; a difference is named."""
    _build(["--model-dir", str(steady_dir), "--out-dir", str(tmp_path)])
    stripped = onnx.load(str(tmp_path / load_manifest(tmp_path).model_file))
    shipped = onnx.load(str(SHIPPED / load_manifest(SHIPPED).model_file))
    difference = first_difference(shipped, stripped)
    assert difference is None, f"the stripped model is not the shipped one: {difference}"


def test_a_steady_build_is_skipped_when_up_to_date(steady_dir: Path, capsys) -> None:
    before = (steady_dir / "manifest.json").stat().st_mtime_ns
    _build(["--view-set", "steady", "--out-dir", str(steady_dir), "--if-stale"])
    assert "up to date" in capsys.readouterr().out
    assert (steady_dir / "manifest.json").stat().st_mtime_ns == before


def test_a_gpu_gets_the_steady_model_and_a_cpu_the_shipped_one(steady_dir: Path,
                                                                caplog) -> None:
    config = load_config(None, [f"classifier.gpu_model_dir={steady_dir}"])
    assert model_dir_for(config, CUDA) == steady_dir
    assert model_dir_for(config, CPU) == SHIPPED
    off = load_config(None, ["classifier.gpu_model_dir=null"])
    assert model_dir_for(off, CUDA) == SHIPPED
    missing = load_config(None, [f"classifier.gpu_model_dir={steady_dir / 'absent'}"])
    with caplog.at_level(logging.WARNING):
        assert model_dir_for(missing, CUDA) == SHIPPED
    assert "not built" in caplog.text


def test_a_gpu_session_that_ends_on_the_cpu_gets_the_shipped_model(steady_dir: Path,
                                                                    monkeypatch) -> None:
    """A GPU seemed usable but the session came up on the CPU: the kiosk reopens the shipped
    model there rather than run the 1.8x head on the CPU."""
    import kiosk.classify.loading as loading

    monkeypatch.setattr(loading, "choose_providers", lambda _prefs: CUDA)
    config = load_config(None, [f"classifier.gpu_model_dir={steady_dir}"])
    parts = load_model_parts(config)
    try:
        assert parts.classifier.provider == "CPUExecutionProvider"
        assert parts.classifier.model_dir == SHIPPED
    finally:
        parts.close()
