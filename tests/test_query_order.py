"""A query's final ORDER BY done outside Oxigraph (santelex.services.query) gives the engine's
answers: the same rows in the same order, on real CSP articles, the most cited included."""
from __future__ import annotations

from collections import Counter

import pyoxigraph as ox
import pytest

from santelex.services import query as q
from santelex.store.sparql import final_order

CSP = "https://data.santelex.fr/code/code-de-la-sante-publique/article/"
#: L6163-1 cites 765 articles (a range of the code de commerce), R1521-6 and L1521-5 hundreds;
#: D6152-23-1 cites "1°, 2°, 3° et 5° de l'article R. 6152-35": four rows the former order tied
PREFIXES = ("l6163-", "r1521-", "l1521-", "r1434-", "l1434-", "d6152-23")
#: the ORDER BY of cites.rq and cited-by.rq before every column was in it
FORMER = {"cites": "ORDER BY ?version ?start ?surface ?cited",
          "cited-by": "ORDER BY ?citing ?citingSubdivision ?start ?surface"}
P = "PREFIX slx: <https://data.santelex.fr/ontology#>\n"


@pytest.fixture(scope="module")
def store(csp_store):
    """The seeds and the CSP articles named by PREFIXES, read from the CSP archive."""
    with csp_store(prefixes=PREFIXES) as st:
        yield st


def engine(store, text, bindings=None) -> list[tuple]:
    """The rows as Oxigraph orders them itself (the whole text, ORDER BY included)."""
    res = store.query(text, bindings)
    return [tuple(s[v] for v in res.variables) for s in res]


def works(store, predicate) -> list[str]:
    rows = store.query(P + f"SELECT DISTINCT ?a WHERE {{ ?c slx:{predicate} ?a }}")
    return sorted(r["a"].value for r in rows)


@pytest.mark.parametrize("name, predicate", [("cites", "citingWork"), ("cited-by", "cited")])
def test_citation_queries_answer_as_the_engine_does(store, name, predicate):
    nq = q.load(name)
    assert final_order(nq.text) is not None  # sorted outside the engine
    pool = works(store, predicate)
    assert len(pool) > 50
    for work in pool:
        b = {"article": ox.NamedNode(work)}
        assert q.execute(store, nq.text, b).rows == engine(store, nq.text, b), work


@pytest.mark.parametrize("name", ["cites", "cited-by"])
def test_citation_queries_keep_the_former_answers(store, name):
    """Every column in the order changed only the order of the rows the former order tied."""
    nq = q.load(name)
    head, _, _ = nq.text.rpartition("ORDER BY")
    former = head + FORMER[name] + "\n"
    pool = works(store, "citingWork" if name == "cites" else "cited")
    for work in pool:
        b = {"article": ox.NamedNode(work)}
        assert Counter(q.execute(store, nq.text, b).rows) == Counter(engine(store, former, b)), work


def test_the_most_cited(store):
    nq = q.load("cites")
    for number, count in (("L6163-1", 765), ("R1434-4", 4)):
        b = {"article": ox.NamedNode(CSP + number)}
        rows = q.execute(store, nq.text, b).rows
        assert len(rows) == count and rows == engine(store, nq.text, b)
    b = {"article": ox.NamedNode(CSP + "R1521-6")}
    assert len(q.execute(store, nq.text, b).rows) > 20


def test_tied_rows_keep_the_engines_order(store):
    """The former cites order ties D6152-23-1's four citations of R. 6152-35: execute leaves
    those to the engine, whose order it gives unchanged."""
    nq = q.load("cites")
    head, _, _ = nq.text.rpartition("ORDER BY")
    former = head + FORMER["cites"] + "\n"
    b = {"article": ox.NamedNode(CSP + "D6152-23-1")}
    rows = engine(store, former, b)
    assert len(rows) > len({(r[0], r[2], r[4]) for r in rows})  # tied on version, surface, cited
    assert q.execute(store, former, b).rows == rows


@pytest.mark.parametrize("order", ["ORDER BY ?o ?p ?s", "ORDER BY DESC(?s) ?p ?o", "ORDER BY ?p DESC(?o) ?s"])
def test_any_order_of_variables_answers_as_the_engine(store, order):
    """Mixed literal kinds, dates, blank nodes: sorted here when plain, else by the engine."""
    text = f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), \"{CSP}R1434\")) }} {order}"
    assert q.execute(store, text).rows == engine(store, text)
    limited = q.execute(store, text, max_results=7)
    assert limited.truncated and limited.rows == engine(store, text)[:7]


@pytest.mark.parametrize("text", [
    "SELECT DISTINCT ?s WHERE { ?s ?p ?o } ORDER BY ?s",
    "SELECT * WHERE { ?s ?p ?o } ORDER BY ?s",
    "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 3",
    "SELECT ?s WHERE { ?s ?p ?o } ORDER BY STR(?s)",
    "SELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?s ORDER BY ?p",
    "SELECT ?s WHERE { { SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 2 } }",
    "ASK { ?s ?p ?o }",
])
def test_other_queries_run_as_written(text):
    assert final_order(text) is None


def test_the_order_taken_out():
    order = final_order("# ORDER BY ?x\nSELECT ?a $b WHERE { ?a ?p ?b OPTIONAL { ?a ?q ?c } } ORDER BY ?b DESC(?c) ASC(?a)")
    assert order.keys == (("b", False), ("c", True), ("a", False))
    assert order.added == ("c",)
    assert "ORDER" not in order.text.split("\n", 1)[1] and "$b ?c WHERE" in order.text
