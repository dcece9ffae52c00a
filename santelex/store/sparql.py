"""The lexical side of a SPARQL text: tokens, without parsing the query.

    tokens(text)                 (kind, text, offset) for every token, comments included
    services(text)               the endpoints of the SERVICE clauses (None: not a plain IRI)
    where_brace(text)            offset just after the ``{`` opening the WHERE clause
    depth(text)                  how deep brackets nest (Oxigraph's parser recurses on them)

Tokens follow the terminals of the SPARQL 1.1 grammar (section 19.8): IRIs, the four kinds
of strings (with their escapes), variables, prefixed names (with ``%XX`` and ``\\``
escapes in the local part), blank node labels, numbers, comments, words (keywords and
function names) and single characters.  A ``SERVICE`` inside a string, an IRI, a comment
or a prefixed name's local part is not a keyword, and is not one here.

Oxigraph's parser is scannerless: it reads ``SERVICE:x {…}`` as ``SERVICE :x {…}`` and
``true SERVICE`` written ``trueSERVICE`` may reach it too, so :func:`services` counts every
word, and every prefixed name's prefix, that holds ``service`` in any case.  It errs on
the side of seeing a SERVICE clause; a text it cannot lex is lexed character by character,
which can only add words, never hide one.  (Oxigraph 0.5 reads ``\\u`` escapes in strings
and IRIs only, as the tokens here do.)
"""
from __future__ import annotations

import re
from typing import Iterator
from urllib.parse import urlsplit

import pyoxigraph as ox

from santelex.errors import QueryError

__all__ = ["check", "depth", "first_keyword", "is_update", "refuse_update", "service_host", "services",
           "syntax_error", "tokens", "where_brace"]

_PLX = r"(?:%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])"
_LOCAL = rf"(?:[\w:]|{_PLX})(?:(?:[\w.:\-\u00b7]|{_PLX})*(?:[\w:\-\u00b7]|{_PLX}))?"
_PREFIX = r"(?:[^\W\d_](?:[\w.\-\u00b7]*[\w\-\u00b7])?)?"

_LEXER = re.compile(rf"""
    (?P<space>\s+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<iri><[^<>"{{}}|^`\\\x00-\x20]*>)
  | (?P<string>'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''
              |\"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\"
              |'(?:[^'\\\n\r]|\\.)*'
              |"(?:[^"\\\n\r]|\\.)*")
  | (?P<var>[?$]\w+)
  | (?P<bnode>_:[\w](?:[\w.\-\u00b7]*[\w\-\u00b7])?)
  | (?P<pname>{_PREFIX}:(?:{_LOCAL})?)
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<word>[^\W\d]\w*)
  | (?P<escape>\\.)
  | (?P<char>.)
""", re.X | re.S)


def tokens(text: str) -> Iterator[tuple[str, str, int]]:
    """(kind, text, offset) of every token but white space."""
    for m in _LEXER.finditer(text):
        kind = m.lastgroup or ""  # every alternative of the lexer is a named group
        if kind != "space":
            yield kind, m.group(), m.start()


def _significant(text: str) -> list[tuple[str, str, int]]:
    return [t for t in tokens(text) if t[0] != "comment"]


def _hides_service(kind: str, value: str) -> bool:
    if kind == "word":
        return "service" in value.lower()
    if kind == "pname":
        return "service" in value.split(":", 1)[0].lower()
    return False


def services(text: str) -> list[str | None]:
    """The endpoint of each SERVICE clause the text may hold, in order.

    An endpoint is an absolute IRI (written ``<…>`` or as a prefixed name declared in the
    query); None when it is a variable, a relative IRI, or when the clause is written in a
    way read here only as "maybe a SERVICE" (``SERVICE:x``, ``trueSERVICE``).
    """
    toks = _significant(text)
    prefixes: dict[str, str] = {}
    found: list[str | None] = []
    for i, (kind, value, _) in enumerate(toks):
        low = value.lower()
        if kind == "word" and low == "prefix" and i + 2 < len(toks):
            if toks[i + 1][0] == "pname" and toks[i + 1][1].endswith(":") and toks[i + 2][0] == "iri":
                prefixes[toks[i + 1][1][:-1]] = toks[i + 2][1][1:-1]
        if not _hides_service(kind, value):
            continue
        endpoint = None
        if kind == "word" and low == "service":
            rest = toks[i + 1:i + 3]
            if rest and rest[0][0] == "word" and rest[0][1].lower() == "silent":
                rest = rest[1:]
            if rest:
                endpoint = _absolute(rest[0], prefixes)
        found.append(endpoint)
    return found


def _absolute(token: tuple[str, str, int], prefixes: dict[str, str]) -> str | None:
    kind, value, _ = token
    if kind == "iri":
        iri = value[1:-1]
    elif kind == "pname":
        prefix, _, local = value.partition(":")
        if prefix not in prefixes or "\\" in local or "%" in local:
            return None
        iri = prefixes[prefix] + local
    else:
        return None
    parts = urlsplit(iri)
    return iri if parts.scheme and parts.hostname else None


