"""The SHACL Core constraint components, each registered once with its section of the spec.

https://www.w3.org/TR/shacl/#core-components

A component is activated on a shape when the shape has a value for each of its mandatory
parameters; ``compile`` turns each such value into what ``evaluate`` needs, once per shapes
graph; ``evaluate(engine, shape, pairs, param)`` checks every focus node of the shape at once
and returns its results as tuples ``(focus, value or None, shape, component name)`` (a fifth
element, when present, is the result path in text form: sh:closed reports the predicate).

``pairs`` iterates over (focus node, value nodes); ``engine.distinct(pairs)`` lists each
value once, so that what depends on a value alone is computed once per value.

``reads`` says what conformance to the constraint depends on, seen from the focus node, so
that the engine can check once the focus nodes that read alike: ``count`` (how many values),
``values`` (which values), ``pair`` (the values and those of another property), ``members``
(the values checked against nested shapes).

The tables of supported components and parameters (:func:`table`, ``PARAMETERS``) are
derived from this registry, never written twice.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import chain, compress
from typing import Callable

from santelex import vocab
from santelex.validation import terms
from santelex.validation.errors import ShapeError

SH = vocab.SH


def _sh(name: str) -> str:
    return f"<{SH}{name}>"


@dataclass(frozen=True)
class Component:
    name: str                    # local name in sh:, e.g. "ClassConstraintComponent"
    section: str                 # section of the SHACL recommendation
    parameters: tuple[str, ...]  # mandatory parameters (local names in sh:)
    optional: tuple[str, ...]
    reads: str                   # count | values | pair | members
    compile: Callable            # (shapes, shape node, value of the first parameter) -> [param, ...]
    evaluate: Callable           # (engine, shape, pairs, param) -> [result, ...]
    members: Callable | None = None   # param -> nested shapes (reads == "members")
    other: Callable | None = None     # param -> the other property's path (reads == "pair")

    @property
    def iri(self) -> str:
        return SH + self.name


REGISTRY: dict[str, Component] = {}


def register(name: str, section: str, parameters: tuple[str, ...], *, optional: tuple[str, ...] = (),
             reads: str = "values", compile: Callable | None = None, members: Callable | None = None,
             other: Callable | None = None):
    """Register the decorated ``evaluate`` function as the component ``name``."""
    def deco(evaluate):
        assert name not in REGISTRY, name
        REGISTRY[name] = Component(name, section, parameters, optional, reads,
                                   compile or (lambda shapes, node, value: [value]), evaluate, members, other)
        return evaluate
    return deco


def table() -> list[tuple[str, str, str]]:
    """(section, component, parameters) of every supported component, in the spec's order."""
    def order(c):
        return tuple(int(x) for x in c.section.split("."))
    return [(c.section, "sh:" + c.name, ", ".join("sh:" + p for p in c.parameters + c.optional))
            for c in sorted(REGISTRY.values(), key=order)]


# ----------------------------------------------------------------------------- compile helpers
# nodes and values come in canonical N-Triples form; ``shapes.sg`` is a terms.Graph

def _canon(shapes, node, value):
    return [value]


def _shape(shapes, node, value):
    return [shapes.get(value)]


def _shape_list(shapes, node, value):
    return [[shapes.get(m) for m in shapes.sg.items(value)]]


_INTEGER_TYPES = frozenset(f"{terms.XSD}{t}" for t in terms.INTEGER_TYPES)


def _int(shapes, node, value):
    """An integer parameter, read as rdflib reads one (int() of the lexical form of a literal
    of an integer datatype; a boolean counts as 0 or 1)."""
    if value[0] == '"':
        lexical, datatype, _ = terms.split(value)
        if datatype in _INTEGER_TYPES:
            try:
                return [int(lexical)]
            except ValueError:
                pass
        elif datatype == f"{terms.XSD}boolean":
            return [int(lexical.lower() in ("1", "true"))]
    raise ShapeError(f"{terms.plain(value)} is not an integer (shape {node})")


TRUE = f'"true"^^<{terms.XSD}boolean>'


def is_true(value: str) -> bool:
    """Whether a node is the literal true: only that term activates sh:closed,
    sh:uniqueLang, sh:deactivated… ("1"^^xsd:boolean is another term)."""
    return value == TRUE


def _true(shapes, node, value):
    return [True] if is_true(value) else []


