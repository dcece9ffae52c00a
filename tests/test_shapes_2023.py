"""The rule set oqos-2023 (D. 6121-6 to D. 6121-10 in force from 1 June 2023) on real annexes.

Both engines (the fast one and pySHACL, the reference) give the same results; the example
conforms; the error example breaks each rule once, on the row it was written to break; what the
law no longer provides (volumes, permanence des soins) and a modality the code does not list
for the activity are refused citing the article version that says so.
"""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import date
from itertools import product

import pytest
from rdflib import SKOS, Namespace, URIRef

from santelex import annex, paths
from santelex import validation as v
from santelex.validation import rulesets

SH = Namespace("http://www.w3.org/ns/shacl#")
SLX = Namespace("https://data.santelex.fr/ontology#")
OQ = Namespace("https://data.santelex.fr/oqos/2023/")
CSP = "https://data.santelex.fr/code/code-de-la-sante-publique/article/"
D6121_7 = CSP + "D6121-7/version/f295ac23d82d"
D6121_9 = CSP + "D6121-9/version/6d633132edfd"
RS = rulesets.get("oqos-2023")
EXAMPLE = paths.EXAMPLES / "oqos-2023"
ERRORS = paths.EXAMPLES / "oqos-2023-erreurs"


def results(report) -> set[tuple]:
    return {(r.file.rsplit("/", 1)[-1], r.row, r.rule, r.value, r.law) for r in report.results}


def by_rule(report) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for r in report.results:
        out.setdefault(r.rule, []).append(r.row)
    return {k: sorted(x) for k, x in out.items()}


def test_the_period_of_the_rule_set():
    assert RS.start == date(2023, 6, 1) and RS.end is None
    assert rulesets.in_force(date(2023, 6, 1)).name == "oqos-2023"
    assert rulesets.in_force(date(2023, 5, 31)).name != "oqos-2023"
    assert rulesets.in_force(date.today()).name == "oqos-2023"


def test_the_example_is_chosen_by_its_start_and_conforms_with_both_engines():
    a = annex.read(EXAMPLE)
    assert a.debut >= RS.start
    assert {o.indicateur for o in a.objectifs} == {"implantations", "implantations_psychiatrie", "temps_acces",
                                                  "appareils", "temps_attente"}
    assert len({o.cible for o in a.objectifs}) >= 20 and len(a.territoires) == 4
    assert sum(1 for o in a.objectifs if o.modalite) >= 40
    fast, ref = v.validate(a), v.validate(a, engine="pyshacl")
    assert fast.rulesets == ref.rulesets == ("oqos-2023",)
    assert fast.conforms and ref.conforms, [(r.row, r.rule, r.value) for r in fast.results]


def test_the_example_read_against_the_2005_rules_does_not_conform():
    """The same annex with a start before 1 June 2023: the former law's rules, which know
    neither zones' targets like soins_critiques nor temps_attente."""
    a = replace(annex.read(EXAMPLE), debut=date(2023, 5, 1))
    report = v.validate(a)
    assert report.rulesets != ("oqos-2023",) and not report.conforms


EXPECTED = {
    "zone-code": [4], "zone-region": [5],
    "objectif-zone": [11], "objectif-zone-declaree": [12], "objectif-cible": [13], "objectif-cible-connue": [14],
    "objectif-indicateur": [15], "objectif-indicateur-connu": [16], "objectif-unique": [2, 17],
    "indicateurs-volume": [18], "indicateurs-permanence": [19], "indicateurs-psychiatrie": [20],
    "indicateurs-appareils": [21], "indicateurs-temps-attente": [22],
    "modalite-urgences": [23], "modalite-soins-critiques": [24], "modalite-irc": [25],
    "modalite-chirurgie-cardiaque": [26], "modalite-cancer": [27], "modalite-neuroradiologie-interventionnelle": [28],
    "modalite-smr": [29], "modalite-cardiologie-interventionnelle": [30], "modalite-medecine-nucleaire": [31],
    "modalite-had": [32], "modalite-radiologie-interventionnelle": [33], "modalite-psychiatrie": [34],
    "modalite-chirurgie": [35],
    "quantification": [36], "comptes-entiers": [37], "min-max": [38], "minimum-positif": [39],
    "maximum-positif": [40], "valeur-positive": [41], "evolution-connue": [42], "echeance-avant-fin": [43],
    "echeance-apres-debut": [44],
    "cible-implantations": [46], "psychiatrie-equipements-services": [47], "equipement-appareils": [48],
}


