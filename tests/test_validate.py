"""The validator: the fast engine gives exactly pySHACL's results; the command and its formats."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import date

import pytest
import rdflib
from click.testing import CliRunner

from santelex import annex, paths
from santelex import validation as v
from santelex.cli import main
from santelex.validation import rulesets

EXAMPLES = [paths.EXAMPLES / "annexe-2006", paths.EXAMPLES / "annexe-erreurs"]
RS = rulesets.get("oqos-2005")


def both(annexes, rs=RS):
    _, ref, _ = v.run_pyshacl(v.data_graph(annexes, rs), rs.shapes(), rs.vocabulary())
    _, fast = v.run_fast(v.fast_input(annexes, rs), rs.shapes(), workers=1)
    return Counter(ref), Counter(fast)


@pytest.mark.parametrize("folder", EXAMPLES, ids=lambda p: p.name)
def test_fast_engine_equals_pyshacl_on_the_examples(folder):
    ref, fast = both([annex.read(folder)])
    assert fast == ref
    assert (folder.name == "annexe-2006") == (not ref)


def test_fast_engine_equals_pyshacl_on_a_generated_annex_with_many_violations():
    annexes = annex.synthetic(240, regions=("11", "53", "93"), errors=0.7, seed=7)
    ref, fast = both(annexes)
    assert fast == ref
    assert sum(ref.values()) > 150
    assert len({r.shape for r in ref}) >= 18         # most rules are broken somewhere


def test_workers_do_not_change_the_results():
    triples = v.fast_input(annex.synthetic(3000, errors=0.3, seed=11), RS)
    sg = RS.shapes()
    one = Counter(v.run_fast(triples, sg, workers=1)[1])
    assert one == Counter(v.run_fast(triples, sg, workers=2)[1]) == Counter(v.run_fast(triples, sg, workers=3)[1])


def test_the_number_of_processes_follows_the_work_and_the_free_cores():
    from santelex.validation import parallel

    assert parallel.workers(parallel.MIN_SHARE - 1) == 1            # small work: no fork
    assert parallel.workers(10**9, items=1) == 1                     # one annex: one process
    assert 1 <= parallel.workers(10**9, items=18) <= min(parallel.cpus(), int(parallel.free_cores() + 1.5))


def test_several_annexes_make_one_report_whatever_the_workers():
    a, b = annex.read(EXAMPLES[0]), annex.read(EXAMPLES[1])
    together = v.validate([a, b], workers=1)
    assert together.raw == v.validate(b).raw and together.objectives == len(a.objectifs) + len(b.objectifs)
    national = annex.synthetic(2000, errors=0.2, seed=3)
    one, two = v.validate(national, workers=1), v.validate(national, workers=2)
    assert one.raw == two.raw and one.results == two.results and len(one.raw) > 100
    assert Counter(one.raw) == Counter(v.run_fast(v.fast_input(national, RS), RS.shapes())[1])
    out = run(*EXAMPLES)
    assert out.exit_code == 1 and "38 résultats sur 266 objectifs" in out.output


def test_the_engine_reads_any_store_the_same():
    import pyoxigraph as ox

    a = annex.read(paths.EXAMPLES / "annexe-erreurs")
    store = ox.Store()
    store.load(annex.ntriples(a).encode(), ox.RdfFormat.N_TRIPLES)
    store.load(v.ontology_graph(RS).serialize(format="nt").encode(), ox.RdfFormat.N_TRIPLES)
    sg = RS.shapes()
    assert Counter(v.run_fast(v.store_triples(store), sg)[1]) == Counter(v.run_fast(v.fast_input([a], RS), sg)[1])


GENERIC_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <http://example.org/> .
ex:Person a sh:NodeShape ; sh:targetClass ex:Person ;
    sh:property [ sh:path ex:age ; sh:maxInclusive 150 ; sh:minExclusive 0 ; sh:datatype xsd:integer ] ;
    sh:property [ sh:path ( ex:knows ex:name ) ; sh:pattern "^[A-Z]" ; sh:minCount 1 ] ;
    sh:property [ sh:path [ sh:alternativePath ( ex:email ex:phone ) ] ; sh:maxCount 2 ] ;
    sh:property [ sh:path ex:knows ; sh:node ex:Named ; sh:class ex:Person ] ;
    sh:property [ sh:path ex:born ; sh:lessThan ex:died ] ;
    sh:and ( [ sh:property [ sh:path ex:name ; sh:minCount 1 ] ] [ sh:not [ sh:class ex:Robot ] ] ) .
ex:Named a sh:NodeShape ; sh:property [ sh:path ex:name ; sh:maxExclusive "n" ; sh:minCount 1 ] .
ex:WithAge a sh:PropertyShape ; sh:targetSubjectsOf ex:age ; sh:path ex:age ; sh:maxExclusive 120 ;
    sh:severity sh:Warning ; sh:message "trop vieux"@fr, "too old"@en .
ex:Inverse a sh:PropertyShape ; sh:targetNode ex:bob ; sh:path [ sh:inversePath ex:knows ] ; sh:minCount 2 .
ex:Friends a sh:PropertyShape ; sh:targetClass ex:Person ; sh:path ex:knows ;
    sh:property [ sh:path ex:email ; sh:minCount 1 ] ; sh:or ( [ sh:class ex:Person ] [ sh:datatype xsd:string ] ) .
"""

