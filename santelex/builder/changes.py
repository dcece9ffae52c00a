"""What a load changed, article by article (``santelex update``; the engine's ``report``).

Before the swap, every article whose graph a load wrote or dropped is read twice, from the
live store and from the staging store: its versions (status, dates, a digest of the text) and
its ``eli:changed_by`` links.  An article only in the staging store is added (or repealed, if
its last version is), only in the live store removed; a new version or a changed one is a
modification, dated by the new version's start (or the changed one's end), credited to the
amending texts newly linked.  A version that only changed its key (the same text, now known
under its Legifrance id) is no change.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Iterable

import pyoxigraph as ox

from santelex import uris, vocab
from santelex.store.local import Store, select

__all__ = ["Change", "P", "changes", "diff"]

#: the prefixes of the queries about the articles of the store
P = vocab.sparql_prefixes("eli", "slx", "rdfs")


@dataclass(frozen=True)
class Change:
    """One article that a load added, modified, repealed or removed.

    ``date``: when the change applies (the new version's start, the repeal's date);
    ``by``: the amending texts (labels), from the article's ``eli:changed_by`` links that are new.
    """

    kind: str  # "added", "modified", "repealed", "removed"
    work: str
    code: str | None
    number: str
    date: date | None = None
    by: tuple[str, ...] = ()


_VERSIONS = P + """SELECT ?w ?code ?num ?key ?status ?start ?end ?text WHERE {
    ?w eli:is_realized_by ?v ; eli:number ?num . ?v slx:versionKey ?key .
    OPTIONAL { ?w slx:code ?code } OPTIONAL { ?v slx:status ?status }
    OPTIONAL { ?v eli:first_date_entry_in_force ?start } OPTIONAL { ?v eli:date_no_longer_in_force ?end }
    OPTIONAL { ?v slx:text ?text } }"""
_CHANGED_BY = P + "SELECT ?w ?t WHERE { ?w eli:changed_by ?t }"
_TITLE = P + "SELECT ?t ?title WHERE { ?t eli:title ?title }"


def _chunks(items: list, n: int = 400):
    for i in range(0, len(items), n):
        yield items[i:i + n]


def _values(var: str, uris_: Iterable[str]) -> str:
    return "VALUES ?%s { %s }" % (var, " ".join(f"<{u}>" for u in uris_))


def _with_values(query: str, block: str) -> str:
    i = query.index("WHERE {") + len("WHERE {")
    return query[:i] + " " + block + " " + query[i:]


def _works_in(store: ox.Store, graphs: list[str]) -> set[str]:
    out: set[str] = set()
    for chunk in _chunks(graphs):
        q = P + "SELECT DISTINCT ?w WHERE { %s GRAPH ?g { ?w eli:is_realized_by ?v } }" % _values("g", chunk)
        out.update(r["w"].value for r in select(store, q))
    return out


def _snapshot(store: ox.Store, works: list[str]) -> dict:
    """work -> {"code", "num", "versions": {key: (status, start, end, text hash)}, "by": set}."""
    snap: dict[str, dict] = {}
    for chunk in _chunks(works):
        for r in select(store, _with_values(_VERSIONS, _values("w", chunk)), union=True):
            w = snap.setdefault(r["w"].value, {"code": None, "num": r["num"].value, "versions": {}, "by": set()})
            if r["code"] is not None:
                w["code"] = r["code"].value
            text = r["text"].value if r["text"] is not None else ""
            w["versions"][r["key"].value] = tuple(
                r[k].value if r[k] is not None else None for k in ("status", "start", "end")) + (
                hashlib.sha1(text.encode()).hexdigest(),)
        for r in select(store, _with_values(_CHANGED_BY, _values("w", chunk)), union=True):
            if r["w"].value in snap:
                snap[r["w"].value]["by"].add(r["t"].value)
    return snap


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None




def _labels(targets: Iterable[str], titles: dict[str, str]) -> tuple[str, ...]:
    """Labels of amending texts; a text named with its article is not named again alone."""
    targets = sorted(set(targets))
    with_article = {text for t in targets if (text := uris.text_of(t)) != t}
    return tuple(uris.label(t, titles) for t in targets if t not in with_article)


def diff(before: dict, after: dict, titles: dict[str, str] | None = None) -> list[Change]:
    """Articles added, modified, repealed or removed between two snapshots."""
    titles = titles or {}
    changes = []
    for work in sorted(set(before) | set(after)):
        b, a = before.get(work), after.get(work)
        if a is None:
            b = before[work]  # (in one snapshot at least)
            changes.append(Change("removed", work, b["code"] and b["code"].rsplit("/", 1)[-1], b["num"]))
            continue
        code = a["code"] and a["code"].rsplit("/", 1)[-1]
        new_by = sorted(a["by"] - (b["by"] if b else set()))

        def latest(versions):
            return max(versions.items(), key=lambda kv: (kv[1][1] or "", kv[0]))

        if b is None:
            _, (status, start, end, _) = latest(a["versions"])
            kind = "repealed" if (status or "").startswith("ABROGE") else "added"
            changes.append(Change(kind, work, code, a["num"], _day(end if kind == "repealed" else start),
                                  _labels(new_by, titles)))
            continue
        if a["versions"] == b["versions"] and not new_by:
            continue
        old_texts = {v[3] for v in b["versions"].values()}
        new_keys = [k for k in a["versions"] if k not in b["versions"]]
        changed_keys = [k for k in a["versions"] if k in b["versions"] and a["versions"][k] != b["versions"][k]]
        if not changed_keys and all(a["versions"][k][3] in old_texts for k in new_keys):
            continue  # the same text, now known under its Legifrance id (and its links): no change
        key, (status, start, end, _) = latest(a["versions"])
        was = latest(b["versions"])[1][0] or ""
        if (status or "").startswith("ABROGE") and not was.startswith("ABROGE"):
            changes.append(Change("repealed", work, code, a["num"], _day(end) or _day(start),
                                  _labels(new_by, titles)))
            continue
        when = [a["versions"][k][1] for k in new_keys if a["versions"][k][1]]
        when += [a["versions"][k][2] for k in changed_keys if a["versions"][k][2]]
        changes.append(Change("modified", work, code, a["num"], _day(max(when)) if when else None,
                              _labels(new_by, titles)))
    order = {"added": 0, "modified": 1, "repealed": 2, "removed": 3}
    return sorted(changes, key=lambda c: (order[c.kind], c.code or "", c.number))


def changes(store: Store, staging: ox.Store, touched: set[str]) -> list[Change]:
    graphs = [uris.graph(n) for n in sorted(touched)]
    if not graphs:
        return []
    live = None
    if store.exists:
        store.close()
        live = ox.Store.read_only(str(store.path))
    try:
        works = _works_in(staging, graphs) | (_works_in(live, graphs) if live is not None else set())
        works_l = sorted(works)
        before = _snapshot(live, works_l) if live is not None else {}
        after = _snapshot(staging, works_l)
        targets = sorted({uris.text_of(t) for s in after.values() for t in s["by"]})
        titles = {}
        for chunk in _chunks(targets):
            for r in select(staging, _with_values(_TITLE, _values("t", chunk)), union=True):
                titles[r["t"].value] = r["title"].value
        return diff(before, after, titles)
    finally:
        live = None
