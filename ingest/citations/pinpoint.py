"""Pinpoints: the part of an article a reference points into ("1° du I de l'article …").

French drafting writes the innermost part first and links the parts by ``du``/``de la``:
``au a du 3° du I de l'article``.  ``chain_before(text, at)`` reads that chain backwards
from the word "article" at ``at`` and returns its alternatives (``aux 1°, 2° et 3° du I`` is
three pinpoints), each **outermost first**: ``("I", "3°", "a")``.

Components are written as normalised labels: ``I``, ``II bis``, ``1°``, ``2° bis``, ``a``,
``alinéa 5``, ``dernier alinéa``, ``avant-dernier alinéa``, ``phrase 2``, ``dernière
phrase``, ``tiret 2``.  ``key`` turns one into the URI segment of the subdivision
(``I``, ``1``, ``a``, ``alinea-5``), as ``ingest/structure.py`` names them.
"""
from __future__ import annotations

import re
from itertools import product

ORDINALS = {
    "premier": 1, "première": 1, "1er": 1, "1re": 1, "deuxième": 2, "second": 2, "seconde": 2,
    "troisième": 3, "quatrième": 4, "cinquième": 5, "sixième": 6, "septième": 7,
    "huitième": 8, "neuvième": 9, "dixième": 10, "onzième": 11, "douzième": 12,
    "treizième": 13, "quatorzième": 14, "quinzième": 15, "seizième": 16,
    "dix-septième": 17, "dix-huitième": 18, "dix-neuvième": 19, "vingtième": 20,
    "vingt-et-unième": 21, "vingt-deuxième": 22, "vingt-troisième": 23, "vingt-quatrième": 24,
    "vingt-cinquième": 25,
}
#: ordinals counted from the end: kept as words ("dernier alinéa")
FROM_END = {"dernier", "dernière", "avant-dernier", "avant-dernière", "antépénultième", "pénultième"}
_SUFFIXES = {"bis", "ter", "quater", "quinquies", "sexies", "septies", "octies", "nonies", "decies"}
_INNER = {"alinéa": "alinéa", "alinéas": "alinéa", "phrase": "phrase", "phrases": "phrase",
          "tiret": "tiret", "tirets": "tiret"}
_TOKEN = re.compile(r"\d+[ \u00a0]?°|\d+(?:er|re|e|ème)?|[^\W\d_][\w-]*['’]?|,|\)")
_ROMAN = re.compile(r"[IVXL]+")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50}
_LEAD = {"au", "aux", "du", "des", "le", "les", "la", ",", "et", "ou", "à", "sous", "en", "l'", "l’"}


def _roman(s: str) -> int:
    total = 0
    for i, ch in enumerate(s):
        v = _ROMAN_VALUES[ch]
        total += -v if i + 1 < len(s) and _ROMAN_VALUES[s[i + 1]] > v else v
    return total


