"""Bad model folders fail at start with one line naming the file, never a silent wrong label."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest

from kiosk.classify.classifier import PersonClassifier
from kiosk.classify.errors import ModelError
from kiosk.classify.manifest import load_manifest

MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "person_effnet"
MANIFEST = json.loads((MODEL_DIR / "manifest.json").read_text())


def _folder(tmp_path: Path, manifest: dict | None = None, model: bytes | None = None) -> Path:
    """A model folder: the shipped model (linked) or given bytes, and a manifest."""
    folder = tmp_path / "model"
    folder.mkdir()
    data = json.loads(json.dumps(MANIFEST)) if manifest is None else manifest
    target = folder / data["model_file"]
    if model is None:
        target.symlink_to(MODEL_DIR / MANIFEST["model_file"])
    else:
        target.write_bytes(model)
        data["sha256"] = hashlib.sha256(model).hexdigest()
        data["size_bytes"] = len(model)
    for name in ("prior.npy", "imagenet1k_classes.tsv"):  # what the manifest names beside it
        (folder / name).symlink_to(MODEL_DIR / name)
    (folder / "manifest.json").write_text(json.dumps(data))
    return folder


def _error(folder: Path, **kwargs) -> str:
    with pytest.raises(ModelError) as info:
        PersonClassifier(folder, providers=("cpu",), **kwargs)
    text = str(info.value)
    assert "\n" not in text
    return text


def test_missing_folder_and_manifest(tmp_path: Path) -> None:
    assert str(tmp_path / "nope") in _error(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    text = _error(tmp_path / "empty")
    assert text.startswith(str(tmp_path / "empty" / "manifest.json")) and "not found" in text


def test_missing_model_file(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / MANIFEST["model_file"]).unlink()
    text = _error(folder)
    assert text.startswith(str(folder / MANIFEST["model_file"])) and "not found" in text


def test_corrupt_model_file(tmp_path: Path) -> None:
    folder = _folder(tmp_path, model=b"\x08\x07 this is not an onnx model" * 100)
    text = _error(folder)
    assert text.startswith(str(folder / MANIFEST["model_file"]))
    assert "not a loadable ONNX model" in text


def test_wrong_sha256_and_size(tmp_path: Path) -> None:
    data = json.loads(json.dumps(MANIFEST))
    data["sha256"] = "0" * 64
    folder = _folder(tmp_path, data)
    text = _error(folder)
    assert text.startswith(str(folder / MANIFEST["model_file"])) and "sha256" in text
    # verify_checksum=False skips the hash, not the size check
    data["size_bytes"] += 1
    (folder / "manifest.json").write_text(json.dumps(data))
    assert "bytes" in _error(folder, verify_checksum=False)


def test_manifest_that_disagrees_with_the_model(tmp_path: Path) -> None:
    data = json.loads(json.dumps(MANIFEST))
    data["output_wnids"] = data["output_wnids"][:-1]  # one class short
    folder = _folder(tmp_path, data)
    text = _error(folder)
    assert text.startswith(str(folder / MANIFEST["model_file"]))
    assert "2832 classes" in text and "2831" in text


def test_wrong_input_shape(tmp_path: Path) -> None:
    data = json.loads(json.dumps(MANIFEST))
    data["input_size"] = [224, 224]
    folder = _folder(tmp_path, data)
    text = _error(folder)
    assert text.startswith(str(folder / MANIFEST["model_file"]))
    assert "224" in text and "176" in text
    data["input_size"] = [176, 176]
    data["input_name"] = "image"
    (folder / "manifest.json").write_text(json.dumps(data))
    assert "'image'" in _error(folder)


def test_model_with_a_fixed_wrong_input(tmp_path: Path) -> None:
    model = onnx.load(str(MODEL_DIR / MANIFEST["model_file"]), load_external_data=False)
    dims = model.graph.input[0].type.tensor_type.shape.dim
    dims[2].dim_value = 224
    folder = _folder(tmp_path, model=model.SerializeToString())
    text = _error(folder)
    assert "shape" in text and "176" in text


def test_bad_manifests(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    path = folder / "manifest.json"
    path.write_text("{not json")
    assert _error(folder).startswith(f"{path}: manifest is not valid JSON")
    data = json.loads(json.dumps(MANIFEST))
    data["colour_ordr"] = "RGB"
    path.write_text(json.dumps(data))
    assert "colour_ordr: unknown key" in _error(folder)
    data = json.loads(json.dumps(MANIFEST))
    data["output_wnids"][3] = data["output_wnids"][2]
    path.write_text(json.dumps(data))
    assert "duplicate wnid" in _error(folder)
    data["format"] = "something-else/1"
    path.write_text(json.dumps(data))
    assert "format" in _error(folder)


def test_shipped_manifest_reads_and_states_its_provenance() -> None:
    m = load_manifest(MODEL_DIR)
    assert m.source.package and m.source.version and m.source.licence and m.source.file
    assert m.head.kind == "conse_dense_scores" and m.head.text_encoder is not None
    assert m.output_kind == "scores" and m.score_prior is not None
    # fitted on colour faces from more than one source, each pinned by version and checksum
    assert len({s.package for s in m.score_prior.sources}) >= 2
    assert all(s.version and s.wheel_sha256 for s in m.score_prior.sources)
    assert m.colour_order == "RGB" and m.input_size == (176, 176)
    # the graph averages 4 fixed views of 160 px of each crop (issue 8, steadier labels)
    assert m.head.view_window == 160 and len(m.head.views) == 4
    assert (MODEL_DIR / m.model_file).stat().st_size < 100 * 1024 * 1024
    text = (MODEL_DIR / "manifest.json").read_text()
    assert json.loads(text)["sha256"] == m.sha256


def test_a_missing_or_wrong_prior_is_an_error_naming_it(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    prior = folder / "prior.npy"
    prior.unlink()
    text = _error(folder)
    assert text.startswith(str(prior)) and "not found" in text
    np.save(prior, np.ones((2, 10), np.float32))
    assert "sha256" in _error(folder)
    assert "shape [2, 10]" in _error(folder, verify_checksum=False)


def test_closed_classifier_refuses_work(tmp_path: Path) -> None:
    clf = PersonClassifier(MODEL_DIR, providers=("cpu",), verify_checksum=False)
    clf.close()
    with pytest.raises(RuntimeError, match="closed"):
        clf.predict_proba([np.zeros((8, 8, 3), np.uint8)])
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_shipped_graph_cuts_the_views_its_manifest_names() -> None:
    """The 4 test-time views (issue 8) are Slice nodes in the graph; the manifest says which."""
    from onnx import numpy_helper

    m = load_manifest(MODEL_DIR)
    model = onnx.load(str(MODEL_DIR / m.model_file), load_external_data=False)
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer
             if i.name.startswith("head/view")}
    nodes = {n.name for n in model.graph.node}
    for k, (top, left, mirrored) in enumerate(m.head.views):
        assert inits[f"head/view{k}_start"].tolist() == [top, left]
        assert inits[f"head/view{k}_end"].tolist() == [top + m.head.view_window,
                                                      left + m.head.view_window]
        assert (f"head/view{k}_mirror" in nodes) == mirrored
    assert f"head/view{len(m.head.views)}_start" not in inits
