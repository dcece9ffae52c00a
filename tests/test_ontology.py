"""The OQOS ontology (ontology/*.ttl): complete, well-formed, and grounded in the law.

Grounded means: every subdivision a term points to (rdfs:isDefinedBy, rdfs:seeAlso) exists
in the graph built from the décret 2005-76 seed and the three CSP articles that name the
équipements matériels lourds and today's list of activities, and, for concepts and
classes, its text contains the term's label (or the law's own wording, kept as a
skos:hiddenLabel), ignoring accents and case.
"""
from __future__ import annotations

import unicodedata

import pytest
from rdflib import OWL, RDF, RDFS, SKOS, Graph, Namespace, URIRef

from santelex import paths

SLX = Namespace("https://data.santelex.fr/ontology#")
OQOS = Namespace("https://data.santelex.fr/oqos/")
WORKS = "https://data.santelex.fr/code/"

# The CSP articles (besides D. 712-1 to D. 712-3 from the seed) that the ontology cites.
CSP_ARTICLES = ("r6121-4.md", "r6122-25.md", "r6122-26.md", "r6123-136.md")

ISSUE_NOTATIONS = {
    OQOS.activites: {
        "medecine", "chirurgie", "obstetrique", "neonatologie", "reanimation_neonatale", "psychiatrie",
        "soins_de_suite", "reeducation_readaptation", "soins_longue_duree", "greffes", "grands_brules",
        "chirurgie_cardiaque", "cardiologie_interventionnelle", "neurochirurgie",
        "neuroradiologie_interventionnelle", "urgences", "reanimation", "irc", "amp_clinique",
        "amp_biologique", "diagnostic_prenatal", "gametes", "cancer"},
    OQOS.equipements: {"camera_scintillation", "tep", "irm", "scanographe", "caisson_hyperbare", "cyclotron"},
    OQOS.indicateurs: {"implantations", "temps_acces", "permanence", "sejours", "actes", "journees",
                       "places_jour", "places_nuit", "venues", "patients", "appareils"},
    OQOS.modes: {"minimum_maximum", "progression", "diminution", "echeance"},
    OQOS.formes: {"hospitalisation_complete", "hospitalisation_jour", "hospitalisation_nuit", "ambulatoire", "had"},
}


def fold(text: str) -> str:
    """Lower case, no accents, one kind of apostrophe and space."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("\u2019", "'").replace("\u00a0", " ").replace("\u202f", " ")
    return " ".join(text.casefold().split())


@pytest.fixture(scope="module")
def ontology() -> Graph:
    g = Graph()
    # the shared classes and oqos-2005's vocabulary (oqos-2023's: tests/test_ontology_2023.py)
    for f in sorted(paths.ONTOLOGY.glob("*.ttl")) + sorted((paths.ONTOLOGY / "oqos-2005").glob("*.ttl")):
        g.parse(f, format="turtle")
    return g


@pytest.fixture(scope="module")
def law(csp_store):
    """Text of every work subdivision: the décret seed plus the CSP articles above."""
    with csp_store(names=CSP_ARTICLES, seeds=[paths.SEEDS / "decret-2005-76-jo.txt"]) as store:
        texts: dict[str, str] = {}
        query = """PREFIX eli: <http://data.europa.eu/eli/ontology#>
            PREFIX slx: <https://data.santelex.fr/ontology#>
            SELECT ?expr ?work ?text WHERE { ?expr eli:realizes ?work ; slx:text ?text }"""
        for row in store.query(query):
            texts[row["work"].value] = texts.get(row["work"].value, "") + " " + row["text"].value
            texts[row["expr"].value] = row["text"].value   # a subdivision of one version
        # any resource of the graph (R. 712-37-1, repealed, is there only as what D. 712-2 cites)
        works = {row["w"].value for row in store.query(
            "SELECT DISTINCT ?w WHERE { { ?w ?p ?o } UNION { ?s ?p ?w } "
            f"FILTER(isIRI(?w) && STRSTARTS(STR(?w), \"{WORKS}\")) }}")}
    assert {"R6122-25", "R6122-26", "R6123-136", "D712-2", "R712-37-1"} <= {w.rsplit("/", 1)[-1] for w in works}
    return {"texts": texts, "works": works}


def labels(g: Graph, term) -> list[str]:
    found = [str(o) for o in g.objects(term, SKOS.prefLabel)]
    found += [str(o) for o in g.objects(term, SKOS.hiddenLabel)]
    found += [str(o) for o in g.objects(term, RDFS.label)]
    return found


def test_schemes_hold_the_notations_of_the_issue(ontology):
    for scheme, expected in ISSUE_NOTATIONS.items():
        notations = {str(ontology.value(c, SKOS.notation)) for c in ontology.subjects(SKOS.inScheme, scheme)}
        assert notations == expected, scheme


def test_every_concept_is_complete(ontology):
    for concept in ontology.subjects(RDF.type, SKOS.Concept):
        prefs = list(ontology.objects(concept, SKOS.prefLabel))
        assert len(prefs) == 1 and prefs[0].language == "fr", concept
        assert len(list(ontology.objects(concept, SKOS.notation))) == 1, concept
        assert str(concept).endswith("/" + str(ontology.value(concept, SKOS.notation))), concept
        assert list(ontology.objects(concept, RDFS.isDefinedBy)), concept
        assert len(list(ontology.objects(concept, SKOS.inScheme))) == 1, concept


def test_notations_are_unique_across_targets(ontology):
    """An annex's ``cible`` column names an activity or an equipment by notation alone."""
    targets = [str(ontology.value(c, SKOS.notation))
               for scheme in (OQOS.activites, OQOS.equipements)
               for c in ontology.subjects(SKOS.inScheme, scheme)]
    assert len(targets) == len(set(targets)) == 29


