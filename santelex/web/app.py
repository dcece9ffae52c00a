"""The pages' HTTP handlers (Starlette), mounted beside the SPARQL endpoint by ``santelex serve``.

    routes, post_paths = web_routes(store_spec, max_upload=20 * 1024 * 1024)
    create_app(store_spec, routes=routes, post_paths=post_paths)        # santelex/serve/server.py

Pages (French labels; HTML from Jinja2 templates with autoescape on, no script at all:
the Content-Security-Policy header forbids any):

    /                                   home: search box, entry points
    /chercher?q=R1434-4                 -> 303 to the article's page (or the nearest numbers)
    /article/<code>/<number>            an article: text, references, cité par, versions, concepts,
                                        citation neighbourhood (?version=KEY, ?cible=I/3/a)
    /texte/<nature>/<number>[/article/<n>]   a JO text, or one of its articles
    /voisinage.svg?uri=…                the neighbourhood picture alone
    /validation                         upload an annex (a folder, a .zip, an .xlsx), see and download the report
    /validation/rapport/<id>.json|.ttl  the report of an upload (kept in memory, last 16)
    /requete                            a SPARQL box with the named queries as examples

The pages read the store through their own read-only handle; the SPARQL box goes through
the endpoint's worker pool (``request.app.state.queries``), so it has the same deadline,
size cap and refusal of updates as ``/sparql``.
"""
from __future__ import annotations

import json
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import quote

import anyio
import jinja2
import pyoxigraph as ox
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from santelex import codes, formats, lookup, uris
from santelex import store as stores
from santelex.errors import AnnexError, RuleSetError, SantelexError, UsageError
from santelex.limits import MAX_QUERY_BYTES, client_of
from santelex.services import query as q
from santelex.store import sparql as sparql_text
from santelex.store.local import generation
from santelex.web import law
from santelex.web.neighbourhood import neighbourhood, to_svg
from santelex.web.upload import DEFAULT_MAX_UPLOAD, MB, Limits, UploadError, UploadTooLarge, validate_isolated

HERE = Path(__file__).parent
POST_PATHS = ("/validation", "/requete")
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
                               "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
SHOWN_ROWS = 1000          # rows of a query result shown in the page
FULL_TABLES = 3000         # above this many objectives, territory tables show offending rows only
SHOWN_OBJECTIVES = 5000    # rows of the territory tables, at most (the downloads hold everything)
MAX_FOLDER_FILES = 50      # files of a folder chosen in the browser
MAX_QUERY = MAX_QUERY_BYTES  # bytes of a query posted from the SPARQL box, as at /sparql

# the validation report's tables come from the validator's own templates (one HTML renderer)
_env = jinja2.Environment(loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(HERE / "templates")),
                                                      jinja2.PackageLoader("santelex.validation", "templates")]),
                          autoescape=True,
                          trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
_env.globals.update(page_url=law.page_url, label=law.label, sub_label=law.sub_label, mb=MB,
                    status_label=lambda s: law.STATUS.get(s, s) if s else "—")


def render(name: str, status: int = 200, **context) -> HTMLResponse:
    return HTMLResponse(_env.get_template(name).render(**context), status_code=status, headers=HEADERS)


def error_page(e: SantelexError | str, status: int) -> HTMLResponse:
    return render("erreur.html", status=status, message=str(e))


@dataclass
class Settings:
    store_spec: str | None
    max_upload: int
    reports: "OrderedDict[str, tuple]"
    lock: threading.Lock
    store: object = None
    opened: tuple | None = None

    def open(self):
        """The pages' read-only handle, opened again when a build has swapped the store."""
        with self.lock:
            if self.store is not None:
                now = generation(getattr(self.store, "path", None))
                if now != self.opened:
                    self.store.close()
                    self.store = None
            if self.store is None:
                self.store = stores.open_store(self.store_spec, read_only=True)
                self.opened = generation(getattr(self.store, "path", None))
            return self.store


