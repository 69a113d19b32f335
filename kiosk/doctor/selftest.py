"""Can this host hold camera rate? A few seconds of the kiosk's real work on bundled frames.

The bundled demo's frames (real photographs, kiosk/sources/demo.py) at the configured camera
resolution, JPEG-encoded as an MJPG camera delivers them, go through what the kiosk does with
each camera frame: decode, the kiosk's own `Pipeline.step` (its FaceDetector called inline,
the tracker following the faces, the spins landing their labels) and the real renderer drawing
boxes and labels onto an off-screen pygame surface, paced at the camera's fps. Then the model's time
per crop (the kiosk's onnxruntime session and threads), and four newcomers' first labels:
four face crops handed at once to a ClassificationWorker set up as the kiosk sets it up, while
the frame loop keeps running, timed until the fourth label. A host that is slow (issue 21: an
AVX2-only EPYC took 34 ms a crop where the README's host took 16-22) shows here first.

Doctor runs it in a child process (`run_apart`) with internet sockets denied as `kiosk run`
denies them: MediaPipe reports usage once a detector has run, and doctor's own process must
stay as it was (kiosk/doctor/privacy.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from kiosk.config import KioskConfig
from kiosk.doctor.base import Check
from kiosk.hostinfo import HostInfo, host_info
from kiosk.sources.base import mirrors

if TYPE_CHECKING:
    from kiosk.classify.worker import ClassificationWorker
    from kiosk.pipeline import Pipeline
    from kiosk.render.renderer import Renderer
    from kiosk.views import FrameView

NEWCOMERS = 4  # visitors arriving together, as in bench_kiosk's 4-face cases
WAVES = 5  # newcomer waves timed; the figure is their median
STRETCH_FRAMES = 24  # consecutive demo frames taken from each scene with visitors
WARM_UP_MAX_S = 15.0  # the visitors' first labels land within this, or the test goes on
# the demo's two visitors (kiosk/sources/demo.py's SCENES): one stretch, so they stay tracked
SCENE_STARTS_S = (10.0,)
STEADY_S = 1.2  # seconds of paced frames timed with nothing else to do
CROP_RUNS = 15
LABEL_TARGET_CROPS = 4.5  # issue 21: the 4th of 4 first labels within 4.5 crops' time
LABEL_TIMEOUT_S = 10.0
RUN_APART_TIMEOUT_S = 120.0


def per_crop_ms(classify: Callable[[list[np.ndarray]], object], batch: Sequence[np.ndarray],
                runs: int, warmup: int = 3) -> np.ndarray:
    """Milliseconds per crop of `classify(batch)` over `runs` calls (batch time / its size),
    after `warmup` untimed calls. bench_classifier.py and bench_kiosk.py time crops this way."""
    crops = list(batch)
    for _ in range(warmup):
        classify(crops)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        classify(crops)
        times.append((time.perf_counter() - started) / len(crops))
    return np.asarray(times) * 1000.0


def newcomers_first_label_s(worker: ClassificationWorker, crops: Sequence[np.ndarray],
                            keep_drawing: Callable[[], None], tag: object = "selftest",
                            timeout_s: float = LABEL_TIMEOUT_S, per_visitor: int = 1,
                            min_s: float = 0.0) -> float:
    """Seconds from `len(crops)` newcomers arriving together to the last one's label landing,
    while `keep_drawing()` runs camera frames as the display would. Each newcomer's label is
    the mean of `per_visitor` crops (spin.crops), asked one at a time per newcomer, as the
    pipeline asks them; a label lands no sooner than `min_s` (the spin's designed length)."""
    started = time.monotonic()
    done = [0] * len(crops)
    landed = [0.0] * len(crops)
    deadline = started + timeout_s

    def ask(i: int) -> None:
        if not worker.submit((tag, i, done[i]), crops[i]):
            raise RuntimeError("the classification worker refused a crop (queue full)")

    for i in range(len(crops)):
        ask(i)
    while not all(n >= per_visitor for n in done):
        if time.monotonic() > deadline:
            missing = sum(per_visitor - n for n in done)
            raise TimeoutError(f"{missing} crops of {len(crops)} newcomers not back in "
                               f"{timeout_s:g} s")
        keep_drawing()
        for result in worker.drain():
            key = result.key
            if not (isinstance(key, tuple) and len(key) == 3 and key[0] == tag):
                continue
            if result.label is None:
                raise RuntimeError(f"classification failed: {result.error}")
            i = key[1]
            done[i] += 1
            if done[i] >= per_visitor:
                landed[i] = time.monotonic() - started
            else:
                ask(i)
    return max(min_s, max(landed))


def bundled_frames(width: int, height: int, fps: float) -> list[bytes]:
    """Demo frames with visitors in them, JPEG-encoded as an MJPG camera sends them."""
    import cv2

    from kiosk.sources.demo import DemoSource

    demo = DemoSource(width, height, fps, realtime=False)
    frames = []
    for start in SCENE_STARTS_S:
        for i in range(STRETCH_FRAMES):
            bgr = cv2.cvtColor(demo.compose(start + i / fps), cv2.COLOR_RGB2BGR)
            ok, jpeg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])
            if not ok:
                raise RuntimeError("OpenCV cannot encode JPEG")
            frames.append(jpeg.tobytes())
    return frames