def service_host(endpoint: str) -> tuple[str, int | None]:
    """(host in lower case, port or None) of an endpoint IRI."""
    parts = urlsplit(endpoint)
    try:
        port = parts.port
    except ValueError:
        port = -1
    return (parts.hostname or "").lower(), port


def where_brace(text: str) -> int | None:
    """Offset just after the ``{`` that opens the first WHERE clause (None: there is none).

    Comments, strings and IRIs are skipped: a ``WHERE {`` in a comment above the query, or
    in a string of the SELECT clause, is not the clause.  The first ``WHERE {`` may be a
    subquery's (``citation-count`` binds its parameter there on purpose).  Without the
    WHERE keyword, the clause is the first group (the second for
    ``CONSTRUCT {template} {pattern}``).
    """
    toks = _significant(text)
    for i, (kind, value, _) in enumerate(toks[:-1]):
        if kind == "word" and value.lower() == "where" and toks[i + 1][:2] == ("char", "{"):
            return toks[i + 1][2] + 1
    depth = groups = 0
    construct = first = None
    for kind, value, offset in toks:
        if first is None and kind == "word" and value.lower() not in ("prefix", "base"):
            first = value.lower()
            construct = first == "construct"
        if (kind, value) == ("char", "{"):
            if depth == 0:
                groups += 1
                if not construct or groups == 2:
                    return offset + 1
            depth += 1
        elif (kind, value) == ("char", "}"):
            depth = max(0, depth - 1)
    return None


# -- the kind of a query: its first keyword, then Oxigraph's own parser ----------------------

_TOKEN = re.compile(r"""<[^<>"{}|^`\\\s]*>|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|\#[^\n]*|[A-Za-z_][\w-]*:?|\S""")
_UPDATE_WORDS = {"insert", "delete", "load", "clear", "drop", "create", "add", "move", "copy", "with"}


def first_keyword(text: str) -> str:
    """The first keyword after the prologue (PREFIX/BASE), comments skipped; '' if none."""
    skip = 0
    for tok in _TOKEN.findall(text):
        if tok.startswith("#"):
            continue
        low = tok.lower()
        if skip:
            skip -= 1
            continue
        if low == "prefix":
            skip = 2
            continue
        if low == "base":
            skip = 1
            continue
        return low
    return ""


def is_update(text: str) -> bool:
    return first_keyword(text) in _UPDATE_WORDS


def refuse_update(text: str, file: str = "<query>"):
    """QueryError if the text is an update (read from its first keyword, before any parsing)."""
    if is_update(text):
        raise QueryError("updates are not allowed: santelex runs read-only queries "
                         "(SELECT, ASK, CONSTRUCT, DESCRIBE)", file)


def check(text: str, file: str = "<query>") -> str:
    """'select', 'ask', 'construct' or 'describe'; QueryError (with line, column) otherwise.

    The text goes through Oxigraph's own parser (on an empty in-memory store: nothing is
    evaluated); updates are refused before that.
    """
    refuse_update(text, file)
    nesting = depth(text)
    if nesting > MAX_DEPTH:
        raise QueryError(f"brackets nest {nesting} deep; at most {MAX_DEPTH} (the SPARQL parser's stack)", file)
    try:
        res = ox.Store().query(text)
    except SyntaxError as e:
        raise syntax_error(e, file) from None
    if isinstance(res, ox.QuerySolutions):
        return "select"
    if isinstance(res, ox.QueryBoolean):
        return "ask"
    return "describe" if first_keyword(text) == "describe" else "construct"


def syntax_error(e: SyntaxError, file: str) -> QueryError:
    msg = str(e)
    m = re.search(r"error at (\d+):(\d+)(?:-\d+:\d+)?:\s*(.*)", msg, re.S)
    if m:
        return QueryError(f"malformed SPARQL: {m.group(3).strip()}", file, int(m.group(1)), int(m.group(2)))
    return QueryError(f"malformed SPARQL: {msg}", file)


MAX_DEPTH = 256  # nesting of brackets: Oxigraph's parser overflows its stack near 10,000
_OPEN, _CLOSE = set("([{"), set(")]}")


def depth(text: str) -> int:
    """The deepest nesting of ``(``, ``[``, ``{`` and ``<<`` outside strings, IRIs and comments.

    Oxigraph's parser recurses once per level: about 10,000 levels overflow its stack and
    end the process (a segmentation fault, not an exception), so :func:`check` refuses deep
    texts before parsing them.
    """
    level = deepest = 0
    previous = ""
    for kind, value, _ in tokens(text):
        if kind != "char":
            previous = ""
            continue
        if value in _OPEN or (value == "<" and previous == "<"):
            level += 1
            deepest = max(deepest, level)
        elif value in _CLOSE or (value == ">" and previous == ">"):
            level = max(0, level - 1)
        previous = "" if previous == value else value
    return deepest