async def _in_thread(func, *args):
    return await anyio.to_thread.run_sync(partial(func, *args))


# ----------------------------------------------------------------------------- law pages

async def home(settings: Settings, request: Request):
    return render("accueil.html", examples=[("R1434-4", "CSP R1434-4"), ("D. 712-2", "D. 712-2"),
                                            ("L. 1434-7", "L1434-7")])


async def search(settings: Settings, request: Request):
    text = request.query_params.get("q", "").strip()
    if not text:
        return RedirectResponse("/", status_code=303)
    store = settings.open()
    try:
        uri = await _in_thread(law.find, store, text)
    except UsageError as e:
        near = str(e).split("; nearest: ", 1)[1].split(", ") if "; nearest: " in str(e) else []
        return render("introuvable.html", status=404, query=text, near=near)
    except SantelexError as e:
        return error_page(e, 400)
    url = law.page_url(uri)
    if url is None:
        return render("introuvable.html", status=404, query=text, near=[])
    return RedirectResponse(url, status_code=303)


def _article_context(store, work: str, version: str | None, target: str | None) -> dict:
    page = law.article_page(store, work, version, target)
    graph = neighbourhood(store, work)
    svg = to_svg(graph, work)
    # the SVG is built by ElementTree, which escapes every text and attribute it writes
    return {"page": page, "svg": Markup(svg), "hidden": graph.graph.get("hidden", 0),
            "svg_url": "/voisinage.svg?uri=" + quote(work, safe="")}


async def article(settings: Settings, request: Request):
    code = request.path_params["code"]
    number = request.path_params["number"]
    name = f"{codes.slug(code) or code}/{number}"
    try:
        work = await _in_thread(lookup.known_article, settings.open(), name)
    except UsageError:
        work = lookup.article(name)  # in no store: its page says so
    found = uris.parse(work)
    if (found.code, found.number) != (code, number):  # "csp/d.%20712-2", "…/R1173-8" for R*1173-8
        url = law.page_url(work)
        if request.url.query:
            url += "?" + request.url.query
        return RedirectResponse(url, status_code=301)
    return await _work_page(settings, request, work)


async def _work_page(settings: Settings, request: Request, work: str):
    if not valid_iri(work):
        return error_page(f"adresse d'article invalide : {work}", 400)
    store = settings.open()
    version = request.query_params.get("version")
    target = request.query_params.get("cible") or None
    try:
        context = await _in_thread(_article_context, store, work, version, target)
    except SantelexError as e:
        return error_page(e, 500)
    status = 200 if context["page"].in_store else 404
    return render("article.html", status=status, **context)


async def text(settings: Settings, request: Request):
    path = request.path_params["path"].strip("/")
    uri = uris.JORF + path
    found = uris.parse(uri) if valid_iri(uri) else None
    if found is None or found.text is None:
        return error_page(f"aucun texte à l'adresse /texte/{path}", 404)
    if found.sub or found.version:  # a version or a subdivision: the work's page, at its anchor
        return RedirectResponse(law.page_url(uri), status_code=301)
    if found.number is not None:
        return await _work_page(settings, request, uri)
    store = settings.open()
    page = await _in_thread(law.text_page, store, uri)
    return render("texte.html", status=200 if page.in_store else 404, page=page)


def valid_iri(uri: str) -> bool:
    try:
        ox.NamedNode(uri)
    except ValueError:
        return False
    return True


async def neighbourhood_svg(settings: Settings, request: Request):
    uri = request.query_params.get("uri", "")
    if not valid_iri(uri):
        return Response("uri: not an IRI (an article's URI, percent-encoded)\n", status_code=400,
                        media_type="text/plain; charset=utf-8")
    if law.page_url(uri) is None:
        return Response("unknown article\n", status_code=404, media_type="text/plain; charset=utf-8")
    store = settings.open()
    graph = await _in_thread(neighbourhood, store, uri)
    svg = '<?xml version="1.0" encoding="UTF-8"?>\n' + to_svg(graph, uri)
    return Response(svg, media_type="image/svg+xml", headers=HEADERS)


