"""Report assembly: SHACL results (:class:`RawResult`), the user's results (:class:`Result`:
file, row, rule, law), and the standard ``sh:ValidationReport`` graph."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Sequence
from urllib.parse import unquote

from santelex import annex as annex_mod
from santelex import vocab
from santelex.validation import terms
from santelex.validation.shapes import SH, Namespace, path_node, text_path
from santelex.validation.terms import rdflib_term

if TYPE_CHECKING:
    import rdflib

SLX = Namespace(vocab.SLX)
SEVERITIES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}


@dataclass(frozen=True)
class RawResult:
    """One SHACL validation result, engine-independent (terms in canonical N-Triples form,
    the path as text: <p>, ^<p>, (a / b), (a | b), (a)*)."""

    focus: str
    path: str | None
    value: str | None
    shape: str
    component: str
    severity: str
    messages: tuple[str, ...]


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
    focus: str = ""
    #: for an objective: its target, indicator and form as written
    target: str = ""
    indicator: str = ""
    form: str = ""
    #: the rule set whose shape this is (annexes)
    ruleset: str = ""

    def as_json(self) -> dict:
        """For an annex: the row, the rule, the law, and the focus as the user wrote it (the
        territory code and, for an objective, its target, indicator and form)."""
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
    #: whether the data are annexes (results located by file and row)
    annex: bool = True
    shapes: object = field(default=None, compare=False, repr=False)
    #: the rule sets the annexes were validated against (one, unless their dates differ)
    rulesets: tuple[str, ...] = ()

    @property
    def ruleset(self) -> str:
        """The rule set(s) as a reader names them: 'oqos-2005 — <label>, 2005-02-03 to 2023-05-31'."""
        from santelex.validation import rulesets

        return "; ".join(f"{r.name} — {r.label}, {r.period()}" for r in map(rulesets.get, self.rulesets))

    @property
    def graph(self) -> rdflib.Graph:
        """The standard SHACL validation report; each result of an annex also carries
        slx:law (the subdivision of the law), slx:file and slx:row."""
        return report_graph(self)


_PRED_TO_CELL = {"territoire": "territoire", "cible": "cible", "indicateur": "indicateur",
                 "modalite": "modalite", "minimum": "min", "maximum": "max", "evolution": "evolution",
                 "valeur": "valeur", "taux": "valeur", "echeance": "echeance", "forme": "forme"}
_ANNEX_PRED_TO_KEY = {SLX.region: "region", vocab.DCTERMS + "title": "titre", SLX.debut: "debut", SLX.fin: "fin"}


class _Locator:
    """Where each node of the annexes' graph came from, and how to show its values.

    Most results are on objectives, found by their node; the other nodes (territories,
    targets in a territory) are listed only when a result is on one of them."""

    def __init__(self, annexes: Sequence[annex_mod.Annexe]):
        self._annexes = annexes
        self._where: dict[str, tuple[str, int, str]] | None = None
        self._groups: list[annex_mod.GroupNodes] | None = None
        self.objectives = annex_mod.ObjectiveNodes(annexes)      # each made when a result falls on it
        self.annexes: dict[str, annex_mod.Annexe] = {f"<{annex_mod.iri(a)}>": a for a in annexes}

    def _others(self) -> None:
        self._where, self._groups = {}, []
        for a in self._annexes:
            base = annex_mod.iri(a)
            groups = annex_mod.groups(a, base)
            self._groups.append(groups)           # each objective made when a result falls on it
            for node, file, row, territory in annex_mod.node_iris(a, base, objectives=False, targets=groups):
                self._where[node] = (file, row, territory)

    def group(self, node: str) -> annex_mod.Objectif | None:
        """The first objective of a target-in-a-territory node."""
        if node in self.objectives:
            return None
        if self._groups is None:
            self._others()
        return next((o for o in (g.get(node) for g in self._groups) if o is not None), None)

    def locate(self, raw: RawResult) -> tuple[str, int, str]:
        o = self.objectives.get(raw.focus)
        if o is not None:
            return o.file, o.row, o.territoire
        if self._where is None:
            self._others()
        file, row, territory = self._where.get(raw.focus, ("", 0, ""))
        a = self.annexes.get(raw.focus)
        if a is not None and raw.path:
            key = _ANNEX_PRED_TO_KEY.get(raw.path.strip("<>"))
            if key and key in a.rows:
                file, row = a.rows[key]
        return file, row, territory


def show(node: str | None) -> str | None:
    """A value as the annex wrote it: a notation, a territory code, a literal's text."""
    if node is None:
        return None
    if node.startswith("<"):
        iri = node[1:-1]
        if iri.startswith(annex_mod.OQOS):
            return iri.rsplit("/", 1)[-1]
        if iri.startswith(annex_mod.BASE) and ("/territoire/" in iri or "/region/" in iri):
            return unquote(iri.rsplit("/", 1)[-1])
        return iri
    return terms.plain(node)


