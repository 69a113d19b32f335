"""The gloss as the label band shows it: whole wherever it fits the band, else cut so that the
defining clause stays, at a boundary of its own language, never mid-word (issue 36).

The band glosses are worked out when the labels are built
(scripts/modelbuild/build_wordnet_labels.py, `fit_gloss` below, measured with the renderer's
own font at 1920x1080 for one face: up to three lines of the gloss's 34 px type in the band's
770 px) and written to `wordnet_labels/band_glosses/<language>.tsv`, so that every one can be
proof-read (`kiosk label --band --language LANG`); the kiosk shows them as written.

A gloss that does not fit is cut:

- asides in parentheses go first (no ellipsis: the definition is still whole);
- then the cut falls at the last boundary that fits, strongest first: a semicolon, a colon or
  an opening parenthesis (keeping at least a third), then a comma or the start of a clause of
  its language ("who", "che", "care", "que", "qui"...: keeping at least half);
- failing that, before a preposition, article or relative word of its language (the phrase
  before it is whole: "a member of a military force | who is..."), never before "and"/"or"
  (the last word might be an adjective of a pair: "national | or international
  organization"), and never inside a name ("Bank | of England");
- a cut never ends on a small word of its language ("a", "of", "sau", "de", "ale", "dell'"),
  and ends with an ellipsis, so nobody takes the fragment for the whole definition.

`band_gloss` (a character budget, English rules) is the fallback for a synset the build did
not cover; the band tables cover all 2,832 ImageNet person synsets, every label the model can
give.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from kiosk.plain_text import ELLIPSIS

BAND_GLOSS_CHARS = 64

# Words a shown gloss must never end on, by language: articles, prepositions (and their
# contractions with the article), conjunctions, relative and other function words. Not the
# possessives that follow their noun ("prosperitatea ei", "casa lui", "la casa loro").
SMALL_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset((
        "a", "an", "the", "of", "or", "and", "but", "nor", "by", "for", "to", "in", "on", "at",
        "with", "from", "as", "into", "than", "that", "who", "whose", "whom", "which", "his",
        "her", "its", "their", "one's", "is", "are", "was", "were", "be", "been", "has", "have",
        "not", "some", "any", "such", "this", "these", "those", "very", "more", "most", "other",
        "especially", "usually", "often", "about", "over", "under", "upon", "without", "whose",
        "where", "when", "while", "if", "so", "e.g.", "i.e.", "no", "who's", "your",
        "my", "our", "each", "every", "between", "through", "after", "before", "during",
    )),
    "it": frozenset((
        "il", "lo", "la", "i", "gli", "le", "l'", "un", "uno", "una", "un'", "di", "del",
        "dello", "della", "dei", "degli", "delle", "dell'", "d'", "a", "al", "allo", "alla",
        "ai", "agli", "alle", "all'", "da", "dal", "dallo", "dalla", "dai", "dagli", "dalle",
        "dall'", "in", "nel", "nello", "nella", "nei", "negli", "nelle", "nell'", "con", "col",
        "coi", "su", "sul", "sullo", "sulla", "sui", "sugli", "sulle", "sull'", "per", "tra",
        "fra", "e", "ed", "o", "od", "ma", "che", "chi", "cui", "non", "si", "se", "come",
        "più", "molto", "suo", "sua", "suoi", "sue", "questo", "questa", "quello",
        "quella", "ogni", "altro", "altra", "è", "sono", "ha", "hanno", "essere", "ne", "ci",
        "quale", "quali", "verso", "senza", "sopra", "sotto", "dopo", "prima",
        "quell'", "quest'", "sull'", "c'", "s'", "n'", "nessun", "qualche",
    )),
    "ro": frozenset((
        "un", "o", "unui", "unei", "unor", "niște", "de", "la", "în", "pe", "cu", "din", "prin",
        "pentru", "despre", "spre", "fără", "sub", "după", "între", "către", "și", "sau",
        "ori", "dar", "iar", "că", "care", "ce", "cel", "cea", "cei", "cele", "celui", "celei",
        "celor", "al", "a", "ai", "ale", "se", "nu", "mai", "foarte",
        "este", "sunt", "e", "are", "au", "fi", "să", "ca", "decât", "până", "așa",
        "își", "îi", "îl", "le", "li", "ne", "vă", "cum", "unde", "când", "dacă",
        "asupra", "față", "pentru", "fiecare", "alt", "altă", "alte", "acest", "această",
        "aceste", "acești", "acel", "acea", "cărui", "cărei", "căror", "sau", "ș.a.",
    )),
    "es": frozenset((
        "el", "la", "los", "las", "lo", "un", "una", "unos", "unas", "de", "del", "a", "al",
        "en", "con", "por", "para", "sin", "sobre", "entre", "hasta", "desde", "hacia", "y",
        "e", "o", "u", "ni", "pero", "que", "quien", "quienes", "cuyo", "cuya", "cuyos",
        "cuyas", "cual", "cuales", "se", "no", "su", "sus", "más", "muy", "es", "son", "ha",
        "han", "como", "le", "les", "ante", "bajo", "tras", "según", "contra", "este", "esta",
        "ese", "esa", "aquel", "aquella", "cada", "donde", "cuando", "si",
    )),
    "fr": frozenset((
        "le", "la", "les", "l'", "un", "une", "des", "du", "de", "d'", "à", "au", "aux", "en",
        "dans", "par", "pour", "sur", "sous", "avec", "sans", "entre", "vers", "chez", "et",
        "ou", "mais", "ni", "que", "qu'", "qui", "dont", "où", "ce", "cet", "cette", "ces",
        "son", "sa", "ses", "leur", "leurs", "se", "s'", "ne", "n'", "pas", "plus", "très",
        "est", "sont", "a", "ont", "comme", "si", "autre", "chaque", "quelque", "lequel",
        "laquelle", "lesquels", "auquel", "duquel", "contre", "après", "avant", "selon",
        "qu'", "jusqu'", "lorsqu'", "c'",
    )),
}
SMALL_WORDS["pt"] = frozenset((
    "o", "a", "os", "as", "um", "uma", "de", "do", "da", "dos", "das", "em", "no", "na",
    "nos", "nas", "por", "para", "com", "sem", "e", "ou", "que", "quem", "se", "não", "seu",
    "sua", "mais", "muito", "ao", "à", "pelo", "pela", "entre", "como",
))
# Words a clause starts with, cut before at the clause boundaries' strength.
CLAUSE_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(("who", "whom", "whose", "that", "which", "where", "when", "while",
                     "especially", "usually", "often", "because", "since", "although")),
    "it": frozenset(("che", "chi", "cui", "il quale", "la quale", "dove", "quando", "mentre",
                     "spesso", "soprattutto", "specialmente", "perché")),
    "ro": frozenset(("care", "ce", "unde", "când", "mai ales", "adesea", "deoarece")),
    "es": frozenset(("que", "quien", "quienes", "cuyo", "cuya", "donde", "cuando",
                     "especialmente", "generalmente", "porque")),
    "fr": frozenset(("qui", "que", "dont", "où", "lorsque", "quand", "surtout",
                     "souvent", "parce")),
    "pt": frozenset(("que", "quem", "cujo", "cuja", "onde", "quando")),
}
# never cut before these: the word before might be the first of a coordinated pair
_CONJUNCTIONS = frozenset(("and", "or", "nor", "e", "ed", "o", "od", "și", "sau", "ori", "y",
                           "u", "ni", "et", "ou"))
_ASIDE = re.compile(r"\s*\([^()]*\)")
_TRAILING = " ,;:-\u2014(" + ELLIPSIS
_QUOTES = "'\"\u2018\u2019\u201c\u201d\u00ab\u00bb\u201e"


def language_of(code: str | None) -> str:
    return code if code in SMALL_WORDS else "en"


def is_small(word: str, language: str = "en") -> bool:
    """Whether a shown gloss may not end on `word` (an elided article or preposition,
    "dell'", "l'", counts: it always leans on the next word)."""
    w = word.lower().strip(".,;:()\"\u201c\u201d\u00ab\u00bb\u201e")
    if not w:
        return True
    return w.replace("\u2019", "'") in SMALL_WORDS[language_of(language)]


def is_quoted_example(gloss: str | None) -> bool:
    """A 'gloss' that is only an example sentence in quotes ("'smettila di essere un
    bambino'"): not a definition, so the band shows WordNet's English gloss instead."""
    text = " ".join(str(gloss or "").split())
    return bool(text) and text[0] in _QUOTES


def shown_gloss(gloss_band: str, gloss: str, language: str = "en") -> str:
    """The gloss the band shows, and the speech says: the one worked out when the labels were
    built (`Label.gloss_band`), else `gloss` cut here (`band_gloss`)."""
    return gloss_band.strip() or band_gloss(gloss, language=language)


def band_gloss(gloss: str, max_chars: int = BAND_GLOSS_CHARS, language: str = "en") -> str:
    """`gloss` whole if it fits in `max_chars`, else cut as `fit_gloss` cuts (the ellipsis
    counts in `max_chars`); a fallback for a synset with no built band gloss."""
    return fit_gloss(gloss, lambda text: len(text) <= max_chars, language)


def fit_gloss(gloss: str, fits: Callable[[str], bool], language: str = "en") -> str:
    """`gloss` whole where `fits(gloss)`, else cut at the last boundary of `language` whose
    head (with its ellipsis) fits, strongest boundary first; never inside a word, never
    ending on a small word of the language, an adjective of a pair, or inside a name."""
    lang = language_of(language)
    text = " ".join(str(gloss or "").split())
    if not text:
        return ""
    if fits(text) and not _ends_badly(text, lang):
        return text
    # Asides in parentheses go first: what is left is still the whole definition.
    bare = " ".join(_ASIDE.sub(" ", text).split()).replace(" ,", ",").replace(" ;", ";")
    if bare and bare != text:
        text = bare
        if fits(text) and not _ends_badly(text, lang):
            return text
    words = text.split(" ")
    ends = [len(" ".join(words[: i + 1])) for i in range(len(words))]  # after word i
    n = len(text)

    def boundary(i: int) -> str | None:
        """The boundary class after word i (0 strongest), or None."""
        if i >= len(words) - 1:
            return None
        w, nxt = words[i], words[i + 1]
        if w.endswith(";"):
            return "0"
        if w.endswith(":") or nxt.startswith("("):
            return "1"
        if w.endswith(","):
            return "2"
        nxt_plain = nxt.lower().strip(",;:()")
        pair = " ".join(x.lower() for x in words[i + 1: i + 3])
        if nxt_plain in CLAUSE_WORDS[lang] or pair in CLAUSE_WORDS[lang]:
            return "2"
        if (is_small(nxt, lang) and nxt_plain not in _CONJUNCTIONS
                and not is_small(w, lang) and not _inside_name(words, i)):
            return "3"
        return None

    least = {"0": n // 3, "1": n // 3, "2": n // 2, "3": 1}
    for level in "0123":
        for i in range(len(words) - 2, -1, -1):
            if boundary(i) != level or ends[i] < least[level]:
                continue
            shown = _close(text[: ends[i]], lang)
            if shown != ELLIPSIS and fits(shown):
                return shown
    for i in range(len(words) - 2, -1, -1):  # the last whole word that fits
        shown = _close(text[: ends[i]], lang)
        if shown != ELLIPSIS and fits(shown):
            return shown
    word = words[0]  # one word longer than the band: the word, whole (never cut inside it)
    return word if word == text else word + ELLIPSIS


def _inside_name(words: list[str], i: int) -> bool:
    """A cut after word i would fall inside a name: a capitalised word on each side of a
    small word ("Bank of England", "Duke of Edinburgh"), or two capitalised words running."""
    def cap(w: str) -> bool:
        w = w.strip("(\"'\u201c\u2018")
        return bool(w) and w[0].isupper()

    if i == 0:
        return False
    return cap(words[i]) and i + 2 < len(words) and cap(words[i + 2])


# An English gloss may end on a preposition of a phrasal verb or a stranded one ("someone
# who looks on", "an individual that one is not acquainted with"): that is the sentence,
# not a cut. Romance glosses do not strand prepositions.
EN_PARTICLES = frozenset(("on", "in", "with", "for", "over", "upon", "to", "about", "out",
                          "by", "at", "from", "into", "off", "up", "down"))


def ends_on_small_word(shown: str, language: str = "en") -> bool:
    """Whether a shown gloss ends on a small word of its language (a cut one never may; a
    whole English one may end on a particle: EN_PARTICLES)."""
    text = shown.rstrip()
    cut = text.endswith(ELLIPSIS)
    words = text.rstrip(ELLIPSIS + " .").split(" ")
    last = words[-1] if words else ""
    if not cut and language_of(language) == "en" and last.lower() in EN_PARTICLES:
        return False
    return is_small(last, language)


def _ends_badly(text: str, language: str) -> bool:
    """A whole gloss cut short in its source ("...(în s", "...ale unui"): it is cut again."""
    return ends_on_small_word(text, language) or text.count("(") > text.count(")")


def _close(head: str, language: str) -> str:
    head = head.rstrip(_TRAILING)
    for etc in (" etc.", " etc", " ecc.", " etc.)"):  # "...museo ecc.…" says "and so on" twice
        if head.endswith(etc):
            head = head[: -len(etc)].rstrip(_TRAILING)
    if head.count("(") > head.count(")"):  # an unclosed parenthesis: cut before it
        head = head[: head.rfind("(")].rstrip(_TRAILING)
    kept = head.split(" ")  # a cut after "a", "of", "sau" or "dell'" reads as a mistake
    while kept and is_small(kept[-1], language):
        kept.pop()
    head = " ".join(kept).rstrip(_TRAILING)
    if head.count("(") > head.count(")"):
        head = head[: head.rfind("(")].rstrip(_TRAILING)
    return head + ELLIPSIS
