"""DILA LEGI XML reader (issues 2 and 8): real LEGI files, the same article as the corpus, XML attacks."""
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyoxigraph import NamedNode

from santelex import uris
from santelex.cli import main
from santelex.errors import ReadError
from santelex.ingest import legi_xml, markdown_export, registry, safe_xml
from santelex.ingest.to_rdf import to_quads
from santelex.model import Article, LegalText
from santelex.store import open_store

FIXTURES = Path(__file__).parent / "fixtures"
LEGI = FIXTURES / "official" / "legi"
D215_16 = LEGI / "legigo_article_LEGIARTI000006291810.xml"
HANDMADE_L822_2 = FIXTURES / "legi" / "handmade_LEGIARTI000038814944.xml"
CORPUS_L822_2 = next((FIXTURES / "corpus").rglob("l822-2.md"))
ELI = "http://data.europa.eu/eli/ontology#"


def read(path: Path):
    return list(legi_xml.read(str(path), path.read_bytes()))


def test_article_metadata_and_breadcrumbs():
    [art] = read(D215_16)
    assert isinstance(art, Article)
    assert (art.code, art.number) == ("code-de-la-consommation", "D215-16")
    assert art.legiarti == art.version == "LEGIARTI000006291810"
    assert art.status == "MODIFIE"
    assert (art.start, art.end) == (date(2007, 10, 18), date(2012, 11, 11))
    assert [h.level for h in art.hierarchy] == ["partie", "livre", "titre", "chapitre", "section"]
    assert [h.slug for h in art.hierarchy] == [
        "partie-reglementaire", "livre-ii-qualite-des-produits-et-des-services", "titre-ier-conformite",
        "chapitre-v-pouvoirs-denquete", "section-2-recherche-et-constatation"]
    assert art.hierarchy[1].title == "Livre II : Qualité des produits et des services"


def test_article_text_and_subdivisions():
    [art] = read(D215_16)
    assert len(art.paragraphs) == 5
    assert art.paragraphs[3].startswith("a) Les prélèvements et le transport des échantillons")
    assert [(k, s.label) for k, s in art.walk()] == [
        (("alinea-1",), None), (("alinea-2",), None), (("alinea-3",), None), (("a",), "a)"), (("b",), "b)")]
    assert art.nota is None  # empty <NOTA><CONTENU/></NOTA>


def test_citation_links_are_anchored_in_the_text():
    [art] = read(D215_16)
    refs = {r.target: r for r in art.all_references}
    assert set(refs) == {"code-de-la-consommation/L215-1", "jorf/decret-62-1587"}
    l215 = refs["code-de-la-consommation/L215-1"]
    assert l215.provenance == "legifrance-link"
    assert l215.text == "L. 215-1" and art.paragraphs[1][l215.start:l215.end] == "L. 215-1"
    assert l215.link.endswith("/codes/article_lc/LEGIARTI000006292250")
    decree = refs["jorf/decret-62-1587"]
    assert decree.text == "décret n° 62-1587 du 29 décembre 1962"
    # the CITATION link sens="cible" (articles citing this one) are not this article's citations
    [abroge] = read(LEGI / "legi-php_LEGIARTI000006398122.xml")
    assert abroge.all_references == ()


def test_modification_links_become_changed_by():
    [art] = read(D215_16)
    [created] = art.changed_by
    assert (created.target_text, created.target_article) == ("jorf/decret-2007-1480", "1")
    quads = to_quads(art, "d215-16.xml")
    work = NamedNode(uris.article("code-de-la-consommation", "D215-16"))
    changed_by = {q.object.value for q in quads if q.subject == work and q.predicate.value == ELI + "changed_by"}
    assert changed_by == {"https://data.santelex.fr/jorf/decret/2007-1480",
                          "https://data.santelex.fr/jorf/decret/2007-1480/article/1"}
    [annexe] = read(LEGI / "legi-php_cas-extremes_LEGIARTI000019325262.xml")
    assert [r.target_text for r in annexe.changed_by] == ["jorf/decret-2007-1574"]  # MODIFICATION, sens=source


