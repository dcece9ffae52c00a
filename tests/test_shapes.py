"""The shapes of the rule set oqos-2005 (shapes/oqos-2005/*.ttl): tied to the subdivisions of
the version decret-2005-76 of D. 712-1 to D. 712-3, consistent with its vocabulary, and each
rule caught where it should be: on the examples, on the annexes of issue 12 that got the
wrong answer before, and on annexes made to break each rule."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import date
from decimal import Decimal
from itertools import product

import pytest
from click.testing import CliRunner
from rdflib import RDF, SKOS, Namespace, URIRef
from rdflib.collection import Collection

from santelex import annex, paths
from santelex import validation as v
from santelex.cli import main
from santelex.validation import rulesets

SH = Namespace("http://www.w3.org/ns/shacl#")
SLX = Namespace("https://data.santelex.fr/ontology#")
OQOS = Namespace("https://data.santelex.fr/oqos/")
SHAPES = "https://data.santelex.fr/shapes/oqos#"
VERSIONS = tuple(f"https://data.santelex.fr/code/code-de-la-sante-publique/article/D712-{n}/version/decret-2005-76"
                 for n in (1, 2, 3))
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


def test_every_reporting_shape_has_a_name_a_french_message_and_the_law_of_the_version(sg):
    shapes = reporting_shapes(sg)
    assert len(shapes) >= 40
    for s in shapes:
        assert isinstance(s, URIRef) and str(s).startswith(SHAPES), s
        if (s, SH.property, None) in sg and (s, SH["or"], None) not in sg and (s, SH.xone, None) not in sg:
            continue                                   # a container of property shapes
        messages = list(sg.objects(s, SH.message))
        assert len(messages) == 1 and messages[0].language == "fr", s
        laws = [str(u) for u in sg.objects(s, SLX.law)]
        assert laws and all(u.startswith(VERSIONS) for u in laws), s     # the expression's subdivision
        assert str(sg.value(s, SLX.lawLabel)).startswith(("D. 712-1", "D. 712-2", "D. 712-3")), s


def test_the_manifest_names_the_versions_it_encodes(sg):
    node = URIRef(RS.iri)
    assert (node, RDF.type, SLX.RuleSet) in sg
    assert set(RS.encodes) == set(VERSIONS)
    assert {str(u).split("/version/")[0] for u in sg.objects(None, SLX.law)} == {
        u.split("/version/")[0] for u in VERSIONS}


def test_only_shacl_core(sg):
    assert not list(sg.subjects(SH.sparql, None))
    assert not list(sg.subjects(RDF.type, SH.SPARQLConstraint))


def test_law_links_exist_in_the_graph_of_the_decree(sg, seed_store):
    links = {str(o) for o in sg.objects(None, SLX.law)} | set(RS.encodes)
    assert len(links) >= 20
    parts = {r["e"].value for r in seed_store.query(
        "PREFIX eli: <http://data.europa.eu/eli/ontology#> SELECT ?e WHERE { ?e eli:realizes ?w }")}
    assert links <= parts, links - parts


def in_list(sg, shape: str, nested: bool = False) -> set:
    """The members of the sh:in lists of a shape (and of the shapes nested in it)."""
    found, todo, seen = set(), [URIRef(SHAPES + shape)], set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for lst in sg.objects(node, SH["in"]):
            found |= set(Collection(sg, lst))
        if nested:
            for p in (SH.property, SH["not"], SH.node, SH.qualifiedValueShape):
                todo.extend(sg.objects(node, p))
            for p in (SH["or"], SH["and"], SH.xone):
                for lst in sg.objects(node, p):
                    todo.extend(Collection(sg, lst))
    return found


def test_value_lists_match_the_vocabulary(sg):
    onto = v.ontology_graph(RS)
    scheme = lambda s: set(onto.subjects(SKOS.inScheme, s))
    members = lambda c: set(onto.objects(c, SKOS.member))
    assert in_list(sg, "objectif-cible-connue", True) == scheme(OQOS.activites) | scheme(OQOS.equipements)
    assert in_list(sg, "objectif-indicateur-connu") == scheme(OQOS.indicateurs)
    assert in_list(sg, "cible-implantations", True) == scheme(OQOS.activites) | scheme(OQOS.equipements)
    assert in_list(sg, "equipement-appareils", True) == scheme(OQOS.equipements)
    assert in_list(sg, "objectif-forme-connue") == scheme(OQOS.formes)
    assert {str(c) for c in scheme(OQOS.activites) | scheme(OQOS.equipements)} == {
        NOTATIONS.concept("cible", t) for t in TARGETS}
    counts = in_list(sg, "nombres-entiers", True) - {URIRef(OQOS + "indicateur/temps_acces")}
    assert counts == members(OQOS.indicateursComptes)
    excluded = in_list(sg, "indicateurs-activites-exclues", True) - members(OQOS.indicateursVolume)
    assert excluded == members(OQOS.activitesExclues)
    with_volume = in_list(sg, "activite-volumes", True) - members(OQOS.indicateursVolume)
    assert with_volume == set(onto.subjects(SLX.indicateurVolume, None))
    assert OQOS["activite/had"] not in scheme(OQOS.activites)             # HAD is a form (D. 712-2, alinéa 41)


def one_annex(objectifs, **changes) -> annex.Annexe:
    """The 2006 example's frame (region, period, territories) with these objectives."""
    base = annex.read(paths.EXAMPLES / "annexe-2006")
    rows = [annex.Objectif(*o, file="objectifs.csv", row=i) if isinstance(o, tuple) else replace(o, row=i)
            for i, o in enumerate(objectifs, start=2)]
    return replace(base, objectifs=tuple(rows), **changes)