def reporting_rules(sg) -> set[str]:
    """Every shape that carries a message: the rules a report can name."""
    return {str(s).split("#")[-1] for s in sg.subjects(SH.message, None) if isinstance(s, URIRef)}


@pytest.fixture(scope="module")
def error_reports():
    a = annex.read(ERRORS)
    return a, v.validate(a), v.validate(a, engine="pyshacl")


def test_the_error_example_breaks_each_rule_once_on_its_row(error_reports):
    _, fast, ref = error_reports
    assert fast.rulesets == ("oqos-2023",)
    assert results(fast) == results(ref)
    assert by_rule(fast) == EXPECTED
    # every rule of the rule set that an annex's rows can break is broken here
    annex_level = {"annexe-region", "annexe-debut", "annexe-fin", "annexe-periode", "annexe-objectifs"}
    assert reporting_rules(RS.shapes()) - annex_level == set(EXPECTED)


def test_volumes_and_permanence_are_refused_citing_the_articles_that_no_longer_provide_them(error_reports):
    _, fast, _ = error_reports
    for rule, value in (("indicateurs-volume", "sejours"), ("indicateurs-permanence", "permanence")):
        (r,) = [r for r in fast.results if r.rule == rule]
        assert value in r.value
        assert set(r.law_uri) == {D6121_7 + "/alinea-1", D6121_9 + "/alinea-1"}
        assert r.law == "D. 6121-7 et D. 6121-9" and "ne le prévoient plus" in r.message


def test_a_modality_not_listed_is_refused_citing_the_article_listing_them(error_reports):
    _, fast, _ = error_reports
    (r,) = [r for r in fast.results if r.rule == "modalite-psychiatrie"]
    assert "psychiatrie générale" in r.value
    assert r.law_uri == (CSP + "R6123-175/version/80e1969b84ce",) or list(r.law_uri) == [
        CSP + "R6123-175/version/80e1969b84ce"]
    assert r.law == "R. 6123-175"
    (r,) = [r for r in fast.results if r.rule == "modalite-chirurgie"]
    assert list(r.law_uri) == [CSP + "R6123-202/version/eeb026d70b0b/I"] and r.law == "R. 6123-202, I"
    (r,) = [r for r in fast.results if r.rule == "modalite-smr"]
    assert list(r.law_uri) == [CSP + "R6123-121/version/3d3768c67f85/I"]


def one_annex(rows, debut=date(2023, 11, 1)) -> annex.Annexe:
    """An annex of zone 53Z1 with these objectives (cible, indicateur, modalite, min, max)."""
    a = annex.read(EXAMPLE)
    objectifs = tuple(annex.Objectif(territoire="53Z1", cible=c, indicateur=i, modalite=m, min=lo, max=hi,
                                     evolution="", valeur=None, echeance=None, file="objectifs.csv", row=k)
                      for k, (c, i, m, lo, hi) in enumerate(rows, start=2))
    return replace(a, debut=debut, objectifs=objectifs)


