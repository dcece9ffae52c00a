"""A store on a SPARQL 1.1 server: ``--store sparql+http://host:port/path``.

Same interface as :class:`santelex.store.local.Store` (query, transaction, count, count_quads,
dump, named_graphs, close), over the SPARQL 1.1 Protocol (queries) and SPARQL 1.1 Update
(writes) only, so any server with both works: Oxigraph server, Apache Jena Fuseki,
Virtuoso; QLever and other read-only engines for queries.

The URL names the dataset: queries go to ``<url>/query`` and updates to ``<url>/update``
(Oxigraph: ``http://host:7878``; Fuseki: ``http://host:3030/ds``).  Other layouts say
where in the URL: ``sparql+http://host:8890/?query=/sparql&update=/sparql`` (Virtuoso).
``user:password@`` in the URL is sent as HTTP basic authentication.

Queries see the union of the named graphs, as with the embedded store.  Servers differ
in how to ask for that; the first query that can tell (once the store holds data) tries
the plain default graph, then Oxigraph's ``union-default-graph`` parameter, then Jena's
``urn:x-arq:UnionGraph``, and keeps the first that sees the named graphs' triples.

Writes are all or nothing.  A transaction writes every graph of the build into its own
staging graph (``https://data.santelex.fr/staging/<transaction>/g<n>``) with ``INSERT DATA``
requests, then swaps them in with ONE update request (``MOVE`` the staging graph onto a
replaced graph, ``ADD`` it to a graph that is only added to).  Servers run one update
request as one transaction (Oxigraph, Fuseki/TDB2 and Virtuoso do), so readers see the old
graphs or the new ones, never half a build.  If anything fails before the swap, the
staging graphs are dropped; staging graphs left by a killed build are dropped by the next
transaction (so: one build at a time per dataset).  While a build runs, its staging
graphs are visible in the union; remote builds start from scratch (no resuming).
"""
from __future__ import annotations

import re
import uuid
from collections import defaultdict
from contextlib import contextmanager
from typing import Iterable, Iterator
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import httpx
import pyoxigraph as ox

from santelex import formats, vocab
from santelex.errors import QueryError, SantelexError, StoreError
from santelex.store import sparql as sparql_text
from santelex.store.local import bind_values
from santelex.vocab import PREFIXES

__all__ = ["RemoteStore", "RemoteLoader", "STAGING"]

STAGING = vocab.BASE + "staging/"
JSON = ox.QueryResultsFormat.JSON

#: ways to ask a server for the union of its named graphs as default graph
UNION_MODES = {
    "plain": {},
    "oxigraph": {"union-default-graph": ""},
    "jena": {"default-graph-uri": "urn:x-arq:UnionGraph"},
}


