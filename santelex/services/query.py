"""Named SPARQL queries and a safe way to run any query.

    catalogue()                      every queries/*.rq, with its header
    load(name) / from_text(text)     one query (named, or the user's own text or file)
    check(text, file)                the parser's verdict: kind of query, or QueryError at line:column
    bind(query, {"article": "CSP R1434-4"}, store)
                                     the user's strings -> RDF terms, by the declared types
    execute(store, text, bindings, timeout=, max_results=)
                                     -> Result (rows materialised, with a deadline)
    serialize(result, "json")        SPARQL JSON / XML / CSV / TSV results, Turtle / N-Triples graphs

A named query is a ``.rq`` file whose leading comment is its header::

    # title:       What an article cites
    # description: Every citation made in any version of the article …
    #              (an indented continuation line goes on with the same field)
    # param:       article (article) — the citing article. Example: CSP R1434-4
    # param:       date (date, optional, default today) — …
    # example:     santelex query cites --param article="CSP R1434-4"
    # findings:    yes   (rows are problems: ``santelex query`` exits 1 when there are any)

Parameter types: ``iri``, ``article`` ("CSP R1434-4", "D. 712-2", a URI -> the article's
work URI, read by santelex/lookup.py), ``code`` ("csp", "cgi", "code-de-la-sante-publique", a URI
-> the code's URI, santelex/codes.py),
``literal`` (a plain string), ``date`` (YYYY-MM-DD, or ``today``), ``integer``.  Values
become pyoxigraph terms and are bound with VALUES by the store (``Store.query``), never
pasted into the query text: ``x" } ; DROP ALL ; #`` is a string that matches nothing.

Timeouts: pyoxigraph cannot cancel a running query, so ``execute`` evaluates it on a
daemon thread and gives up waiting at the deadline (QueryTimeout).  The thread runs on
until the query ends; a command-line process simply exits, and ``santelex serve`` runs
queries in worker processes that it kills (santelex/serve/server.py).
"""
from __future__ import annotations

import difflib
import re
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyoxigraph as ox

from santelex import codes, formats, lookup, paths, uris, vocab
from santelex.errors import QueryError, UsageError
from santelex.vocab import PREFIXES, XSD

__all__ = ["bind", "catalogue", "check", "execute", "FORMATS", "from_file", "from_text", "GRAPH_FORMATS",
           "load", "media_type", "named_or_text", "NamedQuery", "Param", "QueryTimeout", "Result",
           "serialize", "TYPES"]

TYPES = ("iri", "article", "code", "literal", "date", "integer")

#: output formats (santelex/formats.py): name -> (media type, pyoxigraph results or RDF format)
RESULT_FORMATS = {f.name: (f.media_type, formats.oxigraph(f)) for f in formats.RESULTS}
GRAPH_FORMATS = {f.name: (f.media_type, formats.oxigraph(f)) for f in formats.GRAPH}
FORMATS = ("table", *RESULT_FORMATS, *GRAPH_FORMATS)


