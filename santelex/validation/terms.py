"""RDF terms as the fast engine holds them, and how they compare.

Nodes are strings in canonical N-Triples form, exactly as Oxigraph writes them:
``<iri>``, ``_:b0``, ``"12"^^<http://www.w3.org/2001/XMLSchema#integer>``, ``"chat"@fr``,
``"text"`` (xsd:string).  Python hashes and compares them fast, two equal strings are the
same RDF term (SHACL compares terms, not values, for sh:in, sh:hasValue, sh:equals…), and a
literal keeps its lexical form and datatype as written: ``"300"^^xsd:byte`` stays an
ill-typed byte whichever parser read it.

Values (for sh:datatype, sh:minInclusive…, sh:lessThan) are read here from the lexical
form, by this module's own reading of XML Schema 1.1 Part 2, never by rdflib's.
"""
from __future__ import annotations

import re
import sys
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from functools import lru_cache

import pyoxigraph as ox

from santelex import formats, vocab

XSD = vocab.XSD
RDF_NS = vocab.RDF
XSD_STRING = XSD + "string"
LANG_STRING = RDF_NS + "langString"

Triple = tuple[str, str, str]
RDF_FIRST = f"<{RDF_NS}first>"
RDF_REST = f"<{RDF_NS}rest>"
RDF_NIL = f"<{RDF_NS}nil>"


def _rdflib():
    """rdflib, imported on first use: only the Turtle report graph, pySHACL and a caller's own
    rdflib graphs need it (importing it costs more than the rest of ``validate``)."""
    import logging

    import rdflib

    # rdflib logs a warning with a traceback for every ill-typed literal it is given; an
    # ill-typed literal is data here (sh:datatype reports it), not an event to print on stderr
    logging.getLogger("rdflib.term").addHandler(logging.NullHandler())
    return rdflib


def is_rdflib_graph(obj) -> bool:
    """Whether ``obj`` is an rdflib graph (without importing rdflib: if it is not loaded, no
    object can be one)."""
    rdflib = sys.modules.get("rdflib")
    return rdflib is not None and isinstance(obj, rdflib.Graph)


def canon(term) -> str | None:
    """An rdflib term in canonical N-Triples form, exactly as Oxigraph writes it."""
    if term is None:
        return None
    from rdflib import Literal, URIRef

    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        if term.language:
            return str(ox.Literal(str(term), language=term.language))
        if term.datatype is not None and str(term.datatype) != XSD_STRING:
            return str(ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype))))
        return str(ox.Literal(str(term)))
    return f"_:{term}"


_SIMPLE_LITERAL = re.compile(r'"([^"\\]*)"(?:\^\^<([^>]*)>|@([A-Za-z0-9-]+))?')


@lru_cache(maxsize=1 << 18)
def split(node: str) -> tuple[str, str, str | None]:
    """(lexical form, datatype IRI, language tag) of a literal node."""
    m = _SIMPLE_LITERAL.fullmatch(node)           # no escapes: read it directly
    if m is not None:
        lexical, datatype, language = m.groups()
    else:
        lit = next(iter(ox.parse(f"<s:s> <s:p> {node} .", ox.RdfFormat.N_TRIPLES))).object
        lexical, datatype, language = lit.value, lit.datatype.value if lit.datatype else None, lit.language
    if language:
        return lexical, LANG_STRING, language
    return lexical, datatype or XSD_STRING, None


def kind(node: str) -> str:
    """"i" (IRI), "b" (blank node) or "l" (literal)."""
    return "i" if node[0] == "<" else "b" if node[0] == "_" else "l"


def text(node: str) -> str:
    """The string a node stands for in sh:pattern and the length constraints (str() in SPARQL)."""
    if node[0] == "<":
        return node[1:-1]
    return split(node)[0]


def plain(node: str) -> str:
    """What ``str()`` gives of the node's rdflib term: an IRI, a blank node's label, a
    literal's lexical form."""
    if node[0] == "<":
        return node[1:-1]
    if node[0] == "_":
        return node[2:]
    return split(node)[0]


@lru_cache(maxsize=1 << 16)
def rdflib_term(node: str):
    """The rdflib term of a node, lexical form kept as it is."""
    from rdflib import BNode, Literal, URIRef

    _rdflib()
    if node.startswith("<"):
        return URIRef(node[1:-1])
    if node.startswith("_:"):
        return BNode(node[2:])
    lexical, datatype, language = split(node)
    if language:
        return Literal(lexical, lang=language)
    if datatype != XSD_STRING:
        return Literal(lexical, datatype=URIRef(datatype), normalize=False)
    return Literal(lexical)


