"""santelex fetch (issue 8): the Legifrance API client against a local stand-in of the API.

The stand-in (tests/legifrance_server.py) answers over HTTP with the real recorded answers and
with answers built from DILA's API description; the client is pointed at it by --api-url and
--token-url.  No test calls the real service.
"""
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from legifrance_server import CLIENT_ID, CLIENT_SECRET, FakeLegifrance

from santelex import builder, uris
from santelex.builder import files
from santelex.cli import main
from santelex.errors import FetchError, UsageError
from santelex.sources import legifrance
from santelex.store import open_store

PISTE = Path(__file__).parent / "fixtures" / "official" / "piste"
L822_2 = PISTE / "catleg_getArticle_LEGIARTI000038814944.json"
CCH = "https://data.santelex.fr/code/code-de-la-construction-et-de-lhabitation/article/"
CGI = "https://data.santelex.fr/code/code-general-des-impots-cgi/article/"
P = "PREFIX eli: <http://data.europa.eu/eli/ontology#> PREFIX slx: <https://data.santelex.fr/ontology#> "


@pytest.fixture(scope="module")
def server():
    fake = FakeLegifrance().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake(server):
    server.today, server.fail, server.always, server.retry_after = None, [], None, None
    server.malformed, server.lifetime, server.requests, server.token_requests = set(), 3600, [], 0
    server.not_in_force = set()
    return server


