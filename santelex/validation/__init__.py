"""SHACL validation: a complete SHACL Core engine that evaluates each constraint once over all
focus nodes, and pySHACL as the reference.

    report = validate("examples/annexe-2006")                      # an annex, the bundled shapes
    report = validate("data.ttl", "my-shapes/")                    # any RDF data, any shapes
    report.conforms, report.results, report.graph                  # the sh:ValidationReport
    render(report, "text" | "json" | "turtle" | "html")

Modules: ``terms`` (nodes, literals and their values, graphs as triples), ``shapes`` (the
shapes graph compiled, paths), ``index`` (the data graph as dictionaries), ``components``
(the constraint components, one registry), ``engine`` (set-at-a-time evaluation),
``parallel`` (work shared among processes), ``reference`` (pySHACL), ``report`` (results and
the report graph), ``render`` (text, JSON, Turtle, HTML).

An annex is validated against the rule set in force at its start (santelex.validation.rulesets: the
shapes shapes/<name>/*.ttl and the vocabulary ontology/*.ttl + ontology/<name>/*.ttl), or
the one in force at a date given (``law=``), or one named (``ruleset=``).  Its data graph is
the annex's graph (santelex.annex, cells read with the rule set's notations) plus that
vocabulary; the law links are URIs carried by the shapes (slx:law, slx:lawLabel), so
validation needs no store.
"""
from __future__ import annotations

import gc
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from santelex import annex as annex_mod
from santelex import formats, vocab
from santelex.errors import AnnexError
from santelex.validation import components, parallel, rulesets, terms
from santelex.validation import shapes as shapes_mod
from santelex.validation.engine import compile_shapes, evaluate_all, prepare
from santelex.validation.errors import DataError, ShapeError
from santelex.validation.render import render
from santelex.validation.report import SEVERITIES, RawResult, Report, Result, assemble, pair
from santelex.validation.shapes import SH
from santelex.validation.terms import Pairs, Triple, canon, file_triples, graph_triples, store_triples

if TYPE_CHECKING:
    import rdflib

__all__ = ["validate", "render", "Report", "Result", "RawResult", "ShapeError", "DataError", "run_fast",
           "run_pyshacl", "read_shapes", "shapes_graph", "ontology_graph", "fast_input", "data_graph", "canon", "choose",
           "graph_triples", "store_triples", "file_triples", "path_text", "FAST_COMPONENTS", "SEVERITIES"]


def __getattr__(name: str):
    if name == "FAST_COMPONENTS":   # SHACL parameter (an rdflib term) -> constraint component, from the registry
        from rdflib import URIRef

        table = globals()[name] = {URIRef(vocab.SH + c.parameters[-1]): c.name for c in components.REGISTRY.values()}
        return table
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ----------------------------------------------------------------------------- inputs

def _parse(files: Iterable[Path]) -> terms.Graph:
    """RDF files read by Oxigraph, as canonical N-Triples triples: lexical forms kept as
    written (rdflib's own parsers would normalise them: "1"^^xsd:boolean would become "true")."""
    return terms.Graph(t for f in files for t in file_triples(f))


def _parse_folder(folder: str) -> terms.Graph:
    files = sorted(f for f in Path(folder).iterdir() if f.is_file() and formats.by_suffix(f))
    if not files:
        raise ShapeError("no shapes: no RDF file (.ttl, .nt, …) in the folder", folder)
    return _parse_once(files)


def _parse_once(files: list[Path]) -> terms.Graph:
    """The files parsed once per content: the key is each file's name and digest, so that an
    edited file is read again, never served from before (hashing is a fraction of parsing)."""
    import hashlib

    key = []
    for f in files:
        try:
            key.append((str(f), hashlib.sha256(f.read_bytes()).digest()))
        except OSError as e:
            raise DataError(f"cannot read: {e.strerror or e}", str(f)) from None
    return _parse_known(tuple(key))


@lru_cache(maxsize=16)
def _parse_known(key: tuple) -> terms.Graph:
    return _parse([Path(f) for f, _ in key])


def read_shapes(shapes) -> rdflib.Graph:
    """A shapes graph: an rdflib graph, a Turtle file, or a folder of them (parsed once per content)."""
    sg = _read_shapes(shapes)
    return sg.rdflib() if isinstance(sg, terms.Graph) else sg


def _read_shapes(shapes):
    """A shapes graph as given (an rdflib graph), or read from a file or folder as a terms.Graph."""
    if terms.is_rdflib_graph(shapes) or isinstance(shapes, terms.Graph):
        return shapes
    p = Path(shapes)
    if p.is_dir():
        return _parse_folder(str(p.resolve()))
    if not p.exists():
        raise ShapeError("no such shapes file or folder", str(p))
    return _parse_file(str(p.resolve()))


def _parse_file(path: str) -> terms.Graph:
    return _parse_once([Path(path)])


