"""The renderer on real pygame surfaces: pixels read back where the geometry says."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402
import skimage.data  # noqa: E402
import skimage.io  # noqa: E402

from kiosk.config import DisplayConfig, TextsConfig  # noqa: E402
from kiosk.render import Layout, Renderer, ScreenMapping, annotate_still  # noqa: E402
from kiosk.render.theme import Theme  # noqa: E402
from kiosk.views import Box, FaceView, FrameView, Label, SpinView  # noqa: E402

SIZE = (1920, 1080)
GREEN = (0, 255, 0)
FACE = Box(140, 40, 260, 190)  # the astronaut's face in skimage.data.astronaut()
PERSON = "person, individual, someone, somebody, mortal, soul"
LABEL = Label(
    wnid="n10105733",
    name="first offender",
    probability=0.41,
    breadcrumb=(PERSON, "bad person", "wrongdoer, offender", "convict", "first offender"),
    gloss="a person convicted of a crime for the first time",
    other_breadcrumbs=((PERSON, "unfortunate, unfortunate person", "prisoner, captive"),),
    topk=(("first offender", 0.41), ("grass widower, divorced man", 0.2), ("Hakka", 0.12)),
)
ASTRONAUT = Label(
    "n09826204",
    "astronaut, spaceman, cosmonaut",
    0.8,
    (PERSON, "traveler, traveller", "voyager", "astronaut, spaceman, cosmonaut"),
)
SPIN = SpinView(("first offender", "astronaut, spaceman, cosmonaut", "Hakka"), 0.5, 0.0)


@pytest.fixture(scope="module")
def astro() -> np.ndarray:
    return skimage.data.astronaut()


@pytest.fixture
def surface() -> pygame.Surface:
    pygame.display.init()
    return pygame.Surface(SIZE)


class Recording(Renderer):
    """A strict Renderer that keeps the Layout its last draw returned, for the asserts."""

    strict = True
    layout: Layout | None = None

    def draw(self, surface: pygame.Surface, view: FrameView) -> Layout | None:
        self.layout = super().draw(surface, view)
        return self.layout


def make(display: DisplayConfig | None = None, *, mirror: bool = False, **kw) -> Recording:
    return Recording(SIZE, display or DisplayConfig(), TextsConfig(), mirror=mirror, **kw)


def pixels(surface: pygame.Surface) -> np.ndarray:
    """(H, W, 3) copy of the surface."""
    return pygame.surfarray.array3d(surface).transpose(1, 0, 2)


def save(surface: pygame.Surface, name: str) -> None:
    pygame.image.save(surface, f"/tmp/render_{name}.png")


def kinds(r: Recording, kind: str) -> list[pygame.Rect]:
    assert r.layout is not None
    return r.layout.of(kind)


@pytest.mark.parametrize(
    ("rotation", "mirror"), [(0, False), (0, True), (90, False), (90, True), (270, True)]
)
def test_green_box_where_the_face_maps(astro, surface, rotation: int, mirror: bool) -> None:
    r = make(DisplayConfig(rotation=rotation), mirror=mirror)
    r.draw(surface, FrameView(astro))
    base = pixels(surface)
    r.draw(surface, FrameView(astro, faces=(FaceView(1, FACE, LABEL),)))
    got = pixels(surface)
    save(surface, f"box_r{rotation}{'_m' if mirror else ''}")

    b = ScreenMapping((512, 512), SIZE, rotation, mirror).map_box(FACE)
    x0, y0, x1, y1 = round(b.x0), round(b.y0), round(b.x1), round(b.y1)
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    for x, y in [(x0, cy), (x1 - 1, cy), (cx, y0), (x0, y0 + 5), (x1 - 1, y0 + 5)]:
        assert tuple(got[y, x]) == GREEN, (x, y)
    # Inside the box the picture is untouched.
    for x, y in [(cx, cy), (x0 + 10, y0 + 10), (x1 - 10, y0 + 10)]:
        assert tuple(got[y, x]) == tuple(base[y, x]), (x, y)
    # The face region shows the face: same pixels as the frame mapped there.
    assert kinds(r, "box") and len(kinds(r, "band")) == 1


@pytest.mark.parametrize(("rotation", "mirror"), [(0, True), (90, False), (90, True), (180, True)])
@pytest.mark.parametrize("use_opencv", [True, False])
def test_image_follows_rotation_and_mirror(surface, rotation, mirror, use_opencv) -> None:
    """A red block in the frame shows up where the mapping puts it (both paint paths)."""
    frame = np.full((480, 640, 3), 40, np.uint8)
    frame[100:160, 500:580] = (255, 0, 0)
    r = make(DisplayConfig(rotation=rotation), use_opencv=use_opencv, mirror=mirror)
    r.draw(surface, FrameView(frame))
    x, y = ScreenMapping((640, 480), SIZE, rotation, mirror).map_point(540, 130)
    assert tuple(pixels(surface)[int(y), int(x)]) == (255, 0, 0)
    # Letterbox bars are black.
    ix, iy, iw, ih = ScreenMapping((640, 480), SIZE, rotation, mirror).image_rect
    assert ix > 0 and tuple(pixels(surface)[540, ix // 2]) == (0, 0, 0)


def test_both_paint_paths_agree(astro, surface) -> None:
    view = FrameView(astro)
    make(DisplayConfig(rotation=90), mirror=True).draw(surface, view)
    a = pixels(surface).astype(int)
    make(DisplayConfig(rotation=90), use_opencv=False, mirror=True).draw(surface, view)
    b = pixels(surface).astype(int)
    assert np.abs(a - b).mean() < 4.0


EDGE_BOXES = {
    "left": Box(0, 200, 110, 330),
    "right": Box(400, 200, 512, 330),
    "top": Box(200, 0, 320, 130),
    "bottom": Box(200, 380, 320, 512),
    "top_left": Box(0, 0, 120, 130),
    "bottom_right": Box(392, 382, 512, 512),
    "whole_frame": Box(-50, -50, 600, 600),
}


@pytest.mark.parametrize("where", list(EDGE_BOXES))
@pytest.mark.parametrize("rotation", [0, 90])
def test_label_band_on_screen_at_every_border(astro, surface, where, rotation) -> None:
    long = Label("n1", "lengthy " * 12, 0.5, (PERSON, *(["intermediate, category"] * 8)))
    for label in (LABEL, long, None):
        r = make(DisplayConfig(rotation=rotation), mirror=True)
        spin = SPIN if label is None else None
        r.draw(surface, FrameView(astro, faces=(FaceView(1, EDGE_BOXES[where], label, spin),)))
        bands = kinds(r, "band") + kinds(r, "wheel")
        assert len(bands) == 1
        band = bands[0]
        assert surface.get_rect().contains(band), (where, band)
        region = pixels(surface)[band.top : band.bottom, band.left : band.right]
        green = (region[..., 1] > 200) & (region[..., 0] < 60) & (region[..., 2] < 60)
        assert green.any()
        # Mostly black band behind green type.
        assert (region.sum(axis=2) == 0).mean() > 0.5
    if where == "bottom_right":
        save(surface, "edge_bottom_right")


def test_several_faces_bands_do_not_overlap(surface) -> None:
    frame = np.ascontiguousarray(np.tile(skimage.data.astronaut(), (2, 3, 1))[:720, :1280])
    faces = (
        FaceView(1, Box(140, 40, 260, 190), LABEL),
        FaceView(2, Box(652, 40, 772, 190), ASTRONAUT),
        FaceView(3, Box(140, 552, 260, 700), None, SPIN),
        FaceView(4, Box(1164, 552, 1280, 720), LABEL),
    )
    r = make(DisplayConfig(), mirror=False)
    r.draw(surface, FrameView(frame, faces=faces))
    save(surface, "4faces")
    bands = kinds(r, "band") + kinds(r, "wheel")
    assert len(bands) == 4
    for i, a in enumerate(bands):
        assert surface.get_rect().contains(a)
        for b in bands[i + 1 :]:
            assert not a.colliderect(b)


def test_the_wheel_turns_through_its_candidates_only(astro, surface) -> None:
    """The spinning band shows one of the face's real candidates at a time (issue 23: no
    random word, no dots), turning over time; a face with no scored crop has no band."""
    t = [0.0]
    r = make(clock=lambda: t[0])
    seen = []
    for step in range(24):
        t[0] = step / 24.0
        r.draw(surface, FrameView(astro, faces=(FaceView(1, FACE, None, SPIN),)))
        (band,) = kinds(r, "wheel")
        seen.append(pixels(surface)[band.top : band.bottom, band.left : band.right].tobytes())
    assert 1 < len(set(seen)) <= len(SPIN.candidates)
    each = set()
    for name in SPIN.candidates:  # what each candidate alone looks like on the wheel
        one = SpinView((name,), SPIN.progress, SPIN.started_at)
        r.draw(surface, FrameView(astro, faces=(FaceView(1, FACE, None, one),)))
        (band,) = kinds(r, "wheel")
        each.add(pixels(surface)[band.top : band.bottom, band.left : band.right].tobytes())
    assert set(seen) <= each
    r.draw(surface, FrameView(astro, faces=(FaceView(1, FACE, None, None),)))
    assert kinds(r, "wheel") == [] and kinds(r, "band") == []


def test_scene_label_top_left(astro, surface) -> None:
    r = make()
    r.draw(surface, FrameView(astro, scene_label=ASTRONAUT))
    save(surface, "scene")
    (rect,) = kinds(r, "scene")
    assert rect.left < 100 and rect.top < 100


def test_modes_differ_from_live(astro, surface) -> None:
    r = make()
    r.draw(surface, FrameView(astro, faces=(FaceView(1, FACE, LABEL),)))
    live = pixels(surface)
    r.draw(surface, FrameView(astro, mode="idle"))
    idle = pixels(surface)
    save(surface, "idle")
    r.draw(surface, FrameView(None, mode="idle"))
    idle_black = pixels(surface)
    r.draw(surface, FrameView(astro, mode="camera_unavailable"))
    unavailable = pixels(surface)
    save(surface, "unavailable")
    assert not np.array_equal(live, idle)
    assert not np.array_equal(live, unavailable)
    assert not np.array_equal(idle, unavailable)
    # Idle dims the camera image; without a frame it is black behind the text.
    assert idle.mean() < live.mean()
    assert idle_black[5, 5].sum() == 0
    # The calm screens have green type in the middle.
    mid = unavailable[500:580, 400:1500]
    assert ((mid[..., 1] > 200) & (mid[..., 0] < 60)).any()


def test_notice_line_at_bottom(astro, surface) -> None:
    r = make()
    for mode in ("live", "idle", "camera_unavailable"):
        r.draw(surface, FrameView(astro, mode=mode, notice=TextsConfig().demo_notice))
        (rect,) = kinds(r, "notice")
        assert rect.bottom > SIZE[1] - 80 and surface.get_rect().contains(rect)
        assert rect.height < 60


def test_topk_panel(astro, surface) -> None:
    view = FrameView(astro, faces=(FaceView(1, FACE, LABEL),))
    r = make()
    r.draw(surface, view)
    off = pixels(surface)
    assert not kinds(r, "why")
    assert r.toggle_topk() is True
    r.draw(surface, view)
    save(surface, "topk")
    (panel,) = kinds(r, "why")
    assert surface.get_rect().contains(panel)
    assert not np.array_equal(off, pixels(surface))
    assert not panel.colliderect(kinds(r, "band")[0])
    # Scene label gets its panel too; configured on from the start.
    r2 = make(DisplayConfig(show_topk=True, topk=3))
    r2.draw(surface, FrameView(astro, scene_label=LABEL))
    assert kinds(r2, "why")


def test_debug_overlay(astro, surface) -> None:
    debug = {"fps": "30.0", "latency": "41 ms", "faces": "1", "provider": "cpu"}
    r = make()
    assert r.debug_enabled is False
    r.draw(surface, FrameView(astro, debug=debug))
    assert not kinds(r, "debug")
    assert r.toggle_debug() is True and r.debug_enabled
    r.draw(surface, FrameView(astro, debug=debug))
    (rect,) = kinds(r, "debug")
    assert rect.right > SIZE[0] - 100 and rect.top < 100
    assert make(DisplayConfig(debug_overlay=True)).debug_enabled


def test_a_label_keeps_clear_of_the_debug_overlay(astro, surface) -> None:
    """Three faces in a row near the top: the third band, with no room below, goes above its
    face, into the top-right corner, where the technician's overlay is. It goes elsewhere."""
    debug = {"fps": "30.0", "frame p99": "36.2 ms", "detect": "20.9 ms", "classify": "85.9 ms",
             "faces": "3", "provider": "CPUExecutionProvider", "source": "video four.avi"}
    faces = tuple(FaceView(i + 1, Box(x, 120, x + 50, 170), LABEL)
                  for i, x in enumerate((330, 390, 450)))
    r = make(DisplayConfig(debug_overlay=True))
    r.draw(surface, FrameView(astro, faces=faces, debug=debug))
    (overlay,) = kinds(r, "debug")
    bands = kinds(r, "band")
    assert len(bands) == 3
    assert not any(band.colliderect(overlay) for band in bands), (bands, overlay)