def test_annex_classes_exist(ontology):
    for cls in (SLX.Annexe, SLX.TerritoireDeSante, SLX.ObjectifQuantifie):
        assert (cls, RDF.type, OWL.Class) in ontology
    for prop in ("territoire", "cible", "indicateur", "modalite", "minimum", "maximum", "evolution",
                 "valeur", "echeance", "annexe", "region", "debut", "fin"):
        assert (SLX[prop], RDF.type, None) in ontology, prop


def test_every_law_link_exists_in_the_graph(ontology, law):
    links = [(s, o) for p in (RDFS.isDefinedBy, RDFS.seeAlso) for s, o in ontology.subject_objects(p)
             if str(o).startswith(WORKS)]
    assert len(links) > 60
    missing = [(str(s), str(o)) for s, o in links if str(o) not in law["texts"] and str(o) not in law["works"]]
    assert not missing


def test_every_concept_and_class_is_named_by_its_defining_subdivision(ontology, law):
    terms = set(ontology.subjects(RDF.type, SKOS.Concept)) | set(ontology.subjects(RDF.type, OWL.Class))
    checked = 0
    for term in terms:
        names = [fold(n) for n in labels(ontology, term)]
        for sub in ontology.objects(term, RDFS.isDefinedBy):
            text = law["texts"].get(str(sub))
            assert text is not None, f"{term}: {sub} has no text in the graph"
            assert any(n in fold(text) for n in names), f"{term}: none of {names} in {sub}: {text!r}"
            checked += 1
    assert checked >= 50


def test_the_law_wording_neonatalogie_is_accepted(ontology, law):
    neonat = OQOS["activite/neonatologie"]
    text = fold(law["texts"][str(ontology.value(neonat, RDFS.isDefinedBy))])
    assert fold(str(ontology.value(neonat, SKOS.prefLabel))) not in text
    assert fold(str(ontology.value(neonat, SKOS.hiddenLabel))) in text