# ----------------------------------------------------------------------------- XML Schema values

_INT = re.compile(r"[+-]?[0-9]+")
_DEC = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_FLOAT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?INF|NaN")
_TZ = r"(Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))?"
_DATE = re.compile(r"(-?[0-9]{4,})-([0-9]{2})-([0-9]{2})" + _TZ)
_TIME = re.compile(r"([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?" + _TZ)
_DATETIME = re.compile(r"(-?[0-9]{4,})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?" + _TZ)
_GYEAR = re.compile(r"-?[0-9]{4,}" + _TZ)
_GYEARMONTH = re.compile(r"-?[0-9]{4,}-(0[1-9]|1[0-2])" + _TZ)
_GMONTH = re.compile(r"--(0[1-9]|1[0-2])" + _TZ)
_GDAY = re.compile(r"---(0[1-9]|[12][0-9]|3[01])" + _TZ)
_GMONTHDAY = re.compile(r"--(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])" + _TZ)
_DURATION = re.compile(r"-?P(?=[0-9T])([0-9]+Y)?([0-9]+M)?([0-9]+D)?(T(?=[0-9])([0-9]+H)?([0-9]+M)?([0-9]+(\.[0-9]+)?S)?)?")
_LANGUAGE = re.compile(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*")
_HEX = re.compile(r"([0-9a-fA-F]{2})*")
_BASE64 = re.compile(r"[A-Za-z0-9+/= ]*")

#: the integer datatypes and their bounds (None: unbounded)
INTEGER_TYPES = _INTEGERS = {
    "integer": (None, None), "long": (-2**63, 2**63 - 1), "int": (-2**31, 2**31 - 1),
    "short": (-2**15, 2**15 - 1), "byte": (-2**7, 2**7 - 1), "nonNegativeInteger": (0, None),
    "positiveInteger": (1, None), "nonPositiveInteger": (None, 0), "negativeInteger": (None, -1),
    "unsignedLong": (0, 2**64 - 1), "unsignedInt": (0, 2**32 - 1), "unsignedShort": (0, 2**16 - 1),
    "unsignedByte": (0, 2**8 - 1),
}
_COLLAPSED = {"string", "normalizedString"}          # the only ones whose whitespace is kept


def _tz(text: str | None):
    if not text:
        return None
    if text == "Z":
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(text[1:3]), minutes=int(text[4:6])))


def _date(y: str, m: str, d: str) -> date | None:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:                 # 30 February, year 0 or beyond 9999
        return None


@lru_cache(maxsize=1 << 16)
def xsd_value(lexical: str, datatype: str):
    """The value of an XML Schema literal, ``None`` when the lexical form is ill-typed, or
    ``...`` when the datatype is not one whose lexical space this module knows.

    Numbers are Decimal (integer and decimal types) or float; dates, times and date-times
    Python objects (aware when a timezone is written); booleans bool; strings str.
    """
    if not datatype.startswith(XSD):
        if datatype == LANG_STRING:
            return ...
        return ...
    local = datatype[len(XSD):]
    s = lexical if local in _COLLAPSED else lexical.strip(" \t\n\r")
    if local in _INTEGERS:
        if not _INT.fullmatch(s):
            return None
        n = int(s)
        lo, hi = _INTEGERS[local]
        return Decimal(n) if (lo is None or n >= lo) and (hi is None or n <= hi) else None
    if local == "decimal":
        return Decimal(s) if _DEC.fullmatch(s) else None
    if local in ("float", "double"):
        if not _FLOAT.fullmatch(s):
            return None
        try:
            return float(s.replace("INF", "inf"))
        except ValueError:
            return None
    if local == "boolean":
        return {"true": True, "1": True, "false": False, "0": False}.get(s)
    if local == "string":
        return s
    if local in ("normalizedString", "token", "anyURI", "NMTOKEN", "Name", "NCName", "ID", "IDREF", "ENTITY",
                 "QName", "NOTATION", "NMTOKENS", "IDREFS", "ENTITIES"):
        if local == "normalizedString" and any(c in s for c in "\t\n\r"):
            return None
        return s
    if local == "language":
        return s.lower() if _LANGUAGE.fullmatch(s) else None
    if local == "date":
        m = _DATE.fullmatch(s)
        if not m:
            return None
        d = _date(*m.groups()[:3])
        return None if d is None else (datetime(d.year, d.month, d.day, tzinfo=_tz(m.group(4))), "date")
    if local in ("dateTime", "dateTimeStamp"):
        m = _DATETIME.fullmatch(s)
        if not m or (local == "dateTimeStamp" and not m.group(8)):
            return None
        y, mo, d, h, mi, sec, frac, tz = m.groups()
        day = _date(y, mo, d)
        if day is None or int(mi) > 59 or int(sec) > 59:
            return None
        micro = int((frac or ".0")[1:7].ljust(6, "0"))
        if h == "24":
            if mi != "00" or sec != "00" or micro:
                return None
            return (datetime(day.year, day.month, day.day, tzinfo=_tz(tz)) + timedelta(days=1), "dateTime")
        if int(h) > 23:
            return None
        return (datetime(day.year, day.month, day.day, int(h), int(mi), int(sec), micro, tzinfo=_tz(tz)), "dateTime")
    if local == "time":
        m = _TIME.fullmatch(s)
        if not m:
            return None
        h, mi, sec, frac, tz = m.groups()
        if int(h) > 23 or int(mi) > 59 or int(sec) > 59:
            return None
        return (time(int(h), int(mi), int(sec), int((frac or ".0")[1:7].ljust(6, "0")), tzinfo=_tz(tz)), "time")
    for name, pattern in (("gYear", _GYEAR), ("gYearMonth", _GYEARMONTH), ("gMonth", _GMONTH), ("gDay", _GDAY),
                          ("gMonthDay", _GMONTHDAY), ("duration", _DURATION), ("hexBinary", _HEX),
                          ("base64Binary", _BASE64)):
        if local == name:
            return (s, name) if pattern.fullmatch(s) else None
    return ...


