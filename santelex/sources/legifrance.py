"""The Legifrance API (DILA, on the PISTE platform): a small httpx client and what santelex fetches.

The client (``Client``):
- OAuth2 *client credentials*: ``LEGIFRANCE_CLIENT_ID`` / ``LEGIFRANCE_CLIENT_SECRET`` from the
  environment, else ``client_id`` / ``client_secret`` in the config file
  (``$SANTELEX_CONFIG``, else ``$XDG_CONFIG_HOME/santelex/config.toml``); the token is asked
  for once, kept until it expires, and asked for again on expiry or on a 401;
- production by default, the sandbox with ``sandbox = true`` (or ``--sandbox``); both URLs can
  be set (``--api-url``, ``--token-url``), which is how the tests point it at a local server;
- at most ``rate`` requests a second (default 4: PISTE sets each application's quotas per
  second, minute and day, and answers 429 beyond them); 429 and 5xx answers and network errors
  are retried with exponential backoff, honouring ``Retry-After``; when the retries are spent,
  one clear FetchError;
- every answer is kept, raw, in a cache (``$XDG_CACHE_HOME/santelex/sources/legifrance/<host>/<endpoint>/``):
  asking again costs no call (``refresh`` asks anyway, as ``santelex update`` does).

Every failure is a ``FetchError`` (one line, exit 2 in the CLI): missing or wrong credentials
(naming the variables to set), a quota storm, malformed JSON, an unknown article (with the
nearest numbers the code has).

What santelex fetches (``fetch``, ``fetch_code``): an article (``"CSP R1434-4"``, ``D. 712-2``,
``LEGIARTI…``) with every version Legifrance lists for it (``articleVersions``), a text of the
Journal officiel (``JORFTEXT…``, a NOR, ``décret n° 2005-76``), a whole code (its table of
contents, then each article).  The raw answers are read by ``ingest/piste_json`` (the same
article model as every other reader) and loaded by the build engine (santelex/builder/engine.py),
``load_answers`` being their plan: one graph per answer (``legifrance/article/LEGIARTI…``), all or
nothing.

Why not pylegifrance (MIT, on PyPI): it needs Python >= 3.12 (santelex supports 3.11) and calls
``logging.basicConfig`` when imported, which would reconfigure the logging of any program that
imports santelex; the handful of endpoints santelex needs fit in this module.
"""
from __future__ import annotations

import email.utils
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

import httpx

from santelex import codes, uris, vocab
from santelex.errors import FetchError, UsageError
from santelex.model import CSP

__all__ = ["article_name", "Client", "Config", "fetch", "fetch_code", "Fetched",
           "FetchError", "followed_codes", "load_answers", "load_config", "toc_articles"]

PRODUCTION_API = "https://api.piste.gouv.fr/dila/legifrance/lf-engine-app"
PRODUCTION_TOKEN = "https://oauth.piste.gouv.fr/api/oauth/token"
SANDBOX_API = "https://sandbox-api.piste.gouv.fr/dila/legifrance/lf-engine-app"
SANDBOX_TOKEN = "https://sandbox-oauth.piste.gouv.fr/api/oauth/token"
ENV_ID, ENV_SECRET = "LEGIFRANCE_CLIENT_ID", "LEGIFRANCE_CLIENT_SECRET"


# --- configuration ------------------------------------------------------------------------------

def config_path() -> Path:
    if os.environ.get("SANTELEX_CONFIG"):
        return Path(os.environ["SANTELEX_CONFIG"]).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "santelex" / "config.toml"


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "santelex" / "legifrance"


@dataclass(frozen=True)
class Config:
    client_id: str | None = None
    client_secret: str | None = None
    api_url: str = PRODUCTION_API
    token_url: str = PRODUCTION_TOKEN
    rate: float = 4.0  # requests per second
    retries: int = 6
    backoff: float = 1.0  # seconds before the first retry, doubled each time
    max_wait: float = 120.0  # longest single wait
    timeout: float = 60.0
    cache: Path = field(default_factory=default_cache)
    #: santelex update: "api" or "archives" (a folder of DILA archives)
    source: str = "api"
    archives: Path | None = None
    codes: tuple[str, ...] = ()
    file: Path | None = None  # the config file read, if any


