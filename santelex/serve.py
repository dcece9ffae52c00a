"""``santelex serve``: the store over the SPARQL 1.1 Protocol, read-only.

    app = create_app(store, timeout=30, max_results=10_000, workers=2, routes=[...])
    uvicorn.run(app, host="127.0.0.1", port=8000)

HTTP: a Starlette (ASGI) application served by uvicorn.  Starlette because the endpoint
is a plain list of routes that the web pages (another module) extend without touching
this one: ``create_app(..., routes=[Route("/", home), Mount("/static", ...)])`` puts theirs
first, and their handlers reach the query workers through ``request.app.state.queries``
(a :class:`QueryPool`: ``await run_in_threadpool(pool.run, text, accept)``).  The
standard library's ThreadingHTTPServer would have meant hand-written routing, body and
form parsing and no async; Starlette/uvicorn are small, maintained and well known.

The SPARQL endpoint is ``/sparql`` (also ``/query``): GET ``?query=``, POST
``application/sparql-query`` or form-encoded ``query=``.  Results by content negotiation
(``Accept``, or ``?format=json|xml|csv|tsv|turtle|ntriples|rdfxml|jsonld``): SPARQL JSON
(default), XML, CSV, TSV for SELECT and ASK; Turtle (default), N-Triples, RDF/XML, JSON-LD
for CONSTRUCT and DESCRIBE.

Read-only, whatever the request looks like: PUT, DELETE and PATCH anywhere, POST anywhere
but the query endpoint (Graph Store Protocol writes to /store, /data, …), any ``update``
parameter (in the URL or the form), any ``application/sparql-update`` body, and a query
text that is an update are all answered 403.

Time limit: pyoxigraph cannot cancel a query, and a thread cannot be stopped, so queries
run in worker processes (spawned, each with the store open read-only).  The request
handler waits for the answer until the deadline; past it the worker is killed (freeing
its core at once), a fresh one takes its place and the client gets 503 with the reason.
The result-size cap keeps the first ``max_results`` rows (or triples) and says so in the
``X-Santelex-Truncated`` header.
"""
from __future__ import annotations

import multiprocessing as mp
import queue
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from santelex import query as q
from santelex.errors import QueryError, SantelexError

__all__ = ["Answer", "QueryPool", "create_app", "negotiate", "serve"]

QUERY_PATHS = ("/sparql", "/query")

#: formats offered for each kind of result, in order of preference, with their media types
RESULT_OFFERS = [
    ("json", ("application/sparql-results+json", "application/json")),
    ("xml", ("application/sparql-results+xml", "application/xml", "text/xml")),
    ("csv", ("text/csv",)),
    ("tsv", ("text/tab-separated-values",)),
]
GRAPH_OFFERS = [
    ("turtle", ("text/turtle", "application/x-turtle")),
    ("ntriples", ("application/n-triples", "text/plain")),
    ("rdfxml", ("application/rdf+xml", "application/xml", "text/xml")),
    ("jsonld", ("application/ld+json", "application/json")),
]


def negotiate(accept: str | None, kind: str, fmt: str | None = None) -> str | None:
    """The format to answer in (None: nothing the client accepts).

    ``fmt`` (the ``format`` parameter) wins over ``Accept``; among media ranges the most
    specific one that matches an offer gives its q-value; ties go to the first offer.
    """
    offers = GRAPH_OFFERS if kind in ("construct", "describe") else RESULT_OFFERS
    if fmt:
        fmt = fmt.lower()
        for name, types in offers:
            if fmt == name or fmt in types:
                return name
        return None
    ranges = _parse_accept(accept or "") or _parse_accept("*/*")  # no usable range: anything
    best, best_q = None, 0.0
    for name, types in offers:
        q_value = None
        for media_type in types:
            for rng, rq, specificity in ranges:
                if _matches(rng, media_type):
                    if q_value is None or specificity > q_value[1]:
                        q_value = (rq, specificity)
        if q_value and q_value[0] > best_q:
            best, best_q = name, q_value[0]
    return best


def _parse_accept(header: str) -> list[tuple[str, float, int]]:
    out = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        rng = fields[0].lower()
        if not rng:
            continue
        weight = 1.0
        for f in fields[1:]:
            key, _, value = f.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        specificity = 0 if rng == "*/*" else 1 if rng.endswith("/*") else 2
        out.append((rng, weight, specificity))
    return out


def _matches(rng: str, media_type: str) -> bool:
    if rng == "*/*":
        return True
    if rng.endswith("/*"):
        return media_type.split("/")[0] == rng[:-2]
    return rng == media_type


