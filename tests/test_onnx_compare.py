"""scripts/modelbuild/compare.py on the shipped person model: one deliberate change to a copy
of it is named where it is made (node index and name, attribute, initializer element); the same
graph written otherwise (another producer, ir_version, typed instead of raw tensor data)
is equal."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from kiosk.classify.manifest import load_manifest
from scripts.modelbuild.compare import first_difference

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "models" / "person_effnet"


@pytest.fixture(scope="module")
def shipped() -> onnx.ModelProto:
    return onnx.load(str(SHIPPED / load_manifest(SHIPPED).model_file))


def _copy(model: onnx.ModelProto) -> onnx.ModelProto:
    other = onnx.ModelProto()
    other.CopyFrom(model)
    return other


def _node(model: onnx.ModelProto, name: str) -> tuple[int, onnx.NodeProto]:
    return next((i, n) for i, n in enumerate(model.graph.node) if n.name == name)


def _initializer(model: onnx.ModelProto, name: str) -> onnx.TensorProto:
    return next(t for t in model.graph.initializer if t.name == name)


def test_a_model_equals_itself(shipped: onnx.ModelProto) -> None:
    assert first_difference(shipped, _copy(shipped)) is None


def test_a_changed_attribute_names_its_node(shipped: onnx.ModelProto) -> None:
    changed = _copy(shipped)
    index, node = _node(changed, "/_blocks.14/_depthwise_conv/Conv")
    next(a for a in node.attribute if a.name == "strides").ints[:] = [2, 2]
    assert first_difference(shipped, changed) == (
        f"node {index} '/_blocks.14/_depthwise_conv/Conv' (Conv): attribute 'strides' differs: "
        "[1, 1] vs [2, 2]")


def test_a_rewired_node_is_named(shipped: onnx.ModelProto) -> None:
    changed = _copy(shipped)
    index, node = _node(changed, "head/temperature")
    node.input[1] = "head/logit_scale"
    assert first_difference(shipped, changed) == (
        f"node {index} 'head/temperature' (Div): input 1: 'head/temperature_value' vs "
        "'head/logit_scale'")
    index, node = _node(changed, "head/temperature")
    del changed.graph.node[index]
    assert first_difference(shipped, changed) == (
        f"node {index} 'head/temperature' (Div): op_type 'Div' vs 'Softmax'")


def test_one_changed_weight_is_named_with_its_element(shipped: onnx.ModelProto) -> None:
    changed = _copy(shipped)
    text = _initializer(changed, "head/person_text_t")
    values = numpy_helper.to_array(text).copy()
    flat = values.reshape(-1)
    flat[17] = np.nextafter(flat[17], np.float32(np.inf))  # one unit in the last place
    text.CopyFrom(numpy_helper.from_array(values, text.name))
    found = first_difference(shipped, changed)
    assert found is not None
    assert found.startswith(
        f"initializer 'head/person_text_t': bytes differ at element 17 (0, 17) of {flat.size}")
    assert "1 element(s) differ" in found


def test_the_same_graph_written_otherwise_is_equal(shipped: onnx.ModelProto) -> None:
    """What another onnx or protobuf version may change without changing the graph: the
    producer, the IR version, tensor values as typed fields instead of raw bytes, the
    initializers' order in the file. The bytes differ; the graph does not."""
    other = _copy(shipped)
    other.producer_version, other.ir_version = "9.9.9", shipped.ir_version - 1
    temperature = _initializer(other, "head/temperature_value")
    temperature.float_data.append(float(numpy_helper.to_array(temperature)))
    temperature.ClearField("raw_data")
    inits = list(other.graph.initializer)
    del other.graph.initializer[:]
    other.graph.initializer.extend(reversed(inits))
    assert other.SerializeToString() != shipped.SerializeToString()
    assert first_difference(shipped, other) is None


def test_the_script_prints_the_difference(shipped: onnx.ModelProto, tmp_path: Path) -> None:
    changed = _copy(shipped)
    index, node = _node(changed, "head/p1k")
    node.attribute[0].i = 0
    onnx.save(changed, str(tmp_path / "changed.onnx"))
    shipped_path = SHIPPED / load_manifest(SHIPPED).model_file
    proc = subprocess.run([sys.executable, "-m", "scripts.modelbuild.compare_onnx",
                           str(shipped_path), str(tmp_path / "changed.onnx")],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 1, proc.stderr
    assert f"differs: node {index} 'head/p1k' (Softmax): attribute 'axis' differs: -1 vs 0" \
        in proc.stdout
    assert hashlib.sha256(shipped_path.read_bytes()).hexdigest() in proc.stdout