def _iri(name: str) -> str:
    return f"<{name}>"


_SLX = f"<{vocab.SLX}"


class _ShapeInfo:
    """What the report says of each shape, read from the shapes graph (a terms.Graph: nodes
    in canonical N-Triples form, as the results name them)."""

    def __init__(self, sg: terms.Graph):
        self.sg = sg
        self._parents: dict = defaultdict(list)
        for s, o in sg.subject_objects(_iri(SH.property)):
            self._parents[o].append(s)
        self._cache: dict = {}

    def info(self, key: str) -> tuple[str, str, tuple[str, ...], tuple[str, ...]]:
        """(rule, law label, law URIs, cells the shape reads) for a source shape."""
        if key in self._cache:
            return self._cache[key]
        sg = self.sg
        node = key
        rule = node[1:-1].rsplit("#", 1)[-1] if node[0] == "<" else "(forme anonyme)"
        law_label, law = _iri(SLX.lawLabel), _iri(SLX.law)
        holder, seen = node, set()
        while holder is not None and holder not in seen:
            seen.add(holder)
            if sg.value(holder, law_label) is not None:
                break
            parents = self._parents.get(holder)
            holder = parents[0] if parents else None
        found = sg.value(holder, law_label) if holder is not None else None
        label = terms.plain(found) if found is not None else ("None" if holder is not None else "")
        uris = tuple(sorted(terms.plain(u) for u in sg.objects(holder, law))) if holder is not None else ()
        cells = tuple(dict.fromkeys(self._cells(node, set())))
        self._cache[key] = (rule, label, uris, cells)
        return self._cache[key]

    def compared_cell(self, key: str, component: str) -> str | None:
        """The annex column a property-pair constraint compares the value with."""
        param = SH.lessThan if component == SH.LessThanConstraintComponent else SH.lessThanOrEquals
        prop = self.sg.value(key, _iri(param))
        if prop is not None and prop.startswith(_SLX):
            return _PRED_TO_CELL.get(prop[len(_SLX):-1])
        return None

    def _cells(self, node, seen) -> Iterable[str]:
        if node in seen:
            return
        seen.add(node)
        path = self.sg.value(node, _iri(SH.path))
        if path is not None and path.startswith(_SLX):
            local = path[len(_SLX):-1]
            if local in _PRED_TO_CELL:
                yield _PRED_TO_CELL[local]
        for p in (SH.property, SH.node, SH["not"]):
            for o in self.sg.objects(node, _iri(p)):
                yield from self._cells(o, seen)
        for p in (SH["or"], SH["and"], SH.xone):
            for lst in self.sg.objects(node, _iri(p)):
                for o in self.sg.items(lst):
                    yield from self._cells(o, seen)


_INFOS: dict[int, tuple[terms.Graph, _ShapeInfo]] = {}


def _shape_info(sg) -> _ShapeInfo:
    """What the report says of each shape, read once per shapes graph (not once per annex)."""
    sg = terms.as_graph(sg)
    hit = _INFOS.get(id(sg))
    if hit is None or hit[0] is not sg:
        hit = _INFOS[id(sg)] = (sg, _ShapeInfo(sg))
    return hit[1]


_PAIR_SIGNS = {SH.LessThanConstraintComponent: "≥", SH.LessThanOrEqualsConstraintComponent: ">"}


def _message(messages: tuple[str, ...]) -> str:
    fr = [m for m in messages if m.endswith("@fr")] or list(messages)
    return (show(fr[0]) or "") if fr else ""


