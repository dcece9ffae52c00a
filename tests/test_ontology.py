"""The OQOS ontology (ontology/*.ttl): complete, well-formed, and grounded in the law.

Grounded means: every subdivision a term points to (rdfs:isDefinedBy, rdfs:seeAlso) exists
in the graph built from the décret 2005-76 seed and the three CSP articles that name the
équipements matériels lourds and today's list of activities, and, for concepts and
classes, its text contains the term's label (or the law's own wording, kept as a
skos:hiddenLabel), ignoring accents and case.
"""
from __future__ import annotations

import shutil
import tarfile
import unicodedata
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, SKOS, Graph, Namespace, URIRef

from santelex import api, paths

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
        "amp_biologique", "diagnostic_prenatal", "gametes", "cancer", "had"},
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
def law(tmp_path_factory):
    """Text of every work subdivision: the two seeds plus the three CSP articles above."""
    root = tmp_path_factory.mktemp("law")
    tree = root / "csp"
    with tarfile.open(paths.CSP_ARCHIVE, "r:xz") as tar:
        for member in tar:
            if member.isfile() and member.name.rsplit("/", 1)[-1] in CSP_ARTICLES:
                target = tree / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
    store_path = root / "store"
    api.build([paths.SEEDS / "decret-2005-76-jo.txt", tree], store_path)
    store = api.open_store(store_path, read_only=True)
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
    store.close()
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
    assert len(targets) == len(set(targets)) == 30


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
    assert len(excluded) == 15 and "had" in excluded
    assert all(not vol(a) for a in excluded)
    with_volume = {str(ontology.value(a, SKOS.notation)) for a in ontology.subjects(SLX.indicateurVolume, None)}
    assert with_volume | excluded == ISSUE_NOTATIONS[OQOS.activites]
    assert not with_volume & excluded