DEGENERATE_FACES = (
    FaceView(1, Box(-500, -500, -400, -400), LABEL),  # entirely off-frame
    FaceView(2, Box(-50, 100, 60, 200), LABEL),  # partly off
    FaceView(3, Box(10, 10, 11, 11), LABEL),  # 1 px
    FaceView(4, Box(-100, -100, 5000, 5000), LABEL),  # bigger than the frame
    FaceView(5, Box(300, 300, 200, 200), None),  # reversed
    FaceView(6, Box(float("nan"), 0, 10, float("inf")), LABEL),
    FaceView(7, Box(5, 5, 5, 5), LABEL),  # empty
)
ODD_LABELS = (
    Label("n0", "", 0.0, ()),
    Label("n0", "x" * 3000, float("nan"), ("y" * 2000,) * 30, gloss="g" * 5000,
          other_breadcrumbs=((PERSON,) * 50,) * 10, topk=(("", -1.0), ("z" * 900, 7.0))),
    Label("n0", "null\x00byte\nnewline\u2028", 1.0, ("\x00",), topk=(("a", float("inf")),)),
    Label("n0", "\U0001f600 emoji \u4e2d\u6587", 0.5, (PERSON, "\ud800")),
)  # fmt: skip


def _degenerate_views(astro):
    frames = [
        None,
        np.zeros((1, 1, 3), np.uint8),
        np.zeros((3000, 4000, 3), np.uint8),
        astro[::3, ::-2],  # non-contiguous, negative stride
        astro[:, :, 0],  # grey
        np.dstack([astro, np.full(astro.shape[:2], 255, np.uint8)]),  # RGBA
        astro.astype(np.float32) / 255.0,
        np.zeros((0, 10, 3), np.uint8),
        np.zeros((7, 5, 3), np.uint16) + 999,
        np.zeros((2, 3, 3), bool),
    ]
    for frame in frames:
        yield FrameView(frame, faces=DEGENERATE_FACES, scene_label=ODD_LABELS[1], notice="n" * 900,
                        debug={"x" * 200: "y" * 300, "": ""})  # fmt: skip
    for label in ODD_LABELS:
        yield FrameView(astro, faces=(FaceView(1, FACE, label),), scene_label=label)
    yield FrameView(astro, mode="idle", notice="")
    yield FrameView(None, mode="camera_unavailable", debug={})
    yield FrameView(astro, mode="bogus")  # type: ignore[arg-type]


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_degenerate_inputs_do_not_raise(astro, rotation) -> None:
    pygame.display.init()
    display = DisplayConfig(rotation=rotation, show_topk=True, debug_overlay=True)
    for size in [SIZE, (1, 1), (200, 900), (3000, 200)]:
        r = Recording(size, display, TextsConfig(title="", idle_lines=[""] * 3), mirror=False)
        surface = pygame.Surface(size)
        for view in _degenerate_views(astro):
            r.draw(surface, view)
        assert all(
            surface.get_rect().contains(rect) or size == (1, 1) for _k, rect in r.layout.placed
        )


