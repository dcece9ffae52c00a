"""``santelex update``: bring the articles of the store up to date, and say what changed.

Two sources, chosen by ``[update] source`` in the config file (or ``--source``):

- ``archives``: a folder of DILA archives (``[update] archives = "…"``).  The increments
  (``LEGI_<stamp>.tar.gz``, ``JORF_<stamp>.tar.gz``) newer than the last one the store applied are
  applied in date order (santelex/builder/archives.py), for the codes the store follows; a store that
  never read a full dump starts from the newest ``Freemium_legi_global_*`` in the folder.
- ``api``: the Legifrance API.  For each code the store has articles of, one call gets today's
  table of contents (which version of each article is in force).  An article whose in-force
  version the store already has costs nothing more; otherwise the new version is fetched, and
  the versions the store has are fetched again when Legifrance now lists them with another state
  or end date (a version superseded or repealed).  An article no longer in the table of contents
  is fetched again by its last known id (its repeal).  Articles of the store read from the
  Markdown corpus have no Legifrance id yet: the first update fetches the version in force of
  each (and reports only those whose text differs).  A code fetched whole (``fetch --code``) also
  gets the articles that appeared since.

Either way the answers or files go through the same readers and the same all-or-nothing load,
and what changed is reported article by article: added, modified, repealed (removed: a file
DILA withdrew), with the date and the amending texts (``eli:changed_by``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

from santelex import codes, uris
from santelex.builder import archives
from santelex.builder.changes import Change, P
from santelex.builder.stats import BuildStats
from santelex.errors import SantelexError, UsageError
from santelex.ingest import numbers
from santelex.sources import legifrance
from santelex.store import open_store
from santelex.store.local import Store

__all__ = ["describe_change", "update", "UpdateResult"]


@dataclass
class UpdateResult:
    source: str
    changes: list[Change] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)  # archives applied
    calls: int = 0  # API calls
    notes: list[str] = field(default_factory=list)
    stats: BuildStats | None = None


def update(store_path=None, config: legifrance.Config | None = None, source: str | None = None,
           archives_dir=None, progress: Callable | None = None, workers: int | None = None,
           client: legifrance.Client | None = None, today: date | None = None) -> UpdateResult:
    config = config or legifrance.load_config()
    source = source or config.source
    if source == "archives":
        return from_archives(store_path, archives_dir or config.archives, progress, workers)
    if source == "api":
        own = client is None
        client = client or legifrance.Client(config, refresh=True)
        try:
            return from_api(client, store_path, config, progress, workers, today or date.today())
        finally:
            if own:
                client.close()
    raise UsageError(f"unknown update source {source!r}: 'api' or 'archives'")


# --- from DILA archives ------------------------------------------------------------------------

def from_archives(store_path, folder, progress=None, workers=None) -> UpdateResult:
    if not folder:
        raise UsageError("no folder of DILA archives: set archives = \"…\" under [update] in the config "
                         "file, or give --archives DIR")
    folder = Path(folder).expanduser()
    store = open_store(store_path)
    if not isinstance(store, Store):
        raise UsageError("santelex update writes into a local store, not a remote one")
    state = archives.read_state(store)
    store.close()
    if not folder.is_dir():
        raise UsageError("no such folder of DILA archives", str(folder))
    todo = archives.newer(folder, state)
    if not state["legi"]:
        fulls = sorted((archives.describe(p) for p in folder.iterdir() if p.name.startswith("Freemium_legi_global_")),
                       key=lambda i: i.stamp if i else "")
        fulls = [f for f in fulls if f is not None]
        if fulls:
            base = fulls[-1]
            todo = [base.path] + [p for p in todo if archives.describe(p).stamp > base.stamp
                                  or archives.describe(p).base != "legi"]
    result = UpdateResult("archives")
    if not todo:
        result.notes.append(f"no archive in {folder} newer than what the store has applied")
        return result
    stats = archives.build(todo, store_path, progress=progress, workers=workers, report=True)
    result.changes, result.applied, result.stats = stats.changes, stats.archives, stats
    return result


# --- from the API ----------------------------------------------------------------------------------

_ARTICLES = P + """SELECT ?w ?code ?num ?id ?status ?start ?end WHERE {
    ?w slx:code ?code ; eli:number ?num ; eli:is_realized_by ?v .
    OPTIONAL { ?v eli:id_local ?id FILTER(STRSTARTS(?id, "LEGIARTI")) }
    OPTIONAL { ?v slx:status ?status } OPTIONAL { ?v eli:first_date_entry_in_force ?start }
    OPTIONAL { ?v eli:date_no_longer_in_force ?end } }"""


def _store_articles(store) -> dict[str, dict[str, dict]]:
    """code slug -> number key -> {"num", "ids": {LEGIARTI: (status, start, end)}}."""
    out: dict[str, dict[str, dict]] = {}
    if not getattr(store, "exists", False):
        return out
    for r in store.query(_ARTICLES):
        code = uris.code_slug(r["code"].value)
        entry = out.setdefault(code, {}).setdefault(numbers.key(r["num"].value), {"num": r["num"].value, "ids": {}})
        if r["id"] is not None:
            entry["ids"][r["id"].value] = tuple(r[k].value if r[k] is not None else None
                                                for k in ("status", "start", "end"))
    return out


def _api_state(version: dict) -> tuple:
    """An articleVersions entry -> (status, start, end) as the store writes them."""
    from santelex.ingest.official import epoch_date

    def day(v):
        try:
            d = epoch_date(v, "", "")
        except SantelexError:  # a date the reader would refuse: compare as unknown
            return None
        return d.isoformat() if d else None

    return (version.get("etat") or None, day(version.get("dateDebut")), day(version.get("dateFin")))


def from_api(client: legifrance.Client, store_path, config: legifrance.Config, progress=None, workers=None,
             today: date | None = None) -> UpdateResult:
    today = today or date.today()
    store = open_store(store_path)
    if not isinstance(store, Store):
        raise UsageError("santelex update writes into a local store, not a remote one")
    if not store.exists:
        raise UsageError("the store is empty: build or fetch something first", str(store.path))
    have = _store_articles(store)
    whole = legifrance.followed_codes(store)
    store.close()
    if config.codes:
        whole |= set((codes.resolve_codes(config.codes) or {}).values())
    known = codes.legitexts()
    fetched = legifrance.Fetched()
    result = UpdateResult("api")
    followed = sorted((set(have) | whole) & set(known))
    skipped = sorted(set(have) - set(known))
    if skipped:
        result.notes.append("no Legifrance identifier for " + ", ".join(skipped) + ": not updated")
    for code in followed:
        toc, _ = client.table_of_contents(codes.legitext(code), today)
        in_force = {}
        for art in legifrance.toc_articles(toc):
            if art["id"].startswith("LEGIARTI"):
                in_force[numbers.key(str(art.get("num") or ""))] = art["id"]
        articles = have.get(code, {})
        if progress:
            progress(f"start:{code}", len(articles))
        for key, entry in articles.items():
            ids = entry["ids"]
            current = in_force.get(key)
            if current and current in ids and (ids[current][0] or "").startswith("VIGUEUR"):
                pass  # the store has the version in force
            elif current:
                _refresh(client, current, ids, fetched)
            elif ids:
                latest = max(ids, key=lambda i: (ids[i][1] or "", i))
                _refresh(client, latest, ids, fetched)
            else:
                result.notes.append(f"{code} {entry['num']}: not in today's table of contents and "
                                    "no Legifrance id in the store: not updated")
            if progress:
                progress(entry["num"], None)
        if code in whole:
            for key, ident in in_force.items():
                if key not in articles:
                    value, raw = client.article(ident)
                    if isinstance(value.get("article"), dict):
                        fetched.add(legifrance.article_name(ident), raw)
    result.calls = client.calls
    if not fetched.answers:
        return result
    stats = legifrance.load_answers(fetched, store_path, progress=progress, workers=workers, report=True)
    result.changes, result.stats = stats.changes, stats
    return result


def _refresh(client: legifrance.Client, ident: str, ids: dict, fetched: legifrance.Fetched):
    """Fetch version ``ident``, and again each version the store has whose state Legifrance changed."""
    value, raw = client.article(ident)
    art = value.get("article")
    if not isinstance(art, dict):
        return
    fetched.add(legifrance.article_name(ident), raw)
    for v in art.get("articleVersions") or []:
        vid = v.get("id") if isinstance(v, dict) else None
        if vid and vid != ident and vid in ids and _api_state(v) != ids[vid]:
            value, raw = client.article(vid)
            if isinstance(value.get("article"), dict):
                fetched.add(legifrance.article_name(vid), raw)


def describe_change(c: Change) -> str:
    """One line of the report: 'modified  code-general-des-impots-cgi 13  2023-01-01  by …'."""
    when = c.date.isoformat() if c.date else "—"
    by = f"  by {'; '.join(c.by)}" if c.by else ""
    where = f"{c.code} {c.number}" if c.code else c.work
    return f"{c.kind:<9} {where}  {when}{by}"