def O(t, c, i, mod="", lo=None, hi=None, evo="", val=None, ech=None, forme="", taux=False) -> annex.Objectif:
    return annex.Objectif(t, c, i, mod, lo, hi, evo, val, ech, "objectifs.csv", 0, forme=forme, taux=taux)


def rules(report) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for r in report.results:
        out.setdefault(r.rule, []).append(r.row)
    return out


def check(objectifs, **changes) -> dict[str, list[int]]:
    """Validate with both engines (they must agree) and return rule -> rows."""
    a = one_annex(objectifs, **changes)
    fast, ref = v.validate(a), v.validate(a, engine="pyshacl")
    assert Counter(fast.raw) == Counter(ref.raw)
    return rules(fast)


def whole(t, c, *rows):
    """A target in a territory with what D. 712-2 asks of it (implantations, appareils) and the rows given."""
    base = [O(t, c, "implantations", lo=1, hi=2)]
    if c in ("camera_scintillation", "tep", "irm", "scanographe", "caisson_hyperbare", "cyclotron"):
        base.append(O(t, c, "appareils", lo=1, hi=2))
    return base + list(rows)


def test_indicators_allowed_by_target_are_those_of_the_vocabulary():
    """All 29 x 11 target/indicator pairs: the shapes refuse exactly what D. 712-2 does not allow."""
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
    assert len(pairs) == 29 * 11 and volume <= set(INDICATORS)
    a = one_annex([("5301", c, i, "", 1, 2, "", None, None) for c, i in pairs])
    report = v.validate(a)
    refused = {(a.objectifs[r.row - 2].cible, a.objectifs[r.row - 2].indicateur)
               for r in report.results if r.rule.startswith("indicateurs-")}
    assert {r.rule for r in report.results} <= {f"indicateurs-{x}" for x in (
        "medecine", "chirurgie", "interventionnel", "psychiatrie", "suite-readaptation-longue-duree", "irc",
        "activites-exclues", "equipements", "appareils")}
    assert refused == set(pairs) - allowed
    assert len(allowed) == 23 * 3 + 14 + 6 * 4          # common to all, volume of I 3° a-f, equipment