@pytest.fixture(autouse=True)
def environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LEGIFRANCE_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("LEGIFRANCE_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("SANTELEX_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def run(fake, tmp_path, *args):
    """The CLI against the stand-in, its rate limit raised (--rate): no test waits on the limiter."""
    return CliRunner().invoke(main, [args[0], "--api-url", fake.api_url, "--token-url", fake.token_url,
                                     "--rate", "1000", "--store", str(tmp_path / "store"), *args[1:]])


class Clock:
    """Time that passes only when the client sleeps (no test waits for real)."""

    def __init__(self):
        self.now, self.waits = 1000.0, []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.waits.append(seconds)
        self.now += seconds


def client(fake, tmp_path, clock=None, **config):
    """A client on the stand-in whose waits (limiter, backoff) pass on a clock of its own."""
    cfg = legifrance.load_config(tmp_path / "none.toml", api_url=fake.api_url, token_url=fake.token_url,
                                 cache=tmp_path / "cache", **{"rate": 1000.0, **config})
    clock = clock or Clock()
    return legifrance.Client(cfg, clock=clock, sleep=clock.sleep)


def triples(path: Path, sources: list[str]) -> list[str]:
    """The store's triples, its source nodes named alike and their labels left out."""
    store = ox.Store.read_only(str(path))
    out = []
    nodes = {str(ox.NamedNode(uris.source(s))) for s in sources}
    for t in store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", use_default_graph_as_union=True):
        line = str(t)
        if any(line.startswith(n) and "rdf-schema#label" in line for n in nodes):
            continue
        for n in nodes:
            line = line.replace(n, "<source>")
        out.append(line)
    return sorted(out)


def test_fetch_an_article_as_reading_the_recorded_answer(fake, tmp_path):
    res = run(fake, tmp_path, "fetch", "CCH L822-2")
    assert res.exit_code == 0, res.output
    assert "L822-2 (LEGIARTI000038814944)" in res.output
    assert [e for e, _ in fake.requests] == ["/consult/getArticleWithIdAndNum"]
    builder.build([L822_2], tmp_path / "direct")
    fetched = triples(tmp_path / "store", ["legifrance/article/LEGIARTI000038814944"])
    assert fetched == triples(tmp_path / "direct", [files.graph_name(L822_2, str(L822_2))])
    assert any(f"<{CCH}L822-2/I/2>" in t for t in fetched)  # the subdivisions, under the same URIs
    res = CliRunner().invoke(main, ["show", "--store", str(tmp_path / "store"), "code-de-la-construction-et-de-lhabitation/L822-2"])
    assert res.exit_code == 0 and "LEGIARTI000038814944  2019-09-01" in res.output


def test_every_version_with_its_dates_and_a_second_fetch_makes_no_call(fake, tmp_path):
    res = run(fake, tmp_path, "fetch", "CGI 13")
    assert res.exit_code == 0, res.output
    assert "fetched 8 answers (8 calls" in res.output
    store = ox.Store.read_only(str(tmp_path / "store"))
    rows = list(store.query(P + f"SELECT ?id ?start ?end WHERE {{ <{CGI}13> eli:is_realized_by ?v . "
                            "?v eli:id_local ?id ; eli:first_date_entry_in_force ?start . "
                            "OPTIONAL { ?v eli:date_no_longer_in_force ?end } }", use_default_graph_as_union=True))
    spans = sorted((r["start"].value, r["end"].value if r["end"] else None) for r in rows)
    assert len(spans) == 8 and spans[0] == ("1979-07-01", "1979-12-22") and spans[-1] == ("2023-01-01", None)
    del store
    calls = fake.calls()
    res = run(fake, tmp_path, "fetch", "CGI 13")
    assert res.exit_code == 0 and fake.calls() == calls
    assert "(0 calls to Legifrance, 8 from the cache)" in res.output


def test_an_article_no_longer_in_force_is_found_by_the_search(fake, tmp_path):
    fake.not_in_force = {"13"}
    with client(fake, tmp_path) as c:
        fetched = legifrance.fetch(c, "CGI 13")
    assert [e for e, _ in fake.requests][:3] == ["/consult/getArticleWithIdAndNum", "/search", "/consult/getArticle"]
    assert fetched.answers[0][0] == "legifrance/article/LEGIARTI000044983201" and len(fetched.answers) == 8


def test_texts_by_id_nor_and_number(fake, tmp_path):
    res = run(fake, tmp_path, "fetch", "JORFTEXT000042665307", "ECOX2023815L", "loi n° 2020-1576")
    assert res.exit_code == 0, res.output
    assert [e for e, _ in fake.requests] == ["/consult/jorf", "/consult/getJoWithNor", "/search"]
    assert "fetched 1 answers" in res.output  # the three name one text
    store = ox.Store.read_only(str(tmp_path / "store"))
    assert store.query(P + 'ASK { <https://data.santelex.fr/jorf/loi/2020-1576> eli:id_local "ECOX2023815L" ; '
                       "eli:has_part ?article }", use_default_graph_as_union=True)


def test_a_whole_code(fake, tmp_path):
    fake.today = __import__("datetime").date(2022, 6, 1)
    res = run(fake, tmp_path, "fetch", "--code", "cgi")
    assert res.exit_code == 0, res.output
    assert [e for e, _ in fake.requests] == ["/consult/legi/tableMatieres"] + ["/consult/getArticle"] * 2
    store = open_store(tmp_path / "store")
    assert legifrance.followed_codes(store) == {"code-general-des-impots-cgi"}
    ids = {r["id"].value for r in store.query(P + "SELECT ?id WHERE { ?v eli:id_local ?id }")}
    assert {"LEGIARTI000037991024", "LEGIARTI000006302217"} <= ids  # in force on 2022-06-01


def test_an_interrupted_code_fetch_resumes_from_the_cache(fake, tmp_path):
    fake.malformed = {"LEGIARTI000044983201"}  # the second article's answer breaks
    res = run(fake, tmp_path, "fetch", "--code", "cgi")
    assert res.exit_code == 2 and "malformed JSON" in res.output and not (tmp_path / "store").exists()
    fake.malformed, fake.requests = set(), []
    res = run(fake, tmp_path, "fetch", "--code", "cgi")
    assert res.exit_code == 0, res.output
    assert fake.requests == [("/consult/getArticle", {"id": "LEGIARTI000044983201"})]  # only what was missing


def test_a_bad_api_url(fake, tmp_path):
    res = CliRunner().invoke(main, ["fetch", "--api-url", "notaurl", "--token-url", fake.token_url, "--rate", "1000",
                                    "--store", str(tmp_path / "store"), "CCH L822-2"])
    assert res.exit_code == 2 and "cannot ask" in res.output and "Traceback" not in res.output


def test_wrong_or_missing_credentials(fake, tmp_path, monkeypatch):
    monkeypatch.setenv("LEGIFRANCE_CLIENT_SECRET", "wrong")
    res = run(fake, tmp_path, "fetch", "CCH L822-2")
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1
    assert "LEGIFRANCE_CLIENT_ID" in res.output and "LEGIFRANCE_CLIENT_SECRET" in res.output
    monkeypatch.delenv("LEGIFRANCE_CLIENT_ID")
    monkeypatch.delenv("LEGIFRANCE_CLIENT_SECRET")
    res = run(fake, tmp_path, "fetch", "CCH L822-2")
    assert res.exit_code == 2 and "no Legifrance API credentials: set LEGIFRANCE_CLIENT_ID and " \
                                  "LEGIFRANCE_CLIENT_SECRET" in res.output
    assert not (tmp_path / "store").exists() and not fake.requests


def test_an_expired_token_is_renewed(fake, tmp_path):
    clock = Clock()
    with client(fake, tmp_path, clock) as c:
        c.article("LEGIARTI000038814944")
        fake.expire_tokens()  # revoked early: the API says 401, the client asks for a new token
        c.article("LEGIARTI000006302217")
        assert fake.token_requests == 2
        clock.now += 3600  # expired by its own expires_in: renewed before asking
        c.article("LEGIARTI000044983201")
        assert fake.token_requests == 3 and c.calls == 4


def test_429_storm_backs_off_then_says_so(fake, tmp_path):
    fake.always, fake.retry_after = 429, "7"
    clock = Clock()
    with client(fake, tmp_path, clock, retries=3) as c, pytest.raises(FetchError) as e:
        c.article("LEGIARTI000038814944")
    assert "429 Too Many Requests" in str(e.value) and "quota" in str(e.value)
    assert [w for w in clock.waits if w > 0.01] == [7, 7, 7]  # Retry-After honoured
    fake.retry_after, clock = None, Clock()
    with client(fake, tmp_path, clock, retries=3) as c, pytest.raises(FetchError):
        c.article("LEGIARTI000038814944")
    assert [w for w in clock.waits if w > 0.01] == [1, 2, 4]  # exponential backoff
    (tmp_path / "config.toml").write_text("[legifrance]\nbackoff = 0.001\nretries = 2\n")
    res = run(fake, tmp_path, "fetch", "--config", str(tmp_path / "config.toml"), "CCH L822-2")
    assert res.exit_code == 2 and "429 Too Many Requests" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "store").exists()


