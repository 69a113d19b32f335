"""The band glosses worked out when the labels are built: `wordnet_labels/band_glosses/
<language>.tsv`, one line per ImageNet person synset, `wnid<TAB>language<TAB>gloss` (the
language the gloss is in: the translation's own definition, or WordNet's English), so that
every gloss the band can show is in a file a curator can read (issue 36).

Written by scripts/modelbuild/build_wordnet_labels.py with `kiosk.labels.gloss.fit_gloss`
and the renderer's own font metrics (kiosk/render/band_text.py); read here, without pygame.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from kiosk.labels.taxonomy import DEFAULT_LABELS_DIR, LabelsError

BAND_DIR = "band_glosses"
FORMAT = "roulette-kiosk/band-glosses/1"
LANGUAGES = ("en", "es", "fr", "it", "pt", "ro")


def band_path(language: str, labels_dir: Path | None = None) -> Path:
    return Path(labels_dir or DEFAULT_LABELS_DIR) / BAND_DIR / f"{language}.tsv"


@lru_cache(maxsize=16)
def _load(path: Path) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return out  # an older labels folder: the band cuts at run time (gloss.band_gloss)
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelsError(f"{path}: unreadable band glosses: {exc}") from exc
    for number, line in enumerate(text.splitlines(), start=1):
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise LabelsError(f"{path}:{number}: not wnid<TAB>language<TAB>gloss")
        out[parts[0]] = (parts[1], parts[2])
    return out


def band_glosses(language: str, labels_dir: Path | None = None) -> dict[str, tuple[str, str]]:
    """wnid -> (the gloss's language, the gloss as the band shows it) for `language`'s
    kiosk ("en": WordNet's English); empty when the file is missing."""
    return _load(band_path(language, labels_dir).resolve())
