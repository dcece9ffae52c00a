"""Article numbers compared and ordered, one way for the whole of santelex.

    key("R* 712-8") == key("R. 712-8") == key("R712-8") == "R712-8"    the same article?
    sorted(["R712-10", "R712-9"], key=sort_key) == ["R712-9", "R712-10"]  the code's order

``sort_key`` is the natural order of any text with numbers in it (``D. 712-2`` before
``D. 712-13``, article 7-1 of a text between 7 and 8), so labels sort with it too.
"""
from __future__ import annotations

import re

__all__ = ["key", "order", "sort_key"]

#: what a number may be written with that does not change the article: spaces of any kind,
#: dots ("R. 712-8") and the star of articles once taken by decree in Conseil d'État ("R* 712-8")
_DROP = {i: None for i in range(0x3001) if chr(i).isspace()} | {ord("."): None, ord("*"): None}
_RUNS = re.compile(r"\d+|\D+")


def key(number: str) -> str:
    """The number without spaces, dots or star: two writings of one article have one key."""
    return number.translate(_DROP)


def sort_key(text: str) -> tuple:
    """A key ordering runs of digits as numbers: R712-9 before R712-10, 7 and 7-1 before 8."""
    return tuple([(0, int(p), "") if p.isdigit() else (1, 0, p) for p in _RUNS.findall(text)])


def order(number: str) -> tuple:
    """The code's order of article numbers however written (``R* 712-8`` among ``R712-…``)."""
    return sort_key(key(number))
