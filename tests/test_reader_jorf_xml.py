"""DILA JORF XML reader (issue 8): a text as published, an issue's table of contents."""
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
from santelex.ingest import jorf_xml, registry
from santelex.model import LegalText
from santelex.store import open_store

JORF = Path(__file__).parent / "fixtures" / "official" / "jorf"
CATNAT = JORF / "mon-sinistre_JORFSIMPLE_JORFTEXT000053398028.xml"
NOMINATION = JORF / "mon-sinistre_JORFSIMPLE_JORFTEXT000054246001.xml"
ISSUE = JORF / "mon-sinistre_JORFSIMPLE_JORFCONT000054245240.xml"


def read(path: Path):
    return list(jorf_xml.read(str(path), path.read_bytes()))


def test_text_metadata():
    [text] = read(CATNAT)
    assert isinstance(text, LegalText)
    assert (text.nature, text.number, text.date) == ("arrete", None, date(2026, 1, 19))
    assert text.title == "Arrêté du 19 janvier 2026 portant reconnaissance de l'état de catastrophe naturelle"
    assert (text.nor, text.jorf_id) == ("INTE2601369A", "JORFTEXT000053398028")
    assert (text.jo_number, text.jo_date) == ("20", date(2026, 1, 24))
    assert text.eli == "https://www.legifrance.gouv.fr/eli/arrete/2026/1/19/INTE2601369A/jo/texte"
    assert text.signatories == ("J. Marion", "P. Guyonnet-Duperat", "A.-G. Baudouin", "S. Doumeix")


def test_visas_and_their_references():
    [text] = read(CATNAT)
    assert [v[:40] for v in text.visas] == ["Vu le code des assurances, notamment ses",
                                            "Vu les avis rendus le 13 janvier 2026 pa"]
    # the references in the visas are found by the shared citation finder, as for the JO-text reader
    assert text.visa_references
    assert all(any(v[r.start:r.end] == r.text for v in text.visas) for r in text.visa_references)


def test_articles_and_annexes():
    [text] = read(CATNAT)
    assert [a.number for a in text.articles] == ["1", "2", "3", "4", "5", "snum1", "snum2"]
    first = text.articles[0]
    assert first.code is None and first.text_id == "JORFTEXT000053398028"
    assert first.version == "JORFARTI000053398036"  # no number: the JO article's id names the version
    assert len(first.paragraphs) == 3 and first.paragraphs[1].startswith("Les communes faisant l'objet")
    annex = text.articles[5]
    assert [h.title for h in annex.hierarchy] == ["Annexe"]
    assert len(annex.paragraphs) > 100  # the annex table, one paragraph per row
    # references found in the words, as the JO-text reader finds them
    art3 = text.articles[2]
    assert {r.target for r in art3.all_references} >= {"code-des-assurances/L125-2", "code-des-assurances/D125-5-9"}


def test_unnumbered_single_article():
    [text] = read(NOMINATION)
    assert [a.number for a in text.articles] == ["snum1"]
    assert text.articles[0].paragraphs[0].startswith("Par arrêté du ministre de l'intérieur en date du 11 juin 2026")
    assert uris.text(text.nature, text.number, text.jorf_id) == "https://data.santelex.fr/jorf/text/JORFTEXT000054246001"


def test_issue_table_of_contents():
    texts = read(ISSUE)
    assert len(texts) == len({t.jorf_id for t in texts}) > 50
    assert all(t.articles == () and t.jo_number == "137" and t.jo_date == date(2026, 6, 13) for t in texts)
    by_id = {t.jorf_id: t for t in texts}
    law = by_id["JORFTEXT000054245243"]
    assert (law.nature, law.number, law.date) == ("loi", "2026-491", date(2026, 6, 12))
    decree = by_id["JORFTEXT000054245305"]
    assert (decree.nature, decree.number) == ("decret", "2026-493")
    assert uris.text(decree.nature, decree.number, decree.jorf_id) == "https://data.santelex.fr/jorf/decret/2026-493"
    arrete = by_id["JORFTEXT000054245341"]
    assert (arrete.nature, arrete.number, arrete.date) == ("arrete", None, date(2026, 6, 5))


def test_registry_detects_jorf_files():
    for f in JORF.glob("*.xml"):
        assert registry.for_input(f.name, f.read_bytes()[:2048]).format == "jorf-xml", f.name


def test_build_end_to_end(tmp_path):
    store = tmp_path / "store"
    res = CliRunner().invoke(main, ["build", "--quiet", "--store", str(store), str(CATNAT), str(ISSUE)])
    assert res.exit_code == 0, res.output
    st_ = open_store(store, read_only=True)
    text = NamedNode("https://data.santelex.fr/jorf/text/JORFTEXT000053398028")
    rows = list(st_.query("SELECT (COUNT(?a) AS ?n) WHERE { ?a <http://data.europa.eu/eli/ontology#is_part_of> ?t }",
                          {"t": text}))
    assert int(rows[0]["n"].value) == 7
    st_.close()


def test_malformed_and_foreign_xml():
    data = CATNAT.read_bytes()
    with pytest.raises(ReadError) as e:
        jorf_xml.read("cut.xml", data[: len(data) // 2])
    assert e.value.file == "cut.xml" and e.value.line is not None
    with pytest.raises(ReadError, match="root element <rss>"):
        jorf_xml.read("feed.xml", b"<?xml version='1.0'?>\n<rss/>")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_real_files_give_read_error_or_documents(data):
    source = data.draw(st.sampled_from([NOMINATION, ISSUE])).read_bytes()
    start = data.draw(st.integers(0, len(source)))
    end = data.draw(st.integers(start, min(len(source), start + 200)))
    junk = data.draw(st.binary(max_size=20) | st.sampled_from([b"", b"<NUM>x</NUM>", b"<DATE_TEXTE>1</DATE_TEXTE>"]))
    try:
        list(jorf_xml.read("mutant.xml", source[:start] + junk + source[end:]))
    except ReadError:
        pass


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes(data):
    try:
        list(jorf_xml.read("fuzz.xml", data))
    except ReadError:
        pass
