"""Pinpoints: the part of an article a reference points into ("1° du I de l'article …").

``pinpoint_before(text, end)`` reads the chain of subdivisions written just before the
word "article" that ends at ``end``; components come outermost first: ``("I", "1°")``,
``("alinéa 5",)``, ``("I", "3°", "a")``.
"""
from __future__ import annotations

import re

ORDINALS = {
    "premier": 1, "première": 1, "1er": 1, "1re": 1, "deuxième": 2, "second": 2, "seconde": 2,
    "troisième": 3, "quatrième": 4, "cinquième": 5, "sixième": 6, "septième": 7,
    "huitième": 8, "neuvième": 9, "dixième": 10, "onzième": 11, "douzième": 12,
    "treizième": 13, "quatorzième": 14, "quinzième": 15, "seizième": 16,
    "dix-septième": 17, "dix-huitième": 18, "dix-neuvième": 19, "vingtième": 20,
    "dernier": -1, "dernière": -1,
}
_ORD = "|".join(sorted((re.escape(o) for o in ORDINALS), key=len, reverse=True))
COMPONENT = (rf"(?:(?:{_ORD}) (?:alinéa|phrase)|\d+° ?(?:bis|ter|quater)?|[IVXL]+(?: bis| ter)?"
             r"|[a-z](?: bis)?\)?)")
_LINK = r"(?:\s+(?:du|de la|de l'|de l’|des|au|à la)\s*)"
_CHAIN = re.compile(rf"(?<![\w'’])(?P<chain>{COMPONENT}(?:{_LINK}{COMPONENT})*)"
                    rf"\s+(?:de l'|de l’|à l'|à l’|l'|l’|de |à )?$")
_SPLIT = re.compile(_LINK)


def normalise(component: str) -> str:
    c = component.strip()
    m = re.match(rf"^({_ORD}) (alinéa|phrase)$", c)
    if m:
        return f"{m.group(2)} {ORDINALS[m.group(1)]}"
    return c.rstrip(")").replace(" ", "") if not c.endswith("°") else c


def parse_chain(chain: str) -> tuple[str, ...]:
    parts = [p for p in _SPLIT.split(chain) if p and p.strip()]
    return tuple(normalise(p) for p in reversed(parts))


def pinpoint_before(text: str, end: int) -> tuple[tuple[str, ...], int]:
    """Pinpoint written before ``text[end:]`` starts with "article"; returns (pinpoint, start)."""
    window_start = max(0, end - 120)
    window = text[window_start:end]
    m = _CHAIN.search(window)
    if not m:
        return (), end
    chain = m.group("chain")
    # a bare letter or roman numeral is too weak alone unless it is a clear marker
    parts = parse_chain(chain)
    if len(parts) == 1 and re.fullmatch(r"[a-z]", parts[0]) and not chain.endswith(")"):
        return (), end
    return parts, window_start + m.start("chain")


def key(component: str) -> str:
    """URI path segment of one pinpoint component: 'I' -> 'I', '1°' -> '1', 'alinéa 5' -> 'alinea-5'."""
    c = component.replace("°", "").replace(" ", "")
    if c.startswith("alinéa"):
        return "alinea-" + c[len("alinéa"):]
    if c.startswith("phrase"):
        return "phrase-" + c[len("phrase"):]
    return c.rstrip(")")