ERREURS = {
    "objectif-territoire": [35], "objectif-territoire-declare": [36], "objectif-cible": [37],
    "objectif-cible-connue": [38], "objectif-cible-had": [39], "objectif-indicateur": [40],
    "objectif-indicateur-connu": [41], "objectif-forme-connue": [42], "objectif-unique": [2, 43],
    "indicateurs-medecine": [44], "medecine-chimiotherapie": [45], "medecine-formes": [46],
    "indicateurs-chirurgie": [47], "indicateurs-interventionnel": [48], "indicateurs-psychiatrie": [49],
    "psychiatrie-journees-formes": [50], "psychiatrie-places-jour-formes": [51],
    "psychiatrie-places-nuit-formes": [52], "indicateurs-suite-readaptation-longue-duree": [53],
    "indicateurs-irc": [54], "indicateurs-activites-exclues": [55], "indicateurs-equipements": [56],
    "indicateurs-appareils": [57], "volumes-had": [58], "cible-implantations": [59],
    "equipement-appareils": [60], "activite-volumes": [61], "quantification": [62], "min-max": [63],
    "evolution-connue": [64], "evolution-non-nulle": [65], "nombres-entiers": [66],
    "temps-acces-positif": [67], "echeance-avant-fin": [68], "echeance-apres-debut": [69],
    "territoire-code": [4], "territoire-region": [6],
}
#: rules on the annex as a whole, which an annex that can be validated at all cannot all break
ANNEX_RULES = {"annexe-region", "annexe-debut", "annexe-fin", "annexe-periode", "annexe-objectifs"}


def test_each_rule_breaks_once_on_its_row_of_the_error_example(sg):
    report = v.validate(paths.EXAMPLES / "annexe-erreurs")
    assert {k: sorted(x) for k, x in rules(report).items()} == ERREURS
    # every rule of the rule set is there, but those on the annex itself (next test)
    named = {str(s)[len(SHAPES):] for s in reporting_shapes(sg) if (s, SLX.law, None) in sg}
    assert named == set(ERREURS) | ANNEX_RULES
    laws = {r.rule: r.law for r in report.results}
    assert laws["indicateurs-medecine"] == "D. 712-2, I, 3°, a)" and laws["quantification"] == "D. 712-3"
    assert laws["nombres-entiers"] == "D. 712-2 (nombre de …)"                # not D. 712-3
    severities = {r.rule: r.severity for r in report.results}
    assert {k for k, s in severities.items() if s != "Violation"} == {"activite-volumes"}
    # one result per broken rule and row
    assert max(Counter((r.rule, r.file, r.row) for r in report.results).values()) == 1


def test_the_conforming_example_is_complete_and_conforms():
    a = annex.read(paths.EXAMPLES / "annexe-2006")
    assert {o.indicateur for o in a.objectifs} == set(INDICATORS)
    assert {NOTATIONS.concept("forme", o.forme) for o in a.objectifs if o.forme} == {
        NOTATIONS.concept("forme", f) for f in NOTATIONS.notations("forme")}
    assert len(a.objectifs) >= 150 and len(a.territoires) == 8
    # both bounds, or an evolution; a maximum alone only for an access time (one decimal)
    for o in a.objectifs:
        assert (o.min is not None or o.indicateur == "temps_acces") and o.max is not None or o.evolution, o
    assert any(isinstance(o.max, Decimal) for o in a.objectifs if o.indicateur == "temps_acces")
    assert any(o.taux for o in a.objectifs)
    report = v.validate(a)
    assert report.conforms and report.rulesets == ("oqos-2005",)


def test_rules_on_the_annex_itself():
    a = annex.read(paths.EXAMPLES / "annexe-2006")
    assert v.validate(replace(a, titre="")).conforms                       # the law asks no title
    assert rules(v.validate(replace(a, fin=None))) == {"annexe-fin": [5]}
    assert rules(v.validate(replace(a, debut=None), ruleset="oqos-2005")) == {"annexe-debut": [4]}
    # the period runs backwards: the annex, and every deadline now out of it
    backwards = rules(v.validate(replace(a, debut=date(2011, 4, 1), fin=date(2006, 3, 31)), law=date(2011, 4, 1)))
    assert backwards["annexe-periode"] == [4]
    assert set(backwards) == {"annexe-periode", "echeance-avant-fin", "echeance-apres-debut"}
    # without a region, no territory belongs to it (each reported once)
    no_region = rules(v.validate(replace(a, region="", regions=())))
    assert no_region == {"annexe-region": [2], "territoire-region": [t.row for t in a.territoires]}
    # an annex without objectives (D. 712-1)
    assert rules(v.validate(replace(a, objectifs=()))) == {"annexe-objectifs": [2]}


# ----------------------------------------------------------------------------- issue 12, one by one