@dataclass
class Answer:
    status: int
    media_type: str
    body: bytes
    headers: dict = field(default_factory=dict)


def _text(status: int, message: str) -> Answer:
    return Answer(status, "text/plain; charset=utf-8", (message + "\n").encode())


# -- the workers -----------------------------------------------------------------------------

def _worker(conn, store_spec: str | None):
    """A worker process: open the store once, answer queries until the pipe closes."""
    from santelex import api
    try:
        store = api.open_store(store_spec, read_only=True)
        store.query("ASK { }")
    except SantelexError as e:
        conn.send(("dead", str(e)))
        return
    conn.send(("ready", ""))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            conn.send(_answer(store, *job))
        except (EOFError, OSError, BrokenPipeError):
            return


def _answer(store, text: str, accept: str | None, fmt: str | None, max_results: int | None):
    try:
        kind = q.check(text, "query")
        chosen = negotiate(accept, kind, fmt)
        if chosen is None:
            offers = GRAPH_OFFERS if kind in ("construct", "describe") else RESULT_OFFERS
            types = ", ".join(t for _, ts in offers for t in ts[:1])
            return ("answer", 406, "text/plain; charset=utf-8",
                    f"no acceptable format for a {kind.upper()} result; available: {types}\n".encode(), {})
        result = q.execute(store, text, None, max_results=max_results, file="query")
        body = q.serialize(result, chosen)
        headers = {}
        if result.truncated:
            headers = {"X-Santelex-Truncated": "true", "X-Santelex-Max-Results": str(max_results)}
        return ("answer", 200, q.media_type(result, chosen), body, headers)
    except QueryError as e:
        return ("answer", 400, "text/plain; charset=utf-8", (str(e) + "\n").encode(), {})
    except SantelexError as e:
        return ("answer", 500, "text/plain; charset=utf-8", (str(e) + "\n").encode(), {})


class _Worker:
    def __init__(self, ctx, store_spec):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker, args=(child, store_spec), daemon=True,
                                   name="santelex-query-worker")
        self.process.start()
        child.close()
        self.ready = False

    def wait_ready(self, timeout: float) -> str | None:
        """None once the worker has opened the store, else why not."""
        if self.ready:
            return None
        if not self.conn.poll(timeout):
            return "the query worker did not start in time"
        try:
            status, message = self.conn.recv()
        except EOFError:
            return "the query worker died while starting"
        if status != "ready":
            return message
        self.ready = True
        return None

    def kill(self):
        try:
            self.process.kill()
            self.process.join(5)
        finally:
            self.conn.close()


class QueryPool:
    """Worker processes that run read-only queries with a deadline and a size cap."""

    def __init__(self, store_spec: str | None, workers: int = 2, timeout: float = 30.0,
                 max_results: int | None = 10_000):
        self.store_spec = store_spec
        self.size = max(1, workers)
        self.timeout = timeout
        self.max_results = max_results
        self._ctx = mp.get_context("spawn")
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self.closed = False

    def start(self):
        for _ in range(self.size):
            self._spawn()
        # the first worker must come up: a store that cannot be opened is an error now
        first = self._idle.get()
        problem = first.wait_ready(60)
        if problem:
            self.close()
            raise SantelexError(problem, self.store_spec)
        self._idle.put(first)

    def _spawn(self):
        w = _Worker(self._ctx, self.store_spec)
        with self._lock:
            self._all.append(w)
        self._idle.put(w)

    def _retire(self, w: _Worker):
        with self._lock:
            if w in self._all:
                self._all.remove(w)
        w.kill()
        if not self.closed:
            self._spawn()

    def run(self, text: str, accept: str | None = None, fmt: str | None = None) -> Answer:
        """Answer one query (blocking: call it from a thread)."""
        if q.is_update(text):
            return _text(403, "updates are refused: this endpoint is read-only")
        deadline = time.monotonic() + self.timeout
        try:
            w = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            return _text(503, f"all {self.size} query workers stayed busy for {self.timeout:g} s; try again later")
        try:
            problem = w.wait_ready(max(0.1, deadline - time.monotonic()))
            if problem:
                self._retire(w)
                return _text(503, problem)
            w.conn.send((text, accept, fmt, self.max_results))
            if not w.conn.poll(max(0.0, deadline - time.monotonic())):
                self._retire(w)
                return _text(503, f"query stopped: still running after {self.timeout:g} s "
                                  "(the server's time limit, santelex serve --timeout)")
            _, status, media_type, body, headers = w.conn.recv()
        except (EOFError, OSError):
            self._retire(w)
            return _text(500, "the query worker died; the query was not answered")
        self._idle.put(w)
        return Answer(status, media_type, body, headers)

    def close(self):
        self.closed = True
        with self._lock:
            workers, self._all = self._all, []
        for w in workers:
            w.kill()