def test_text_cached_between_frames(astro, surface) -> None:
    r = make(DisplayConfig(show_topk=True))
    view = FrameView(astro, faces=(FaceView(1, FACE, LABEL),))
    r.draw(surface, view)
    misses = r.cards.misses
    for _ in range(5):
        r.draw(surface, view)
    assert r.cards.misses == misses


def test_annotate_still(astro) -> None:
    display = DisplayConfig(mirror=True, rotation=90)  # ignored for stills
    view = FrameView(astro, faces=(FaceView(1, FACE, LABEL),))
    out = annotate_still(view, display, TextsConfig())
    assert out.shape == astro.shape and out.dtype == np.uint8
    pygame.image.save(pygame.image.frombuffer(out.tobytes(), (512, 512), "RGB"),
                      "/tmp/render_still.png")  # fmt: skip
    # Box at the source coordinates themselves; no mirror, no rotation, no letterbox.
    assert tuple(out[115, 140]) == GREEN and tuple(out[40, 200]) == GREEN
    assert tuple(out[100, 200]) == tuple(astro[100, 200])  # inside the face: untouched
    assert tuple(out[480, 480]) == tuple(astro[480, 480])  # far away: untouched
    # No frame: a black image of the display size, still without error.
    blank = annotate_still(FrameView(None), DisplayConfig(width=64, height=48), TextsConfig())
    assert blank.shape == (48, 64, 3)
    tiny = annotate_still(FrameView(np.zeros((1, 1, 3), np.uint8), faces=(FaceView(1, FACE),)),
                          DisplayConfig(), TextsConfig())  # fmt: skip
    assert tiny.shape == (1, 1, 3)