def test_indicators_allowed_by_target_are_those_of_d6121_7_and_d6121_9():
    """All 25 targets x 5 indicators: refused exactly what the articles do not provide."""
    onto = RS.vocabulary()
    notation = lambda c: str(onto.value(c, SKOS.notation))
    members = lambda coll: {notation(c) for c in onto.objects(coll, SKOS.member)}
    activities = {notation(c) for c in onto.subjects(SKOS.inScheme, OQ.activites)}
    equipment = {notation(c) for c in onto.subjects(SKOS.inScheme, OQ.equipements)}
    indicators = {notation(c) for c in onto.subjects(SKOS.inScheme, OQ.indicateurs)}
    allowed = {(t, i) for t in activities | equipment for i in ("implantations", "temps_acces")}
    allowed |= {("psychiatrie", "implantations_psychiatrie")}                           # D. 6121-7, 1°
    allowed |= {(t, "appareils") for t in members(OQ.equipementsAppareils)}            # D. 6121-9, 4° et 5°
    allowed |= {(t, "temps_attente") for t in members(OQ.equipementsImagerie)}         # D. 6121-9, 2°
    # the vocabulary says the same (for the query allowed-indicators)
    assert allowed == {(t, i) for t in activities | equipment for i in members(OQ.indicateursCommuns)} | {
        (notation(t), notation(i)) for t, i in onto.subject_objects(SLX.indicateurAdmis)}
    assert members(OQ.equipementsAppareils) == {"caisson_hyperbare", "cyclotron"}
    assert members(OQ.equipementsImagerie) == {"irm", "scanographe"}
    pairs = sorted(product(activities | equipment, indicators))
    assert len(pairs) == 125
    a = one_annex([(c, i, "", 1, 2) for c, i in pairs])
    fast, ref = v.validate(a), v.validate(a, engine="pyshacl")
    assert results(fast) == results(ref)
    refused = {(a.objectifs[r.row - 2].cible, a.objectifs[r.row - 2].indicateur) for r in fast.results
               if r.rule.startswith("indicateurs-")}
    assert refused == set(pairs) - allowed
    assert {r.rule for r in fast.results} == {"indicateurs-psychiatrie", "indicateurs-appareils",
                                            "indicateurs-temps-attente"}


@pytest.mark.parametrize("cible, modalite, ok", [
    ("psychiatrie", "Psychiatrie de l'adulte", True),
    ("psychiatrie", "psychiatrie de l’enfant et de l’adolescent", True),   # typographic apostrophes
    ("psychiatrie", "adulte", True),
    ("chirurgie", "adulte", False),                                         # chirurgie's is "adultes"
    ("chirurgie", "CHIRURGIE BARIATRIQUE", True),
    ("radiologie_interventionnelle", "mention A", True),
    ("medecine_nucleaire", "mention A", True),
    ("neuroradiologie_interventionnelle", "mention D", False),            # only A and B
    ("cancer", "mention A", False),                                        # three modalities have a mention A
    ("cancer", "Chirurgie oncologique, mention A", True),
    ("cancer", "A6", True),
    ("cardiologie_interventionnelle", "mention B", False),                 # rythmologie's or cardiopathies'?
    ("cardiologie_interventionnelle", "rythmologie interventionnelle, mention D", True),
    ("smr", "Modalité pédiatrie", False),
    ("smr", "pédiatrie", True),
    ("urgences", "SMUR", True),
    ("had", "psychiatrie de l'adulte", False),                              # another activity's mention
    ("medecine", "hospitalisation de jour", True),                          # médecine has no list: no rule
    ("irm", "3 tesla", True),                                               # nor has equipment
])
def test_a_modality_is_one_of_the_target_activity_s_own(cible, modalite, ok):
    a = one_annex([(cible, "implantations", modalite, 1, 2)])
    refused = [r.rule for r in v.validate(a).results if r.rule.startswith("modalite-")]
    assert refused == ([] if ok else [f"modalite-{cible.replace('_', '-')}"])


def test_two_spellings_of_one_mention_are_one_objective():
    a = one_annex([("psychiatrie", "implantations", "psychiatrie de l'adulte", 1, 2),
                   ("psychiatrie", "implantations", "ADULTE", 1, 2),
                   ("psychiatrie", "implantations", "psychiatrie périnatale", 1, 2)])
    assert by_rule(v.validate(a))["objectif-unique"] == [2, 3]