def _ruleset(ruleset: rulesets.RuleSet | str) -> rulesets.RuleSet:
    return ruleset if isinstance(ruleset, rulesets.RuleSet) else rulesets.get(ruleset)


def shapes_graph(ruleset: rulesets.RuleSet | str) -> rdflib.Graph:
    """A rule set's shapes, shapes/<name>/*.ttl (parsed once; do not modify)."""
    return _ruleset(ruleset).shapes()


def ontology_graph(ruleset: rulesets.RuleSet | str) -> rdflib.Graph:
    """A rule set's vocabulary, ontology/*.ttl and ontology/<name>/*.ttl (parsed once; do not modify)."""
    return _ruleset(ruleset).vocabulary()


@lru_cache(maxsize=None)
def _ontology_triples(ruleset: rulesets.RuleSet) -> Pairs:
    return Pairs.of(ruleset.vocabulary_triples())


def fast_input(annexes: Sequence[annex_mod.Annexe], ruleset: rulesets.RuleSet | str) -> Pairs:
    """The data graph of annexes for the fast engine: the rule set's vocabulary and the
    annexes' graphs, as {predicate: [(subject, object)]} (iterating yields the triples)."""
    rs = _ruleset(ruleset)
    out = _ontology_triples(rs)
    for a in annexes:
        out = out + Pairs(annex_mod.by_predicate(a, notations=rs.notations()))
    return out


def data_graph(annexes: Sequence[annex_mod.Annexe], ruleset: rulesets.RuleSet | str) -> rdflib.Graph:
    """The annexes' graph in rdflib, for pySHACL (the vocabulary is given to it separately)."""
    import rdflib

    g = rdflib.Graph()
    g.parse(data=annex_mod.ntriples_many(annexes, _ruleset(ruleset).notations()), format="nt")
    return g


def choose(a: annex_mod.Annexe, ruleset: rulesets.RuleSet | str | None = None, law=None) -> rulesets.RuleSet:
    """The rule set to validate ``a`` against: the one named, else the one in force at ``law``
    (a date), else the one in force at the annex's start.  RuleSetError (one line naming the
    rule sets and their periods) if none."""
    if ruleset is not None:
        return _ruleset(ruleset)
    if law is not None:
        return rulesets.in_force(law, "--law")
    file, row = a.rows.get("debut", (a.file, None))
    try:
        return rulesets.in_force(a.debut, "the annex's debut")
    except rulesets.RuleSetError as e:
        raise rulesets.RuleSetError(e.message, file, row) from None


def path_text(g: rdflib.Graph, node) -> str:
    """A SHACL path of an rdflib graph as text (<p>, ^<p>, (a / b), (a | b), (a)*)."""
    return shapes_mod.path_text(shapes_mod.parse_path(g, node))


# ----------------------------------------------------------------------------- engines

def run_fast(triples: Iterable[Triple], shapes,
             workers: int | None = None) -> tuple[bool, list[RawResult]]:
    """The fast engine on a data graph given as canonical N-Triples triples, against
    ``shapes`` (an rdflib graph or a terms.Graph).

    ``workers`` processes (default: :func:`parallel.workers`, from the focus nodes and the
    free cores) share out the focus nodes; the results do not depend on how many there are.
    """
    compiled = compile_shapes(shapes)
    collecting = gc.isenabled()
    gc.disable()          # millions of small tuples and lists, none of them in a cycle
    try:
        engine, top = prepare(triples, compiled)
        size = sum(len(f) for _, f in top) // max(1, len(top))
        if workers is None:
            workers = parallel.workers(size)
        if workers > 1 and parallel.can_fork():
            found = parallel.split_focus(engine, compiled, top, workers)
        else:
            found = evaluate_all(engine, top)
        del engine, top       # freed before the collector runs again, not traversed by it
    finally:
        if collecting:
            gc.enable()
    results = _results(compiled, found)
    return not results, results


def _results(compiled, found: list[tuple]) -> list[RawResult]:
    """The engine's tuples as RawResults (each shape's constants looked up once)."""
    by_key = {s.key: s for s in compiled.shapes.values()}
    results = []
    fixed: dict = {}
    for r in found:
        f, v, key, name = r[:4]
        const = fixed.get((key, name))
        if const is None:
            s = by_key[key]
            const = fixed[(key, name)] = (s.path_key, s.key, str(SH[name]), s.severity, s.messages)
        path = r[4] if len(r) > 4 else const[0]
        results.append(RawResult(f, path, v, const[1], const[2], const[3], const[4]))
    return results


def run_pyshacl(data: rdflib.Graph, shapes, ontology) -> tuple[bool, list[RawResult], rdflib.Graph]:
    """The reference, pySHACL with default options (shapes and ontology: rdflib graphs or terms.Graph)."""
    from santelex.validation.reference import run_pyshacl as run

    return run(data, shapes, ontology)