def test_server_errors_are_retried(fake, tmp_path):
    fake.fail = [503, 502]
    clock = Clock()
    with client(fake, tmp_path, clock) as c:
        value, _ = c.article("LEGIARTI000038814944")
    assert value["article"]["num"] == "L822-2" and [w for w in clock.waits if w > 0.01] == [1, 2]


def test_malformed_json_is_refused_and_not_cached(fake, tmp_path):
    fake.malformed = {"/consult/getArticle"}
    with client(fake, tmp_path) as c, pytest.raises(FetchError, match="malformed JSON"):
        c.article("LEGIARTI000038814944")
    assert not list((tmp_path / "cache").rglob("*.json"))


def test_the_rate_option_reaches_the_client(fake, tmp_path):
    res = run(fake, tmp_path, "fetch", "CCH L822-2", "--rate", "0")
    assert res.exit_code == 2 and "rate must be positive" in res.output and not fake.requests


def test_unknown_article_gives_the_nearest_numbers(fake, tmp_path):
    res = run(fake, tmp_path, "fetch", "CCH L822-99")
    assert res.exit_code == 2
    assert "Legifrance has no article L822-99 in the code-de-la-construction-et-de-lhabitation; nearest: L822-9" in res.output


def test_rate_limit(fake, tmp_path):
    clock = Clock()
    with client(fake, tmp_path, clock, rate=2.0) as c:
        for ident in ("LEGIARTI000038814944", "LEGIARTI000006302217", "LEGIARTI000044983201"):
            c.article(ident)
    assert clock.waits == [0.5, 0.5, 0.5]  # token, then three calls: never faster than 2 a second


def test_config_file(tmp_path, monkeypatch):
    monkeypatch.delenv("LEGIFRANCE_CLIENT_ID")
    f = tmp_path / "config.toml"
    f.write_text('[legifrance]\nclient_id = "from-file"\nclient_secret = "s"\nsandbox = true\nrate = 2\n'
                 '[update]\nsource = "archives"\narchives = "~/dila"\ncodes = ["csp"]\n')
    c = legifrance.load_config(f)
    assert (c.client_id, c.client_secret) == ("from-file", CLIENT_SECRET)  # the environment wins
    assert c.api_url == legifrance.SANDBOX_API and c.token_url == legifrance.SANDBOX_TOKEN
    assert (c.rate, c.source, c.codes, c.archives.name) == (2, "archives", ("csp",), "dila")
    assert legifrance.load_config(f, api_url="http://x").api_url == "http://x"
    f.write_text('[legifrance]\nclient_id = "x"\nrate = \n')
    with pytest.raises(UsageError) as e:
        legifrance.load_config(f)
    assert e.value.line == 3
    f.write_text('[legifrance]\nclientid = "x"\n')
    with pytest.raises(UsageError, match="unknown key"):
        legifrance.load_config(f)


def test_cache_names():
    assert legifrance.cache_key({"id": "LEGIARTI000038814944"}) == "LEGIARTI000038814944"
    key = legifrance.cache_key({"textId": "LEGITEXT000006072665", "date": "2024-01-01", "nature": "CODE"})
    assert key.startswith("2024-01-01_CODE_LEGITEXT000006072665-") and "/" not in key
    assert legifrance.cache_key({"nor": "../../etc"}) != "../../etc"


def test_code_names():
    from santelex.lookup import split
    assert split("CSP R1434-4") == ("code-de-la-sante-publique", "R1434-4")
    assert split("CGI 13") == ("code-general-des-impots-cgi", "13")
    assert split("D. 712-2") == (None, "D712-2")
