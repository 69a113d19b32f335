"""Compare two ONNX models' graphs and name the first difference.

Two builds of the same graph can differ in their file's bytes and not in what they compute:
another onnx or protobuf version may serialise the same graph otherwise, or write another
`ir_version` or producer. A sha256 says only "differs"; this says where: the graph's inputs and
outputs, then every node in order (op type, domain, name, inputs, outputs, every attribute,
subgraphs included), then every initializer by name (dtype, shape, the values' bytes). Not
compared: the initializers' order in the file, producer, `ir_version`, doc strings, metadata
and `value_info` (shape hints), none of which change what the graph computes. Opset imports
are compared: they do.

  first_difference(a, b)       None, or one line such as
                               "node 597 'head/temperature' (Div): input 1: 'x' vs 'y'" or
                               "initializer 'head/prior_mean': bytes differ at element 17 of
                               2832 (-0.01234 vs -0.01235)"
  python -m scripts.modelbuild.compare_onnx A.onnx B.onnx   the same from a shell
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
from onnx import AttributeProto, GraphProto, ModelProto, TensorProto, ValueInfoProto, numpy_helper


def load(path: str | Path) -> ModelProto:
    return onnx.load(str(path), load_external_data=True)


def first_difference(a: ModelProto, b: ModelProto) -> str | None:
    """The first way in which b's graph differs from a's, in words; None when they are equal."""
    opsets_a = sorted((o.domain, o.version) for o in a.opset_import)
    opsets_b = sorted((o.domain, o.version) for o in b.opset_import)
    if opsets_a != opsets_b:
        return f"opset imports differ: {opsets_a} vs {opsets_b}"
    return graph_difference(a.graph, b.graph)


def graph_difference(a: GraphProto, b: GraphProto, where: str = "") -> str | None:
    for kind, xs, ys in (("input", a.input, b.input), ("output", a.output, b.output)):
        found = _value_infos_difference(kind, xs, ys)
        if found:
            return where + found
    for i, (x, y) in enumerate(zip(a.node, b.node, strict=False)):
        found = _node_difference(x, y)
        if found:
            return f"{where}node {i} '{x.name}' ({x.op_type}): {found}"
    if len(a.node) != len(b.node):
        n = min(len(a.node), len(b.node))
        longer = a.node if len(a.node) > n else b.node
        return (f"{where}{len(a.node)} nodes vs {len(b.node)} (the first {n} equal); "
                f"node {n} '{longer[n].name}' ({longer[n].op_type}) is in one only")
    found = _initializers_difference(a.initializer, b.initializer)
    if found:
        return where + found
    if len(a.sparse_initializer) or len(b.sparse_initializer):
        xs = [s.SerializeToString(deterministic=True) for s in a.sparse_initializer]
        ys = [s.SerializeToString(deterministic=True) for s in b.sparse_initializer]
        if xs != ys:
            return f"{where}sparse initializers differ"
    return None


def _value_info_text(v: ValueInfoProto) -> str:
    t = v.type.tensor_type
    dims = [d.dim_param or (str(d.dim_value) if d.HasField("dim_value") else "?")
            for d in t.shape.dim]
    dtype = TensorProto.DataType.Name(t.elem_type) if t.elem_type else v.type.WhichOneof("value")
    return f"'{v.name}' {dtype}[{', '.join(dims)}]"


def _value_infos_difference(kind: str, xs: Sequence[ValueInfoProto],
                            ys: Sequence[ValueInfoProto]) -> str | None:
    for i, (x, y) in enumerate(zip(xs, ys, strict=False)):
        tx, ty = _value_info_text(x), _value_info_text(y)
        if tx != ty or x.type.SerializeToString(deterministic=True) != y.type.SerializeToString(
                deterministic=True):
            return f"graph {kind} {i}: {tx} vs {ty}"
    if len(xs) != len(ys):
        return (f"graph {kind}s: {[v.name for v in xs]} vs {[v.name for v in ys]}")
    return None


def _node_difference(x: onnx.NodeProto, y: onnx.NodeProto) -> str | None:
    for field in ("op_type", "domain", "name"):
        if getattr(x, field) != getattr(y, field):
            return f"{field} '{getattr(x, field)}' vs '{getattr(y, field)}'"
    for field in ("input", "output"):
        xs, ys = list(getattr(x, field)), list(getattr(y, field))
        for i, (p, q) in enumerate(zip(xs, ys, strict=False)):
            if p != q:
                return f"{field} {i}: '{p}' vs '{q}'"
        if len(xs) != len(ys):
            return f"{field}s {xs} vs {ys}"
    xa = {attr.name: attr for attr in x.attribute}
    ya = {attr.name: attr for attr in y.attribute}
    if sorted(xa) != sorted(ya):
        return f"attributes {sorted(xa)} vs {sorted(ya)}"
    for name in [attr.name for attr in x.attribute]:
        found = _attribute_difference(xa[name], ya[name])
        if found:
            return f"attribute '{name}' differs: {found}"
    return None


def _attribute_difference(x: AttributeProto, y: AttributeProto) -> str | None:
    if x.ref_attr_name != y.ref_attr_name:
        return f"ref_attr_name '{x.ref_attr_name}' vs '{y.ref_attr_name}'"
    if x.type != y.type:
        return (f"type {AttributeProto.AttributeType.Name(x.type)} vs "
                f"{AttributeProto.AttributeType.Name(y.type)}")
    if x.type == AttributeProto.TENSOR:
        return _tensor_difference(x.t, y.t)
    if x.type == AttributeProto.TENSORS:
        for i, (p, q) in enumerate(zip(x.tensors, y.tensors, strict=False)):
            found = _tensor_difference(p, q)
            if found:
                return f"tensor {i}: {found}"
        if len(x.tensors) != len(y.tensors):
            return f"{len(x.tensors)} tensors vs {len(y.tensors)}"
        return None
    if x.type == AttributeProto.GRAPH:
        return graph_difference(x.g, y.g, "subgraph: ")
    if x.type == AttributeProto.GRAPHS:
        for i, (p, q) in enumerate(zip(x.graphs, y.graphs, strict=False)):
            found = graph_difference(p, q, f"subgraph {i}: ")
            if found:
                return found
        if len(x.graphs) != len(y.graphs):
            return f"{len(x.graphs)} subgraphs vs {len(y.graphs)}"
        return None
    vx, vy = onnx.helper.get_attribute_value(x), onnx.helper.get_attribute_value(y)
    if isinstance(vx, float) or (isinstance(vx, list) and vx and isinstance(vx[0], float)):
        same = np.array(vx, np.float32).tobytes() == np.array(vy, np.float32).tobytes()
    else:
        same = vx == vy
    return None if same else f"{vx!r} vs {vy!r}"


def _tensor_difference(x: TensorProto, y: TensorProto) -> str | None:
    """dtype, shape, then the values' bytes (however each file stores them: raw or typed)."""
    if x.data_type != y.data_type:
        return (f"dtype {TensorProto.DataType.Name(x.data_type)} vs "
                f"{TensorProto.DataType.Name(y.data_type)}")
    if list(x.dims) != list(y.dims):
        return f"shape {list(x.dims)} vs {list(y.dims)}"
    ax, ay = numpy_helper.to_array(x), numpy_helper.to_array(y)
    if ax.dtype == object:  # strings
        fx, fy = ax.ravel().tolist(), ay.ravel().tolist()
        for i, (p, q) in enumerate(zip(fx, fy, strict=True)):
            if p != q:
                return f"bytes differ at element {i} of {len(fx)} ({p!r} vs {q!r})"
        return None
    bx, by = np.ascontiguousarray(ax).tobytes(), np.ascontiguousarray(ay).tobytes()
    if bx == by:
        return None
    step = max(ax.dtype.itemsize, 1)
    diff = np.flatnonzero(np.frombuffer(bx, np.uint8) != np.frombuffer(by, np.uint8))
    element = int(diff[0]) // step
    fx, fy = ax.ravel(), ay.ravel()
    at = np.unravel_index(element, ax.shape) if ax.ndim > 1 else None
    index = f" {tuple(int(i) for i in at)}" if at is not None else ""
    differing = len(np.unique(diff // step))
    return (f"bytes differ at element {element}{index} of {fx.size} ({fx[element]!r} vs "
            f"{fy[element]!r}; {differing} element(s) differ)")


def _initializers_difference(xs: Sequence[TensorProto], ys: Sequence[TensorProto]) -> str | None:
    names_x, names_y = [t.name for t in xs], [t.name for t in ys]
    only_x = [n for n in names_x if n not in set(names_y)]
    only_y = [n for n in names_y if n not in set(names_x)]
    if only_x or only_y:
        return f"initializers only in the first: {only_x[:5]}, only in the second: {only_y[:5]}"
    by_name = {t.name: t for t in ys}
    for x in xs:
        found = _tensor_difference(x, by_name[x.name])
        if found:
            return f"initializer '{x.name}': {found}"
    return None