# ----------------------------------------------------------------------------- the entry point

_ANNEX_SUFFIXES = {".xlsx", ".ods", ".xls"}


def _is_annex(item) -> bool:
    if isinstance(item, annex_mod.Annexe):
        return True
    if terms.is_rdflib_graph(item):
        return False
    p = Path(item)
    return p.is_dir() or p.suffix.lower() in _ANNEX_SUFFIXES


def validate(data, shapes=None, *, engine: str = "fast", workers: int | None = None,
             ruleset: rulesets.RuleSet | str | None = None, law=None) -> Report:
    """Validate ``data`` against ``shapes`` with the given engine ("fast" or "pyshacl").

    ``data``: an annex (a folder or workbook path, an Annexe) or a list of them; or any RDF
    data: an rdflib graph or an RDF file (.ttl, .nt, .nq, .trig, .rdf, .jsonld).
    ``shapes``: an rdflib graph, a Turtle file or a folder of them; for annexes the default
    is the shapes of the rule set :func:`choose` picks for each annex (``ruleset``, the one
    in force at ``law``, or at the annex's start), for other data they must be given.

    Several regional annexes (a national set) are validated in one report, each on its own
    graph with the ontology (no rule reaches from one annex into another); the fast engine
    shares them out among ``workers`` processes (default: :func:`parallel.workers`, one per
    free core and per 20,000 objectives; one process when the cores are busy).
    """
    if engine not in ("fast", "pyshacl"):
        raise AnnexError(f"unknown engine {engine!r} (fast or pyshacl)")
    items = list(data) if isinstance(data, (list, tuple)) else [data]
    if not items:
        raise AnnexError("nothing to validate")
    if not all(_is_annex(i) for i in items):
        if len(items) != 1:
            raise DataError("give one RDF data file or graph at a time", ", ".join(map(str, items)))
        if shapes is None:
            raise ShapeError("no shapes given to validate RDF data against")
        return _validate_rdf(items[0], _read_shapes(shapes), engine, workers)
    sg = _read_shapes(shapes) if shapes is not None else None
    source = ", ".join(str(a.source if isinstance(a, annex_mod.Annexe) else a) for a in items)
    if engine == "fast" and len(items) > 1:
        if workers is None:
            workers = parallel.workers(_size(items), len(items))
        if workers > 1 and parallel.can_fork():
            for rs in rulesets.available():                       # once, before forking
                rs.notations(), _ontology_triples(rs), compile_shapes(rs.shape_triples())
            if sg is not None:
                compile_shapes(sg)
            parts = parallel.split_items(items, [_size([a]) for a in items], workers,
                                         lambda shard: _validate_annexes(shard, sg, "fast", 1, ruleset, law))
            paired = [p for part, _, _ in parts for p in part]
            used = [u for _, _, us in parts for u in us]
            return assemble(source, paired, engine, sum(n for _, n, _ in parts), sg, rulesets=used)
    paired, objectives, used = _validate_annexes(items, sg, engine, workers if len(items) == 1 else 1, ruleset, law)
    return assemble(source, paired, engine, objectives, sg, rulesets=used)


def _validate_annexes(items: list, sg, engine: str, workers: int | None,
                      ruleset=None, law=None) -> tuple[list, int, list[str]]:
    collecting = gc.isenabled()
    gc.disable()          # the rows, cells and graphs of the annexes: many objects, no cycle
    try:
        return _each_annex(items, sg, engine, workers, ruleset, law)
    finally:
        if collecting:
            gc.enable()


def _each_annex(items, sg, engine, workers, ruleset, law) -> tuple[list, int, list[str]]:
    paired, objectives, used = [], 0, []
    for item in items:
        a = item if isinstance(item, annex_mod.Annexe) else annex_mod.read(item)
        rs = choose(a, ruleset, law)
        shapes = sg if sg is not None else rs.shape_triples()
        if engine == "fast":
            _, raws = run_fast(fast_input([a], rs), shapes, workers=workers)
        else:
            _, raws, _ = run_pyshacl(data_graph([a], rs), shapes, rs.vocabulary_triples())
        paired.extend(pair([a], raws, shapes, rs.name))
        objectives += len(a.objectifs)
        used.append(rs.name)
    return paired, objectives, used


def _validate_rdf(data, sg, engine: str, workers: int | None) -> Report:
    source = "graphe" if terms.is_rdflib_graph(data) else str(data)
    if engine == "fast":
        triples = graph_triples(data) if terms.is_rdflib_graph(data) else file_triples(data)
        _, raws = run_fast(triples, sg, workers=workers)
    else:
        import rdflib

        g = data if terms.is_rdflib_graph(data) else _parse([Path(data)]).rdflib()
        _, raws, _ = run_pyshacl(g, sg, rdflib.Graph())
    return assemble(source, pair([], raws, sg), engine, 0, sg, annex=False)


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
