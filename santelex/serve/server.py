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

import math
import multiprocessing as mp
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl

from santelex import formats
from santelex.errors import QueryError, SantelexError
from santelex.limits import MAX_QUERY_BYTES, client_of
from santelex.services import query as q
from santelex.store import sparql as sparql_text
from santelex.store.local import generation

__all__ = ["Answer", "QueryPool", "create_app", "negotiate", "serve"]

QUERY_PATHS = ("/sparql", "/query")

#: formats offered for each kind of result, in order of preference, with the media types
#: that ask for them (the first is the one answered with): santelex/formats.py
RESULT_OFFERS = [(f.name, f.media_types) for f in formats.RESULTS]
GRAPH_OFFERS = [(f.name, f.media_types) for f in formats.GRAPH]


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


def _text(status: int, message: str, headers: dict | None = None) -> Answer:
    return Answer(status, "text/plain; charset=utf-8", (message + "\n").encode(), headers or {})


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__


# -- SERVICE: the endpoint asks no other server unless told to ---------------------------------

def service_refusal(text: str, allowed: tuple[str, ...] = ()) -> str | None:
    """Why the query may not run here because of a SERVICE clause (None: it may).

    ``allowed`` holds ``host`` or ``host:port`` entries (``santelex serve --allow-service``);
    an endpoint must then be an absolute ``http(s)`` IRI on one of them: a variable
    (``SERVICE ?u``) or an endpoint written otherwise is refused whatever is allowed.
    """
    found = sparql_text.services(text)
    if not found:
        return None
    if not allowed:
        return ("SERVICE is refused: this endpoint sends no request to other servers "
                "(the operator may allow hosts with santelex serve --allow-service HOST)")
    hosts = {a.lower() for a in allowed}
    for endpoint in found:
        if endpoint is None:
            return ("SERVICE is refused unless its endpoint is an absolute IRI on an allowed host "
                    f"({', '.join(sorted(hosts))}): not a variable, a relative IRI or a merged keyword")
        host, port = sparql_text.service_host(endpoint)
        scheme = endpoint.split(":", 1)[0].lower()
        if scheme not in ("http", "https") or not (host in hosts or f"{host}:{port}" in hosts):
            return f"SERVICE <{endpoint}> is refused: allowed hosts are {', '.join(sorted(hosts))}"
    return None


# -- the store's identity: a build swaps the folder ---------------------------------------------

def store_folder(store_spec: str | None) -> Path | None:
    """The folder of a local store (None: a store on a SPARQL server)."""
    from santelex import store as stores
    path = getattr(stores.open_store(store_spec, read_only=True), "path", None)
    return path if isinstance(path, Path) else None  # a remote store's path is its URL


# -- the workers -----------------------------------------------------------------------------

def _worker(conn, store_spec: str | None):
    """A worker process: open the store, answer queries until the pipe closes.

    Each job carries the store's generation as the server saw it: when it differs from
    the one open here (a build swapped the store), the store is opened again first.
    """
    from santelex import store as stores
    try:
        store = stores.open_store(store_spec, read_only=True)
        opened = generation(getattr(store, "path", None))
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
        *job, wanted = job
        try:
            if wanted is not None and wanted != opened:
                store.close()
                store = stores.open_store(store_spec, read_only=True)
                opened = wanted
            answer = _answer(store, *job)
        except SantelexError as e:
            answer = ("answer", 503, "text/plain; charset=utf-8", f"the store cannot be read: {e}\n".encode(), {})
        try:
            conn.send(answer)
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
        headers = {"X-Santelex-Kind": kind}
        if result.truncated:
            headers.update({"X-Santelex-Truncated": "true", "X-Santelex-Max-Results": str(max_results)})
        return ("answer", 200, q.media_type(result, chosen), body, headers)
    except QueryError as e:
        return ("answer", 400, "text/plain; charset=utf-8", (str(e) + "\n").encode(), {})
    except SantelexError as e:
        return ("answer", 500, "text/plain; charset=utf-8", (str(e) + "\n").encode(), {})
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # Oxigraph's evaluation errors and panics: the worker goes on
        return ("answer", 400 if isinstance(e, (RuntimeError, ValueError, TypeError)) else 500,
                "text/plain; charset=utf-8", f"the query failed: {_one_line(e)}\n".encode(), {})