class RemoteStore:
    """A SPARQL 1.1 server used as the santelex store."""

    def __init__(self, url: str, read_only: bool = False, timeout: float = 600.0, batch: int = 20_000):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise StoreError("a remote store is sparql+http://host:port/path", url)
        options = dict(parse_qsl(parts.query, keep_blank_values=True))
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        base = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
        self.url = "sparql+" + base  # as shown to the user: no password, no options
        self.path = self.url
        self.query_url = self._endpoint(parts.scheme, netloc, base, options.get("query"), "query")
        self.update_url = self._endpoint(parts.scheme, netloc, base, options.get("update"), "update")
        self.union = options.get("union") if options.get("union") in UNION_MODES else None
        self.read_only = read_only
        self.batch = batch
        auth = (parts.username, parts.password or "") if parts.username else None
        self._client = httpx.Client(auth=auth, timeout=httpx.Timeout(timeout, connect=10.0),
                                    headers={"User-Agent": "santelex"})

    @staticmethod
    def _endpoint(scheme, netloc, base, given, default) -> str:
        if not given:
            return f"{base}/{default}"
        if given.startswith(("http://", "https://")):
            return given
        if given.startswith("/"):
            return urlunsplit((scheme, netloc, given, "", ""))
        return f"{base}/{given}"

    exists = True

    def close(self):
        self._client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- HTTP ------------------------------------------------------------------------------
    def _post(self, url: str, data: dict, accept: str | None = None, params: dict | None = None) -> httpx.Response:
        headers = {"Accept": accept} if accept else {}
        try:
            r = self._client.post(url, data=data, headers=headers, params=params)
        except httpx.TimeoutException:
            raise QueryError(f"the SPARQL server did not answer in time ({url})", self.url) from None
        except httpx.HTTPError as e:
            raise StoreError(f"cannot reach the SPARQL server at {url}: {_reason(e)}", self.url) from None
        if r.status_code >= 400:
            message = " ".join(r.text.split())[:300] or r.reason_phrase
            if r.status_code in (401, 403):
                raise StoreError(f"the SPARQL server at {url} refused the request ({r.status_code}): {message}")
            if r.status_code == 400 and url == self.query_url:
                raise QueryError(f"the SPARQL server rejected the query: {message}", self.url)
            raise StoreError(f"the SPARQL server at {url} answered {r.status_code}: {message}")
        return r

    def _select(self, sparql: str, union: bool = True):
        params = UNION_MODES[self._union_mode()] if union else None
        r = self._post(self.query_url, {"query": sparql}, "application/sparql-results+json", params)
        try:
            return ox.parse_query_results(r.content, JSON)
        except (SyntaxError, ValueError) as e:
            raise StoreError(f"the SPARQL server at {self.query_url} sent results santelex cannot read: {e}") from None

    def update(self, sparql: str):
        if self.read_only:
            raise StoreError("the store is open read-only", self.url)
        self._post(self.update_url, {"update": sparql})

    # -- reading ---------------------------------------------------------------------------
    def query(self, sparql: str, substitutions: dict | None = None, **kw):
        """Like Store.query: QuerySolutions, QueryBoolean, or a list of Triples."""
        if substitutions:
            sparql = bind_values(sparql, substitutions)
        kind = sparql_text.check(sparql, "query")
        graph = kind in ("construct", "describe")
        params = UNION_MODES[self._union_mode()]
        accept = "application/n-triples" if graph else "application/sparql-results+json"
        r = self._post(self.query_url, {"query": sparql}, accept, params)
        try:
            if graph:
                return [quad.triple for quad in ox.parse(r.content, ox.RdfFormat.N_TRIPLES)]
            return ox.parse_query_results(r.content, JSON)
        except (SyntaxError, ValueError) as e:
            raise StoreError(f"the SPARQL server at {self.query_url} sent results santelex cannot read: {e}") from None

    def _union_mode(self) -> str:
        """How this server is asked for the union of its named graphs (probed once)."""
        if self.union:
            return self.union
        sample = list(self._select("SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 1", union=False))
        if not sample:
            return "plain"  # nothing in named graphs yet: nothing to tell apart
        s, p, o = (sample[0][v] for v in ("s", "p", "o"))
        ask = f"ASK {{ {s} {p} {o} }}"
        for mode, params in UNION_MODES.items():
            try:
                r = self._post(self.query_url, {"query": ask}, "application/sparql-results+json", params)
                if bool(ox.parse_query_results(r.content, JSON)):
                    self.union = mode
                    return mode
            except (SantelexError, SyntaxError, ValueError):
                continue
        raise StoreError("the SPARQL server does not query the union of its named graphs: start Oxigraph "
                         "with --union-default-graph, or set tdb2:unionDefaultGraph true on Fuseki", self.url)

    def count(self) -> int:
        return int(next(iter(self._select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))["n"].value)

    def count_quads(self) -> int:
        rows = self._select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", union=False)
        return int(next(iter(rows))["n"].value)

    def named_graphs(self) -> list[str]:
        rows = self._select("SELECT ?g WHERE { GRAPH ?g { } }", union=False)
        return [r["g"].value for r in rows]

    def dump(self, output, format: str):
        f = formats.by_name(format)
        fmt = formats.oxigraph(f)
        if f.kind == "dataset":
            rows = self._select("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }", union=False)
            quads = (ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in rows)
            ox.serialize(quads, output, fmt, prefixes=PREFIXES if format == "trig" else None)
            return
        triples = self.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
        ox.serialize(triples, output, fmt, prefixes=PREFIXES if format != "ntriples" else None)

    # -- writing ---------------------------------------------------------------------------
    @contextmanager
    def transaction(self, key: str = "") -> Iterator[RemoteLoader]:
        """Yield a RemoteLoader; its graphs replace the live ones only if the block completes."""
        if self.read_only:
            raise StoreError("the store is open read-only", self.url)
        self._drop_stale_staging()
        loader = RemoteLoader(self, uuid.uuid4().hex[:12])
        try:
            yield loader
            loader.flush()
            loader.swap()
        except BaseException:
            loader.discard()
            raise

    def _drop_stale_staging(self):
        rows = self._select(f'SELECT ?g WHERE {{ GRAPH ?g {{ }} FILTER(STRSTARTS(STR(?g), "{STAGING}")) }}',
                            union=False)
        stale = [r["g"] for r in rows]
        if stale:
            self.update(" ;\n".join(f"DROP SILENT GRAPH {g}" for g in stale))


