"""Named queries (queries/*.rq) on the seed store, parameters as RDF terms, `santelex query`."""
from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from santelex import paths
from santelex.cli import main
from santelex.errors import QueryError, UsageError
from santelex.services import query as q
from santelex.store import sparql as sparql_text

CSP = "https://data.santelex.fr/code/code-de-la-sante-publique/article/"
CSS = "https://data.santelex.fr/code/code-de-la-securite-sociale/article/"
JORF = "https://data.santelex.fr/jorf/"
DECREE_ARTICLE_3 = JORF + "decret/2005-76/article/3"
INJECTION = 'x" } ; DROP ALL ; #'


def short(t):
    if t is None:
        return None
    return t.value.replace(CSP, "csp:").replace(CSS, "css:").replace(JORF, "jorf:")


def rows(store, name, **params):
    nq = q.load(name)
    res = q.execute(store, nq.text, q.bind(nq, params, store), timeout=30)
    return [tuple(short(t) for t in r) for r in res.rows]


# -- the catalogue ---------------------------------------------------------------------------

def test_every_named_query_has_a_complete_header():
    names = [nq.name for nq in q.catalogue()]
    for expected in ("cites", "cited-by", "citation-count", "article-text", "versions", "legal-basis",
                     "excluded-from-volume", "allowed-indicators", "annex-summary", "annex-violations",
                     "dangling-citations"):
        assert expected in names
    for nq in q.catalogue():
        assert nq.title and nq.description, nq.name
        assert nq.examples, nq.name
        assert q.check(nq.text, nq.file) in ("select", "ask", "construct", "describe")
        for p in nq.params:
            assert p.type in q.TYPES and p.description and p.example, (nq.name, p.name)
        for example in nq.examples:
            argv = shlex.split(example)
            assert argv[:3] == ["santelex", "query", nq.name]
            given = {a.split("=", 1)[0] for flag, a in zip(argv, argv[1:]) if flag in ("--param", "-p")}
            assert given <= {p.name for p in nq.params}
            assert {p.name for p in nq.params if p.required} <= given


# -- each named query on the seed graph ------------------------------------------------------

def test_cites(seed_store):
    v = "csp:R1434-4/version/e87b577aa080"
    assert rows(seed_store, "cites", article="CSP R1434-4") == [
        (v, v + "/1", "L. 1434-9", None, "csp:L1434-9", None, "legifrance-link"),
        (v, v + "/alinea-6", "1° du I de l'article L. 162-14-1 du code de la sécurité sociale", "I, 1°",
         "css:L162-14-1", "css:L162-14-1/I/1", "legifrance-link"),
        (v, v + "/alinea-9", "L. 1434-7", "alinéa 5", "csp:L1434-7", "csp:L1434-7/alinea-5", "legifrance-link"),
    ]


#: the version part of `cites` as it was written before (a union of two patterns): the query
#: now walks one path, and must give the same rows
FORMER_CITES_VERSION = """  OPTIONAL {
    { ?citingSubdivision eli:realizes ?article . BIND(?citingSubdivision AS ?version) }
    UNION
    { ?citingSubdivision eli:is_part_of+ ?version . ?version eli:realizes ?article }
  }"""


def test_cites_same_rows_as_its_former_text(seed_store, r1434_4, tmp_path):
    """On the seeds (citations in subdivisions, a decree's visas without a version), and on an
    article whose citation is made by the version itself (a reference outside any subdivision)."""
    import dataclasses

    from santelex.ingest.to_rdf import to_quads
    from santelex.model import Reference
    from santelex.store.local import Store

    text = q.load("cites").text
    start = text.index("  OPTIONAL {\n    ?citingSubdivision eli:is_part_of*")
    end = text.index("  }\n", start) + 4
    former = text[:start] + FORMER_CITES_VERSION + "\n" + text[end:]
    whole = dataclasses.replace(r1434_4, number="R1434-99", references=(
        Reference("article L. 1434-2", 0, 17, target_code="code-de-la-sante-publique", target_article="L1434-2"),))
    db = ox.Store(str(tmp_path / "store"))
    db.extend(to_quads(whole, "whole.md"))
    db.flush()
    del db  # closed: santelex opens it
    extra = Store(tmp_path / "store")
    for store in (seed_store, extra):
        citing = sorted({r["a"].value for r in store.query(
            "SELECT DISTINCT ?a WHERE { ?c <https://data.santelex.fr/ontology#citingWork> ?a }")})
        assert len(citing) > 5 or store is extra  # R1434-4, D. 712-1 to 3, the decree (visas) and its articles
        for work in citing:
            term = {"article": ox.NamedNode(work)}
            rows = q.execute(store, text, term).rows
            assert rows == q.execute(store, former, term).rows, work
    assert any(r[0] == r[1] for r in rows)  # the version is the citing node


