"""What must come out of the two seed texts (issue 2)."""
from datetime import date

from santelex.model import CSP


def test_r1434_4_number_code_hierarchy(r1434_4):
    assert r1434_4.number == "R1434-4"
    assert r1434_4.code == CSP
    levels = [h.level for h in r1434_4.hierarchy]
    assert levels == ["partie", "partie", "livre", "titre", "chapitre", "section", "sous-section"]
    assert r1434_4.hierarchy[0].slug == "partie-reglementaire"
    assert r1434_4.hierarchy[-1].slug == "sous-section-2-schema-regional-dorganisation-des-soins"


def test_r1434_4_paragraphs_and_items(r1434_4):
    assert len(r1434_4.paragraphs) == 9
    assert r1434_4.paragraphs[0] == "Le schéma régional d'organisation des soins comporte :"
    items = [s for s in r1434_4.subdivisions if s.kind == "numero"]
    assert [s.label for s in items] == ["1°", "2°"]
    assert [s.kind for s in r1434_4.subdivisions].count("alinea") == 7


def test_r1434_4_three_citations_with_pinpoints(r1434_4):
    refs = r1434_4.all_references
    assert [(r.target, r.pinpoint, r.provenance) for r in refs] == [
        ("code-de-la-sante-publique/L1434-9", (), "legifrance-link"),
        ("code-de-la-securite-sociale/L162-14-1", ("I", "1°"), "legifrance-link"),
        ("code-de-la-sante-publique/L1434-7", ("alinéa 5",), "legifrance-link"),
    ]
    para = r1434_4.paragraphs[5]
    ref = refs[1]
    assert para[ref.start:ref.end] == "1° du I de l'article L. 162-14-1 du code de la sécurité sociale"


def test_decree_metadata(decree):
    assert (decree.nature, decree.number, decree.date) == ("decret", "2005-76", date(2005, 1, 31))
    assert decree.nor == "SANH0424194D"
    assert (decree.jo_number, decree.jo_date) == ("27", date(2005, 2, 2))
    assert decree.title.startswith("Décret n° 2005-76 du 31 janvier 2005 relatif aux objectifs quantifiés")
    assert decree.signatories == ("Jean-Pierre Raffarin", "Philippe Douste-Blazy")
    assert [a.number for a in decree.articles] == ["1", "2", "3", "4"]
    assert decree.eli == "https://www.legifrance.gouv.fr/eli/decret/2005/1/31/SANH0424194D/jo/texte"


def test_decree_furniture_dropped(decree):
    everything = decree.title + " ".join(decree.visas) + " ".join(
        p for a in decree.articles + decree.inserted for p in a.paragraphs)
    for noise in ("J.O. disponibles", "Alerte par mail", "\u00a0", "«", "»"):
        assert noise not in everything


def test_decree_visas_are_citations(decree):
    targets = {(r.target, r.target_article) for r in decree.visa_references}
    assert ("code-de-la-sante-publique/L6121-1", "L6121-1") in targets
    assert ("jorf/ordonnance-2003-850", "12") in targets


def test_inserted_articles(decree):
    assert [a.number for a in decree.inserted] == ["D712-1", "D712-2", "D712-3"]
    assert all(a.code == CSP for a in decree.inserted)
    assert decree.inserted[0].hierarchy[-1].title == "Sous-section 1 : Objectifs quantifiés de l'offre de soins"
    assert decree.inserted[0].hierarchy[-2].title == "Section 1 : Schéma d'organisation sanitaire"


def test_d712_2_subdivision_tree(decree):
    d2 = decree.inserted[1]
    top = {s.key: s for s in d2.subdivisions}
    assert [s.key for s in d2.subdivisions if s.kind == "roman"] == ["I", "II"]
    one = top["I"]
    assert [c.label for c in one.children] == ["1°", "2°", "3°"]
    three = one.children[2]
    letters = [c for c in three.children if c.kind == "lettre"]
    assert [c.label for c in letters] == ["a)", "b)", "c)", "d)", "e)", "f)"]
    assert [len(c.children) for c in letters] == [1, 1, 1, 3, 2, 1]
    plain = [c for c in three.children if c.kind == "alinea"]
    assert len(plain) == 3
    excluded = plain[1]
    assert excluded.text.startswith("Les dispositions du présent 3°")
    assert len(excluded.children) == 14
    assert excluded.children[0].text == "- l'obstétrique ;"
    assert "hospitalisation à domicile" in plain[2].text
    assert [c.label for c in top["II"].children] == ["1°", "2°", "3°"]


def test_d712_3_two_modes(decree):
    text = decree.inserted[2].text
    assert "soit par un minimum et un maximum" in text
    assert "soit par une progression ou une diminution" in text


def test_decree_amendments(decree):
    kinds = {(a.kind, a.by_article): a for a in decree.amendments}
    replace = kinds[("replace", "2")]
    assert replace.targets == ("D712-1", "D712-2", "D712-3") and replace.code == CSP
    assert kinds[("rename", "1")].condition == "Schéma d'organisation sanitaire"
    assert kinds[("applicability", "3")].targets == ("D712-1", "D712-2", "D712-3")
    transitional = kinds[("transitional", "3")]
    assert transitional.targets[0] == "D712-1" and transitional.targets[-1] == "D712-13"
    assert len(transitional.targets) == 13