# -- the application -------------------------------------------------------------------------

def create_app(store_spec: str | None = None, *, timeout: float = 30.0, max_results: int | None = 10_000,
               workers: int = 2, routes=(), post_paths=(), pool: QueryPool | None = None):
    """The Starlette application: ``routes`` (the web pages) first, then the endpoint.

    ``post_paths``: paths of those routes that accept POST (everything else refuses it).
    """
    from contextlib import asynccontextmanager

    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.routing import Route

    pool = pool or QueryPool(store_spec, workers=workers, timeout=timeout, max_results=max_results)

    @asynccontextmanager
    async def lifespan(app):
        from starlette.concurrency import run_in_threadpool
        await run_in_threadpool(pool.start)
        try:
            yield
        finally:
            pool.close()

    endpoint_routes = [Route(p, sparql_endpoint, methods=["GET", "POST"]) for p in QUERY_PATHS]
    app = Starlette(routes=[*routes, *endpoint_routes], lifespan=lifespan,
                    middleware=[Middleware(ReadOnly, post_paths=(*QUERY_PATHS, *post_paths))])
    app.state.queries = pool
    return app


async def sparql_endpoint(request):
    """SPARQL 1.1 Protocol, query operation only."""
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import Response

    def reply(a: Answer):
        return Response(a.body, status_code=a.status, media_type=a.media_type, headers=a.headers)

    params = list(request.query_params.multi_items())
    text = None
    if request.method == "POST":
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = await request.body()
        if ctype == "application/sparql-query":
            text = body.decode("utf-8", errors="replace")
        elif ctype == "application/x-www-form-urlencoded":
            form = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
            if any(k == "update" for k, _ in form):
                return reply(_text(403, "updates are refused: this endpoint is read-only"))
            params += form
        else:
            return reply(_text(415, "POST a query as application/sparql-query or as a form "
                                    "(application/x-www-form-urlencoded) with query=…"))
    found = {k: v for k, v in params}
    if text is None:
        text = found.get("query")
    if not text:
        return reply(_text(400, "no query: send ?query=… (SPARQL 1.1 Protocol)"))
    if any(k in ("default-graph-uri", "named-graph-uri") for k, _ in params):
        return reply(_text(400, "default-graph-uri and named-graph-uri are not supported: "
                                "queries see the union of all the store's graphs"))
    pool: QueryPool = request.app.state.queries
    answer = await run_in_threadpool(pool.run, text, request.headers.get("accept"), found.get("format"))
    return reply(answer)


class ReadOnly:
    """ASGI middleware: refuse with 403 every request that could write."""

    WRITE_METHODS = {"PUT", "DELETE", "PATCH"}

    def __init__(self, app, post_paths=QUERY_PATHS):
        self.app = app
        self.post_paths = set(post_paths)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and self._writes(scope):
            from starlette.responses import PlainTextResponse
            response = PlainTextResponse("updates are refused: this endpoint is read-only\n", status_code=403)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _writes(self, scope) -> bool:
        method = scope["method"].upper()
        if method in self.WRITE_METHODS:
            return True
        if method == "POST" and scope["path"].rstrip("/") not in self.post_paths:
            return True
        query_string = scope.get("query_string", b"").decode("latin-1")
        if any(k == "update" for k, _ in parse_qsl(query_string, keep_blank_values=True)):
            return True
        for name, value in scope.get("headers", []):
            if name == b"content-type" and value.split(b";")[0].strip().lower() == b"application/sparql-update":
                return True
        return False


def serve(store_spec: str | None, host: str = "127.0.0.1", port: int = 8000, timeout: float = 30.0,
          max_results: int | None = 10_000, workers: int = 2, log_level: str = "warning",
          max_upload: int | None = None):
    """Run the endpoint, and the web pages of santelex/web beside it, until interrupted."""
    import uvicorn
    from santelex.web import DEFAULT_MAX_UPLOAD, web_routes
    routes, post_paths = web_routes(store_spec, max_upload=max_upload or DEFAULT_MAX_UPLOAD)
    app = create_app(store_spec, timeout=timeout, max_results=max_results, workers=workers,
                     routes=routes, post_paths=post_paths)
    uvicorn.run(app, host=host, port=port, log_level=log_level, lifespan="on")