def test_issue_had_is_a_frame_not_an_activity():
    # the row of the issue, as it was written (HAD in the modality), and with the new column
    assert check(whole("5301", "medecine", O("5301", "medecine", "sejours", "hospitalisation à domicile", 1000, 1200))) \
        == {"volumes-had": [3]}
    assert check(whole("5301", "medecine", O("5301", "medecine", "sejours", "", 1000, 1200, forme="had"))) \
        == {"volumes-had": [3]}
    assert check(whole("5301", "chirurgie", O("5301", "chirurgie", "sejours", "", 10, 12, forme="Hospitalisation à domicile"),
                       O("5301", "chirurgie", "sejours", "hors HAD", 10, 12))) == {"volumes-had": [3]}
    # implantations in HAD are not volumes; HAD as a target is refused, saying it is a form
    assert check(whole("5301", "medecine", O("5301", "medecine", "implantations", "", 1, 1, forme="had"),
                       O("5301", "medecine", "sejours", "", 10, 12))) == {}
    assert check([O("5301", "had", "implantations", "", 1, 2)]) == {"objectif-cible-had": [2]}


def test_issue_what_the_objectives_are_expressed_by():
    assert check([]) == {"annexe-objectifs": [2]}
    only_machines = check([O("5301", "irm", "appareils", "", 1, 2)])
    assert only_machines == {"cible-implantations": [2]}
    no_machines = check([O("5301", "irm", "implantations", "", 1, 2)])
    assert no_machines == {"equipement-appareils": [2]}
    no_volume = v.validate(one_annex([O("5301", "psychiatrie", "implantations", "", 1, 2)]))
    assert [(r.rule, r.severity) for r in no_volume.results] == [("activite-volumes", "Warning")]
    assert not no_volume.conforms
    # an excluded activity needs no volume; implantations alone are enough
    assert check([O("5301", "obstetrique", "implantations", "", 1, 2)]) == {}


def test_issue_minimum_and_maximum():
    assert check(whole("5301", "reeducation_readaptation", O("5301", "reeducation_readaptation", "venues", "", 3000))) \
        == {"quantification": [3]}
    assert check(whole("5301", "reeducation_readaptation", O("5301", "reeducation_readaptation", "venues", "", None, 3000))) \
        == {"quantification": [3]}
    # min = max; a maximum alone for a temps maximum d'accès, decimal allowed
    assert check(whole("5301", "urgences", O("5301", "urgences", "permanence", "", 2, 2),
                       O("5301", "urgences", "temps_acces", "", None, Decimal("22.5")))) == {}
    assert check(whole("5301", "urgences", O("5301", "urgences", "temps_acces", "", Decimal("22.5")))) \
        == {"quantification": [3]}


def test_issue_chemotherapy_is_read_as_the_law_writes_it():
    ok = [O("5301", "medecine", "sejours", m, 10, 12, forme="hospitalisation_jour") for m in (
        "hospitalisation de jour hors chimiothérapie", "sauf chimiothérapie", "à l'exception de la chimiothérapie",
        "chimiothérapie exceptée", "non compris la chimio")]
    assert check(whole("5301", "medecine", *ok)) == {}
    bad = [O("5301", "medecine", "sejours", m, 10, 12) for m in ("séances de chimio", "Chimiothérapie ambulatoire")]
    assert check(whole("5301", "medecine", *bad)) == {"medecine-chimiotherapie": [3, 4]}
    # chemotherapy elsewhere (implantations of cancer treatment) is no concern of a)
    assert check([O("5301", "cancer", "implantations", "chimiothérapie", 1, 2)]) == {}


def test_issue_steps_of_one_objective_are_not_duplicates():
    steps = whole("5301", "chirurgie", O("5301", "chirurgie", "sejours", "", None, None, "progression", 10, date(2007, 12, 31)),
                  O("5301", "chirurgie", "sejours", "", None, None, "progression", 25, date(2010, 12, 31)))
    assert check(steps) == {}
    same = whole("5301", "chirurgie", O("5301", "chirurgie", "sejours", "", 10, 20, forme="ambulatoire"),
                 O("5301", "chirurgie", "sejours", "", 10, 20, forme="chirurgie ambulatoire"),
                 O("5301", "chirurgie", "sejours", "", 10, 20, forme="hospitalisation_complete"))
    assert check(same) == {"objectif-unique": [3, 4]}                # the same form, by notation or by label
    rows = whole("5301", "psychiatrie",
                 O("5301", "psychiatrie", "journees", "psychiatrie générale", 1, 2),
                 O("5301", "psychiatrie", "journees", "psychiatrie infanto-juvénile", 1, 2),
                 O("5301", "psychiatrie", "journees", "Psychiatrie  générale", 1, 2))
    assert check(rows) == {"objectif-unique": [3, 5]}                  # modality: case and spaces aside


