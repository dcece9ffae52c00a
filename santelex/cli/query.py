"""``santelex query``: run a named query, a query file or a query written on the line."""
from __future__ import annotations

import sys

import click

from santelex import formats, vocab
from santelex._lazy import lazy
from santelex.cli.options import err, out, store_option

stores = lazy("santelex.store")
q = lazy("santelex.services.query")
from santelex.errors import UsageError

#: --format: a table, or the formats of santelex/formats.py (as santelex.services.query.FORMATS)
FORMATS = ("table", *(f.name for f in formats.RESULTS), *(f.name for f in formats.GRAPH))

#: display-only prefixes for the table format (CSV/JSON/XML keep full IRIs)
DISPLAY_PREFIXES = {
    "csp:": vocab.BASE + "code/code-de-la-sante-publique/article/",
    "css:": vocab.BASE + "code/code-de-la-securite-sociale/article/",
    "code:": vocab.BASE + "code/",
    "jorf:": vocab.BASE + "jorf/",
    **{f"{prefix}:": namespace for prefix, namespace in vocab.PREFIXES.items()},
}


def show_term(t) -> str:
    if t is None:
        return ""
    if hasattr(t, "datatype") or hasattr(t, "language"):  # Literal
        return t.value
    v = t.value
    for prefix, base in DISPLAY_PREFIXES.items():
        if v.startswith(base) and len(v) > len(base):
            return prefix + v[len(base):]
    return v if not v.startswith("_:") else v


def _params(values: tuple[str, ...]) -> dict[str, str]:
    out_: dict[str, str] = {}
    for v in values:
        key, sep, value = v.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param takes key=value, not {v!r}")
        out_[key.strip()] = value
    return out_


def _list():
    from rich.table import Table

    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("name")
    table.add_column("parameters")
    table.add_column("what it answers")
    for nq in q.catalogue():
        ps = ", ".join(f"{p.name} ({p.type}{'' if p.required else ', optional'})" for p in nq.params)
        table.add_row(nq.name, ps or "—", nq.title + (f"\n[dim]{nq.examples[0]}[/dim]" if nq.examples else ""))
    out.print(table)


@click.command("query")
@click.argument("query", required=False)
@click.option("--param", "-p", "params", multiple=True, metavar="KEY=VALUE",
              help="A parameter of the query (repeatable), bound as an RDF term of its declared type.")
@click.option("--file", "-f", "file", type=click.Path(dir_okay=False), default=None,
              help="Run the SPARQL query in this file.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="table, SPARQL results (json, xml, csv, tsv) or, for CONSTRUCT/DESCRIBE, RDF (turtle, ntriples, rdfxml, jsonld).")
@click.option("--list", "list_", is_flag=True, help="List the named queries and what they answer.")
@click.option("--timeout", type=float, default=30.0, show_default=True,
              help="Stop waiting after this many seconds (0: no limit).")
@click.option("--max-results", type=click.IntRange(min=1), default=None, help="Keep at most this many rows.")
@store_option
def command(query, params, file, fmt, list_, timeout, max_results, store):
    """Ask the graph a question in SPARQL.

    QUERY is the name of a named query (see --list) or a whole query in quotes:

    \b
      santelex query cites --param article="CSP R1434-4"
      santelex query citation-count -p code=csp --format csv
      santelex query --file my.rq
      santelex query "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"

    Your own queries may use SERVICE <http://…>: this command sends those requests, as
    you asked (santelex serve, the public endpoint, refuses SERVICE unless allowed).
    In CSV output a text starting with =, +, - or @ gets a leading ' (spreadsheet formulas).

    Exit status: 0, or 1 when a query that looks for problems (dangling-citations,
    annex-violations) finds some; 2 on a malformed query, a bad parameter or a timeout.
    """
    if list_:
        _list()
        return
    if file and query:
        raise UsageError("give either a query (name or text) or --file, not both")
    if file:
        nq = q.from_file(file)
    elif query is None:
        raise UsageError("which query? give a name (santelex query --list), a query in quotes, or --file")
    else:
        nq = q.named_or_text(query)
    kind = q.check(nq.text, nq.file)
    if fmt in q.GRAPH_FORMATS and kind not in ("construct", "describe"):
        raise UsageError(f"--format {fmt} is for CONSTRUCT and DESCRIBE queries; "
                         "this one gives rows: use table, csv, tsv, json or xml")
    st = stores.open_store(store, read_only=True)
    bindings = q.bind(nq, _params(params), st)
    result = q.execute(st, nq.text, bindings, timeout=timeout or None, max_results=max_results, file=nq.file)
    if fmt == "table":
        _table(result)
    else:
        sys.stdout.buffer.write(q.serialize(result, fmt))
        if fmt in ("csv", "tsv", "json", "xml"):
            sys.stdout.buffer.write(b"\n")
        sys.stdout.flush()
    if result.truncated:
        err.print(f"(stopped at --max-results {max_results})")
    if nq.findings and len(result):
        sys.exit(1)


def _table(result: q.Result):
    if result.kind == "ask":
        out.print("true" if result.boolean else "false")
        return
    rows = result.dicts()
    variables = result.variables if result.kind == "select" else ["s", "p", "o"]
    from rich.table import Table

    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for v in variables:
        table.add_column(v, overflow="fold")
    for r in rows:
        table.add_row(*(show_term(r[v]) for v in variables))
    out.print(table)
    err.print(f"{len(rows)} row{'s' if len(rows) != 1 else ''}")
