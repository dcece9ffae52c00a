"""A local stand-in for the Legifrance API on PISTE, started by the tests (never the real service).

It answers, over real HTTP on 127.0.0.1, the OAuth token endpoint and the API endpoints santelex
calls, with:

- the real recorded answers of ``tests/fixtures/official/piste/`` (``getArticle`` of six
  articles, ``consult/jorf`` of the LFSS for 2021, ``lastNJo``), byte for byte, whenever the
  request is the one that was recorded;
- answers built from DILA's own description of the API (``legifrance-api-openapi-2.4.2.json``)
  for everything else: the response schema with its example values (lists empty), filled with
  what the recorded answers know.  A table of contents (``/consult/legi/tableMatieres``) lists
  the recorded articles of that code under their recorded sections; ``getArticleWithIdAndNum``
  finds a recorded article by code and number; ``/search`` finds the recorded texts; a version
  of an article other than the recorded one (``articleVersions``) is the recorded answer with
  that version's ``id``, ``etat`` and dates (its text is the recorded text: a stand-in, marked
  ``"executionTime": 0``).  Any other endpoint of the description gets the bare schema answer;
  an endpoint the description does not have, a 404.

What a test controls:

``today``      the fake's "now" (a ``date``; None: as recorded).  Versions that start later do
               not exist yet, the last one that has started is in force (``VIGUEUR``, open end).
``fail``       status codes answered, one per API request, before normal answers resume.
``always``     a status answered to every API request (a 429 storm); ``retry_after`` its header.
``malformed``  endpoints (or article ids) answered with truncated JSON.
``not_in_force`` article numbers ``getArticleWithIdAndNum`` does not find (as for a repealed
               article: the search of the codes still finds its versions).
``lifetime``   seconds a token lives; ``expire_tokens()`` makes every token issued so far stale.
``requests``   what was asked: (endpoint, payload) for each API request.
"""
from __future__ import annotations

import copy
import json
import secrets
import threading
import time
from datetime import date, datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

PISTE = Path(__file__).parent / "fixtures" / "official" / "piste"
SPEC = PISTE / "legifrance-api-openapi-2.4.2.json"
API_PREFIX = "/dila/legifrance/lf-engine-app"
TOKEN_PATH = "/api/oauth/token"
CLIENT_ID, CLIENT_SECRET = "santelex-test-id", "santelex-test-secret"
OPEN = 32472144000000  # 2999-01-01 in epoch milliseconds: "no end"


def _ms(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp() * 1000)


class Spec:
    """DILA's Swagger description: the example answer of an endpoint, of a definition."""

    def __init__(self, path: Path = SPEC):
        self.doc = json.loads(path.read_text(encoding="utf-8"))
        self.defs = self.doc["definitions"]

    def has(self, endpoint: str) -> bool:
        return endpoint in self.doc["paths"]

    def answer(self, endpoint: str) -> dict:
        op = self.doc["paths"][endpoint]
        op = op.get("post") or op.get("get")
        schema = (op.get("responses", {}).get("200") or {}).get("schema") or {}
        value = self.example(schema)
        return value if isinstance(value, dict) else {}

    def example(self, schema: dict, depth: int = 0):
        if "$ref" in schema:
            if depth > 6:
                return None
            return self.example(self.defs[schema["$ref"].rsplit("/", 1)[-1]], depth + 1)
        if "example" in schema and schema.get("type") != "array":
            return copy.deepcopy(schema["example"])
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            return {k: self.example(v, depth + 1) for k, v in (schema.get("properties") or {}).items()}
        if kind == "array":
            return []
        if kind == "string":
            return (schema.get("enum") or [""])[0] if "format" not in schema else None
        if kind in ("integer", "number"):
            return 0
        if kind == "boolean":
            return False
        return None


