"""The "conse_dense_scores" person head as ONNX nodes (numpy + onnx.helper, no torch).

Build time only (scripts/modelbuild/build_person_head.py); the kiosk runs the model file. The head:

    xv       = concat(views of x)                      test-time average over fixed views:
                                                       windows of the input, some mirrored
    p        = softmax(backbone ImageNet-1k logits / temperature)    all 1,000 classes (dense)
    e        = normalise(p @ S)                        S: text embeddings of the 1,000 classes
    scores   = mean over the views of e @ Q           Q: person synsets' text embeddings
    imagenet = mean over the views of softmax(ImageNet-1k logits)    what the backbone saw

The graph's outputs are the raw per-synset `scores`: the prior that standardises each synset
against its spread over real faces (kiosk/classify/prior.py) lives outside the graph, in
prior.npy, so that it can be refitted, or blended with what a kiosk learns of its own room,
without rebuilding this file, and so that building it is pure graph surgery: the same inputs
give the same bytes on every host. Averaging a few fixed views (a 5% shift of the face box
tipped the top-1) makes the label depend less on exactly where the box falls; every view is a
deterministic function of the crop, so the label still comes only from what the model sees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx
from onnx import helper, numpy_helper

from scripts.modelbuild.conse import EMBEDDING, value_info

SCORES = "scores"
IMAGENET = "imagenet"

_KEEP = ("head/class_text", "head/person_text_t")


@dataclass(frozen=True)
class View:
    """One test-time view: the window x[:, :, top:top+size, left:left+size], maybe mirrored.

    `window` 0 is the head's window; `scale` > 0 resizes the input to that side first (bilinear,
    in the graph), so one head can see the crop at two close resolutions."""

    top: int
    left: int
    mirrored: bool = False
    window: int = 0
    scale: int = 0

    def side(self, input_size: int) -> int:
        return self.scale or input_size

    def size(self, window: int) -> int:
        return self.window or window


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


STEADY_INPUT = 192


def steady_views() -> list[View]:
    """Six views at two close scales, for a 192 px input (`--view-set steady`): the four-view
    pattern with 168 px windows of the input resized to 184 px, plus the 176 px centre window
    of the input itself and its mirror. Averaged as ImageNet-1k logits, the set measured
    steadiest per backbone pixel (models/README.md; 1.7x the pixels of the four 160 px views)."""
    c, o = (184 - 168) // 2, 184 - 168
    small = [View(c, c, False, 168, 184), View(c, c, True, 168, 184), View(0, 0, False, 168, 184),
             View(o, o, True, 168, 184)]
    m = (STEADY_INPUT - 176) // 2
    return small + [View(m, m, False, 176), View(m, m, True, 176)]


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
    if "head/logits_views" in nodes:  # views averaged as logits
        logits_in = nodes["head/logits_views"].input[0]
    if "head/logits_concat" in nodes:  # views of two window sizes: the first backbone's
        logits_in = nodes["head/logits_concat"].input[0]
    emb = (nodes.get("head/features_concat") or nodes.get("head/embedding")
           or nodes.get("head/embedding_pairs"))
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
    g.output.extend([value_info(logits_in, 1000), value_info(features, "features")])
    return out, input_name, logits_in, features


def add_score_head(backbone: onnx.ModelProto, *, input_name: str, logits_1k: str,
                   features: str, feat_dim: int, temperature: float, views: list[View],
                   input_size: int, window: int, average: str = "cosine") -> onnx.ModelProto:
    """The backbone (as from backbone_of) with this head; outputs scores, imagenet, embedding.

    The graph's input is input_size square; the backbone sees `views` (window square each, or
    their own window and scale). Views of one window size go through the backbone as one
    batch; a second window size gets a copy of the backbone's nodes (the weights are shared).
    `average`: "cosine" averages the views' cosines, "logits" their ImageNet-1k logits."""
    out = onnx.ModelProto()
    out.CopyFrom(backbone)
    g = out.graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer if i.name in _KEEP}
    classes = inits["head/person_text_t"].shape[1]
    if temperature <= 0:
        raise ValueError("temperature must be positive")
    if average not in ("cosine", "logits"):
        raise ValueError(f"average must be cosine or logits, not {average!r}")
    if not views or any(v.top < 0 or v.left < 0 or v.scale < 0
                        or max(v.top, v.left) + v.size(window) > v.side(input_size)
                        for v in views):
        raise ValueError(f"views must be windows inside the {input_size} px input (or its scale)")
    if len(views) == 1 and (window != input_size or views[0] != View(0, 0)):
        raise ValueError("a single view must be the whole input, unmirrored")
    many = len(views) > 1
    dims = g.input[0].type.tensor_type.shape.dim
    dims[2].dim_value, dims[3].dim_value = input_size, input_size
    del g.output[:]
    g.initializer.extend([
        numpy_helper.from_array(np.array(temperature, np.float32), "head/temperature_value"),
        numpy_helper.from_array(np.array([len(views), -1, 1000], np.int64),
                                "head/views_shape_1k"),
    ])
    nodes: list[onnx.NodeProto] = []
    logits_all, features_all = logits_1k, features
    if many:
        backbone_nodes = []  # copied before the views are wired in below
        for n in g.node:
            backbone_nodes.append(onnx.NodeProto())
            backbone_nodes[-1].CopyFrom(n)
        first, stacks = _view_nodes(g, input_name, views, window, input_size, classes, feat_dim,
                                    average)
        for n in g.node:  # the backbone now sees the views stacked on the batch axis
            n.input[:] = [stacks[0] if i == input_name else i for i in n.input]
        for offset, node in enumerate(first):  # before the backbone: nodes stay sorted
            g.node.insert(offset, node)
        copies = [_backbone_copy(backbone_nodes, input_name, stack, f"head/backbone{k}/")
                  for k, stack in enumerate(stacks[1:], start=1)]
        for copy in copies:
            g.node.extend(copy)
        if copies:  # each backbone's outputs, in the views' order
            prefixes = [""] + [f"head/backbone{k}/" for k in range(1, len(stacks))]
            logits_all, features_all = "head/logits_all", "head/features_all"
            nodes += [
                helper.make_node("Concat", [p + logits_1k for p in prefixes], [logits_all],
                                 axis=0, name="head/logits_concat"),
                helper.make_node("Concat", [p + features for p in prefixes], [features_all],
                                 axis=0, name="head/features_concat"),
            ]
    # what the backbone saw: its own ImageNet-1k probabilities (T = 1), mean over the views
    nodes.append(helper.make_node("Softmax", [logits_all], ["head/imagenet_each"], axis=-1,
                                  name="head/imagenet_softmax"))
    if many:
        nodes += [
            helper.make_node("Reshape", ["head/imagenet_each", "head/views_shape_1k"],
                             ["head/imagenet_views"], name="head/imagenet_views"),
            helper.make_node("ReduceMean", ["head/imagenet_views"], [IMAGENET], axes=[0],
                             keepdims=0, name="head/imagenet_mean"),
        ]
    else:
        nodes.append(helper.make_node("Identity", ["head/imagenet_each"], [IMAGENET],
                                      name="head/imagenet"))
    tempered_from = logits_all
    if many and average == "logits":
        nodes += [
            helper.make_node("Reshape", [logits_all, "head/views_shape_1k"],
                             ["head/logits_views_each"], name="head/logits_views"),
            helper.make_node("ReduceMean", ["head/logits_views_each"], ["head/logits_mean"],
                             axes=[0], keepdims=0, name="head/logits_mean"),
        ]
        tempered_from = "head/logits_mean"
    nodes += [
        helper.make_node("Div", [tempered_from, "head/temperature_value"], ["head/tempered"],
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
    cosine = "head/cosine_each"
    if many:
        if average == "cosine":
            nodes += [
                helper.make_node("Reshape", ["head/cosine_each", "head/views_shape"],
                                 ["head/cosine_views"], name="head/views_split"),
                helper.make_node("ReduceMean", ["head/cosine_views"], ["head/cosine_mean"],
                                 axes=[0], keepdims=0, name="head/views_mean"),
            ]
            cosine = "head/cosine_mean"
        nodes += [
            helper.make_node("Reshape", [features_all, "head/views_shape_f"],
                             ["head/feat_pairs"], name="head/embedding_pairs"),
            helper.make_node("ReduceMean", ["head/feat_pairs"], [EMBEDDING],
                             axes=[0], keepdims=0, name="head/embedding_mean"),
        ]
    else:
        nodes.append(helper.make_node("Identity", [features], [EMBEDDING],
                                      name="head/embedding"))
    nodes.append(helper.make_node("Identity", [cosine], [SCORES], name="head/scores"))
    g.node.extend(nodes)
    g.output.extend([value_info(SCORES, classes), value_info(IMAGENET, 1000),
                     value_info(EMBEDDING, feat_dim)])
    onnx.checker.check_model(out)
    return out


def _view_nodes(g: onnx.GraphProto, input_name: str, views: list[View], window: int,
                input_size: int, classes: int, feat_dim: int, average: str,
                ) -> tuple[list[onnx.NodeProto], list[str]]:
    """Slice each view out of the input (or out of the input resized to the view's scale;
    mirrored by a step -1 slice) and stack the views of each window size: (nodes, stacks),
    one stack per window size in the order the views name them ("head/views" first)."""
    count = len(views)
    if average == "cosine":
        g.initializer.append(
            numpy_helper.from_array(np.array([count, -1, classes], np.int64), "head/views_shape"))
    g.initializer.extend([
        numpy_helper.from_array(np.array([count, -1, feat_dim], np.int64), "head/views_shape_f"),
        numpy_helper.from_array(np.array([2, 3], np.int64), "head/hw_axes"),
        numpy_helper.from_array(np.array([-1], np.int64), "head/minus1"),
        numpy_helper.from_array(np.array([-(2**62)], np.int64), "head/very_negative"),
        numpy_helper.from_array(np.array([3], np.int64), "head/width_axis"),
    ])
    nodes: list[onnx.NodeProto] = []
    sources = {0: input_name, input_size: input_name}
    scales = [s for s in dict.fromkeys(v.scale for v in views) if s not in sources]
    if scales:  # Resize's output size: the input's (batch, channels) and the scale's side
        g.initializer.extend([
            numpy_helper.from_array(np.array([0], np.int64), "head/zero"),
            numpy_helper.from_array(np.array([2], np.int64), "head/two")])
        nodes += [
            helper.make_node("Shape", [input_name], ["head/input_shape"], name="head/input_shape"),
            helper.make_node("Slice", ["head/input_shape", "head/zero", "head/two"],
                             ["head/input_nc"], name="head/input_nc")]
    for scale in scales:
        g.initializer.append(numpy_helper.from_array(np.array([scale, scale], np.int64),
                                                     f"head/scale{scale}_hw"))
        nodes += [
            helper.make_node("Concat", ["head/input_nc", f"head/scale{scale}_hw"],
                             [f"head/scale{scale}_size"], axis=0, name=f"head/scale{scale}_size"),
            helper.make_node("Resize", [input_name, "", "", f"head/scale{scale}_size"],
                             [f"head/scaled{scale}"], mode="linear",
                             coordinate_transformation_mode="half_pixel",
                             name=f"head/scale{scale}")]
        sources[scale] = f"head/scaled{scale}"
    stacked: dict[int, list[str]] = {}
    for k, v in enumerate(views):
        size = v.size(window)
        g.initializer.extend([
            numpy_helper.from_array(np.array([v.top, v.left], np.int64), f"head/view{k}_start"),
            numpy_helper.from_array(np.array([v.top + size, v.left + size], np.int64),
                                    f"head/view{k}_end")])
        nodes.append(helper.make_node(
            "Slice", [sources[v.scale], f"head/view{k}_start", f"head/view{k}_end",
                      "head/hw_axes"], [f"head/view{k}"], name=f"head/view{k}"))
        name = f"head/view{k}"
        if v.mirrored:
            nodes.append(helper.make_node(
                "Slice", [name, "head/minus1", "head/very_negative", "head/width_axis",
                          "head/minus1"], [f"{name}_mirrored"], name=f"{name}_mirror"))
            name = f"{name}_mirrored"
        stacked.setdefault(size, []).append(name)
    stacks = []
    for k, names in enumerate(stacked.values()):
        stack = "head/views" if k == 0 else f"head/views{k}"
        nodes.append(helper.make_node("Concat", names, [stack], axis=0,
                                      name="head/views_concat" if k == 0
                                      else f"head/views{k}_concat"))
        stacks.append(stack)
    return nodes, stacks


def _backbone_copy(backbone_nodes: list[onnx.NodeProto], input_name: str, new_input: str,
                   prefix: str) -> list[onnx.NodeProto]:
    """The backbone's nodes again, reading `new_input`: every tensor they make is renamed
    with `prefix`; the weights (initializers) are shared, so the file barely grows."""
    made = {o for n in backbone_nodes for o in n.output if o}
    copies = []
    for n in backbone_nodes:
        c = onnx.NodeProto()
        c.CopyFrom(n)
        c.name = prefix + (n.name or n.output[0])
        c.input[:] = [new_input if i == input_name else prefix + i if i in made else i
                      for i in n.input]
        c.output[:] = [prefix + o if o else o for o in n.output]
        copies.append(c)
    return copies




def add_score_residual(model: onnx.ModelProto, weight: np.ndarray,
                       bias: np.ndarray) -> onnx.ModelProto:
    """scores = text scores + embedding @ weight.T + bias (scripts/modelbuild/train_person_head.py).

    Trained in the kiosk's z-space (logits = w * scale * z + W f + b), the layer is stored in
    score units (weight and bias already multiplied by the prior's sd / (w * scale)), so that
    the prior outside the graph standardises the trained scores as it does the text ones."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    g = out.graph
    for name in ("head/linear", "head/residual"):  # a re-training replaces the last layer
        for node in [n for n in g.node if n.name == name]:
            g.node.remove(node)
    for init in [i for i in g.initializer if i.name in ("head/linear_w", "head/linear_b")]:
        g.initializer.remove(init)
    scores_node = next((n for n in g.node if n.name == "head/scores"), None)
    if scores_node is None:
        raise ValueError("model has no score head (node head/scores) to add a layer to")
    classes = next(numpy_helper.to_array(i) for i in g.initializer
                   if i.name == "head/person_text_t").shape[1]
    feat = int(weight.shape[1]) if weight.ndim == 2 else -1
    if weight.shape != (classes, feat) or bias.shape != (classes,):
        raise ValueError(f"weight must be ({classes}, D) and bias ({classes},)")
    g.initializer.extend([
        numpy_helper.from_array(np.ascontiguousarray(weight, np.float32), "head/linear_w"),
        numpy_helper.from_array(np.ascontiguousarray(bias, np.float32), "head/linear_b"),
    ])
    scores_node.output[0] = "head/text_scores"
    position = list(g.node).index(scores_node) + 1
    for offset, node in enumerate([
        helper.make_node("Gemm", [EMBEDDING, "head/linear_w", "head/linear_b"], ["head/linear"],
                         transB=1, name="head/linear"),
        helper.make_node("Add", ["head/text_scores", "head/linear"], [SCORES],
                         name="head/residual"),
    ]):
        g.node.insert(position + offset, node)
    onnx.checker.check_model(out)
    return out


__all__ = ["IMAGENET", "SCORES", "STEADY_INPUT", "View", "add_score_head", "add_score_residual",
           "backbone_of", "steady_views", "views_for"]