def test_draws_on_display_surface(astro) -> None:
    pygame.display.init()
    screen = pygame.display.set_mode((1280, 720))
    r = Renderer((1280, 720), DisplayConfig(), TextsConfig(), mirror=True)
    r.strict = True
    r.draw(screen, FrameView(astro, faces=(FaceView(1, FACE, LABEL),)))
    b = ScreenMapping((512, 512), (1280, 720), 0, True).map_box(FACE)
    assert tuple(screen.get_at((round(b.x0), round((b.y0 + b.y1) / 2))))[:3] == GREEN


@pytest.mark.parametrize("use_opencv", [True, False])
def test_cover_fit_fills_screen_and_boxes_follow(astro, surface, use_opencv) -> None:
    frame = np.ascontiguousarray(astro[:384])  # 512x384, 4:3
    r = make(DisplayConfig(), fit="cover", use_opencv=use_opencv, mirror=True)
    r.draw(surface, FrameView(frame, faces=(FaceView(1, FACE, LABEL),)))
    got = pixels(surface)
    assert got[:, :5].sum() > 0 and got[:, -5:].sum() > 0  # no letterbox bars
    b = ScreenMapping((512, 384), SIZE, 0, True, "cover").map_box(FACE)
    assert tuple(got[round((b.y0 + b.y1) / 2), round(b.x0)]) == GREEN
    # Dimmed idle screen works on both paint paths too.
    r.draw(surface, FrameView(frame, mode="idle"))
    assert 0 < pixels(surface).mean() < got.mean()


