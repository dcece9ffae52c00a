"""Hostile requests to the real `santelex serve` (issue 14, the server's side).

SERVICE (refused unless allowed, proved by a real HTTP listener that no request reaches),
any query text (no worker dies), body caps, a build swapping the store under a running
server, junk in page parameters, CSV cells a spreadsheet would run, uploads past the caps.
"""
from __future__ import annotations

import csv
import http.server
import io
import random
import socketserver
import subprocess
import threading
import zipfile

import httpx
import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from santelex import builder, paths
from santelex.store import open_store
from santelex.store import sparql as sparql_text
from tests.test_serve import SANTELEX, free_port, start, stop
from tests.test_web import ERREURS, client, soup, upload, web  # noqa: F401  (fixtures: the web server)


class Listener:
    """A real HTTP server on loopback that records every request and answers empty results."""

    def __init__(self):
        self.hits: list[str] = []
        hits = self.hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                hits.append(self.path)
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                body = b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"remote"}}]}}'
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def listener():
    lst = Listener()
    yield lst
    lst.close()


@pytest.fixture(scope="module")
def endpoint(seed_store):
    port = free_port()
    url = f"http://127.0.0.1:{port}/sparql"
    proc = start(["--store", str(seed_store.path), "--port", str(port), "--timeout", "5", "--workers", "1"], url)
    yield url
    stop(proc)


def service_queries(url: str) -> list[str]:
    base = url.rsplit("/", 1)[0] + "/"
    return [
        f"SELECT * WHERE {{ SERVICE <{url}> {{ ?x ?p ?o }} }}",
        f"select * where {{ service <{url}> {{ ?x ?p ?o }} }}",
        f"SELECT * WHERE {{ SeRvIcE SILENT <{url}> {{ ?x ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE # a comment\n <{url}> {{ ?x ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE<{url}>{{ ?x ?p ?o }} }}",
        f"PREFIX r: <{base}> SELECT * WHERE {{ SERVICE r:sparql {{ ?x ?p ?o }} }}",
        f"PREFIX : <{base}> SELECT * WHERE {{ SERVICE:sparql {{ ?x ?p ?o }} }}",
        f"SELECT * WHERE {{ BIND(<{url}> AS ?u) SERVICE ?u {{ ?x ?p ?o }} }}",
        "SELECT * WHERE { SERVICE ?u { ?x ?p ?o } }",
        f"ASK {{ FILTER EXISTS {{ SERVICE <{url}> {{ ?x ?p ?o }} }} }}",
        f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <{url}> {{ ?x ?p ?o }} }} }} }}",
        f'SELECT * WHERE {{ BIND("""a"b""c""" AS ?s) SERVICE <{url}> {{ ?x ?p ?o }} }}',
        f"BASE <{base}> SELECT * WHERE {{ SERVICE <sparql> {{ ?x ?p ?o }} }}",
    ]


def test_service_is_refused_and_no_request_leaves(endpoint, listener):
    base = endpoint.rsplit("/sparql", 1)[0]
    for text in service_queries(listener.url):
        for r in (httpx.get(endpoint, params={"query": text}, timeout=30),
                  httpx.post(endpoint, data={"query": text}, timeout=30),
                  httpx.post(endpoint, content=text.encode(), timeout=30,
                             headers={"Content-Type": "application/sparql-query"})):
            assert r.status_code == 400, (text, r.status_code, r.text)
            assert r.text.count("\n") == 1 and "SERVICE is refused" in r.text
        page = httpx.post(base + "/requete", data={"requete": text}, timeout=30)
        assert page.status_code == 400 and "SERVICE is refused" in soup(page).select_one("p.alerte").get_text()
    assert listener.hits == []


@pytest.mark.parametrize("text", [
    'SELECT ?s WHERE { ?s ?p "SERVICE <http://127.0.0.1:9/> { }" } LIMIT 1',
    "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1 # SERVICE <http://127.0.0.1:9/> { }",
    "SELECT ?service WHERE { ?service ?p <http://example.org/SERVICE> } LIMIT 1",
    "PREFIX e: <http://example.org/> SELECT ?s WHERE { ?s e:SERVICE ?o } LIMIT 1",
])
def test_service_in_strings_comments_iris_and_names_is_not_a_service(endpoint, text):
    assert sparql_text.services(text) == []
    assert httpx.get(endpoint, params={"query": text}, timeout=30).status_code == 200


