"""Saved legifrance.gouv.fr pages (issue 2): a real section page, the old affichTexte page, bad pages."""
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
from santelex.ingest import legifrance_html, markdown_export, piste_json, registry
from santelex.model import LegalText
from santelex.store import open_store

FIXTURES = Path(__file__).parent / "fixtures"
HTML = FIXTURES / "official" / "html"
SECTION = HTML / "stack_testCase.legifrance_section_lc_LEGITEXT000006074075_LEGISCTA000006143404_1973-11-13.html"
OLD_TEXT = HTML / "tayflo_oldsite_affichTexte_JORFTEXT000000567660.html"
ARTICLE_L822_2 = FIXTURES / "html" / "handmade_article_lc_LEGIARTI000038814944.html"
CORPUS_L822_2 = next((FIXTURES / "corpus").rglob("l822-2.md"))


def read(path: Path, data: bytes | None = None):
    return list(legifrance_html.read(str(path), path.read_bytes() if data is None else data))


@pytest.fixture(scope="module")
def section():
    return {a.number: a for a in read(SECTION)}


def test_section_page_gives_every_article(section):
    assert len(section) == 45
    assert {"R421-1", "R421-44", "R421-57", "R*421-52"} <= set(section)
    assert {a.code for a in section.values()} == {"code-de-lurbanisme"}
    r1 = section["R421-1"]
    assert r1.legiarti == r1.version == "LEGIARTI000006818998"
    assert r1.source.line == 1817  # the line of p.name-article[data-anchor=…]
    assert len(r1.paragraphs) == 4 and r1.paragraphs[0].startswith("La demande de permis de construire est présentée")


def test_hierarchy_from_breadcrumbs_plan_and_sections(section):
    assert [h.title for h in section["R421-1"].hierarchy] == [
        "Partie réglementaire - Décrets en Conseil d'Etat",
        "Règles relatives à l'acte de construire et à divers modes d'utilisation du sol",
        "Permis de construire", "Régime général", "Règles applicables à toute construction",
        "Présentation de la demande"]
    assert section["R421-1"].hierarchy[0].level == "partie"
    assert section["R421-11"].hierarchy[-1].title == "Instruction de la demande - Régime général."


def test_dates_status_and_amending_texts(section):
    r17 = section["R421-17"]
    assert (r17.status, r17.end) == ("ABROGE", date(1984, 4, 1))
    assert [(r.target_text, r.target_article) for r in r17.changed_by] == [("jorf/decret-83-1261", "40")]
    assert section["R421-43"].status == "TRANSFERE"
    r46 = section["R421-46"]  # a link, then plain text: "Création Décret 73-1023 …"
    assert [r.target_text for r in r46.changed_by] == ["jorf/decret-83-1261", "jorf/decret-73-1023"]
    # "Version en vigueur au 13 novembre 1973" is the date consulted, not a start date
    assert section["R421-1"].start is None and section["R421-1"].status is None


def test_article_page_same_as_corpus_and_api():
    """L822-2 CCH as a (hand-made) article_lc page: same article as the corpus and the API answer."""
    [page] = read(ARTICLE_L822_2)
    [md] = markdown_export.read(str(CORPUS_L822_2), CORPUS_L822_2.read_bytes())
    api_path = FIXTURES / "official" / "piste" / "catleg_getArticle_LEGIARTI000038814944.json"
    [from_api] = piste_json.read(str(api_path), api_path.read_bytes())
    for other in (md, from_api):
        assert page.paragraphs == other.paragraphs
        assert [(k, s.label) for k, s in page.walk()] == [(k, s.label) for k, s in other.walk()]
        assert [(r.target, r.text, r.start, r.end, r.pinpoint) for r in page.all_references] == \
            [(r.target, r.text, r.start, r.end, r.pinpoint) for r in other.all_references]
        assert [h.slug for h in page.hierarchy] == [h.slug for h in other.hierarchy]
        assert uris.article(page.code, page.number) == uris.article(other.code, other.number)
    assert (page.status, page.start, page.end) == ("VIGUEUR", date(2019, 9, 1), None)  # h2.vigor-title
    assert [r.target_text for r in page.changed_by] == [r.target_text for r in from_api.changed_by]


def test_old_site_text_page():
    [text] = read(OLD_TEXT)
    assert isinstance(text, LegalText)
    assert (text.nature, text.number, text.date) == ("arrete", None, date(2000, 1, 12))
    assert text.title.startswith("Arrêté du 12 janvier 2000 portant interdiction de circulation")
    assert (text.nor, text.jorf_id, text.jo_number, text.jo_date) == (
        "INTD0000042A", "JORFTEXT000000567660", "13", date(2000, 1, 16))
    [art] = text.articles
    assert art.number == "snum1" and art.version == "JORFARTI000001181631"
    assert art.paragraphs[0].startswith("Par arrêté du ministre de l'intérieur en date du 12 janvier 2000")


