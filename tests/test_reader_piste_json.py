"""Legifrance API (PISTE) answers (issue 8): real getArticle, consult/jorf and lastNJo answers."""
import json
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
from santelex.ingest import markdown_export, piste_json, registry
from santelex.ingest.to_rdf import to_quads
from santelex.model import Article, LegalText
from santelex.store import open_store

FIXTURES = Path(__file__).parent / "fixtures"
PISTE = FIXTURES / "official" / "piste"
L822_2 = PISTE / "catleg_getArticle_LEGIARTI000038814944.json"
CORPUS_L822_2 = next((FIXTURES / "corpus").rglob("l822-2.md"))
ELI = "http://data.europa.eu/eli/ontology#"


def read(path: Path):
    return list(piste_json.read(str(path), path.read_bytes()))


def test_get_article_of_a_code():
    [art] = read(L822_2)
    assert isinstance(art, Article)
    assert (art.code, art.number) == ("code-de-la-construction-et-de-lhabitation", "L822-2")
    assert art.legiarti == art.version == "LEGIARTI000038814944"
    assert (art.status, art.start, art.end) == ("VIGUEUR", date(2019, 9, 1), None)  # 32472144000000: open
    assert [h.title for h in art.hierarchy][:2] == ["Partie législative", "Livre VIII : AIDES PERSONNELLES AU LOGEMENT"]
    [created] = art.changed_by  # lienModifications: CREE, orientation cible
    assert created.target_text == "jorf/ordonnance-2019-770"


def test_same_article_from_the_api_and_from_the_corpus():
    """L822-2 CCH: the API answer and the Markdown corpus give the same article (issue 8)."""
    [api_art] = read(L822_2)
    [md] = markdown_export.read(str(CORPUS_L822_2), CORPUS_L822_2.read_bytes())
    assert api_art.paragraphs == md.paragraphs
    assert [(k, s.kind, s.label, s.alinea) for k, s in api_art.walk()] == \
        [(k, s.kind, s.label, s.alinea) for k, s in md.walk()]
    assert [(k, [(r.target, r.pinpoint, r.text, r.start, r.end) for r in s.references]) for k, s in api_art.walk()] == \
        [(k, [(r.target, r.pinpoint, r.text, r.start, r.end) for r in s.references]) for k, s in md.walk()]
    assert [r.target for r in api_art.all_references] == ["code-de-la-securite-sociale/L512-2"]
    assert uris.article(api_art.code, api_art.number) == uris.article(md.code, md.number)
    assert [h.slug for h in api_art.hierarchy] == [h.slug for h in md.hierarchy]

    def uris_of(doc, predicate):
        return {q.object.value for q in to_quads(doc, "x") if q.predicate.value == ELI + predicate}

    # same work, same work subdivisions (what each version realizes), same cited works and pinpoints
    assert uris_of(api_art, "realizes") == uris_of(md, "realizes")
    assert uris_of(api_art, "cites") == uris_of(md, "cites")
    assert uris_of(api_art, "is_part_of") >= {uris.article(md.code, md.number)}


def test_citation_links_resolve_inline_links_the_href_cannot():
    [text] = read(PISTE / "catleg_getArticle_LEGIARTI000046790860.json")
    assert isinstance(text, LegalText)
    assert (text.nature, text.number, text.date, text.nor) == ("decret", "2022-469", date(2022, 4, 1), "MICE2138264D")
    [art] = text.articles
    assert art.code is None and art.number == "3" and art.legiarti == "LEGIARTI000046790860"
    refs = [(r.text, r.target) for r in art.all_references]
    assert ("3-1", "jorf/decret-2006-781") in refs and ("7-1", "jorf/decret-2006-781") in refs
    assert ("articles 2044 à 2052 du code civil", "code-civil/2044") in refs
    assert all(r.resolved for r in art.all_references)
    assert art.nota.startswith("Conformément à l'article 89 du décret n° 2022-1605")


def test_code_slug_follows_the_corpus():
    [art] = read(PISTE / "catleg_getArticle_LEGIARTI000006302217.json")
    assert (art.code, art.number) == ("code-general-des-impots-cgi", "14")  # the corpus's slug of the CGI
    assert {r.target for r in art.all_references} == {"code-general-des-impots-cgi/15", "code-civil/525"}
    assert [(r.target_text, r.target_article) for r in art.changed_by] == [("jorf/loi-2001-1275", "11")]


