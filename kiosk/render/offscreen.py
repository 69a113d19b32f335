"""Off-screen rendering: one FrameView in, the annotated image out as an RGB array.

Used by `kiosk classify IMAGE -o OUT.png`, like the original web version's result image.
"""

from __future__ import annotations

import numpy as np
import pygame

from kiosk.config import DisplayConfig, TextsConfig
from kiosk.render.image import normalise_frame
from kiosk.render.renderer import Renderer
from kiosk.views import FrameView


def annotate_still(view: FrameView, display: DisplayConfig, texts: TextsConfig) -> np.ndarray:
    """Render `view` at the source image's own size (no letterbox, mirror off, rotation 0).

    Returns an (H, W, 3) RGB uint8 array. With no usable frame, a black image of the
    display size is annotated instead. The top-k panel follows `display.show_topk`; the
    debug overlay is never drawn.
    """
    rgb = normalise_frame(view.frame)
    if rgb is None:
        size = (int(display.width), int(display.height))
    else:
        size = (rgb.shape[1], rgb.shape[0])
    still_display = display.model_copy(
        update={"rotation": 0, "debug_overlay": False}
    )
    renderer = Renderer(size, still_display, texts, mirror=False, fit="contain")
    surface = pygame.Surface(size, 0, 32)
    renderer.draw(surface, view)
    data = pygame.image.tobytes(surface, "RGB")
    return np.frombuffer(data, np.uint8).reshape(size[1], size[0], 3).copy()