class _Worker:
    def __init__(self, ctx, store_spec, lane: str):
        self.lane = lane
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker, args=(child, store_spec), daemon=True,
                                   name=f"santelex-query-worker-{lane}")
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


@dataclass
class _Lease:
    worker: _Worker
    client: str
    started: float
    timeout: float


class QueryPool:
    """Worker processes that run read-only queries with a deadline and a size cap.

    Scheduling, so that cheap queries stay answered while others run long:

    - ``workers`` processes take any query, with the full ``timeout``;
    - one more, the quick worker, takes queries of *light* clients only (no query of theirs
      running, one answered within ``quick_timeout`` in the last ten minutes, none that ran
      longer in the last minute) when every other worker is busy, and stops them at
      ``quick_timeout`` seconds;
    - a client (an address) runs at most ``per_client`` queries at once;
    - a query that finds no worker within ``queue_wait`` seconds gets 503 with
      ``Retry-After`` (the seconds until a running query must end).
    """

    def __init__(self, store_spec: str | None, workers: int = 2, timeout: float = 30.0,
                 max_results: int | None = 10_000, allow_service: tuple[str, ...] = (),
                 queue_wait: float = 2.0, quick_timeout: float = 2.0):
        self.store_spec = store_spec
        self.size = max(1, workers)
        self.timeout = timeout
        self.max_results = max_results
        self.allow_service = tuple(allow_service)
        self.queue_wait = queue_wait
        self.quick_timeout = min(quick_timeout, timeout)
        self.per_client = max(1, self.size - 1)
        self._ctx = mp.get_context("spawn")
        self._cond = threading.Condition()
        self._idle: dict[str, list[_Worker]] = {"main": [], "quick": []}
        self._all: list[_Worker] = []
        self._leases: list[_Lease] = []
        self._running: dict[str, int] = {}
        self._waiting: dict[str, int] = {}
        self._long: dict[str, float] = {}   # client -> when one of its queries last ran long
        self._fast: dict[str, float] = {}   # client -> when one of its queries was last answered quickly
        self._folder: Path | None = None
        self.closed = False

    def start(self):
        self._folder = store_folder(self.store_spec)
        for _ in range(self.size):
            self._spawn("main")
        self._spawn("quick")
        # the first worker must come up: a store that cannot be opened is an error now
        first = self._idle["main"][0]
        problem = first.wait_ready(60)
        if problem:
            self.close()
            raise SantelexError(problem, self.store_spec)

    def _spawn(self, lane: str):
        w = _Worker(self._ctx, self.store_spec, lane)
        with self._cond:
            self._all.append(w)
            self._idle[lane].append(w)
            self._cond.notify_all()

    def _retire(self, w: _Worker):
        with self._cond:
            if w in self._all:
                self._all.remove(w)
        w.kill()
        if not self.closed:
            self._spawn(w.lane)

    def refusal(self, text: str) -> Answer | None:
        """The answer to a query that must not run at all (an update, a SERVICE)."""
        if sparql_text.is_update(text):
            return _text(403, "updates are refused: this endpoint is read-only")
        why = service_refusal(text, self.allow_service)
        if why:
            return _text(400, why)
        return None

    # -- scheduling ----------------------------------------------------------------------
    def _light(self, client: str, now: float) -> bool:
        """A client may use the quick worker: none of its queries is running, one of them was
        answered within ``quick_timeout`` in the last ten minutes, none ran longer in the last one."""
        last = self._long.get(client)
        if last is not None and now - last > 60:
            del self._long[client]
            last = None
        fast = self._fast.get(client)
        if fast is not None and now - fast > 600:
            del self._fast[client]
            fast = None
        return last is None and fast is not None and not self._running.get(client)

    def _retry_after(self, now: float) -> int:
        ends = [l.started + l.timeout - now for l in self._leases if l.worker.lane == "main"]
        return max(1, min(int(math.ceil(min(ends))) if ends else 1, int(math.ceil(self.timeout))))

    def _acquire(self, client: str) -> _Lease | Answer:
        now = time.monotonic()
        give_up = now + self.queue_wait
        with self._cond:
            if self._waiting.get(client, 0) >= 4 * self.per_client:
                return self._busy(now, "too many queries from this client are waiting")
            self._waiting[client] = self._waiting.get(client, 0) + 1
            try:
                while not self.closed:
                    now = time.monotonic()
                    if self._running.get(client, 0) < self.per_client:
                        lane = "main" if self._idle["main"] else (
                            "quick" if self._idle["quick"] and self._light(client, now) else None)
                        if lane:
                            w = self._idle[lane].pop(0)
                            lease = _Lease(w, client, now, self.timeout if lane == "main" else self.quick_timeout)
                            self._leases.append(lease)
                            self._running[client] = self._running.get(client, 0) + 1
                            return lease
                    if now >= give_up:
                        return self._busy(now, f"every query worker stayed busy for {self.queue_wait:g} s")
                    self._cond.wait(give_up - now)
                return _text(503, "the server is stopping")
            finally:
                self._waiting[client] -= 1
                if not self._waiting[client]:
                    del self._waiting[client]

    def _busy(self, now: float, why: str) -> Answer:
        after = self._retry_after(now)
        return _text(503, f"{why}; try again in {after} s", {"Retry-After": str(after)})

    def _release(self, lease: _Lease, worker_alive: bool):
        now = time.monotonic()
        with self._cond:
            self._leases.remove(lease)
            self._running[lease.client] -= 1
            if not self._running[lease.client]:
                del self._running[lease.client]
            if now - lease.started > self.quick_timeout:
                self._long[lease.client] = now
            elif worker_alive:
                self._fast[lease.client] = now
            if worker_alive and not self.closed:
                self._idle[lease.worker.lane].append(lease.worker)
            self._cond.notify_all()

    # -- answering -----------------------------------------------------------------------
    def run(self, text: str, accept: str | None = None, fmt: str | None = None, client: str = "") -> Answer:
        """Answer one query (blocking: call it from a thread)."""
        refused = self.refusal(text)
        if refused:
            return refused
        wanted = generation(self._folder)
        lease = self._acquire(client)
        if isinstance(lease, Answer):
            return lease
        w, alive = lease.worker, False
        deadline = lease.started + lease.timeout
        try:
            problem = w.wait_ready(max(0.1, deadline - time.monotonic()))
            if problem:
                self._retire(w)
                return _text(503, problem)
            w.conn.send((text, accept, fmt, self.max_results, wanted))
            if not w.conn.poll(max(0.0, deadline - time.monotonic())):
                self._retire(w)
                if w.lane == "quick":
                    after = self._retry_after(time.monotonic())
                    return _text(503, f"query stopped: still running after {lease.timeout:g} s while every "
                                      f"other query worker is busy; try again in {after} s",
                                 {"Retry-After": str(after)})
                return _text(503, f"query stopped: still running after {self.timeout:g} s "
                                  "(the server's time limit, santelex serve --timeout)")
            _, status, media_type, body, headers = w.conn.recv()
            alive = True
        except (EOFError, OSError):
            self._retire(w)
            return _text(500, "the query worker died; the query was not answered")
        finally:
            self._release(lease, alive)
        return Answer(status, media_type, body, headers)

    def close(self):
        with self._cond:
            self.closed = True
            workers, self._all = self._all, []
            self._cond.notify_all()
        for w in workers:
            w.kill()