# ----------------------------------------------------------------------------- validation

_validations = anyio.CapacityLimiter(2)


class TooLarge(Exception):
    pass


def _capped(receive, cap: int):
    seen = 0

    async def wrapped():
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > cap:
                raise TooLarge()
        return message

    return wrapped


async def validation_form(settings: Settings, request: Request):
    return render("validation.html", max_upload=settings.max_upload, error=None)


async def validation_upload(settings: Settings, request: Request):
    cap = settings.max_upload
    envelope = cap + 64 * 1024  # the form's own bytes around the file

    def refuse(message: str, status: int):
        return render("validation.html", status=status, max_upload=cap, error=message)

    try:
        declared = int(request.headers.get("content-length", "0"))
    except ValueError:
        declared = 0
    if declared > envelope:
        return refuse(f"Fichier trop volumineux : au plus {cap // MB} Mo.", 413)
    capped = Request(request.scope, _capped(request.receive, envelope))
    try:
        form = await capped.form(max_files=MAX_FOLDER_FILES, max_fields=4)
    except TooLarge:
        return refuse(f"Fichier trop volumineux : au plus {cap // MB} Mo.", 413)
    except Exception as e:  # multipart parse errors (starlette's MultiPartException and others)
        return refuse(f"Envoi illisible : {e}", 400)
    try:
        archive = form.get("annexe")
        folder = [f for f in form.getlist("dossier") if not isinstance(f, str) and f.filename]
        limits = Limits.for_upload(cap)
        if archive is not None and not isinstance(archive, str) and archive.filename:
            data = await archive.read(cap + 1)
            if len(data) > cap:
                return refuse(f"Fichier trop volumineux : au plus {cap // MB} Mo.", 413)
            job = partial(validate_isolated, "unpacked", data, archive.filename, limits)
        elif folder:
            files = [(f.filename, await f.read(cap + 1)) for f in folder]
            job = partial(validate_isolated, "from_folder", files, limits)
        else:
            return refuse("Choisissez l'annexe : un dossier, un dossier compressé (.zip) ou un classeur .xlsx.", 400)
    finally:
        await form.close()
    try:
        annexe, report = await anyio.to_thread.run_sync(job, limiter=_validations)
    except UploadTooLarge as e:
        return refuse(f"Envoi refusé — {e}", 413)
    except UploadError as e:
        return refuse(f"Envoi refusé — {e}", 400)
    except RuleSetError as e:
        return refuse(f"Aucune règle pour cette annexe — {e}", 422)
    except AnnexError as e:
        return refuse(f"Annexe illisible — {e}", 422)
    token = secrets.token_urlsafe(12)
    with settings.lock:
        settings.reports[token] = (annexe, report)
        while len(settings.reports) > 16:
            settings.reports.popitem(last=False)
    return render("rapport.html", **_report_context(annexe, report, token))


def _report_context(annexe, report, token: str) -> dict:
    from collections import Counter, defaultdict

    by_row = defaultdict(list)
    for r in report.results:
        by_row[(r.file, r.row)].append(r)
    rules = Counter(r.rule for r in report.results)
    first = {}
    for r in report.results:
        first.setdefault(r.rule, r)
    summary = [(rule, n, first[rule]) for rule, n in sorted(rules.items(), key=lambda x: (-x[1], x[0]))]
    declared = [t.code for t in annexe.territoires if t.code]
    groups: dict[str, list] = {code: [] for code in declared}
    for o in annexe.objectifs:
        groups.setdefault(o.territoire, []).append(o)
    only_offending = len(annexe.objectifs) > FULL_TABLES
    territories = []
    names = {t.code: t.libelle for t in annexe.territoires}
    room = SHOWN_OBJECTIVES
    for code, objectives in groups.items():
        rows = [(o, by_row.get((o.file, o.row), [])) for o in objectives]
        bad = sum(1 for _, found in rows if found)
        if only_offending:
            rows = [(o, found) for o, found in rows if found]
        shown, room = rows[:max(0, room)], room - len(rows)
        territories.append({"code": code, "name": names.get(code), "declared": code in names,
                            "rows": shown, "bad": bad, "total": len(objectives), "cut": len(shown) < len(rows)})
    objective_files = {o.file for o in annexe.objectifs}
    other = [r for r in report.results if r.file not in objective_files]
    return {"annexe": annexe, "report": report, "summary": summary, "territories": territories,
            "other": other, "token": token, "only_offending": only_offending, "files": str,
            "violations": sum(1 for r in report.results if r.severity == "Violation")}