@pytest.mark.parametrize("band_w", [300, 420, 560, 806])
def test_label_words_break_at_spaces_not_mid_word(astro, surface, band_w) -> None:
    """Issue 10 item 4: "corresponden / t, letter writer". The band wraps at spaces and commas;
    a word is broken (with a hyphen) only when it alone is wider than the band."""
    label = Label("n09967967", "correspondent, letter writer", 0.5, (PERSON, "communicator",
                  "writer, author", "correspondent, letter writer"))
    r = make(DisplayConfig(show_topk=True), mirror=False)
    r.draw(surface, FrameView(astro, faces=(FaceView(1, FACE, label),)))
    (band,) = kinds(r, "band")
    assert band.width > 0
    theme = Theme.for_size(SIZE)
    for px in (theme.label_px, round(theme.label_px * 0.68)):
        lines = r.cards.text.wrap(label.name, px, band_w, 3, balance=True)
        words = label.name.split()
        for line, nxt in zip(lines, lines[1:], strict=False):
            if line.endswith("-"):  # only a word wider than the whole band may break
                whole = line.split()[-1][:-1] + nxt.split()[0]
                assert r.cards.text.width(whole, px) > band_w, (lines, px)
            else:
                assert nxt.rstrip("\u2026").split()[0] in words, (lines, px)