def test_repealed_article_of_a_small_code():
    [art] = read(LEGI / "legi-php_LEGIARTI000006398122.xml")
    assert (art.code, art.number, art.status) == ("code-des-instruments-monetaires-et-des-medailles", "1", "ABROGE")
    assert (art.start, art.end) == (date(1952, 6, 29), date(2001, 1, 1))
    assert art.hierarchy[-1].slug == "paragraphe-i-frappe-des-monnaies-metalliques"


def test_annex_with_a_large_table():
    [art] = read(LEGI / "legi-php_cas-extremes_LEGIARTI000019325262.xml")
    assert (art.code, art.number) == ("code-de-laction-sociale-et-des-familles", "Annexe 2-4")
    assert art.paragraphs[0].startswith("GUIDE-BARÈME POUR L'ÉVALUATION")
    assert len(art.paragraphs) > 1000


@pytest.mark.parametrize("name", ["legigo_section_ta_LEGISCTA000006083673.xml",
                                  "legigo_section_ta_LEGISCTA000029502487.xml",
                                  "legigo_section_ta_LEGISCTA000029502492.xml",
                                  "legi-php_LEGISCTA000006135575.xml",
                                  "legigo_textelr_LEGITEXT000005627819.xml",
                                  "legi-php_struct_LEGITEXT000006070666.xml",
                                  "legigo_texte_version_LEGITEXT000005627819.xml",
                                  "legi-php_version_LEGITEXT000006070666.xml"])
def test_structure_files_and_codes_yield_nothing(name):
    assert read(LEGI / name) == []


def test_text_version_of_an_arrete_is_its_metadata():
    [text] = read(LEGI / "legigo_texte_version_LEGITEXT000006069747.xml")
    assert isinstance(text, LegalText)
    assert (text.nature, text.number, text.date) == ("arrete", None, date(1982, 5, 28))
    assert text.title.startswith("Arrêté du 28 mai 1982 Approbation de la méthode de calcul")
    assert text.signatories == ("JACQUES DELORS",)
    assert len(text.visas) == 1 and text.visas[0].startswith("Vu le décret n° 82-454 du 28 mai 1982")
    assert any(r.target_text == "jorf/decret-82-454" for r in text.visa_references)
    assert text.articles == ()


def test_same_article_as_the_corpus():
    """L822-2 CCH as a LEGI <ARTICLE> (hand-made from the API answer) and from the Markdown corpus."""
    [legi] = read(HANDMADE_L822_2)
    [md] = markdown_export.read(str(CORPUS_L822_2), CORPUS_L822_2.read_bytes())
    assert legi.paragraphs == md.paragraphs
    assert [(k, s.label, s.kind) for k, s in legi.walk()] == [(k, s.label, s.kind) for k, s in md.walk()]
    assert [h.slug for h in legi.hierarchy] == [h.slug for h in md.hierarchy]
    assert ([(r.target, r.pinpoint, r.text, r.start, r.end) for r in legi.all_references]
            == [(r.target, r.pinpoint, r.text, r.start, r.end) for r in md.all_references])
    assert uris.article(legi.code, legi.number) == uris.article(md.code, md.number)
    assert [r.target_text for r in legi.changed_by] == ["jorf/ordonnance-2019-770"]


def test_registry_detects_legi_files():
    for f in LEGI.glob("*.xml"):
        assert registry.for_input(f.name, f.read_bytes()[:2048]).format == "legi-xml", f.name


def test_build_end_to_end(tmp_path):
    store = tmp_path / "store"
    res = CliRunner().invoke(main, ["build", "--quiet", "--store", str(store), str(D215_16),
                                    str(LEGI / "legigo_section_ta_LEGISCTA000006083673.xml")])
    assert res.exit_code == 0, res.output
    st = open_store(store, read_only=True)
    work = NamedNode(uris.article("code-de-la-consommation", "D215-16"))
    rows = list(st.query("SELECT ?v ?status WHERE { ?w <http://data.europa.eu/eli/ontology#is_realized_by> ?v . "
                         "?v <https://data.santelex.fr/ontology#status> ?status }", {"w": work}))
    assert [(r["v"].value.rsplit("/", 1)[1], r["status"].value) for r in rows] == [("LEGIARTI000006291810", "MODIFIE")]
    st.close()


# --- bad input and XML attacks ------------------------------------------------------------

