"""Validate annexes of objectifs quantifiés against the SHACL shapes of D. 712-1 to D. 712-3.

    report = validate("examples/annexe-2006")          # a folder, an .xlsx, or Annexe objects
    report.conforms, report.results                     # Result(file, row, severity, rule, ...)
    render(report, "text" | "json" | "turtle" | "html")

Each annex is validated against the rule set in force at its start (santelex.rulesets:
shapes/<name>/*.ttl and its vocabulary ontology/*.ttl + ontology/<name>/*.ttl), or the one
in force at a date given (``law=``), or one named (``ruleset=``).  The data graph is the
annex's graph (santelex.annex, with the rule set's notations) plus the vocabulary; the
shapes graph is the rule set's shapes.  The law links are URIs carried by the shapes
(slx:law, slx:lawLabel), so validation needs no store.

Two engines give the same set of SHACL results (focus node, path, value, source shape,
constraint component, severity, messages), which tests/test_validate.py checks:

- ``pyshacl``: the reference, pySHACL with its default options.  It evaluates shape by
  shape and focus node by focus node in rdflib: about 3 ms per objective.
- ``fast`` (default): loads the data into an in-memory Oxigraph store (Rust parses and
  indexes the triples), reads each path once for all focus nodes, and evaluates each
  constraint once over all of them, checking nested shapes (sh:not, sh:or, sh:xone, sh:node)
  once per *distinct* value node.  It implements the SHACL Core components the shapes use
  (listed in ``FAST_COMPONENTS``) with pySHACL's semantics, and refuses shapes that use any
  other, rather than answer differently.
"""
from __future__ import annotations

import html as html_mod
import json
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator, Sequence
from urllib.parse import unquote

import pyoxigraph as ox
import rdflib
from rdflib import RDF, RDFS, BNode, Literal, URIRef
from rdflib.collection import Collection

from santelex import annex as annex_mod
from santelex import rulesets
from santelex.errors import AnnexError, SantelexError

__all__ = ["Result", "Report", "RawResult", "validate", "render", "shapes_graph", "ontology_graph",
           "run_pyshacl", "run_fast", "fast_input", "store_triples", "graph_triples", "data_graph", "canon",
           "FAST_COMPONENTS", "ShapeError"]

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
SLX = rdflib.Namespace("https://data.santelex.fr/ontology#")
XSD = rdflib.Namespace("http://www.w3.org/2001/XMLSchema#")
SEVERITIES = {str(SH.Violation): "Violation", str(SH.Warning): "Warning", str(SH.Info): "Info"}


class ShapeError(SantelexError):
    """A shape the fast engine cannot evaluate exactly as pySHACL would."""


# ----------------------------------------------------------------------------- inputs

Triple = tuple[str, str, str]


def _ruleset(ruleset: rulesets.RuleSet | str) -> rulesets.RuleSet:
    return ruleset if isinstance(ruleset, rulesets.RuleSet) else rulesets.get(ruleset)


def shapes_graph(ruleset: rulesets.RuleSet | str) -> rdflib.Graph:
    """The rule set's shapes, shapes/<name>/*.ttl (parsed once; do not modify)."""
    return _ruleset(ruleset).shapes()


def ontology_graph(ruleset: rulesets.RuleSet | str) -> rdflib.Graph:
    """The rule set's vocabulary, ontology/*.ttl and ontology/<name>/*.ttl (parsed once; do not modify)."""
    return _ruleset(ruleset).vocabulary()


def canon(term) -> str | None:
    """An rdflib term in canonical N-Triples form, exactly as Oxigraph writes it."""
    if term is None:
        return None
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        if term.language:
            return str(ox.Literal(str(term), language=term.language))
        if term.datatype is not None and term.datatype != XSD.string:
            return str(ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype))))
        return str(ox.Literal(str(term)))
    return f"_:{term}"


def graph_triples(g: rdflib.Graph) -> list[Triple]:
    return [(canon(s), canon(p), canon(o)) for s, p, o in g]


@lru_cache(maxsize=None)
def _ontology_triples(ruleset: rulesets.RuleSet) -> tuple[Triple, ...]:
    return tuple(graph_triples(ruleset.vocabulary()))


def fast_input(annexes: Sequence[annex_mod.Annexe], ruleset: rulesets.RuleSet | str) -> list[Triple]:
    """The data graph for the fast engine: the rule set's vocabulary and the annexes' triples."""
    rs = _ruleset(ruleset)
    out = list(_ontology_triples(rs))
    for a in annexes:
        out.extend(annex_mod.triples(a, notations=rs.notations()))
    return out


def store_triples(store: ox.Store) -> Iterator[Triple]:
    """Every triple of an Oxigraph store (all graphs), for the fast engine."""
    for q in store:
        yield str(q.subject), str(q.predicate), str(q.object)


def data_graph(annexes: Sequence[annex_mod.Annexe], ruleset: rulesets.RuleSet | str) -> rdflib.Graph:
    """The annexes' graph in rdflib, for pySHACL (the vocabulary is given to it separately)."""
    g = rdflib.Graph()
    g.parse(data=annex_mod.ntriples_many(annexes, _ruleset(ruleset).notations()), format="nt")
    return g


# ----------------------------------------------------------------------------- raw results

def path_text(sg: rdflib.Graph, path) -> str:
    """A SHACL path as SPARQL-like text: <p>, ^<p>, (a / b), (a | b), (a)*."""
    if isinstance(path, URIRef):
        return f"<{path}>"
    inv = sg.value(path, SH.inversePath)
    if inv is not None:
        return "^" + path_text(sg, inv)
    alt = sg.value(path, SH.alternativePath)
    if alt is not None:
        return "(" + " | ".join(path_text(sg, p) for p in Collection(sg, alt)) + ")"
    for prop, op in ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?")):
        inner = sg.value(path, prop)
        if inner is not None:
            return "(" + path_text(sg, inner) + ")" + op
    if sg.value(path, RDF.first) is not None:
        return "(" + " / ".join(path_text(sg, p) for p in Collection(sg, path)) + ")"
    raise ShapeError(f"unknown SHACL path {path}")


@dataclass(frozen=True)
class RawResult:
    """One SHACL validation result, engine-independent (terms in canonical N-Triples form)."""

    focus: str
    path: str | None
    value: str | None
    shape: str
    component: str
    severity: str
    messages: tuple[str, ...]


def run_pyshacl(data: rdflib.Graph, shapes: rdflib.Graph,
                ontology: rdflib.Graph) -> tuple[bool, list[RawResult], rdflib.Graph]:
    """The reference: pySHACL with default options.  Returns (conforms, results, report graph)."""
    import pyshacl

    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, ont_graph=ontology)
    results = []
    top = next(report.subjects(RDF.type, SH.ValidationReport))
    for r in report.objects(top, SH.result):       # not the sh:detail results nested in them
        path = report.value(r, SH.resultPath)
        results.append(RawResult(
            focus=canon(report.value(r, SH.focusNode)),
            path=path_text(report, path) if path is not None else None,
            value=canon(report.value(r, SH.value)),
            shape=canon(report.value(r, SH.sourceShape)),
            component=str(report.value(r, SH.sourceConstraintComponent)),
            severity=str(report.value(r, SH.resultSeverity)),
            messages=tuple(sorted(canon(m) for m in report.objects(r, SH.resultMessage)))))
    return bool(conforms), results, report


# ----------------------------------------------------------------------------- the fast engine
#
# Nodes are strings in canonical N-Triples form ("<iri>", "\"12\"^^<…#integer>", "_:b0"):
# Python hashes and compares them fast, and both engines' results are written the same way.

