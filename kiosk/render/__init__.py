"""The renderer: everything that draws (camera image, green boxes, labels, screens).

Public API: `Renderer` (one screen per FrameView; `draw` returns the `Layout` it placed),
`annotate_still` (an annotated still image) and the pure geometry `ScreenMapping` / `map_box`.
"""

from kiosk.render.geometry import ScreenMapping, map_box
from kiosk.render.live import Layout
from kiosk.render.offscreen import annotate_still
from kiosk.render.renderer import Renderer

__all__ = ["Layout", "Renderer", "ScreenMapping", "annotate_still", "map_box"]
