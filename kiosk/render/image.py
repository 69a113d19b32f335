"""Puts the camera frame on the screen: normalise, rotate, mirror, scale, blit.

The fast path uses OpenCV (installed with MediaPipe) to rotate/flip at source resolution,
convert to the surface's own byte order and resize straight into the surface's pixels, so a
1280x720 frame becomes a 1920x1080 screen in a few milliseconds. Without OpenCV, or for
surfaces in an unusual pixel format, it falls back to numpy views and pygame.transform.
"""

from __future__ import annotations

import logging
import math
import sys

import numpy as np
import pygame

from kiosk.render.geometry import ScreenMapping

try:  # pragma: no cover - exercised by whichever is installed
    import cv2
except Exception:  # noqa: BLE001 - any import failure means "no OpenCV"
    cv2 = None

log = logging.getLogger(__name__)

_CV_ROTATE = {}
if cv2 is not None:
    _CV_ROTATE = {
        90: cv2.ROTATE_90_CLOCKWISE,
        180: cv2.ROTATE_180,
        270: cv2.ROTATE_90_COUNTERCLOCKWISE,
    }


def normalise_frame(frame: object) -> np.ndarray | None:
    """Any plausible image as a C-contiguous (H, W, 3) uint8 RGB array; None if unusable.

    Accepts grey (H, W) or (H, W, 1), RGBA, float images in 0..1 or 0..255, bool and other
    integer types, and non-contiguous views. Returns None for None and empty arrays.
    """
    if frame is None:
        return None
    arr = np.asarray(frame)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim == 2:
        arr = arr[:, :, None]
        arr = np.broadcast_to(arr, (*arr.shape[:2], 3))
    if arr.ndim != 3 or arr.shape[0] < 1 or arr.shape[1] < 1 or arr.shape[2] < 1:
        return None
    if arr.shape[2] == 2:
        arr = np.broadcast_to(arr[:, :, :1], (*arr.shape[:2], 3))
    elif arr.shape[2] > 3:
        arr = arr[:, :, :3]
    if arr.dtype != np.uint8:
        arr = _to_uint8(arr)
    return np.ascontiguousarray(arr)


def _to_uint8(arr: np.ndarray) -> np.ndarray:
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8) * 255
    if np.issubdtype(arr.dtype, np.floating):
        arr = np.nan_to_num(arr.astype(np.float32), nan=0.0, posinf=255.0, neginf=0.0)
        if arr.size and float(arr.max()) <= 1.0:
            arr = arr * 255.0
        return np.clip(arr, 0, 255).astype(np.uint8)
    if np.issubdtype(arr.dtype, np.integer):
        return np.clip(arr, 0, 255).astype(np.uint8)
    return np.zeros(arr.shape, np.uint8)


