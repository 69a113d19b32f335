"""The installer's YAML file as pydantic models: the one edge where settings enter the kiosk.

Every model forbids unknown keys, so a misspelt key is an error naming it rather than a
setting silently ignored. Paths are resolved against the project root unless absolute.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_PATH = PROJECT_ROOT / "config" / "kiosk.yaml"

ENV_CONFIG = "KIOSK_CONFIG"  # path of the YAML file, when no --config is given
ENV_SET = "KIOSK_SET"  # "key.sub=value;key.sub=value" overrides, applied before --set ones


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CameraConfig(_Strict):
    """Where frames come from. `auto` tries the camera and falls back to the bundled demo."""

    source: Literal["auto", "camera", "video", "image", "demo"] = Field(
        "auto", description="auto: camera if it opens, else the bundled demo source."
    )
    device: int | str = Field(
        0, description="Camera index (0 = /dev/video0) or a device path such as /dev/video2."
    )
    path: Path | None = Field(None, description="Video or image file for source video/image.")
    width: Annotated[int, Field(gt=0, le=7680)] = Field(1280, description="Requested width.")
    height: Annotated[int, Field(gt=0, le=4320)] = Field(720, description="Requested height.")
    fps: Annotated[float, Field(gt=0, le=240)] = Field(30.0, description="Requested frame rate.")
    reopen_interval_s: Annotated[float, Field(gt=0, le=60)] = Field(
        2.0, description="Seconds between attempts to reopen a camera that vanished."
    )
    read_timeout_s: Annotated[float, Field(gt=0, le=60)] = Field(
        2.0, description="No frame for this long marks the camera unavailable."
    )

    @model_validator(mode="after")
    def _path_for_files(self) -> CameraConfig:
        if self.source in ("video", "image") and self.path is None:
            raise ValueError(f"camera.path is required when camera.source is {self.source!r}")
        return self


class DisplayConfig(_Strict):
    """The screen: size, orientation and what technicians may see."""

    fullscreen: bool = Field(True, description="Full screen on the kiosk; windowed for testing.")
    width: Annotated[int, Field(gt=0, le=7680)] = Field(1920, description="Window width.")
    height: Annotated[int, Field(gt=0, le=4320)] = Field(1080, description="Window height.")
    rotation: Literal[0, 90, 180, 270] = Field(
        0, description="Clockwise rotation of the picture for portrait or upside-down screens."
    )
    mirror: bool | Literal["auto"] = Field(
        "auto",
        description="Mirror the picture: auto mirrors a live camera (as visitors expect) but not "
        "a video, image or the demo, whose text would read backwards; true or false forces it.",
    )
    target_fps: Annotated[float, Field(gt=0, le=240)] = Field(
        30.0,
        description="Display rate: a new camera frame or label is drawn as soon as it arrives "
        "(at most twice this rate); with nothing new the screen is redrawn at 2/3 of it.",
    )
    show_topk: bool = Field(False, description="Show the top-k panel with scores and the gloss.")
    gloss: bool = Field(
        True,
        description="Show the label's WordNet gloss on its band, under the label: whole where "
        "it fits three lines, else cut at a boundary of its language (worked out when the "
        "labels are built), while at most gloss_max_faces faces are labelled and where the "
        "band with it has a clear place.",
    )
    gloss_max_faces: Annotated[int, Field(ge=0, le=32)] = Field(
        4,
        description="Most faces on screen for which bands carry the gloss; with more it drops "
        "out, before the bands turn compact (more than 4 faces).",
    )
    topk: Annotated[int, Field(ge=1, le=10)] = Field(5, description="Rows in the top-k panel.")
    debug_overlay: bool = Field(False, description="Start with the debug overlay on (key D).")
    font_path: Path | None = Field(None, description="TTF font; default: pygame's bundled font.")
    require_screen: bool | Literal["auto"] = Field(
        "auto",
        description="What to do when no screen can be opened: true stops with one line naming "
        "the SDL video driver that failed (exit status 3, so systemd restarts it) and never "
        "reports ready; false runs headless (nothing is shown: right for a developer's "
        "terminal); auto is true under systemd (NOTIFY_SOCKET set) and false elsewhere. The "
        "unit sets true.",
    )


class DetectorConfig(_Strict):
    """MediaPipe face detection."""

    model: Literal["short_range", "full_range"] = Field(
        "short_range", description="short_range: within ~2 m; full_range: visitors up to ~5 m."
    )
    short_range_path: Path = Field(
        Path("models/face_detection_short_range.tflite"),
        description="MediaPipe model file used when model is short_range.",
    )
    full_range_path: Path = Field(
        Path("models/face_detection_full_range_sparse.tflite"),
        description="MediaPipe model file used when model is full_range.",
    )
    min_confidence: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        0.6, description="Faces below this detection score are ignored (0.5 lets the tiled "
        "short-range model box patches of clothing now and then)."
    )
    min_face_px: Annotated[int, Field(ge=1)] = Field(
        24, description="Faces smaller than this (in source pixels) are ignored."
    )
    max_faces: Annotated[int, Field(ge=1, le=32)] = Field(8, description="Most faces labelled.")
    max_width: Annotated[int, Field(ge=64)] = Field(
        640, description="Frames are downscaled to this width for detection (speed)."
    )
    search_tile_px: Annotated[int, Field(ge=0)] = Field(
        256, description="Side (source pixels, whatever the resolution) of the fine squares the "
        "full-range model searches for distant faces (~21-105 px), alternating with coarse "
        "squares 1.5 times as wide (~32-155 px), a few squares a frame in turn; nearer faces are "
        "found by one pass over the whole frame. Every face is then confirmed by the "
        "short-range model (confirm_min_confidence). 0: the old tiled pass only (faces under "
        "~100 px at 720p, ~150 px at 1080p are missed)."
    )
    search_tiles_per_frame: Annotated[int, Field(ge=1, le=16)] = Field(
        2, description="Squares searched each frame, coarse and fine in turn (each ~5 ms on one "
        "CPU core). 2 finds 95-100% of 40 px faces (a visitor ~3 m away) within 1/3 s, 1 only "
        "85-92% (docs/speed.md); 1 spares a busy 2-core machine ~5 ms a frame."
    )
    search_motion_weight: Annotated[float, Field(ge=0.0)] = Field(
        100.0, description="Squares are searched in order of frames since last searched x (1 + "
        "this x the share of the square that moved since last frame, faces already found left "
        "out): visitors move, walls do not, so a newcomer is found sooner, and no square waits "
        "forever. 0: plain turns."
    )
    search_yields_to_labels: bool = Field(
        True, description="While a newcomer's crops are being scored (at most 1.5 s), no "
        "square is searched, which leaves those ~10 ms a frame of CPU to the classifier; near "
        "faces, and faces already found, are still detected."
    )
    detect_every_while_labelling: Annotated[int, Field(ge=1, le=6)] = Field(
        3, description="While a newcomer's crops are being scored (at most 1.5 s), detection "
        "looks at one camera frame in this many; every frame is still drawn, and the boxes "
        "follow their faces in between. 3: four newcomers at 1080p land their labels 9-14 ms "
        "after the spin's designed length instead of 58-76 ms (docs/speed.md). 1: every frame."
    )
    search_min_confidence: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        0.4, description="Score a face found in a search square needs to be looked at again "
        "(low: the confirmation weeds out the full-range model's false finds)."
    )
    confirm_min_confidence: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        0.75, description="With the search on, a new face (found by any pass) or a face of last "
        "frame that no pass found again is kept only if the short-range model, shown a square "
        "about 3.3 faces wide around it, scores it at least this."
    )
    confirm_frames: Annotated[int, Field(ge=1, le=5)] = Field(
        2, description="With the search on, a new face gets its box once it has been confirmed "
        "in this many frames running (2: one frame, 33 ms, later; a texture the short-range "
        "model takes for a face in one frame never gets a box). Stills need one."
    )
    follow_faces: bool = Field(
        True, description="Look again around every face of last frame that no pass found "
        "again, so a distant face found once in a square stays found every frame (needs "
        "search_tile_px)."
    )


class TrackerConfig(_Strict):
    """Keeps one identity, and so one label, per visitor while they stay."""

    iou_match: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.25, description="Minimum overlap for a face to continue a track."
    )
    max_missing_s: Annotated[float, Field(gt=0)] = Field(
        2.0, description="A face the detector misses keeps its track, box and label this long "
        "while the picture under its box still shows it (see still_there_similarity); a hidden "
        "face (gone from the picture, or behind a passer-by) keeps its track and label this "
        "long, without a box, and gets both back if it shows again (same_face_similarity).",
    )
    still_there_similarity: Annotated[float, Field(ge=-1.0, le=1.0)] = Field(
        0.6, description="In every frame and when the detector misses a face, its last "
        "appearance is searched for around its box (normalised correlation); at least this -> "
        "still there, the box follows it; below -> not in the picture, the box is hidden at once.",
    )
    same_face_similarity: Annotated[float, Field(ge=-1.0, le=1.0)] = Field(
        0.6, description="A face detected near a hidden track is that visitor back (same track, "
        "same label, no new spin) when its appearance correlates at least this much with theirs; "
        "below -> a newcomer. Measured 2026-12-06: the same person 0.6 s apart 0.56-0.85 (p10 "
        "0.71), two portraits of different people p50 0.31, p90 0.63 (docs/speed.md).",
    )
    respin_after_s: Annotated[float, Field(ge=0)] = Field(
        0.0, description="Re-label a person who stays this long; 0 keeps one label while they stay."
    )
    smoothing: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        0.75, description="How much of a box a new detection keeps of the old (0 = raw "
        "detections, closer to 1 = steadier). Boxes follow their faces between detections, so "
        "smoothing calms the detector's jitter without making them lag (docs/speed.md)."
    )


class ClassifierConfig(_Strict):
    """The person-subtree model."""

    model_dir: Path = Field(Path("models/person_effnet"), description="Folder with model+manifest.")
    gpu_model_dir: Path | None = Field(
        Path("models/person_steady"), description="The model used instead when a GPU provider "
        "loads: the same backbone and prior with six views at two scales, steadier labels for "
        "1.8x the backbone's work (on an H200 first labels still within 35 ms, but the 1080p "
        "display dipped to 25-29 fps there; on 2 CPU cores too slow for first labels). "
        "Built from model_dir by scripts/setup.sh; null: model_dir everywhere "
        "(docs/speed.md, On a GPU).")
    providers: list[Literal["tensorrt", "cuda", "cpu"]] = Field(
        ["tensorrt", "cuda", "cpu"], description="Execution providers in order of preference."
    )
    crop_padding: Annotated[float, Field(ge=0.0, le=3.0)] = Field(
        1.0, description="Padding around the face box on every side, as a fraction of its "
        "size: the crop the model sees is three faces wide (head, hair, collar). The prior is "
        "fitted at this padding (scripts/modelbuild/fit_prior.py); 0.6 until 2026-12-01 made "
        "labels tip with a 5% shift of the box (docs/labels.md)."
    )
    batch_size: Annotated[int, Field(ge=1, le=64)] = Field(8, description="Crops per batch.")
    cpu_batch_size: Annotated[int, Field(ge=1, le=64)] = Field(
        1, description="Crops per batch when the model runs on the CPU, where batching saves "
        "next to nothing and makes every newcomer wait for the slowest crop of the batch."
    )
    workers: Annotated[int, Field(ge=0, le=16)] = Field(
        0, description="Threads that classify crops side by side; 0: two when the model runs on "
        "the CPU (two newcomers' crops at once, one core each), one on a GPU (which batches)."
    )
    nice: Annotated[int, Field(ge=0, le=19)] = Field(
        10, description="Nice value of the classification threads: labels take the CPU the "
        "picture (drawing, decoding, detection) leaves, so a label comes later rather than a "
        "frame being dropped. 0: the same priority as the picture.")
    threads: Annotated[int, Field(ge=0, le=64)] = Field(
        0, description="CPU threads for onnxruntime per worker; 0: all cores but two (for the "
        "display and the reader's decoding and face detection) shared by the CPU workers, at "
        "least one."
    )
    verify_checksum: bool = Field(True, description="Check the model's sha256 at start.")


class SpinConfig(_Strict):
    """One label that lands (classify/spin.py): a visitor's label is the mean scores of several
    crops from different frames; meanwhile the band spins through the real top candidates."""

    crops: Annotated[int, Field(ge=1, le=64)] = Field(
        10, description="Crops (from different frames) whose mean scores give a visitor's "
        "label; more: steadier labels (eval_labels visitor_keep: 0.77 / 0.82 / 0.85 / 0.86 "
        "with 4 / 6 / 8 / 10, docs/labels.md), later landings.")
    crop_interval_s: Annotated[float, Field(ge=0.0, le=2.0)] = Field(
        0.07, description="Least time between two crops of one visitor, so they come from "
        "different frames.")
    min_s: Annotated[float, Field(ge=0.0, le=10.0)] = Field(
        1.0, description="The spin's designed length: a label lands no sooner, even when its "
        "crops are in (four newcomers' 40 crops take about this long on 2 cores).")
    max_s: Annotated[float, Field(gt=0.0, le=30.0)] = Field(
        2.5, description="A label lands by then with the crops it has (at least one), so a "
        "slow host still lands labels.")
    candidates: Annotated[int, Field(ge=1, le=20)] = Field(
        5, description="How many of the face's current top candidates the wheel shows.")

    @model_validator(mode="after")
    def _max_after_min(self) -> SpinConfig:
        if self.max_s < self.min_s:
            raise ValueError(f"max_s ({self.max_s}) must be at least min_s ({self.min_s})")
        return self


class CalibrationConfig(_Strict):
    """The kiosk learns its own room (kiosk/classify/calibration.py): per-synset running
    statistics of its visitors' scores, blended with the shipped prior. Aggregate numbers only
    (a count and two vectors of the model's class count, a fixed-size file), nothing saved
    before 20 visitors; `kiosk calibration show|reset`."""

    enabled: bool = Field(True, description="Learn the room; false: the shipped prior only, "
                          "nothing kept.")
    path: Path | None = Field(
        None, description="The calibration file; null: site-calibration.bin in the service's "
        "state folder (systemd StateDirectory, /var/lib/roulette-kiosk) or, outside systemd, "
        "$XDG_STATE_HOME/roulette-kiosk.")
    prior_weight: Annotated[float, Field(gt=0.0, le=100000.0)] = Field(
        100.0, description="How many visitors the shipped prior counts as in the blend: after "
        "this many visitors the room weighs as much as the shipped faces.")
    save_interval_s: Annotated[float, Field(ge=1.0, le=86400.0)] = Field(
        60.0, description="Seconds between saves while visitors come (and once at exit).")


class VocabularyConfig(_Strict):
    """Which labels may be shown. Filtering renormalises over what remains."""

    policy: Literal["full", "non_offensive", "no_identity"] = Field(
        "full",
        description="full: every label the model outputs (the 2019 vocabulary); "
        "non_offensive: drop synsets WordNet marks as derogatory or offensive; "
        "no_identity: non_offensive, and drop labels whose only content is a race, ethnicity, "
        "nationality, religion, sexual orientation or sex (wordnet_labels/README.md).",
    )
    allow_file: Path | None = Field(None, description="File of wnids to keep (one per line).")
    deny_file: Path | None = Field(None, description="File of wnids never to show.")
    labels_dir: Path = Field(Path("wordnet_labels"), description="Built taxonomy data.")
    language: str = Field(
        "en",
        description="ISO 639-1 language of the labels: en, or one offered in "
        "wordnet_labels/translations/ (es, fr, it, ro). The big label is the translation, "
        "English smaller beneath it; the breadcrumb is translated step by step; a synset with "
        "no translation shows English. The vocabulary policy applies unchanged.",
    )

    @field_validator("language")
    @classmethod
    def _offered_language(cls, value: str) -> str:
        from kiosk.labels.translation import LOOKED_AT, OFFERED

        if value == "en" or value in OFFERED:
            return value
        if value in LOOKED_AT:
            raise ValueError(
                f"{value!r} is looked at but not offered (kiosk label --coverage says why); "
                f"offered: en, {', '.join(OFFERED)}")
        raise ValueError(f"unknown language {value!r}: one of en, {', '.join(OFFERED)} "
                         "(ISO 639-1)")


class SceneConfig(_Strict):
    """No face: classify the whole scene; nobody for long: the idle screen."""

    no_face_after_s: Annotated[float, Field(ge=0)] = Field(
        1.5, description="Seconds without a face before the whole scene is labelled."
    )
    idle_after_s: Annotated[float, Field(ge=0)] = Field(
        30.0, description="Seconds without a face before the idle screen explains the work."
    )
    scene_relabel_s: Annotated[float, Field(gt=0)] = Field(
        5.0, description="How often the whole-scene label is refreshed."
    )
    idle_motion_threshold: Annotated[float, Field(ge=0)] = Field(
        6.0, description="Mean pixel change (0-255) that counts as somebody moving."
    )


class TextsConfig(_Strict):
    """Words on screen, editable per exhibition and language."""

    title: str = Field("ImageNet Roulette", description="Title shown on the idle screen.")
    idle_lines: list[str] = Field(
        [
            "Step closer. A neural network trained on ImageNet will label you",
            "with one of the 2,832 'person' categories ImageNet took from WordNet.",
            "The labels are often absurd, and some are cruel: that is the point of the work.",
            "No image of you is stored or sent anywhere.",
        ],
        description="Lines of the idle screen that explains the work.",
    )
    camera_unavailable: str = Field(
        "Camera unavailable: please wait, reconnecting.",
        description="Shown while the camera is gone and being reopened.",
    )
    demo_notice: str = Field(
        "No camera found: showing the demo source.",
        description="Shown when source auto fell back to the demo.",
    )
    scene_prefix: str = Field("Scene:", description="Prefix of the whole-scene label.")


class CaptureConfig(_Strict):
    """Off by default: nothing derived from a visitor's image is written anywhere."""

    enabled: bool = Field(False, description="Write annotated frames to `folder` (key C).")
    folder: Path | None = Field(
        None,
        description="Absolute folder where captures go, required when enabled "
        "(under the systemd unit: /var/lib/roulette-kiosk/captures).",
    )
    interval_s: Annotated[float, Field(gt=0)] = Field(
        10.0, description="Least time between automatic captures."
    )
    max_files: Annotated[int, Field(ge=1)] = Field(
        1000,
        description="Capturing stops (with a log warning) once the folder holds this many "
        "captures; nothing is ever deleted.",
    )

    @field_validator("folder")
    @classmethod
    def _folder_absolute(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_absolute():
            raise ValueError("capture.folder must be an absolute path")
        return value

    def model_post_init(self, __context: Any) -> None:
        if self.enabled and self.folder is None:
            raise ValueError("capture.enabled is true but capture.folder is not set")


class ServiceConfig(_Strict):
    """Operations: health, metrics and the systemd watchdog."""

    metrics_interval_s: Annotated[float, Field(gt=0)] = Field(
        60.0, description="How often fps, latency, faces, provider and RSS go to the log."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Least severity written to the log (journald under systemd)."
    )
    health_file: Path | None = Field(
        None, description="Optional JSON health file (e.g. /run/roulette-kiosk/health.json)."
    )
    health_interval_s: Annotated[float, Field(gt=0)] = Field(
        5.0, description="How often the health file (and the Prometheus textfile) is rewritten."
    )
    prometheus_textfile: Path | None = Field(
        None, description="Also write the health numbers in Prometheus text format to this "
        "file, for node_exporter's textfile collector (e.g. "
        "/var/lib/prometheus/node-exporter/roulette-kiosk.prom; the name must end in .prom). "
        "Under systemd, systemd/install.sh lets the unit write only to its folder "
        "(systemd/README.md). null: off."
    )
    failure_alert_count: Annotated[int, Field(ge=1)] = Field(
        5, description="Consecutive failures of one component (source, detect, classify, "
        "render, calibration) after which it is reported failing (health file, Prometheus, "
        "doctor)."
    )
    failing_after_s: Annotated[float, Field(gt=0)] = Field(
        10.0, description="A component that keeps failing, without one success, for this long "
        "is reported failing, however slowly its failures come (a camera gone, a calibration "
        "save once a minute)."
    )
    watchdog_render_failures: Annotated[int, Field(ge=1)] = Field(
        90, description="Frames in a row that fail to draw (a black screen) after which the "
        "kiosk stops its systemd watchdog pings, so systemd restarts it (WatchdogSec later)."
    )
    deny_network: bool = Field(
        True, description="Deny the kiosk process internet sockets (seccomp), native libraries "
        "included: MediaPipe otherwise tries to reach Google for usage logging."
    )

    @field_validator("prometheus_textfile")
    @classmethod
    def _prom_suffix(cls, value: Path | None) -> Path | None:
        if value is not None and value.suffix != ".prom":
            raise ValueError("service.prometheus_textfile must end in .prom (node_exporter's "
                             "textfile collector reads only *.prom files)")
        return value


class HoursConfig(_Strict):
    """Opening hours: systemd timers start and stop the kiosk (or blank its screen) at these
    times. Applied to systemd by `sudo systemd/install.sh --hours` (systemd/README.md)."""

    open: list[str] = Field(
        [], description="When the kiosk opens: systemd calendar expressions (man systemd.time; "
        "check one with `systemd-analyze calendar`), e.g. [\"Tue..Sun 10:00\"] or "
        "[\"Mon..Fri 09:30\", \"Sat,Sun 11:00\"], in the machine's time zone. Empty (the "
        "default): always on, no timers.",
    )
    close: list[str] = Field(
        [], description="When it closes, the same way, e.g. [\"Tue..Sun 18:00\"]; set both or "
        "neither.",
    )
    when_closed: Literal["stop", "blank"] = Field(
        "stop", description="stop: the kiosk stops at closing and starts at opening (a machine "
        "booted while closed stays dark until opening). blank: it keeps running and the X "
        "server switches the screen off and on (DPMS; needs the kiosk on an Xorg server, not "
        "the default cage, whose Xwayland has no DPMS).",
    )

    @field_validator("open", "close", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("open", "close")
    @classmethod
    def _one_line_each(cls, value: list[str]) -> list[str]:
        for expression in value:
            if not expression.strip() or any(ord(ch) < 32 for ch in expression):
                raise ValueError(f"{expression!r}: a calendar expression is one non-empty line")
        return [expression.strip() for expression in value]

    @model_validator(mode="after")
    def _both_or_neither(self) -> HoursConfig:
        if bool(self.open) != bool(self.close):
            raise ValueError("hours.open and hours.close must be set together (or both empty)")
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.open)


class AudioConfig(_Strict):
    """Speech (kiosk/speech/): each visitor's label said aloud once, when it lands, for
    visitors who cannot read the screen. Off by default. Synthesised offline by espeak-ng, in
    memory, and played through SDL audio on a thread of its own: nothing is recorded and no
    audio is written to disk (docs/operations.md, "Speech")."""

    speak: bool = Field(
        False, description="Say each newcomer's label once, when it lands, in "
        "vocabulary.language (its first words: the label's first name); never again while the "
        "visitor stays. Silent outside opening hours when hours are set.")
    speak_gloss: bool = Field(
        False, description="Also say the gloss the band shows (its two-second cut, "
        "kiosk/labels/gloss.py), after the label, in the gloss's own language.")
    volume: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        0.8, description="Playback volume, 0 (silent) to 1 (full scale); the amplifier or "
        "`alsamixer` sets the room's loudness.")
    device: str | None = Field(
        None, description="Output device: with the alsa driver an ALSA PCM name as `aplay -L` "
        "lists them (e.g. plughw:CARD=Headphones,DEV=0, or default:CARD=Device for a USB "
        "sound card); with another driver an SDL device name. null: the system's default "
        "output.")
    driver: Literal["auto", "alsa", "pulseaudio", "pipewire", "dummy"] = Field(
        "auto", description="SDL audio driver (it sets SDL_AUDIODRIVER for the kiosk): auto "
        "takes SDL_AUDIODRIVER from the environment when it is set (tests, a developer's "
        "desktop), else alsa (the service's own, with no sound server). dummy: plays "
        "nothing. With speak off no sound device is opened at all.")
    voice: str | None = Field(
        None, description="espeak-ng voice instead of vocabulary.language's (`espeak-ng "
        "--voices` lists them), e.g. en-us; null: the language's own voice (en, es, fr, it, "
        "ro).")
    words_per_minute: Annotated[int, Field(ge=80, le=450)] = Field(
        150, description="Speaking rate (espeak-ng -s; espeak-ng's own default is 175): a "
        "little slower carries better in a gallery.")
    max_wait_s: Annotated[float, Field(gt=0.0, le=30.0)] = Field(
        3.0, description="A label not begun this many seconds after it landed is dropped, "
        "never said late: with several newcomers the newest is said first, one utterance at "
        "a time, and a crowd leaves no backlog.")

    @field_validator("device", "voice")
    @classmethod
    def _one_name(cls, value: str | None, info: Any) -> str | None:
        if value is None:
            return None
        value = value.strip()
        spaces = info.field_name == "voice"  # SDL's device names may hold spaces; voices not
        if not value or len(value) > 200 or any(
                ord(ch) < 32 or (spaces and ch.isspace()) for ch in value):
            raise ValueError("one name, at most 200 characters, no control characters"
                             + (" or spaces" if spaces else ""))
        return value


class KioskConfig(_Strict):
    """The whole installation, one YAML file."""

    camera: CameraConfig = CameraConfig()
    display: DisplayConfig = DisplayConfig()
    detector: DetectorConfig = DetectorConfig()
    tracker: TrackerConfig = TrackerConfig()
    classifier: ClassifierConfig = ClassifierConfig()
    spin: SpinConfig = SpinConfig()
    calibration: CalibrationConfig = CalibrationConfig()
    vocabulary: VocabularyConfig = VocabularyConfig()
    scene: SceneConfig = SceneConfig()
    texts: TextsConfig = TextsConfig()
    capture: CaptureConfig = CaptureConfig()
    service: ServiceConfig = ServiceConfig()
    hours: HoursConfig = HoursConfig()
    audio: AudioConfig = AudioConfig()

    def resolve(self, path: Path) -> Path:
        """Relative paths in the config are relative to the project root."""
        return path if path.is_absolute() else PROJECT_ROOT / path


class ConfigError(Exception):
    """A config problem, worded for an installer: file, key, value and what is allowed."""


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """The settings of the section that holds `loc` (for "unknown key" messages)."""
    model: Any = KioskConfig
    for part in loc[:-1]:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        sub = field.annotation if field is not None else None
        if not (isinstance(sub, type) and issubclass(sub, BaseModel)):
            return []
        model = sub
    return list(model.model_fields)


def _format_validation_error(source: str, error: ValidationError,
                             overridden: dict[str, str] | None = None) -> str:
    """One line per problem; a key set by `--set`/`KIOSK_SET` is named as that override, since
    the file is not where the installer has to look."""
    overridden = overridden or {}
    keys = [".".join(str(part) for part in item["loc"]) or "(top level)" for item in error.errors()]
    from_file = [k for k in keys if k not in overridden]
    lines = [f"{source}: invalid configuration" if from_file else "invalid configuration"]
    for key, item in zip(keys, error.errors(), strict=True):
        value = item.get("input")
        where = f"--set {overridden[key]}: " if key in overridden else ""
        if item["type"] == "extra_forbidden":
            allowed = _allowed_keys(tuple(item["loc"]))
            hint = f"; allowed here: {', '.join(allowed)}" if allowed else ""
            lines.append(f"  {where}{key}: unknown key (not a setting; check the spelling{hint})")
            continue
        lines.append(f"  {where}{key}: {item['msg']} (got {value!r})")
    return "\n".join(lines)


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    node = data
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"override {dotted}: {part} is not a section")
    node[parts[-1]] = value


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """`key.sub=value` strings (CLI --set or KIOSK_SET) parsed as YAML scalars."""
    data: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            raise ConfigError(f"override {pair!r}: expected key.sub=value")
        key, raw = pair.split("=", 1)
        _set_dotted(data, key.strip(), yaml.safe_load(raw))
    return data


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load_config(path: Path | None = None, overrides: list[str] | None = None) -> KioskConfig:
    """Read, merge overrides into, and validate the YAML file; raise ConfigError on any problem."""
    path = path or DEFAULT_CONFIG_PATH
    data: dict[str, Any] = {}
    if path.exists():
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: malformed YAML: {exc}") from exc
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: top level must be a mapping of sections")
        data = loaded
    elif path != DEFAULT_CONFIG_PATH:
        raise ConfigError(f"{path}: config file not found")
    if overrides:
        data = _merge(data, parse_overrides(overrides))
    try:
        return KioskConfig.model_validate(data)
    except ValidationError as exc:
        overridden = {
            pair.split("=", 1)[0].strip(): pair.strip() for pair in overrides or [] if "=" in pair
        }
        raise ConfigError(_format_validation_error(str(path), exc, overridden)) from exc