_KEYS = {
    "legifrance": {"client_id", "client_secret", "api_url", "token_url", "sandbox", "rate", "retries",
                   "backoff", "max_wait", "timeout", "cache"},
    "update": {"source", "archives", "codes"},
}


def load_config(path: str | os.PathLike | None = None, **overrides) -> Config:
    """The configuration: the config file, then the environment, then ``overrides`` (None: unset)."""
    import tomllib
    file = Path(path).expanduser() if path else config_path()
    values: dict = {}
    found = None
    if file.exists():
        found = file
        try:
            doc = tomllib.loads(file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            m = re.search(r"at line (\d+)", str(e))
            raise UsageError(f"malformed config file: {re.sub(r' [(]at line.*', '', str(e))}", str(file),
                             int(m.group(1)) if m else None) from None
        for section, table in doc.items():
            if section not in _KEYS or not isinstance(table, dict):
                raise UsageError(f"unknown section [{section}] (known: {', '.join(sorted(_KEYS))})", str(file))
            unknown = set(table) - _KEYS[section]
            if unknown:
                raise UsageError(f"unknown key(s) in [{section}]: {', '.join(sorted(unknown))}", str(file))
            values.update(table)
    if values.pop("sandbox", False):
        values.setdefault("api_url", SANDBOX_API)
        values.setdefault("token_url", SANDBOX_TOKEN)
    if os.environ.get(ENV_ID):
        values["client_id"] = os.environ[ENV_ID]
    if os.environ.get(ENV_SECRET):
        values["client_secret"] = os.environ[ENV_SECRET]
    if overrides.pop("sandbox", False):
        values["api_url"], values["token_url"] = SANDBOX_API, SANDBOX_TOKEN
    values.update({k: v for k, v in overrides.items() if v is not None})
    for key in ("cache", "archives"):
        if values.get(key) is not None:
            values[key] = Path(str(values[key])).expanduser()
    if "codes" in values:
        values["codes"] = tuple(values["codes"]) if not isinstance(values["codes"], str) else (values["codes"],)
    try:
        config = Config(file=found, **values)
        for key in ("rate", "backoff", "max_wait", "timeout"):
            if float(getattr(config, key)) <= 0:
                raise ValueError(f"{key} must be positive")
        if int(config.retries) < 0:
            raise ValueError("retries must be 0 or more")
    except (TypeError, ValueError) as e:
        raise UsageError(f"bad value in the configuration: {e}", str(found) if found else None) from None
    if config.source not in ("api", "archives"):
        raise UsageError(f"[update] source must be 'api' or 'archives', not {config.source!r}",
                         str(found) if found else None)
    return config


MISSING_CREDENTIALS = (f"no Legifrance API credentials: set {ENV_ID} and {ENV_SECRET} to the OAuth "
                       "client id and secret of your PISTE application (https://piste.gouv.fr), or "
                       "client_id / client_secret under [legifrance] in {file}")
BAD_CREDENTIALS = (f"Legifrance (PISTE) refused the credentials: check {ENV_ID} and {ENV_SECRET} "
                   "(the OAuth keys of a PISTE application that accepted the Légifrance API terms; "
                   "sandbox keys only work with --sandbox)")


# --- the client ---------------------------------------------------------------------------------

class NotFound(FetchError):
    """Legifrance has no such document."""


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def cache_key(payload: dict) -> str:
    """A file name for a request: its values when short and plain, plus a digest of it all."""
    scalars = [str(v) for _, v in sorted(payload.items()) if isinstance(v, (str, int, float)) and str(v)]
    stem = _SAFE.sub("_", "@".join(scalars))[:80].strip("_")
    if len(payload) == 1 and stem and len(stem) <= 40 and re.fullmatch(r"[A-Za-z0-9._-]+", "".join(scalars)):
        return stem
    digest = hashlib.sha1(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:12]
    return f"{stem}-{digest}" if stem else digest


class Client:
    """A Legifrance API client: token, rate limit, retries, cache.  Use as a context manager."""

    def __init__(self, config: Config, *, refresh: bool = False, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, transport: httpx.BaseTransport | None = None):
        self.config = config
        self.refresh = refresh
        self.sleep = sleep
        self.clock = clock
        self.http = httpx.Client(timeout=config.timeout, transport=transport,
                                 headers={"Accept": "application/json", "User-Agent": "santelex"})
        self.calls = 0  # requests sent to the API (not the token endpoint)
        self.cached = 0  # answers taken from the cache
        self.waited = 0.0
        self._token: str | None = None
        self._expires = 0.0
        self._next_slot = 0.0
        host = urlparse(config.api_url)
        self.cache_root = Path(config.cache) / _SAFE.sub("_", host.netloc or "api")

    def close(self):
        self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- plumbing --------------------------------------------------------------------------
    def _wait(self, seconds: float):
        seconds = min(max(0.0, seconds), self.config.max_wait)
        if seconds:
            self.waited += seconds
            self.sleep(seconds)

    def _throttle(self):
        now = self.clock()
        if now < self._next_slot:
            self._wait(self._next_slot - now)
            now = self._next_slot
        self._next_slot = now + 1.0 / self.config.rate

    def _send(self, method: str, url: str, what: str, **kw) -> httpx.Response:
        """One request with retries on 429, 5xx and network errors; other answers are returned."""
        last = ""
        started = self.clock()
        for attempt in range(self.config.retries + 1):
            self._throttle()
            try:
                response = self.http.request(method, url, **kw)
            except (httpx.InvalidURL, httpx.UnsupportedProtocol) as e:
                raise FetchError(f"cannot ask {url!r}: {e}") from None
            except httpx.TransportError as e:
                last = f"network error ({type(e).__name__}: {str(e)[:80]})"
                if attempt < self.config.retries:
                    self._wait(self.config.backoff * 2 ** attempt)
                continue
            if response.status_code != 429 and response.status_code < 500:
                return response
            last = f"HTTP {response.status_code}"
            if attempt < self.config.retries:
                delay = _retry_after(response.headers.get("Retry-After"))
                self._wait(delay if delay is not None else self.config.backoff * 2 ** attempt)
        spent = self.clock() - started
        if last == "HTTP 429":
            raise FetchError(f"Legifrance kept answering 429 Too Many Requests to {what} "
                             f"({self.config.retries + 1} tries over {spent:.0f} s): the PISTE "
                             "application's quota is used up; try again later or lower the rate "
                             "(rate under [legifrance] in the config)")
        raise FetchError(f"Legifrance did not answer {what}: {last} after {self.config.retries + 1} tries "
                         f"over {spent:.0f} s ({self.config.api_url})")

    def token(self, force: bool = False) -> str:
        if self._token and not force and self.clock() < self._expires:
            return self._token
        cid, secret = self.config.client_id, self.config.client_secret
        if not cid or not secret:
            raise FetchError(MISSING_CREDENTIALS.format(file=self.config.file or config_path()))
        response = self._send("POST", self.config.token_url, "the token request", data={
            "grant_type": "client_credentials", "client_id": cid, "client_secret": secret, "scope": "openid"})
        if response.status_code in (400, 401, 403):
            raise FetchError(BAD_CREDENTIALS)
        if response.status_code >= 300:
            raise FetchError(f"the token endpoint answered HTTP {response.status_code} ({self.config.token_url})")
        try:
            body = response.json()
            self._token = str(body["access_token"])
            lifetime = float(body.get("expires_in") or 3600)
        except (ValueError, KeyError, TypeError):
            raise FetchError(f"the token endpoint's answer is not an OAuth token ({self.config.token_url})") from None
        self._expires = self.clock() + max(0.0, lifetime - 30)
        return self._token

    # -- calls -----------------------------------------------------------------------------
    def cache_file(self, endpoint: str, payload: dict) -> Path:
        return self.cache_root / endpoint.strip("/") / f"{cache_key(payload)}.json"

    def call(self, endpoint: str, payload: dict, *, cache: bool = True) -> tuple[dict, bytes]:
        """POST ``payload`` to ``endpoint`` -> (JSON value, raw bytes); from the cache when there."""
        path = self.cache_file(endpoint, payload)
        if cache and not self.refresh and path.is_file():
            raw = path.read_bytes()
            try:
                value = json.loads(raw)
                self.cached += 1
                return value, raw
            except ValueError:
                pass  # a damaged cache file: ask again
        raw = self._post(endpoint, payload)
        try:
            value = json.loads(raw)
        except ValueError as e:
            raise FetchError(f"Legifrance answered {endpoint} with malformed JSON ({str(e)[:80]}); "
                             "nothing was cached or loaded") from None
        if not isinstance(value, dict):
            raise FetchError(f"Legifrance answered {endpoint} with a JSON {type(value).__name__}, not an object")
        if cache:
            self.remember(endpoint, payload, raw)
        return value, raw

    def remember(self, endpoint: str, payload: dict, raw: bytes):
        """Keep ``raw`` as the answer to ``payload`` (another endpoint may have given it)."""
        path = self.cache_file(endpoint, payload)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(raw)
        os.replace(tmp, path)

    def _post(self, endpoint: str, payload: dict) -> bytes:
        url = self.config.api_url.rstrip("/") + "/" + endpoint.lstrip("/")
        what = endpoint
        for renewed in (False, True):
            headers = {"Authorization": f"Bearer {self.token(force=renewed)}"}
            response = self._send("POST", url, what, json=payload, headers=headers)
            self.calls += 1
            if response.status_code == 401 and not renewed:
                continue  # the token expired early or was revoked: ask for a new one, once
            break
        status = response.status_code
        if status == 401:
            raise FetchError(BAD_CREDENTIALS)
        if status == 403:
            raise FetchError(f"Legifrance refused {endpoint} (HTTP 403): has the PISTE application "
                             "subscribed to the Légifrance API and accepted its terms?")
        if status == 404:
            raise NotFound(f"Legifrance has nothing at {endpoint} for {json.dumps(payload, ensure_ascii=False)}")
        if status >= 300:
            raise FetchError(f"Legifrance answered HTTP {status} to {endpoint}: {response.text[:120]!r}")
        return response.content

    # -- the endpoints santelex uses -----------------------------------------------------------
    def article(self, ident: str) -> tuple[dict, bytes]:
        return self.call("/consult/getArticle", {"id": ident})

    def article_by_number(self, legitext: str, num: str) -> tuple[dict, bytes]:
        return self.call("/consult/getArticleWithIdAndNum", {"id": legitext, "num": num})

    def table_of_contents(self, legitext: str, day: date) -> tuple[dict, bytes]:
        return self.call("/consult/legi/tableMatieres", {"textId": legitext, "date": day.isoformat(),
                                                         "nature": "CODE"})

    def jorf(self, text_cid: str) -> tuple[dict, bytes]:
        return self.call("/consult/jorf", {"textCid": text_cid})

    def jorf_by_nor(self, nor: str) -> tuple[dict, bytes]:
        return self.call("/consult/getJoWithNor", {"nor": nor})

    def law_decree(self, text_id: str, day: date) -> tuple[dict, bytes]:
        return self.call("/consult/lawDecree", {"textId": text_id, "date": day.isoformat()})

    def search_article(self, num: str) -> tuple[dict, bytes]:
        """Search the codes for articles numbered ``num``, in force or not (``CODE_ETAT``)."""
        return self.call("/search", {"fond": "CODE_ETAT", "recherche": {
            "champs": [{"typeChamp": "NUM_ARTICLE", "operateur": "ET", "criteres": [
                {"typeRecherche": "EXACTE", "valeur": num, "operateur": "ET"}]}],
            "pageNumber": 1, "pageSize": 100, "operateur": "ET", "sort": "PERTINENCE",
            "typePagination": "ARTICLE"}})

    def search_text(self, nature: str, number: str) -> tuple[dict, bytes]:
        """Search the Journal officiel for a text by nature and number (``DECRET``, ``2005-76``)."""
        return self.call("/search", {"fond": "JORF", "recherche": {
            "champs": [{"typeChamp": "NUM", "operateur": "ET", "criteres": [
                {"typeRecherche": "EXACTE", "valeur": number, "operateur": "ET"}]}],
            "filtres": [{"facette": "NATURE", "valeurs": [nature]}],
            "pageNumber": 1, "pageSize": 10, "operateur": "ET", "sort": "PUBLICATION_DATE_DESC",
            "typePagination": "DEFAUT"}})


# --- what the user names -> what to ask ----------------------------------------------------------

_ID = re.compile(r"^(LEGIARTI|JORFARTI|LEGITEXT|JORFTEXT)\d{12}$")
_NOR = re.compile(r"^[A-Z]{4}\d{7}[A-Z]$")
_API_NATURE = {"decret": "DECRET", "loi": "LOI", "ordonnance": "ORDONNANCE", "arrete": "ARRETE",
               "decret-loi": "DECRET_LOI", "decision": "DECISION", "deliberation": "DELIBERATION"}


@dataclass
class Fetched:
    """Raw answers to load: (graph name, bytes, or the cache file holding them), and the codes
    fetched whole.  A whole code's answers stay on disk until they are loaded."""

    answers: list[tuple[str, bytes | Path]] = field(default_factory=list)
    whole_codes: set[str] = field(default_factory=set)
    described: list[str] = field(default_factory=list)
    _names: set[str] = field(default_factory=set, repr=False)

    def add(self, name: str, raw: bytes | Path):
        if name not in self._names:
            self._names.add(name)
            self.answers.append((name, raw))


def nearest(code: str, number: str) -> str:
    import difflib

    from santelex.ingest import corpus_index
    numbers = corpus_index.default().articles(code)
    close = [n for n in difflib.get_close_matches(number, numbers, n=6, cutoff=0.6) if n != number][:5]
    return f"; nearest: {', '.join(close)}" if close else ""


def article_name(ident: str) -> str:
    return f"legifrance/article/{ident}"


def text_name(ident: str) -> str:
    return f"legifrance/text/{ident}"


def _versions(client: Client, article: dict, out: Fetched):
    for v in article.get("articleVersions") or []:
        vid = (v or {}).get("id") if isinstance(v, dict) else None
        if isinstance(vid, str) and _ID.match(vid) and vid != article.get("id"):
            value, raw = client.article(vid)
            if isinstance(value.get("article"), dict):
                out.add(article_name(vid), raw)


def fetch_article(client: Client, ident: str, out: Fetched, versions: bool = True):
    value, raw = client.article(ident)
    art = value.get("article")
    if not isinstance(art, dict):
        raise NotFound(f"Legifrance has no article {ident}")
    out.add(article_name(ident), raw)
    out.described.append(f"{art.get('num') or ident} ({ident})")
    if versions:
        _versions(client, art, out)


def fetch(client: Client, what: str, versions: bool = True, out: Fetched | None = None) -> Fetched:
    """Ask Legifrance for what ``what`` names (an article, a text, a code's LEGITEXT id)."""
    from santelex.ingest import official
    out = out if out is not None else Fetched()
    w = re.sub(r"\s+", " ", what.strip())
    if not w:
        raise UsageError("nothing to fetch")
    if _ID.match(w):
        kind = w[:8]
        if kind in ("LEGIARTI", "JORFARTI"):
            fetch_article(client, w, out, versions)
        elif kind == "JORFTEXT":
            value, raw = client.jorf(w)
            _check_text(value, w)
            out.add(text_name(w), raw)
            out.described.append(f"{value.get('title') or w}")
        else:  # LEGITEXT: a code, or a consolidated text
            from santelex.ingest.corpus_index import legitext_codes
            if w in legitext_codes():
                return fetch_code(client, legitext_codes()[w], out=out, versions=versions)
            value, raw = client.law_decree(w, date.today())
            _check_text(value, w)
            out.add(text_name(w), raw)
            out.described.append(f"{value.get('title') or w}")
        return out
    if _NOR.match(w.upper()) and not re.match(r"^[LRDA]\d", w):
        value, raw = client.jorf_by_nor(w.upper())
        _check_text(value, w)
        cid = str(value.get("cid") or w.upper())
        out.add(text_name(cid), raw)
        out.described.append(f"{value.get('title') or cid}")
        return out
    nature, number, _ = official.parse_title(w)
    if nature and number:
        value, _raw = client.search_text(_API_NATURE.get(nature, nature.upper()), number)
        cid = _text_in_results(value, nature, number)
        if cid is None:
            raise NotFound(f"Legifrance's search finds no {nature} n° {number} in the Journal officiel")
        return fetch(client, cid, versions, out)
    from santelex import lookup
    slug, num = lookup.split(w)
    if not re.match(r"^[A-Z]{0,2}\*?\d", num) and not num.lower().startswith("annexe"):
        raise UsageError(f"cannot tell what {what!r} names: give an article (\"CSP R1434-4\", \"D. 712-2\"), "
                         "a LEGIARTI/JORFTEXT/LEGITEXT id, a NOR or a text (\"décret n° 2005-76\")")
    code = slug or CSP  # santelex's code, as in "D. 712-2"
    legitext = codes.legitext(code)
    from santelex.ingest import corpus_index
    asked = corpus_index.default().lookup(code, num) or num
    value, raw = client.article_by_number(legitext, asked)
    art = value.get("article")
    if not isinstance(art, dict) or not art.get("id"):
        # not in force today (repealed, like D. 712-2): the search finds its versions
        found = _article_in_results(client.search_article(asked)[0], legitext, asked)
        if found is None:
            raise NotFound(f"Legifrance has no article {num} in the {code}{nearest(code, num)}")
        fetch_article(client, found, out, versions)
        return out
    ident = str(art["id"])
    client.remember("/consult/getArticle", {"id": ident}, raw)
    out.add(article_name(ident), raw)
    out.described.append(f"{code} {art.get('num') or num} ({ident})")
    if versions:
        _versions(client, art, out)
    return out


def _check_text(value: dict, what: str):
    if not value or not (value.get("cid") or value.get("id") or value.get("title")):
        raise NotFound(f"Legifrance has no text {what}")


def _text_in_results(value: dict, nature: str, number: str) -> str | None:
    for result in value.get("results") or []:
        if not isinstance(result, dict):
            continue
        for title in result.get("titles") or []:
            cid = str((title or {}).get("cid") or (title or {}).get("id") or "")
            if cid.startswith("JORFTEXT"):
                text = str(title.get("title") or "")
                if number in text or str(result.get("num") or "") == number:
                    return cid[:20]
    return None


def _article_in_results(value: dict, legitext: str, num: str) -> str | None:
    """The id of the latest version of article ``num`` of code ``legitext`` in search results."""
    key = re.sub(r"[\s.*]", "", num)
    best = None
    for result in value.get("results") or []:
        if not isinstance(result, dict):
            continue
        if not any(isinstance(t, dict) and legitext in (t.get("cid"), t.get("id")) for t in result.get("titles") or []):
            continue
        for section in result.get("sections") or []:
            for extract in (section or {}).get("extracts") or []:
                ident = str((extract or {}).get("id") or "")
                if ident.startswith("LEGIARTI") and re.sub(r"[\s.*]", "", str(extract.get("num") or "")) == key:
                    when = str(extract.get("dateDebut") or "")
                    if best is None or when > best[0]:
                        best = (when, ident[:20])
    return best[1] if best else None


def toc_articles(toc: dict) -> list[dict]:
    """Every article a table of contents lists (``sections`` nested, ``articles`` in them), in order."""
    out: list[dict] = []

    def walk(node):
        for art in node.get("articles") or []:
            if isinstance(art, dict) and isinstance(art.get("id"), str) and _ID.match(art["id"]):
                out.append(art)
        for section in node.get("sections") or []:
            if isinstance(section, dict):
                walk(section)

    walk(toc)
    return out


def fetch_code(client: Client, code: str, out: Fetched | None = None, versions: bool = False,
               progress: Callable[[str, int | None], None] | None = None, day: date | None = None) -> Fetched:
    """A whole code: its table of contents (in force ``day``, default today), then each article."""
    out = out if out is not None else Fetched()
    (legitext, slug), = sorted(codes.resolve_codes([code]).items())[-1:]
    toc, _ = client.table_of_contents(legitext, day or date.today())
    arts = toc_articles(toc)
    if not arts:
        raise NotFound(f"Legifrance's table of contents of {slug} lists no article")
    if progress:
        progress(f"start:{slug}", len(arts))
    for art in arts:
        value, _ = client.article(art["id"])
        a = value.get("article")
        if isinstance(a, dict):
            out.add(article_name(art["id"]), client.cache_file("/consult/getArticle", {"id": art["id"]}))
            if versions:
                _versions(client, a, out)
        if progress:
            progress(art["id"], None)
    out.whole_codes.add(slug)
    out.described.append(f"{slug}: {len(arts)} articles")
    return out


# --- into the store --------------------------------------------------------------------------------

STATE = "legifrance/state"
_STATE_NODE = vocab.BASE + "source/legifrance"


def followed_codes(store) -> set[str]:
    """Codes fetched whole from the API (``fetch --code``), which ``update`` keeps whole."""
    if not getattr(store, "exists", False):
        return set()
    q = f"SELECT ?c WHERE {{ <{_STATE_NODE}> <{vocab.SLX}followedCode> ?c }}"
    return {uris.code_slug(r["c"].value) for r in store.query(q)}


def _state_quads(followed: set[str]):
    import pyoxigraph as ox

    g = ox.NamedNode(uris.graph(STATE))
    node = ox.NamedNode(_STATE_NODE)
    out = [ox.Quad(node, ox.NamedNode(vocab.RDF + "type"), ox.NamedNode(vocab.PROV + "Entity"), g),
           ox.Quad(node, ox.NamedNode(vocab.RDFS + "label"),
                   ox.Literal("the Legifrance API, as followed by this store"), g)]
    for code in sorted(followed):
        out.append(ox.Quad(node, ox.NamedNode(vocab.SLX + "followedCode"),
                           ox.NamedNode(uris.code(code)), g))
    return out


def load_answers(fetched: Fetched, store_path=None, progress=None, workers: int | None = None,
                 report: bool = False):
    """Load raw API answers into the store by the build engine, all or nothing: their plan."""
    from santelex.builder import engine
    from santelex.store import open_store
    before = set()
    if fetched.whole_codes:
        st = open_store(store_path)
        before = followed_codes(st) if hasattr(st, "exists") else set()
        st.close()

    def plan(loading):
        if progress:
            progress("start:Legifrance answers", len(fetched.answers))
        for name, raw in fetched.answers:
            loading.put(name, raw.read_bytes() if isinstance(raw, Path) else raw, format="piste-json")
        if fetched.whole_codes - before:
            loading.replace_graph(STATE, _state_quads(before | fetched.whole_codes))

    digest = hashlib.sha1()
    for name, raw in fetched.answers:
        if isinstance(raw, Path):
            st = raw.stat()
            digest.update(f"{name}\0{raw}|{st.st_size}|{st.st_mtime_ns}\n".encode())
        else:
            digest.update(name.encode() + b"\0" + hashlib.sha1(raw).digest())
    return engine.run(store_path, plan, "api:" + digest.hexdigest(), workers=workers, progress=progress,
                      report=report, local="Legifrance answers")
