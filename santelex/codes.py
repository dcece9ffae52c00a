"""The codes santelex knows, and the names users give them: one table, ``data/corpus/codes.tsv``
(read by ``santelex.ingest.corpus_index.code_table``, so that the readers see the same rows).

    slug                 code-de-la-sante-publique       the corpus's folder name, in every URI
    LEGITEXT id(s)       LEGITEXT000006072665            Legifrance's; two when a code was recast
    title                code de la santé publique       as the law writes it (else the slug's words)
    aliases              csp                             short names users type
    initials             cgi -> code-general-des-impots-cgi   derived: a code's initials, when unique

Every command that takes a code (``build --code``, ``fetch``, ``update``, ``show``, ``cite``,
``query --param``, the web pages) resolves it here.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

from santelex.errors import UsageError
from santelex.ingest.corpus_index import code_table, legitext_codes

__all__ = ["aliases", "initials", "legitext", "legitexts", "resolve_codes", "short", "slug", "title"]

#: words left out of a code's initials ("code de la santé publique" -> csp)
_SMALL = {"de", "la", "le", "les", "des", "du", "et", "d", "l", "a", "en", "au", "aux"}


@lru_cache(maxsize=1)
def legitexts() -> dict[str, list[str]]:
    """Code slug -> its LEGITEXT identifiers (two when a code was recast under the same name)."""
    out: dict[str, list[str]] = {}
    for row in code_table():
        out.setdefault(row.slug, []).append(row.legitext)
    return out


@lru_cache(maxsize=1)
def aliases() -> dict[str, str]:
    """The short names users type for a code: 'csp' -> code-de-la-sante-publique."""
    return {a: row.slug for row in code_table() for a in row.aliases}


@lru_cache(maxsize=1)
def initials() -> dict[str, str]:
    """'cgi' -> code-general-des-impots-cgi: a code's initials, when only one code has them."""
    seen: dict[str, set] = {}
    for slug_ in legitexts():
        words = [w for w in slug_.split("-") if w not in _SMALL]
        elided = [w[1:] if re.match(r"^[ld][aeiouyh]", w) and len(w) > 4 else w for w in words]
        keys = {"".join(w[0] for w in words), "".join(w[0] for w in elided)}
        if len(words) > 2 and words[-1] == "".join(w[0] for w in words[:-1]):
            keys.add(words[-1])  # code-general-des-impots-cgi
        for key in keys:
            seen.setdefault(key, set()).add(slug_)
    return {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}


def slug(name: str) -> str | None:
    """The code a user's name for it means: an alias (``CSP``), initials (``cgi``) or a slug of
    the table; None if none."""
    key = name.strip().lower()
    found = aliases().get(key) or initials().get(key)
    if found:
        return found
    return key if key in legitexts() else None


def resolve_codes(codes: Iterable[str] | None) -> dict[str, str] | None:
    """``--code`` values (``csp``, ``cgi``, a slug, a LEGITEXT id) -> {LEGITEXT id: slug};
    None: every code."""
    if not codes:
        return None
    by_slug = legitexts()
    out: dict[str, str] = {}
    for raw in codes:
        value = raw.strip()
        if re.fullmatch(r"LEGITEXT\d{12}", value):
            out[value] = legitext_codes().get(value, value)
            continue
        found = slug(value)
        if found is None:
            import difflib
            near = difflib.get_close_matches(value.lower(), list(by_slug) + list(aliases()), n=3, cutoff=0.5)
            raise UsageError(f"unknown code {raw!r}" + (f"; nearest: {', '.join(near)}" if near else
                                                         "; give its slug or LEGITEXT id"))
        for ident in by_slug[found]:
            out[ident] = found
    return out


def legitext(slug_: str) -> str:
    """The LEGITEXT identifier of a code today (the newer one when a code was recast under the
    same name: code minier, code de justice militaire)."""
    ids = legitexts().get(slug_)
    if not ids:
        raise UsageError(f"no Legifrance identifier known for the code {slug_!r}")
    return sorted(ids)[-1]


@lru_cache(maxsize=None)
def title(slug_: str) -> str:
    """'code-de-la-sante-publique' -> 'code de la santé publique' (the slug's words when the
    table has no title)."""
    return next((row.title for row in code_table() if row.slug == slug_ and row.title), slug_.replace("-", " "))


def short(slug_: str) -> str | None:
    """The short name of a code, as pages print it after a number ('CSS'); None if it has none."""
    return next((row.aliases[0].upper() for row in code_table() if row.slug == slug_ and row.aliases), None)