def test_cited_by_with_pinpoint_and_surface(seed_store):
    assert rows(seed_store, "cited-by", article="CSP L1434-7") == [
        ("csp:R1434-4", "csp:R1434-4/version/e87b577aa080/alinea-9", "L. 1434-7", "alinéa 5",
         "csp:L1434-7/alinea-5", "legifrance-link"),
    ]
    v = "csp:D712-2/version/decret-2005-76/"
    assert rows(seed_store, "cited-by", article="R. 712-37-1") == [
        ("csp:D712-2", v + sub, "article R. 712-37-1", None, None, "text")
        for sub in ("I/1/tiret-1", "I/2/tiret-1", "I/2/tiret-2", "I/3", "II/2/tiret-1", "II/2/tiret-2")
    ]


def test_citation_count(seed_store):
    assert rows(seed_store, "citation-count", code="css") == [("css:L162-14-1", "1")]
    csp = rows(seed_store, "citation-count", code="code-de-la-sante-publique")
    assert csp[0] == ("csp:R712-37-1", "6")
    assert {("csp:L1434-7", "1"), ("csp:L1434-9", "1"), ("csp:L6121-2", "1"), ("csp:D6121-1", "1")} <= set(csp)
    assert rows(seed_store, "citation-count", code=CSP.rsplit("/article/", 1)[0]) == csp


def test_article_text_at_a_date(seed_store):
    v = "csp:D712-2/version/decret-2005-76"
    got = rows(seed_store, "article-text", article="D. 712-2", date="2005-02-03")
    assert len(got) == 49
    assert got[0] == (v, "1", None, "alinea", "Ces objectifs sont exprimés de la manière suivante :", "csp:D712-2/alinea-1")
    assert got[1] == (v, "2", "I", "roman", "I. - Pour les activités de soins :", "csp:D712-2/I")
    assert got[9] == (v, "10", "a)", "lettre", "a) Activité de médecine en hospitalisation complète et en "
                      "hospitalisation à temps partiel de jour, à l'exception de la chimiothérapie :", "csp:D712-2/I/3/a")
    assert got[25] == (v, "26", None, "alinea", "Les dispositions du présent 3° ne sont pas applicables aux "
                       "activités de soins et prises en charge suivantes :", "csp:D712-2/alinea-26")
    assert got[48] == (v, "49", "-", "tiret", "- nombre d'appareils.", "csp:D712-2/II/3/tiret-1")
    assert [r[1] for r in got] == [str(i) for i in range(1, 50)]
    assert rows(seed_store, "article-text", article="CSP D712-3") == [
        ("csp:D712-3/version/decret-2005-76", "1", None, "alinea",
         "Les objectifs sont quantifiés soit par un minimum et un maximum, soit par une progression ou une "
         "diminution au décours de la période d'exécution du schéma, éventuellement assorti d'échéances sur "
         "tout ou partie de cette période.", "csp:D712-3/alinea-1"),
    ]


def test_versions_and_what_changed_them(seed_store):
    assert rows(seed_store, "versions", article="D712-2") == [
        ("csp:D712-2/version/decret-2005-76", "decret-2005-76", None, None, "VIGUEUR_DIFF", None,
         "seeds/decret-2005-76-jo.txt", "jorf:decret/2005-76",
         "jorf:decret/2005-76/article/2", "2005-01-31",
         "Décret n° 2005-76 du 31 janvier 2005 relatif aux objectifs quantifiés de l'offre de soins prévus "
         "à l'article L. 6121-2 du code de la santé publique"),
    ]
    assert rows(seed_store, "versions", article="CSP R1434-4") == [
        ("csp:R1434-4/version/e87b577aa080", "e87b577aa080", None, None, None, None,
         "seeds/r1434-4-sros-version.md", None, None, None, None),
    ]


def test_dangling_citations(seed_store):
    # only the seeds are loaded: every CSP article they cite is absent from the store
    got = [r for r in rows(seed_store, "dangling-citations", code="csp") if r[1] != "jorf:decret/2005-76/article/3"]
    d = "csp:D712-2/version/decret-2005-76/"
    assert got == [
        ("csp:D6121-1", "csp:D712-1", "csp:D712-1/version/decret-2005-76/alinea-1", "article D. 6121-1", "not in the store"),
        ("csp:L1434-7", "csp:R1434-4", "csp:R1434-4/version/e87b577aa080/alinea-9", "L. 1434-7", "not in the store"),
        ("csp:L1434-9", "csp:R1434-4", "csp:R1434-4/version/e87b577aa080/1", "L. 1434-9", "not in the store"),
        ("csp:L6121-1", "jorf:decret/2005-76", "jorf:decret/2005-76", "article L. 6121-1", "not in the store"),
        ("csp:L6121-2", "csp:D712-1", "csp:D712-1/version/decret-2005-76/alinea-1", "article L. 6121-2", "not in the store"),
    ] + [("csp:R712-37-1", "csp:D712-2", d + sub, "article R. 712-37-1", "not in the store")
         for sub in ("I/1/tiret-1", "I/2/tiret-1", "I/2/tiret-2", "I/3", "II/2/tiret-1", "II/2/tiret-2")]
    # the code of the social security is not in the store: nothing can be said of it
    assert rows(seed_store, "dangling-citations", code="css") == []