def test_issue_volumes_by_form():
    psy = whole("5301", "psychiatrie", O("5301", "psychiatrie", "journees", "", 10, 20, forme="hospitalisation de jour"),
                O("5301", "psychiatrie", "places_jour", "", 10, 20, forme="hospitalisation_jour"),
                O("5301", "psychiatrie", "places_nuit", "", 1, 2, forme="hospitalisation_nuit"),
                O("5301", "psychiatrie", "journees", "", 10, 20, forme="HOSPITALISATION COMPLETE"),
                O("5301", "psychiatrie", "places_jour", "", 10, 20))
    assert check(psy) == {"psychiatrie-journees-formes": [3]}
    med = whole("5301", "medecine", O("5301", "medecine", "sejours", "", 10, 20, forme="hospitalisation_nuit"),
                O("5301", "medecine", "sejours", "", 10, 20, forme="ambulatoire"),
                O("5301", "medecine", "sejours", "", 10, 20, forme="hospitalisation à temps partiel de jour"),
                O("5301", "medecine", "sejours", "", 10, 20))
    assert check(med) == {"medecine-formes": [3, 4]}
    chir = whole("5301", "chirurgie", *[O("5301", "chirurgie", "sejours", "", 10, 20, forme=f) for f in (
        "hospitalisation_complete", "hospitalisation_jour", "hospitalisation_nuit", "ambulatoire")])
    assert check(chir) == {}
    assert check(whole("5301", "chirurgie", O("5301", "chirurgie", "sejours", "", 10, 20, forme="semaine"))) \
        == {"objectif-forme-connue": [3]}


def test_issue_numbers():
    rows = whole("5301", "irc", O("5301", "irc", "patients", "", None, None, "progression", 12, taux=True),
                 O("5301", "irc", "patients", "", None, None, "diminution", Decimal("2.5"), date(2008, 1, 1), taux=True))
    assert check(rows) == {}
    zero = whole("5301", "irc", O("5301", "irc", "patients", "", None, None, "progression", 0))
    assert check(zero) == {"evolution-non-nulle": [3]}
    half = whole("5301", "irc", O("5301", "irc", "patients", "", 10, Decimal("12.5")),
                 O("5301", "irc", "patients", "", None, None, "progression", Decimal("1.5"), date(2009, 1, 1)))
    report = v.validate(one_annex(half))
    assert rules(report) == {"nombres-entiers": [3, 4]}
    assert {r.law for r in report.results} == {"D. 712-2 (nombre de …)"}
    assert check([O("5301", "urgences", "implantations", "", 1, 2),
                  O("5301", "urgences", "temps_acces", "", None, -5)]) == {"temps-acces-positif": [3]}


def test_issue_interregional_schema():
    a = annex.read(paths.EXAMPLES / "annexe-2006")
    t = a.territoires
    two = replace(a, regions=("53", "52"), territoires=t[:-1] + (replace(t[-1], region="52"),))
    assert v.validate(two).conforms
    three = replace(two, territoires=two.territoires[:-1] + (replace(t[-1], region="44"),))
    assert rules(v.validate(three)) == {"territoire-region": [t[-1].row]}


def test_issue_json_results_name_their_focus():
    out = CliRunner().invoke(main, ["validate", str(paths.EXAMPLES / "annexe-erreurs"), "--format", "json"])
    results = json.loads(out.output)["results"]
    by_rule = {r["rule"]: r for r in results if r["rule"] != "objectif-unique"}
    assert by_rule["psychiatrie-journees-formes"]["focus"] == {
        "territory": "5305", "target": "psychiatrie", "indicator": "journees", "form": "hospitalisation de jour"}
    assert by_rule["equipement-appareils"]["focus"] == {
        "territory": "5301", "target": "scanographe", "indicator": "", "form": ""}
    assert by_rule["equipement-appareils"]["value"] == "territoire=5301, cible=scanographe"
    assert by_rule["territoire-region"]["focus"] == {"territory": "2201"}
    assert Counter((r["rule"], r["row"]) for r in results).most_common(1)[0][1] == 1