def test_article_of_a_jo_text():
    [text] = read(PISTE / "catleg_getArticle_JORFARTI000046186676.json")
    assert (text.nature, text.number, text.jorf_id, text.jo_number) == ("loi", "2022-1157", "JORFTEXT000046186661", "189")
    assert text.eli == "https://www.legifrance.gouv.fr/eli/loi/2022/8/16/ECOX2218099L/jo/texte"
    [art] = text.articles
    assert art.number == "5" and art.version == "loi-2022-1157"  # the JO version, as the JO-text reader keys it
    assert [k for k, _ in art.walk()][:3] == [("I",), ("I", "alinea-2"), ("II",)]


def test_consult_jorf_whole_text():
    [text] = read(PISTE / "legifrance-rss_consult_jorf_JORFTEXT000042665307.json")
    assert (text.nature, text.number, text.date) == ("loi", "2020-1576", date(2020, 12, 14))
    assert (text.jo_number, text.jo_date, text.nor) == ("302", date(2020, 12, 15), "ECOX2023815L")
    assert len(text.articles) == 111
    assert text.signatories[:2] == ("Emmanuel Macron", "Jean Castex")
    art13 = next(a for a in text.articles if a.number == "13")
    assert art13.hierarchy[-1].title.startswith("Chapitre Ier")
    assert art13.paragraphs[0].startswith("Il est institué au titre de l'année 2021 une contribution exceptionnelle")


@pytest.mark.parametrize("name", ["catleg_getArticle_CETATEXT000035260342.json",
                                  "legifrance-rss_consult_lastNJo_example.json"])
def test_answers_without_legislation_yield_nothing(name):
    assert read(PISTE / name) == []


def test_other_json_is_refused():
    with pytest.raises(ReadError, match="not a Legifrance API answer"):
        read(PISTE / "legifrance-api-openapi-2.4.2.json")
    with pytest.raises(ReadError, match="no article"):
        piste_json.read("x.json", b'{"executionTime": 1, "article": null}')
    with pytest.raises(ReadError, match=r"article\.num: expected a string"):
        piste_json.read("x.json", b'{"article": {"num": [1], "textTitles": [{"nature": "CODE"}]}}')
    with pytest.raises(ReadError, match="dateDebut"):
        piste_json.read("x.json", b'{"article": {"num": "L1", "dateDebut": "hier"}}')


def test_malformed_json_names_file_and_line():
    data = L822_2.read_bytes()
    cut = data[: len(data) // 2]
    with pytest.raises(ReadError) as e:
        piste_json.read("cut.json", cut)
    assert e.value.file == "cut.json" and e.value.line == cut.count(b"\n") + 1
    with pytest.raises(ReadError) as e:
        piste_json.read("latin1.json", '{\n"article": {\n"num": "é"}}'.encode("latin-1"))
    assert e.value.line == 3 and "UTF-8" in e.value.message
    with pytest.raises(ReadError):
        piste_json.read("deep.json", b"[" * 100000)


def test_registry_detects_api_answers():
    for f in PISTE.glob("catleg_*.json"):
        assert registry.for_input(f.name, f.read_bytes()[:2048]).format == "piste-json", f.name


def test_build_end_to_end(tmp_path):
    store = tmp_path / "store"
    res = CliRunner().invoke(main, ["build", "--quiet", "--store", str(store), str(L822_2), str(CORPUS_L822_2)])
    assert res.exit_code == 0, res.output
    st_ = open_store(store, read_only=True)
    work = NamedNode(uris.article("code-de-la-construction-et-de-lhabitation", "L822-2"))
    rows = list(st_.query("SELECT ?v WHERE { ?w <http://data.europa.eu/eli/ontology#is_realized_by> ?v }", {"w": work}))
    assert len(rows) == 2  # one work, two expressions: the API's (LEGIARTI key) and the corpus's
    st_.close()


def test_bad_json_through_the_cli(tmp_path):
    f = tmp_path / "answer.json"
    f.write_bytes(b'{"executionTime": 3,\n "article": {"num": "L1",\n}')
    res = CliRunner().invoke(main, ["build", "--quiet", "--store", str(tmp_path / "store"), str(f)])
    assert res.exit_code == 2
    lines = [x for x in res.output.splitlines() if x.strip()]
    assert len(lines) == 1 and "answer.json:3:" in lines[0] and "malformed JSON" in lines[0]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["article", "num", "id", "texteHtml", "context", "titresTM", "titreTxt", "textTitles",
                         "nature", "dateDebut", "dateFin", "lienCitations", "lienModifications", "sections",
                         "articles", "content", "title", "cid", "xPath", "titre", "linkType", "text"]),
        children, max_size=5),
    max_leaves=25)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_arbitrary_json_gives_read_error_or_documents(value):
    try:
        list(piste_json.read("fuzz.json", json.dumps(value).encode()))
    except ReadError:
        pass


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_arbitrary_bytes(data):
    try:
        list(piste_json.read("fuzz.json", data))
    except ReadError:
        pass