# -- parameters are RDF terms, never query text -----------------------------------------------

def test_injection_is_a_value_that_matches_nothing(seed_store):
    before = seed_store.count()
    nq = q.from_text("PREFIX slx: <https://data.santelex.fr/ontology#>\n"
                     "SELECT ?c WHERE { ?c slx:surface ?s . FILTER(STR(?s) = ?text) }")
    for value in (INJECTION, "L. 1434-7"):
        res = q.execute(seed_store, nq.text, q.bind(nq, {"text": value}))
        assert len(res) == (1 if value == "L. 1434-7" else 0)
    assert rows(seed_store, "cites", article=INJECTION) == []
    assert rows(seed_store, "cited-by", article="CSP " + INJECTION) == []
    assert rows(seed_store, "citation-count", code=INJECTION) == []
    with pytest.raises(UsageError, match="not an absolute IRI"):
        q.term(q.Param("x", "iri"), INJECTION)
    assert seed_store.count() == before


def test_parameter_errors():
    cites = q.load("cites")
    with pytest.raises(UsageError, match="needs --param article"):
        q.bind(cites, {})
    with pytest.raises(UsageError, match="no parameter 'code'"):
        q.bind(cites, {"article": "R1434-4", "code": "csp"})
    with pytest.raises(UsageError, match="not a date"):
        q.bind(q.load("article-text"), {"article": "D712-2", "date": "31/01/2005"})
    with pytest.raises(UsageError, match="not an integer"):
        q.term(q.Param("n", "integer"), "12a")
    assert q.term(q.Param("n", "integer"), " 12 ") == ox.Literal("12", datatype=ox.NamedNode(q.XSD + "integer"))
    assert q.term(q.Param("a", "article"), "CSP R1434-4") == ox.NamedNode(CSP + "R1434-4")
    assert q.term(q.Param("a", "article"), "css/L. 162-14-1") == ox.NamedNode(CSS + "L162-14-1")
    assert q.term(q.Param("c", "code"), "CSP") == ox.NamedNode(CSP.rsplit("/article/", 1)[0])


def test_malformed_query_gives_line_and_column():
    with pytest.raises(QueryError) as e:
        q.check("SELECT ?x\nWHERE {\n  ?x ?p ?o .\n  FILTER(?x = \n}", "my.rq")
    assert (e.value.file, e.value.line, e.value.column) == ("my.rq", 5, 2)
    assert str(e.value).startswith("my.rq:5:2: malformed SPARQL: ")
    with pytest.raises(QueryError, match="updates are not allowed"):
        q.check("PREFIX a: <http://a/> # comment\nDROP ALL")
    with pytest.raises(QueryError, match="updates are not allowed"):
        q.check("INSERT DATA { <http://a/b> <http://a/c> <http://a/d> }")


def test_results_serialize_in_standard_formats(seed_store):
    nq = q.load("cited-by")
    res = q.execute(seed_store, nq.text, q.bind(nq, {"article": "CSP L1434-7"}))
    data = json.loads(q.serialize(res, "json"))
    assert data["head"]["vars"][:3] == ["citing", "citingSubdivision", "surface"]
    b = data["results"]["bindings"][0]
    assert b["surface"] == {"type": "literal", "value": "L. 1434-7", "xml:lang": "fr"}
    assert b["citing"] == {"type": "uri", "value": CSP + "R1434-4"}
    assert q.serialize(res, "csv").decode().splitlines()[1].startswith(CSP + "R1434-4,")
    assert b"<sparql" in q.serialize(res, "xml")
    with pytest.raises(UsageError):
        q.serialize(res, "turtle")
    graph = q.execute(seed_store, "PREFIX eli: <http://data.europa.eu/eli/ontology#>\n"
                      "CONSTRUCT { ?v eli:realizes ?a } WHERE { ?v eli:realizes ?a ; a eli:LegalExpression }")
    parsed = list(ox.parse(q.serialize(graph, "turtle"), ox.RdfFormat.TURTLE))
    assert len(parsed) == 8


# -- the command line ------------------------------------------------------------------------

def run(*args):
    return CliRunner().invoke(main, list(args))


