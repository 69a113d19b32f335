"""The gloss as the label band shows it: WordNet's definition cut to what a visitor reads in
about two seconds, at a clause boundary, never mid-word.

Why 64 characters: a gloss is plain prose ("a musician who plays the viola da gamba") read
by someone standing still; silent reading of easy text runs at about 250-300 words a minute,
4-5 words a second, so two seconds are 8-10 words, up to 11 for the short words glosses are
made of. The 2,832 ImageNet person glosses average 5.7 characters a word, spaces included:
11 words are 63 characters. At 64, 73% of those glosses show whole (77% once asides in
parentheses are dropped; the median gloss is 47 characters), in at most two lines of the
band, in lines 34 px high at 1080p (25 mm on a 65-inch screen: legible from 3 m).
Subtitling norms (17-20 characters a second, while also watching a picture) would allow
only 34-40; here the visitor has read the label and the gloss is all there is to read next.

Asides in parentheses are dropped first (no ellipsis: the definition is still whole). The
cut then prefers, in order, a semicolon, an opening parenthesis, a colon, a comma, then the
start of a relative clause ("who", "that", "which", "especially"...), keeping at least a
third of the limit (a half for the comma and the clause words); failing that, it ends on the
last whole content word (not "a", "of", "or"). A cut gloss ends with an ellipsis, so nobody
takes the fragment for the whole definition.
"""

from __future__ import annotations

import re

BAND_GLOSS_CHARS = 64
ELLIPSIS = "\u2026"

# Boundaries by strength: each pattern matches the text *after* which the cut falls
# (the cut is at the match's start; what matched is dropped).
_BOUNDARIES: tuple[re.Pattern[str], ...] = (
    re.compile(r";\s"),
    re.compile(r"\s\("),
    re.compile(r":\s"),
    re.compile(r",\s"),
    re.compile(r"\s(?=(?:who|whom|whose|that|which|where|when|while|especially|usually|"
               r"often|because|since|although)\s)"),
)
_ASIDE = re.compile(r"\s*\([^()]*\)")
_FUNCTION_WORDS = frozenset((
    "a", "an", "the", "of", "or", "and", "but", "nor", "by", "for", "to", "in", "on", "at",
    "with", "from", "as", "into", "than", "that", "who", "whose", "whom", "which", "his", "her",
    "its", "their", "one's",
))
_STRONG = 3  # the semicolon, parenthesis and colon may cut at a third; the rest at a half
_TRAILING = " ,;:-\u2014(" + ELLIPSIS


def band_gloss(gloss: str, max_chars: int = BAND_GLOSS_CHARS) -> str:
    """`gloss` whole if it fits in `max_chars`, else cut at the strongest clause boundary that
    keeps enough of it (the last such boundary), else at the last whole word; a cut
    gloss ends with an ellipsis (counted in `max_chars`). Never cuts inside a word."""
    text = " ".join(str(gloss or "").split())
    if len(text) <= max_chars:
        return text
    # Asides in parentheses go first ("(football) the player who...", "a person (usually a
    # psychologist...) who studies..."): what is left is still the whole definition.
    bare = " ".join(_ASIDE.sub(" ", text).split()).replace(" ,", ",").replace(" ;", ";")
    if bare and bare != text:
        text = bare
        if len(text) <= max_chars:
            return text
    room = max(1, max_chars - 1)  # the ellipsis takes one
    for i, pattern in enumerate(_BOUNDARIES):
        least = max(1, max_chars // 3 if i < _STRONG else max_chars // 2)
        cuts = [m.start() for m in pattern.finditer(text, 0, room + 2) if least <= m.start()
                <= room]
        if cuts:
            return _close(text[: cuts[-1]])
    head = text[: room + 1]
    space = head.rfind(" ")
    if space <= 0:  # one word longer than the limit: the word, whole (never cut inside it)
        word = text.split(" ", 1)[0]
        return word if word == text else word + ELLIPSIS
    return _close(head[:space])


def _close(head: str) -> str:
    head = head.rstrip(_TRAILING)
    kept = head.split(" ")  # a cut after "a", "of" or "or" reads as a mistake
    while len(kept) > 1 and kept[-1].lower() in _FUNCTION_WORDS:
        kept.pop()
    head = " ".join(kept).rstrip(_TRAILING)
    if head.count("(") > head.count(")"):  # an unclosed parenthesis: cut before it
        head = head[: head.rfind("(")].rstrip(_TRAILING)
    return head + ELLIPSIS
