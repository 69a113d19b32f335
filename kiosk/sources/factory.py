"""Pick the source the config asks for, falling back to the demo when no camera opens."""

from __future__ import annotations

import logging

from kiosk.config import KioskConfig
from kiosk.sources.base import FrameSource, SourceError
from kiosk.sources.camera import CameraSource
from kiosk.sources.demo import DemoSource
from kiosk.sources.files import ImageSource, VideoFileSource

log = logging.getLogger(__name__)


def open_source(config: KioskConfig) -> tuple[FrameSource, str | None]:
    """The configured source and a notice for the screen (None when all is as asked).

    `camera.source: camera` insists on the camera (it keeps retrying while unplugged);
    `auto` uses the camera if it opens now and otherwise the bundled demo, saying so.
    """
    cam = config.camera
    if cam.source == "video":
        if cam.path is None:
            raise SourceError("camera.source is 'video' but camera.path is not set")
        return VideoFileSource(config.resolve(cam.path)), None
    if cam.source == "image":
        if cam.path is None:
            raise SourceError("camera.source is 'image' but camera.path is not set")
        return ImageSource(config.resolve(cam.path), fps=cam.fps), None
    if cam.source == "demo":
        return DemoSource(cam.width, cam.height, cam.fps), None
    if cam.source == "camera":
        return CameraSource(cam, must_open=True), None
    try:
        return CameraSource(cam, must_open=True), None
    except SourceError as exc:
        message = f"{exc}; {config.texts.demo_notice}"
        log.warning("%s", message)
        return DemoSource(cam.width, cam.height, cam.fps), config.texts.demo_notice