GENERIC_DATA = """
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:Cyborg rdfs:subClassOf ex:Person . ex:Robot a rdfs:Class .
ex:ann a ex:Person ; ex:age 34 ; ex:name "Ann" ; ex:knows ex:bob, ex:zed ; ex:email "a@x", "b@x" ; ex:phone "1" ;
    ex:born "1990-01-01"^^xsd:date ; ex:died "1980-01-01"^^xsd:date .
ex:bob a ex:Cyborg, ex:Robot ; ex:age "abc"^^xsd:integer ; ex:knows ex:ann ; ex:born 3 ; ex:died "x" .
ex:zed ex:name "zed", "Zed" ; ex:age 200 ; ex:knows "text" .
ex:cat a ex:Person ; ex:age 0 ; ex:age 2.5 ; ex:knows ex:zed, 42 .
"""


def test_fast_engine_equals_pyshacl_on_other_core_components():
    shapes = rdflib.Graph().parse(data=GENERIC_SHAPES, format="turtle")
    data = rdflib.Graph().parse(data="@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n" + GENERIC_DATA,
                                format="turtle")
    _, ref, _ = v.run_pyshacl(data, shapes=shapes, ontology=rdflib.Graph())
    _, fast = v.run_fast(v.graph_triples(data), shapes=shapes)
    # pySHACL writes an English message for shapes without sh:message; the fast engine none
    SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    with_message = {v.canon(s) for s in shapes.subjects(SH.message, None)}
    generic = lambda rs: Counter(r if r.shape in with_message else replace(r, messages=()) for r in rs)
    assert generic(fast) == generic(ref)
    assert len(ref) >= 20 and any(r.messages == ('"too old"@en', '"trop vieux"@fr') for r in fast)


MORE_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <http://example.org/> .
ex:Hand a sh:NodeShape ; sh:targetClass ex:Hand ;
    sh:property ex:Thumbs, ex:Fingers ;
    sh:property [ sh:path ex:label ; sh:minLength 2 ; sh:maxLength 5 ; sh:nodeKind sh:Literal ] ;
    sh:property [ sh:path ex:digit ; sh:nodeKind sh:IRI ; sh:disjoint ex:thumb ] ;
    sh:property [ sh:path ex:kind ; sh:hasValue "hand" ; sh:message "une main"@fr ] .
ex:Thumbs sh:path ex:digit ; sh:qualifiedValueShape [ sh:class ex:Thumb ] ;
    sh:qualifiedMinCount 1 ; sh:qualifiedMaxCount 1 ; sh:qualifiedValueShapesDisjoint true .
ex:Fingers sh:path ex:digit ; sh:qualifiedValueShape [ sh:class ex:Finger ] ;
    sh:qualifiedMinCount 4 ; sh:qualifiedMaxCount 4 ; sh:qualifiedValueShapesDisjoint true .
ex:Loose a sh:PropertyShape ; sh:targetClass ex:Hand ; sh:path ex:digit ;
    sh:qualifiedValueShape [ sh:class ex:Finger ] ; sh:qualifiedMaxCount 3 .
ex:Right a sh:NodeShape ; sh:targetNode ex:h1, ex:h2, "x" ; sh:hasValue ex:h1 ; sh:nodeKind sh:BlankNodeOrIRI ;
    sh:maxLength 20 ; sh:disjoint ex:digit .
