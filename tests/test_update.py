"""santelex update (issue 8): the store follows Legifrance, from the API or from DILA archives,
and says what changed, article by article, with the date and the amending text."""
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from legifrance_server import CLIENT_ID, CLIENT_SECRET, FakeLegifrance
from test_archives import ANNEX, D215_16, LEGI, REPEALED, base_path, before_repeal, pack

from santelex import builder
from santelex.builder import archives
from santelex.cli import main
from santelex.store import open_store

CORPUS_L822_2 = next((Path(__file__).parent / "fixtures" / "corpus").rglob("l822-2.md"))


@pytest.fixture(scope="module")
def server():
    fake = FakeLegifrance().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake(server):
    server.today, server.requests = None, []
    return server


@pytest.fixture(autouse=True)
def environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LEGIFRANCE_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("LEGIFRANCE_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("SANTELEX_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def run(fake, tmp_path, *args):
    """The CLI against the stand-in, its rate limit raised (--rate): no test waits on the limiter."""
    return CliRunner().invoke(main, [args[0], "--api-url", fake.api_url, "--token-url", fake.token_url,
                                     "--rate", "1000", "--store", str(tmp_path / "store"), *args[1:]])


def test_from_the_api_a_new_version(fake, tmp_path):
    fake.today = date(2022, 6, 1)  # CGI article 13 in its 7th version
    assert run(fake, tmp_path, "fetch", "--code", "cgi").exit_code == 0
    fake.today, fake.requests = None, []  # now: the 8th, in force since 2023-01-01
    res = run(fake, tmp_path, "update")
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert "modified  code-general-des-impots-cgi 13  2023-01-01  by loi n° 2021-1900, art. 79" in lines
    assert "1 article changed (1 modified); 3 calls to Legifrance" in lines
    # today's table of contents, the new version, the old one again (now ended): nothing else
    assert [(e, p.get("id")) for e, p in fake.requests] == [
        ("/consult/legi/tableMatieres", None), ("/consult/getArticle", "LEGIARTI000044983201"),
        ("/consult/getArticle", "LEGIARTI000037991024")]
    fake.requests = []
    res = run(fake, tmp_path, "update")
    assert "the store is up to date; 1 calls to Legifrance" in res.output
    assert [e for e, _ in fake.requests] == ["/consult/legi/tableMatieres"]


def test_from_the_api_a_followed_code_gains_an_article(fake, tmp_path):
    assert run(fake, tmp_path, "fetch", "CGI 14", "--no-versions").exit_code == 0
    (tmp_path / "config.toml").write_text('[update]\ncodes = ["cch"]\n')
    res = run(fake, tmp_path, "update")
    assert res.exit_code == 0, res.output
    assert ("added     code-de-la-construction-et-de-lhabitation L822-2  2019-09-01  by ordonnance n° 2019-770"
            in res.stdout.splitlines())


def test_an_article_of_the_corpus_gets_its_legifrance_id_without_a_change(fake, tmp_path):
    builder.build([CORPUS_L822_2], tmp_path / "store")
    res = run(fake, tmp_path, "update")
    assert res.exit_code == 0, res.output
    assert "the store is up to date" in res.output  # the same text: not a change of the law
    store = open_store(tmp_path / "store")
    assert store.query('ASK { ?v <http://data.europa.eu/eli/ontology#id_local> "LEGIARTI000038814944" }')


def test_from_dila_archives(fake, tmp_path):
    folder = tmp_path / "dila"
    folder.mkdir()
    common = {base_path(data): data for name, data in LEGI.items() if name not in (REPEALED, ANNEX)}
    pack(folder / "Freemium_legi_global_20231206-100000.tar.gz",
         list(common.items()) + [(base_path(LEGI[REPEALED]), before_repeal(LEGI[REPEALED]))])
    pack(folder / "LEGI_20231207-213025.tar.gz", [(base_path(LEGI[n]), LEGI[n]) for n in (REPEALED, ANNEX)],
         prefix="20231207-213025/")
    pack(folder / "LEGI_20231208-212958.tar.gz",
         [("liste_suppression_legi.dat", base_path(LEGI[D215_16])[:-4].encode() + b"\n")], prefix="20231208-212958/")
    (tmp_path / "config.toml").write_text(f'[update]\nsource = "archives"\narchives = "{folder}"\n')
    res = run(fake, tmp_path, "update")  # a store that never read a full dump starts from the newest
    assert res.exit_code == 0, res.output
    assert archives.read_state(open_store(tmp_path / "store"))["legi"] == "20231208-212958"
    assert "3 archive(s) applied" in res.output
    builder.build([folder / "Freemium_legi_global_20231206-100000.tar.gz"], tmp_path / "daily")
    res = CliRunner().invoke(main, ["update", "--store", str(tmp_path / "daily")])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[:3] == [
        "added     code-de-laction-sociale-et-des-familles Annexe 2-4  2004-10-26  by décret n° 2007-1574, art. 1",
        "repealed  code-des-instruments-monetaires-et-des-medailles 1  2001-01-01  by texte JORFTEXT000000574488, art. 4",
        "removed   code-de-la-consommation D215-16  —",
    ]
    res = CliRunner().invoke(main, ["update", "--store", str(tmp_path / "daily")])
    assert "no archive in" in res.output and "the store is up to date" in res.output
    assert not fake.requests


def test_nothing_to_update_from(fake, tmp_path):
    res = run(fake, tmp_path, "update")
    assert res.exit_code == 2 and "the store is empty" in res.output
    builder.build([CORPUS_L822_2], tmp_path / "store")
    res = run(fake, tmp_path, "update", "--source", "archives")
    assert res.exit_code == 2 and "no folder of DILA archives" in res.output