def test_a_time_is_quantified_by_its_maximum_alone_a_count_is_not():
    a = one_annex([("urgences", "temps_acces", "", None, 30), ("irm", "temps_attente", "", None, 12.5),
                   ("medecine", "implantations", "", None, 3), ("medecine", "implantations", "x", 2, None)])
    assert by_rule(v.validate(a))["quantification"] == [4, 5]


def test_rules_on_the_annex_itself():
    a = annex.read(EXAMPLE)
    backwards = by_rule(v.validate(replace(a, fin=date(2023, 1, 1)), ruleset="oqos-2023"))
    assert backwards["annexe-periode"] == [4]
    no_region = by_rule(v.validate(replace(a, region="", regions=()), ruleset="oqos-2023"))
    assert no_region["annexe-region"] == [2] and len(no_region["zone-region"]) == len(a.territoires)
    two = by_rule(v.validate(replace(a, region="53", regions=("53", "52")), ruleset="oqos-2023"))
    assert two == {}
    empty = by_rule(v.validate(replace(a, objectifs=()), ruleset="oqos-2023"))
    assert empty == {"annexe-objectifs": [2]}


def test_cli_names_the_rule_set_and_the_versions(tmp_path):
    out = subprocess.run([sys.executable, "-m", "santelex.cli", "validate", str(ERRORS), "--format", "json"],
                         capture_output=True, text=True)
    assert out.returncode == 1, out.stderr
    doc = json.loads(out.stdout)
    assert not doc["conforms"]
    assert {r["ruleset"] for r in doc["results"]} == {"oqos-2023"}
    assert all("/version/" in u for r in doc["results"] for u in r["law_uri"])
    ok = subprocess.run([sys.executable, "-m", "santelex.cli", "validate", str(EXAMPLE)],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_what_each_target_is_expressed_by_in_a_zone():
    """D. 6121-7, 1° and D. 6121-9: implantations for every target quantified in a zone, the
    équipements et services for psychiatry, appareils for caisson hyperbare and cyclotron; the
    times are optional.  One result per zone and target, on the row of its first objective."""
    a = one_annex([("urgences", "temps_acces", "", None, 30),                       # no implantations
                   ("psychiatrie", "implantations", "adulte", 1, 2),                 # no équipements et services
                   ("cyclotron", "implantations", "", 1, 1),                         # no appareils
                   ("cyclotron", "temps_acces", "", None, 45),
                   ("irm", "implantations", "", 2, 3),                               # temps_attente optional
                   ("medecine", "implantations", "", 2, 3), ("medecine", "temps_acces", "", None, 30)])
    fast, ref = v.validate(a), v.validate(a, engine="pyshacl")
    assert results(fast) == results(ref)
    assert by_rule(fast) == {"cible-implantations": [2], "psychiatrie-equipements-services": [3],
                             "equipement-appareils": [4]}
    (r,) = [r for r in fast.results if r.rule == "equipement-appareils"]
    assert list(r.law_uri) == [D6121_9 + "/alinea-1/tiret-2"]


def test_a_progression_is_a_whole_count_or_a_rate():
    from decimal import Decimal
    a = one_annex([("medecine", "implantations", "", 2, 3)])
    step = replace(a.objectifs[0], min=None, max=None, evolution="progression", row=3)
    a = replace(a, objectifs=a.objectifs + (
        replace(step, valeur=Decimal("12.5"), taux=True, echeance=date(2025, 12, 31)),   # "12.5%"
        replace(step, valeur=Decimal("1.5"), row=4, echeance=date(2026, 12, 31)),        # 1.5 implantations
        replace(step, valeur=Decimal("0"), taux=True, row=5, echeance=date(2027, 12, 31))))
    fast, ref = v.validate(a), v.validate(a, engine="pyshacl")
    assert results(fast) == results(ref)
    assert by_rule(fast) == {"comptes-entiers": [4], "valeur-positive": [5]}