ex:Self a sh:NodeShape ; sh:targetSubjectsOf ex:self ; sh:disjoint ex:self ; sh:equals ex:same .
"""

MORE_DATA = """
@prefix ex: <http://example.org/> .
ex:h1 a ex:Hand ; ex:kind "hand" ; ex:label "left", "l", 42 ; ex:digit ex:f1, ex:f2, ex:f3, ex:f4, ex:t1 .
ex:h2 a ex:Hand ; ex:kind "foot" ; ex:label _:b ; ex:digit ex:f1, ex:f2, ex:f3, ex:ft, "five", ex:h2 ;
    ex:thumb ex:ft .
ex:h3 a ex:Hand ; ex:digit _:d ; ex:label "a very long label" .
ex:f1 a ex:Finger . ex:f2 a ex:Finger . ex:f3 a ex:Finger . ex:f4 a ex:Finger . ex:t1 a ex:Thumb .
ex:ft a ex:Finger, ex:Thumb .
ex:s1 ex:self ex:s1 ; ex:same ex:s1 . ex:s2 ex:self ex:s3 ; ex:same ex:s3 .
"""


def test_fast_engine_equals_pyshacl_on_values_strings_pairs_and_qualified_counts():
    shapes = rdflib.Graph().parse(data=MORE_SHAPES, format="turtle")
    data = rdflib.Graph().parse(data=MORE_DATA, format="turtle")
    _, ref, _ = v.run_pyshacl(data, shapes=shapes, ontology=rdflib.Graph())
    _, fast = v.run_fast(v.graph_triples(data), shapes=shapes)
    SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    with_message = {v.canon(s) for s in shapes.subjects(SH.message, None)}
    generic = lambda rs: Counter(r if r.shape in with_message else replace(r, messages=()) for r in rs)
    assert generic(fast) == generic(ref)
    components = {r.component.rsplit("#", 1)[1] for r in ref}
    assert components >= {"HasValueConstraintComponent", "QualifiedMinCountConstraintComponent",
                          "QualifiedMaxCountConstraintComponent", "NodeKindConstraintComponent",
                          "MinLengthConstraintComponent", "MaxLengthConstraintComponent",
                          "DisjointConstraintComponent", "EqualsConstraintComponent"}


@pytest.mark.parametrize("extra, named", [
    ("ex:S a sh:NodeShape ; sh:targetClass ex:Person ; sh:sparql [ sh:select \"SELECT $this WHERE {}\" ] .",
     "SPARQLConstraintComponent"),
    ("ex:S a sh:NodeShape ; sh:target [ a sh:SPARQLTarget ; sh:select \"SELECT ?this WHERE {}\" ] .",
     "SPARQL-based targets"),
    ("ex:C a sh:ConstraintComponent ; sh:parameter [ sh:path ex:p ] .", "SPARQL-based constraint components"),
])
def test_fast_engine_refuses_shacl_sparql_naming_it(extra, named):
    shapes = rdflib.Graph().parse(data="@prefix sh: <http://www.w3.org/ns/shacl#> . "
                                  "@prefix ex: <http://example.org/> . " + extra, format="turtle")
    with pytest.raises(v.ShapeError, match=f"{named}.*use --engine pyshacl"):
        v.run_fast([], shapes=shapes)


# ----------------------------------------------------------------------------- the command

def run(*args):
    return CliRunner().invoke(main, ["validate", *map(str, args)])


def test_exit_codes_and_text():
    ok = run(EXAMPLES[0])
    assert ok.exit_code == 0 and "conforme" in ok.output
    bad = run(EXAMPLES[1])
    assert bad.exit_code == 1
    assert "Territoire 5305" in bad.output
    line = next(x for x in bad.output.splitlines() if "indicateurs-medecine " in x)
    assert "objectifs.csv:44" in line and "D. 712-2, I, 3°, a)" in line and "cible=medecine" in line


def test_json_has_exactly_the_promised_shape():
    out = json.loads(run(EXAMPLES[1], "--format", "json").output)
    assert set(out) == {"conforms", "rulesets", "results"} and out["conforms"] is False
    assert out["rulesets"] == [{
        "name": "oqos-2005", "iri": "https://data.santelex.fr/ruleset/oqos-2005", "label": RS.label,
        "from": "2005-02-03", "until": "2023-05-31", "encodes": [
            f"https://data.santelex.fr/code/code-de-la-sante-publique/article/D712-{n}/version/decret-2005-76"
            for n in (1, 2, 3)]}]
    for r in out["results"]:
        assert set(r) == {"file", "row", "severity", "rule", "message", "law", "value", "focus", "law_uri",
                          "ruleset"}
        assert isinstance(r["row"], int) and r["severity"] in ("Violation", "Warning", "Info")
        assert r["value"] is None or isinstance(r["value"], str)
        assert r["ruleset"] == "oqos-2005" and r["law_uri"]
        assert all("/version/decret-2005-76" in u for u in r["law_uri"])
        assert set(r["focus"]) in ({"territory"}, {"territory", "target", "indicator", "form"})
    unknown = next(r for r in out["results"] if r["rule"] == "objectif-cible-connue")
    assert unknown["value"] == "lithotriteur" and unknown["row"] == 38 and unknown["law"] == "D. 712-1"
    assert unknown["focus"] == {"territory": "5305", "target": "lithotriteur", "indicator": "appareils", "form": ""}
    ok = json.loads(run(EXAMPLES[0], "--format", "json").output)
    assert ok["conforms"] is True and ok["results"] == [] and ok["rulesets"][0]["name"] == "oqos-2005"


def test_turtle_is_a_shacl_report_tied_to_the_law(tmp_path):
    out = tmp_path / "report.ttl"
    assert run(EXAMPLES[1], "--format", "turtle", "--output", out).exit_code == 1
    g = rdflib.Graph().parse(out, format="turtle")
    SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    report = next(g.subjects(rdflib.RDF.type, SH.ValidationReport))
    assert g.value(report, SH.conforms).toPython() is False
    results = list(g.objects(report, SH.result))
    assert len(results) == 38
    laws = {str(o) for o in g.objects(None, rdflib.URIRef("https://data.santelex.fr/ontology#law"))}
    assert "https://data.santelex.fr/code/code-de-la-sante-publique/article/D712-2/version/decret-2005-76/I/3/a" in laws
    ruleset = g.value(report, rdflib.URIRef("https://data.santelex.fr/ontology#ruleSet"))
    assert str(ruleset) == "https://data.santelex.fr/ruleset/oqos-2005"
    # the same report as pySHACL's, result for result
    raws = Counter(v.RawResult(
        focus=v.canon(g.value(r, SH.focusNode)),
        path=v.path_text(g, g.value(r, SH.resultPath)) if g.value(r, SH.resultPath) is not None else None,
        value=v.canon(g.value(r, SH.value)), shape=v.canon(g.value(r, SH.sourceShape)),
        component=str(g.value(r, SH.sourceConstraintComponent)), severity=str(g.value(r, SH.resultSeverity)),
        messages=tuple(sorted(v.canon(m) for m in g.objects(r, SH.resultMessage)))) for r in results)
    ref, _ = both([annex.read(EXAMPLES[1])])
    assert raws == ref


def test_html_page(tmp_path):
    out = tmp_path / "report.html"
    assert run(EXAMPLES[1], "--format", "html", "-o", out).exit_code == 1
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "non conforme" in page
    assert page.count("<tr>") == 38 + page.count("<thead>")
    assert "lithotriteur" in page and "D. 712-2, I, 3°, a)" in page


def test_pyshacl_engine_from_the_command():
    fast = json.loads(run(EXAMPLES[1], "--format", "json").output)
    ref = json.loads(run(EXAMPLES[1], "--format", "json", "--engine", "pyshacl").output)
    assert fast == ref


# ----------------------------------------------------------------------------- other shapes, other data

ARS_RULE = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix slx: <https://data.santelex.fr/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ars: <https://ars.example/regles#> .
ars:libelle-court a sh:PropertyShape ; sh:targetClass slx:TerritoireDeSante ;
    sh:path rdfs:label ; sh:maxLength 12 ; sh:message "Libellé de plus de 12 caractères."@fr .
"""


