"""`santelex serve`: the SPARQL 1.1 Protocol over HTTP, read-only, with a timeout and a cap.

The server is the real command, started on a free loopback port; the client is httpx (and
SPARQLWrapper for one round trip).
"""
from __future__ import annotations

import csv
import io
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from santelex.services import query as q

SANTELEX = str(Path(sys.executable).with_name("santelex"))
CSP = "https://data.santelex.fr/code/code-de-la-sante-publique/article/"
CITED_BY = q.load("cited-by")
CITED_BY_L1434_7 = CITED_BY.text.replace("?article", f"<{CSP}L1434-7>")
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args, ready_url: str | None, timeout: float = 30):
    proc = subprocess.Popen([SANTELEX, "serve", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if ready_url is None:
        return proc
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read()}")
        try:
            if httpx.get(ready_url, params={"query": "ASK {}"}, timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("server did not start")


def stop(proc):
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def endpoint(seed_store):
    port = free_port()
    url = f"http://127.0.0.1:{port}/sparql"
    proc = start(["--store", str(seed_store.path), "--port", str(port), "--timeout", "2",
                  "--max-results", "5", "--workers", "1"], url)
    yield url
    stop(proc)
    assert proc.returncode is not None


def test_select_as_json_equals_the_embedded_answer(endpoint, seed_store):
    r = httpx.get(endpoint, params={"query": CITED_BY_L1434_7})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/sparql-results+json")
    got = list(ox.parse_query_results(r.content, ox.QueryResultsFormat.JSON))
    local = q.execute(seed_store, CITED_BY.text, {"article": ox.NamedNode(CSP + "L1434-7")})
    assert [[s[v] for v in local.variables] for s in got] == [list(row) for row in local.rows]
    assert got[0]["pinpoint"] == ox.Literal("alinéa 5")


def test_post_forms_of_the_protocol(endpoint):
    direct = httpx.post(endpoint, content=CITED_BY_L1434_7.encode(),
                        headers={"Content-Type": "application/sparql-query"})
    form = httpx.post(endpoint, data={"query": CITED_BY_L1434_7})
    get = httpx.get(endpoint, params={"query": CITED_BY_L1434_7})
    assert direct.status_code == form.status_code == 200
    assert direct.content == form.content == get.content
    assert httpx.post(endpoint, content=b"x", headers={"Content-Type": "text/plain"}).status_code == 415
    assert httpx.get(endpoint).status_code == 400


def test_content_negotiation(endpoint):
    params = {"query": CITED_BY_L1434_7}
    xml = httpx.get(endpoint, params=params, headers={"Accept": "application/sparql-results+xml"})
    assert xml.headers["content-type"].startswith("application/sparql-results+xml")
    assert len(list(ox.parse_query_results(xml.content, ox.QueryResultsFormat.XML))) == 1
    text_csv = httpx.get(endpoint, params=params, headers={"Accept": "text/csv;q=0.9, application/json;q=0.1"})
    assert text_csv.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(text_csv.text)))
    assert table[0][:3] == ["citing", "citingSubdivision", "surface"] and table[1][0] == CSP + "R1434-4"
    tsv = httpx.get(endpoint, params={**params, "format": "tsv"}, headers={"Accept": "text/csv"})
    assert tsv.headers["content-type"].startswith("text/tab-separated-values")
    assert httpx.get(endpoint, params=params, headers={"Accept": "image/png"}).status_code == 406

    construct = ("PREFIX eli: <http://data.europa.eu/eli/ontology#> "
                 "CONSTRUCT { ?v eli:realizes ?a } WHERE { ?v eli:realizes ?a ; a eli:LegalExpression }")
    ttl = httpx.get(endpoint, params={"query": construct, "format": "xxx"})
    assert ttl.status_code == 406
    ttl = httpx.get(endpoint, params={"query": construct}, headers={"Accept": "text/turtle"})
    assert ttl.headers["content-type"].startswith("text/turtle")
    triples = list(ox.parse(ttl.content, ox.RdfFormat.TURTLE))
    assert len(triples) == 5  # capped at --max-results 5 (the seed has 8 versions)
    assert ttl.headers["x-santelex-truncated"] == "true"
    nt = httpx.get(endpoint, params={"query": construct}, headers={"Accept": "application/n-triples"})
    assert len(list(ox.parse(nt.content, ox.RdfFormat.N_TRIPLES))) == 5
    ask = httpx.get(endpoint, params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": "application/sparql-results+json"})
    assert json.loads(ask.text) == {"head": {}, "boolean": True}


def test_result_size_cap(endpoint):
    r = httpx.get(endpoint, params={"query": "SELECT ?s WHERE { ?s ?p ?o }"})
    assert r.status_code == 200
    assert len(json.loads(r.text)["results"]["bindings"]) == 5
    assert r.headers["x-santelex-truncated"] == "true" and r.headers["x-santelex-max-results"] == "5"
    small = httpx.get(endpoint, params={"query": CITED_BY_L1434_7})
    assert "x-santelex-truncated" not in small.headers


def test_sparqlwrapper_round_trip(endpoint):
    from SPARQLWrapper import JSON, SPARQLWrapper
    client = SPARQLWrapper(endpoint)
    client.setQuery(CITED_BY_L1434_7)
    client.setReturnFormat(JSON)
    data = client.query().convert()
    assert data["results"]["bindings"][0]["surface"]["value"] == "L. 1434-7"


@pytest.mark.parametrize("method,path,kwargs", [
    ("POST", "/sparql", {"data": {"update": "DROP ALL"}}),
    ("POST", "/sparql", {"content": b"DROP ALL", "headers": {"Content-Type": "application/sparql-update"}}),
    ("POST", "/sparql", {"content": b"DROP ALL", "headers": {"Content-Type": "application/sparql-query"}}),
    ("POST", "/sparql", {"data": {"query": "CLEAR DEFAULT"}}),
    ("GET", "/sparql", {"params": {"query": "# hello\nPREFIX a: <http://a/>\nINSERT DATA { a:b a:c a:d }"}}),
    ("GET", "/sparql", {"params": {"update": "DROP ALL"}}),
    ("POST", "/update", {"data": {"update": "DROP ALL"}}),
    ("PUT", "/store?default", {"content": b"<http://a/b> <http://a/c> <http://a/d> .",
                               "headers": {"Content-Type": "application/n-triples"}}),
    ("POST", "/store?graph=http://a/g", {"content": b"<http://a/b> <http://a/c> <http://a/d> .",
                                         "headers": {"Content-Type": "text/turtle"}}),
    ("DELETE", "/store?default", {}),
    ("DELETE", "/sparql", {}),
    ("PATCH", "/sparql", {"content": b"DROP ALL"}),
])
def test_every_kind_of_update_is_refused(endpoint, seed_store, method, path, kwargs):
    before = seed_store.count()
    base = endpoint.rsplit("/sparql", 1)[0]
    r = httpx.request(method, base + path, **kwargs)
    assert r.status_code == 403, (method, path, r.status_code, r.text)
    assert "read-only" in r.text
    assert seed_store.count() == before


def test_malformed_query_is_400_with_line_and_column(endpoint):
    r = httpx.get(endpoint, params={"query": "SELECT ?x\nWHERE {\n  ?x ?p\n}"})
    assert r.status_code == 400
    assert r.text.startswith("query:4:2: malformed SPARQL: expected") and "Traceback" not in r.text
    r = httpx.get(endpoint, params={"query": CITED_BY_L1434_7, "default-graph-uri": "http://a/g"})
    assert r.status_code == 400


def test_timeout_stops_the_query_and_the_server_goes_on(endpoint):
    r = httpx.get(endpoint, params={"query": SLOW}, timeout=30)
    assert r.status_code == 503
    assert "query stopped: still running after 2 s" in r.text
    # the killed worker is replaced; on a loaded machine the new one may need a few
    # seconds to start (its first queries can themselves hit the 2 s deadline)
    for _ in range(10):
        again = httpx.get(endpoint, params={"query": CITED_BY_L1434_7}, timeout=30)
        if again.status_code != 503:
            break
    assert again.status_code == 200 and "L. 1434-7" in again.text


def test_loopback_by_default_and_bad_starts(seed_store, tmp_path):
    port = free_port()
    proc = start(["--store", str(seed_store.path), "--port", str(port)], f"http://127.0.0.1:{port}/sparql")
    try:
        assert listening(port) == ["127.0.0.1"]
        # the port is taken: a second server says so, exit 2
        busy = subprocess.run([SANTELEX, "serve", "--store", str(seed_store.path), "--port", str(port)],
                              capture_output=True, text=True, timeout=60)
        assert busy.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in busy.stderr
    finally:
        stop(proc)
    err = proc.stderr.read()
    assert f"SPARQL endpoint at http://127.0.0.1:{port}/sparql" in err
    missing = subprocess.run([SANTELEX, "serve", "--store", str(tmp_path / "nothing"), "--port", str(free_port())],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "no store here yet" in missing.stderr and "Traceback" not in missing.stderr


def listening(port: int) -> list[str]:
    """Local IPv4 addresses with a listening TCP socket on ``port`` (from /proc/net/tcp)."""
    found = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        address, hex_port = fields[1].split(":")
        if int(hex_port, 16) == port and fields[3] == "0A":
            found.append(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found
