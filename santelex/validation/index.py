"""The data graph as dictionaries: for each path, {node: (value nodes,)}.

Each path is read once for all focus nodes.  Paths without ``*``, ``+`` or ``?`` become
plain dictionaries, built from the tables of their steps; a path with one of them is a
:class:`Reach`, which computes a node's values when it is asked for them (zero-length paths
reach the node itself, which need not be in the graph at all).
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from santelex import vocab
from santelex.validation.shapes import Shape
from santelex.validation.terms import Pairs, Triple

_TYPE = f"<{vocab.RDF}type>"
_SUBCLASS = f"<{vocab.RDFS}subClassOf>"


def _closed(path: tuple) -> bool:
    """Whether the path has a *, + or ? somewhere."""
    op = path[0]
    if op in "*+?":
        return True
    if op == "p":
        return False
    if op == "^":
        return _closed(path[1])
    return any(_closed(p) for p in path[1])


def _inverse(path: tuple) -> tuple:
    """The same path read backwards, inverses pushed down to the predicates."""
    op = path[0]
    if op == "p":
        return ("^", path)
    if op == "^":
        return path[1]
    if op == "/":
        return ("/", tuple(_inverse(p) for p in reversed(path[1])))
    if op == "|":
        return ("|", tuple(_inverse(p) for p in path[1]))
    return (op, _inverse(path[1]))


class Reach:
    """{node: values} of a path with a closure, computed node by node on demand."""

    def __init__(self, index: "Index", path: tuple):
        self.index, self.path = index, path
        self._known: dict[str, tuple] = {}

    def get(self, node: str, default=()):
        found = self._known.get(node)
        if found is None:
            found = self._known[node] = tuple(self.index.walk(self.path, [node]))
        return found or default


class Index:
    def __init__(self, triples: Iterable[Triple] | Pairs):
        self._by_pred = (triples if isinstance(triples, Pairs) else Pairs.of(triples)).by_predicate
        self._forward: dict[str, dict] = {}
        self._backward: dict[str, dict] = {}
        self._paths: dict[tuple, object] = {}
        self._instances: dict[str, frozenset] = {}
        self._focus: dict[tuple, list] = {}
        self._by_subject: dict | None = None

    def pred(self, pred: str) -> dict:
        """{subject: (objects,)} for one predicate (each triple counted once)."""
        fw = self._forward.get(pred)
        if fw is None and getattr(self._by_pred.get(pred), "functional", False):
            edges = self._by_pred[pred]            # columns, each subject once: one dictionary, in C,
            one = {o: (o,) for o in dict.fromkeys(edges.objects)}     # one tuple per distinct object
            fw = self._forward[pred] = dict(zip(edges.subjects, map(one.__getitem__, edges.objects)))
        if fw is None:
            pairs = self._by_pred.get(pred, ())
            fw = dict(pairs)
            fw = dict(zip(fw, zip(fw.values())))       # {subject: (object,)}, in C
            if len(fw) != len(pairs):          # some subject has several objects
                many: dict = {}
                for s, o in pairs:
                    many.setdefault(s, {})[o] = None
                fw = {s: tuple(os) for s, os in many.items()}
            self._forward[pred] = fw
        return fw

    def inverse(self, pred: str) -> dict:
        """{object: (subjects,)} for one predicate."""
        bw = self._backward.get(pred)
        if bw is None:
            many: dict = {}
            for s, os in self.pred(pred).items():
                for o in os:
                    ss = many.get(o)
                    if ss is None:
                        many[o] = [s]
                    else:
                        ss.append(s)
            bw = self._backward[pred] = {o: tuple(ss) for o, ss in many.items()}
        return bw

    def by_subject(self) -> dict:
        """{subject: [(predicate, object)]} over the whole graph (sh:closed)."""
        if self._by_subject is None:
            out: dict = defaultdict(list)
            for p, pairs in self._by_pred.items():
                for s, o in dict.fromkeys(pairs):
                    out[s].append((p, o))
            self._by_subject = dict(out)
        return self._by_subject

    def values(self, path: tuple):
        """{node: (value nodes,)} for every node with at least one value along ``path``
        (a :class:`Reach` for paths with a closure: ask it with ``.get``)."""
        table = self._paths.get(path)
        if table is None:
            table = self._paths[path] = Reach(self, path) if _closed(path) else self._compute(path)
        return table

    def _compute(self, path: tuple) -> dict:
        op = path[0]
        if op == "p":
            return self.pred(path[1])
        if op == "^":
            inner = path[1]
            if inner[0] == "p":
                return self.inverse(inner[1])
            out: dict = defaultdict(dict)
            for s, vs in self.values(inner).items():
                for v in vs:
                    out[v][s] = None
            return {k: tuple(v) for k, v in out.items()}
        if op == "|":
            out = defaultdict(dict)
            for p in path[1]:
                for s, vs in self.values(p).items():
                    out[s].update(dict.fromkeys(vs))
            return {k: tuple(v) for k, v in out.items()}
        steps = path[1]
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

    def walk(self, path: tuple, nodes: list) -> dict:
        """The nodes reached from ``nodes`` along ``path`` (dictionary keys, in order)."""
        op = path[0]
        if not _closed(path):
            table = self.values(path)
            out: dict = {}
            for n in nodes:
                out.update(dict.fromkeys(table.get(n, ())))
            return out
        if op == "^":
            return self.walk(_inverse(path[1]), nodes)
        if op == "|":
            out = {}
            for p in path[1]:
                out.update(self.walk(p, nodes))
            return out
        if op == "/":
            current = dict.fromkeys(nodes)
            for step in path[1]:
                current = self.walk(step, list(current))
            return current
        inner = path[1]
        if op == "?":
            out = dict.fromkeys(nodes)
            out.update(self.walk(inner, nodes))
            return out
        seen: dict = dict.fromkeys(nodes) if op == "*" else {}
        frontier = list(nodes) if op == "*" else list(self.walk(inner, nodes))
        if op == "+":
            seen.update(dict.fromkeys(frontier))
        while frontier:
            fresh = [n for n in self.walk(inner, frontier) if n not in seen]
            seen.update(dict.fromkeys(fresh))
            frontier = fresh
        return seen

    def instances(self, cls: str) -> frozenset:
        """SHACL instances of ``cls``: nodes of type ``cls`` or of a subclass (rdf:type/rdfs:subClassOf*)."""
        found = self._instances.get(cls)
        if found is None:
            sub_back = self.inverse(_SUBCLASS)
            classes, todo = {cls}, [cls]
            while todo:
                for sub in sub_back.get(todo.pop(), ()):
                    if sub not in classes:
                        classes.add(sub)
                        todo.append(sub)
            type_back = self.inverse(_TYPE)
            found = self._instances[cls] = frozenset(n for c in sorted(classes) for n in type_back.get(c, ()))
        return found

    def focus_nodes(self, shape: Shape) -> list[str]:
        """The focus nodes of a shape's targets (SHACL §2.1.3), each once."""
        key = tuple((p, tuple(v)) for p, v in sorted(shape.targets.items()))
        found = self._focus.get(key)
        if found is not None:
            return found
        nodes: dict = {}
        for p, vals in shape.targets.items():
            for v in vals:
                if p == "targetClass":
                    nodes.update(dict.fromkeys(self.instances(v)))
                elif p == "targetNode":
                    nodes[v] = None
                elif p == "targetSubjectsOf":
                    nodes.update(dict.fromkeys(self.pred(v)))
                elif p == "targetObjectsOf":
                    nodes.update(dict.fromkeys(self.inverse(v)))
        found = self._focus[key] = list(nodes)
        return found
