"""``santelex cite``: what an article cites and what cites it; ``santelex cite extract``."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from santelex._lazy import lazy
from santelex.cli.options import out, reader_option, store_option

stores = lazy("santelex.store")
c = lazy("santelex.services.cite")
lookups = lazy("santelex.lookup")
uris = lazy("santelex.uris")
registry = lazy("santelex.ingest.registry")
from santelex.errors import UsageError


class _Cite(click.Group):
    """``santelex cite ARTICLE …`` looks up; ``santelex cite extract …`` extracts."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["lookup", *args]
        return super().parse_args(ctx, args)

    def format_options(self, ctx, formatter):
        # the options of 'cite ARTICLE' (the hidden lookup command) are this command's options
        lookup = self.commands["lookup"]
        rows = [r for p in lookup.get_params(ctx)
                if isinstance(p, click.Option) and (r := p.get_help_record(ctx))]
        if rows:
            with formatter.section("Options"):
                formatter.write_dl(rows)
        self.format_commands(ctx, formatter)

    def format_usage(self, ctx, formatter):
        formatter.write_usage("santelex cite", "ARTICLE [--depth N] | --path A B | --dangling [ARTICLE] "
                              "| extract PATH... [--format jsonl|text]")


@click.group(cls=_Cite, name="cite")
def command():
    """Citations: what an article cites and what cites it; references found in files.

    \b
    santelex cite ARTICLE               cites and cited-by, with pinpoints and the text cited
    santelex cite ARTICLE --depth N     the same, transitively, up to N citations away
    santelex cite --path A B            the shortest citation path between two articles
    santelex cite --dangling [ARTICLE]  citations of articles no longer in their code (exit 1 if any)
    santelex cite extract PATH...       every reference found in files, one JSON line each

    ARTICLE: "CSP R1434-4", "R1434-4", "D. 712-2", "code-de-la-securite-sociale/L162-14-1" or a URI.
    """


def _pin(p: str | None) -> str:
    return f" [{p}]" if p else ""


def _print_rows(title: str, rows, arrow: str, side: str):
    out.print(f"{title} ({len(rows)}):", markup=False)
    for r in rows:
        if side == "target":
            who = uris.name(r.target) if r.target else "unresolved" + (f" ({r.reason})" if r.reason else "")
        else:
            who = uris.name(r.source)
        out.print(f"  {arrow} {who}{_pin(r.pinpoint)}  «{r.surface}»  ({r.provenance})", markup=False)


@command.command("lookup", hidden=True)
@click.argument("article", required=False)
@click.option("--depth", type=click.IntRange(1, 50), default=None,
              help="Follow citations transitively, up to N steps, both ways.")
@click.option("--path", "path", nargs=2, metavar="A B", default=None,
              help="The shortest citation path between articles A and B.")
@click.option("--dangling", is_flag=True,
              help="Citations of articles that are not (or no longer) in their code; exit 1 if any.")
@store_option
def lookup(article, depth, path, dangling, store):
    """Look an article's citations up in the store."""
    st = stores.open_store(store, read_only=True)
    if path:
        a, b = (lookups.known_article(st, x) for x in path)
        found = c.path(c.graph(st), a, b)
        if found is None:
            out.print(f"no citation path between {uris.name(a)} and {uris.name(b)}", markup=False)
            sys.exit(1)
        nodes, flipped = found
        if flipped:
            out.print(f"{uris.name(b)} cites its way to {uris.name(a)} (not the other way):", markup=False)
        out.print(" → ".join(uris.name(n) for n in nodes), markup=False)
        return
    if dangling:
        work = lookups.known_article(st, article) if article else None
        rows = c.dangling(st, work)
        out.print(f"citations of articles not in their code today ({len(rows)}):", markup=False)
        for d in rows:
            out.print(f"  {uris.name(d.source)} → {uris.name(d.target)}{_pin(d.pinpoint)}  «{d.surface}»  "
                      f"({d.provenance})", markup=False)
        sys.exit(1 if rows else 0)
    if not article:
        raise UsageError("give an ARTICLE (or --path A B, or --dangling); see 'santelex cite --help'")
    work = lookups.known_article(st, article)
    out.print(uris.name(work), markup=False)
    if depth:
        g = c.graph(st)
        for title, rev, arrow in (("Cites, transitively", False, "→"), ("Cited by, transitively", True, "←")):
            reach = c.closure(g, work, depth, reverse=rev)
            out.print(f"{title} (up to {depth} steps; {len(reach)}):", markup=False)
            for node, dist in reach.items():
                out.print(f"  {arrow}{dist} {uris.name(node)}", markup=False)
        return
    _print_rows("Cites", c.cites(st, work), "→", "target")
    _print_rows("Cited by", c.cited_by(st, work), "←", "source")


@command.command("extract")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "text"]), default="jsonl", show_default=True)
@reader_option("--input-format", "reader")
def extract(paths, fmt, reader):
    """Find and resolve every reference in files, folders or archives (Legifrance links ignored).

    One line per reference.  JSONL fields: source, start, end (offsets into the article's text,
    paragraphs joined by newlines), text, target (code-slug/ARTICLE, jorf/<nature>-<number>, or
    null), pinpoint, resolved, exists (false: not or no longer in the code), reason.
    """
    write = sys.stdout.write
    skipped: list[str] = []
    for rec in c.extract(paths, reader, skipped):
        if fmt == "jsonl":
            write(json.dumps(rec, ensure_ascii=False) + "\n")
        else:
            target = rec["target"] or f"unresolved: {rec['reason']}"
            flag = "  [not in the code]" if rec["exists"] is False else ""
            write(f"{rec['source']}\t{rec['start']}-{rec['end']}\t«{rec['text']}»\t→ {target}"
                  f"{_pin(rec['pinpoint'])}{flag}\n")
    for name in skipped:
        click.echo(f"santelex: note: {registry.skip_note(name)}", err=True)