def _to_roman(n: int) -> str:
    out = []
    for v, s in ((50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= v:
            out.append(s)
            n -= v
    return "".join(out)


def _span(a: str, b: str) -> list[str]:
    """Expand ``1° à 3°``, ``I à III``, ``a à c``, ``alinéa 2 à alinéa 4`` (same kind only)."""
    if a.endswith("°") and b.endswith("°") and a[:-1].isdigit() and b[:-1].isdigit():
        lo, hi = int(a[:-1]), int(b[:-1])
        return [f"{i}°" for i in range(lo, hi + 1)] if 0 < hi - lo < 30 else [a, b]
    if _ROMAN.fullmatch(a) and _ROMAN.fullmatch(b):
        lo, hi = _roman(a), _roman(b)
        return [_to_roman(i) for i in range(lo, hi + 1)] if 0 < hi - lo < 30 else [a, b]
    if len(a) == len(b) == 1 and a.islower() and b.islower() and a < b:
        return [chr(c) for c in range(ord(a), ord(b) + 1)]
    ma, mb = re.fullmatch(r"(\w+) (\d+)", a), re.fullmatch(r"(\w+) (\d+)", b)
    if ma and mb and ma.group(1) == mb.group(1):
        lo, hi = int(ma.group(2)), int(mb.group(2))
        return [f"{ma.group(1)} {i}" for i in range(lo, hi + 1)] if 0 < hi - lo < 30 else [a, b]
    return [a, b]


def _tokens(text: str, lo: int, hi: int) -> list[tuple[str, int]]:
    return [(m.group(0), m.start()) for m in _TOKEN.finditer(text, lo, hi)]


def _word(tok: str) -> str:
    return tok.lower()


def _level(toks, i):
    """Read one level backwards, ending at toks[i]; returns (alternatives, index before, start)."""
    alts: list[str] = []
    start = None
    inner = None  # "alinéa"/"phrase"/"tiret" when the level is "deuxième et troisième alinéas"
    j = i
    if j >= 0 and _word(toks[j][0]) in _INNER:
        inner = _INNER[_word(toks[j][0])]
        j -= 1
    pending_range = False
    while j >= 0:
        tok, at = toks[j]
        w = _word(tok)
        comp = None
        k = j - 1
        if inner:
            if w in ORDINALS:
                comp = f"{inner} {ORDINALS[w]}"
            elif w in FROM_END:
                comp = f"{w} {inner}"
        else:
            suffix = ""
            if w in _SUFFIXES and j > 0:
                suffix = " " + w
                j -= 1
                tok, at = toks[j]
                w = _word(tok)
                k = j - 1
            if tok.endswith("°") and tok[:-1].strip().isdigit():
                comp = tok[:-1].strip() + "°" + suffix
            elif _ROMAN.fullmatch(tok):
                comp = tok + suffix
            elif tok == ")" and j > 0 and len(toks[j - 1][0]) == 1 and toks[j - 1][0].islower():
                comp = toks[j - 1][0] + suffix
                at = toks[j - 1][1]
                k = j - 2
            elif len(tok) == 1 and tok.islower() and tok.isalpha() and k >= 0 and _word(toks[k][0]) in _LEAD:
                comp = tok + suffix
        if comp is None:
            break
        if pending_range and alts:
            alts[-1:] = list(reversed(_span(comp, alts[-1])))
        else:
            alts.append(comp)
        start = at
        pending_range = False
        j = k
        if j >= 0 and toks[j][0] in (",", "et", "ou"):
            if toks[j][0] == "," and j > 0 and toks[j - 1][0] in ("et", "ou"):
                j -= 1
            j -= 1
            continue
        if j >= 0 and toks[j][0] == "à":
            pending_range = True
            j -= 1
            continue
        break
    if not alts:
        return [], i, None
    if pending_range:
        j += 1  # the "à" belonged to the text before
    alts.reverse()
    return alts, j, start


#: what a chain ends with, just before the keyword: a quick test before reading it
_LINKED = re.compile(r"(?:°|\b[IVXL]+|\b[a-z]\)?|alinéas?|phrases?|tirets?|bis|ter|quater)\s+"
                     r"(?:de\s+l['’]|des|du|dudit|de\s+ce|de\s+cet|d['’])\s*(?:même\s+|présente?\s+)?$")


_TAILS = ("de l'", "de l’", "des ", "du ", "dudit ", "même ", "présent ", "présente ", "de ce ", "de cet ",
          "d'", "d’")


_LINKS = ("de l'", "de l’", "des ", "du ", "dudit ", "de ce ", "de cet ", "d'", "d’")
_COMPONENT_ENDS = ("alinéa", "alinéas", "phrase", "phrases", "tiret", "tirets", "bis", "ter", "quater")


def _linked(text: str, at: int) -> bool:
    """Quick test: does a pinpoint component end just before the link to the keyword at ``at``
    (``1° du I de l'``, ``cinquième alinéa de l'``, ``au a du même ``)?"""
    w = text[max(0, at - 30):at]
    for rel in ("même ", "présent ", "présente "):
        if w.endswith(rel):
            w = w[:-len(rel)]
            break
    for link in _LINKS:
        if w.endswith(link):
            w = w[:-len(link)].rstrip()
            break
    else:
        return False
    if not w:
        return False
    if w[-1] in "°)":
        return True
    last = w.rsplit(None, 1)[-1]
    return (last in _COMPONENT_ENDS or (len(last) == 1 and last.islower())
            or not last.strip("IVXL"))


def chain_before(text: str, at: int) -> tuple[list[tuple[str, ...]], int]:
    """Pinpoint alternatives written before the keyword at ``at`` and where they start.

    ``text[:at]`` ends with the link to the keyword (``de l'``, ``des``, ``du``, ``dudit``,
    ``du même``, ``de ce``).  Returns ``([], at)`` when there is no pinpoint.
    """
    if not _linked(text, at):
        return [], at
    lo = max(0, at - 90)
    toks = _tokens(text, lo, at)
    i = len(toks) - 1
    if i < 1:
        return [], at
    # the link between the chain and the keyword
    w = _word(toks[i][0])
    if w in ("même", "présent", "présente", "dit"):
        i -= 1
        w = _word(toks[i][0]) if i >= 0 else ""
    if w in ("l'", "l’") and i >= 1 and _word(toks[i - 1][0]) == "de":
        i -= 2
    elif w in ("des", "du", "dudit"):
        i -= 1
    elif w in ("ce", "cet", "ces") and i >= 1 and _word(toks[i - 1][0]) == "de":
        i -= 2
    else:
        return [], at
    levels: list[list[str]] = []
    start = None
    while i >= 0:
        alts, j, s = _level(toks, i)
        if not alts:
            break
        levels.append(alts)
        start = s
        i = j
        # link to the next (inner) level: "du", "de la", "de l'", "des"
        if i >= 0 and _word(toks[i][0]) in ("du", "des"):
            i -= 1
        elif i >= 1 and _word(toks[i][0]) in ("la", "l'", "l’") and _word(toks[i - 1][0]) == "de":
            i -= 2
        else:
            break
    if not levels or start is None:
        return [], at
    # levels were read outermost first; a list is usually innermost only
    if len(levels) > 1:
        outer = [lv[:1] for lv in levels[:-1]]
        combos = list(product(*(outer + [levels[-1]])))
    else:
        combos = [(a,) for a in levels[0]]
    return [tuple(c) for c in combos], start


def pinpoint_before(text: str, end: int) -> tuple[tuple[str, ...], int]:
    """The first pinpoint written before the word "article" at ``end``, and where it starts."""
    pins, start = chain_before(text, end)
    if not pins:
        return (), end
    return pins[0], start


def key(component: str) -> str:
    """URI path segment of one component: 'I' -> 'I', '1°' -> '1', 'alinéa 5' -> 'alinea-5'."""
    c = component.strip()
    m = re.fullmatch(r"(alinéa|phrase|tiret) (\d+)", c)
    if m:
        return ("alinea" if m.group(1) == "alinéa" else m.group(1)) + "-" + m.group(2)
    m = re.fullmatch(r"([\w-]+) (alinéa|phrase|tiret)", c)
    if m:
        return ("alinea" if m.group(2) == "alinéa" else m.group(2)) + "-" + m.group(1).replace("è", "e")
    return c.replace("°", "").replace(" ", "").rstrip(")")
