"""The fast engine: each constraint evaluated once over all the focus nodes of its shape.

A result before assembly is ``(focus node, value node or None, shape, component name)``
(plus the result path's text for sh:closed).  Nested shapes (sh:not, sh:and, sh:or,
sh:xone, sh:node, sh:qualifiedValueShape) are checked once per distinct value node: for
the 30 activities and equipments of an annex that is 30 checks, not 100,000; a node shape
is checked once per group of focus nodes that read the same along its paths.
"""
from __future__ import annotations

from itertools import chain, compress, repeat
from operator import not_
from typing import Iterable, Sequence

from santelex.validation.index import Index
from santelex.validation.shapes import Shape, Shapes

#: (check, parameter) -> {node: passes}: checks that depend on the value node alone, kept
#: across validations (a national set of annexes shares most of its values)
_VALUE_CHECKS: dict[tuple, dict[str, bool]] = {}


def value_checks(key: tuple) -> dict[str, bool]:
    known = _VALUE_CHECKS.setdefault(key, {})
    if len(known) > 1_000_000:        # a long-lived process: start again rather than grow
        known.clear()
    return known


#: components whose result on a node shape has the focus node as its value
_NODE_VALUE = frozenset({"NotConstraintComponent", "AndConstraintComponent", "OrConstraintComponent",
                         "XoneConstraintComponent", "NodeConstraintComponent"})


class Pairs:
    """The (focus node, value nodes) pairs of a property shape, held as columns: ``table``
    ({node: values} along the path), ``focus`` (the node list), ``column`` (the values of each
    focus node, in order) and ``focus_set``; iterating zips them (no list of pairs is made)."""

    __slots__ = ("table", "focus", "column", "focus_set", "_distinct")

    def __init__(self, table, focus: Sequence[str], column: list, focus_set: frozenset | None = None):
        self.table, self.focus, self.column, self.focus_set = table, focus, column, focus_set
        self._distinct: list | None = None

    def __iter__(self):
        return zip(self.focus, self.column)

    def __len__(self) -> int:
        return len(self.column)

    def distinct(self) -> list:
        if self._distinct is None:
            self._distinct = list(dict.fromkeys(chain.from_iterable(self.column)))
        return self._distinct


class Focus:
    """The (focus node, value nodes) pairs of a node shape: each node is its own value."""

    __slots__ = ("nodes",)
    focus_set = None
    table = None

    def __init__(self, nodes: Sequence[str]):
        self.nodes = nodes if isinstance(nodes, list) else list(nodes)

    @property
    def focus(self) -> list:
        return self.nodes

    def __iter__(self):
        return ((f, (f,)) for f in self.nodes)

    def __len__(self):
        return len(self.nodes)

    def distinct(self) -> list:
        return self.nodes