def test_cli_named_query_formats_and_list(seed_store):
    st = str(seed_store.path)
    r = run("query", "cited-by", "--param", "article=CSP L1434-7", "--format", "csv", "--store", st)
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[0] == "citing,citingSubdivision,surface,pinpoint,citedSubdivision,provenance"
    assert "alinéa 5" in r.output
    r = run("query", "cites", "-p", "article=R1434-4", "--store", st)
    assert r.exit_code == 0 and "3 rows" in r.output
    r = run("query", "--list")
    assert r.exit_code == 0 and "cited-by" in r.output and "dangling-citations" in r.output
    r = run("query", "cites", "--format", "turtle", "-p", "article=R1434-4", "--store", st)
    assert r.exit_code == 2 and "CONSTRUCT" in r.output


def test_cli_own_queries(seed_store, tmp_path):
    st = str(seed_store.path)
    r = run("query", "SELECT (COUNT(*) AS ?n) WHERE { ?c a <https://data.santelex.fr/ontology#Citation> }",
            "--format", "json", "--store", st)
    assert r.exit_code == 0, r.output
    n = seed_store.query("SELECT (COUNT(*) AS ?n) WHERE { ?c a <https://data.santelex.fr/ontology#Citation> }")
    assert json.loads(r.output)["results"]["bindings"][0]["n"]["value"] == next(iter(n))["n"].value
    f = tmp_path / "mine.rq"
    f.write_text("PREFIX slx: <https://data.santelex.fr/ontology#>\n"
                 "CONSTRUCT { ?c slx:surface ?s } WHERE { ?c slx:cited ?a ; slx:surface ?s }\n")
    r = run("query", "--file", str(f), "--format", "turtle", "-p", "a:article=CSP L1434-7", "--store", st)
    assert r.exit_code == 0, r.output
    assert len(list(ox.parse(r.output.encode(), ox.RdfFormat.TURTLE))) == 1
    r = run("query", "ASK { ?s ?p ?o }", "--store", st)
    assert r.exit_code == 0 and r.output.strip() == "true"


def test_cli_bad_input_exits_2(seed_store, tmp_path):
    st = str(seed_store.path)
    bad = tmp_path / "bad.rq"
    bad.write_text("# mine\nSELECT ?x WHERE {\n  ?x ?p\n}\n")
    r = run("query", "--file", str(bad), "--store", st)
    assert r.exit_code == 2
    assert f"{bad}:5:1: malformed SPARQL: expected" in r.output and "Traceback" not in r.output
    r = run("query", "DELETE WHERE { ?s ?p ?o }", "--store", st)
    assert r.exit_code == 2 and "updates are not allowed" in r.output
    r = run("query", "citess", "--store", st)
    assert r.exit_code == 2 and "did you mean cites" in r.output
    r = run("query", "cites", "--store", st)
    assert r.exit_code == 2 and "needs --param article" in r.output
    r = run("query", "cites", "-p", "article", "--store", st)
    assert r.exit_code == 2 and "key=value" in r.output


def test_cli_findings_exit_1(seed_store):
    r = run("query", "dangling-citations", "--format", "csv", "--store", str(seed_store.path))
    assert r.exit_code == 1
    r = run("query", "dangling-citations", "-p", "code=css", "--format", "csv", "--store", str(seed_store.path))
    assert r.exit_code == 0