async def report_download(settings: Settings, request: Request):
    token, fmt = request.path_params["token"], request.path_params["fmt"]
    found = settings.reports.get(token)
    turtle = formats.by_name("turtle")
    if found is None or fmt not in ("json", turtle.suffixes[0][1:]):
        return error_page("Ce rapport n'est plus disponible : envoyez l'annexe de nouveau.", 404)
    from santelex import validation as validate

    _, report = found
    if fmt == "json":
        body, media = validate.render(report, "json"), "application/json"
    else:
        body, media = await _in_thread(validate.render, report, turtle.name), turtle.media_type
    name = f"rapport-validation.{fmt}"
    return Response(body, media_type=media, headers={**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})


# ----------------------------------------------------------------------------- SPARQL box

#: the named queries' titles in French (queries/*.rq are written in English)
QUERY_TITLES = {
    "allowed-indicators": "Indicateurs admis pour une activité de soins ou un équipement lourd",
    "annex-summary": "Résumé d'une annexe chargée : objectifs par territoire et indicateur",
    "annex-violations": "Violations d'une annexe, d'après un rapport de validation enregistré",
    "article-text": "Un article tel qu'en vigueur à une date",
    "citation-count": "Articles les plus cités d'un code",
    "cited-by": "Ce qui cite un article",
    "cites": "Ce que cite un article",
    "dangling-citations": "Renvois vers des articles qui ne sont plus dans le code",
    "excluded-from-volume": "Activités exclues des objectifs de volume (D. 712-2, I, 3°)",
    "legal-basis": "Fondement juridique d'un terme de l'ontologie",
    "versions": "Versions d'un article et textes modificateurs",
}


def _examples(store) -> list[dict]:
    """The named queries, each with its required parameters bound to their example values."""
    from santelex.store.local import bind_values

    out = []
    for nq in q.catalogue():
        text, shown = nq.text, []
        values = {p.name: p.example for p in nq.params
                  if p.example and (p.required or p.default is not None)}
        try:
            bindings = q.bind(nq, values, store)
            if bindings:
                text = bind_values(nq.text, bindings)
            shown = [f"{k} = {v}" for k, v in values.items()]
        except SantelexError:
            pass
        out.append({"name": nq.name, "title": QUERY_TITLES.get(nq.name, nq.title or nq.name),
                    "params": shown, "text": text})
    return out


def _cell(text: str, iri: bool = False) -> dict:
    return {"text": text, "iri": iri, "href": law.page_url(text) if iri else None}


def _term_cell(term) -> dict:
    if term is None:
        return _cell("")
    if isinstance(term, ox.NamedNode):
        return _cell(term.value, iri=True)
    if isinstance(term, ox.Literal):
        return _cell(term.value)
    return _cell(str(term))


def _json_cell(value: dict | None) -> dict:
    if value is None:
        return _cell("")
    return _cell(value.get("value", ""), iri=value.get("type") == "uri")


