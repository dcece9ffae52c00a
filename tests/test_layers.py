"""The layers, enforced: data flows one way, file -> reader -> model -> RDF -> store ->
validate / query / cite -> CLI / web.  Every import of a project module counts, those inside
functions too (an import moved into a function to dodge a cycle is still a cycle).
"""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
#: the installed package name of each folder of the repository (see setup.py)
FOLDERS = {"santelex": "santelex", "ingest": "santelex.ingest"}


def _modules() -> dict[str, Path]:
    out = {}
    for folder, package in FOLDERS.items():
        for f in (ROOT / folder).rglob("*.py"):
            parts = list(f.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join([package, *parts])] = f
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The project modules ``name`` imports (anywhere in the file)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # "from santelex.web import law" imports the module santelex.web.law
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for t in targets:
            # "import santelex.ingest.registry" and lazy("santelex.x") name modules directly
            while t and t not in MODULES:
                t = t.rpartition(".")[0]
            if t and t != name and not name.startswith(t + "."):  # a package's own parents are not arrows
                found.add(t)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):  # santelex._lazy.lazy("…")
        if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "lazy" and node.args
                and isinstance(node.args[0], ast.Constant) and node.args[0].value in MODULES):
            found.add(node.args[0].value)
    return found


GRAPH = nx.DiGraph()
for _name, _path in MODULES.items():
    GRAPH.add_node(_name)
    for _target in _imports(_name, _path):
        GRAPH.add_edge(_name, _target)

CONTRACT = {"santelex.model", "santelex.errors"}
#: tables every layer may read (formats, namespaces): pure data that imports nothing of the project
TABLES = {"santelex.formats", "santelex.vocab"}
READERS = {m for m in MODULES if m.startswith("santelex.ingest.") and m != "santelex.ingest.to_rdf"}
STORE = {m for m in MODULES if m == "santelex.store" or m.startswith("santelex.store.")}
FACES = {m for m in MODULES if m.startswith(("santelex.cli", "santelex.web", "santelex.serve"))}
SERVICES = {m for m in MODULES if m not in CONTRACT | READERS | STORE | FACES
            and m not in ("santelex", "santelex.ingest", "santelex.ingest.to_rdf")}


def _arrows(sources, targets) -> list[str]:
    return sorted(f"{a} -> {b}" for a, b in GRAPH.edges if a in sources and b in targets)


def test_the_graph_is_read():
    # the test sees real arrows (else every rule below would pass on nothing)
    assert ("santelex.builder.files", "santelex.ingest.registry") in GRAPH.edges
    assert ("santelex.ingest.jorf_xml", "santelex.ingest.legi_xml") in GRAPH.edges
    assert ("santelex.cli.cite", "santelex.services.cite") in GRAPH.edges  # through santelex._lazy
    assert len(READERS) > 10 and "santelex.services.query" in SERVICES and "santelex.web.app" in FACES


def test_no_import_cycle():
    cycles = [c for c in nx.simple_cycles(GRAPH)]
    assert not cycles, cycles[:10]


def test_the_contract_imports_nothing_of_the_project():
    assert not [f"{a} -> {b}" for a, b in GRAPH.edges if a in CONTRACT | TABLES]


@pytest.mark.parametrize("layer,forbidden", [
    ("readers", STORE | FACES | SERVICES),
    ("store", FACES | SERVICES - {"santelex.paths", "santelex.uris", "santelex.store.sparql"} - TABLES),
    ("services", FACES),
])
def test_arrows_that_must_never_be(layer, forbidden):
    sources = {"readers": READERS, "store": STORE, "services": SERVICES}[layer]
    # readers may use the paths of bundled files (the articles index) and the tables, nothing else above them
    allowed = {"santelex.paths"} | TABLES if layer == "readers" else set()
    assert not _arrows(sources, forbidden - allowed)


def test_readers_know_nothing_of_rdf():
    bad = []
    for name in READERS:
        for node in ast.walk(ast.parse(MODULES[name].read_text(encoding="utf-8"))):
            mods = ([a.name for a in node.names] if isinstance(node, ast.Import)
                    else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            bad += [f"{name}: {m}" for m in mods if m.split(".")[0] in ("pyoxigraph", "rdflib", "pyshacl")]
    assert not bad


def _exports() -> dict[str, list[str]]:
    """Each project module's ``__all__``, as written (a literal list)."""
    out = {}
    for name, path in MODULES.items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
                out[name] = ast.literal_eval(node.value) if name != "santelex" else None
    return {k: v for k, v in out.items() if v is not None}


def _uses(path: Path) -> set[tuple[str, str]]:
    """(module, name) for each name the file takes from a project module: ``from M import n`` and
    ``m.n`` where ``m`` is a module imported (or lazily loaded) under that name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    alias, found = {}, set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                if f"{node.module}.{a.name}" in MODULES:
                    alias[a.asname or a.name] = f"{node.module}.{a.name}"
                elif node.module in MODULES:
                    found.add((node.module, a.name))
        elif isinstance(node, ast.Import):
            alias.update({a.asname: a.name for a in node.names if a.asname and a.name in MODULES})
        elif (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
              and getattr(node.value.func, "id", None) == "lazy" and isinstance(node.targets[0], ast.Name)):
            alias[node.targets[0].id] = node.value.args[0].value
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in alias:
            found.add((alias[node.value.id], node.attr))
    return {(m, n) for m, n in found if f"{m}.{n}" not in MODULES}


def test_every_all_is_true():
    # a module's __all__ names what it defines, and every name other modules take from it
    exports = _exports()
    assert "santelex.services.query" in exports and "santelex.annex" in exports
    missing = []
    for name, names in exports.items():
        module = importlib.import_module(name)
        missing += [f"{name}.{n} is in __all__ but not defined" for n in names if not hasattr(module, n)]
    for user, path in MODULES.items():
        missing += [f"{user} takes {m}.{n}, not in its __all__" for m, n in sorted(_uses(path))
                    if m in exports and m != user and n not in exports[m]]
    assert not missing, missing