def _path_of(shapes, node, value):
    if value[0] != "<":
        raise ShapeError(f"{terms.plain(value)} is not an IRI (shape {node})")
    return [("p", value)]


def _literal(shapes, node, value):
    return [value]


# ----------------------------------------------------------------------------- 4.1 value type

@register("ClassConstraintComponent", "4.1.1", ("class",), compile=_canon)
def _class(engine, shape, pairs, cls):
    inst = engine.index.instances(cls)
    bad = {v for v in engine.distinct(pairs) if v not in inst or v[0] == '"'}
    return engine.report(pairs, bad, shape, "ClassConstraintComponent")


@register("DatatypeConstraintComponent", "4.1.2", ("datatype",), compile=_canon)
def _datatype(engine, shape, pairs, dt):
    iri = dt[1:-1]
    bad = engine.failing_values(pairs, ("datatype", dt), lambda v: terms.well_typed(v, iri))
    return engine.report(pairs, bad, shape, "DatatypeConstraintComponent")


_NODE_KINDS = {f"<{SH}{k}>": frozenset(v) for k, v in (
    ("IRI", "i"), ("BlankNode", "b"), ("Literal", "l"), ("BlankNodeOrIRI", "bi"), ("BlankNodeOrLiteral", "bl"),
    ("IRIOrLiteral", "il"))}


def _node_kind(shapes, node, value):
    kind = value
    if kind not in _NODE_KINDS:
        raise ShapeError(f"sh:nodeKind {kind} is not a node kind (shape {node})")
    return [_NODE_KINDS[kind]]


@register("NodeKindConstraintComponent", "4.1.3", ("nodeKind",), compile=_node_kind)
def _nodekind(engine, shape, pairs, allowed):
    bad = {v for v in engine.distinct(pairs) if terms.kind(v) not in allowed}
    return engine.report(pairs, bad, shape, "NodeKindConstraintComponent")


# ----------------------------------------------------------------------------- 4.2 cardinality

@register("MinCountConstraintComponent", "4.2.1", ("minCount",), reads="count", compile=_int)
def _min_count(engine, shape, pairs, n):
    name = "MinCountConstraintComponent"
    if n == 1 and pairs.focus_set is not None and isinstance(pairs.table, dict):
        return [(f, None, shape, name) for f in pairs.focus_set.difference(pairs.table)]   # by set difference
    return [(f, None, shape, name) for f, vs in pairs if len(vs) < n]


@register("MaxCountConstraintComponent", "4.2.2", ("maxCount",), reads="count", compile=_int)
def _max_count(engine, shape, pairs, n):
    name = "MaxCountConstraintComponent"
    if pairs.focus_set is not None and isinstance(pairs.table, dict):      # the nodes with many values
        many = engine.many(pairs.table, n)
        return [(f, None, shape, name) for f in many if f in pairs.focus_set]
    return [(f, None, shape, name) for f, vs in pairs if len(vs) > n]


# ----------------------------------------------------------------------------- 4.3 value range

def _range(name: str, accept: Callable):
    def evaluate(engine, shape, pairs, bound):
        b = terms.order_key(bound)
        bad = engine.failing_values(pairs, (name, bound), lambda v: accept(terms.order_key(v), b))
        return engine.report(pairs, bad, shape, name)
    return evaluate


register("MinExclusiveConstraintComponent", "4.3.1", ("minExclusive",), compile=_literal)(
    _range("MinExclusiveConstraintComponent", lambda v, b: terms.less(b, v)))
register("MinInclusiveConstraintComponent", "4.3.2", ("minInclusive",), compile=_literal)(
    _range("MinInclusiveConstraintComponent", lambda v, b: terms.less(b, v, or_equal=True)))
register("MaxExclusiveConstraintComponent", "4.3.3", ("maxExclusive",), compile=_literal)(
    _range("MaxExclusiveConstraintComponent", lambda v, b: terms.less(v, b)))
register("MaxInclusiveConstraintComponent", "4.3.4", ("maxInclusive",), compile=_literal)(
    _range("MaxInclusiveConstraintComponent", lambda v, b: terms.less(v, b, or_equal=True)))


# ----------------------------------------------------------------------------- 4.4 string based

