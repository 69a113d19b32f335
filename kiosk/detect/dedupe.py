"""One box per face: passes, overlapping tiles and consecutive frames see the same face."""

from __future__ import annotations

import numpy as np

from kiosk.detections import Detections
from kiosk.views import Box


def same_face(a: Box, b: Box) -> bool:
    """Overlapping boxes, or either's centre inside the other: the same face in two passes or
    frames. Both ways round: the full-range model can box a face larger and off-centre (a 176
    px box beside the 135 px one of the same face at 1080p, IoU 0.28), and a check of one
    centre only let that through as a second visitor (a second box and label on one face)."""
    (ax, ay), (bx, by) = a.center, b.center
    return (a.iou(b) > 0.3 or (b.x0 <= ax <= b.x1 and b.y0 <= ay <= b.y1)
            or (a.x0 <= bx <= a.x1 and a.y0 <= by <= a.y1))


def suppress_duplicates(found: Detections) -> Detections:
    """One box per face where passes or overlapping tiles both saw it: the most confident
    box of each group of `same_face` boxes is kept."""
    if len(found) < 2:
        return found
    boxes = found.boxes()
    kept: list[int] = []
    for i in np.argsort(-found.confidence, kind="stable"):
        if not any(same_face(boxes[i], boxes[k]) for k in kept):
            kept.append(int(i))
    mask = np.zeros(len(found), bool)
    mask[kept] = True
    return found.filter(mask)
