"""The SHACL shapes (shapes/*.ttl): tied to the law, consistent with the ontology, and
each rule caught where it should be (on the examples and on annexes made to break it)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from itertools import product

import pytest
from rdflib import RDF, SKOS, Namespace, URIRef
from rdflib.collection import Collection

from santelex import annex, paths, rulesets
from santelex import validate as v

SH = Namespace("http://www.w3.org/ns/shacl#")
SLX = Namespace("https://data.santelex.fr/ontology#")
OQOS = Namespace("https://data.santelex.fr/oqos/")
SHAPES = "https://data.santelex.fr/shapes/oqos#"
RS = rulesets.get("oqos-2005")
NOTATIONS = RS.notations()
TARGETS = sorted(NOTATIONS.notations("cible"))
INDICATORS = sorted(NOTATIONS.notations("indicateur"))


@pytest.fixture(scope="module")
def sg():
    return v.shapes_graph(RS)


def reporting_shapes(sg):
    """Shapes whose results reach the report: those with targets and their sh:property."""
    top = {s for p in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
           for s in sg.subjects(p, None)}
    return top | {o for s in top for o in sg.objects(s, SH.property)}


def test_every_reporting_shape_has_a_name_a_french_message_and_the_law(sg):
    shapes = reporting_shapes(sg)
    assert len(shapes) >= 35
    for s in shapes:
        assert isinstance(s, URIRef) and str(s).startswith(SHAPES), s
        if (s, SH.property, None) in sg and (s, SH["or"], None) not in sg and (s, SH.xone, None) not in sg:
            continue                                   # a container of property shapes
        messages = list(sg.objects(s, SH.message))
        assert len(messages) == 1 and messages[0].language == "fr", s
        assert list(sg.objects(s, SLX.law)), s
        assert str(sg.value(s, SLX.lawLabel)).startswith(("D. 712-1", "D. 712-2", "D. 712-3")), s


def test_only_shacl_core(sg):
    assert not list(sg.subjects(SH.sparql, None))
    assert not list(sg.subjects(RDF.type, SH.SPARQLConstraint))


def test_law_links_exist_in_the_graph_of_the_decree(sg, seed_store):
    links = {str(o) for o in sg.objects(None, SLX.law)}
    assert len(links) >= 12
    works = {r[k].value for r in seed_store.query(
        "PREFIX eli: <http://data.europa.eu/eli/ontology#> SELECT ?e ?w WHERE { ?e eli:realizes ?w }")
             for k in ("e", "w")}
    works |= {r["w"].value for r in seed_store.query(
        "PREFIX eli: <http://data.europa.eu/eli/ontology#> SELECT ?w WHERE { ?w eli:is_realized_by ?e }")}
    assert links <= works, links - works


def test_value_lists_match_the_ontology(sg):
    onto = v.ontology_graph(RS)
    scheme = lambda s: {c for c in onto.subjects(SKOS.inScheme, s)}
    lists = lambda shape: {m for lst in sg.objects(URIRef(SHAPES + shape), SH["in"]) for m in Collection(sg, lst)}
    assert lists("objectif-cible-connue") == scheme(OQOS.activites) | scheme(OQOS.equipements)
    assert lists("objectif-indicateur-connu") == scheme(OQOS.indicateurs)
    assert {str(c) for c in scheme(OQOS.activites) | scheme(OQOS.equipements)} == {
        NOTATIONS.concept("cible", t) for t in TARGETS}
    assert {str(c) for c in scheme(OQOS.indicateurs)} == {NOTATIONS.concept("indicateur", i) for i in INDICATORS}


def one_annex(objectifs, **changes) -> annex.Annexe:
    base = annex.read(paths.EXAMPLES / "annexe-2006")
    rows = [annex.Objectif(*o, file="objectifs.csv", row=i) if isinstance(o, tuple) else replace(o, row=i)
            for i, o in enumerate(objectifs, start=2)]
    return replace(base, objectifs=tuple(rows), **changes)


def test_indicators_allowed_by_target_are_those_of_the_ontology():
    """All 30 x 11 target/indicator pairs: the shapes refuse exactly what D. 712-2 does not allow."""
    onto = v.ontology_graph(RS)
    notation = lambda c: str(onto.value(c, SKOS.notation))
    members = lambda coll: {notation(c) for c in onto.objects(coll, SKOS.member)}
    common, volume, equipment = (members(OQOS.indicateursCommuns), members(OQOS.indicateursVolume),
                                 members(OQOS.indicateursEquipements))
    allowed = set()
    for c in onto.subjects(SKOS.inScheme, OQOS.activites):
        allowed |= {(notation(c), i) for i in common | {notation(x) for x in onto.objects(c, SLX.indicateurVolume)}}
    for c in onto.subjects(SKOS.inScheme, OQOS.equipements):
        allowed |= {(notation(c), i) for i in common | equipment}
    pairs = list(product(TARGETS, INDICATORS))
    assert len(pairs) == 330 and volume <= set(INDICATORS)
    a = one_annex([("5301", c, i, "", 1, 2, "", None, None) for c, i in pairs])
    report = v.validate(a)
    refused = {(a.objectifs[r.row - 2].cible, a.objectifs[r.row - 2].indicateur)
               for r in report.results if r.rule.startswith("indicateurs-")}
    assert {r.rule for r in report.results} <= {f"indicateurs-{x}" for x in (
        "medecine", "chirurgie", "interventionnel", "psychiatrie", "suite-readaptation-longue-duree", "irc",
        "activites-exclues", "had", "equipements", "appareils")}
    assert refused == set(pairs) - allowed
    assert len(allowed) == 24 * 3 + 14 + 6 * 4          # common to all, volume of I 3° a-f, equipment


def rules(report) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for r in report.results:
        out.setdefault(r.rule, []).append(r.row)
    return out


def test_each_rule_breaks_on_its_row_of_the_error_example():
    report = v.validate(paths.EXAMPLES / "annexe-erreurs")
    found = rules(report)
    expected = {
        "objectif-territoire": [8], "objectif-territoire-declare": [9], "objectif-cible": [10],
        "objectif-cible-connue": [11], "objectif-indicateur": [12], "objectif-indicateur-connu": [13],
        "objectif-unique": [2, 14], "indicateurs-medecine": [15], "indicateurs-medecine-chimiotherapie": [16],
        "indicateurs-chirurgie": [17], "indicateurs-interventionnel": [18], "indicateurs-psychiatrie": [19],
        "indicateurs-suite-readaptation-longue-duree": [20], "indicateurs-irc": [21],
        "indicateurs-activites-exclues": [22], "indicateurs-had": [23], "indicateurs-equipements": [24],
        "indicateurs-appareils": [25], "quantification": [26, 27], "min-max": [28], "minimum-entier": [29],
        "maximum-entier": [30], "valeur-entier": [31], "evolution-connue": [32], "echeance-avant-fin": [33],
        "echeance-apres-debut": [34], "territoire-code": [4], "territoire-libelle": [5],
        "territoire-region": [6],
    }
    assert {k: sorted(x) for k, x in found.items()} == expected
    laws = {r.rule: r.law for r in report.results}
    assert laws["indicateurs-medecine"] == "D. 712-2, I, 3°, a)"
    assert laws["quantification"] == "D. 712-3"


def test_the_conforming_example_covers_every_indicator_and_conforms():
    a = annex.read(paths.EXAMPLES / "annexe-2006")
    assert {o.indicateur for o in a.objectifs} == set(INDICATORS)
    assert len(a.objectifs) >= 60 and len(a.territoires) >= 5
    assert v.validate(a).conforms


def test_rules_on_the_annex_itself():
    a = annex.read(paths.EXAMPLES / "annexe-2006")
    assert rules(v.validate(replace(a, titre=""))) == {"annexe-titre": [3]}
    assert rules(v.validate(replace(a, fin=None))) == {"annexe-fin": [5]}
    # the period runs backwards: the annex, and every deadline now out of it
    backwards = rules(v.validate(replace(a, debut=date(2011, 4, 1), fin=date(2006, 3, 31))))
    assert backwards["annexe-periode"] == [4]
    assert set(backwards) == {"annexe-periode", "echeance-avant-fin", "echeance-apres-debut"}
    # without a region, no territory belongs to it
    no_region = rules(v.validate(replace(a, region="", regions=())))
    assert no_region["annexe-region"] == [2] and len(no_region["territoire-region"]) == len(a.territoires)


def test_an_objective_of_the_annex_may_be_quantified_either_way():
    ok = [("5301", "chirurgie", "sejours", "", 10, None, "", None, None),
          ("5302", "chirurgie", "sejours", "", None, 10, "", None, date(2011, 3, 31)),
          ("5303", "chirurgie", "sejours", "", None, None, "diminution", 0, date(2006, 4, 1))]
    assert v.validate(one_annex(ok)).conforms
    bad = [("5301", "chirurgie", "sejours", "", None, None, "diminution", None, None),
           ("5302", "chirurgie", "sejours", "", None, None, "", 5, None)]
    assert rules(v.validate(one_annex(bad))) == {"quantification": [2, 3]}


def test_same_key_differs_by_modality_not_by_case():
    rows = [("5301", "psychiatrie", "journees", "psychiatrie générale", 1, 2, "", None, None),
            ("5301", "psychiatrie", "journees", "psychiatrie infanto-juvénile", 1, 2, "", None, None),
            ("5301", "psychiatrie", "journees", "Psychiatrie  générale", 1, 2, "", None, None)]
    assert rules(v.validate(one_annex(rows))) == {"objectif-unique": [2, 4]}