#: SHACL Core parameters the fast engine evaluates (others make it refuse the shapes)
FAST_COMPONENTS = {
    SH["class"]: "ClassConstraintComponent", SH.datatype: "DatatypeConstraintComponent",
    SH.minCount: "MinCountConstraintComponent", SH.maxCount: "MaxCountConstraintComponent",
    SH.minInclusive: "MinInclusiveConstraintComponent", SH.maxInclusive: "MaxInclusiveConstraintComponent",
    SH.minExclusive: "MinExclusiveConstraintComponent", SH.maxExclusive: "MaxExclusiveConstraintComponent",
    SH.pattern: "PatternConstraintComponent", SH["in"]: "InConstraintComponent",
    SH.equals: "EqualsConstraintComponent", SH.lessThan: "LessThanConstraintComponent",
    SH.lessThanOrEquals: "LessThanOrEqualsConstraintComponent",
    SH["not"]: "NotConstraintComponent", SH["and"]: "AndConstraintComponent",
    SH["or"]: "OrConstraintComponent", SH.xone: "XoneConstraintComponent",
    SH.node: "NodeConstraintComponent", SH.property: "PropertyConstraintComponent",
}
_IGNORED = {SH.flags, SH.message, SH.severity, SH.deactivated, SH.path, SH.name, SH.description,
            SH.order, SH.group, SH.defaultValue, SH.targetClass, SH.targetNode, SH.targetSubjectsOf,
            SH.targetObjectsOf}


@dataclass
class _Shape:
    node: object
    key: str
    path: object = None            # rdflib path node (property shapes)
    path_key: str | None = None
    severity: str = str(SH.Violation)
    messages: tuple[str, ...] = ()
    deactivated: bool = False
    targets: dict = field(default_factory=dict)
    constraints: list = field(default_factory=list)   # (component name, parameter values)


class _Shapes:
    """The shapes graph compiled once: every shape, its constraints and targets."""

    def __init__(self, sg: rdflib.Graph):
        self.sg = sg
        self.shapes: dict[object, _Shape] = {}
        self.top: list[_Shape] = []
        candidates = set(sg.subjects(RDF.type, SH.NodeShape)) | set(sg.subjects(RDF.type, SH.PropertyShape))
        for p in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.path):
            candidates |= set(sg.subjects(p, None))
        for node in candidates:
            shape = self.get(node)
            if shape.targets and not shape.deactivated:
                self.top.append(shape)
        self.top.sort(key=lambda s: s.key)

    def get(self, node) -> _Shape:
        if node in self.shapes:
            return self.shapes[node]
        sg = self.sg
        path = sg.value(node, SH.path)
        shape = _Shape(node=node, key=canon(node), path=path,
                       path_key=path_text(sg, path) if path is not None else None)
        self.shapes[node] = shape
        sev = sg.value(node, SH.severity)
        if sev is not None:
            shape.severity = str(sev)
        shape.messages = tuple(sorted(canon(m) for m in sg.objects(node, SH.message)))
        deact = sg.value(node, SH.deactivated)
        shape.deactivated = bool(deact is not None and deact.toPython() is True)
        for p in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf):
            vals = [canon(v) for v in sg.objects(node, p)]
            if vals:
                shape.targets[p] = vals
        if (node, RDF.type, RDFS.Class) in sg:
            raise ShapeError(f"the fast engine does not evaluate implicit class targets ({node}); "
                             "use --engine pyshacl")
        for p in sorted(set(sg.predicates(node, None))):
            if p in FAST_COMPONENTS:
                values = list(sg.objects(node, p))
                if p == SH["in"]:
                    values = [frozenset(canon(m) for m in Collection(sg, v)) for v in values]
                elif p in (SH["and"], SH["or"], SH.xone):
                    values = [[self.get(s) for s in Collection(sg, v)] for v in values]
                elif p in (SH["not"], SH.node, SH.property):
                    values = [self.get(v) for v in values]
                elif p in (SH["class"], SH.equals, SH.lessThan, SH.lessThanOrEquals):
                    values = [canon(v) for v in values]
                elif p == SH.pattern:
                    flags = sg.value(node, SH.flags)
                    values = [_regex(v, flags) for v in values]
                shape.constraints.append((FAST_COMPONENTS[p], values))
            elif str(p).startswith(str(SH)) and p not in _IGNORED:
                raise ShapeError(f"the fast engine does not evaluate {p} (shape {node}); use --engine pyshacl")
        if path is not None:
            self._check_path(path)
        return shape

    def _check_path(self, path):
        sg = self.sg
        if isinstance(path, URIRef):
            return
        for bad in (SH.zeroOrMorePath, SH.oneOrMorePath, SH.zeroOrOnePath):
            if sg.value(path, bad) is not None:
                raise ShapeError(f"the fast engine does not evaluate {bad} paths; use --engine pyshacl")
        inv = sg.value(path, SH.inversePath)
        alt = sg.value(path, SH.alternativePath)
        if inv is not None:
            self._check_path(inv)
        elif alt is not None:
            for p in Collection(sg, alt):
                self._check_path(p)
        else:
            for p in Collection(sg, path):
                self._check_path(p)

    def paths(self) -> Iterator:
        """Every path any shape reads (for precomputing them before work is shared out)."""
        for shape in self.shapes.values():
            if shape.path is not None:
                yield shape.path
            for name, values in shape.constraints:
                if name in ("EqualsConstraintComponent", "LessThanConstraintComponent",
                            "LessThanOrEqualsConstraintComponent"):
                    yield from (URIRef(v[1:-1]) for v in values)

    def classes(self) -> Iterator[str]:
        for shape in self.shapes.values():
            yield from shape.targets.get(SH.targetClass, ())
            for name, values in shape.constraints:
                if name == "ClassConstraintComponent":
                    yield from values


def _regex(pattern: Literal, flags) -> re.Pattern:
    """sh:pattern and sh:flags compiled as pySHACL does."""
    re_flags = 0
    if flags is not None:
        fl = str(flags.value).lower()
        for letter, bit in (("i", re.I), ("m", re.M), ("s", re.S), ("x", re.X)):
            if letter in fl:
                re_flags |= bit
    text = str(pattern.value) if pattern.value is not None and len(pattern.value) > 1 else str(pattern)
    return re.compile(text, re_flags)


#: (component, parameter) -> {node: passes}: checks that depend on the value node alone,
#: kept across validations (a national set of annexes shares most of its values)
_VALUE_CHECKS: dict[tuple, dict[str, bool]] = {}


def _value_checks(key: tuple) -> dict[str, bool]:
    known = _VALUE_CHECKS.setdefault(key, {})
    if len(known) > 1_000_000:        # a long-lived process: start again rather than grow
        known.clear()
    return known


_NODE_VALUE_COMPONENTS = ("NotConstraintComponent", "AndConstraintComponent", "OrConstraintComponent",
                          "XoneConstraintComponent", "NodeConstraintComponent")
_PLAIN_ORDER = {XSD.integer: "integer", XSD.date: "date"}
_PAIR_COMPONENTS = ("EqualsConstraintComponent", "LessThanConstraintComponent",
                    "LessThanOrEqualsConstraintComponent")
_TYPE = f"<{RDF.type}>"
_SUBCLASS = f"<{RDFS.subClassOf}>"