@dataclass
class StageTimes:
    """Seconds per frame for each stage: decode, detect, follow (the rest of Pipeline.step:
    the tracker following the faces, the spins, the view) and draw."""

    decode: list[float] = field(default_factory=list)
    detect: list[float] = field(default_factory=list)
    follow: list[float] = field(default_factory=list)
    draw: list[float] = field(default_factory=list)

    def total(self) -> np.ndarray:
        return np.add(np.add(self.decode, self.detect), np.add(self.follow, self.draw))

    def picture(self) -> np.ndarray:
        """What a camera frame costs on its way to the screen: decode, follow and draw.
        Detection runs beside them on its own thread (kiosk/detect/loop.py)."""
        return np.add(np.add(self.decode, self.follow), self.draw)

    def clear(self) -> None:
        for times in (self.decode, self.detect, self.follow, self.draw):
            times.clear()


class FrameLoop:
    """Bundled frames through the kiosk's own frame path, one a step: decode, `Pipeline.step`
    (detection inline, as the kiosk without its detection thread), the renderer; paced at the
    camera's fps (a frame that takes longer than its period is followed at once, as a camera's
    next frame would be). The frames play forward then back, so the visitors move smoothly,
    stay the same tracks and keep the labels their spins landed."""

    def __init__(self, config: KioskConfig, frames: list[bytes], pipeline: Pipeline,
                 renderer: Renderer) -> None:
        import pygame

        self._frames = frames
        self._pipeline = pipeline
        self._renderer = renderer
        self._surface = pygame.Surface((config.camera.width, config.camera.height), 0, 32)
        self._padding = config.classifier.crop_padding
        self._period = 1.0 / config.camera.fps
        self._next_at = time.monotonic()
        self._index = 0
        self.times = StageTimes()
        self.view: FrameView | None = None  # what the last step drew
        self.crops: list[np.ndarray] = []  # padded face crops seen, as the kiosk would cut them

    def _next_jpeg(self) -> np.ndarray:
        n = len(self._frames)
        k = self._index % max(1, 2 * n - 2)  # 0 .. n-1, then n-2 .. 1: forward and back
        self._index += 1
        return np.frombuffer(self._frames[k if k < n else 2 * n - 2 - k], np.uint8)

    def step(self, paced: bool = True) -> None:
        import cv2

        from kiosk.sources.base import Frame

        jpeg = self._next_jpeg()
        started = time.perf_counter()
        image = cv2.cvtColor(cv2.imdecode(jpeg, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        decoded = time.perf_counter()
        now = time.monotonic()
        view = self._pipeline.step(Frame(self._index, image, now), now=now)
        stepped = time.perf_counter()
        self._renderer.draw(self._surface, view)
        drawn = time.perf_counter()
        detect_s = self._pipeline.timings.detect_s or 0.0
        self.times.decode.append(decoded - started)
        self.times.detect.append(detect_s)
        self.times.follow.append(max(0.0, stepped - decoded - detect_s))
        self.times.draw.append(drawn - stepped)
        self.view = view
        h, w = image.shape[:2]
        for face in view.faces:
            self.crops.append(face.box.padded(self._padding, w, h).crop(image).copy())
        del self.crops[:-2 * len(self._frames)]
        if paced:
            self._next_at += self._period
            delay = self._next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                self._next_at = time.monotonic()

    def labelled(self) -> bool:
        """Whether the last view showed faces, each with its landed label."""
        faces = self.view.faces if self.view is not None else ()
        return bool(faces) and all(face.label is not None for face in faces)

    def run_for(self, seconds: float) -> None:
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            self.step()


@dataclass(frozen=True)
class Figures:
    """What the self-test measured (milliseconds)."""

    host: HostInfo
    fps: float
    size: tuple[int, int]
    frame_p50: float
    frame_p95: float
    decode_p50: float
    detect_p50: float
    draw_p50: float
    frame_while_labelling_p95: float
    crop_p50: float
    provider: str
    workers: int
    threads: int
    first_label_p50: float  # the last of NEWCOMERS labels to land, median over WAVES
    first_label_max: float
    faces_found: bool
    seconds: float
    spin_min: float = 0.0  # the spin's designed length: a label lands no sooner
    spin_crops: int = 1  # crops whose mean scores make a visitor's label
    follow_p50: float = 0.0  # Pipeline.step less detection: tracking, spins, the view

    @property
    def label_wait(self) -> float:
        """The last newcomer's landing less the spin's designed length: what the host adds."""
        return max(0.0, self.first_label_p50 - self.spin_min)

    @property
    def budget(self) -> float:
        return 1000.0 / self.fps


def _pick(crops: list[np.ndarray], n: int) -> list[np.ndarray]:
    """`n` crops spread over those seen (different frames, visitors and sizes)."""
    return [crops[i * len(crops) // n] for i in range(n)]


def _ms(values: Sequence[float] | np.ndarray, q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000.0, q))


def measure(config: KioskConfig) -> Figures:
    """Run the self-test with the real detector, pipeline, renderer, model and worker (a few
    seconds)."""
    from kiosk.classify.loading import classifier_threads, classifier_workers, load_model_parts
    from kiosk.render.renderer import Renderer

    started = time.monotonic()
    cam = config.camera
    # the kiosk mirrors a live camera with `display.mirror: auto`: the frames stand in for one
    mirror = mirrors(config.display.mirror, live=cam.source in ("camera", "auto"))
    display = config.display.model_copy(update={"debug_overlay": False})
    renderer = Renderer((cam.width, cam.height), display, config.texts, mirror=mirror)
    frames = bundled_frames(cam.width, cam.height, cam.fps)
    parts = load_model_parts(config)
    try:
        with _frame_loop(config, frames, parts, renderer) as loop:
            # warm-up: MediaPipe's graphs, the fonts, and the visitors' spins landed, so the
            # steady frames are the kiosk's with its visitors labelled and nothing to classify
            until = time.monotonic() + WARM_UP_MAX_S
            while not loop.labelled() and time.monotonic() < until:
                loop.step(paced=False)
            faces_found = bool(loop.crops)
            crops = _pick(loop.crops, NEWCOMERS) if faces_found else _centre_crops(frames)
            loop.times.clear()
            loop.run_for(STEADY_S)
            steady = loop.times
            crop_ms = per_crop_ms(parts.classifier.predict_proba, crops[:1], CROP_RUNS)
            labelling, last_labels = _newcomer_waves(config, parts, crops, loop)
            provider = parts.classifier.provider
    finally:
        parts.close()
    on_cpu = provider == "CPUExecutionProvider"
    cls = config.classifier
    return Figures(
        host=host_info(), fps=cam.fps, size=(cam.width, cam.height),
        frame_p50=_ms(steady.picture(), 50), frame_p95=_ms(steady.picture(), 95),
        decode_p50=_ms(steady.decode, 50), detect_p50=_ms(steady.detect, 50),
        follow_p50=_ms(steady.follow, 50), draw_p50=_ms(steady.draw, 50),
        frame_while_labelling_p95=_ms(labelling.picture(), 95),
        spin_min=config.spin.min_s * 1000.0, spin_crops=config.spin.crops,
        crop_p50=float(np.percentile(crop_ms, 50)), provider=provider,
        workers=classifier_workers(cls.workers, on_cpu=on_cpu),
        threads=classifier_threads(cls.threads,
                                   workers=classifier_workers(cls.workers, on_cpu=True)),
        first_label_p50=_ms(last_labels, 50), first_label_max=_ms(last_labels, 100),
        faces_found=faces_found, seconds=time.monotonic() - started)


@contextlib.contextmanager
def _frame_loop(config: KioskConfig, frames: list[bytes], parts: Any,
                renderer: Renderer) -> Iterator[FrameLoop]:
    """A FrameLoop over the kiosk's own Pipeline, detector and classification worker (the
    worker labels the bundled visitors; the newcomer waves have a worker of their own)."""
    from kiosk.classify.loading import kiosk_worker
    from kiosk.detect import FaceDetector
    from kiosk.frame_path import frame_logic

    on_cpu = parts.classifier.provider == "CPUExecutionProvider"
    worker = kiosk_worker(config, parts.labeller.look, on_cpu=on_cpu)
    try:
        with FaceDetector.from_config(config) as detector:
            logic = frame_logic(config, detector.detect, worker, parts.labeller,
                                threaded=False, search_paused=detector.search_paused)
            yield FrameLoop(config, frames, logic.pipeline, renderer)
    finally:
        worker.close()


def _newcomer_waves(config: KioskConfig, parts: Any, crops: list[np.ndarray],
                    loop: FrameLoop) -> tuple[StageTimes, list[float]]:
    """WAVES waves of newcomers labelled by a worker set up as the kiosk's while the loop
    draws (the loop's own worker sits idle: its visitors are labelled): the frames drawn
    meanwhile, and each wave's first label in seconds."""
    from kiosk.classify.loading import kiosk_worker

    worker = kiosk_worker(config, parts.labeller.look,
                          on_cpu=parts.classifier.provider == "CPUExecutionProvider")
    labelling = StageTimes()  # frames drawn while newcomers' labels are worked out
    try:
        last_labels = []
        for wave in range(WAVES):
            loop.times = labelling
            last_labels.append(newcomers_first_label_s(
                worker, crops, loop.step, tag=("selftest", wave),
                per_visitor=config.spin.crops, min_s=config.spin.min_s))
            loop.times = StageTimes()
            for _ in range(3):  # the room settles between waves (not counted)
                loop.step()
    finally:
        worker.close()
    return labelling, last_labels


def _centre_crops(frames: list[bytes]) -> list[np.ndarray]:
    """No face found: the middle of each frame, so the model's figures still come."""
    import cv2

    out = []
    for jpeg in _pick([np.frombuffer(f, np.uint8) for f in frames], NEWCOMERS):
        image = cv2.cvtColor(cv2.imdecode(jpeg, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        h, w = image.shape[:2]
        side = min(h, w) // 3
        out.append(image[(h - side) // 2:(h + side) // 2, (w - side) // 2:(w + side) // 2].copy())
    return out


def judge(fig: Figures) -> list[Check]:
    """OK / WARN lines against the camera's frame budget (1 / camera.fps)."""
    budget, rate = fig.budget, f"{fig.fps:g} fps"
    w, h = fig.size
    checks = [Check("INFO", "selftest", f"{fig.host.describe()}; {fig.seconds:.1f} s on the "
                    f"demo's photographs at {w}x{h}, a {budget:.1f} ms frame at {rate}")]
    if not fig.faces_found:
        checks.append(Check("WARN", "selftest", "the detector found no face in the demo's "
                            "photographs: the figures below use the middle of the frames"))
    stages = {"decode": fig.decode_p50, "follow": fig.follow_p50, "draw": fig.draw_p50}
    slowest = max(stages, key=stages.__getitem__)
    detect_rate = min(fig.fps, 1000.0 / fig.detect_p50) if fig.detect_p50 > 0 else fig.fps
    frame = (f"decode+follow+draw p50 {fig.frame_p50:.1f} / p95 {fig.frame_p95:.1f} ms of a "
             f"{budget:.1f} ms budget (p50: decode {fig.decode_p50:.1f}, follow "
             f"{fig.follow_p50:.1f}, draw {fig.draw_p50:.1f}); detection beside it "
             f"{fig.detect_p50:.1f} ms a frame, up to "
             f"{detect_rate:.0f} times a second\nwhile {NEWCOMERS} newcomers' labels are "
             f"worked out: p95 {fig.frame_while_labelling_p95:.1f} ms")
    if fig.frame_p50 > budget:
        checks.append(Check("WARN", "frame", f"{frame}\ntoo slow for {rate}: {slowest} takes "
                            f"the most ({stages[slowest]:.1f} ms); the picture shows about "
                            f"{1000.0 / fig.frame_p50:.0f} frames a second and visitors see "
                            "it stutter"))
    elif fig.frame_p95 > budget:
        checks.append(Check("WARN", "frame", f"{frame}\nover 5% of frames miss the budget: "
                            "visitors see the picture jerk now and then"))
    elif fig.frame_while_labelling_p95 > budget:
        checks.append(Check("WARN", "frame", f"{frame}\nlabel work takes the CPU the picture "
                            "needs: visitors see it stutter while newcomers wait for labels"))
    elif detect_rate < fig.fps / 3:
        checks.append(Check("WARN", "frame", f"{frame}\ndetection is slow: boxes follow the "
                            "faces between detections, but newcomers are boxed later"))
    else:
        checks.append(Check("OK", "frame", frame))
    crop = (f"{fig.crop_p50:.1f} ms p50 on {fig.provider}, {fig.threads} onnxruntime "
            f"thread{'s' if fig.threads != 1 else ''}, {fig.workers} worker"
            f"{'s' if fig.workers != 1 else ''} ({fig.crop_p50 / budget:.2f} frames)")
    if fig.crop_p50 > budget:
        checks.append(Check("WARN", "crop", f"{crop}\nslower than a frame: every label takes "
                            "more than a frame to work out, and on few cores it takes CPU "
                            "the picture needs"))
    else:
        checks.append(Check("OK", "crop", crop))
    ratio = fig.label_wait / fig.crop_p50 if fig.crop_p50 > 0 else float("inf")
    label = (f"{NEWCOMERS} newcomers ({fig.spin_crops} crops each): the last label lands "
             f"after {fig.first_label_p50:.0f} ms p50, {fig.first_label_max:.0f} max of {WAVES}; "
             f"{fig.label_wait:.0f} ms beyond the spin's {fig.spin_min:.0f} ms "
             f"({ratio:.1f} crops' time)")
    if ratio > LABEL_TARGET_CROPS:
        checks.append(Check("WARN", "newcomers", f"{label}\nover {LABEL_TARGET_CROPS:g} crops' "
                            f"time beyond the spin: the {NEWCOMERS}th visitor's wheel turns "
                            f"{fig.label_wait:.0f} ms longer than designed; the cores are busy "
                            "with the picture or another process"))
    else:
        checks.append(Check("OK", "newcomers", label))
    return checks


def check_selftest(config: KioskConfig) -> list[Check]:
    """The self-test's lines for `kiosk doctor`."""
    return judge(measure(config))


_CHILD = "from kiosk.doctor.selftest import main\nraise SystemExit(main())\n"


def run_apart(config: KioskConfig) -> list[Check]:
    """The self-test's lines, measured in a child process (see the module docstring)."""
    try:
        proc = subprocess.run([sys.executable, "-c", _CHILD], input=config.model_dump_json(),
                              capture_output=True, text=True, timeout=RUN_APART_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return [Check("WARN", "selftest", f"did not finish in {RUN_APART_TIMEOUT_S:g} s: this "
                      "host is far too slow for the kiosk, or something hangs")]
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        why = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()[-1]
        return [Check("FAIL", "selftest", f"crashed (exit {proc.returncode}): {why}")]
    return [Check(**found) for found in json.loads(lines[-1])]


def main() -> int:
    """The child: a KioskConfig as JSON on stdin, the checks as one JSON line on stdout."""
    config = KioskConfig.model_validate_json(sys.stdin.read())
    if config.service.deny_network:  # a failure to deny is the privacy check's to report
        from kiosk.service.network_guard import deny_network_sockets

        deny_network_sockets()
    checks = check_selftest(config)
    print(json.dumps([dataclasses.asdict(c) for c in checks]), flush=True)
    return 0