def test_cli_timeout_stops_the_query(seed_store):
    # a cartesian product of the seed graph with itself, three times: it would run for hours
    cmd = [str(Path(sys.executable).with_name("santelex")), "query", "--timeout", "1", "--store", str(seed_store.path),
           "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "query stopped: still running after 1 s" in done.stderr
    assert "Traceback" not in done.stderr


# -- queries over the ontology, an annex and a validation report -------------------------------
# They need ontology/*.ttl (SKOS concepts tied to the law) in the store besides the seeds.

ANNEX = "https://data.santelex.fr/annexe/test-2006"
ANNEX_TTL = f"""
@prefix slx: <https://data.santelex.fr/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix act: <https://data.santelex.fr/oqos/activite/> .
@prefix eml: <https://data.santelex.fr/oqos/equipement/> .
@prefix ind: <https://data.santelex.fr/oqos/indicateur/> .
@base <{ANNEX}/> .
<{ANNEX}> a slx:Annexe ; slx:region "11" ; slx:debut "2006-04-01"^^xsd:date ; slx:fin "2011-03-31"^^xsd:date ;
    slx:file "annexe.csv" ; slx:row 2 .
<territoire/75-1> a slx:TerritoireDeSante ; slx:annexe <{ANNEX}> ; slx:code "75-1" ; rdfs:label "Paris centre" .
<territoire/92-1> a slx:TerritoireDeSante ; slx:annexe <{ANNEX}> ; slx:code "92-1" ; rdfs:label "Hauts-de-Seine nord" .
<objectif/2> a slx:ObjectifQuantifie ; slx:annexe <{ANNEX}> ; slx:territoire <territoire/75-1> ; slx:cible act:medecine ;
    slx:indicateur ind:implantations ; slx:minimum 4 ; slx:maximum 6 ; slx:file "objectifs.csv" ; slx:row 2 .
<objectif/3> a slx:ObjectifQuantifie ; slx:annexe <{ANNEX}> ; slx:territoire <territoire/75-1> ; slx:cible act:chirurgie ;
    slx:indicateur ind:implantations ; slx:minimum 2 ; slx:maximum 3 ; slx:file "objectifs.csv" ; slx:row 3 .
<objectif/4> a slx:ObjectifQuantifie ; slx:annexe <{ANNEX}> ; slx:territoire <territoire/75-1> ; slx:cible act:medecine ;
    slx:indicateur ind:actes ; slx:minimum 100 ; slx:file "objectifs.csv" ; slx:row 4 .
<objectif/5> a slx:ObjectifQuantifie ; slx:annexe <{ANNEX}> ; slx:territoire <territoire/92-1> ; slx:cible eml:irm ;
    slx:indicateur ind:appareils ; slx:minimum 3 ; slx:maximum 5 ; slx:file "objectifs.csv" ; slx:row 5 .
"""
REPORT_TTL = f"""
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix slx: <https://data.santelex.fr/ontology#> .
@prefix ind: <https://data.santelex.fr/oqos/indicateur/> .
<https://data.santelex.fr/report/test> a sh:ValidationReport ; sh:conforms false ;
    sh:result [ a sh:ValidationResult ; sh:focusNode <{ANNEX}/objectif/4> ; sh:resultSeverity sh:Violation ;
                sh:resultMessage "Pour l'activité de médecine, le seul indicateur de volume admis est le nombre de séjours."@fr ;
                sh:sourceShape <https://data.santelex.fr/shapes/oqos#indicateurs-medecine> ] .
<https://data.santelex.fr/shapes/oqos#indicateurs-medecine> slx:law
    <https://data.santelex.fr/code/code-de-la-sante-publique/article/D712-2/I/3/a> ; slx:lawLabel "D. 712-2, I, 3°, a)" .
"""


def load_graphs(store_path, graphs: dict[str, str]):
    """Add Turtle documents to a store, each in its own named graph."""
    from santelex import uris
    from santelex.store import open_store
    st = open_store(store_path)
    with st.transaction() as loader:
        for name, data in graphs.items():
            g = ox.NamedNode(uris.graph(name))
            loader.replace_graph(g.value, [ox.Quad(t.subject, t.predicate, t.object, g)
                                           for t in ox.parse(data.encode(), ox.RdfFormat.TURTLE)])
    st.close()


@pytest.fixture(scope="module")
def oqos_store(tmp_path_factory):
    """The seeds, the ontology, one small annex and a validation report of it."""
    from santelex import builder
    from santelex.store import open_store
    path = tmp_path_factory.mktemp("oqos") / "store"
    builder.build([paths.SEEDS / "r1434-4-sros-version.md", paths.SEEDS / "decret-2005-76-jo.txt"], path)
    graphs = {"ontology/" + f.relative_to(paths.ONTOLOGY).as_posix(): f.read_text(encoding="utf-8") for f in sorted(paths.ONTOLOGY.rglob("*.ttl"))}
    load_graphs(path, {**graphs, "annexes/test-2006": ANNEX_TTL, "reports/test-2006": REPORT_TTL})
    store = open_store(path, read_only=True)
    yield store
    store.close()


D = "csp:D712-2/"
DV = "csp:D712-2/version/decret-2005-76"
DS = DV + "/"


def test_legal_basis(oqos_store):
    assert rows(oqos_store, "legal-basis", term="sejours") == [
        ("https://data.santelex.fr/oqos/indicateur/sejours", "sejours", "nombre de séjours", DS + "I/3/a/tiret-1", DV, "-", "- nombre de séjours ;"),
        ("https://data.santelex.fr/oqos/indicateur/sejours", "sejours", "nombre de séjours", DS + "I/3/b/tiret-1", DV, "-", "- nombre de séjours ;"),
    ]
    # by label, any case; by alternative label; by IRI (a class of the annex)
    assert rows(oqos_store, "legal-basis", term="Nombre de séjours") == rows(oqos_store, "legal-basis", term="sejours")
    irm = rows(oqos_store, "legal-basis", term="irm")
    assert irm == rows(oqos_store, "legal-basis", term="IRM")
    assert irm == [  # one concept per rule set; R. 6122-26 is not in the seed store
        ("https://data.santelex.fr/oqos/2023/equipement/irm", "irm",
         "appareils d'imagerie par résonance magnétique nucléaire à utilisation médicale",
         "csp:R6122-26/version/9130a78bfaae/2/a", None, None, None),
        ("https://data.santelex.fr/oqos/equipement/irm", "irm", "imagerie par résonance magnétique",
         "csp:R6122-26/2/a", None, None, None)]
    assert rows(oqos_store, "legal-basis", term="https://data.santelex.fr/ontology#ObjectifQuantifie") == [
        ("https://data.santelex.fr/ontology#ObjectifQuantifie", None, "objectifs quantifiés de l'offre de soins",
         "csp:D712-1/version/decret-2005-76/alinea-1", "csp:D712-1/version/decret-2005-76", None,
         "Les objectifs quantifiés de l'offre de soins qui sont précisés par l'annexe au schéma d'organisation "
         "sanitaire prévue à l'article L. 6121-2 portent sur les activités de soins et les équipements matériels "
         "lourds faisant l'objet du schéma d'organisation sanitaire mentionnés à l'article D. 6121-1."),
    ]
    assert rows(oqos_store, "legal-basis", term=INJECTION) == []


def test_excluded_from_volume(oqos_store):
    got = rows(oqos_store, "excluded-from-volume")
    act = "https://data.santelex.fr/oqos/activite/"
    assert [(r[0], r[3], r[4]) for r in got] == [
        (act + "obstetrique", DS + "alinea-26/tiret-1", "- l'obstétrique ;"),
        (act + "neonatologie", DS + "alinea-26/tiret-2", "- la néonatalogie ;"),
        (act + "reanimation_neonatale", DS + "alinea-26/tiret-3", "- la réanimation néonatale ;"),
        (act + "reanimation", DS + "alinea-26/tiret-4", "- la réanimation ;"),
        (act + "urgences", DS + "alinea-26/tiret-5", "- l'accueil et le traitement des urgences ;"),
        (act + "greffes", DS + "alinea-26/tiret-6", "- les transplantations d'organes et greffes de moelle osseuse ;"),
        (act + "grands_brules", DS + "alinea-26/tiret-7", "- les traitements des grands brûlés ;"),
        (act + "chirurgie_cardiaque", DS + "alinea-26/tiret-8", "- la chirurgie cardiaque ;"),
        (act + "neurochirurgie", DS + "alinea-26/tiret-9", "- la neurochirurgie ;"),
        (act + "cancer", DS + "alinea-26/tiret-10", "- le traitement du cancer ;"),
        (act + "diagnostic_prenatal", DS + "alinea-26/tiret-11", "- les activités de diagnostic prénatal ;"),
        (act + "gametes", DS + "alinea-26/tiret-12", "- les activités de recueil, le traitement, la conservation de "
         "gamètes et la cession de gamètes issus de don ;"),
        (act + "amp_clinique", DS + "alinea-26/tiret-13", "- les activités cliniques d'assistance médicale à la procréation ;"),
        (act + "amp_biologique", DS + "alinea-26/tiret-14", "- les activités biologiques d'assistance médicale à la procréation."),
        ("https://data.santelex.fr/oqos/forme/had", DS + "alinea-41", "Elles ne s'appliquent pas non plus aux "
         "activités de soins exercées dans le cadre de l'hospitalisation à domicile."),
    ]
    assert got[0][1:3] == ("obstetrique", "obstétrique")
    # HAD is a form of care, not an activity (D. 712-2: activities "exercées dans le cadre de" it)
    assert [r[5] for r in got] == ["activité"] * 14 + ["forme"] and {r[6] for r in got} == {"oqos-2005"}
    assert rows(oqos_store, "excluded-from-volume", ruleset="oqos-2005") == got
    assert rows(oqos_store, "excluded-from-volume", ruleset="autre") == []


def test_allowed_indicators(oqos_store):
    def allowed(target, ruleset="oqos-2005"):
        return [(r[1], r[3], r[4]) for r in rows(oqos_store, "allowed-indicators", target=target, ruleset=ruleset)]
    common_i = [("implantations", "common", DS + "I/1/tiret-1"), ("temps_acces", "common", DS + "I/2/tiret-1"),
                ("permanence", "common", DS + "I/2/tiret-2")]
    assert allowed("psychiatrie") == common_i + [
        ("journees", "volume", DS + "I/3/d/tiret-1"), ("places_jour", "volume", DS + "I/3/d/tiret-2"),
        ("places_nuit", "volume", DS + "I/3/d/tiret-3")]
    assert allowed("medecine") == common_i + [("sejours", "volume", DS + "I/3/a/tiret-1")]
    assert allowed("https://data.santelex.fr/oqos/activite/obstetrique") == common_i
    assert allowed("irm") == [
        ("implantations", "common", DS + "II/1/tiret-1"), ("temps_acces", "common", DS + "II/2/tiret-1"),
        ("permanence", "common", DS + "II/2/tiret-2"), ("appareils", "equipment", DS + "II/3/tiret-1")]
    assert rows(oqos_store, "allowed-indicators", target="nombre d'actes")[:1] == []
    assert rows(oqos_store, "allowed-indicators", target=INJECTION) == []
    assert rows(oqos_store, "allowed-indicators", target="medecine")[3][5] == "- nombre de séjours ;"
    # per rule set: each row names it; a rule set without the target answers nothing
    assert {r[6] for r in rows(oqos_store, "allowed-indicators", target="irm")} == {"oqos-2005", "oqos-2023"}
    assert rows(oqos_store, "allowed-indicators", target="irm", ruleset="oqos-2005") == [
        r for r in rows(oqos_store, "allowed-indicators", target="irm") if r[6] == "oqos-2005"]
    assert rows(oqos_store, "allowed-indicators", target="irm", ruleset="autre") == []
    assert rows(oqos_store, "allowed-indicators", target="had", ruleset="oqos-2005") == []  # a form, not an activity
    # today's law (D. 6121-7 and D. 6121-9 are not in this store: no text); HAD is an activity again
    d7, d9 = "csp:D6121-7/version/f295ac23d82d/", "csp:D6121-9/version/6d633132edfd/"
    assert allowed("psychiatrie", "oqos-2023") == [
        ("implantations", "common", d7 + "1/tiret-1"), ("implantations_psychiatrie", "target", d7 + "1/tiret-2"),
        ("temps_acces", "common", d7 + "2/tiret-1")]
    assert allowed("irm", "oqos-2023") == [
        ("implantations", "common", d9 + "alinea-1/tiret-1"), ("temps_acces", "common", d9 + "alinea-4/tiret-1"),
        ("temps_attente", "target", d9 + "alinea-4/tiret-2")]
    assert allowed("cyclotron", "oqos-2023") == [
        ("appareils", "target", d9 + "alinea-1/tiret-2"), ("implantations", "common", d9 + "alinea-1/tiret-1"),
        ("temps_acces", "common", d9 + "alinea-4/tiret-1")]
    assert allowed("had", "oqos-2023") == [("implantations", "common", d7 + "1/tiret-1"),
                                           ("temps_acces", "common", d7 + "2/tiret-1")]
    assert allowed("smr", "oqos-2005") == [] and len(allowed("smr", "oqos-2023")) == 2
    both = rows(oqos_store, "allowed-indicators", target="medecine")
    assert [r[6] for r in both] == ["oqos-2005"] * 4 + ["oqos-2023"] * 2


def test_annex_summary(oqos_store):
    expected = [
        ("https://data.santelex.fr/annexe/test-2006", "75-1", "Paris centre", "actes", "1", "1", "100", None),
        ("https://data.santelex.fr/annexe/test-2006", "75-1", "Paris centre", "implantations", "2", "2", "6", "9"),
        ("https://data.santelex.fr/annexe/test-2006", "92-1", "Hauts-de-Seine nord", "appareils", "1", "1", "3", "5"),
    ]
    assert rows(oqos_store, "annex-summary") == expected
    assert rows(oqos_store, "annex-summary", annex=ANNEX) == expected
    assert rows(oqos_store, "annex-summary", annex=ANNEX + "-autre") == []


def test_annex_violations_from_a_stored_report(oqos_store):
    expected = [(ANNEX, "objectifs.csv", "4", ANNEX + "/objectif/4", "http://www.w3.org/ns/shacl#Violation",
                 "Pour l'activité de médecine, le seul indicateur de volume admis est le nombre de séjours.",
                 None, None, "D. 712-2, I, 3°, a)", D + "I/3/a")]
    assert rows(oqos_store, "annex-violations") == expected
    assert rows(oqos_store, "annex-violations", annex=ANNEX) == expected
    assert rows(oqos_store, "annex-violations", annex=ANNEX + "-autre") == []
    r = run("query", "annex-violations", "--format", "csv", "--store", str(oqos_store.path))
    assert r.exit_code == 1 and "objectifs.csv,4," in r.output


def test_annex_queries_on_a_real_annex_and_its_report(tmp_path):
    """The annex graph santelex.annex writes and the report santelex validate writes, stored."""
    from santelex import annex as annex_mod
    from santelex import builder
    from santelex.store import open_store
    example = paths.EXAMPLES / "annexe-erreurs"
    a = annex_mod.read(example)
    report = CliRunner().invoke(main, ["validate", str(example), "--format", "turtle"])
    assert report.exit_code == 1, report.output
    path = tmp_path / "store"
    builder.build([paths.SEEDS / "decret-2005-76-jo.txt"], path)
    graphs = {"ontology/" + f.relative_to(paths.ONTOLOGY).as_posix(): f.read_text(encoding="utf-8") for f in sorted(paths.ONTOLOGY.rglob("*.ttl"))}
    load_graphs(path, {**graphs, "annexes/erreurs": annex_mod.ntriples(a), "reports/erreurs": report.stdout})
    store = open_store(path, read_only=True)
    iri = annex_mod.iri(a)
    violations = rows(store, "annex-violations", annex=iri)
    assert len(violations) >= 10 and {r[0] for r in violations} == {iri.replace(JORF, "jorf:")}
    assert all(r[1].endswith(".csv") and r[2].isdigit() and r[9] for r in violations)  # file, row, law
    medecine = [r for r in violations if "médecine" in (r[5] or "")]
    assert medecine and medecine[0][9] == "csp:D712-2/version/decret-2005-76/I/3/a"
    assert rows(store, "annex-violations", annex=iri + "-autre") == []
    summary = rows(store, "annex-summary", annex=iri)
    assert summary and all(int(r[4]) >= 1 for r in summary)
    store.close()


# -- properties ------------------------------------------------------------------------------
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=40) | st.sampled_from(["L. 1434-7", INJECTION, '"', "\\", "} } DROP ALL", "\u0000x"]))
def test_any_string_parameter_is_one_value(seed_store, text):
    """Whatever the string, it is compared as one literal: it matches exactly the equal surfaces."""
    query = q.from_text("PREFIX slx: <https://data.santelex.fr/ontology#>\n"
                        "SELECT ?c WHERE { ?c slx:surface ?s . FILTER(STR(?s) = ?text) }")
    surfaces = [r["s"].value for r in seed_store.query(
        "SELECT ?s WHERE { ?c <https://data.santelex.fr/ontology#surface> ?s }")]
    res = q.execute(seed_store, query.text, q.bind(query, {"text": text}))
    assert len(res) == surfaces.count(text)