def test_allowed_hosts_only(seed_store, listener, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}/sparql"
    proc = start(["--store", str(seed_store.path), "--port", str(port), "--timeout", "10", "--workers", "1",
                  "--allow-service", f"127.0.0.1:{listener.port}"], url)
    try:
        ok = httpx.get(url, params={"query": f"SELECT ?x WHERE {{ SERVICE <{listener.url}> {{ ?x ?p ?o }} }}"},
                       timeout=30)
        assert ok.status_code == 200 and "remote" in ok.text
        reached = len(listener.hits)
        assert reached >= 1
        for text in (f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{free_port()}/x> {{ ?x ?p ?o }} }}",
                     f"SELECT * WHERE {{ BIND(<{listener.url}> AS ?u) SERVICE ?u {{ ?x ?p ?o }} }}",
                     f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener.port}@localhost:1/> {{ ?x ?p ?o }} }}"):
            r = httpx.get(url, params={"query": text}, timeout=30)
            assert r.status_code == 400 and "refused" in r.text, text
        assert len(listener.hits) == reached
    finally:
        stop(proc)
        listener.hits.clear()
    bad = subprocess.run([SANTELEX, "serve", "--store", str(seed_store.path), "--allow-service", "http://x/y"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--allow-service" in bad.stderr and "Traceback" not in bad.stderr


# -- the lexer against Oxigraph itself: whatever reaches a listener was seen -------------------------

FRAGMENTS = ["SERVICE", "service", "SeRvIcE", "SILENT", "SERVICE:", ":s", "?u", "<{url}>", "{", "}", " ", "\n",
             "#", '"', "'", '"""', "\\", "\\#", "e:", "e:a", "true", "1", ".", "BIND(<{url}> AS ?u)", "?s ?p ?o",
             "FILTER(1<2)", "OPTIONAL", "UNION", "EXISTS", "(", ")"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=12))
def test_every_service_oxigraph_runs_is_seen(listener, parts):
    text = (f"PREFIX e: <http://example.org/> PREFIX : <{listener.url}> SELECT * WHERE {{ "
            + "".join(parts).replace("{url}", listener.url) + " }")
    before = len(listener.hits)
    try:
        res = ox.Store().query(text)
        if isinstance(res, ox.QuerySolutions):
            list(res)
    except (SyntaxError, OSError, RuntimeError, ValueError):
        pass
    if len(listener.hits) > before:
        assert sparql_text.services(text), text


# -- any query text: no worker dies, no traceback -------------------------------------------------

@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(["SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "*", "WHERE", "{", "}", "?s", "?p", "?o",
                              "SERVICE", "?u", "BIND", "(", ")", "AS", "<http://a/>", '"x"', "1", ".", "FILTER",
                              "REGEX", "GROUP BY", "VALUES", "UNDEF", "LIMIT", "OFFSET", "-1", "#", "\n",
                              "PREFIX", "a:", "\\u0000", "<<", ">>", "LATERAL"]),
             max_size=25).map(" ".join)))
def test_any_query_text_gets_an_answer_and_the_worker_lives(endpoint, text):
    r = httpx.post(endpoint, content=text.encode("utf-8", "surrogatepass"), timeout=30,
                   headers={"Content-Type": "application/sparql-query"})
    assert r.status_code in (200, 400, 403, 406, 503), (text, r.status_code, r.text)
    assert "Traceback" not in r.text and r.text.count("\n") <= 1 or r.status_code == 200
    alive = httpx.get(endpoint, params={"query": "ASK { }"}, timeout=30)
    assert alive.status_code == 200


