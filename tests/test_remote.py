"""A remote store: the real Oxigraph server (from the `oxigraph` package), driven over
SPARQL 1.1 Protocol and Update by `--store sparql+http://…`, must answer every named query
as the embedded store does, and a build that fails leaves it as it was."""
from __future__ import annotations

import io
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from test_queries import ANNEX_TTL, REPORT_TTL, load_graphs

from santelex import paths
from santelex.cli import main
from santelex.services import query as q
from santelex.store import open_store
from santelex.store.remote import STAGING, RemoteStore

OXIGRAPH = Path(sys.executable).with_name("oxigraph")
SEEDS = [paths.SEEDS / "r1434-4-sros-version.md", paths.SEEDS / "decret-2005-76-jo.txt"]

pytestmark = pytest.mark.skipif(not OXIGRAPH.exists() and shutil.which("oxigraph") is None,
                                reason="the oxigraph server (pip package 'oxigraph', test extra) is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def oxigraph_binary() -> str | None:
    """The `oxigraph` server installed beside this Python (the test extra), else on the PATH."""
    return str(OXIGRAPH) if OXIGRAPH.exists() else shutil.which("oxigraph")


@contextmanager
def oxigraph_server(location: Path, command: str = "serve") -> Iterator[str]:
    """An Oxigraph server (``command``: serve, or serve-read-only) on a free loopback port, its
    database in ``location``, as santelex would meet it in production: its ``sparql+http://…``
    address, the server stopped when the ``with`` ends, however it ends."""
    port = free_port()
    proc = subprocess.Popen([oxigraph_binary(), command, "--location", str(location), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/query", params={"query": "ASK {}"}, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"oxigraph server did not start: {proc.communicate()[1]!r}")
            time.sleep(0.1)
        yield "sparql+" + url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stderr.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with oxigraph_server(tmp_path_factory.mktemp("oxigraph-server")) as url:
        yield url


def nquads(store) -> list[str]:
    """The whole dataset, canonical (blank nodes renamed the same way on both sides)."""
    out = io.BytesIO()
    store.dump(out, "nquads")
    dataset = ox.Dataset(ox.parse(out.getvalue(), ox.RdfFormat.N_QUADS))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return sorted(str(quad) for quad in dataset)


def build(store: str, *inputs):
    return CliRunner().invoke(main, ["build", "--quiet", "--store", store, *map(str, inputs)])


@pytest.fixture(scope="module")
def stores(server, tmp_path_factory):
    """The same inputs in the remote store and in an embedded one."""
    r = build(server, *SEEDS)
    assert r.exit_code == 0, r.output
    local = tmp_path_factory.mktemp("embedded") / "store"
    r = build(str(local), *SEEDS)
    assert r.exit_code == 0, r.output
    graphs = {"ontology/" + f.relative_to(paths.ONTOLOGY).as_posix(): f.read_text(encoding="utf-8") for f in sorted(paths.ONTOLOGY.rglob("*.ttl"))}
    graphs.update({"annexes/test-2006": ANNEX_TTL, "reports/test-2006": REPORT_TTL})
    load_graphs(server, graphs)
    load_graphs(local, graphs)
    remote, embedded = open_store(server, read_only=True), open_store(local, read_only=True)
    assert isinstance(remote, RemoteStore)
    yield remote, embedded
    remote.close()
    embedded.close()


def test_build_through_the_cli_gives_the_same_graph(stores):
    remote, embedded = stores
    assert remote.count_quads() == embedded.count_quads() > 1000
    assert remote.count() == embedded.count()
    assert nquads(remote) == nquads(embedded)
    assert sorted(remote.named_graphs()) == sorted(embedded.named_graphs())
    assert not any(g.startswith(STAGING) for g in remote.named_graphs())


def _cases():
    for nq in q.catalogue():
        params = {p.name: p.example for p in nq.params if p.required}
        yield pytest.param(nq.name, params, id=nq.name)
        optional = {p.name: p.example for p in nq.params if not p.required}
        if optional:
            yield pytest.param(nq.name, {**params, **optional}, id=nq.name + "+optional")


@pytest.mark.parametrize("name,params", list(_cases()))
def test_every_named_query_answers_as_the_embedded_store(stores, name, params):
    remote, embedded = stores
    nq = q.load(name)
    got = q.execute(remote, nq.text, q.bind(nq, params, remote), timeout=60)
    want = q.execute(embedded, nq.text, q.bind(nq, params, embedded), timeout=60)
    assert got.variables == want.variables
    assert got.rows == want.rows


def test_cli_query_and_show_on_the_remote_store(stores, server):
    r = CliRunner().invoke(main, ["query", "cited-by", "-p", "article=CSP L1434-7", "--format", "csv", "--store", server])
    assert r.exit_code == 0, r.output
    assert "alinéa 5" in r.output
    r = CliRunner().invoke(main, ["show", "D. 712-2", "--store", server])
    assert r.exit_code == 0, r.output
    assert "Article D712-2" in r.output


def test_unreachable_server_is_named(tmp_path):
    url = f"sparql+http://127.0.0.1:{free_port()}"
    for args in (["query", "cites", "-p", "article=R1434-4", "--store", url],
                 ["build", "--quiet", "--store", url, str(SEEDS[0])],
                 ["show", "R1434-4", "--store", url]):
        r = CliRunner().invoke(main, args)
        assert r.exit_code == 2, (args, r.output)
        assert url in r.output and "cannot reach the SPARQL server" in r.output, r.output
        assert "Traceback" not in r.output


def test_failed_build_leaves_no_partial_data(stores, server, tmp_path):
    remote, _ = stores
    before = nquads(remote)
    bad = tmp_path / "empty.md"
    bad.write_bytes(b"")
    r = build(server, SEEDS[0], bad)
    assert r.exit_code == 2 and "empty.md" in r.output
    assert nquads(remote) == before
    assert not any(g.startswith(STAGING) for g in remote.named_graphs())


def test_staged_data_is_dropped_when_the_transaction_fails(stores, server):
    remote, _ = stores
    before = nquads(remote)
    writer = open_store(server)
    g = "https://data.santelex.fr/graph/test-staging"
    triple = (ox.NamedNode("https://example.org/s"), ox.NamedNode("https://example.org/p"), ox.Literal("o"))
    with pytest.raises(RuntimeError):
        with writer.transaction() as loader:
            loader.replace_graph(g, [ox.Quad(*triple, ox.NamedNode(g))])
            loader.flush()  # the quad is on the server now, in a staging graph only
            staged = [x for x in writer.named_graphs() if x.startswith(STAGING)]
            assert len(staged) == 1 and g not in writer.named_graphs()
            raise RuntimeError("crash in the middle of a build")
    assert nquads(remote) == before
    # a staging graph left by a killed build goes at the next transaction
    writer.update(f"INSERT DATA {{ GRAPH <{STAGING}killed/g1> {{ <https://example.org/s> <https://example.org/p> 1 }} }}")
    with writer.transaction() as loader:
        loader.replace_graph(g, [ox.Quad(*triple, ox.NamedNode(g))])
    graphs = writer.named_graphs()
    assert g in graphs and not any(x.startswith(STAGING) for x in graphs)
    with writer.transaction() as loader:
        loader.replace_graph(g, [])
    assert nquads(remote) == before
    writer.close()


def test_read_only_remote_store_refuses_writes(server):
    st = open_store(server, read_only=True)
    with pytest.raises(Exception, match="read-only"):
        with st.transaction():
            pass
    st.close()