def _length(name: str, accept: Callable):
    def evaluate(engine, shape, pairs, n):
        bad = engine.failing_values(pairs, (name, n), lambda v: v[0] != "_" and accept(len(terms.text(v)), n))
        return engine.report(pairs, bad, shape, name)
    return evaluate


register("MinLengthConstraintComponent", "4.4.1", ("minLength",), compile=_int)(
    _length("MinLengthConstraintComponent", lambda k, n: k >= n))
register("MaxLengthConstraintComponent", "4.4.2", ("maxLength",), compile=_int)(
    _length("MaxLengthConstraintComponent", lambda k, n: k <= n))


def _regex(shapes, node, pattern):
    """sh:pattern with sh:flags, as a Python regular expression (XPath's flags s, m, i, x, q)."""
    flags = shapes.sg.value(node, _sh("flags"))
    bits = 0
    text = terms.plain(pattern)
    for letter in terms.plain(flags) if flags else "":
        if letter == "q":
            text = re.escape(text)
        elif letter in "smix":
            bits |= {"s": re.S, "m": re.M, "i": re.I, "x": re.X}[letter]
        else:
            raise ShapeError(f"unknown sh:flags letter {letter!r} (shape {node})")
    try:
        return [re.compile(text, bits)]
    except re.error as e:
        raise ShapeError(f"sh:pattern {text!r} is not a regular expression: {e} (shape {node})") from None


@register("PatternConstraintComponent", "4.4.3", ("pattern",), optional=("flags",), compile=_regex)
def _pattern(engine, shape, pairs, matcher):
    bad = engine.failing_values(pairs, ("pattern", matcher.pattern, matcher.flags),
                                lambda v: v[0] != "_" and matcher.search(terms.text(v)) is not None)
    return engine.report(pairs, bad, shape, "PatternConstraintComponent")


def _ranges(shapes, node, value):
    return [tuple(terms.plain(r).lower() for r in shapes.sg.items(value))]


def lang_matches(tag: str, rng: str) -> bool:
    """SPARQL langMatches (RFC 4647 basic filtering), case-insensitive."""
    tag = tag.lower()
    return bool(tag) if rng == "*" else tag == rng or tag.startswith(rng + "-")


@register("LanguageInConstraintComponent", "4.4.4", ("languageIn",), compile=_ranges)
def _language_in(engine, shape, pairs, ranges):
    def check(v):
        if v[0] != '"':
            return False
        lang = terms.split(v)[2]
        return lang is not None and any(lang_matches(lang, r) for r in ranges)
    bad = engine.failing_values(pairs, ("languageIn", ranges), check)
    return engine.report(pairs, bad, shape, "LanguageInConstraintComponent")


@register("UniqueLangConstraintComponent", "4.4.5", ("uniqueLang",), compile=_true)
def _unique_lang(engine, shape, pairs, _):
    out = []
    for f, vs in pairs:
        seen: dict[str, int] = {}
        for v in vs:
            if v[0] == '"' and v[-1] != '"' and "@" in v:
                lang = terms.split(v)[2]
                if lang:
                    seen[lang.lower()] = seen.get(lang.lower(), 0) + 1
        out.extend((f, None, shape, "UniqueLangConstraintComponent") for n in seen.values() if n > 1)
    return out


# ----------------------------------------------------------------------------- 4.5 property pairs

def _pair_path(param):
    return param


@register("EqualsConstraintComponent", "4.5.1", ("equals",), reads="pair", compile=_path_of, other=_pair_path)
def _equals(engine, shape, pairs, path):
    out = []
    for (f, vs), other in zip(pairs, engine.column(path, pairs.focus)):
        if vs == other:
            continue
        mine, theirs = set(vs), set(other)
        out.extend((f, v, shape, "EqualsConstraintComponent") for v in vs if v not in theirs)
        out.extend((f, v, shape, "EqualsConstraintComponent") for v in other if v not in mine)
    return out


@register("DisjointConstraintComponent", "4.5.2", ("disjoint",), reads="pair", compile=_path_of, other=_pair_path)
def _disjoint(engine, shape, pairs, path):
    out = []
    for (f, vs), other in zip(pairs, engine.column(path, pairs.focus)):
        if other:
            both = set(vs).intersection(other)
            out.extend((f, v, shape, "DisjointConstraintComponent") for v in vs if v in both)
    return out