# -- the application -------------------------------------------------------------------------



def create_app(store_spec: str | None = None, *, timeout: float = 30.0, max_results: int | None = 10_000,
               workers: int = 2, routes=(), post_paths=(), pool: QueryPool | None = None,
               allow_service: tuple[str, ...] = (), max_query: int = MAX_QUERY_BYTES):
    """The Starlette application: ``routes`` (the web pages) first, then the endpoint.

    ``post_paths``: paths of those routes that accept POST (everything else refuses it).
    """
    from contextlib import asynccontextmanager

    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.routing import Route

    pool = pool or QueryPool(store_spec, workers=workers, timeout=timeout, max_results=max_results,
                             allow_service=allow_service)

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
                    middleware=[Middleware(ReadOnly, post_paths=(*QUERY_PATHS, *post_paths))],
                    exception_handlers={Exception: internal_error})
    app.state.queries = pool
    app.state.max_query = max_query
    return app


async def internal_error(request, exc):
    """Whatever escaped a route: one line (the traceback goes to the server's log only)."""
    from starlette.responses import PlainTextResponse
    message = f"internal error ({type(exc).__name__}); the server goes on"
    handler = getattr(request.app.state, "error_page", None)
    if handler is not None and request.url.path.rstrip("/") not in QUERY_PATHS:
        return handler(message, 500)
    return PlainTextResponse(message + "\n", status_code=500)