def test_registry_detects_pages():
    for f in [SECTION, OLD_TEXT, ARTICLE_L822_2]:
        assert registry.for_input(f.name, f.read_bytes()[:2048]).format == "legifrance-html"


def test_build_end_to_end(tmp_path):
    store = tmp_path / "store"
    res = CliRunner().invoke(main, ["build", "--quiet", "--store", str(store), str(SECTION), str(OLD_TEXT)])
    assert res.exit_code == 0, res.output
    st_ = open_store(store, read_only=True)
    work = NamedNode(uris.article("code-de-lurbanisme", "R421-17"))
    rows = list(st_.query("SELECT ?by WHERE { ?w <http://data.europa.eu/eli/ontology#changed_by> ?by }", {"w": work}))
    assert {r["by"].value for r in rows} == {"https://data.santelex.fr/jorf/decret/83-1261",
                                             "https://data.santelex.fr/jorf/decret/83-1261/article/40"}
    st_.close()


# --- broken pages ------------------------------------------------------------------------

def test_truncated_page_is_refused_with_its_last_line():
    data = SECTION.read_bytes()
    cut = data[: data.index(b'data-anchor="LEGIARTI000006819049"') + 300]
    with pytest.raises(ReadError) as e:
        read(SECTION, cut)
    assert "truncated" in e.value.message and e.value.line == cut.count(b"\n") + 1


def test_truncated_page_through_the_cli(tmp_path):
    store = tmp_path / "store"
    assert CliRunner().invoke(main, ["build", "--quiet", "--store", str(store), str(ARTICLE_L822_2)]).exit_code == 0
    before = CliRunner().invoke(main, ["export", "--store", str(store), "--format", "nquads"]).output
    f = tmp_path / "page.html"
    data = SECTION.read_bytes()
    f.write_bytes(data[: len(data) // 2])
    res = CliRunner().invoke(main, ["build", "--quiet", "--store", str(store), str(f)])
    assert res.exit_code == 2
    lines = [x for x in res.output.splitlines() if x.strip()]
    assert len(lines) == 1 and "page.html:" in lines[0] and "truncated" in lines[0]
    assert CliRunner().invoke(main, ["export", "--store", str(store), "--format", "nquads"]).output == before


def test_broken_markup_is_repaired():
    """Unclosed tags (the real pages have some) do not lose the article: lxml repairs the tree."""
    data = ARTICLE_L822_2.read_bytes().replace(b"</p>", b"").replace(b"</li>", b"").replace(b"</a>", b"", 3)
    [page] = read(ARTICLE_L822_2, data)
    [clean_page] = read(ARTICLE_L822_2)
    assert page.paragraphs == clean_page.paragraphs and page.number == "L822-2"


def test_pages_without_articles_and_bad_encodings(tmp_path):
    with pytest.raises(ReadError, match="no article on this page"):
        read(SECTION, b"<!DOCTYPE html><html><body><p>Plan du site</p></body></html>")
    latin1 = ARTICLE_L822_2.read_text().replace('<meta charset="utf-8"/>', "").encode("latin-1")
    with pytest.raises(ReadError) as e:
        read(ARTICLE_L822_2, latin1)
    assert "UTF-8" in e.value.message and e.value.line == 4  # first non-ASCII byte: "Légifrance" in <title>
    declared = ARTICLE_L822_2.read_text().replace('charset="utf-8"', 'charset="iso-8859-1"').encode("latin-1")
    assert read(ARTICLE_L822_2, declared)[0].paragraphs == read(ARTICLE_L822_2)[0].paragraphs


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=500) | st.text(max_size=500).map(lambda t: ("<html>" + t + "</html>").encode()))
def test_arbitrary_input_gives_read_error_or_documents(data):
    try:
        list(legifrance_html.read("fuzz.html", data))
    except ReadError:
        pass


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_pages_give_read_error_or_documents(data):
    source = data.draw(st.sampled_from([ARTICLE_L822_2, OLD_TEXT])).read_bytes()
    start = data.draw(st.integers(0, len(source)))
    end = data.draw(st.integers(start, min(len(source), start + 300)))
    junk = data.draw(st.binary(max_size=20) | st.sampled_from(
        [b"", b"<div class='content'>", b"<p class='date'><a href='/jorf/id/JORFTEXT1'>Abrog\xc3\xa9 par x</a>",
         b"data-num=''", b"</article>", b"<p class='name-article' data-anchor='X'>"]))
    try:
        list(legifrance_html.read("mutant.html", source[:start] + junk + source[end:]))
    except ReadError:
        pass