def test_volume_indicators_follow_d712_2_i_3(ontology):
    """The letters a) to f): which activity takes which volume indicator."""
    def vol(notation):
        return {str(ontology.value(i, SKOS.notation))
                for i in ontology.objects(OQOS["activite/" + notation], SLX.indicateurVolume)}
    assert vol("medecine") == vol("chirurgie") == {"sejours"}
    assert vol("cardiologie_interventionnelle") == vol("neuroradiologie_interventionnelle") == {"actes"}
    assert vol("psychiatrie") == {"journees", "places_jour", "places_nuit"}
    assert vol("soins_de_suite") == vol("reeducation_readaptation") == vol("soins_longue_duree") == {"journees", "venues"}
    assert vol("irc") == {"patients"}
    excluded = {str(ontology.value(a, SKOS.notation)) for a in ontology.objects(OQOS.activitesExclues, SKOS.member)}
    assert len(excluded) == 14 and "had" not in excluded
    assert all(not vol(a) for a in excluded)
    with_volume = {str(ontology.value(a, SKOS.notation)) for a in ontology.subjects(SLX.indicateurVolume, None)}
    assert with_volume | excluded == ISSUE_NOTATIONS[OQOS.activites]
    assert not with_volume & excluded


# ----------------------------------------------------------------------------- grounding in the text
#
# The enumerations of the 2005 vocabulary, read again from the decree through the project's
# own reader (ingest/, as `santelex build` reads it): an amendment of a list must fail here.

from santelex.ingest import registry  # noqa: E402

VERSION = WORKS + "code-de-la-sante-publique/article/D712-2/version/decret-2005-76/"
LETTERS = {"a", "b", "c", "d", "e", "f"}


def read_d712_2(data: bytes) -> dict[str, str]:
    """The subdivisions of D. 712-2 as the decree's article 2 writes it: URI path -> text."""
    docs = list(registry.read_input(registry.Input("decret-2005-76-jo.txt", data)))
    d2 = next(a for d in docs for a in d.inserted if a.number == "D712-2")
    out = {}
    for path, sub in d2.walk():
        alineas = [i for i, p in enumerate(path) if p.startswith("alinea-")]
        out["/".join(path[alineas[-1]:] if alineas else path)] = sub.text   # an alinéa counts from the article
    return out


def concepts_named_in(text: str, candidates, ontology) -> set:
    """The candidates the text names by one of their labels; when a label found is part of a
    longer one found ("réanimation" in "réanimation néonatale"), only the longer counts."""
    found = {}
    for c in candidates:
        names = [fold(n) for n in labels(ontology, c) + [str(x) for x in ontology.objects(c, SKOS.altLabel)]]
        hits = [n for n in names if n in fold(text)]
        if hits:
            found[c] = max(hits, key=len)
    return {c for c, n in found.items() if not any(n != m and n in m for m in found.values())}


def excluded_mismatches(d2: dict[str, str], ontology) -> list[str]:
    """Differences between the dashes of D. 712-2, I, 3°, last list and oqos:activitesExclues."""
    members = set(ontology.objects(OQOS.activitesExclues, SKOS.member))
    problems, seen = [], set()
    dashes = sorted((k for k in d2 if k.startswith("alinea-26/tiret-")), key=lambda k: int(k.rsplit("-", 1)[1]))
    for key in dashes:
        found = concepts_named_in(d2[key], members, ontology)
        if len(found) != 1:
            problems.append(f"{key} {d2[key]!r}: {len(found)} concepts")
            continue
        concept = found.pop()
        seen.add(concept)
        if URIRef(VERSION + key) not in set(ontology.objects(concept, RDFS.isDefinedBy)):
            problems.append(f"{concept} is not defined by {key}")
    problems += [f"{c} is named by no dash" for c in members - seen]
    return problems


@pytest.fixture(scope="module")
def d712_2() -> dict[str, str]:
    return read_d712_2((paths.SEEDS / "decret-2005-76-jo.txt").read_bytes())


def test_the_excluded_activities_are_the_list_of_the_decree(ontology, d712_2):
    assert len([k for k in d712_2 if k.startswith("alinea-26/tiret-")]) == 14
    assert excluded_mismatches(d712_2, ontology) == []


def test_an_amended_list_fails_the_grounding(ontology):
    text = (paths.SEEDS / "decret-2005-76-jo.txt").read_text(encoding="utf-8")
    assert "« - la neurochirurgie ;" in text
    added = read_d712_2(text.replace("« - la neurochirurgie ;", "« - la neurochirurgie ;\n\n« - la chirurgie esthétique ;")
                        .encode("utf-8"))
    assert any("chirurgie esthétique" in p for p in excluded_mismatches(added, ontology))
    removed = read_d712_2(text.replace("« - la neurochirurgie ;\n", "").encode("utf-8"))
    assert excluded_mismatches(removed, ontology)


