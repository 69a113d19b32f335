"""Text from a label, a gloss or a config as one printable line: what the band draws and the
speech says (kiosk/render/text.py, kiosk/speech/policy.py), cleaned the same way."""

from __future__ import annotations

import re

ELLIPSIS = "\u2026"
MAX_TEXT_CHARS = 600  # beyond this nobody reads it; keeps wrapping cheap
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def clean_text(text: object) -> str:
    """A one-line printable string: control characters become spaces, length is bounded."""
    if text is None:
        return ""
    s = _CONTROL.sub(" ", str(text)).strip()
    # Lone surrogates cannot be encoded for the font renderer, nor sent to espeak-ng.
    s = s.encode("utf-8", "replace").decode("utf-8")
    if len(s) > MAX_TEXT_CHARS:
        s = s[: MAX_TEXT_CHARS - 1].rstrip() + ELLIPSIS
    return s