class BodyTooLarge(Exception):
    pass


async def read_body(request, cap: int) -> bytes:
    """The request's body, refused past ``cap`` bytes, counted as they arrive.

    ``Content-Length`` is only a hint: a larger one is refused at once, a smaller one
    that lies is caught by the count.
    """
    try:
        declared = int(request.headers.get("content-length") or 0)
    except ValueError:
        declared = 0
    if declared > cap:
        raise BodyTooLarge()
    chunks, seen = [], 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > cap:
            raise BodyTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


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
        if ctype not in ("application/sparql-query", "application/x-www-form-urlencoded"):
            return reply(_text(415, "POST a query as application/sparql-query or as a form "
                                    "(application/x-www-form-urlencoded) with query=…"))
        cap = request.app.state.max_query
        try:
            body = await read_body(request, cap)
        except BodyTooLarge:
            return reply(_text(413, f"request too large: a query may hold at most {cap // 1024} KiB"))
        if ctype == "application/sparql-query":
            text = body.decode("utf-8", errors="replace")
        else:
            form = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
            if any(k == "update" for k, _ in form):
                return reply(_text(403, "updates are refused: this endpoint is read-only"))
            params += form
    found = {k: v for k, v in params}
    if text is None:
        text = found.get("query")
    if not text:
        return reply(_text(400, "no query: send ?query=… (SPARQL 1.1 Protocol)"))
    if any(k in ("default-graph-uri", "named-graph-uri") for k, _ in params):
        return reply(_text(400, "default-graph-uri and named-graph-uri are not supported: "
                                "queries see the union of all the store's graphs"))
    pool: QueryPool = request.app.state.queries
    answer = await run_in_threadpool(pool.run, text, request.headers.get("accept"), found.get("format"),
                                     client_of(request))
    answer.headers.pop("X-Santelex-Kind", None)
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
          max_upload: int | None = None, allow_service: tuple[str, ...] = ()):
    """Run the endpoint, and the web pages of santelex/web beside it, until interrupted."""
    import uvicorn

    from santelex.web import DEFAULT_MAX_UPLOAD, web_routes
    routes, post_paths = web_routes(store_spec, max_upload=max_upload or DEFAULT_MAX_UPLOAD)
    app = create_app(store_spec, timeout=timeout, max_results=max_results, workers=workers,
                     routes=routes, post_paths=post_paths, allow_service=allow_service)
    from santelex.web.app import error_page
    app.state.error_page = error_page
    uvicorn.run(app, host=host, port=port, log_level=log_level, lifespan="on")
