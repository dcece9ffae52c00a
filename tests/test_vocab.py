"""Namespaces and prefixes have one home, santelex/vocab.py; the named queries (public SPARQL
files) declare their own PREFIX lines, which must agree with it."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pyoxigraph as ox
from click.testing import CliRunner

from santelex import paths, vocab
from santelex.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_named_queries_declare_the_prefixes_of_vocab():
    seen = set()
    for f in sorted(paths.QUERIES.glob("*.rq")):
        for prefix, namespace in re.findall(r"^\s*PREFIX\s+(\w*):\s*<([^>]*)>", f.read_text(encoding="utf-8"),
                                            re.MULTILINE | re.IGNORECASE):
            assert vocab.PREFIXES.get(prefix) == namespace, f"{f.name}: PREFIX {prefix}: <{namespace}>"
            seen.add(prefix)
    assert {"eli", "slx", "skos", "prov", "dcterms", "sh"} <= seen


def _strings(tree):
    """The string constants of a module that are not docstrings."""
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and id(n) not in docs]


def test_no_namespace_is_written_out_of_vocab():
    namespaces = set(vocab.PREFIXES.values()) | {vocab.BASE}
    found = []
    for folder in (ROOT / "santelex", ROOT / "ingest"):
        for f in folder.rglob("*.py"):
            if f.name == "vocab.py" and f.parent.name == "santelex":
                continue
            for s in _strings(ast.parse(f.read_text(encoding="utf-8"))):
                found += [f"{f.relative_to(ROOT)}: {ns}" for ns in namespaces if ns in s]
    assert not found, found


def test_exports_and_tables_use_the_prefixes(tmp_path):
    store = tmp_path / "store"
    assert CliRunner().invoke(main, ["build", "--store", str(store), "-q", str(paths.SEEDS)]).exit_code == 0
    res = CliRunner().invoke(main, ["export", "--store", str(store), "--format", "turtle"])
    assert res.exit_code == 0
    declared = dict(re.findall(r"^@prefix (\w+): <([^>]*)>", res.output, re.MULTILINE))
    assert declared == vocab.PREFIXES
    assert len(list(ox.parse(res.output.encode(), format=ox.RdfFormat.TURTLE))) > 1000
    q = "SELECT ?p WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY ?p"
    res = CliRunner().invoke(main, ["query", "--store", str(store), q], terminal_width=200)
    assert res.exit_code == 0 and "eli:is_realized_by" in res.output and "rdfs:label" in res.output