def orient_array(rgb: np.ndarray, rotation: int, mirror: bool) -> np.ndarray:
    """Rotate clockwise then mirror left-right (numpy views; no copy)."""
    if rotation:
        rgb = np.rot90(rgb, k=-(rotation // 90))
    if mirror:
        rgb = rgb[:, ::-1]
    return rgb


def _prereduce(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """Shrink by a whole factor with INTER_AREA (OpenCV's fast path) when the target is at
    least twice smaller, so the final INTER_LINEAR resize does not alias. Non-integer
    INTER_AREA is several times slower and hardly better for a moving picture."""
    k = min(rgb.shape[1] // max(1, width), rgb.shape[0] // max(1, height))
    if k < 2:
        return rgb
    return cv2.resize(rgb, (rgb.shape[1] // k, rgb.shape[0] // k), interpolation=cv2.INTER_AREA)


def _byte_order(surface: pygame.Surface) -> str | None:
    """'BGRA' or 'RGBA' when the surface stores 4 bytes a pixel in that order, else None."""
    if surface.get_bytesize() != 4 or sys.byteorder != "little":
        return None
    r, g, b, _a = surface.get_masks()
    if (r, g, b) == (0xFF0000, 0xFF00, 0xFF):
        return "BGRA"
    if (r, g, b) == (0xFF, 0xFF00, 0xFF0000):
        return "RGBA"
    return None


def _crop_plan(
    src_w: int, src_h: int, dest: tuple[int, int, int, int], screen: tuple[int, int]
) -> tuple[tuple[int, int, int, int], tuple[int, int, int, int], tuple[int, int, int, int]] | None:
    """What to resize when the destination spills over the screen.

    Returns (source crop x0, y0, x1, y1), (crop's destination x, y, w, h) and (visible part of
    that destination relative to it: x0, y0, x1, y1), or None when nothing is visible.
    """
    dx, dy, dw, dh = dest
    sw, sh = screen
    vx0, vy0 = max(dx, 0), max(dy, 0)
    vx1, vy1 = min(dx + dw, sw), min(dy + dh, sh)
    if vx1 <= vx0 or vy1 <= vy0:
        return None
    kx, ky = dw / src_w, dh / src_h
    u0 = max(0, math.floor((vx0 - dx) / kx))
    u1 = min(src_w, math.ceil((vx1 - dx) / kx))
    v0 = max(0, math.floor((vy0 - dy) / ky))
    v1 = min(src_h, math.ceil((vy1 - dy) / ky))
    cx0, cx1 = dx + round(u0 * kx), dx + round(u1 * kx)
    cy0, cy1 = dy + round(v0 * ky), dy + round(v1 * ky)
    cw, ch = max(1, cx1 - cx0), max(1, cy1 - cy0)
    vis = (
        max(0, vx0 - cx0),
        max(0, vy0 - cy0),
        min(cw, vx1 - cx0),
        min(ch, vy1 - cy0),
    )
    if vis[2] <= vis[0] or vis[3] <= vis[1]:
        return None
    return (u0, v0, max(u1, u0 + 1), max(v1, v0 + 1)), (cx0, cy0, cw, ch), vis


def _writable(surface: pygame.Surface) -> bool:
    buf = surface.get_buffer()
    try:
        with memoryview(buf) as view:
            return not view.readonly
    except (TypeError, ValueError):
        return False
    finally:
        del buf


class FramePainter:
    """Draws an RGB frame onto a surface where a ScreenMapping says it goes."""

    def __init__(self, use_opencv: bool = True) -> None:
        self.use_opencv = use_opencv and cv2 is not None

    def paint(
        self,
        surface: pygame.Surface,
        rgb: np.ndarray,
        mapping: ScreenMapping,
        dim: float | None = None,
    ) -> None:
        """Draw normalised `rgb` (see normalise_frame) fitted, rotated and mirrored.

        `dim` in 0..1 darkens the picture (done at source resolution: cheap).
        """
        usable = self.use_opencv and surface.get_parent() is None and not surface.get_locked()
        order = _byte_order(surface) if usable and _writable(surface) else None
        if order is not None:
            try:
                self._paint_cv(surface, rgb, mapping, order, dim)
                return
            except (pygame.error, ValueError, BufferError, cv2.error) as exc:
                log.warning("fast frame path failed (%s); using pygame.transform from now on", exc)
                self.use_opencv = False
        self._paint_pygame(surface, rgb, mapping, dim)

    def _paint_cv(
        self,
        surface: pygame.Surface,
        rgb: np.ndarray,
        mapping: ScreenMapping,
        order: str,
        dim: float | None,
    ) -> None:
        if mapping.rotation:
            rgb = cv2.rotate(rgb, _CV_ROTATE[mapping.rotation])
        if mapping.mirror:
            rgb = cv2.flip(rgb, 1)
        oh, ow = rgb.shape[:2]
        plan = _crop_plan(ow, oh, mapping.image_rect, surface.get_size())
        if plan is None:
            return
        (u0, v0, u1, v1), (cx, cy, cw, ch), (vx0, vy0, vx1, vy1) = plan
        crop = rgb[v0:v1, u0:u1]
        crop = _prereduce(np.ascontiguousarray(crop), cw, ch)
        code = cv2.COLOR_RGB2BGRA if order == "BGRA" else cv2.COLOR_RGB2RGBA
        four = cv2.cvtColor(crop, code)
        if dim is not None:
            four = cv2.convertScaleAbs(four, alpha=dim)
        interp = cv2.INTER_LINEAR
        sw, sh = surface.get_size()
        buf = surface.get_buffer()
        try:
            pixels = np.frombuffer(buf, np.uint8).reshape(sh, surface.get_pitch())
            pixels = pixels[:, : sw * 4].reshape(sh, sw, 4)
            whole = (vx0, vy0, vx1, vy1) == (0, 0, cw, ch)
            if whole:
                dst = pixels[cy : cy + ch, cx : cx + cw]
                out = cv2.resize(four, (cw, ch), dst=dst, interpolation=interp)
                if out.ctypes.data != dst.ctypes.data:  # OpenCV chose its own buffer
                    dst[...] = out
            else:
                scaled = cv2.resize(four, (cw, ch), interpolation=interp)
                pixels[cy + vy0 : cy + vy1, cx + vx0 : cx + vx1] = scaled[vy0:vy1, vx0:vx1]
            del pixels
        finally:
            del buf  # releases the surface lock

    def _paint_pygame(
        self,
        surface: pygame.Surface,
        rgb: np.ndarray,
        mapping: ScreenMapping,
        dim: float | None = None,
    ) -> None:
        oriented = np.ascontiguousarray(orient_array(rgb, mapping.rotation, mapping.mirror))
        oh, ow = oriented.shape[:2]
        plan = _crop_plan(ow, oh, mapping.image_rect, surface.get_size())
        if plan is None:
            return
        (u0, v0, u1, v1), (cx, cy, cw, ch), (vx0, vy0, vx1, vy1) = plan
        crop = np.ascontiguousarray(oriented[v0:v1, u0:u1])
        if dim is not None:
            scale = round(max(0.0, min(1.0, dim)) * 256)
            crop = ((crop.astype(np.uint16) * scale) >> 8).astype(np.uint8)
        src = pygame.image.frombuffer(crop, (crop.shape[1], crop.shape[0]), "RGB")
        scaled = pygame.transform.scale(src, (cw, ch))
        area = pygame.Rect(vx0, vy0, vx1 - vx0, vy1 - vy0)
        surface.blit(scaled, (cx + vx0, cy + vy0), area)
