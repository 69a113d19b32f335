"""The conse_text person head as ONNX nodes, built with numpy and onnx.helper (no torch).

Build time only (build_person_model.py and train_person_head.py in this package): the kiosk
runs the model file, never this code.

Default head, "conse_text" (Norouzi et al., "Zero-Shot Learning by Convex Combination of
Semantic Embeddings", ICLR 2014), baked after the image backbone:

    p        = softmax(backbone ImageNet-1k logits)
    top T    = the T most probable ImageNet-1k classes, probabilities p_t
    e        = normalise( sum_t p_t * S[t] )          S: text embeddings of the 1,000 classes
    logits   = scale * (e . Q[c])  for each person synset c    Q: their text embeddings
    probs    = softmax(logits)

S and Q are sentence embeddings of WordNet text (lemmas and gloss) computed at build time, so
the kiosk needs no text encoder at run time. The trained variant ("conse_text+linear") adds a
linear layer on the backbone's pooled features: logits = w * conse_logits + W . f + b, fitted by
scripts/modelbuild/train_person_head.py on an ImageNet-layout folder (W = 0 reproduces the
text head).
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

PROBS = "probs"
LOGITS = "logits"
EMBEDDING = "embedding"
_ZS = "head/zs_logits"
LOGIT_SCALE = "head/logit_scale"


def value_info(name: str, width: int | str) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", width])


def add_conse_head(model: onnx.ModelProto, *, logits_1k: str, features: str,
                   class_text: np.ndarray, person_text: np.ndarray, top_t: int,
                   logit_scale: float) -> onnx.ModelProto:
    """Return a copy of `model` whose outputs are probs, logits (person) and embedding."""
    if class_text.ndim != 2 or person_text.ndim != 2 or class_text.shape[1] != person_text.shape[1]:
        raise ValueError("class_text (K, D) and person_text (C, D) must share D")
    if not 1 <= top_t <= class_text.shape[0]:
        raise ValueError(f"top_t must be in 1..{class_text.shape[0]}")
    out = onnx.ModelProto()
    out.CopyFrom(model)
    g = out.graph
    names = {o.name for o in g.output}
    if logits_1k not in names or features not in names:
        raise ValueError(f"backbone outputs {sorted(names)} lack {logits_1k!r}/{features!r}")
    feat_dim = static_width(g, features)
    del g.output[:]
    g.initializer.extend([
        numpy_helper.from_array(np.ascontiguousarray(class_text, np.float32), "head/class_text"),
        numpy_helper.from_array(
            np.ascontiguousarray(person_text.T, np.float32), "head/person_text_t"
        ),
        numpy_helper.from_array(np.array([top_t], np.int64), "head/top_t"),
        numpy_helper.from_array(np.array([-1], np.int64), "head/last_axis"),
        numpy_helper.from_array(np.array([1], np.int64), "head/axis1"),
        numpy_helper.from_array(np.array(logit_scale, np.float32), LOGIT_SCALE),
    ])
    if features != EMBEDDING:
        g.node.append(helper.make_node("Identity", [features], [EMBEDDING], name="head/embedding"))
    g.node.extend([
        helper.make_node("Softmax", [logits_1k], ["head/p1k"], axis=-1, name="head/p1k"),
        helper.make_node("TopK", ["head/p1k", "head/top_t"], ["head/top_p", "head/top_i"],
                         axis=-1, largest=1, sorted=1, name="head/topk"),
        helper.make_node("Gather", ["head/class_text", "head/top_i"], ["head/top_text"],
                         axis=0, name="head/gather"),
        helper.make_node("Unsqueeze", ["head/top_p", "head/last_axis"], ["head/top_p3"],
                         name="head/unsqueeze"),
        helper.make_node("Mul", ["head/top_text", "head/top_p3"], ["head/weighted"],
                         name="head/weight"),
        helper.make_node("ReduceSum", ["head/weighted", "head/axis1"], ["head/semantic"],
                         keepdims=0, name="head/convex_sum"),
        helper.make_node("LpNormalization", ["head/semantic"], ["head/semantic_n"], axis=-1, p=2,
                         name="head/normalise"),
        helper.make_node("MatMul", ["head/semantic_n", "head/person_text_t"], ["head/cosine"],
                         name="head/cosine"),
        helper.make_node("Mul", ["head/cosine", LOGIT_SCALE], [LOGITS], name="head/scale"),
        helper.make_node("Softmax", [LOGITS], [PROBS], axis=-1, name="head/softmax"),
    ])
    classes = person_text.shape[0]
    g.output.extend([value_info(PROBS, classes), value_info(LOGITS, classes),
                     value_info(EMBEDDING, feat_dim)])
    onnx.checker.check_model(out)
    return out


def add_linear_residual(model: onnx.ModelProto, weight: np.ndarray, bias: np.ndarray,
                        text_logit_scale: float) -> onnx.ModelProto:
    """logits = text_logit_scale * cosine(text head) + embedding @ weight.T + bias.

    `model` must carry a conse_text head as made by add_conse_head (a trained model is
    re-trained from the text head it started from: its old linear layer is replaced).
    """
    out = onnx.ModelProto()
    out.CopyFrom(model)
    g = out.graph
    _drop_linear(g)
    scale_node = next((n for n in g.node if n.name == "head/scale"), None)
    if scale_node is None:
        raise ValueError("model has no text head (node head/scale) to add a linear layer to")
    classes = static_width(g, LOGITS)
    feat = static_width(g, EMBEDDING)
    if weight.shape != (classes, feat) or bias.shape != (classes,):
        raise ValueError(f"weight must be ({classes}, {feat}) and bias ({classes},), "
                         f"got {weight.shape} and {bias.shape}")
    scale = next(i for i in g.initializer if i.name == LOGIT_SCALE)
    g.initializer.remove(scale)
    g.initializer.extend([
        numpy_helper.from_array(np.array(text_logit_scale, np.float32), LOGIT_SCALE),
        numpy_helper.from_array(np.ascontiguousarray(weight, np.float32), "head/linear_w"),
        numpy_helper.from_array(np.ascontiguousarray(bias, np.float32), "head/linear_b"),
    ])
    scale_node.output[0] = _ZS
    position = list(g.node).index(scale_node) + 1
    for offset, node in enumerate([
        helper.make_node("Gemm", [EMBEDDING, "head/linear_w", "head/linear_b"], ["head/linear"],
                         transB=1, name="head/linear"),
        helper.make_node("Add", [_ZS, "head/linear"], [LOGITS], name="head/residual"),
    ]):
        g.node.insert(position + offset, node)
    onnx.checker.check_model(out)
    return out


def text_head_arrays(model: onnx.ModelProto) -> dict[str, np.ndarray]:
    """The baked arrays of a text head (for inspection and tests)."""
    wanted = {"head/class_text", "head/person_text_t", "head/top_t", LOGIT_SCALE,
              "head/linear_w", "head/linear_b"}
    return {i.name: numpy_helper.to_array(i) for i in model.graph.initializer if i.name in wanted}


def _drop_linear(g: onnx.GraphProto) -> None:
    linear = [n for n in g.node if n.name in ("head/linear", "head/residual")]
    if not linear:
        return
    for node in linear:
        g.node.remove(node)
    for init in [i for i in g.initializer if i.name in ("head/linear_w", "head/linear_b")]:
        g.initializer.remove(init)
    scale_node = next(n for n in g.node if n.name == "head/scale")
    scale_node.output[0] = LOGITS


def static_width(g: onnx.GraphProto, name: str) -> int:
    for vi in list(g.output) + list(g.value_info):
        if vi.name == name:
            dims = vi.type.tensor_type.shape.dim
            if len(dims) == 2 and dims[1].dim_value > 0:
                return int(dims[1].dim_value)
    raise ValueError(f"cannot read the static width of {name!r} from the graph")
