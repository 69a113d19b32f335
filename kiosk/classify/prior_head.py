"""The "conse_dense_prior" person head as ONNX nodes (numpy + onnx.helper, no torch).

Why: the top-10 ConSE head (head.py) gives most faces the same few labels (a face crop looks
like the same few ImageNet-1k things: a wig, a mask, a trumpet player's cheeks), so labels
said little about the visitor. This head:

    xv       = concat(views of x)                      test-time average over fixed views:
                                                       windows of the input, some mirrored
    p        = softmax(backbone ImageNet-1k logits / temperature)    all 1,000 classes (dense)
    e        = normalise(p @ S)                        S: text embeddings of the 1,000 classes
    cosine   = mean over the views of e @ Q           Q: person synsets' text embeddings
    z        = (cosine - mu) * inv_sd                  mu, sd: per synset, over REFERENCE faces
    logits   = scale * z ;  probs = softmax(logits)

Standardising each synset against its own spread over real face crops removes the prior that
made "hornist" win for everybody: a synset wins when THIS face is unusually close to it.
Averaging a few fixed views (issue 8: a 5% shift of the face box tipped the top-1) makes the
label depend less on exactly where the box falls; every view is a deterministic function of
the crop, so the label still comes only from what the model sees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from kiosk.classify.head import _SCALE, EMBEDDING, LOGITS, PROBS, _static_width, _value_info

PRIOR_MEAN = "head/prior_mean"
PRIOR_INV_SD = "head/prior_inv_sd"
_KEEP = ("head/class_text", "head/person_text_t")


@dataclass(frozen=True)
class View:
    """One test-time view: the window x[:, :, top:top+size, left:left+size], maybe mirrored."""

    top: int
    left: int
    mirrored: bool = False


def views_for(input_size: int, window: int, count: int) -> list[View]:
    """The views the head averages: 1 = the whole input; 2 = it and its mirror image; 4 = the
    centre window, its mirror, the top-left window and the mirrored bottom-right window (the
    set measured best per view, models/README.md)."""
    if count == 1 and window == input_size:
        return [View(0, 0)]
    if count == 2:
        c = (input_size - window) // 2
        return [View(c, c), View(c, c, True)]
    if count == 4 and window < input_size:
        c, o = (input_size - window) // 2, input_size - window
        return [View(c, c), View(c, c, True), View(0, 0), View(o, o, True)]
    raise ValueError(f"no view set of {count} windows of {window} px in {input_size} px")


def backbone_of(model: onnx.ModelProto) -> tuple[onnx.ModelProto, str, str, str]:
    """Strip any person head made by head.py or this module: (backbone, input, logits, features).

    The backbone keeps the text constants (head/class_text, head/person_text_t) so a head can
    be rebuilt from a shipped model file alone.
    """
    out = onnx.ModelProto()
    out.CopyFrom(model)
    g = out.graph
    nodes = {n.name: n for n in g.node}
    if "head/p1k" not in nodes:
        raise ValueError("model has no person head (node head/p1k) to rebuild from")
    p1k = nodes["head/p1k"]
    logits_in = p1k.input[0]
    if "head/temperature" in nodes:  # this module's head: softmax(logits / T)
        logits_in = nodes["head/temperature"].input[0]
    emb = nodes.get("head/embedding") or nodes.get("head/embedding_pairs")
    if emb is None:
        raise ValueError("model has no head/embedding node naming the backbone features")
    features = emb.input[0]
    input_name = g.input[0].name
    for concat in ("head/mirror_concat", "head/views_concat"):  # feed the backbone the input
        if concat in nodes:
            stacked = nodes[concat].output[0]
            for n in g.node:
                n.input[:] = [input_name if i == stacked else i for i in n.input]
    for n in [n for n in g.node if n.name.startswith("head/")]:
        g.node.remove(n)
    for init in [i for i in g.initializer if i.name.startswith("head/") and i.name not in _KEEP]:
        g.initializer.remove(init)
    del g.output[:]
    g.output.extend([_value_info(logits_in, 1000), _value_info(features, "features")])
    return out, input_name, logits_in, features


def add_prior_head(backbone: onnx.ModelProto, *, input_name: str, logits_1k: str,
                   features: str, feat_dim: int, temperature: float, views: list[View],
                   input_size: int, window: int, prior_mean: np.ndarray, prior_sd: np.ndarray,
                   logit_scale: float) -> onnx.ModelProto:
    """The backbone (as from backbone_of) with this head; outputs probs, logits, embedding.

    The graph's input is input_size square; the backbone sees `views` (window square each)."""
    out = onnx.ModelProto()
    out.CopyFrom(backbone)
    g = out.graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer if i.name in _KEEP}
    classes = inits["head/person_text_t"].shape[1]
    if prior_mean.shape != (classes,) or prior_sd.shape != (classes,):
        raise ValueError(f"prior mean and sd must be ({classes},)")
    if temperature <= 0 or np.any(prior_sd <= 0):
        raise ValueError("temperature and prior sd must be positive")
    if not views or any(v.top < 0 or v.left < 0 or max(v.top, v.left) + window > input_size
                        for v in views):
        raise ValueError(f"views must be windows of {window} px inside {input_size} px")
    if len(views) == 1 and (window != input_size or views[0] != View(0, 0)):
        raise ValueError("a single view must be the whole input, unmirrored")
    many = len(views) > 1
    dims = g.input[0].type.tensor_type.shape.dim
    dims[2].dim_value, dims[3].dim_value = input_size, input_size
    del g.output[:]
    g.initializer.extend([
        numpy_helper.from_array(np.array(temperature, np.float32), "head/temperature_value"),
        numpy_helper.from_array(np.asarray(prior_mean, np.float32), PRIOR_MEAN),
        numpy_helper.from_array((1.0 / np.asarray(prior_sd)).astype(np.float32), PRIOR_INV_SD),
        numpy_helper.from_array(np.array(logit_scale, np.float32), _SCALE),
    ])
    nodes: list[onnx.NodeProto] = []
    if many:
        first = _view_nodes(g, input_name, views, window, classes, feat_dim)
        for n in g.node:  # the backbone now sees the views stacked on the batch axis
            n.input[:] = ["head/views" if i == input_name else i for i in n.input]
        for offset, node in enumerate(first):  # before the backbone: nodes stay sorted
            g.node.insert(offset, node)
    nodes += [
        helper.make_node("Div", [logits_1k, "head/temperature_value"], ["head/tempered"],
                         name="head/temperature"),
        helper.make_node("Softmax", ["head/tempered"], ["head/p1k_all"], axis=-1,
                         name="head/p1k"),
        helper.make_node("MatMul", ["head/p1k_all", "head/class_text"], ["head/semantic"],
                         name="head/convex_sum"),
        helper.make_node("LpNormalization", ["head/semantic"], ["head/semantic_n"], axis=-1,
                         p=2, name="head/normalise"),
        helper.make_node("MatMul", ["head/semantic_n", "head/person_text_t"],
                         ["head/cosine_each"], name="head/cosine"),
    ]
    if many:
        nodes += [
            helper.make_node("Reshape", ["head/cosine_each", "head/views_shape"],
                             ["head/cosine_views"], name="head/views_split"),
            helper.make_node("ReduceMean", ["head/cosine_views"], ["head/cosine_mean"],
                             axes=[0], keepdims=0, name="head/views_mean"),
            helper.make_node("Reshape", [features, "head/views_shape_f"], ["head/feat_pairs"],
                             name="head/embedding_pairs"),
            helper.make_node("ReduceMean", ["head/feat_pairs"], [EMBEDDING],
                             axes=[0], keepdims=0, name="head/embedding_mean"),
        ]
        cosine = "head/cosine_mean"
    else:
        nodes.append(helper.make_node("Identity", [features], [EMBEDDING],
                                      name="head/embedding"))
        cosine = "head/cosine_each"
    nodes += [
        helper.make_node("Sub", [cosine, PRIOR_MEAN], ["head/centred"], name="head/prior_centre"),
        helper.make_node("Mul", ["head/centred", PRIOR_INV_SD], ["head/z"],
                         name="head/prior_scale"),
        helper.make_node("Mul", ["head/z", _SCALE], [LOGITS], name="head/scale"),
        helper.make_node("Softmax", [LOGITS], [PROBS], axis=-1, name="head/softmax"),
    ]
    g.node.extend(nodes)
    g.output.extend([_value_info(PROBS, classes), _value_info(LOGITS, classes),
                     _value_info(EMBEDDING, feat_dim)])
    onnx.checker.check_model(out)
    return out


