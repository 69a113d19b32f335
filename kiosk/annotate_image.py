"""`kiosk classify IMAGE [-o OUT.png] [--json]`: the whole pipeline on one image file, as the web
version did.

Read the file (source), find faces (detect), label them or the scene (classify) and draw the
annotated copy off screen (render); no tracker, since there is only one frame. The image is read
before any model loads, so a missing or oversized file is reported at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from kiosk.classify.labeller import Labeller
from kiosk.config import KioskConfig
from kiosk.detect import FaceDetector
from kiosk.labels.gloss import band_gloss
from kiosk.sources.files import read_image_bounded
from kiosk.views import Box, FaceView, FrameView, Label


@dataclass(frozen=True)
class StillImage:
    """A decoded image file and its own size (the decoded copy may be scaled down)."""

    path: Path
    rgb: np.ndarray
    width: int
    height: int

    @classmethod
    def read(cls, path: Path) -> StillImage:
        rgb, (width, height) = read_image_bounded(path)
        return cls(Path(path), rgb, width, height)

    @property
    def scale(self) -> float:
        """File pixels per decoded pixel (1.0 unless the file was scaled down)."""
        return self.width / self.rgb.shape[1]


@dataclass(frozen=True)
class StillResult:
    """The labelled view, and the detector's confidence per face (same order)."""

    view: FrameView
    scores: tuple[float, ...]


def classify_still(config: KioskConfig, labeller: Labeller, still: StillImage,
                   detector: FaceDetector | None = None) -> StillResult:
    """Box and label every face, or label the whole scene if there is none. A `detector` given
    is reused (many images, `kiosk/annotate_many.py`); without one, one is opened and closed."""
    image = still.rgb
    if detector is not None:
        detections = detector.detect_still(image)
    else:
        with FaceDetector.from_config(config) as own:
            detections = own.detect_still(image)
    h, w = image.shape[:2]
    boxes: list[Box] = detections.boxes()
    if not boxes:
        return StillResult(FrameView(image, scene_label=labeller.label_crops([image])[0]), ())
    pad = config.classifier.crop_padding
    labels = labeller.label_crops([b.padded(pad, w, h).crop(image) for b in boxes])
    faces = tuple(
        FaceView(i + 1, box, label)
        for i, (box, label) in enumerate(zip(boxes, labels, strict=True))
    )
    return StillResult(FrameView(image, faces=faces),
                       tuple(float(c) for c in detections.confidence))


def write_annotated(config: KioskConfig, view: FrameView, out_path: Path) -> None:
    """Draw the boxes and labels off screen and write the PNG (OSError naming it on failure)."""
    from kiosk.render.offscreen import annotate_still

    annotated = annotate_still(view, config.display, config.texts)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(out_path), cv2.cvtColor(annotated, cv2.COLOR_RGB2BGR)):
        raise OSError(f"{out_path}: could not write the annotated image")


def annotate_image(config: KioskConfig, labeller: Labeller, image_path: Path,
                   out_path: Path) -> FrameView:
    """Box and label every face (or the whole scene if none) and write the annotated PNG."""
    result = classify_still(config, labeller, StillImage.read(image_path))
    write_annotated(config, result.view, out_path)
    return result.view


def _label_json(label: Label | None) -> dict[str, Any] | None:
    if label is None:
        return None
    return {
        "wnid": label.wnid,
        "label": label.name,
        "label_en": label.name_en or label.name,
        "probability": round(float(label.probability), 6),
        "gloss": label.gloss,
        "gloss_language": label.gloss_language,
        "gloss_band": label.gloss_band or band_gloss(label.gloss, language=label.gloss_language),
        "breadcrumb": list(label.breadcrumb),
        "topk": [[name, round(float(p), 6)] for name, p in label.topk],
    }


def result_json(still: StillImage, result: StillResult) -> dict[str, Any]:
    """The `--json` object: boxes in the file's own pixels as [x, y, w, h]; `scene` is the whole
    image's label when no face was found, else null."""
    s = still.scale
    faces = []
    for face, score in zip(result.view.faces, result.scores, strict=True):
        b = face.box
        x0, y0 = max(0.0, b.x0 * s), max(0.0, b.y0 * s)
        x1, y1 = min(float(still.width), b.x1 * s), min(float(still.height), b.y1 * s)
        box = [round(x0), round(y0), round(x1 - x0), round(y1 - y0)]
        faces.append({"box": box, "score": round(score, 4), **(_label_json(face.label) or {})})
    return {
        "image": str(still.path),
        "width": still.width,
        "height": still.height,
        "faces": faces,
        "scene": None if result.view.faces else _label_json(result.view.scene_label),
    }