def well_typed(node: str, datatype: str) -> bool:
    """sh:datatype: a literal of exactly that datatype whose lexical form is in its lexical space."""
    if node[0] != '"':
        return False
    lexical, dt, language = split(node)
    if dt != datatype:
        return False
    if language is not None:
        return True
    return xsd_value(lexical, dt) is not None


_NUMERIC = {"decimal", "float", "double", *_INTEGERS}


@lru_cache(maxsize=1 << 16)
def order_key(node: str) -> tuple | None:
    """(family, value) for the comparisons of SPARQL's ``<`` as SHACL's value range and
    property pair constraints use them; None when the node compares with nothing (an IRI, a
    blank node, an ill-typed literal, a literal of another datatype)."""
    if node[0] != '"':
        return None
    lexical, dt, language = split(node)
    if language is not None or not dt.startswith(XSD):
        return None
    value = xsd_value(lexical, dt)
    if value is None or value is ...:
        return None
    local = dt[len(XSD):]
    if local in _NUMERIC:
        return ("number", value)
    if local == "boolean":
        return ("boolean", value)
    if isinstance(value, tuple):                    # dates, times, g* types: within their own type
        return (value[1], value[0])
    return ("string", value)


def less(a: tuple | None, b: tuple | None, or_equal: bool = False) -> bool:
    """a < b (or a <= b) on order keys; False when they do not compare (different families,
    a date with a timezone and one without, NaN)."""
    if a is None or b is None or a[0] != b[0]:
        return False
    try:
        return a[1] <= b[1] if or_equal else a[1] < b[1]
    except TypeError:
        return False


# ----------------------------------------------------------------------------- graphs

class Pairs:
    """A graph held as {predicate: [(subject, object)]}, nodes in canonical form: how the
    engine indexes it, built so by the annex reader (no triple made to be taken apart
    again).  Iterating yields its triples."""

    __slots__ = ("by_predicate",)

    def __init__(self, by_predicate: dict[str, list[tuple[str, str]]]):
        self.by_predicate = by_predicate

    @classmethod
    def of(cls, triples) -> "Pairs":
        out: dict[str, list] = {}
        for s, p, o in triples:
            found = out.get(p)
            if found is None:
                out[p] = [(s, o)]
            else:
                found.append((s, o))
        return cls(out)

    def __add__(self, other: "Pairs") -> "Pairs":
        out = dict(self.by_predicate)
        for p, pairs in other.by_predicate.items():
            out[p] = out[p] + pairs if p in out else pairs
        return Pairs(out)

    def __iter__(self):
        for p, pairs in self.by_predicate.items():
            for s, o in pairs:
                yield s, p, o

    def __len__(self) -> int:
        return sum(map(len, self.by_predicate.values()))


def graph_triples(g) -> list[Triple]:
    """An rdflib graph's triples in canonical form (rdflib's lexical forms, as it parsed them)."""
    if isinstance(g, Graph):
        return list(g)
    return [(canon(s), canon(p), canon(o)) for s, p, o in g]