def test_an_ars_adds_its_own_rule_with_shapes(tmp_path):
    import shutil

    rules = tmp_path / "regles"
    shutil.copytree(paths.SHAPES / "oqos-2005", rules)
    (rules / "ars.ttl").write_text(ARS_RULE, encoding="utf-8")
    base = json.loads(run(EXAMPLES[0], "--format", "json").output)
    out = run("--shapes", rules, EXAMPLES[0], "--format", "json")
    assert base["conforms"] and out.exit_code == 1
    found = json.loads(out.output)["results"]
    assert found and {r["rule"] for r in found} == {"libelle-court"}
    assert all(r["file"].endswith("territoires.csv") and len(r["value"]) > 12 for r in found)
    shapes = rdflib.Graph()
    for f in rules.glob("*.ttl"):
        shapes.parse(f)
    assert Counter(v.validate(EXAMPLES[0], shapes).raw) == Counter(v.validate(EXAMPLES[0], shapes, engine="pyshacl").raw)


def test_any_rdf_data_against_other_shapes(tmp_path):
    data = tmp_path / "data.ttl"
    data.write_text(MORE_DATA, encoding="utf-8")
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(MORE_SHAPES, encoding="utf-8")
    out = run("--data", data, "--shapes", shapes, "--format", "turtle")
    assert out.exit_code == 1
    g = rdflib.Graph().parse(data=out.output, format="turtle")
    SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    fast = v.validate(data, shapes)
    assert len(list(g.objects(None, SH.result))) == len(fast.raw) > 10
    assert Counter(r.component for r in v.validate(data, shapes, engine="pyshacl").raw) == \
        Counter(r.component for r in fast.raw)
    assert json.loads(run("--data", data, "--shapes", shapes, "--format", "json").output)["conforms"] is False