def _order(name: str, or_equal: bool):
    def evaluate(engine, shape, pairs, path):
        out = []
        key, less = terms.order_key, terms.less
        column, others = pairs.column, engine.column(path, pairs.focus)
        keys = {v: key(v) for v in dict.fromkeys(chain(chain.from_iterable(column), chain.from_iterable(others)))}
        failing: dict[tuple, list] = {}     # (values, other values) -> a value per pair that fails
        for f, vs, ws in compress(zip(pairs.focus, column, others), map(all, zip(column, others))):  # both sides
            if len(vs) == 1 and len(ws) == 1:                                   # the usual: one value each
                if not less(keys[vs[0]], keys[ws[0]], or_equal):
                    out.append((f, vs[0], shape, name))
                continue
            bad = failing.get((vs, ws))
            if bad is None:
                bad = failing[(vs, ws)] = [v for v in vs for w in ws if not less(keys[v], keys[w], or_equal)]
            out.extend((f, v, shape, name) for v in bad)
        return out
    return evaluate


register("LessThanConstraintComponent", "4.5.3", ("lessThan",), reads="pair", compile=_path_of,
         other=_pair_path)(_order("LessThanConstraintComponent", False))
register("LessThanOrEqualsConstraintComponent", "4.5.4", ("lessThanOrEquals",), reads="pair", compile=_path_of,
         other=_pair_path)(_order("LessThanOrEqualsConstraintComponent", True))


# ----------------------------------------------------------------------------- 4.6 logical
# nested shapes are checked once per distinct value node

@register("NotConstraintComponent", "4.6.1", ("not",), reads="members", compile=_shape, members=lambda s: [s])
def _not(engine, shape, pairs, inner):
    if inner.deactivated:
        return []
    values = engine.distinct(pairs)
    bad = engine.failing(inner, values)
    return engine.report(pairs, {v for v in values if v not in bad}, shape, "NotConstraintComponent")


@register("AndConstraintComponent", "4.6.2", ("and",), reads="members", compile=_shape_list, members=list)
def _and(engine, shape, pairs, members):
    values = engine.distinct(pairs)
    bad: set = set()
    for s in members:
        bad |= engine.bad(s, values)
    return engine.report(pairs, bad, shape, "AndConstraintComponent")


@register("OrConstraintComponent", "4.6.3", ("or",), reads="members", compile=_shape_list, members=list)
def _or(engine, shape, pairs, members):
    pending = engine.distinct(pairs)
    for s in members:
        if not pending:
            break
        bad = engine.bad(s, pending)
        pending = [v for v in pending if v in bad]
    return engine.report(pairs, set(pending), shape, "OrConstraintComponent")


@register("XoneConstraintComponent", "4.6.4", ("xone",), reads="members", compile=_shape_list, members=list)
def _xone(engine, shape, pairs, members):
    values = engine.distinct(pairs)
    passed = dict.fromkeys(values, 0)
    for s in members:
        bad = engine.bad(s, values)
        for v in values:
            if v not in bad:
                passed[v] += 1
    return engine.report(pairs, {v for v, n in passed.items() if n != 1}, shape, "XoneConstraintComponent")


# ----------------------------------------------------------------------------- 4.7 shape-based

@register("NodeConstraintComponent", "4.7.1", ("node",), reads="members", compile=_shape, members=lambda s: [s])
def _node(engine, shape, pairs, inner):
    bad = engine.bad(inner, engine.distinct(pairs))
    return engine.report(pairs, bad, shape, "NodeConstraintComponent")


@register("PropertyConstraintComponent", "4.7.2", ("property",), reads="members", compile=_shape,
          members=lambda s: [s])
def _property(engine, shape, pairs, inner):
    """The nested property shape's results surface as they are (their focus: the value node),
    once for each (focus node, value node) pair that reaches the value."""
    values = engine.distinct(pairs)
    found = engine.evaluate(inner, values)
    if not found or pairs.focus is values:
        return found
    times: dict = {}
    for _, vs in pairs:
        for v in vs:
            times[v] = times.get(v, 0) + 1
    if all(n == 1 for n in times.values()):
        return found
    return [r for r in found for _ in range(times.get(r[0], 1))]