class RemoteLoader:
    """The remote counterpart of santelex.store.local.Loader (replace_graph, load_nquads, commit)."""

    def __init__(self, store: RemoteStore, transaction: str):
        self.store = store
        self.prefix = f"{STAGING}{transaction}/"
        self.done: set[str] = set()          # remote builds do not resume
        self.quads_written = 0
        self._staging: dict[str, ox.NamedNode] = {}   # live graph -> its staging graph
        self._replaced: set[str] = set()
        self._pending: list[ox.Quad] = []

    def _stage(self, graph: str) -> ox.NamedNode:
        node = self._staging.get(graph)
        if node is None:
            node = ox.NamedNode(f"{self.prefix}g{len(self._staging) + 1}")
            self._staging[graph] = node
        return node

    def replace_graph(self, graph: str, quads: Iterable[ox.Quad]):
        """Quads for ``graph`` (which they replace) and for any graph they are added to."""
        self._replaced.add(graph)
        self._stage(graph)
        self._add(quads)

    def load_nquads(self, graphs: Iterable[str], data: bytes):
        for g in graphs:
            self._replaced.add(g)
            self._stage(g)
        try:
            self._add(ox.parse(data, ox.RdfFormat.N_QUADS))
        except SyntaxError as e:
            raise StoreError(f"store write failed: {e}") from None

    def _add(self, quads: Iterable[ox.Quad]):
        for quad in quads:
            g = quad.graph_name
            if isinstance(g, ox.DefaultGraph):
                raise StoreError("santelex keeps every triple in a named graph")
            self._pending.append(ox.Quad(quad.subject, quad.predicate, quad.object, self._stage(g.value)))
        if len(self._pending) >= self.store.batch:
            self.flush()

    def commit(self, names: Iterable[str]):
        """Inputs are not journaled remotely: just keep the memory bounded."""
        self.flush()

    def flush(self):
        if not self._pending:
            return
        by_graph: dict[ox.NamedNode | ox.BlankNode | ox.DefaultGraph, list[str]] = defaultdict(list)  # staging graphs
        for quad in self._pending:
            by_graph[quad.graph_name].append(f"{quad.subject} {quad.predicate} {quad.object} .")
        body = "\n".join(f"GRAPH {g} {{\n" + "\n".join(lines) + "\n}" for g, lines in by_graph.items())
        self.store.update(f"INSERT DATA {{\n{body}\n}}")
        self.quads_written += len(self._pending)
        self._pending = []

    def swap(self):
        """One update request: every staging graph onto its live graph."""
        ops = []
        for graph, staging in self._staging.items():
            live = ox.NamedNode(graph)
            if graph in self._replaced:
                ops.append(f"DROP SILENT GRAPH {live}")
                ops.append(f"ADD SILENT GRAPH {staging} TO {live}")
            else:
                ops.append(f"ADD SILENT GRAPH {staging} TO {live}")
            ops.append(f"DROP SILENT GRAPH {staging}")
        if ops:
            self.store.update(" ;\n".join(ops))

    def discard(self):
        """Drop the staging graphs (best effort: the next transaction drops leftovers)."""
        self._pending = []
        if self._staging:
            try:
                self.store.update(" ;\n".join(f"DROP SILENT GRAPH {g}" for g in self._staging.values()))
            except SantelexError:
                pass

    def close(self):
        self._pending = []


def _reason(e: httpx.HTTPError) -> str:
    text = str(e) or type(e).__name__
    m = re.search(r"\[Errno -?\d+\] (.*)", text)
    return (m.group(1) if m else text).strip()