@pytest.mark.parametrize("args, said", [
    (["--data", "nowhere.ttl", "--shapes", "SHAPES"], "nowhere.ttl: no such RDF file"),
    (["--data", "NOTES", "--shapes", "SHAPES"], "notes.md: not an RDF file"),
    (["--data", "GARBAGE", "--shapes", "SHAPES"], "bad.ttl:2: not valid RDF"),
    (["--shapes", "/nonexistent/rules", "EXAMPLE"], "/nonexistent/rules: no such shapes file or folder"),
    (["--shapes", "GARBAGE", "EXAMPLE"], "bad.ttl:2: not valid RDF"),
    (["--data", "NOTES"], "--data needs --shapes"),
    (["--data", "NOTES2", "--shapes", "BADSHAPE"], "sh:pattern '(' is not a regular expression"),
    (["--data", "NOTES2", "--shapes", "BADCOUNT"], "is not an integer"),
    (["--data", "NOTES2", "--shapes", "BADPATH"], "is not a SHACL property path"),
    ([], "give an annex"),
])
def test_bad_data_or_shapes_is_one_line_exit_2(args, said, tmp_path, monkeypatch):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ", encoding="utf-8")
    notes = tmp_path / "notes.md"
    notes.write_text("# not RDF\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data.ttl"
    data.write_text(MORE_DATA, encoding="utf-8")
    shapes = {}
    for name, body in (("BADSHAPE", 'sh:pattern "("'), ("BADCOUNT", 'sh:path ex:p ; sh:minCount "one"'),
                       ("BADPATH", 'sh:path "p" ; sh:minCount 1')):
        shapes[name] = tmp_path / f"{name.lower()}.ttl"
        shapes[name].write_text("@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .\n"
                                f"ex:S sh:targetNode ex:h1 ; {body} .\n", encoding="utf-8")
    named = {"GARBAGE": bad, "EXAMPLE": EXAMPLES[0], "SHAPES": paths.SHAPES / "oqos-2005", "NOTES": notes, "NOTES2": data,
             **shapes}
    args = [str(named.get(a, a)) for a in args]
    out = CliRunner().invoke(main, ["validate", *args])
    assert out.exit_code == 2 and said in out.output and "Traceback" not in out.output


def test_readme_table_of_components_is_the_registry_s():
    from pathlib import Path

    from santelex.validation import components

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- components: derived from santelex.validation.components.table() -->")[1]
    rows = [line for line in block.split("<!-- /components -->")[0].splitlines() if line.startswith("| 4.")]
    assert rows == ["| " + " | ".join(r) + " |" for r in components.table()]
    assert len({r[1] for r in components.table()}) == 29       # every SHACL Core component


def test_recursive_shapes_are_refused_not_looped_over():
    shapes = rdflib.Graph().parse(data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
        ex:Person a sh:NodeShape ; sh:targetClass ex:Person ;
            sh:property [ sh:path ex:knows ; sh:node ex:Person ] .""", format="turtle")
    data = [("<http://example.org/a>", "<http://example.org/knows>", "<http://example.org/b>"),
            ("<http://example.org/b>", "<http://example.org/knows>", "<http://example.org/a>"),
            ("<http://example.org/a>", f"<{rdflib.RDF.type}>", "<http://example.org/Person>")]
    with pytest.raises(v.ShapeError, match="Person> refers to itself through NodeConstraintComponent"):
        v.run_fast(data, shapes=shapes)


def test_the_public_surface_is_pinned():
    assert sorted(v.__all__) == sorted([
        "validate", "render", "Report", "Result", "RawResult", "ShapeError", "DataError", "run_fast", "run_pyshacl",
        "read_shapes", "shapes_graph", "ontology_graph", "fast_input", "data_graph", "canon", "graph_triples",
        "store_triples", "file_triples", "path_text", "FAST_COMPONENTS", "SEVERITIES", "choose"])
    assert all(hasattr(v, name) for name in v.__all__)
    assert {str(p).rsplit("#", 1)[1] for p in v.FAST_COMPONENTS} >= {"hasValue", "qualifiedMinCount", "closed", "in"}
# ----------------------------------------------------------------------------- the law chosen by date

def annex_dated(tmp_path, debut: str, fin: str):
    import shutil

    d = tmp_path / f"annexe-{debut}"
    shutil.copytree(EXAMPLES[0], d)
    text = (d / "annexe.csv").read_text(encoding="utf-8")
    (d / "annexe.csv").write_text(text.replace("2006-04-01", debut).replace("2011-03-31", fin), encoding="utf-8")
    return d


def test_the_rule_set_is_the_one_in_force_at_the_annex_start():
    assert [r.name for r in rulesets.available()][0] == "oqos-2005"
    assert RS.start.isoformat() == "2005-02-03" and RS.end.isoformat() == "2023-05-31"
    assert RS.basis == ("https://data.santelex.fr/jorf/decret/2005-76/article/3",)
    assert rulesets.in_force(annex.read(EXAMPLES[0]).debut) == RS
    out = run(EXAMPLES[0])
    assert out.exit_code == 0 and "oqos-2005" in out.output and "2005-02-03 to 2023-05-31" in out.output


def test_an_annex_before_the_decree_is_not_validated(tmp_path):
    """1999-2004: before décret 2005-76 (art. 3 keeps the former D. 712-1 to D. 712-13)."""
    d = annex_dated(tmp_path, "1999-01-01", "2004-12-31")
    out = CliRunner().invoke(main, ["validate", str(d)])
    assert out.exit_code == 2
    lines = [x for x in out.output.splitlines() if x.strip()]
    assert len(lines) == 1 and "Traceback" not in out.output
    assert "annexe.csv:4" in lines[0] and "1999-01-01" in lines[0]
    assert "oqos-2005 (2005-02-03 to 2023-05-31)" in lines[0]
    # --law picks the law of another date; the report names it
    forced = CliRunner().invoke(main, ["validate", str(d), "--law", "2006-04-01", "--format", "json"])
    assert forced.exit_code in (0, 1) and json.loads(forced.output)["rulesets"][0]["name"] == "oqos-2005"


def test_law_option_dates(tmp_path):
    before = CliRunner().invoke(main, ["validate", str(EXAMPLES[0]), "--law", "2005-02-02"])
    assert before.exit_code == 2 and "no rule set in force on 2005-02-02" in before.output
    assert len(before.output.strip().splitlines()) == 1
    bad = CliRunner().invoke(main, ["validate", str(EXAMPLES[0]), "--law", "2006-13-01"])
    assert bad.exit_code == 2 and "not a date" in bad.output and len(bad.output.strip().splitlines()) == 1
    first_day = CliRunner().invoke(main, ["validate", str(EXAMPLES[0]), "--law", "2005-02-03"])
    assert first_day.exit_code == 0


def test_an_annex_of_today_is_never_validated_against_the_2005_rules(tmp_path):
    d = annex_dated(tmp_path, "2024-01-01", "2028-12-31")
    out = CliRunner().invoke(main, ["validate", str(d), "--format", "json"])
    if out.exit_code == 2:                                     # no rule set of today in this tree
        assert "no rule set in force on 2024-01-01" in out.output and "oqos-2005" in out.output
    else:
        assert "oqos-2005" not in [r["name"] for r in json.loads(out.output)["rulesets"]]
    assert all(not rs.covers(date(2024, 1, 1)) for rs in rulesets.available() if rs.name == "oqos-2005")