def _qualified_compile(count: str):
    def compile(shapes, node, qvs):
        sg = shapes.sg
        disjoint = any(is_true(v) for v in sg.objects(node, _sh("qualifiedValueShapesDisjoint")))
        siblings = []
        if disjoint:
            for parent in sg.subjects(_sh("property"), node):
                for prop in sg.objects(parent, _sh("property")):
                    for other in sg.objects(prop, _sh("qualifiedValueShape")):
                        if other != qvs and other not in siblings:
                            siblings.append(other)
        inner = shapes.get(qvs)
        return [(inner, n, [shapes.get(o) for o in siblings])
                for v in sg.objects(node, _sh(count)) for n in _int(shapes, node, v)]
    return compile


def _qualified_values(engine, pairs, inner, siblings) -> set:
    """The distinct values that conform to the qualified value shape and to none of its siblings."""
    values = engine.distinct(pairs)
    good = set(values) - engine.bad(inner, values)
    for sib in siblings:
        if good:
            good &= engine.bad(sib, list(good))
    return good


def _qualified(name: str, accept: Callable):
    def evaluate(engine, shape, pairs, param):
        inner, n, siblings = param
        good = _qualified_values(engine, pairs, inner, siblings)
        return [(f, None, shape, name) for f, vs in pairs if not accept(sum(v in good for v in vs), n)]
    return evaluate


register("QualifiedMinCountConstraintComponent", "4.7.3", ("qualifiedValueShape", "qualifiedMinCount"),
         optional=("qualifiedValueShapesDisjoint",), reads="members", compile=_qualified_compile("qualifiedMinCount"),
         members=lambda p: [p[0], *p[2]])(_qualified("QualifiedMinCountConstraintComponent", lambda k, n: k >= n))
register("QualifiedMaxCountConstraintComponent", "4.7.3", ("qualifiedValueShape", "qualifiedMaxCount"),
         optional=("qualifiedValueShapesDisjoint",), reads="members", compile=_qualified_compile("qualifiedMaxCount"),
         members=lambda p: [p[0], *p[2]])(_qualified("QualifiedMaxCountConstraintComponent", lambda k, n: k <= n))


# ----------------------------------------------------------------------------- 4.8 other

def _closed_compile(shapes, node, value):
    if not _true(shapes, node, value):
        return []
    sg = shapes.sg
    allowed = set()
    for prop in sg.objects(node, _sh("property")):
        path = sg.value(prop, _sh("path"))
        if path is not None and path[0] == "<":
            allowed.add(path)
    for lst in sg.objects(node, _sh("ignoredProperties")):
        allowed.update(sg.items(lst))
    return [frozenset(allowed)]


@register("ClosedConstraintComponent", "4.8.1", ("closed",), optional=("ignoredProperties",),
          compile=_closed_compile)
def _closed(engine, shape, pairs, allowed):
    """A result for each triple of a value node whose predicate is not allowed; its path is
    the predicate, its value the object."""
    by_subject = engine.index.by_subject()
    out = []
    for f, vs in pairs:
        for v in vs:
            for p, o in by_subject.get(v, ()):
                if p not in allowed:
                    out.append((f, o, shape, "ClosedConstraintComponent", p))
    return out


@register("HasValueConstraintComponent", "4.8.2", ("hasValue",), compile=_canon)
def _has_value(engine, shape, pairs, term):
    """A result, without sh:value, for each focus node none of whose values is the term."""
    return [(f, None, shape, "HasValueConstraintComponent") for f, vs in pairs if term not in vs]


def _list(shapes, node, value):
    return [frozenset(shapes.sg.items(value))]


@register("InConstraintComponent", "4.8.3", ("in",), compile=_list)
def _in(engine, shape, pairs, allowed):
    return engine.report(pairs, {v for v in engine.distinct(pairs) if v not in allowed}, shape,
                         "InConstraintComponent")


#: every parameter of a supported component
PARAMETERS = frozenset(p for c in REGISTRY.values() for p in c.parameters + c.optional)
#: what a shape may also carry: targets, path, and the non-validating properties
NON_VALIDATING = frozenset({
    "targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf", "path", "severity", "message",
    "deactivated", "name", "description", "order", "group", "defaultValue"})
#: SHACL-SPARQL and SHACL Advanced Features: refused by name
REFUSED = {"sparql": "SPARQLConstraintComponent (sh:sparql)", "target": "SPARQL-based targets (sh:target)",
           "rule": "SHACL rules (sh:rule)", "expression": "node expressions (sh:expression)"}