class _Index:
    """The data graph as dictionaries: for each path, {node: [value nodes]}."""

    def __init__(self, triples: Iterable[Triple], sg: rdflib.Graph):
        self.sg = sg
        by_pred: dict[str, list] = defaultdict(list)
        for s, p, o in triples:
            by_pred[p].append((s, o))
        self._by_pred = by_pred
        self._forward: dict[str, dict] = {}
        self._backward: dict[str, dict] = {}
        self._paths: dict[str, dict] = {}
        self._instances: dict[str, frozenset] = {}
        self._terms: dict[str, object] = {}
        self._focus: dict[tuple, list] = {}

    def _pred(self, pred: str) -> dict:
        """{subject: (objects,)} for one predicate (each triple counted once)."""
        fw = self._forward.get(pred)
        if fw is None:
            pairs = self._by_pred.get(pred, ())
            fw = {s: (o,) for s, o in pairs}
            if len(fw) != len(pairs):          # some subject has several objects
                many: dict = {}
                for s, o in pairs:
                    many.setdefault(s, {})[o] = None
                fw = {s: tuple(os) for s, os in many.items()}
            self._forward[pred] = fw
        return fw

    def _inverse(self, pred: str) -> dict:
        """{object: (subjects,)} for one predicate."""
        bw = self._backward.get(pred)
        if bw is None:
            many: dict = {}
            for s, os in self._pred(pred).items():
                for o in os:
                    ss = many.get(o)
                    if ss is None:
                        many[o] = [s]
                    else:
                        ss.append(s)
            bw = self._backward[pred] = {o: tuple(ss) for o, ss in many.items()}
        return bw

    def values(self, path) -> dict:
        """{node: [value nodes]} for every node with at least one value along ``path``."""
        key = path if isinstance(path, URIRef) else path_text(self.sg, path)
        table = self._paths.get(key)
        if table is None:
            table = self._paths[key] = self._compute(path)
        return table

    def _compute(self, path) -> dict:
        sg = self.sg
        if isinstance(path, URIRef):
            return self._pred(f"<{path}>")
        inv = sg.value(path, SH.inversePath)
        if inv is not None:
            if isinstance(inv, URIRef):
                return self._inverse(f"<{inv}>")
            out: dict = defaultdict(dict)
            for s, vs in self.values(inv).items():
                for v in vs:
                    out[v][s] = None
            return {k: tuple(v) for k, v in out.items()}
        alt = sg.value(path, SH.alternativePath)
        if alt is not None:
            out = defaultdict(dict)
            for p in Collection(sg, alt):
                for s, vs in self.values(p).items():
                    out[s].update(dict.fromkeys(vs))
            return {k: tuple(v) for k, v in out.items()}
        steps = list(Collection(sg, path))
        current = self.values(steps[0])
        for step in steps[1:]:
            nxt = self.values(step)
            composed = {}
            for s, mids in current.items():
                if len(mids) == 1:
                    reached = nxt.get(mids[0])
                    if reached:
                        composed[s] = reached
                    continue
                reached = {}
                for m in mids:
                    reached.update(dict.fromkeys(nxt.get(m, ())))
                if reached:
                    composed[s] = tuple(reached)
            current = composed
        return current

    def instances(self, cls: str) -> frozenset:
        """Nodes of type ``cls`` or of a subclass of it (rdf:type/rdfs:subClassOf*)."""
        found = self._instances.get(cls)
        if found is None:
            sub_back = self._inverse(_SUBCLASS)
            classes, todo = {cls}, [cls]
            while todo:
                for sub in sub_back.get(todo.pop(), ()):
                    if sub not in classes:
                        classes.add(sub)
                        todo.append(sub)
            type_back = self._inverse(_TYPE)
            found = self._instances[cls] = frozenset(n for c in sorted(classes) for n in type_back.get(c, ()))
        return found

    def term(self, node: str):
        """The rdflib term for a node, to compare literals with pySHACL's exact semantics."""
        t = self._terms.get(node)
        if t is None:
            t = self._terms[node] = _rdflib_term(node)
        return t

    def focus_nodes(self, shape: _Shape) -> list[str]:
        key = tuple((p, tuple(v)) for p, v in sorted(shape.targets.items()))
        found = self._focus.get(key)
        if found is not None:
            return found
        nodes: dict = {}
        for p, vals in shape.targets.items():
            for v in vals:
                if p == SH.targetClass:
                    nodes.update(dict.fromkeys(self.instances(v)))
                elif p == SH.targetNode:
                    nodes[v] = None
                elif p == SH.targetSubjectsOf:
                    nodes.update(dict.fromkeys(self._pred(v)))
                elif p == SH.targetObjectsOf:
                    nodes.update(dict.fromkeys(self._inverse(v)))
        found = self._focus[key] = list(nodes)
        return found


_SIMPLE_LITERAL = re.compile(r'"([^"\\]*)"(?:\^\^<([^>]*)>|@([A-Za-z0-9-]+))?')


@lru_cache(maxsize=1 << 18)
def _rdflib_term(node: str):
    """The rdflib term of a node in canonical N-Triples form."""
    if node.startswith("<"):
        return URIRef(node[1:-1])
    if node.startswith("_:"):
        return BNode(node[2:])
    m = _SIMPLE_LITERAL.fullmatch(node)          # no escapes: read it directly
    if m is not None:
        lexical, datatype, language = m.groups()
    else:
        lit = next(iter(ox.parse(f"<s:s> <s:p> {node} .", ox.RdfFormat.N_TRIPLES))).object
        lexical, datatype, language = lit.value, lit.datatype.value if lit.datatype else None, lit.language
    if language:
        return Literal(lexical, lang=language)
    if datatype and datatype != str(XSD.string):
        return Literal(lexical, datatype=URIRef(datatype))
    return Literal(lexical)


class _Pairs(list):
    """The (focus node, value nodes) pairs of a property shape, and how they were made:
    ``table`` ({node: values} along the path), ``focus`` (the node list), ``column`` (the
    values of each focus node, in order) and ``focus_set``."""

    _distinct = None
    table: dict = {}
    focus: Sequence[str] = ()
    column: list = []
    focus_set: frozenset | None = None

    def distinct(self) -> list:
        if self._distinct is None:
            seen: dict = {}
            for _, vs in self:
                for v in vs:
                    seen[v] = None
            self._distinct = list(seen)
        return self._distinct


class _Focus:
    """The (focus node, value nodes) pairs of a node shape: each node is its own value."""

    __slots__ = ("nodes",)

    def __init__(self, nodes: Sequence[str]):
        self.nodes = nodes if isinstance(nodes, list) else list(nodes)

    def __iter__(self):
        return ((f, (f,)) for f in self.nodes)

    def __len__(self):
        return len(self.nodes)

    def distinct(self) -> list:
        return self.nodes