def test_topk_names_wrap_instead_of_being_cut(astro, surface) -> None:
    """Issue 10 item 5: "musician, instrumentali…" although the panel had room to wrap."""
    from kiosk.plain_text import ELLIPSIS

    long_name = "musician, instrumentalist, player"
    label = Label("n10340312", long_name, 0.6, (PERSON, "musician, instrumentalist, player"),
                  topk=((long_name, 0.6), ("percussionist", 0.2), ("trumpeter, cornetist", 0.1)))
    short = Label("n10340312", "hornist", 0.6, (PERSON, "hornist"),
                  topk=(("hornist", 0.6), ("percussionist", 0.2), ("trumpeter, cornetist", 0.1)))
    heights = []
    for lab in (short, label):
        r = make(DisplayConfig(show_topk=True), mirror=False)
        r.draw(surface, FrameView(astro, faces=(FaceView(1, FACE, lab),)))
        (why,) = kinds(r, "why")
        heights.append(why.height)
        panel = pixels(surface)[why.top:why.bottom, why.left:why.right]
        assert panel.mean() < 80  # a dark card with text on it was drawn there
    assert heights[1] > heights[0]  # the long name took a second line
    theme_w = kinds(r, "why")[0].width
    wrapped = r.cards.text.wrap(long_name, 27, theme_w // 2, 3)
    assert not any(ELLIPSIS in line for line in wrapped)


def _ink_gaps(surface: pygame.Surface, threshold: int = 60) -> list[int]:
    """Widths of the blank columns between runs of ink, left to right."""
    ink = (pixels(surface).max(axis=2) > threshold).any(axis=0)
    edges = np.flatnonzero(np.diff(ink.astype(np.int8)))
    runs = list(zip(edges[1::2] + 1, edges[2::2] + 1, strict=False))  # (end of ink, next ink)
    return [int(b - a) for a, b in runs]


def test_idle_title_letters_are_evenly_spaced(surface) -> None:
    """Issue 10 item 7: "Roulet te". The bundled font's kerning widened "tt"; read the idle
    screen's title back and compare the gap between the two t's with its neighbours."""
    texts = TextsConfig(title="Roulette", idle_lines=[])
    r = Renderer(SIZE, DisplayConfig(), texts, mirror=False)
    r.strict = True
    r.draw(surface, FrameView(None, mode="idle"))
    got = pixels(surface)
    rows = np.flatnonzero((got.max(axis=2) > 60).any(axis=1))
    title = pygame.Surface((SIZE[0], int(rows.max() - rows.min() + 1)))
    title.blit(surface, (0, 0), pygame.Rect(0, int(rows.min()), SIZE[0], title.get_height()))
    gaps = _ink_gaps(title)
    assert len(gaps) == 7, gaps  # R o u l e t t e: eight glyphs
    e_t, t_t, t_e = gaps[4], gaps[5], gaps[6]
    assert t_t <= 1.5 * max(e_t, t_e) + 1, gaps


def _table_of_five() -> tuple[np.ndarray, list[Box]]:
    """Five real faces around a table (astronaut, camera man, Grace Hopper, and the first two
    again mirrored) on a 1920x1080 frame: three across the back, two in front."""
    import cv2
    import matplotlib.cbook

    hopper = skimage.io.imread(matplotlib.cbook.get_sample_data("grace_hopper.jpg",
                                                                asfileobj=False))
    heads = [
        skimage.data.astronaut()[40:300, 110:340],
        np.dstack([skimage.data.camera()[20:260, 180:400]] * 3),
        np.ascontiguousarray(hopper[40:340, 170:420]),
    ]
    heads += [np.ascontiguousarray(heads[0][:, ::-1]), np.ascontiguousarray(heads[1][:, ::-1])]
    frame = np.full((1080, 1920, 3), 30, np.uint8)
    spots = [(420, 100), (840, 100), (1260, 100), (630, 420), (1050, 420)]
    boxes = []
    for head, (x, y) in zip(heads, spots, strict=True):
        tile = cv2.resize(head, (230, 260))
        frame[y:y + 260, x:x + 230] = tile
        boxes.append(Box(x + 35, y + 30, x + 195, y + 220))
    return frame, boxes


def test_each_label_touches_its_own_face_and_covers_no_other(surface) -> None:
    """Issue 10 item 3: in a photo of five people, bands sat between two faces and covered
    others. Each band must touch its own box (or be joined to it by a drawn line), and cover
    no other face and no other band when there is room."""

    frame, boxes = _table_of_five()
    labels = [LABEL, ASTRONAUT, LABEL, ASTRONAUT, LABEL]
    view = FrameView(frame, faces=tuple(
        FaceView(i + 1, box, label) for i, (box, label) in enumerate(zip(boxes, labels,
                                                                        strict=True))))
    r = make(DisplayConfig(), mirror=False)
    r.draw(surface, view)
    save(surface, "table_of_five")
    got = pixels(surface)
    assert len(r.layout.bands) == 5
    drawn_boxes = [box for _tid, box, _band in r.layout.bands]
    bands = [band for _tid, _box, band in r.layout.bands]
    for tid, box, band in r.layout.bands:
        others = [b for b in drawn_boxes if b is not box]
        assert band.collidelist(others) == -1, f"label of face {tid} covers another face"
        assert band.collidelist([b for b in bands if b is not band]) == -1
        touching = band.inflate(2, 2).colliderect(box)
        if not touching:  # joined by a green line: its middle is green on the screen
            from kiosk.render.layout import leader_line

            (ax, ay), (bx, by) = leader_line(box, band)
            mid = got[(ay + by) // 2, (ax + bx) // 2]
            assert mid[1] > 200 and mid[0] < 80, f"face {tid}: band neither touches nor joined"


GAMBIST = Label("n10123844", "gambist", 0.3,
                (PERSON, "musician, instrumentalist, player", "gambist"),
                gloss="a musician who plays the viola da gamba")


def _band_height(r: Renderer, surface: pygame.Surface, view: FrameView) -> int:
    r.draw(surface, view)
    (band,) = kinds(r, "band")
    return band.height


def test_gloss_on_the_band_by_default_and_off_by_config(astro, surface) -> None:
    """Issue 30: the gloss shows under the label, above the breadcrumb, unless
    display.gloss is false; the scene's band has it too."""
    view = FrameView(astro, faces=(FaceView(1, FACE, GAMBIST),))
    on, off = make(), make(DisplayConfig(gloss=False))
    h_on, h_off = _band_height(on, surface, view), _band_height(off, surface, view)
    save(surface, "gloss_off")
    theme = Theme.for_size(surface.get_size())
    assert h_on - h_off >= theme.gloss_px  # one line of gloss
    on.draw(surface, view)
    save(surface, "gloss_on")
    (band,) = kinds(on, "band")
    soft = pixels(surface)[band.top:band.bottom, band.left:band.right]
    rows = np.nonzero((np.abs(soft.astype(int) - theme.soft).sum(axis=2) < 60).any(axis=1))[0]
    assert rows.size  # the gloss is drawn in the soft colour, between label and breadcrumb
    assert theme.label_px < rows.min() < rows.max() < band.height - theme.crumb_px
    on.draw(surface, FrameView(astro, scene_label=GAMBIST))
    off.draw(surface, FrameView(astro, scene_label=GAMBIST))
    assert kinds(on, "scene")[0].height > kinds(off, "scene")[0].height


def test_gloss_drops_out_in_a_crowd_before_the_breadcrumb_shortens(surface) -> None:
    """More faces than gloss_max_faces: no gloss, full bands; past the crowd: compact."""
    frame = np.zeros((1080, 1920, 3), np.uint8)
    faces = tuple(FaceView(i + 1, Box(60 + 300 * i, 60, 160 + 300 * i, 170), GAMBIST)
                  for i in range(6))
    alone = make(DisplayConfig(), mirror=False)
    h_gloss = _band_height(alone, surface, FrameView(frame, faces=faces[:1]))
    few = make(DisplayConfig(gloss_max_faces=1), mirror=False)
    few.draw(surface, FrameView(frame, faces=faces[:2]))
    (h_plain,) = {b.height for b in kinds(few, "band")}
    assert h_plain < h_gloss
    crowd = make(DisplayConfig(), mirror=False)
    crowd.draw(surface, FrameView(frame, faces=faces))
    assert max(b.height for b in kinds(crowd, "band")) < h_plain


def test_gloss_goes_before_the_compact_band_when_faces_crowd_it(surface) -> None:
    """Two faces one above the other with room for a band without gloss between them: the
    band loses its gloss, keeps its full breadcrumb, and covers no face."""
    frame = np.zeros((1080, 1920, 3), np.uint8)
    r = make(DisplayConfig(), mirror=False)
    plain = make(DisplayConfig(gloss=False), mirror=False)
    top = Box(0, 0, 1920, 150)  # faces as wide as the screen: nowhere beside them
    h_plain = _band_height(plain, surface, FrameView(frame, faces=(FaceView(1, top, GAMBIST),)))
    below = Box(0, 150 + h_plain + 24, 1920, 1080)  # room for the band without its gloss
    view = FrameView(frame, faces=(FaceView(1, top, GAMBIST), FaceView(2, below, None)))
    r.draw(surface, view)
    save(surface, "gloss_squeezed")
    (band,) = kinds(r, "band")
    assert band.height == h_plain
    assert not band.colliderect(kinds(r, "box")[1])