def env_overrides(environ: Mapping[str, str] | None = None) -> list[str]:
    """The `KIOSK_SET` overrides: `key.sub=value` pairs separated by semicolons."""
    raw = (os.environ if environ is None else environ).get(ENV_SET, "")
    return [part.strip() for part in raw.split(";") if part.strip()]


def config_path_from_env(
    cli_path: Path | str | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    """The file to read: `--config`, else `KIOSK_CONFIG`, else config/kiosk.yaml."""
    env = os.environ if environ is None else environ
    if cli_path:
        return Path(cli_path)
    if env.get(ENV_CONFIG):
        return Path(env[ENV_CONFIG])
    return DEFAULT_CONFIG_PATH


def load_config_from_env(
    cli_path: Path | str | None = None,
    cli_overrides: list[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> KioskConfig:
    """`load_config` with the environment: path from `--config` or `KIOSK_CONFIG`; overrides
    from `KIOSK_SET` first, then `--set`, so the command line wins over the environment."""
    path = config_path_from_env(cli_path, environ)
    overrides = env_overrides(environ) + list(cli_overrides or [])
    return load_config(path, overrides or None)


def _video_device(device: int | str) -> Path:
    return Path(f"/dev/video{device}") if isinstance(device, int) else Path(device)


def check_paths(cfg: KioskConfig) -> list[str]:
    """Files and devices the configuration names but that are missing, one message each.

    Run before the screen opens; an empty list means every path is there. Only what the
    configuration will use is checked: the selected detector model, the camera device only
    for `source: camera` (`auto` falls back to the demo by design), the video/image file only
    for those sources.
    """
    problems: list[str] = []

    def need(key: str, path: Path | None, kind: str = "file") -> None:
        if path is None:
            return
        full = cfg.resolve(path)
        if kind == "dir":
            ok = full.is_dir()
        elif kind == "device":
            ok = full.exists() and not full.is_dir()
        else:
            ok = full.is_file()
        if not ok:
            noun = "directory" if kind == "dir" else kind
            what = "not found" if not full.exists() else f"is not a {noun}"
            problems.append(f"{key}: {noun} {full} {what}")

    cam = cfg.camera
    if cam.source in ("video", "image"):
        need("camera.path", cam.path)
    if cam.source == "camera" and sys.platform.startswith("linux"):
        need("camera.device", _video_device(cam.device), "device")
    det = cfg.detector
    if det.model == "short_range":
        need("detector.short_range_path", det.short_range_path)
    else:
        need("detector.full_range_path", det.full_range_path)
    need("classifier.model_dir", cfg.classifier.model_dir, "dir")
    need("vocabulary.labels_dir", cfg.vocabulary.labels_dir, "dir")
    need("vocabulary.allow_file", cfg.vocabulary.allow_file)
    need("vocabulary.deny_file", cfg.vocabulary.deny_file)
    need("display.font_path", cfg.display.font_path)
    folder = cfg.capture.folder
    if cfg.capture.enabled and folder is not None and folder.exists() and not folder.is_dir():
        problems.append(f"capture.folder: {folder} exists but is not a directory")
    return problems
