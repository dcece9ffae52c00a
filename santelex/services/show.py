"""Look an article up in the store and render it as text (``santelex show``)."""
from __future__ import annotations

from datetime import date

from pyoxigraph import NamedNode

from santelex import lookup, uris, vocab

P = vocab.sparql_prefixes("eli", "slx")


def render(store, text: str) -> str:
    work = lookup.known_article(store, text, cited=False)
    w = NamedNode(work)
    lines: list[str] = []
    number = _one(store, "SELECT ?n WHERE { ?w eli:number ?n }", w) or work
    code = _one(store, "SELECT ?c WHERE { ?w slx:code ?c }", w)
    lines.append(f"Article {number}" + (f" — {uris.code_slug(code)}" if code else ""))
    lines.append(f"  {work}")
    # hierarchy
    chain = []
    node = work
    for _ in range(12):
        parents = [r["p"].value for r in store.query(P + "SELECT ?p WHERE { ?s eli:is_part_of ?p }",
                                                     {"s": NamedNode(node)}) if r["p"].value != node]
        if not parents:
            break
        node = parents[0]
        titles = [r["t"].value for r in store.query(P + "SELECT ?t WHERE { ?p eli:title ?t }",
                                                    {"p": NamedNode(node)})]
        chain.append(titles[0] if titles else node.rsplit("/", 1)[-1])
    if chain:
        lines.append("Plan: " + " > ".join(reversed(chain)))
    # versions
    versions = list(store.query(P + vocab.sparql_prefixes("prov", "rdfs") + """SELECT ?v ?key ?start ?end ?status ?snap ?src ?day WHERE {
        ?w eli:is_realized_by ?v . ?v slx:versionKey ?key .
        OPTIONAL { ?v eli:first_date_entry_in_force ?start } OPTIONAL { ?v eli:date_no_longer_in_force ?end }
        OPTIONAL { ?v slx:status ?status } OPTIONAL { ?v slx:inForceInSnapshot ?snap }
        OPTIONAL { ?v prov:wasDerivedFrom ?s . ?s rdfs:label ?src
                   OPTIONAL { ?s slx:snapshotDate ?day } }
    }""", {"w": w}))
    current = _current(versions)
    lines.append(f"Versions ({len(versions)}):")
    for r in versions:
        flag = "in force" if r["v"] == current else "not in force"
        if r["start"] or r["end"]:
            dates = " → ".join(r[x].value if r[x] else "…" for x in ("start", "end"))
        elif r["day"]:
            dates = f"Legifrance snapshot of {r['day'].value}"
        else:
            dates = "no dates"
        status = r["status"].value if r["status"] else ""
        lines.append(f"  [{flag}] {r['key'].value}  {dates}  {status}  from {r['src'].value if r['src'] else '?'}")
    if current is not None:
        lines.append("Text (version in force):")
        lines.extend(_tree(store, current, 1))
    elif versions:
        lines.append("No version is known to be in force (none is dated or from a dated snapshot); "
                     f"text of version {versions[-1]['key'].value}:")
        lines.extend(_tree(store, versions[-1]["v"], 1))
    changes = list(store.query(P + "SELECT DISTINCT ?t ?title WHERE { ?w eli:changed_by ?t . OPTIONAL { ?t eli:title ?title } }", {"w": w}))
    if changes:
        lines.append("Changed by:")
        for r in changes:
            lines.append(f"  {r['title'].value if r['title'] else r['t'].value}")
    amend = list(store.query(P + "SELECT ?kind ?cond ?by WHERE { ?a slx:target ?w ; slx:amendmentKind ?kind ; slx:byArticle ?by . OPTIONAL { ?a slx:condition ?cond } }", {"w": w}))
    for r in amend:
        lines.append(f"  {r['kind'].value} by {uris.name(r['by'].value)}"
                     + (f": {r['cond'].value[:160]}…" if r["cond"] else ""))
    cites = list(store.query(P + """SELECT DISTINCT ?c ?surface ?target ?pin ?prov WHERE {
        ?c slx:citingWork ?w ; slx:surface ?surface ; slx:provenance ?prov .
        OPTIONAL { ?c slx:cited ?target } OPTIONAL { ?c slx:pinpoint ?pin } } ORDER BY ?c""", {"w": w}))
    by_version: dict[str, list] = {}
    for r in cites:
        version = r["c"].value.split("/version/")[-1].split("/")[0]
        by_version.setdefault(version, []).append(r)
    current_key = current.value.split("/version/")[-1] if current is not None else None
    for version in sorted(by_version, key=lambda v: v != current_key):
        rows = by_version[version]
        which = "version in force" if version == current_key else f"version {version}"
        lines.append(f"Cites ({which}, {len(rows)}):")
        for r in rows:
            tgt = uris.name(r["target"].value) if r["target"] else "unresolved"
            pin = f" [{r['pin'].value}]" if r["pin"] else ""
            lines.append(f"  → {tgt}{pin}  «{r['surface'].value}»  ({r['prov'].value})")
    cited_by = list(store.query(P + """SELECT DISTINCT ?src ?surface WHERE {
        ?c slx:cited ?w ; slx:citingWork ?src ; slx:surface ?surface } ORDER BY ?src""", {"w": w}))
    lines.append(f"Cited by ({len(cited_by)}):")
    for r in cited_by:
        lines.append(f"  ← {uris.name(r['src'].value)}  «{r['surface'].value}»")
    return "\n".join(lines)


def in_force(snapshot: bool, start: str | None, end: str | None, status: str | None,
             today: str | None = None) -> bool:
    """Is a version in force today, by what the store knows of it?

    In force: flagged so in a Legifrance snapshot (``slx:inForceInSnapshot``, set when an
    archive whose snapshot santelex knows is built), or dated and in its period (its status, if
    any, ``VIGUEUR``).  A version read with neither dates nor status (a lone Markdown file, the
    SROS seed) is never called in force: nothing says it is.
    """
    if snapshot:
        return True
    if status is not None and status != "VIGUEUR":
        return False
    if start is None and status is None:
        return False
    today = today or date.today().isoformat()
    if start is not None and start[:10] > today:
        return False
    return end is None or end[:10] > today


def _current(versions):
    """The version in force (the latest that starts), or None when none is known to be."""
    live = [r for r in versions
            if in_force(r["snap"] is not None and r["snap"].value == "true", _val(r["start"]),
                        _val(r["end"]), _val(r["status"]))]
    return max(live, key=lambda r: _val(r["start"]) or "")["v"] if live else None


def _val(term):
    return term.value if term is not None else None


def _tree(store, node, depth):
    rows = store.query(P + """SELECT ?c ?text ?order WHERE { ?p eli:has_part ?c . ?c slx:text ?text ; slx:order ?order }
        ORDER BY ?order""", {"p": node})
    lines = []
    for r in rows:
        lines.append("  " * depth + r["text"].value)
        lines.extend(_tree(store, r["c"], depth + 1))
    return lines


def _one(store, query, w):
    rows = list(store.query(P + query, {"w": w}))
    if rows:
        return next(iter(rows[0])).value
    return None