def pair(annexes: Sequence[annex_mod.Annexe], raws: Sequence[RawResult],
         shapes, ruleset: str = "") -> list[tuple[RawResult, Result]]:
    """Each raw SHACL result with the user-level result made from it (located in the
    annexes' files when there are annexes)."""
    info = _shape_info(shapes)
    where = _Locator(annexes)
    paired = []
    for raw in raws:
        file, row, territory = where.locate(raw)
        rule, law, uris, cells = info.info(raw.shape)
        value = show(raw.value)
        o = where.objectives.get(raw.focus)
        group = where.group(raw.focus)
        if group is not None:          # a target in a territory: name them
            value = f"territoire={group.territoire}, cible={group.cible}"
        elif o is not None and raw.value is not None and raw.value == raw.focus:
            # a rule on the whole objective (sh:or, sh:xone): show the cells it reads
            shown = [f"{c}={getattr(o, c)}" for c in cells if getattr(o, c) not in (None, "")]
            value = ", ".join(shown) if shown else None
        elif o is not None and raw.component in _PAIR_SIGNS:
            other = info.compared_cell(raw.shape, raw.component)
            if other and getattr(o, other) not in (None, ""):
                value = f"{value} {_PAIR_SIGNS[raw.component]} {other}={getattr(o, other)}"
        paired.append((raw, Result(file=file, row=row, severity=SEVERITIES.get(raw.severity, raw.severity),
                                   rule=rule, message=_message(raw.messages), law=law, value=value,
                                   territory=territory, law_uri=uris, focus=show(raw.focus) or "",
                                   target=(o or group).cible if (o or group) is not None else "",
                                   indicator=o.indicateur if o is not None else "",
                                   form=o.forme if o is not None else "", ruleset=ruleset)))
    return paired


def raw_key(r: RawResult) -> tuple:
    return (r.focus, r.path or "", r.value or "", r.shape, r.component, r.severity, r.messages)


def assemble(source: str, paired: list, engine: str, objectives: int, shapes,
             annex: bool = True, rulesets: Iterable[str] = ()) -> Report:
    paired.sort(key=lambda p: raw_key(p[0]))
    results = sorted((r for _, r in paired), key=lambda r: (r.territory, r.file, r.row, r.rule, r.value or "",
                                                            r.focus))
    return Report(source=source, conforms=not paired,
                  results=tuple(results), raw=tuple(r for r, _ in paired), engine=engine, objectives=objectives,
                  paired=tuple(paired), annex=annex, shapes=shapes, rulesets=tuple(sorted(set(rulesets))))


def report_graph(report: Report) -> rdflib.Graph:
    """The standard SHACL validation report (SHACL §3.6), in rdflib (imported here: only the
    Turtle report needs it)."""
    import rdflib
    from rdflib import RDF, BNode, Literal, URIRef

    SH = rdflib.Namespace(vocab.SH)
    SLX = rdflib.Namespace(vocab.SLX)
    g = rdflib.Graph()
    g.bind("sh", SH)
    g.bind("slx", SLX)
    g.bind("slxsh", vocab.PREFIXES["slxsh"])
    rep = BNode()
    g.add((rep, RDF.type, SH.ValidationReport))
    g.add((rep, SH.conforms, Literal(report.conforms)))
    if report.rulesets:
        from santelex.validation import rulesets

        for name in report.rulesets:
            g.add((rep, SLX.ruleSet, URIRef(rulesets.get(name).iri)))
    for raw, res in report.paired:
        r = BNode()
        g.add((rep, SH.result, r))
        g.add((r, RDF.type, SH.ValidationResult))
        g.add((r, SH.focusNode, rdflib_term(raw.focus)))
        if raw.path is not None:
            g.add((r, SH.resultPath, path_node(g, text_path(raw.path))))
        if raw.value is not None:
            g.add((r, SH.value, rdflib_term(raw.value)))
        g.add((r, SH.sourceShape, rdflib_term(raw.shape)))
        g.add((r, SH.sourceConstraintComponent, URIRef(raw.component)))
        g.add((r, SH.resultSeverity, URIRef(raw.severity)))
        for m in raw.messages:
            g.add((r, SH.resultMessage, rdflib_term(m)))
        if report.annex:
            for uri in res.law_uri:
                g.add((r, SLX.law, URIRef(uri)))
            g.add((r, SLX.file, Literal(res.file)))
            g.add((r, SLX.row, Literal(res.row)))
    return g