def _view_nodes(g: onnx.GraphProto, input_name: str, views: list[View], window: int,
                classes: int, feat_dim: int) -> list[onnx.NodeProto]:
    """Slice each view out of the input (mirrored by a step -1 slice) and stack them."""
    count = len(views)
    g.initializer.extend([
        numpy_helper.from_array(np.array([count, -1, classes], np.int64), "head/views_shape"),
        numpy_helper.from_array(np.array([count, -1, feat_dim], np.int64), "head/views_shape_f"),
        numpy_helper.from_array(np.array([2, 3], np.int64), "head/hw_axes"),
        numpy_helper.from_array(np.array([-1], np.int64), "head/minus1"),
        numpy_helper.from_array(np.array([-(2**62)], np.int64), "head/very_negative"),
        numpy_helper.from_array(np.array([3], np.int64), "head/width_axis"),
    ])
    nodes, stacked = [], []
    for k, v in enumerate(views):
        g.initializer.extend([
            numpy_helper.from_array(np.array([v.top, v.left], np.int64), f"head/view{k}_start"),
            numpy_helper.from_array(np.array([v.top + window, v.left + window], np.int64),
                                    f"head/view{k}_end")])
        nodes.append(helper.make_node(
            "Slice", [input_name, f"head/view{k}_start", f"head/view{k}_end", "head/hw_axes"],
            [f"head/view{k}"], name=f"head/view{k}"))
        name = f"head/view{k}"
        if v.mirrored:
            nodes.append(helper.make_node(
                "Slice", [name, "head/minus1", "head/very_negative", "head/width_axis",
                          "head/minus1"], [f"{name}_mirrored"], name=f"{name}_mirror"))
            name = f"{name}_mirrored"
        stacked.append(name)
    nodes.append(helper.make_node("Concat", stacked, ["head/views"], axis=0,
                                  name="head/views_concat"))
    return nodes


def cosine_model(backbone: onnx.ModelProto, **kwargs: object) -> onnx.ModelProto:
    """The head with a neutral prior (mean 0, sd 1, scale 1): its logits are the cosines
    the prior is measured on."""
    classes = next(numpy_helper.to_array(i) for i in backbone.graph.initializer
                   if i.name == "head/person_text_t").shape[1]
    return add_prior_head(backbone, prior_mean=np.zeros(classes, np.float32),
                          prior_sd=np.ones(classes, np.float32), logit_scale=1.0,
                          **kwargs)  # type: ignore[arg-type]


__all__ = ["View", "add_prior_head", "backbone_of", "cosine_model", "views_for", "_static_width",
           "TensorProto"]