XXE = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE ARTICLE [
  <!ENTITY secret SYSTEM "file:///etc/passwd">
]>
<ARTICLE><META><META_COMMUN><ID>&secret;</ID></META_COMMUN></META></ARTICLE>
"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<ARTICLE>&lol9;</ARTICLE>
"""


@pytest.mark.parametrize("payload, line", [(XXE, 3), (BILLION_LAUGHS, 3)])
def test_entities_are_refused_not_expanded(payload, line):
    with pytest.raises(ReadError) as e:
        legi_xml.read("attack.xml", payload)
    assert e.value.file == "attack.xml" and e.value.line == line
    assert "refused" in str(e.value) and str(e.value).startswith(f"attack.xml:{line}:")


@pytest.mark.parametrize("payload", [XXE, BILLION_LAUGHS])
def test_entities_refused_in_utf16_too(payload):
    data = payload.replace(b'<?xml version="1.0" encoding="UTF-8"?>', b'<?xml version="1.0"?>').replace(
        b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="UTF-16"?>').decode().encode("utf-16")
    with pytest.raises(ReadError) as e:
        safe_xml.parse("attack16.xml", data)
    assert "refused" in e.value.message and e.value.line == 3


def test_attack_through_the_cli_leaves_the_store_untouched(tmp_path):
    store = tmp_path / "store"
    assert CliRunner().invoke(main, ["build", "--quiet", "--store", str(store), str(D215_16)]).exit_code == 0
    before = CliRunner().invoke(main, ["export", "--store", str(store), "--format", "nquads"]).output
    for payload in (XXE, BILLION_LAUGHS):
        f = tmp_path / "attack.xml"
        f.write_bytes(payload)
        res = CliRunner().invoke(main, ["build", "--quiet", "--store", str(store), str(f)])
        assert res.exit_code == 2
        lines = [x for x in res.output.splitlines() if x.strip()]
        assert len(lines) == 1 and "attack.xml:3:" in lines[0]
    assert CliRunner().invoke(main, ["export", "--store", str(store), "--format", "nquads"]).output == before


def test_malformed_xml_names_file_and_line():
    data = D215_16.read_bytes()
    cut = data[:data.index(b"<BLOC_TEXTUEL>") + 40]
    with pytest.raises(ReadError) as e:
        legi_xml.read("cut.xml", cut)
    assert e.value.line == cut.count(b"\n") + 1 and "malformed XML" in e.value.message
    with pytest.raises(ReadError) as e:
        legi_xml.read("latin1.xml", '<?xml version="1.0" encoding="UTF-8"?>\n<ARTICLE>é</ARTICLE>'.encode("latin-1"))
    assert e.value.line == 2


def test_unknown_root_and_missing_parts():
    with pytest.raises(ReadError, match="root element <html>"):
        legi_xml.read("x.xml", b"<html/>")
    with pytest.raises(ReadError, match="META_ARTICLE"):
        legi_xml.read("x.xml", b"<ARTICLE><META/></ARTICLE>")
    bad_date = D215_16.read_bytes().replace(b"<DATE_DEBUT>2007-10-18", b"<DATE_DEBUT>18/10/2007")
    with pytest.raises(ReadError, match="DATE_DEBUT"):
        legi_xml.read("x.xml", bad_date)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600) | st.text(max_size=400).map(str.encode))
def test_arbitrary_bytes_give_read_error_or_documents(data):
    try:
        list(legi_xml.read("fuzz.xml", data))
    except ReadError:
        pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_real_files_give_read_error_or_documents(data):
    source = data.draw(st.sampled_from([D215_16, HANDMADE_L822_2, LEGI / "legi-php_LEGIARTI000006398122.xml",
                                        LEGI / "legigo_texte_version_LEGITEXT000006069747.xml"])).read_bytes()
    start = data.draw(st.integers(0, len(source)))
    end = data.draw(st.integers(start, min(len(source), start + 200)))
    junk = data.draw(st.binary(max_size=30) | st.sampled_from(
        [b"", b"<", b"</TM>", b"<NUM/>", b"2999-01-01", b"<LIEN typelien='CITATION' sens='source'/>", b"&amp;"]))
    try:
        list(legi_xml.read("mutant.xml", source[:start] + junk + source[end:]))
    except ReadError:
        pass