async def query_page(settings: Settings, request: Request):
    store = settings.open()
    examples = await _in_thread(_examples, store)
    text = ""
    if request.method == "POST":
        try:
            if int(request.headers.get("content-length") or 0) > MAX_QUERY:
                raise TooLarge()
            form = await Request(request.scope, _capped(request.receive, MAX_QUERY)).form(max_files=0, max_fields=4)
        except (TooLarge, ValueError):
            return render("requete.html", status=413, examples=examples, text="", result=None,
                          error=f"Requête trop longue : au plus {MAX_QUERY // 1024} Kio.")
        text = str(form.get("requete", ""))
        await form.close()
    else:
        text = request.query_params.get("requete", "")
        chosen = request.query_params.get("exemple")
        if chosen and not text:
            text = next((e["text"] for e in examples if e["name"] == chosen), "")
    context = {"examples": examples, "text": text, "error": None, "result": None}
    if text.strip():
        context["result"], context["error"] = await _run_query(request, text)
    return render("requete.html", status=400 if context["error"] else 200, **context)


async def _run_query(request: Request, text: str):
    """Run the box's query through the endpoint's workers (its refusals, deadline and cap).

    Nothing of the query runs in this process: its kind comes back with the answer.
    """

    try:
        sparql_text.refuse_update(text, "requête")
    except SantelexError as e:
        return None, str(e)
    pool = request.app.state.queries
    accept = f"{formats.by_name('json').media_type}, {formats.by_name('ntriples').media_type}"
    answer = await _in_thread(pool.run, text, accept,
                              None, client_of(request))
    if answer.status != 200:
        return None, answer.body.decode("utf-8", "replace").strip().replace("query:", "requête:", 1)
    kind = answer.headers.get("X-Santelex-Kind", "select")
    truncated = answer.headers.get("X-Santelex-Truncated") == "true"
    if kind in ("construct", "describe"):
        triples = list(ox.parse(answer.body, format=formats.oxigraph("ntriples")))
        variables = ["sujet", "prédicat", "objet"]
        rows = [[_term_cell(t.subject), _term_cell(t.predicate), _term_cell(t.object)] for t in triples[:SHOWN_ROWS]]
        count = len(triples)
        return {"kind": kind, "variables": variables, "rows": rows, "count": count,
                "truncated": truncated, "cut": count > SHOWN_ROWS}, None
    data = json.loads(answer.body)
    if kind == "ask":
        return {"kind": "ask", "boolean": bool(data.get("boolean")), "truncated": False}, None
    variables = data["head"].get("vars", [])
    bindings = data["results"]["bindings"]
    rows = [[_json_cell(b.get(v)) for v in variables] for b in bindings[:SHOWN_ROWS]]
    return {"kind": kind, "variables": variables, "rows": rows, "count": len(bindings),
            "truncated": truncated, "cut": len(bindings) > SHOWN_ROWS}, None


# ----------------------------------------------------------------------------- assembly

def web_routes(store_spec: str | None, max_upload: int = DEFAULT_MAX_UPLOAD):
    """(routes, post paths) for ``santelex.serve.server.create_app``."""
    settings = Settings(store_spec=store_spec, max_upload=max_upload, reports=OrderedDict(),
                        lock=threading.Lock())

    def bound(handler):
        async def endpoint(request: Request):
            return await handler(settings, request)
        endpoint.__name__ = handler.__name__
        return endpoint

    async def validation_page(settings: Settings, request: Request):
        if request.method == "POST":
            return await validation_upload(settings, request)
        return await validation_form(settings, request)

    routes = [
        Route("/", bound(home)),
        Route("/chercher", bound(search)),
        Route("/article/{code}/{number}", bound(article)),
        Route("/texte/{path:path}", bound(text)),
        Route("/voisinage.svg", bound(neighbourhood_svg)),
        Route("/validation", bound(validation_page), methods=["GET", "POST"]),
        Route("/validation/rapport/{token}.{fmt}", bound(report_download)),
        Route("/requete", bound(query_page), methods=["GET", "POST"]),
        Mount("/static", app=StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    return routes, POST_PATHS
