"""A user's name for an article -> its URI: one reading for show, cite, query, fetch and the web.

    "CSP R1434-4", "css L162-14-1", "CGI 13"      a code's alias or initials (santelex/codes.py), a number
    "code-civil 1240", "code-civil/1240"          a code's slug, a number ("csp/R1434-4" too)
    "R1434-4", "D. 712-2", "art. R. 6122-25"      a number alone: the store says which code (the CSP,
                                                  santelex's code, first)
    "https://data.santelex.fr/code/…"             a URI: itself

:func:`split` reads the words (no store), :func:`article` gives the URI (the store only for a
number alone), :func:`known_article` also requires the store to have the article (or, for
citations, to cite it), reads a number written without the corpus's star or space (``R1173-8``
for ``R*1173-8``) and otherwise names the nearest numbers.
"""
from __future__ import annotations

import difflib
import re

from pyoxigraph import Literal, NamedNode

from santelex import codes, uris, vocab
from santelex.errors import UsageError
from santelex.ingest import numbers
from santelex.model import CSP

__all__ = ["article", "known_article", "number", "split"]

_P = vocab.sparql_prefixes("eli", "slx")
_URI = ("http://", "https://")


def number(text: str) -> str:
    """'D. 712-2' -> 'D712-2', 'l1434-7' -> 'L1434-7', 'art. R. 6122-25' -> 'R6122-25'."""
    n = re.sub(r"^(?:art(?:icle)?\.?\s+)", "", text.strip(), flags=re.I)
    m = re.match(r"^([A-Za-z]{1,2})\s*\.?\s*\*?\s*(\d.*)$", n)
    if m:
        return m.group(1).upper() + m.group(2).replace(" ", "")
    return n.replace(" ", "")


def split(text: str) -> tuple[str | None, str]:
    """'CSP R1434-4', 'CGI 13', 'code-civil/1240', 'D. 712-2' -> (code slug or None, number)."""
    t = text.strip()
    if "/" in t and not t.startswith(_URI):
        code, _, num = t.partition("/")
        return codes.slug(code) or code, number(num)
    parts = t.split(None, 1)
    if len(parts) == 2:
        code = codes.slug(parts[0])
        if code or parts[0].startswith("code-"):
            return code or parts[0], number(parts[1])
    return None, number(t)


def _csp_first(hits) -> list[str]:
    return sorted(set(hits), key=lambda u: (not u.startswith(uris.code(CSP) + "/"), u))


def article(text: str, store=None) -> str:
    """The work URI of the article a user names.

    With a code named, the URI follows from the words alone (the article need not be in the
    store: it may only be cited there).  A number alone is the store's article of that number
    (the CSP's first), else an article of that number the store cites, else the CSP's.
    UsageError if the words name no number.
    """
    t = text.strip()
    if t.startswith(_URI):
        return t
    slug, num = split(t)
    if not num:
        raise UsageError(f"{text!r} names no article")
    if slug:
        return uris.article(slug, num)
    if store is not None:
        rows = store.query(_P + "SELECT ?a WHERE { ?a eli:id_local ?n ; slx:code ?c }", {"n": Literal(num)})
        hits = _csp_first(r["a"].value for r in rows)
        if not hits:
            rows = store.query(_P + """SELECT DISTINCT ?w WHERE { ?c slx:cited ?w .
                FILTER(STRENDS(STR(?w), ?tail)) }""", {"tail": Literal("/article/" + uris.seg(num))})
            hits = _csp_first(r["w"].value for r in rows)
        if hits:
            return hits[0]
    return uris.article(CSP, num)


def known_article(store, text: str, cited: bool = True) -> str:
    """The work URI of an article the store has (with ``cited``: or one only cited there, such
    as ``L162-14-1`` of the code de la sécurité sociale in a store of the CSP); a URI as it is.
    UsageError naming the nearest numbers if neither."""
    uri = article(text, store)
    if text.strip().startswith(_URI):
        return uri
    w = NamedNode(uri)
    if store.query(_P + "ASK { ?w eli:is_realized_by ?v }", {"w": w}):
        return uri
    if cited and store.query(_P + "ASK { ?c slx:cited ?w }", {"w": w}):
        return uri
    slug, num = split(text)
    same = _same_key(store, slug, num)
    if same:
        return same
    raise UsageError(f"no article {text!r} in the store{_near(store, split(text)[1])}")


def _same_key(store, slug: str | None, num: str) -> str | None:
    """The store's article whose number is ``num`` written another way (``R*1173-8``,
    ``R* 712-8``: the corpus keeps the star and sometimes a space), the CSP's first; or None."""
    head = re.match(r"[A-Za-z]*", num).group(0)
    if not head:
        return None  # only the L, R, D… numbers of codes are written with a star
    rows = store.query(_P + "SELECT ?a ?n ?c WHERE { ?a slx:code ?c ; eli:id_local ?n . FILTER(STRSTARTS(?n, ?p)) }",
                       {"p": Literal(head)})
    want, code = numbers.key(num), uris.code(slug) if slug else None
    hits = _csp_first(r["a"].value for r in rows
                      if numbers.key(r["n"].value) == want and (code is None or r["c"].value == code))
    return hits[0] if hits else None


def _near(store, num: str) -> str:
    rows = store.query(_P + "SELECT DISTINCT ?n WHERE { ?a slx:code ?c ; eli:id_local ?n . "
                       "FILTER(STRSTARTS(?n, ?p)) }", {"p": Literal(num[:2])})
    close = difflib.get_close_matches(num, [r["n"].value for r in rows], n=5, cutoff=0.6)
    return f"; nearest: {', '.join(close)}" if close else ""