class FakeLegifrance:
    def __init__(self):
        self.spec = Spec()
        self.articles: dict[str, bytes] = {}  # recorded getArticle answers by article id
        self.texts: dict[str, bytes] = {}  # recorded consult/jorf answers by JORFTEXT id
        self.other: dict[str, bytes] = {}
        for f in sorted(PISTE.glob("catleg_getArticle_*.json")):
            raw = f.read_bytes()
            art = json.loads(raw).get("article")
            if art:
                self.articles[art["id"]] = raw
        for f in sorted(PISTE.glob("legifrance-rss_consult_jorf_*.json")):
            raw = f.read_bytes()
            self.texts[json.loads(raw)["cid"]] = raw
        self.other["/consult/lastNJo"] = (PISTE / "legifrance-rss_consult_lastNJo_example.json").read_bytes()
        # every version id any recorded article lists -> the recorded article it comes from
        self.version_of: dict[str, str] = {}
        for ident, raw in self.articles.items():
            for v in json.loads(raw)["article"].get("articleVersions") or []:
                self.version_of.setdefault(v["id"], ident)
            self.version_of[ident] = ident
        self.today: date | None = None
        self.fail: list[int] = []
        self.always: int | None = None
        self.retry_after: str | None = None
        self.malformed: set[str] = set()
        self.lifetime = 3600
        self.not_in_force: set[str] = set()  # article numbers getArticleWithIdAndNum does not give
        self.tokens: dict[str, float] = {}
        self.token_requests = 0
        self.requests: list[tuple[str, dict]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life --------------------------------------------------------------------------------
    def start(self) -> "FakeLegifrance":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status, headers, payload = fake.handle(self.path, self.headers, body)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.base + API_PREFIX

    @property
    def token_url(self) -> str:
        return self.base + TOKEN_PATH

    def expire_tokens(self):
        for t in self.tokens:
            self.tokens[t] = 0.0

    def calls(self, endpoint: str | None = None) -> int:
        return sum(1 for e, _ in self.requests if endpoint is None or e == endpoint)

    # -- answering -----------------------------------------------------------------------------
    def handle(self, path: str, headers, body: bytes):
        json_headers = {"Content-Type": "application/json"}
        if path == TOKEN_PATH:
            self.token_requests += 1
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            if (form.get("grant_type") != "client_credentials" or form.get("client_id") != CLIENT_ID
                    or form.get("client_secret") != CLIENT_SECRET):
                return 401, json_headers, b'{"error":"invalid_client","error_description":"Client authentication failed"}'
            token = secrets.token_hex(16)
            self.tokens[token] = time.monotonic() + self.lifetime
            return 200, json_headers, json.dumps({"access_token": token, "token_type": "Bearer",
                                                  "expires_in": self.lifetime, "scope": "openid"}).encode()
        if not path.startswith(API_PREFIX):
            return 404, json_headers, b'{"error":"not found"}'
        endpoint = path[len(API_PREFIX):]
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return 400, json_headers, b'{"error":"bad request"}'
        self.requests.append((endpoint, payload))
        auth = headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip()
        if self.tokens.get(token, 0.0) < time.monotonic():
            return 401, json_headers, b'{"error":"invalid_token"}'
        status = self.always or (self.fail.pop(0) if self.fail else None)
        if status:
            extra = {"Retry-After": self.retry_after} if self.retry_after else {}
            return status, {**json_headers, **extra}, b'{"error":"injected"}'
        if endpoint in self.malformed or payload.get("id") in self.malformed:
            return 200, json_headers, b'{"executionTime": 3, "article": {"id": "LEGIARTI0000'
        answer = self.answer(endpoint, payload)
        if answer is None:
            return 404, json_headers, b'{"error":"not found"}'
        return 200, json_headers, answer if isinstance(answer, bytes) else json.dumps(answer).encode()

    def answer(self, endpoint: str, payload: dict):
        if endpoint == "/consult/getArticle":
            return self.get_article(str(payload.get("id", "")))
        if endpoint == "/consult/getArticleWithIdAndNum":
            return self.article_by_number(str(payload.get("id", "")), str(payload.get("num", "")))
        if endpoint in ("/consult/legi/tableMatieres", "/consult/code/tableMatieres"):
            return self.table_of_contents(str(payload.get("textId", "")), str(payload.get("date", "")))
        if endpoint == "/consult/jorf":
            return self.texts.get(str(payload.get("textCid", "")))
        if endpoint == "/consult/getJoWithNor":
            nor = str(payload.get("nor", ""))
            return next((raw for raw in self.texts.values() if json.loads(raw).get("nor") == nor), None)
        if endpoint == "/search":
            return self.search(payload)
        if endpoint in self.other:
            return self.other[endpoint]
        if self.spec.has(endpoint):
            return self.spec.answer(endpoint)
        return None

    # -- articles and their versions ------------------------------------------------------------
    def _existing(self, versions: list[dict]) -> list[dict]:
        """The versions that exist at ``today``, the last started one in force."""
        vs = [dict(v) for v in versions if v["dateDebut"] != OPEN or v.get("version") == "INITIALE"]
        if self.today is None:
            return vs
        now = _ms(self.today)
        vs = [v for v in vs if v["dateDebut"] <= now or v.get("version") == "INITIALE"]
        started = [v for v in vs if v.get("version") != "INITIALE"]
        if started:
            last = max(started, key=lambda v: v["dateDebut"])
            last["etat"], last["dateFin"] = "VIGUEUR", OPEN
        return vs

    def get_article(self, ident: str):
        source = self.version_of.get(ident)
        if source is None:
            return {"executionTime": 0, "dereferenced": False, "article": None}
        raw = self.articles[source]
        doc = json.loads(raw)
        art = doc["article"]
        recorded = {v["id"]: v for v in art.get("articleVersions") or []}
        existing = {v["id"]: v for v in self._existing(art.get("articleVersions") or [])}
        if ident not in existing and ident in recorded:
            return {"executionTime": 0, "dereferenced": False, "article": None}  # not yet
        view = existing.get(ident)
        if ident == source and (view is None or (view["etat"], view["dateFin"]) == (
                recorded[ident]["etat"], recorded[ident]["dateFin"])) and len(existing) == len(recorded):
            return raw  # the recorded answer, as recorded
        art["id"] = ident
        if view is not None:
            art["etat"] = view["etat"]
            art["dateDebut"], art["dateFin"] = view["dateDebut"], view["dateFin"]
            art["versionArticle"] = view.get("version")
        if ident != source:
            art["lienModifications"] = []  # the amending texts of that version were not recorded
        art["articleVersions"] = list(existing.values())
        doc["executionTime"] = 0  # built by the fake, not recorded
        return doc

    def _code_of(self, raw: bytes) -> str:
        titles = json.loads(raw)["article"].get("textTitles") or [{}]
        return titles[0].get("cid") or ""

    def _in_force(self, source: str, day: date) -> dict | None:
        art = json.loads(self.articles[source])["article"]
        at = _ms(day)
        for v in self._existing(art.get("articleVersions") or []):
            if v.get("version") != "INITIALE" and v["dateDebut"] <= at < v["dateFin"]:
                return v
        return None

    def _day(self, asked: str) -> date:
        try:
            day = date.fromisoformat(asked[:10])
        except ValueError:
            day = date.today()
        return min(day, self.today) if self.today else day

    def article_by_number(self, legitext: str, num: str):
        if num in self.not_in_force:
            return {"executionTime": 0, "dereferenced": False, "article": None}
        for source, raw in self.articles.items():
            art = json.loads(raw)["article"]
            if self._code_of(raw) == legitext and art.get("num") == num:
                v = self._in_force(source, self.today or date.today())
                if v is not None:
                    return self.get_article(v["id"])
        return {"executionTime": 0, "dereferenced": False, "article": None}

    def table_of_contents(self, legitext: str, asked: str):
        day = self._day(asked)
        toc = self.spec.answer("/consult/legi/tableMatieres")
        toc.update({"id": f"{legitext}_{day.isoformat()}", "cid": legitext, "title": None,
                    "sections": [], "articles": [], "executionTime": 0})
        for source, raw in self.articles.items():
            if self._code_of(raw) != legitext:
                continue
            art = json.loads(raw)["article"]
            toc["title"] = (art.get("textTitles") or [{}])[0].get("titre")
            v = self._in_force(source, day)
            if v is None:
                continue
            level = toc
            for title in art["context"]["titresTM"]:
                section = next((s for s in level["sections"] if s["id"] == title["id"]), None)
                if section is None:
                    section = self.spec.example({"$ref": "#/definitions/ConsultSection"})
                    section.update({"id": title["id"], "cid": title["cid"], "title": title["titre"],
                                    "etat": "VIGUEUR", "sections": [], "articles": []})
                    level["sections"].append(section)
                level = section
            entry = self.spec.example({"$ref": "#/definitions/ConsultArticle"})
            entry.update({"id": v["id"], "cid": art.get("cid"), "num": art.get("num"), "etat": v["etat"],
                          "articleVersion": v.get("version"), "lstLienCitation": [], "lstLienModification": []})
            level["articles"].append(entry)
        return toc

    # -- texts ---------------------------------------------------------------------------------------
    def _known_texts(self) -> list[dict]:
        out = []
        for cid, raw in self.texts.items():
            t = json.loads(raw)
            out.append({"cid": cid, "title": t.get("title"), "nature": t.get("nature"), "nor": t.get("nor")})
        for raw in self.articles.values():
            for t in json.loads(raw)["article"].get("textTitles") or []:
                if str(t.get("cid", "")).startswith("JORFTEXT"):
                    out.append({"cid": t["cid"], "title": t.get("titreLong") or t.get("titre"),
                                "nature": t.get("nature"), "nor": t.get("nor")})
        return out

    def search(self, payload: dict):
        if str(payload.get("fond", "")).startswith("CODE"):
            return self.search_articles(payload)
        answer = self.spec.answer("/search")
        search = payload.get("recherche") or {}
        numbers = [c.get("valeur") for f in search.get("champs") or [] if f.get("typeChamp") == "NUM"
                   for c in f.get("criteres") or []]
        natures = [v for f in search.get("filtres") or [] if f.get("facette") == "NATURE" for v in f.get("valeurs") or []]
        results = []
        for t in self._known_texts():
            title = t["title"] or ""
            if numbers and not any(n and n in title for n in numbers):
                continue
            if natures and (t["nature"] or "").upper() not in natures:
                continue
            result = self.spec.example({"$ref": "#/definitions/SearchResult"})
            title_entry = self.spec.example({"$ref": "#/definitions/SearchTitle"})
            title_entry.update({"id": t["cid"], "cid": t["cid"], "title": title, "nature": t["nature"]})
            result.update({"titles": [title_entry], "nature": t["nature"], "nor": t["nor"]})
            if all(r["titles"][0]["cid"] != t["cid"] for r in results):
                results.append(result)
        answer.update({"results": results, "totalResultNumber": len(results), "executionTime": 0})
        return answer

    def search_articles(self, payload: dict):
        """A search of the codes by article number: every version of the recorded articles."""
        answer = self.spec.answer("/search")
        numbers = [c.get("valeur") for f in (payload.get("recherche") or {}).get("champs") or []
                   if f.get("typeChamp") == "NUM_ARTICLE" for c in f.get("criteres") or []]
        results = []
        for raw in self.articles.values():
            art = json.loads(raw)["article"]
            if art.get("num") not in numbers:
                continue
            text = (art.get("textTitles") or [{}])[0]
            result = self.spec.example({"$ref": "#/definitions/SearchResult"})
            title = self.spec.example({"$ref": "#/definitions/SearchTitle"})
            title.update({"id": text.get("id"), "cid": text.get("cid"), "title": text.get("titre"),
                          "nature": text.get("nature")})
            section = self.spec.example({"$ref": "#/definitions/SearchSection"})
            section["extracts"] = []
            for v in self._existing(art.get("articleVersions") or []):
                extract = self.spec.example({"$ref": "#/definitions/SearchExtract"})
                start = datetime.fromtimestamp(v["dateDebut"] / 1000, tz=timezone.utc)
                extract.update({"id": v["id"], "num": art.get("num"), "legalStatus": v["etat"] or None,
                                "dateDebut": start.strftime("%Y-%m-%dT%H:%M:%S.000+0000")})
                section["extracts"].append(extract)
            result.update({"titles": [title], "sections": [section], "nature": text.get("nature")})
            results.append(result)
        answer.update({"results": results, "totalResultNumber": len(results), "executionTime": 0})
        return answer