class _Engine:
    """Each constraint of a shape evaluated once over all its focus nodes.

    A result before conversion is (focus node, value node or None, shape, component name).
    Nested shapes (sh:not, sh:and, sh:or, sh:xone, sh:node) are checked once per distinct
    value node: for the 30 activities and equipments that is 30 checks, not 100,000.
    """

    def __init__(self, index: _Index):
        self.index = index
        self._reads_cache: dict[str, tuple] = {}
        self._groups: dict[tuple, tuple] = {}
        self._pairs_cache: dict[tuple, tuple] = {}
        self._focus_sets: dict[int, tuple] = {}
        self._many: dict[tuple, list] = {}
        self._no_gain: set = set()
        self._order_cache: dict[str, dict] = {}
        self._order_keys = _value_checks(("order-key",))

    def evaluate(self, shape: _Shape, focus: Sequence[str]) -> list[tuple]:
        if shape.deactivated or not focus:
            return []
        # node shapes only: a property shape's constraints already work per distinct value
        if shape.path is None and len(focus) >= 64 and not self._shifts(shape):
            groups = self._group(shape, focus)
            if groups is not None:
                return self._spread(shape, groups)
        return self._evaluate(shape, focus)

    def _pairs(self, path, focus: Sequence[str]) -> _Pairs:
        """(focus node, values along ``path``) for each focus node; kept for the big lists."""
        key = (path if isinstance(path, URIRef) else path_text(self.index.sg, path), id(focus), len(focus))
        hit = self._pairs_cache.get(key)
        if hit is not None and hit[0] is focus:
            return hit[1]
        table = self.index.values(path)
        get = table.get
        column = [get(f, ()) for f in focus]
        pairs = _Pairs(zip(focus, column))
        pairs.table, pairs.focus, pairs.column = table, focus, column
        if len(focus) >= 1024:
            pairs.focus_set = self._focus_set(focus)
            self._pairs_cache[key] = (focus, pairs)
        return pairs

    def _focus_set(self, focus: Sequence[str]) -> frozenset:
        hit = self._focus_sets.get(id(focus))
        if hit is None or hit[0] is not focus:
            hit = self._focus_sets[id(focus)] = (focus, frozenset(focus))
        return hit[1]

    def _shifts(self, shape: _Shape) -> bool:
        """Whether some results of ``shape`` have another focus node than the one evaluated
        (a property shape nested in a property shape reports on the outer one's values)."""
        nested = [m for name, values in shape.constraints if name == "PropertyConstraintComponent" for m in values]
        if shape.path is not None:
            return bool(nested)
        return any(self._shifts(m) for m in nested)

    def _group(self, shape: _Shape, nodes: Sequence[str]) -> list[list] | None:
        """Nodes that read the same along the shape's paths, or None if that does not pay."""
        reads = self._reads(shape)
        if "self" in reads or (reads, len(nodes)) in self._no_gain:
            return None
        key = (reads, id(nodes), len(nodes))
        hit = self._groups.get(key)
        if hit is not None and hit[0] is nodes:
            return hit[1]
        if len(nodes) > 20000:            # a sample tells whether the nodes read alike
            tables = [(self.index.values(p), mode == "n") for p, mode in reads]
            sample = {tuple([len(t.get(n, ())) if count else t.get(n, ()) for t, count in tables])
                      for n in nodes[:: len(nodes) // 1024][:1024]}
            if len(sample) > 512:
                self._no_gain.add((reads, len(nodes)))
                return None
        columns = [[len(vs) for vs in self._pairs(p, nodes).column] if mode == "n" else self._pairs(p, nodes).column
                   for p, mode in reads]
        groups: dict[tuple, list] = {}
        for n, sig in zip(nodes, zip(*columns)) if columns else ((n, ()) for n in nodes):
            g = groups.get(sig)
            if g is None:
                groups[sig] = [n]
            else:
                g.append(n)
        if len(groups) * 2 > len(nodes):
            self._no_gain.add((reads, len(nodes)))
            return None
        out = list(groups.values())
        self._groups[key] = (nodes, out)
        return out

    def _spread(self, shape: _Shape, groups: list[list]) -> list[tuple]:
        """A node shape's results on one node of each group, repeated for the others.

        A result of a logical constraint has the focus node as its value; a result of a
        nested property shape has a value along its path, the same for the whole group.
        """
        reps = {g[0]: g for g in groups}
        out = []
        for f, v, s, name in self._evaluate(shape, list(reps)):
            if v == f and s is shape and shape.path is None and name in _NODE_VALUE_COMPONENTS:
                out.extend((m, m, s, name) for m in reps[f])
            else:
                out.extend((m, v, s, name) for m in reps[f])
        return out

    def _evaluate(self, shape: _Shape, focus: Sequence[str]) -> list[tuple]:
        """``focus`` holds distinct nodes."""
        if shape.path is not None:
            pairs = self._pairs(shape.path, focus)
        else:
            pairs = _Focus(focus)
        out: list[tuple] = []
        for name, values in shape.constraints:
            out.extend(getattr(self, "_" + name)(shape, pairs, values))
        return out

    def failing(self, shape: _Shape, nodes: Sequence[str]) -> set:
        """Those of ``nodes`` that do not conform to ``shape``.

        Whether a node conforms depends only on what the shape reads from it: its values
        along the shape's paths (or the node itself if the shape constrains it directly).
        Nodes that read the same are checked once, through one of them.
        """
        if len(nodes) >= 64:
            groups = self._group(shape, nodes)
            if groups is not None:
                bad_reps = {r[0] for r in self._evaluate(shape, [g[0] for g in groups])}
                return {m for g in groups if g[0] in bad_reps for m in g}
        return {r[0] for r in self._evaluate(shape, nodes)}

    def _reads(self, shape: _Shape) -> tuple:
        """What conformance to ``shape`` depends on, seen from the focus node.

        A tuple of (path, "v") (the values along the path), (path, "n") (only how many:
        the shape counts them), or ("self",) when the shape constrains the node itself.
        """
        cached = self._reads_cache.get(shape.key)
        if cached is not None:
            return cached
        self._reads_cache[shape.key] = ("self",)      # while computing (cycles): conservative
        out: dict = {}
        if shape.path is not None:
            counts_only = all(name in ("MinCountConstraintComponent", "MaxCountConstraintComponent")
                              for name, _ in shape.constraints)
            out[(shape.path, "n" if counts_only else "v")] = None
            for name, values in shape.constraints:
                if name in _PAIR_COMPONENTS:
                    out.update(((URIRef(v[1:-1]), "v"), None) for v in values)
        else:
            for name, values in shape.constraints:
                if name in ("NotConstraintComponent", "NodeConstraintComponent", "PropertyConstraintComponent"):
                    members = values
                elif name in ("AndConstraintComponent", "OrConstraintComponent", "XoneConstraintComponent"):
                    members = [m for lst in values for m in lst]
                else:
                    out["self"] = None           # a constraint on the focus node itself
                    continue
                for m in members:
                    out.update(dict.fromkeys(self._reads(m)))
        reads = ("self",) if "self" in out else tuple(sorted(out, key=str))
        self._reads_cache[shape.key] = reads
        return reads

    @staticmethod
    def _distinct(pairs) -> list:
        return pairs.distinct()

    def _failing_values(self, pairs, key: tuple, check) -> set:
        """The distinct values of ``pairs`` for which ``check(value)`` is false, each value
        checked once per process and per ``key`` (the constraint and its parameter)."""
        known = _value_checks(key)
        failing = set()
        for v in self._distinct(pairs):
            good = known.get(v)
            if good is None:
                good = known[v] = check(v)
            if not good:
                failing.add(v)
        return failing

    # -- value type
    def _ClassConstraintComponent(self, shape, pairs, classes):
        out = []
        for c in classes:
            inst = self.index.instances(c)
            bad = {v for v in self._distinct(pairs) if v not in inst or v[0] == '"'}
            out.extend(self._report(pairs, bad, shape, "ClassConstraintComponent"))
        return out

    def _DatatypeConstraintComponent(self, shape, pairs, datatypes):
        from pyshacl.constraints.core.value_constraints import DatatypeConstraintComponent as D

        dt = datatypes[0]

        def check(v) -> bool:
            if v[0] != '"':
                return False
            lit = self.index.term(v)
            if lit.datatype == dt:
                return getattr(lit, "ill_typed", None) is not True and D._assert_actual_datatype(None, lit, dt)
            if dt == RDFS.Literal or (dt == RDFS.Datatype and lit.datatype):
                return True
            if lit.datatype is None and lit.language is None and dt == XSD.string:
                return isinstance(lit.value, (str, bytes))
            if dt == RDF.langString and lit.language:
                return isinstance(lit.value, (str, bytes))
            return False

        failing = self._failing_values(pairs, ("datatype", dt), check)
        return self._report(pairs, failing, shape, "DatatypeConstraintComponent")

    # -- cardinality
    def _MinCountConstraintComponent(self, shape, pairs, counts):
        n = int(counts[0])
        if n == 1 and pairs.focus_set is not None:          # the nodes without a value, by set difference
            return [(f, None, shape, "MinCountConstraintComponent") for f in pairs.focus_set.difference(pairs.table)]
        return [(f, None, shape, "MinCountConstraintComponent") for f, vs in pairs if len(vs) < n]

    def _MaxCountConstraintComponent(self, shape, pairs, counts):
        n = int(counts[0])
        if pairs.focus_set is not None:                     # the nodes with many values, once per path
            key = (id(pairs.table), n)
            many = self._many.get(key)
            if many is None:
                many = self._many[key] = [s for s, vs in pairs.table.items() if len(vs) > n]
            return [(f, None, shape, "MaxCountConstraintComponent") for f in many if f in pairs.focus_set]
        return [(f, None, shape, "MaxCountConstraintComponent") for f, vs in pairs if len(vs) > n]

    # -- value range (pySHACL's compare_literal on rdflib literals)
    def _range(self, shape, pairs, bounds, name, accept):
        from pyshacl.rdfutil import compare_literal

        out = []
        for b in bounds:
            b_is_string = isinstance(b.value, str)

            def check(v, b=b, b_is_string=b_is_string) -> bool:
                if v[0] != '"':
                    return False
                lit = self.index.term(v)
                if isinstance(lit.value, str) != b_is_string:
                    return False
                try:
                    return bool(accept(compare_literal(lit, b)))
                except (TypeError, NotImplementedError):
                    return False

            failing = self._failing_values(pairs, (name, canon(b)), check)
            out.extend(self._report(pairs, failing, shape, name))
        return out

    def _MinInclusiveConstraintComponent(self, shape, pairs, bounds):
        return self._range(shape, pairs, bounds, "MinInclusiveConstraintComponent", lambda c: c >= 0)

    def _MaxInclusiveConstraintComponent(self, shape, pairs, bounds):
        return self._range(shape, pairs, bounds, "MaxInclusiveConstraintComponent", lambda c: c <= 0)

    def _MinExclusiveConstraintComponent(self, shape, pairs, bounds):
        return self._range(shape, pairs, bounds, "MinExclusiveConstraintComponent", lambda c: c > 0)

    def _MaxExclusiveConstraintComponent(self, shape, pairs, bounds):
        return self._range(shape, pairs, bounds, "MaxExclusiveConstraintComponent", lambda c: c < 0)

    # -- string
    def _PatternConstraintComponent(self, shape, pairs, patterns):
        out = []
        for matcher in patterns:
            ok: dict = {}
            for v in self._distinct(pairs):
                if v.startswith("_:"):
                    ok[v] = False
                else:
                    text = str(self.index.term(v))
                    ok[v] = bool(matcher.match(text) or matcher.search(text))
            out.extend(self._report(pairs, {v for v, good in ok.items() if not good}, shape,
                                    "PatternConstraintComponent"))
        return out

    # -- other
    def _InConstraintComponent(self, shape, pairs, lists):
        out = []
        for allowed in lists:
            out.extend(self._report(pairs, {v for v in self._distinct(pairs) if v not in allowed}, shape,
                                    "InConstraintComponent"))
        return out

    # -- property pairs
    def _EqualsConstraintComponent(self, shape, pairs, props):
        out = []
        for p in props:
            for (f, vs), other in zip(pairs, self._pairs(URIRef(p[1:-1]), pairs.focus).column):
                if vs == other:
                    continue
                mine, theirs = set(vs), set(other)
                out.extend((f, v, shape, "EqualsConstraintComponent") for v in mine - theirs)
                out.extend((f, v, shape, "EqualsConstraintComponent") for v in theirs - mine)
        return out

    def _pair_order(self, shape, pairs, props, name, accept):
        out = []
        cache = self._order_cache.setdefault(name, {})
        keys = self._order_keys
        for p in props:
            for (f, vs), others in zip(pairs, self._pairs(URIRef(p[1:-1]), pairs.focus).column):
                if not others or not vs:
                    continue
                for v in vs:
                    a = keys.get(v) or self._order_key(v)
                    for w in others:
                        b = keys.get(w) or self._order_key(w)
                        if a[2] and b[2] and a[1] == b[1]:          # same plain datatype
                            ok = accept(a[0], b[0])
                        else:
                            ok = cache.get((v, w))
                            if ok is None:
                                ok = cache[(v, w)] = self._ordered(a, b, accept)
                        if not ok:
                            out.append((f, v, shape, name))
        return out

    def _order_key(self, node: str) -> tuple:
        """(comparable, kind, plain) for a node, as pySHACL's sh:lessThan compares them.

        IRIs and string literals compare as Python strings (kind "str"); other literals as
        rdflib literals, or, for xsd:integer and xsd:date, by their Python value, which is
        what rdflib's comparison of two literals of that datatype comes down to.
        """
        if node.startswith("_:"):
            raise ShapeError("sh:lessThan and sh:lessThanOrEquals cannot compare a blank node")
        if node[0] == "<":
            key = (node[1:-1], "str", False, None)
        else:
            lit = self.index.term(node)
            if isinstance(lit.value, str):
                key = (lit.value, "str", False, lit)
            elif lit.datatype in _PLAIN_ORDER and not lit.ill_typed and lit.value is not None:
                key = (lit.value, _PLAIN_ORDER[lit.datatype], True, lit)
            else:
                key = (lit, "literal", False, lit)
        self._order_keys[node] = key
        return key

    @staticmethod
    def _ordered(a: tuple, b: tuple, accept) -> bool:
        a_str, b_str = a[1] == "str", b[1] == "str"
        if a_str != b_str:
            return False
        if a_str:
            return accept(a[0], b[0])
        return accept(a[3], b[3])

    def _LessThanConstraintComponent(self, shape, pairs, props):
        return self._pair_order(shape, pairs, props, "LessThanConstraintComponent", lambda a, b: a < b)

    def _LessThanOrEqualsConstraintComponent(self, shape, pairs, props):
        return self._pair_order(shape, pairs, props, "LessThanOrEqualsConstraintComponent", lambda a, b: a <= b)

    # -- logical and shape-based: nested shapes checked once per distinct value node
    @staticmethod
    def _report(pairs, picked: set, shape, name) -> list[tuple]:
        """A result for each (focus, value) whose value is in ``picked``."""
        if not picked:
            return []
        if isinstance(pairs, _Focus):
            return [(v, v, shape, name) for v in picked]
        return [(f, v, shape, name) for f, vs in pairs for v in vs if v in picked]

    def _NotConstraintComponent(self, shape, pairs, inner):
        out = []
        for s in inner:
            if s.deactivated:
                continue
            bad = self.failing(s, self._distinct(pairs))
            values = self._distinct(pairs)
            out.extend(self._report(pairs, {v for v in values if v not in bad}, shape, "NotConstraintComponent"))
        return out

    def _AndConstraintComponent(self, shape, pairs, lists):
        out = []
        for members in lists:
            values = self._distinct(pairs)
            bad: set = set()
            for s in members:
                if not s.deactivated:
                    bad |= self.failing(s, values)
            out.extend(self._report(pairs, bad, shape, "AndConstraintComponent"))
        return out

    def _OrConstraintComponent(self, shape, pairs, lists):
        out = []
        for members in lists:
            pending = self._distinct(pairs)
            for s in members:
                if not pending:
                    break
                if s.deactivated:
                    pending = []
                    break
                bad = self.failing(s, pending)
                pending = [v for v in pending if v in bad]
            bad = set(pending)
            out.extend(self._report(pairs, bad, shape, "OrConstraintComponent"))
        return out

    def _XoneConstraintComponent(self, shape, pairs, lists):
        out = []
        for members in lists:
            values = self._distinct(pairs)
            passed = dict.fromkeys(values, 0)
            for s in members:
                bad = set() if s.deactivated else self.failing(s, values)
                for v in values:
                    if v not in bad:
                        passed[v] += 1
            out.extend(self._report(pairs, {v for v, n in passed.items() if n != 1}, shape,
                                    "XoneConstraintComponent"))
        return out

    def _NodeConstraintComponent(self, shape, pairs, inner):
        out = []
        for s in inner:
            if s.deactivated:
                continue
            bad = self.failing(s, self._distinct(pairs))
            out.extend(self._report(pairs, bad, shape, "NodeConstraintComponent"))
        return out

    def _PropertyConstraintComponent(self, shape, pairs, inner):
        """Results of nested property shapes surface as they are (their focus: the value node).

        pySHACL validates the nested shape once per (focus, value) pair, so a value node
        reached from two focus nodes has its results twice: so here.
        """
        values = self._distinct(pairs)
        times: dict | None = None
        if not isinstance(pairs, _Focus):
            times = {}
            for _, vs in pairs:
                for v in vs:
                    times[v] = times.get(v, 0) + 1
        out = []
        for s in inner:
            found = self.evaluate(s, values)
            if times is None or all(n == 1 for n in times.values()):
                out.extend(found)
            else:
                for r in found:
                    out.extend([r] * times.get(r[0], 1))
        return out


_COMPILED: dict[int, tuple[rdflib.Graph, _Shapes]] = {}


def _compile(sg: rdflib.Graph) -> _Shapes:
    hit = _COMPILED.get(id(sg))
    if hit is None or hit[0] is not sg:
        hit = _COMPILED[id(sg)] = (sg, _Shapes(sg))
    return hit[1]


_WORK: dict = {}


def _work_chunk(k: int) -> list[tuple]:
    """In a forked worker: evaluate every top shape on the k-th share of its focus nodes."""
    engine, top, n = _WORK["engine"], _WORK["top"], _WORK["n"]
    out = []
    shares: dict[int, list] = {}
    for shape, focus in top:
        share = shares.get(id(focus))
        if share is None:               # one list per focus set, so groupings are shared
            share = shares[id(focus)] = focus[k::n]
        out.extend((f, v, s.key, name) for f, v, s, name in engine.evaluate(shape, share))
    return out


def run_fast(triples: Iterable[Triple], shapes: rdflib.Graph,
             workers: int | None = None) -> tuple[bool, list[RawResult]]:
    """The fast engine on the data graph given as canonical N-Triples triples.

    ``workers`` processes (default: one per CPU, for 20,000 focus nodes or more) share out
    the focus nodes; the results do not depend on how many there are.
    """
    import gc

    sg = shapes
    compiled = _compile(sg)
    collecting = gc.isenabled()
    gc.disable()          # millions of small tuples and lists, none of them in a cycle
    try:
        return _run_fast(compiled, _Index(triples, sg), workers)
    finally:
        if collecting:
            gc.enable()


def _run_fast(compiled: _Shapes, index: _Index, workers: int | None) -> tuple[bool, list[RawResult]]:
    import os

    engine = _Engine(index)
    top = [(shape, index.focus_nodes(shape)) for shape in compiled.top]
    size = sum(len(f) for _, f in top) // max(1, len(top))
    if workers is None:
        # fork only from a single-threaded process (a web server validates in a worker thread)
        big = size >= 20000 and threading.active_count() == 1
        workers = min(os.cpu_count() or 1, 4) if big else 1
    found: list[tuple] = []
    if workers > 1 and hasattr(os, "fork"):
        import multiprocessing

        for path in compiled.paths():          # shared by the forked workers, computed once
            index.values(path)
        for cls in compiled.classes():
            index.instances(cls)
        _WORK.update(engine=engine, top=top, n=workers)
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for chunk in pool.map(_work_chunk, range(workers)):
                    found.extend(chunk)
        finally:
            _WORK.clear()
    else:
        for shape, focus in top:
            found.extend((f, v, s.key, name) for f, v, s, name in engine.evaluate(shape, focus))
    by_key = {s.key: s for s in compiled.shapes.values()}
    results = []
    fixed: dict = {}
    for f, v, key, name in found:
        const = fixed.get((key, name))
        if const is None:
            s = by_key[key]
            const = fixed[(key, name)] = (s.path_key, s.key, str(SH[name]), s.severity, s.messages)
        results.append(RawResult(f, const[0], v, const[1], const[2], const[3], const[4]))
    return not results, results


# ----------------------------------------------------------------------------- reports

@dataclass(frozen=True)
class Result:
    """One finding, as the user reads it."""

    file: str
    row: int
    severity: str
    rule: str
    message: str
    law: str
    value: str | None
    territory: str = ""
    law_uri: tuple[str, ...] = ()
    #: for an objective: its target, indicator and form as written
    target: str = ""
    indicator: str = ""
    form: str = ""
    #: the rule set whose shape this is
    ruleset: str = ""

    def as_json(self) -> dict:
        focus = {"territory": self.territory}
        if self.target or self.indicator or self.form:
            focus.update(target=self.target, indicator=self.indicator, form=self.form)
        return {"file": self.file, "row": self.row, "severity": self.severity, "rule": self.rule,
                "message": self.message, "law": self.law, "value": self.value, "focus": focus,
                "law_uri": list(self.law_uri), "ruleset": self.ruleset}


@dataclass(frozen=True)
class Report:
    source: str
    conforms: bool
    results: tuple[Result, ...]
    raw: tuple[RawResult, ...]
    engine: str
    objectives: int
    #: each raw SHACL result with the user-level result made from it
    paired: tuple[tuple[RawResult, Result], ...] = ()
    #: the rule sets the annexes were validated against (one, unless their dates differ)
    rulesets: tuple[str, ...] = ()

    @property
    def ruleset(self) -> str:
        """The rule set(s), as a reader names them: 'oqos-2005 (D. 712-1 … ; 2005-02-03 to 2023-05-31)'."""
        return "; ".join(_ruleset_text(name) for name in self.rulesets)


def _ruleset_text(name: str) -> str:
    rs = rulesets.get(name)
    return f"{rs.name} — {rs.label}, {rs.period()}"


_PRED_TO_CELL = {"territoire": "territoire", "cible": "cible", "indicateur": "indicateur",
                 "modalite": "modalite", "minimum": "min", "maximum": "max", "evolution": "evolution",
                 "valeur": "valeur", "echeance": "echeance"}
_ANNEX_PRED_TO_KEY = {str(SLX.region): "region", "http://purl.org/dc/terms/title": "titre",
                      str(SLX.debut): "debut", str(SLX.fin): "fin"}


class _Locator:
    """Where each node of the annexes' graph came from, and how to show its values."""

    def __init__(self, annexes: Sequence[annex_mod.Annexe]):
        self.where: dict[str, tuple[str, int, str]] = {}
        self.objectives: dict[str, annex_mod.Objectif] = {}
        self.annexes: dict[str, annex_mod.Annexe] = {}
        for a in annexes:
            base = annex_mod.iri(a)
            self.annexes[f"<{base}>"] = a
            for node, file, row, territory in annex_mod.node_iris(a, base):
                self.where[node] = (file, row, territory)
            for o in a.objectifs:
                self.objectives[f"<{base}/objectif/{o.row}>"] = o

    def locate(self, raw: RawResult) -> tuple[str, int, str]:
        file, row, territory = self.where.get(raw.focus, ("", 0, ""))
        a = self.annexes.get(raw.focus)
        if a is not None and raw.path:
            key = _ANNEX_PRED_TO_KEY.get(raw.path.strip("<>"))
            if key and key in a.rows:
                file, row = a.rows[key]
        return file, row, territory


def _show(node: str | None) -> str | None:
    """A value as the annex wrote it: a notation, a territory code, a literal's text."""
    if node is None:
        return None
    if node.startswith("<"):
        iri = node[1:-1]
        if iri.startswith(annex_mod.OQOS):
            return iri.rsplit("/", 1)[-1]
        if iri.startswith(annex_mod.BASE) and "/territoire/" in iri:
            return unquote(iri.rsplit("/", 1)[-1])
        return iri
    return str(_rdflib_term(node))


class _ShapeInfo:
    def __init__(self, sg: rdflib.Graph):
        self.sg = sg
        self._parents: dict = defaultdict(list)
        for s, o in sg.subject_objects(SH.property):
            self._parents[o].append(s)
        self._cache: dict = {}

    def node(self, key: str):
        return URIRef(key[1:-1]) if key.startswith("<") else BNode(key[2:])

    def info(self, key: str) -> tuple[str, str, tuple[str, ...], tuple[str, ...]]:
        """(rule, law label, law URIs, cells the shape reads) for a source shape."""
        if key in self._cache:
            return self._cache[key]
        sg = self.sg
        node = self.node(key)
        rule = str(node).rsplit("#", 1)[-1] if isinstance(node, URIRef) else "(forme anonyme)"
        holder, seen = node, set()
        while holder is not None and holder not in seen:
            seen.add(holder)
            if sg.value(holder, SLX.lawLabel) is not None:
                break
            parents = self._parents.get(holder)
            holder = parents[0] if parents else None
        label = str(sg.value(holder, SLX.lawLabel)) if holder is not None else ""
        uris = tuple(sorted(str(u) for u in sg.objects(holder, SLX.law))) if holder is not None else ()
        cells = tuple(dict.fromkeys(self._cells(node, set())))
        self._cache[key] = (rule, label, uris, cells)
        return self._cache[key]

    def compared_cell(self, key: str, component: str) -> str | None:
        """The annex column a property-pair constraint compares the value with."""
        param = SH.lessThan if component == str(SH.LessThanConstraintComponent) else SH.lessThanOrEquals
        prop = self.sg.value(self.node(key), param)
        if isinstance(prop, URIRef) and str(prop).startswith(str(SLX)):
            return _PRED_TO_CELL.get(str(prop)[len(str(SLX)):])
        return None

    def _cells(self, node, seen) -> Iterable[str]:
        if node in seen:
            return
        seen.add(node)
        path = self.sg.value(node, SH.path)
        if isinstance(path, URIRef) and str(path).startswith(str(SLX)):
            local = str(path)[len(str(SLX)):]
            if local in _PRED_TO_CELL:
                yield _PRED_TO_CELL[local]
        for p in (SH.property, SH.node, SH["not"]):
            for o in self.sg.objects(node, p):
                yield from self._cells(o, seen)
        for p in (SH["or"], SH["and"], SH.xone):
            for lst in self.sg.objects(node, p):
                for o in Collection(self.sg, lst):
                    yield from self._cells(o, seen)


_PAIR_SIGNS = {str(SH.LessThanConstraintComponent): "≥", str(SH.LessThanOrEqualsConstraintComponent): ">"}


def _message(messages: tuple[str, ...]) -> str:
    fr = [m for m in messages if m.endswith("@fr")] or list(messages)
    return (_show(fr[0]) or "") if fr else ""


def _pair(annexes: Sequence[annex_mod.Annexe], raws: Sequence[RawResult],
          ruleset: rulesets.RuleSet | str) -> list[tuple[RawResult, Result]]:
    """Each raw SHACL result with the user-level result made from it."""
    rs = _ruleset(ruleset)
    info = _shape_info(rs)
    where = _Locator(annexes)
    paired = []
    for raw in raws:
        file, row, territory = where.locate(raw)
        rule, law, uris, cells = info.info(raw.shape)
        value = _show(raw.value)
        o = where.objectives.get(raw.focus)
        if o is not None and raw.value is not None and raw.value == raw.focus:
            # a rule on the whole objective (sh:or, sh:xone): show the cells it reads
            shown = [f"{c}={getattr(o, c)}" for c in cells if getattr(o, c) not in (None, "")]
            value = ", ".join(shown) if shown else None
        elif o is not None and raw.component in _PAIR_SIGNS:
            other = info.compared_cell(raw.shape, raw.component)
            if other and getattr(o, other) not in (None, ""):
                value = f"{value} {_PAIR_SIGNS[raw.component]} {other}={getattr(o, other)}"
        paired.append((raw, Result(file=file, row=row, severity=SEVERITIES.get(raw.severity, raw.severity),
                                   rule=rule, message=_message(raw.messages), law=law, value=value,
                                   territory=territory, law_uri=uris,
                                   target=o.cible if o is not None else "",
                                   indicator=o.indicateur if o is not None else "",
                                   form=o.forme if o is not None else "", ruleset=rs.name)))
    return paired


@lru_cache(maxsize=None)
def _shape_info(ruleset: rulesets.RuleSet) -> _ShapeInfo:
    return _ShapeInfo(ruleset.shapes())


def _raw_key(r: RawResult) -> tuple:
    return (r.focus, r.path or "", r.value or "", r.shape, r.component, r.severity, r.messages)


def _assemble(source: str, paired: list, engine: str, objectives: int, used: Iterable[str] = ()) -> Report:
    paired.sort(key=lambda p: _raw_key(p[0]))
    results = sorted((r for _, r in paired), key=lambda r: (r.territory, r.file, r.row, r.rule, r.value or ""))
    return Report(source=source, conforms=not paired, results=tuple(results), raw=tuple(r for r, _ in paired),
                  engine=engine, objectives=objectives, paired=tuple(paired), rulesets=tuple(sorted(set(used))))


def build_report(source: str, annexes: Sequence[annex_mod.Annexe], raws: Sequence[RawResult],
                 engine: str, ruleset: rulesets.RuleSet | str) -> Report:
    return _assemble(source, _pair(annexes, raws, ruleset), engine, sum(len(a.objectifs) for a in annexes),
                     [_ruleset(ruleset).name])


def choose(a: annex_mod.Annexe, ruleset: rulesets.RuleSet | str | None = None, law=None) -> rulesets.RuleSet:
    """The rule set to validate ``a`` against: the one named, else the one in force at ``law``
    (a date), else the one in force at the annex's start.  RuleSetError if none."""
    if ruleset is not None:
        return _ruleset(ruleset)
    if law is not None:
        return rulesets.in_force(law, "--law")
    file, row = a.rows.get("debut", (a.file, None))
    try:
        return rulesets.in_force(a.debut, "the annex's debut")
    except rulesets.RuleSetError as e:
        raise rulesets.RuleSetError(e.message, file, row) from None


def validate(annex, engine: str = "fast", workers: int | None = None,
             ruleset: rulesets.RuleSet | str | None = None, law=None) -> Report:
    """Validate an annex with the given engine ("fast" or "pyshacl").

    ``annex`` is a folder or workbook path, an Annexe, or a list of them: several regional
    annexes (a national set) are validated in one report, each on its own graph with the
    vocabulary (no rule reaches from one annex into another).  The fast engine shares them out
    among ``workers`` processes (default: one per CPU from 20,000 objectives on).  Each annex
    is validated against the rule set :func:`choose` picks (``ruleset``, ``law``, its start).
    """
    items = list(annex) if isinstance(annex, (list, tuple)) else [annex]
    source = ", ".join(str(a.source if isinstance(a, annex_mod.Annexe) else a) for a in items)
    if engine not in ("fast", "pyshacl"):
        raise AnnexError(f"unknown engine {engine!r} (fast or pyshacl)")
    if engine == "fast" and len(items) > 1:
        if workers is None:
            big = _size(items) >= 20000 and threading.active_count() == 1
            workers = min(_cpus(), len(items)) if big else 1
        if workers > 1 and hasattr(__import__("os"), "fork"):
            return _validate_sharded(source, items, workers, ruleset, law)
    paired, objectives, used = [], 0, []
    for item in items:
        a = _load(item)
        rs = choose(a, ruleset, law)
        if engine == "fast":
            _, raws = run_fast(fast_input([a], rs), rs.shapes(), workers=workers if len(items) == 1 else 1)
        else:
            _, raws, _ = run_pyshacl(data_graph([a], rs), rs.shapes(), rs.vocabulary())
        paired.extend(_pair([a], raws, rs))
        objectives += len(a.objectifs)
        used.append(rs.name)
    return _assemble(source, paired, engine, objectives, used)


def _load(item) -> annex_mod.Annexe:
    return item if isinstance(item, annex_mod.Annexe) else annex_mod.read(item)


def _cpus() -> int:
    import os

    return min(os.cpu_count() or 1, 4)


def _size(items) -> int:
    """How many objectives, about (files: ~60 bytes a row)."""
    total = 0
    for a in items:
        if isinstance(a, annex_mod.Annexe):
            total += len(a.objectifs)
        else:
            p = Path(a)
            f = p / "objectifs.csv" if p.is_dir() else p
            total += f.stat().st_size // 60 if f.exists() else 0
    return total


_SHARDS: list = []


def _shard_work(k: int):
    """In a forked worker: read, map and validate the annexes of shard k, one by one."""
    import gc

    gc.freeze()            # the parent's objects: never traversed (nor copied) by this process
    paired, objectives, used = [], 0, []
    ruleset, law = _SHARDS[-1]
    for item in _SHARDS[k]:
        a = _load(item)
        rs = choose(a, ruleset, law)
        _, raws = run_fast(fast_input([a], rs), rs.shapes(), workers=1)
        paired.extend(_pair([a], raws, rs))
        objectives += len(a.objectifs)
        used.append(rs.name)
    return paired, objectives, used


def _validate_sharded(source: str, items: list, workers: int, ruleset=None, law=None) -> Report:
    import multiprocessing

    sizes = [(_size([a]), i) for i, a in enumerate(items)]
    shards: list[list] = [[] for _ in range(workers)]
    load = [0] * workers
    for size, i in sorted(sizes, reverse=True):          # biggest first, to the lightest shard
        k = load.index(min(load))
        shards[k].append(items[i])
        load[k] += size
    shards = [s for s in shards if s]
    for rs in rulesets.available():                          # once, before forking
        rs.notations(), _ontology_triples(rs), _compile(rs.shapes()), _shape_info(rs)
    _SHARDS[:] = shards + [(ruleset, law)]
    try:
        with multiprocessing.get_context("fork").Pool(len(shards)) as pool:
            parts = pool.map(_shard_work, range(len(shards)))
    finally:
        _SHARDS.clear()
    paired = [p for part, _, _ in parts for p in part]
    return _assemble(source, paired, "fast", sum(n for _, n, _ in parts), [u for _, _, us in parts for u in us])


# ----------------------------------------------------------------------------- rendering

def render(report: Report, format: str = "text") -> str:
    return {"text": to_text, "json": to_json, "turtle": to_turtle, "html": to_html}[format](report)


def to_json(report: Report) -> str:
    used = []
    for name in report.rulesets:
        rs = rulesets.get(name)
        used.append({"name": rs.name, "iri": rs.iri, "label": rs.label,
                     "from": rs.start.isoformat() if rs.start else None,
                     "until": rs.end.isoformat() if rs.end else None, "encodes": list(rs.encodes)})
    return json.dumps({"conforms": report.conforms, "rulesets": used,
                       "results": [r.as_json() for r in report.results]},
                      ensure_ascii=False, indent=2) + "\n"


def _groups(report: Report) -> dict[str, list[Result]]:
    groups: dict[str, list[Result]] = defaultdict(list)
    for r in report.results:
        groups[r.territory].append(r)
    return groups


def _file(report: Report, file: str) -> str:
    """A file's name, or its path when the report covers several annexes."""
    several = len({str(Path(r.file).parent) for r in report.results}) > 1
    return file if several else Path(file).name


def to_text(report: Report) -> str:
    n = len(report.results)
    law = f"Règles : {report.ruleset}"
    if report.conforms:
        return (f"{report.source}: conforme — {report.objectives} objectifs, aucune violation\n{law}\n")
    lines = [f"{report.source}: NON CONFORME — {n} résultat{'s' if n > 1 else ''} "
             f"sur {report.objectives} objectifs", law]
    for territory, results in sorted(_groups(report).items()):
        lines.append("")
        lines.append(f"Territoire {territory}" if territory else "Sans territoire (annexe, lignes sans code)")
        rows = [(f"{_file(report, r.file)}:{r.row}", r.rule, r.value or "—", r.law) for r in results]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        for (loc, rule, value, law), r in zip(rows, results):
            sev = "" if r.severity == "Violation" else f"[{r.severity}] "
            lines.append(f"  {loc:<{widths[0]}}  {rule:<{widths[1]}}  {value:<{widths[2]}}  {law}")
            lines.append(f"  {'':<{widths[0]}}  {sev}{r.message}")
    return "\n".join(lines) + "\n"


def to_turtle(report: Report) -> str:
    """The standard SHACL validation report, each result also linked to the law (slx:law)."""
    sg = rdflib.Graph()
    for name in report.rulesets:
        sg += rulesets.get(name).shapes()
    g = rdflib.Graph()
    g.bind("sh", SH)
    g.bind("slx", SLX)
    g.bind("slxsh", "https://data.santelex.fr/shapes/oqos#")
    rep = BNode()
    g.add((rep, RDF.type, SH.ValidationReport))
    g.add((rep, SH.conforms, Literal(report.conforms)))
    for name in report.rulesets:
        g.add((rep, SLX.ruleSet, URIRef(rulesets.get(name).iri)))
    paths_by_text = {path_text(sg, p): p for p in sg.objects(None, SH.path)}
    copied: dict = {}

    def copy_path(p):
        if isinstance(p, URIRef):
            return p
        if p in copied:
            return copied[p]
        new = BNode()
        copied[p] = new
        for pred, obj in sg.predicate_objects(p):
            g.add((new, pred, copy_path(obj) if isinstance(obj, BNode) else obj))
        return new

    def term(text):
        return rdflib.util.from_n3(text) if text is not None else None

    for raw, res in report.paired:
        r = BNode()
        g.add((rep, SH.result, r))
        g.add((r, RDF.type, SH.ValidationResult))
        g.add((r, SH.focusNode, term(raw.focus)))
        if raw.path is not None:
            g.add((r, SH.resultPath, copy_path(paths_by_text[raw.path])))
        if raw.value is not None:
            g.add((r, SH.value, term(raw.value)))
        g.add((r, SH.sourceShape, term(raw.shape)))
        g.add((r, SH.sourceConstraintComponent, URIRef(raw.component)))
        g.add((r, SH.resultSeverity, URIRef(raw.severity)))
        for m in raw.messages:
            g.add((r, SH.resultMessage, term(m)))
        for uri in res.law_uri:
            g.add((r, SLX.law, URIRef(uri)))
        g.add((r, SLX.file, Literal(res.file)))
        g.add((r, SLX.row, Literal(res.row)))
    return g.serialize(format="turtle")


def to_html(report: Report) -> str:
    e = html_mod.escape
    n = len(report.results)
    status = "conforme" if report.conforms else f"non conforme — {n} résultat{'s' if n > 1 else ''}"
    parts = [
        "<!DOCTYPE html>", '<html lang="fr"><head><meta charset="utf-8">',
        f"<title>Validation de l'annexe {e(report.source)}</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:80rem}"
        "table{border-collapse:collapse;width:100%;margin-bottom:2rem}"
        "th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}"
        "th{background:#f3f3f3}.ok{color:#176b2c}.ko{color:#a4161a}code{font-size:.9em}</style>",
        "</head><body>",
        f"<h1>Annexe {e(report.source)}</h1>",
        f'<p class="{"ok" if report.conforms else "ko"}"><strong>{e(status)}</strong> '
        f"({report.objectives} objectifs)</p>",
        f'<p class="ruleset">Règles appliquées : {e(report.ruleset)}</p>',
    ]
    for territory, results in sorted(_groups(report).items()):
        title = f"Territoire {territory}" if territory else "Sans territoire (annexe, lignes sans code)"
        parts.append(f"<h2>{e(title)}</h2>")
        parts.append("<table><thead><tr><th>Fichier</th><th>Ligne</th><th>Règle</th><th>Valeur</th>"
                     "<th>Article</th><th>Message</th></tr></thead><tbody>")
        for r in results:
            law = e(r.law)
            if r.law_uri:
                law = f'<span title="{e(" ".join(r.law_uri))}">{law}</span>'
            parts.append(f"<tr><td>{e(_file(report, r.file))}</td><td>{r.row}</td><td><code>{e(r.rule)}</code></td>"
                         f"<td>{e(r.value or '—')}</td><td>{law}</td><td>{e(r.message)}</td></tr>")
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