class QueryTimeout(QueryError):
    """A query ran past its deadline and was abandoned."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    description: str = ""
    required: bool = True
    default: str | None = None
    example: str | None = None


@dataclass(frozen=True)
class NamedQuery:
    name: str
    text: str
    file: str
    title: str = ""
    description: str = ""
    params: tuple[Param, ...] = ()
    examples: tuple[str, ...] = ()
    findings: bool = False

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


# -- the catalogue ---------------------------------------------------------------------------

def catalogue(folder: Path | None = None) -> list[NamedQuery]:
    """Every named query in ``queries/`` (or ``folder``), sorted by name."""
    if folder is None:
        return [from_file(p) for p in paths.files_of(paths.QUERIES, "*.rq", "the named queries")]
    return [from_file(p) for p in sorted(Path(folder).glob("*.rq"))]


def load(name: str, folder: Path | None = None) -> NamedQuery:
    folder = Path(folder) if folder else paths.require(paths.QUERIES, "the named queries")
    path = folder / f"{name}.rq"
    if not path.is_file():
        names = [p.stem for p in folder.glob("*.rq")]
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; 'santelex query --list' shows them"
        raise UsageError(f"no named query {name!r}{hint}")
    return from_file(path)


def from_file(path: Path) -> NamedQuery:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read the query: {e}", str(path)) from None
    return from_text(text, file=str(path), name=path.stem)


_FIELD = re.compile(r"^#\s?(title|description|param|example|findings)\s*:\s*(.*)$")
_PARAM = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s*\((?P<spec>[^)]*)\)\s*(?:—|–|-|:)?\s*(?P<text>.*)$")


def from_text(text: str, file: str = "<query>", name: str = "") -> NamedQuery:
    """A query and its header (every field optional for the user's own queries)."""
    fields: list[tuple[str, str, int]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break
        m = _FIELD.match(stripped)
        if m:
            fields.append((m.group(1), m.group(2).strip(), n))
        elif fields and re.match(r"^#\s{2,}\S", stripped):
            key, value, at = fields[-1]
            fields[-1] = (key, (value + " " + stripped.lstrip("#").strip()).strip(), at)
    title = description = ""
    params: list[Param] = []
    examples: list[str] = []
    findings = False
    for key, value, at in fields:
        if key == "title":
            title = value
        elif key == "description":
            description = value
        elif key == "example":
            examples.append(value)
        elif key == "findings":
            findings = value.lower().startswith(("yes", "true"))
        elif key == "param":
            params.append(_param(value, file, at))
    for p in params:
        if not re.search(rf"\?{p.name}\b", text):
            raise UsageError(f"parameter {p.name!r} is declared but ?{p.name} is not in the query", file)
    return NamedQuery(name=name, text=text, file=file, title=title, description=description,
                      params=tuple(params), examples=tuple(examples), findings=findings)


def _param(value: str, file: str, line: int) -> Param:
    m = _PARAM.match(value)
    if not m:
        raise UsageError("a parameter is written 'NAME (TYPE[, optional][, default X]) — text'", file, line)
    spec = [s.strip() for s in m.group("spec").split(",") if s.strip()]
    if not spec or spec[0] not in TYPES:
        raise UsageError(f"parameter {m.group('name')!r}: type must be one of {', '.join(TYPES)}", file, line)
    required, default = True, None
    for s in spec[1:]:
        if s == "optional":
            required = False
        elif s.startswith("default"):
            default = s[len("default"):].strip(" =")
            required = False
    text = m.group("text").strip()
    example = None
    ex = re.search(r"\bExample:\s*(.+?)\s*$", text)
    if ex:
        example = ex.group(1).strip().strip('"')
        text = text[:ex.start()].strip()
    return Param(m.group("name"), spec[0], text, required, default, example)


# -- checking and binding --------------------------------------------------------------------

from santelex.store.sparql import FinalOrder, check, final_order  # noqa: E402

#: what a named query's name looks like (anything else given as a query is SPARQL text)
NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")


def named_or_text(text: str) -> NamedQuery:
    """The named query ``text`` names, or ``text`` itself as a query."""
    return load(text) if NAME.fullmatch(text) else from_text(text)


def bind(query: NamedQuery, raw: dict[str, str], store=None) -> dict[str, ox.NamedNode | ox.Literal]:
    """Turn the user's ``key=value`` strings into RDF terms, by the declared types.

    Unknown or missing parameters are usage errors.  A query without a header (the
    user's own) takes any parameter as a plain literal, or ``name:type=value``.
    """
    out: dict[str, ox.NamedNode | ox.Literal] = {}
    declared = {p.name: p for p in query.params}
    for key, value in raw.items():
        name, _, typ = key.partition(":")
        p = declared.get(name)
        if p is None:
            if query.params:
                known = ", ".join(declared) or "none"
                raise UsageError(f"query {query.name or query.file!r} has no parameter {name!r} (it takes: {known})")
            if not re.fullmatch(r"[A-Za-z_]\w*", name):
                raise UsageError(f"{name!r} is not a SPARQL variable name")
            if re.search(rf"\?{name}\b", query.text) is None:
                raise UsageError(f"the query has no variable ?{name} to bind")
            p = Param(name, typ or "literal")
            if p.type not in TYPES:
                raise UsageError(f"parameter {name!r}: type must be one of {', '.join(TYPES)}")
        out[name] = term(p, value, store)
    for p in query.params:
        if p.name in out:
            continue
        if p.default is not None:
            out[p.name] = term(p, p.default, store)
        elif p.required:
            ex = f' (e.g. --param {p.name}="{p.example}")' if p.example else ""
            raise UsageError(f"query {query.name!r} needs --param {p.name}=…{ex}")
    return out


def term(p: Param, value: str, store=None) -> ox.NamedNode | ox.Literal:
    """One parameter value as an RDF term of the parameter's type."""
    value = value.strip() if p.type != "literal" else value
    try:
        if p.type == "literal":
            return ox.Literal(value)
        if p.type == "integer":
            return ox.Literal(str(int(value)), datatype=ox.NamedNode(XSD + "integer"))
        if p.type == "date":
            d = date.today() if value.lower() == "today" else date.fromisoformat(value)
            return ox.Literal(d.isoformat(), datatype=ox.NamedNode(XSD + "date"))
        if p.type == "iri":
            return ox.NamedNode(value)
        if p.type == "code":
            if value.startswith(("http://", "https://")):
                return ox.NamedNode(value)
            return ox.NamedNode(uris.code(codes.slug(value) or value))
        if p.type == "article":
            return ox.NamedNode(lookup.article(value, store))
    except (ValueError, UsageError):
        pass
    kinds = {"integer": "an integer", "date": "a date (YYYY-MM-DD or today)", "iri": "an absolute IRI",
             "code": "a code", "article": "an article"}
    raise UsageError(f"parameter {p.name!r}: {value!r} is not {kinds.get(p.type, p.type)}")


# -- running ---------------------------------------------------------------------------------

@dataclass
class Result:
    kind: str                                   # select | ask | construct | describe
    variables: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)      # terms or None, in variable order
    boolean: bool | None = None
    triples: list = field(default_factory=list)          # pyoxigraph Triples
    truncated: bool = False

    def __len__(self):
        if self.kind == "select":
            return len(self.rows)
        if self.kind == "ask":
            return 1
        return len(self.triples)

    def dicts(self) -> list[dict]:
        """Rows as {variable: term or None} (a graph's triples as s, p, o)."""
        if self.kind in ("construct", "describe"):
            return [{"s": t.subject, "p": t.predicate, "o": t.object} for t in self.triples]
        return [dict(zip(self.variables, r)) for r in self.rows]


def execute(store, text: str, bindings: dict | None = None, *, timeout: float | None = None,
            max_results: int | None = None, file: str = "<query>") -> Result:
    """Check, run and materialise a query; QueryTimeout past ``timeout`` seconds."""
    kind = check(text, file)
    if not timeout:
        return _run(store, text, bindings, kind, max_results)
    box: dict = {}

    def work():
        try:
            box["result"] = _run(store, text, bindings, kind, max_results)
        except BaseException as e:  # handed to the waiting thread
            box["error"] = e

    worker = threading.Thread(target=work, name="santelex-query", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise QueryTimeout(f"query stopped: still running after {timeout:g} s "
                           "(the time limit; --timeout sets it)", file)
    if "error" in box:
        raise box["error"]
    return box["result"]


def _run(store, text, bindings, kind, max_results) -> Result:
    if kind == "select":
        order = final_order(text)
        if order is not None:
            result = _sorted_here(store, order, bindings, max_results)
            if result is not None:
                return result
    res = store.query(text, bindings or None)
    if kind == "ask":
        return Result(kind, boolean=bool(res))
    if kind == "select":
        variables = [v.value for v in res.variables]
        rows: list[tuple] = []
        truncated = False
        for sol in res:
            if max_results is not None and len(rows) >= max_results:
                truncated = True
                break
            rows.append(tuple(sol[v] for v in variables))
        return Result(kind, variables=variables, rows=rows, truncated=truncated)
    triples: list[ox.Triple] = []
    truncated = False
    for t in res:
        if max_results is not None and len(triples) >= max_results:
            truncated = True
            break
        triples.append(t)
    return Result(kind, triples=triples, truncated=truncated)



#: rows sorted here at most; a longer result is sorted by the engine (bounded memory)
SORT_HERE_MAX = 100_000
_RDF_LANG_STRING = vocab.RDF + "langString"
_SORTABLE = {XSD + "string", XSD + "integer", _RDF_LANG_STRING}


def _sorted_here(store, order: FinalOrder, bindings, max_results) -> Result | None:
    """The query's final ORDER BY done here, on the materialised rows (same rows, same order).

    Oxigraph reads an IRI's or a string's text from the store at each comparison of its
    sort; here each term is read once.  Only for the terms whose SPARQL order is plain to
    see: unbound < IRI < literal, IRIs by their text, literals of one kind per column
    (strings, strings of one language, or integers) by value.  Anything else (blank nodes,
    mixed literal kinds, other datatypes), or more than SORT_HERE_MAX rows: None, and the
    query runs as written.  So it does when the order leaves two different rows tied: the
    engine's order of those is its own (its sort is not stable), and stays as it was.
    """
    res = store.query(order.text, bindings or None)
    variables = [v.value for v in res.variables]
    rows: list[tuple] = []
    for sol in res:
        if len(rows) >= SORT_HERE_MAX:
            return None
        rows.append(tuple(sol[v] for v in variables))
    at = {v: i for i, v in enumerate(variables)}
    columns = []
    for name, descending in order.keys:
        key = _order_key([row[at[name]] for row in rows]) if name in at else None
        if key is None:
            return None
        columns.append(([key(row[at[name]]) for row in rows], descending))
    keyed = list(zip(zip(*(values for values, _ in columns)), rows)) if rows else []
    if not any(descending for _, descending in columns):
        keyed.sort(key=lambda kr: kr[0])
    else:
        for n in reversed(range(len(columns))):
            keyed.sort(key=lambda kr: kr[0][n], reverse=columns[n][1])
    for (ka, a), (kb, b) in zip(keyed, keyed[1:]):
        if ka == kb and a != b:
            return None  # the order leaves these two rows tied: their order is the engine's own
    rows = [row for _, row in keyed]
    keep = len(variables) - len(order.added)
    truncated = max_results is not None and len(rows) > max_results
    rows = rows[:max_results] if truncated else rows
    return Result("select", variables=variables[:keep], rows=[row[:keep] for row in rows], truncated=truncated)


def _order_key(column: list):
    """A sort key giving these terms SPARQL's order, or None when it is not plain to see."""
    kinds = set()
    for term in column:
        if isinstance(term, ox.Literal):
            kinds.add((term.datatype.value, term.language))
        elif term is not None and not isinstance(term, ox.NamedNode):
            return None  # blank nodes, triples
    if len(kinds) > 1 or any(dt not in _SORTABLE for dt, _ in kinds):
        return None
    if kinds and next(iter(kinds))[0] == XSD + "integer":
        if not all(re.fullmatch(r"[+-]?\d+", t.value) for t in column if isinstance(t, ox.Literal)):
            return None

        def by_number(term):
            if term is None:
                return (0, 0, "")
            return (2, int(term.value), "") if isinstance(term, ox.Literal) else (1, 0, term.value)
        return by_number

    def by_text(term):
        if term is None:
            return (0, "")
        return (2, term.value) if isinstance(term, ox.Literal) else (1, term.value)
    return by_text


# -- writing results -------------------------------------------------------------------------

def media_type(result: Result, fmt: str) -> str:
    table = GRAPH_FORMATS if fmt in GRAPH_FORMATS else RESULT_FORMATS
    return table[fmt][0]


def serialize(result: Result, fmt: str) -> bytes:
    """The result in a standard format (through Oxigraph's serializers)."""
    if fmt in GRAPH_FORMATS:
        if result.kind not in ("construct", "describe"):
            raise UsageError(f"--format {fmt} is for CONSTRUCT and DESCRIBE queries; "
                             "this one gives rows: use table, csv, tsv, json or xml")
        prefixes = PREFIXES if fmt in ("turtle", "rdfxml") else None
        return ox.serialize(result.triples, format=GRAPH_FORMATS[fmt][1], prefixes=prefixes) or b""
    if fmt not in RESULT_FORMATS:
        raise UsageError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    target = RESULT_FORMATS[fmt][1]
    if result.kind == "ask":
        b = ox.parse_query_results('{"head":{},"boolean":%s}' % ("true" if result.boolean else "false"),
                                   ox.QueryResultsFormat.JSON)
        return b.serialize(format=target) or b""  # bytes: no output file given
    variables, rows = result.variables, result.rows
    if result.kind in ("construct", "describe"):
        variables = ["s", "p", "o"]
        rows = [(t.subject, t.predicate, t.object) for t in result.triples]
    if fmt == "csv":
        rows = [tuple(defuse(t) for t in row) for row in rows]
    return _solutions(variables, rows).serialize(format=target) or b""


_FORMULA = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")


def defuse(term):
    """A literal whose text a spreadsheet would run as a formula, quoted for CSV output.

    A CSV cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab, a carriage return) is read
    by spreadsheets as a formula (``=cmd|' /C calc'!A0``): it gets a leading ``'``, which they
    show as text.  Numbers (``-5``, ``+1.5e3``) are left as they are: they are not formulas.
    """
    if isinstance(term, ox.Literal) and _FORMULA.match(term.value) and not _NUMBER.match(term.value):
        return ox.Literal("'" + term.value)
    return term


def _solutions(variables: list[str], rows: list[tuple]) -> ox.QuerySolutions:
    """Materialised rows back into an Oxigraph QuerySolutions, via SPARQL TSV.

    TSV writes each term in N-Triples syntax (escaped by Oxigraph) on one line, so the
    round trip is exact; Oxigraph then writes JSON, XML or CSV itself.
    """
    lines = ["\t".join("?" + v for v in variables)]
    for row in rows:
        lines.append("\t".join("" if t is None else str(t) for t in row))
    solutions = ox.parse_query_results("\n".join(lines) + "\n", ox.QueryResultsFormat.TSV)
    assert isinstance(solutions, ox.QuerySolutions)  # a header of variables: solutions, not a boolean
    return solutions