def test_the_activities_are_those_the_decree_names(ontology, d712_2):
    """The letters a) to f) of I, 3° and the excluded list name every activity, and only them."""
    activities = set(ontology.subjects(SKOS.inScheme, OQOS.activites))
    letters = {k.rsplit("/", 1)[1] for k in d712_2 if k.startswith("I/3/") and k.count("/") == 2
               and not k.rsplit("/", 1)[1].startswith("alinea")}
    assert letters == LETTERS
    by_letter = {}
    for letter in sorted(letters):
        defined = {c for c in activities if URIRef(VERSION + "I/3/" + letter) in set(ontology.objects(c, RDFS.isDefinedBy))}
        assert defined and concepts_named_in(d712_2["I/3/" + letter], defined, ontology) == defined, letter
        by_letter[letter] = defined
    excluded = set(ontology.objects(OQOS.activitesExclues, SKOS.member))
    assert set().union(*by_letter.values()) | excluded == activities
    assert len(activities) == 9 + 14
    # the volume indicators of each letter are its dashes, one indicator per dash
    indicators = set(ontology.subjects(SKOS.inScheme, OQOS.indicateurs))
    for letter, acts in by_letter.items():
        dashes = [k for k in d712_2 if k.startswith(f"I/3/{letter}/tiret-")]
        per_dash = [{i for i in indicators if URIRef(VERSION + k) in set(ontology.objects(i, RDFS.isDefinedBy))}
                    for k in dashes]
        assert all(len(s) == 1 for s in per_dash), letter
        assert all(concepts_named_in(d712_2[k], s, ontology) == s for k, s in zip(dashes, per_dash))
        for a in acts:
            assert set(ontology.objects(a, SLX.indicateurVolume)) == set().union(*per_dash), (letter, a)


def test_the_indicators_are_the_dashes_of_the_article(ontology, d712_2):
    """Every dash of I and II (but the excluded list) defines an indicator, and each indicator is one."""
    indicators = set(ontology.subjects(SKOS.inScheme, OQOS.indicateurs))
    dashes = {k for k in d712_2 if k.startswith(("I/", "II/")) and "/tiret-" in k}
    # the second dash of I, 1° is the implantations of psychiatry (its equipment and services)
    assert "implantations" in d712_2["I/1/tiret-2"] and "psychiatrie" in d712_2["I/1/tiret-2"]
    assert URIRef(VERSION + "I/1/tiret-2") in set(ontology.objects(OQOS["activite/psychiatrie"], RDFS.seeAlso))
    dashes.discard("I/1/tiret-2")
    defined = {str(s)[len(VERSION):] for i in indicators for s in ontology.objects(i, RDFS.isDefinedBy)}
    assert defined == dashes
    for key in dashes:
        named = [i for i in indicators if URIRef(VERSION + key) in set(ontology.objects(i, RDFS.isDefinedBy))]
        assert len(named) == 1 and concepts_named_in(d712_2[key], named, ontology) == set(named), key


def test_the_forms_are_those_the_decree_names(ontology, d712_2):
    import re

    text = fold(" ".join(d712_2.values()))
    named = set(re.findall(r"hospitalisation (?:complete|a temps partiel de (?:jour|nuit)|a domicile)|chirurgie ambulatoire",
                           text))
    assert named == {"hospitalisation complete", "hospitalisation a temps partiel de jour",
                     "hospitalisation a temps partiel de nuit", "chirurgie ambulatoire", "hospitalisation a domicile"}
    forms = set(ontology.subjects(SKOS.inScheme, OQOS.formes))
    by_name = {n: {f for f in forms if n in {fold(x) for x in labels(ontology, f)}} for n in named}
    assert all(len(s) == 1 for s in by_name.values()) and set().union(*by_name.values()) == forms
    assert set(ontology.objects(OQOS.formesExclues, SKOS.member)) == by_name["hospitalisation a domicile"]