class Graph:
    """A graph read only, held as canonical N-Triples triples (no rdflib), indexed for the
    lookups a shapes graph or a vocabulary is read with: ``value``, ``objects``,
    ``subjects``, ``predicates``, ``subject_objects``, ``items`` (an RDF list).  A triple
    given twice is held once, as in any RDF graph.  ``rdflib()`` is the same graph in rdflib
    (built on first call, with the same blank node labels)."""

    __slots__ = ("triples", "_sp", "_po", "_s", "_p", "_rdflib")

    def __init__(self, triples):
        self.triples: list[Triple] = list(dict.fromkeys(triples))
        self._sp: dict[tuple[str, str], list[str]] = {}
        self._po: dict[tuple[str, str], list[str]] = {}
        self._s: dict[str, list[tuple[str, str]]] = {}
        self._p: dict[str, list[tuple[str, str]]] = {}
        for s, p, o in self.triples:
            self._sp.setdefault((s, p), []).append(o)
            self._po.setdefault((p, o), []).append(s)
            self._s.setdefault(s, []).append((p, o))
            self._p.setdefault(p, []).append((s, o))
        self._rdflib = None

    def __iter__(self):
        return iter(self.triples)

    def __len__(self) -> int:
        return len(self.triples)

    def value(self, s: str, p: str) -> str | None:
        """One object of (s, p), or None."""
        found = self._sp.get((s, p))
        return found[0] if found else None

    def objects(self, s: str, p: str) -> list[str]:
        return self._sp.get((s, p), [])

    def subjects(self, p: str, o: str | None = None) -> list[str]:
        """The subjects of (p, o), or of p whatever the object (each once)."""
        if o is None:
            return list(dict.fromkeys(s for s, _ in self._p.get(p, ())))
        return self._po.get((p, o), [])

    def predicates(self, s: str) -> list[str]:
        return list(dict.fromkeys(p for p, _ in self._s.get(s, ())))

    def subject_objects(self, p: str) -> list[tuple[str, str]]:
        return self._p.get(p, [])

    def items(self, node: str) -> list[str]:
        """The members of the RDF list ``node`` (rdf:first / rdf:rest), as rdflib's
        ``Collection`` reads them (a list that loops is a ValueError)."""
        out, chain = [], {node}
        while node is not None:
            first = self.value(node, RDF_FIRST)
            if first is not None:
                out.append(first)
            node = self.value(node, RDF_REST)
            if node in chain:
                raise ValueError("List contains a recursive rdf:rest reference")
            chain.add(node)
        return out

    def rdflib(self):
        """The same graph in rdflib (built once; do not modify it)."""
        if self._rdflib is None:
            g = _rdflib().Graph()
            for s, p, o in self.triples:
                g.add((rdflib_term(s), rdflib_term(p), rdflib_term(o)))
            self._rdflib = g
        return self._rdflib


def as_graph(g) -> Graph:
    """A :class:`Graph` of ``g``: itself, or an rdflib graph's triples (converted once per graph
    object, the last few kept)."""
    if isinstance(g, Graph):
        return g
    hit = _CONVERTED.get(id(g))
    if hit is None or hit[0] is not g:
        if len(_CONVERTED) >= 8:
            _CONVERTED.pop(next(iter(_CONVERTED)))
        hit = _CONVERTED[id(g)] = (g, Graph(graph_triples(g)))
    return hit[1]


_CONVERTED: dict[int, tuple[object, Graph]] = {}


def store_triples(store: ox.Store):
    """Every triple of an Oxigraph store (all graphs)."""
    for q in store:
        yield str(q.subject), str(q.predicate), str(q.object)


def rdf_format(path) -> ox.RdfFormat:
    """The serialisation of an RDF file, by its suffix (santelex/formats.py)."""
    from santelex.validation.errors import DataError

    fmt = formats.by_suffix(path)
    if fmt is None:
        known = sorted(s for f in formats.RDF for s in f.suffixes)
        raise DataError(f"not an RDF file (expected one of {', '.join(known)})", str(path))
    return formats.oxigraph(fmt)


def file_triples(path) -> list[Triple]:
    """A file's triples (all its graphs), parsed by Oxigraph: lexical forms as written."""
    from pathlib import Path

    from santelex.validation.errors import DataError

    path = Path(path)
    try:
        quads = ox.parse(path=str(path), format=rdf_format(path), base_iri=path.resolve().as_uri())
        return [(str(q.subject), str(q.predicate), str(q.object)) for q in quads]
    except SyntaxError as e:
        line = getattr(e, "lineno", None)
        raise DataError(f"not valid RDF: {e.msg if hasattr(e, 'msg') else e}", str(path), line) from None
    except OSError as e:
        raise DataError(f"cannot read: {e.strerror or e}", str(path)) from None