@pytest.mark.parametrize("text", [
    "SELECT * WHERE { FILTER(" + "(" * 100_000 + "1" + ")" * 100_000 + ") }",
    "SELECT * WHERE " + "{" * 100_000 + "}" * 100_000,
])
def test_deep_nesting_is_refused_before_the_parser_overflows(endpoint, seed_store, text, tmp_path):
    r = httpx.post(endpoint, content=text.encode(), headers={"Content-Type": "application/sparql-query"}, timeout=60)
    assert r.status_code == 400 and "brackets nest 100" in r.text
    assert httpx.get(endpoint, params={"query": "ASK { }"}, timeout=30).status_code == 200
    deep = tmp_path / "deep.rq"
    deep.write_text(text, encoding="utf-8")
    cli = subprocess.run([SANTELEX, "query", "--store", str(seed_store.path), "--file", str(deep)],
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode == 2 and "brackets nest" in cli.stderr and "Traceback" not in cli.stderr


# -- body caps --------------------------------------------------------------------------------------

def test_query_bodies_are_capped_on_the_bytes_received(endpoint):
    big = b"# " + b"x" * (2 * 1024 * 1024) + b"\nASK {}"
    for kwargs in ({"content": big, "headers": {"Content-Type": "application/sparql-query"}},
                   {"content": b"query=" + big, "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
                   # no Content-Length at all: a chunked body, counted as it comes
                   {"content": iter([big[i:i + 65536] for i in range(0, len(big), 65536)]),
                    "headers": {"Content-Type": "application/sparql-query"}}):
        r = httpx.post(endpoint, timeout=60, **kwargs)
        assert r.status_code == 413 and "at most 1024 KiB" in r.text, r.text
    base = endpoint.rsplit("/sparql", 1)[0]
    chunks = iter([b"requete=" + b"x" * 65536] + [b"x" * 65536] * 40)
    r = httpx.post(base + "/requete", content=chunks, timeout=60,
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413
    assert httpx.get(endpoint, params={"query": "ASK { }"}).status_code == 200


# -- CSV cells, parameters, page parameters ------------------------------------------------------------

def test_csv_cells_a_spreadsheet_would_run_are_quoted(endpoint):
    text = ('SELECT ?a ?b ?c ?d ?n WHERE { BIND("=cmd|\' /C calc\'!A0" AS ?a) BIND("+1+1" AS ?b) '
            'BIND("@SUM(A1)" AS ?c) BIND("-2+3" AS ?d) BIND(-5 AS ?n) }')
    r = httpx.get(endpoint, params={"query": text, "format": "csv"})
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[1] == ["'=cmd|' /C calc'!A0", "'+1+1", "'@SUM(A1)", "'-2+3", "-5"]
    js = httpx.get(endpoint, params={"query": text})  # JSON keeps the value as it is
    assert js.json()["results"]["bindings"][0]["a"]["value"] == "=cmd|' /C calc'!A0"


def test_a_comment_holding_where_does_not_eat_the_parameter(seed_store, tmp_path):
    rq = tmp_path / "mine.rq"
    rq.write_text("# looks like: SELECT ?x WHERE { … }\n"
                  "SELECT ?n WHERE { ?v <http://data.europa.eu/eli/ontology#id_local> ?n . FILTER(?n = ?want) }\n",
                  encoding="utf-8")
    r = subprocess.run([SANTELEX, "query", "--store", str(seed_store.path), "--file", str(rq), "-p", "want=R1434-4",
                        "--format", "csv"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert set(r.stdout.split()[1:]) == {"R1434-4"}
    bad = subprocess.run([SANTELEX, "query", "--store", str(seed_store.path), "ASK {}", "--max-results", "-1"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


@pytest.mark.parametrize("path, params", [
    ("/voisinage.svg", {"uri": "https://data.santelex.fr/code/code de la sante/article/R1"}),
    ("/voisinage.svg", {"uri": "<script>"}),
    ("/voisinage.svg", {"uri": "\x00\x01"}),
    ("/voisinage.svg", {"uri": ""}),
    ("/chercher", {"q": "\x00" * 10}),
    ("/chercher", {"q": "R" + "9" * 5000}),
    ("/article/code-de-la-sante-publique/R1434-4", {"version": "<x y>", "cible": "\x00"}),
    ("/article/x y/%00", {}),
    ("/texte/decret/ 2005 76", {}),
    ("/validation/rapport/..%2F..%2Fetc.json", {}),
])
def test_junk_in_page_parameters_is_a_4xx_with_a_message(client, path, params):  # noqa: F811
    r = client.get(path, params=params)
    assert 400 <= r.status_code < 500 or r.status_code in (200, 301, 303), (path, params, r.status_code)
    assert "Traceback" not in r.text and r.text.strip()


# -- uploads past the caps --------------------------------------------------------------------------

def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _annex(objectifs: bytes) -> dict[str, bytes]:
    return {"annexe.csv": (ERREURS / "annexe.csv").read_bytes(),
            "territoires.csv": (ERREURS / "territoires.csv").read_bytes(), "objectifs.csv": objectifs}


def test_an_annex_over_the_row_limit_is_refused(client):  # noqa: F811
    header = (ERREURS / "objectifs.csv").read_bytes().splitlines()[0]
    rows = header + b"\n" + b"".join(b"%d\n" % i for i in range(100_001))  # short rows: under the member cap
    data = _zip(_annex(rows))
    assert len(data) < 1024 * 1024
    r = upload(client, data, "longue.zip")
    assert r.status_code == 413
    assert "100,001 lines" in soup(r).select_one("p.alerte").get_text()


def test_a_member_past_the_member_cap_is_refused(client):  # noqa: F811
    rng = random.Random(7)
    text = "".join(rng.choice("ab") for _ in range(3 * 1024 * 1024)).encode()  # about 8 times smaller zipped
    data = _zip(_annex(text))
    assert len(data) < 1024 * 1024
    r = upload(client, data, "grosse.zip")
    assert r.status_code == 413
    assert "more than the 2 MB a member may hold" in soup(r).select_one("p.alerte").get_text()


def test_a_workbook_asking_for_gigabytes_is_refused_and_the_server_lives(client, tmp_path):  # noqa: F811
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name in ("annexe", "territoires", "objectifs"):
        sheet = book.create_sheet(name)
        text = (ERREURS / f"{name}.csv").read_text(encoding="utf-8-sig")
        sep = ";" if text.splitlines()[0].count(";") > text.splitlines()[0].count(",") else ","
        for row in csv.reader(io.StringIO(text), delimiter=sep):
            sheet.append(row)
    book["objectifs"]["XFD1048576"] = "x"
    path = tmp_path / "bombe.xlsx"
    book.save(path)
    assert path.stat().st_size < 64 * 1024
    r = upload(client, path.read_bytes(), "bombe.xlsx")
    message = soup(r).select_one("p.alerte").get_text()
    # refused by the reader itself (its own dimension check), or by the budget of the
    # process that reads it: either way one line naming the upload, and the server lives
    assert 400 <= r.status_code < 500 and "bombe.xlsx" in message, message
    assert "is missing" not in message  # the workbook is an annex but for its last cell
    assert client.get("/").status_code == 200


# -- a build swaps the store: the next answers come from the new one, whole ---------------------------

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def test_a_rebuilt_store_is_seen_at_once_by_every_worker_and_the_pages(tmp_path):
    store = tmp_path / "store"
    builder.build([paths.SEEDS / "r1434-4-sros-version.md"], store, workers=1)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start(["--store", str(store), "--port", str(port), "--workers", "2", "--timeout", "20"], base + "/sparql")

    def count() -> int:
        r = httpx.get(base + "/sparql", params={"query": COUNT}, timeout=60)
        assert r.status_code == 200, r.text
        return int(r.json()["results"]["bindings"][0]["n"]["value"])

    try:
        before = {count() for _ in range(6)}
        assert len(before) == 1
        decree = httpx.get(base + "/texte/decret/2005-76", timeout=60)
        assert decree.status_code == 404
        built = subprocess.run([SANTELEX, "build", "--quiet", "--store", str(store),
                                str(paths.SEEDS / "decret-2005-76-jo.txt")], capture_output=True, text=True, timeout=300)
        assert built.returncode == 0, built.stderr
        # every answer from now on, from both workers and in parallel, is the new store's
        results: list[int] = []
        threads = [threading.Thread(target=lambda: results.extend(count() for _ in range(4))) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        after = set(results)
        assert len(results) == 12 and len(after) == 1 and after != before
        assert httpx.get(base + "/texte/decret/2005-76", timeout=60).status_code == 200
    finally:
        stop(proc)


def test_an_unexpected_error_in_a_route_is_one_line_without_traceback(seed_store):
    """The application of santelex serve, with one more route that fails, served by uvicorn."""
    import uvicorn
    from starlette.routing import Route

    from santelex.serve.server import create_app

    async def broken(request):
        raise ValueError("secret detail\nTraceback (most recent call last): …")

    port = free_port()
    app = create_app(str(seed_store.path), routes=[Route("/casse", broken)], workers=1)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(300):
            if server.started:
                break
            threading.Event().wait(0.1)
        r = httpx.get(f"http://127.0.0.1:{port}/casse", timeout=30)
        assert r.status_code == 500
        assert r.text == "internal error (ValueError); the server goes on\n"
        assert httpx.get(f"http://127.0.0.1:{port}/sparql", params={"query": "ASK {}"}, timeout=30).status_code == 200
    finally:
        server.should_exit = True
        thread.join(30)


def test_serving_a_remote_store_answers_pages_and_queries(tmp_path_factory):
    """A store on a SPARQL server has no folder to watch: pages and queries answer at once."""
    from tests.test_remote import build, oxigraph_server

    with oxigraph_server(tmp_path_factory.mktemp("oxigraph-server")) as remote:
        assert build(remote, paths.SEEDS / "decret-2005-76-jo.txt").exit_code == 0
        from santelex.store.local import generation
        assert generation(open_store(remote, read_only=True).path) is None
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = start(["--store", remote, "--port", str(port), "--workers", "1"], base + "/sparql")
        try:
            assert httpx.get(base + "/texte/decret/2005-76", timeout=60).status_code == 200
            r = httpx.get(base + "/sparql", params={"query": COUNT}, timeout=60)
            assert r.status_code == 200 and int(r.json()["results"]["bindings"][0]["n"]["value"]) > 0
        finally:
            stop(proc)
