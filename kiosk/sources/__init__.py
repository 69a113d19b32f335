"""Frame sources behind one interface: camera, video file, still image, bundled demo."""

from kiosk.sources.base import Frame, FrameSource, SourceError
from kiosk.sources.factory import open_source

__all__ = ["Frame", "FrameSource", "SourceError", "open_source"]
