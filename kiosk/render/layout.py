"""Where label bands and panels go: on screen always, clear of each other when possible.

Pure functions over pygame.Rect: no drawing here. Placement is greedy, in the order the
caller places things: each rect takes the cheapest of its candidate positions (clamped on
screen, plus variants stacked above/below what is already placed), where covering another
label costs most, covering a face less, and drifting from its own box a little.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import pygame


def clamp_rect(rect: pygame.Rect, screen: pygame.Rect, margin: int = 0) -> pygame.Rect:
    """`rect` moved (never resized) to lie inside `screen` less `margin`, as far as it fits.

    A rect larger than the screen is aligned to the screen's top-left corner, so its start
    (where text begins) stays visible.
    """
    r = pygame.Rect(rect)
    area = screen.inflate(-2 * margin, -2 * margin)
    if area.width < r.width or area.height < r.height:
        area = pygame.Rect(screen)
    r.x = max(area.left, min(r.x, area.right - r.width))
    r.y = max(area.top, min(r.y, area.bottom - r.height))
    return r


def fits(rect: pygame.Rect, screen: pygame.Rect, margin: int = 0) -> bool:
    return screen.inflate(-2 * margin, -2 * margin).contains(rect)


def overlaps(rect: pygame.Rect, others: Iterable[pygame.Rect]) -> bool:
    return any(rect.colliderect(o) for o in others)


def _area(a: pygame.Rect, b: pygame.Rect) -> int:
    c = a.clip(b)
    return c.w * c.h


def _distance(a: pygame.Rect, b: pygame.Rect) -> int:
    """Gap between two rects along x plus along y (0 when they touch or overlap)."""
    dx = max(0, b.left - a.right, a.left - b.right)
    dy = max(0, b.top - a.bottom, a.top - b.bottom)
    return dx + dy


# Costs, in square pixels of overlap: covering another label is worst, covering a face is
# nearly as bad (a reader must see whose label is whose: a band drifts far, joined to its box
# by a line, rather than cover someone), drifting away from one's own box costs DRIFT per pixel.
PLACED_WEIGHT = 60
OBSTACLE_WEIGHT = 40
DRIFT = 60


def place_rect(
    size: tuple[int, int],
    candidates: Sequence[tuple[int, int]],
    screen: pygame.Rect,
    placed: Sequence[pygame.Rect] = (),
    obstacles: Sequence[pygame.Rect] = (),
    margin: int = 0,
    gap: int = 0,
    anchor: pygame.Rect | None = None,
) -> pygame.Rect:
    """Position for a `size` rect: on screen, clear of others where reasonably possible.

    `candidates` are top-left corners, best first. Each is clamped on screen; variants
    stacked just below or above every already `placed` rect they would overlap are added.
    The cheapest wins: overlap with `placed` (other labels) costs most, overlap with
    `obstacles` (faces) less, and distance from `anchor` (or from the first candidate)
    a little per pixel. The result always lies on the screen when it fits at all.
    """
    w, h = max(0, size[0]), max(0, size[1])
    base = [pygame.Rect(x, y, w, h) for x, y in candidates]
    if not base:
        base = [pygame.Rect(screen.x + margin, screen.y + margin, w, h)]
    ref = anchor if anchor is not None else base[0]
    placed = list(placed)
    # Another face's box keeps a clear margin: a band touching it would read as its label.
    obstacles = [o if o == anchor else o.inflate(2 * gap, 2 * gap) for o in obstacles]

    def cost(r: pygame.Rect) -> int:
        c = 0
        for k in r.collidelistall(placed):
            c += PLACED_WEIGHT * _area(r, placed[k])
        for k in r.collidelistall(obstacles):
            c += OBSTACLE_WEIGHT * _area(r, obstacles[k])
        if anchor is not None:
            return c + DRIFT * _distance(r, ref)
        return c + DRIFT * (abs(r.x - ref.x) + abs(r.y - ref.y))

    best, best_cost = None, None
    pool = [clamp_rect(r, screen, margin) for r in base]
    for r in pool:
        c = cost(r)
        if c == 0:
            return r  # nothing covered, touching its box: cannot do better
        if best_cost is None or c < best_cost:
            best, best_cost = r, c
    # Variants stacked just past whatever blocks the candidates: placed labels, and faces
    # other than the anchor's own (beside them too, so a band can slip between two faces).
    blocking = [placed[k] for k in sorted({k for r in pool for k in r.collidelistall(placed)})]
    hit = sorted({k for r in pool for k in r.collidelistall(obstacles)})
    blocking += [obstacles[k] for k in hit if anchor is None or obstacles[k] != anchor]
    for x, y in _stacked_past(blocking, base, gap):
        cand = clamp_rect(pygame.Rect(x, y, w, h), screen, margin)
        c = cost(cand)
        if c < best_cost:
            best, best_cost = cand, c
    assert best is not None
    return best


def _stacked_past(
    blocking: Sequence[pygame.Rect], base: Sequence[pygame.Rect], gap: int
) -> Iterator[tuple[int, int]]:
    """Top-left corners for each `base` rect just below, above, right and left of each
    blocking rect, `gap` away."""
    for p in blocking:
        for r in base:
            yield from ((r.x, p.bottom + gap), (r.x, p.top - gap - r.h),
                        (p.right + gap, r.y), (p.left - gap - r.w, r.y))


def band_candidates(anchor: pygame.Rect, size: tuple[int, int]) -> list[tuple[int, int]]:
    """A label band's positions: under its box, else over it; left-aligned, right-aligned,
    centred; then beside it (right, left), so a crowded row of faces still has clear places."""
    w, h = size
    below, above = anchor.bottom, anchor.top - h
    centre = anchor.centerx - w // 2
    return [
        (anchor.left, below),
        (anchor.left, above),
        (anchor.right - w, below),
        (anchor.right - w, above),
        (centre, below),
        (centre, above),
        (anchor.right, anchor.top),
        (anchor.left - w, anchor.top),
    ]


def covers(rect: pygame.Rect, others: Sequence[pygame.Rect], own: pygame.Rect | None) -> bool:
    """Whether `rect` covers any of `others` except `own` (a face's own box)."""
    return any(rect.colliderect(o) for o in others if o is not own)


def leader_line(box: pygame.Rect, band: pygame.Rect) -> tuple[tuple[int, int], tuple[int, int]]:
    """Points on `box` and `band` closest to each other: the line that joins a label band to
    its face when the band could not be placed touching it."""
    def nearest(r: pygame.Rect, x: int, y: int) -> tuple[int, int]:
        return (max(r.left, min(x, r.right - 1)), max(r.top, min(y, r.bottom - 1)))

    a = nearest(box, *band.center)
    return a, nearest(band, *a)


def touches(a: pygame.Rect, b: pygame.Rect) -> bool:
    return _distance(a, b) == 0


def panel_candidates(
    anchor: pygame.Rect, band: pygame.Rect, size: tuple[int, int], gap: int
) -> list[tuple[int, int]]:
    """A "why" panel's positions: right of the box, left of it, under or over the band."""
    w, h = size
    return [
        (anchor.right + gap, anchor.top),
        (anchor.left - gap - w, anchor.top),
        (band.left, band.bottom + gap),
        (band.left, band.top - gap - h),
        (band.right + gap, band.top),
    ]