class Engine:
    def __init__(self, index: Index):
        self.index = index
        self._reads_cache: dict[str, tuple] = {}
        self._groups: dict[tuple, tuple] = {}
        self._pairs_cache: dict[tuple, tuple] = {}
        self._focus_sets: dict[int, tuple] = {}
        self._many: dict[tuple, list] = {}
        self._no_gain: set = set()

    # -- what components call
    @staticmethod
    def distinct(pairs) -> list:
        return pairs.distinct()

    @staticmethod
    def report(pairs, picked: set, shape, name) -> list[tuple]:
        """A result for each (focus, value) whose value is in ``picked``."""
        if not picked:
            return []
        if isinstance(pairs, Focus):
            return [(v, v, shape, name) for v in picked]
        meets = map(not_, map(picked.isdisjoint, pairs.column))      # the rows to look at, found in C
        return [(f, v, shape, name) for f, vs in compress(pairs, meets) for v in vs if v in picked]

    def failing_values(self, pairs, key: tuple, check) -> set:
        """The distinct values for which ``check(value)`` is false, each value checked once
        per process and per ``key`` (the constraint and its parameter)."""
        known = value_checks(key)
        failing = set()
        for v in pairs.distinct():
            good = known.get(v)
            if good is None:
                good = known[v] = bool(check(v))
            if not good:
                failing.add(v)
        return failing

    def column(self, path: tuple, focus: Sequence[str]) -> list:
        """The values along ``path`` of each focus node, in order."""
        return self.pairs(path, focus).column

    def many(self, table: dict, n: int) -> list:
        """The nodes of a path table with more than ``n`` values (once per table)."""
        key = (id(table), n)
        found = self._many.get(key)
        if found is None:
            found = self._many[key] = list(compress(table, map(n.__lt__, map(len, table.values()))))
        return found

    def bad(self, s: Shape, nodes) -> set:
        """Those of ``nodes`` that do not conform to ``s`` (none if it is deactivated)."""
        return set() if s.deactivated else self.failing(s, nodes)

    # -- evaluation
    def evaluate(self, shape: Shape, focus: Sequence[str]) -> list[tuple]:
        if shape.deactivated or not focus:
            return []
        # node shapes with nested shapes checked on the focus nodes themselves only: a property
        # shape's constraints already work per distinct value
        if shape.path is None and len(focus) >= 64 and self._nests(shape) and not self._shifts(shape):
            grouped = self._group(shape, focus)
            if grouped is not None:
                return self._spread(shape, focus, grouped)
        return self._evaluate(shape, focus)

    def pairs(self, path: tuple, focus: Sequence[str]) -> Pairs:
        """(focus node, values along ``path``) for each focus node; kept for the big lists."""
        key = (path, id(focus), len(focus))
        hit = self._pairs_cache.get(key)
        if hit is not None and hit[0] is focus:
            return hit[1]
        table = self.index.values(path)
        column = list(map(table.get, focus, repeat((), len(focus))))
        big = len(focus) >= 1024
        pairs = Pairs(table, focus, column, self._focus_set(focus) if big else None)
        if big:
            self._pairs_cache[key] = (focus, pairs)
        return pairs

    def _focus_set(self, focus: Sequence[str]) -> frozenset:
        hit = self._focus_sets.get(id(focus))
        if hit is None or hit[0] is not focus:
            hit = self._focus_sets[id(focus)] = (focus, frozenset(focus))
        return hit[1]

    @staticmethod
    def _nests(shape: Shape) -> bool:
        """Whether a node shape checks nested shapes on its focus nodes (sh:not, sh:and, sh:or,
        sh:xone, sh:node): grouping alike focus nodes pays only then."""
        return any(comp.name in _NODE_VALUE for comp, _ in shape.constraints)

    def _shifts(self, shape: Shape) -> bool:
        """Whether some results of ``shape`` have another focus node than the one evaluated
        (a property shape nested in a property shape reports on the outer one's values)."""
        nested = [p for comp, p in shape.constraints if comp.name == "PropertyConstraintComponent"]
        if shape.path is not None:
            return bool(nested)
        return any(self._shifts(m) for m in nested)

    def _group(self, shape: Shape, nodes: Sequence[str]) -> tuple[list, list] | None:
        """Nodes that read the same along the shape's paths: (the representative of each node,
        the first node that reads as it does; the representatives), or None if that does not
        pay.  Made with C loops: one dictionary from signature to representative."""
        reads = self._reads(shape)
        if "self" in reads or (reads, len(nodes)) in self._no_gain:
            return None
        key = (reads, id(nodes), len(nodes))
        hit = self._groups.get(key)
        if hit is not None and hit[0] is nodes:
            return hit[1]
        if len(nodes) >= 2048:            # a sample tells whether the nodes read alike
            tables = [(self.index.values(p), mode == "n") for p, mode in reads]
            sample = {tuple([len(t.get(n, ())) if count else t.get(n, ()) for t, count in tables])
                      for n in nodes[:: len(nodes) // 512][:512]}
            if len(sample) > 256:
                self._no_gain.add((reads, len(nodes)))
                return None
        columns = [list(map(len, self.pairs(p, nodes).column)) if mode == "n" else self.pairs(p, nodes).column
                   for p, mode in reads]
        first: dict[tuple, str] = {}
        of = list(map(first.setdefault, zip(*columns) if columns else repeat((), len(nodes)), nodes))
        if len(first) * 2 > len(nodes):
            self._no_gain.add((reads, len(nodes)))
            return None
        out = (of, list(first.values()))
        self._groups[key] = (nodes, out)
        return out

    def _spread(self, shape: Shape, nodes: Sequence[str], grouped: tuple[list, list]) -> list[tuple]:
        """A node shape's results on the representative of each group, repeated for the others.

        A result of a logical constraint has the focus node as its value; a result of a
        nested property shape has a value along its path, the same for the whole group.
        """
        of, reps = grouped
        found = self._evaluate(shape, reps)
        if not found:
            return []
        hit = {r[0] for r in found}
        members: dict[str, list] = {}
        for n, rep in compress(zip(nodes, of), map(hit.__contains__, of)):
            g = members.get(rep)
            if g is None:
                members[rep] = [n]
            else:
                g.append(n)
        out = []
        for r in found:
            f, v, s, name = r[:4]
            if v == f and s is shape and name in _NODE_VALUE:
                out.extend((m, m) + r[2:] for m in members[f])
            else:
                out.extend((m,) + r[1:] for m in members[f])
        return out

    def _evaluate(self, shape: Shape, focus: Sequence[str]) -> list[tuple]:
        """``focus`` holds distinct nodes."""
        pairs = self.pairs(shape.path, focus) if shape.path is not None else Focus(focus)
        out: list[tuple] = []
        for comp, param in shape.constraints:
            out.extend(comp.evaluate(self, shape, pairs, param))
        return out

    def failing(self, shape: Shape, nodes: Sequence[str]) -> set:
        """Those of ``nodes`` that do not conform to ``shape``.

        Whether a node conforms depends only on what the shape reads from it: its values
        along the shape's paths (or the node itself if the shape constrains it directly).
        Nodes that read the same are checked once, through one of them.
        """
        if len(nodes) >= 64:
            grouped = self._group(shape, nodes)
            if grouped is not None:
                of, reps = grouped
                bad_reps = {r[0] for r in self._evaluate(shape, reps)}
                return set(compress(nodes, map(bad_reps.__contains__, of))) if bad_reps else set()
        return {r[0] for r in self._evaluate(shape, nodes)}

    def _reads(self, shape: Shape) -> tuple:
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
            counts_only = all(comp.reads == "count" for comp, _ in shape.constraints)
            out[(shape.path, "n" if counts_only else "v")] = None
            for comp, param in shape.constraints:
                if comp.reads == "pair":
                    out[(comp.other(param), "v")] = None
        else:
            for comp, param in shape.constraints:
                if comp.name in ("NotConstraintComponent", "NodeConstraintComponent", "PropertyConstraintComponent",
                                 "AndConstraintComponent", "OrConstraintComponent", "XoneConstraintComponent"):
                    for m in comp.members(param):
                        out.update(dict.fromkeys(self._reads(m)))
                else:
                    out["self"] = None           # a constraint on the focus node itself
        reads = ("self",) if "self" in out else tuple(sorted(out, key=str))
        self._reads_cache[shape.key] = reads
        return reads


_COMPILED: dict[int, tuple[object, Shapes]] = {}


def compile_shapes(sg) -> Shapes:
    """The shapes graph (a terms.Graph or an rdflib graph) compiled (once per graph object;
    do not modify it afterwards)."""
    hit = _COMPILED.get(id(sg))
    if hit is None or hit[0] is not sg:
        hit = _COMPILED[id(sg)] = (sg, Shapes(sg))
    return hit[1]


def evaluate_all(engine: Engine, top: list, k: int = 0, n: int = 1) -> list[tuple]:
    """Every top shape on the k-th of n shares of its focus nodes; results as
    (focus, value, shape key, component name[, path text])."""
    out = []
    shares: dict[int, list] = {}
    for shape, focus in top:
        share = focus
        if n > 1:
            share = shares.get(id(focus))
            if share is None:               # one list per focus set, so groupings are shared
                share = shares[id(focus)] = focus[k::n]
        out.extend((r[0], r[1], r[2].key) + r[3:] for r in engine.evaluate(shape, share))
    return out


def prepare(triples: Iterable, compiled: Shapes) -> tuple[Engine, list]:
    index = Index(triples)
    engine = Engine(index)
    return engine, [(shape, index.focus_nodes(shape)) for shape in compiled.top]
