"""`kiosk classify IMAGE -o OUT.png`: the whole pipeline on one image file, as the web version did.

Read the file (source), find faces (detect), label them or the scene (classify) and draw the
annotated copy off screen (render); no tracker, since there is only one frame.
"""

from __future__ import annotations

import time
from pathlib import Path

import cv2

from kiosk.classify.labeller import Labeller
from kiosk.config import KioskConfig
from kiosk.detect import FaceDetector
from kiosk.scene import Box, FaceView, FrameView
from kiosk.sources.files import read_image


def annotate_image(config: KioskConfig, labeller: Labeller, image_path: Path,
                   out_path: Path) -> FrameView:
    """Box and label every face (or the whole scene if none) and write the annotated PNG."""
    from kiosk.render.offscreen import annotate_still

    image = read_image(image_path)
    with FaceDetector.from_config(config) as detector:
        detections = detector.detect(image, time.monotonic())
    h, w = image.shape[:2]
    boxes: list[Box] = detections.boxes()
    if boxes:
        pad = config.classifier.crop_padding
        labels = labeller.label_crops([b.padded(pad, w, h).crop(image) for b in boxes])
        pairs = zip(boxes, labels, strict=True)
        view = FrameView(image, faces=tuple(
            FaceView(i + 1, box, label) for i, (box, label) in enumerate(pairs)
        ))
    else:
        view = FrameView(image, scene_label=labeller.label_crops([image])[0])
    annotated = annotate_still(view, config.display, config.texts)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(out_path), cv2.cvtColor(annotated, cv2.COLOR_RGB2BGR)):
        raise OSError(f"{out_path}: could not write the annotated image")
    return view