@settings(max_examples=80, deadline=None)
@given(title=st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=60)
       .map(str.strip).filter(bool),
       words=st.lists(st.from_regex(r"[a-zé]{1,12}", fullmatch=True), min_size=1, max_size=30),
       typ=st.sampled_from(q.TYPES), optional=st.booleans())
def test_header_round_trip(title, words, typ, optional):
    description = " ".join(words)
    lines = [f"# title: {title}", f"# description: {' '.join(words[:len(words) // 2 + 1])}"]
    if len(words) > len(words) // 2 + 1:
        lines.append("#              " + " ".join(words[len(words) // 2 + 1:]))
    lines.append(f"# param: value ({typ}{', optional' if optional else ''}) — the value. Example: x")
    text = "\n".join(lines) + "\nSELECT * WHERE { ?s ?p ?value }\n"
    nq = q.from_text(text)
    assert nq.title == title and nq.description == description
    assert nq.params == (q.Param("value", typ, "the value.", not optional, None, "x"),)


@settings(max_examples=100, deadline=None)
@given(prologue=st.lists(st.sampled_from(["PREFIX a: <http://a/>", "BASE <http://b/>", "# a comment { WHERE",
                                          "PREFIX : <http://x/#frag>"]), max_size=4),
       word=st.sampled_from(["INSERT DATA { <http://a/b> <http://a/c> 1 }", "DELETE WHERE { ?s ?p ?o }",
                             "drop all", "CLEAR DEFAULT", "LOAD <http://a/x>", "WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
                             "SELECT * WHERE { ?s ?p ?o }", "ask {}", "CONSTRUCT WHERE { ?s ?p ?o }"]))
def test_updates_are_told_from_queries_whatever_comes_before(prologue, word):
    text = "\n".join([*prologue, word])
    assert sparql_text.is_update(text) == (word.split()[0].lower() not in ("select", "ask", "construct"))


@settings(max_examples=200, deadline=None)
@given(accept=st.text(max_size=80) | st.lists(
    st.tuples(st.sampled_from(["*/*", "text/*", "application/*", "text/csv", "application/json", "text/turtle",
                               "application/sparql-results+xml", "image/png", "application/n-triples"]),
              st.sampled_from(["", ";q=0", ";q=0.5", ";q=1", ";q=x", ";level=1"])), max_size=5)
    .map(lambda parts: ", ".join(a + b for a, b in parts)),
    kind=st.sampled_from(["select", "ask", "construct", "describe"]))
def test_negotiation_answers_an_offer_or_nothing(accept, kind):
    from santelex.serve.server import GRAPH_OFFERS, RESULT_OFFERS, negotiate
    offers = GRAPH_OFFERS if kind in ("construct", "describe") else RESULT_OFFERS
    got = negotiate(accept, kind)
    assert got is None or got in {name for name, _ in offers}
    if accept.strip() in ("", "*/*"):
        assert got == offers[0][0]
