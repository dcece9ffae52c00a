"""The shapes graph compiled once: each shape, its targets, path and constraints (SHACL §2).

Paths (SHACL §2.3.1) become tuples, hashable and independent of rdflib:
``("p", "<iri>")``, ``("^", path)``, ``("/", (path, …))``, ``("|", (path, …))``,
``("*", path)``, ``("+", path)``, ``("?", path)``.  A node that is both an RDF list and
something else is read as the list, a sequence path, as the W3C suite's approved tests
(path-strange-001, -002) say.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from santelex import vocab
from santelex.validation import components, terms
from santelex.validation.errors import ShapeError


class Namespace(str):
    """The IRIs of a namespace as plain strings, ``SH.path``, ``SH["not"]`` (what rdflib's
    Namespace gives, without rdflib)."""

    __slots__ = ()

    def __getattr__(self, name: str) -> str:
        if name.startswith("__"):
            raise AttributeError(name)
        return self + name

    def __getitem__(self, name) -> str:
        return self + name


SH = Namespace(vocab.SH)
_TARGETS = ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf")
_CLOSURES = {"zeroOrMorePath": "*", "oneOrMorePath": "+", "zeroOrOnePath": "?"}
_SH = f"<{vocab.SH}"
_TYPE = f"<{vocab.RDF}type>"
_CLASS = f"<{vocab.RDFS}Class>"
_SUBCLASS = f"<{vocab.RDFS}subClassOf>"


class _Terms(dict):
    """SHACL terms in canonical form, each made once (``_sh("path")``)."""

    def __missing__(self, name: str) -> str:
        term = self[name] = f"{_SH}{name}>"
        return term


_sh = _Terms().__getitem__


def parse_path(sg, node, seen: frozenset = frozenset()) -> tuple:
    """A SHACL property path of the shapes graph as a tuple (see the module's docstring).

    ``sg`` is a :class:`terms.Graph` and ``node`` a canonical node, or an rdflib graph and
    one of its terms."""
    if terms.is_rdflib_graph(sg):
        sg, node = terms.as_graph(sg), terms.canon(node)
    if node[0] == "<":
        return ("p", node)
    if node[0] != "_" or node in seen:
        raise ShapeError(f"{node} is not a SHACL property path")
    seen = seen | {node}
    if sg.value(node, terms.RDF_FIRST) is not None:
        steps = tuple(parse_path(sg, s, seen) for s in sg.items(node))
        return steps[0] if len(steps) == 1 else ("/", steps)
    inv = sg.value(node, _sh("inversePath"))
    if inv is not None:
        return ("^", parse_path(sg, inv, seen))
    alt = sg.value(node, _sh("alternativePath"))
    if alt is not None:
        return ("|", tuple(parse_path(sg, s, seen) for s in sg.items(alt)))
    for prop, op in _CLOSURES.items():
        inner = sg.value(node, _sh(prop))
        if inner is not None:
            return (op, parse_path(sg, inner, seen))
    raise ShapeError(f"{node} is not a SHACL property path")


def path_text(path: tuple) -> str:
    """A path as SPARQL-like text: <p>, ^<p>, (a / b), (a | b), (a)*."""
    op = path[0]
    if op == "p":
        return path[1]
    if op == "^":
        return "^" + path_text(path[1])
    if op in "/|":
        return "(" + f" {op} ".join(path_text(p) for p in path[1]) + ")"
    return "(" + path_text(path[1]) + ")" + op


def path_node(g, path: tuple):
    """The path written into the rdflib graph ``g`` as SHACL says (a fresh blank node for each
    complex path)."""
    from rdflib import BNode, URIRef
    from rdflib.collection import Collection

    op = path[0]
    if op == "p":
        return URIRef(path[1][1:-1])
    node = BNode()
    if op == "/":
        Collection(g, node, [path_node(g, p) for p in path[1]])
    elif op == "^":
        g.add((node, URIRef(SH.inversePath), path_node(g, path[1])))
    elif op == "|":
        lst = BNode()
        Collection(g, lst, [path_node(g, p) for p in path[1]])
        g.add((node, URIRef(SH.alternativePath), lst))
    else:
        prop = {v: k for k, v in _CLOSURES.items()}[op]
        g.add((node, URIRef(SH[prop]), path_node(g, path[1])))
    return node


def text_path(text: str) -> tuple:
    """The inverse of :func:`path_text`."""
    pos = 0

    def one() -> tuple:
        nonlocal pos
        if text[pos] == "^":
            pos += 1
            return ("^", one())
        if text[pos] == "<":
            start, pos = pos, text.index(">", pos) + 1
            return ("p", text[start:pos])
        assert text[pos] == "("
        pos += 1
        items, op = [one()], None
        while text[pos] == " ":
            op = text[pos + 1]
            pos += 3
            items.append(one())
        assert text[pos] == ")"
        pos += 1
        if pos < len(text) and text[pos] in "*+?":
            pos += 1
            return (text[pos - 1], items[0])
        return (op, tuple(items)) if op else items[0]

    return one()


@dataclass(eq=False)
class Shape:
    node: str
    key: str                          # canonical form of the shape node (the node itself)
    path: tuple | None = None         # property shapes
    path_key: str | None = None       # the path as text
    severity: str = SH.Violation
    messages: tuple[str, ...] = ()
    deactivated: bool = False
    targets: dict = field(default_factory=dict)
    constraints: list = field(default_factory=list)   # (Component, param)


class Shapes:
    """Every shape of a shapes graph, compiled once.  ``sg``: a :class:`terms.Graph` (nodes
    in canonical N-Triples form, as components' ``compile`` reads it) or an rdflib graph
    (its triples taken in that form first)."""

    def __init__(self, sg):
        self.sg = sg = terms.as_graph(sg)
        self.shapes: dict[str, Shape] = {}
        self.top: list[Shape] = []
        for c in sg.subjects(_TYPE, _sh("ConstraintComponent")):
            raise ShapeError(f"the fast engine does not evaluate SPARQL-based constraint components "
                             f"({terms.plain(c)}); use --engine pyshacl")
        classes = self._classes()
        candidates = set(sg.subjects(_TYPE, _sh("NodeShape"))) | set(sg.subjects(_TYPE, _sh("PropertyShape")))
        for p in (*_TARGETS, "path", "target"):
            candidates |= set(sg.subjects(_sh(p)))
        for node in sorted(candidates, key=terms.plain):
            shape = self.get(node, implicit=node in classes)
            if shape.targets and not shape.deactivated:
                self.top.append(shape)
        self.top.sort(key=lambda s: s.key)
        self._refuse_recursion()

    def _refuse_recursion(self) -> None:
        """SHACL leaves the validation of recursive shapes undefined (§3.4.3): refused, by name."""
        state: dict[int, int] = {}          # 1: on the current path, 2: done

        def visit(shape: Shape) -> None:
            state[id(shape)] = 1
            for comp, param in shape.constraints:
                for inner in comp.members(param) if comp.members else ():
                    seen = state.get(id(inner))
                    if seen == 1:
                        raise ShapeError(f"the shape {inner.key} refers to itself through {comp.name}: SHACL leaves "
                                         "recursive shapes undefined and santelex does not validate them")
                    if seen is None:
                        visit(inner)
            state[id(shape)] = 2

        for shape in list(self.shapes.values()):
            if id(shape) not in state:
                visit(shape)

    def _classes(self) -> set:
        """SHACL instances of rdfs:Class in the shapes graph (implicit class targets, §2.1.3.3)."""
        metas, todo = {_CLASS}, [_CLASS]
        while todo:
            for sub in self.sg.subjects(_SUBCLASS, todo.pop()):
                if sub not in metas:
                    metas.add(sub)
                    todo.append(sub)
        return {c for m in metas for c in self.sg.subjects(_TYPE, m)}

    def get(self, node: str, implicit: bool = False) -> Shape:
        if node in self.shapes:
            return self.shapes[node]
        sg = self.sg
        shape = Shape(node=node, key=node)
        self.shapes[node] = shape
        path = sg.value(node, _sh("path"))
        if path is not None:
            try:
                shape.path = parse_path(sg, path)
            except ShapeError as e:
                raise ShapeError(f"{e.message} (sh:path of shape {shape.key})") from None
            shape.path_key = path_text(shape.path)
        sev = sg.value(node, _sh("severity"))
        if sev is not None:
            shape.severity = terms.plain(sev)
        shape.messages = tuple(sorted(sg.objects(node, _sh("message"))))
        shape.deactivated = any(components.is_true(d) for d in sg.objects(node, _sh("deactivated")))
        for p in _TARGETS:
            vals = list(sg.objects(node, _sh(p)))
            if vals:
                shape.targets[p] = vals
        if implicit:
            shape.targets.setdefault("targetClass", [])
            if shape.key not in shape.targets["targetClass"]:
                shape.targets["targetClass"].append(shape.key)
        own = {p[len(_SH):-1] for p in sg.predicates(node) if p.startswith(_SH)}
        for name in sorted(own):
            if name in components.REFUSED:
                raise ShapeError(f"the fast engine does not evaluate {components.REFUSED[name]} "
                                 f"(shape {shape.key}); use --engine pyshacl")
            if name not in components.PARAMETERS and name not in components.NON_VALIDATING:
                raise ShapeError(f"the fast engine does not evaluate sh:{name} (shape {shape.key}); "
                                 "use --engine pyshacl")
        for comp in components.REGISTRY.values():
            if comp.parameters[0] not in own or not all(p in own for p in comp.parameters):
                continue
            for value in sorted(sg.objects(node, _sh(comp.parameters[0])), key=terms.plain):
                for param in comp.compile(self, node, value):
                    shape.constraints.append((comp, param))
        return shape

    def paths(self) -> Iterator[tuple]:
        """Every path any shape reads (to compute them before work is shared out)."""
        for shape in self.shapes.values():
            if shape.path is not None:
                yield shape.path
            for comp, param in shape.constraints:
                if comp.reads == "pair":
                    yield comp.other(param)

    def classes(self) -> Iterator[str]:
        for shape in self.shapes.values():
            yield from shape.targets.get("targetClass", ())
            for comp, param in shape.constraints:
                if comp.name == "ClassConstraintComponent":
                    yield param
