"""The ``santelex`` command line.  Parses arguments, calls santelex.api, prints.

Exit codes: 0 ok, 1 findings (validation violations, dangling citations), 2 bad input or
usage, 130 interrupted.  Every SantelexError is printed as one line, without traceback.
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from santelex import api
from santelex.errors import SantelexError

err = Console(stderr=True, highlight=False)
out = Console(highlight=False, soft_wrap=True)


class _Notice(logging.Handler):
    """santelex's notices (``logging.getLogger("santelex")``, warnings and up): one line on stderr."""

    def emit(self, record):
        click.echo(f"santelex: {record.getMessage()}".replace("\n", " "), err=True)


_log = logging.getLogger("santelex")
if not any(isinstance(h, _Notice) for h in _log.handlers):
    _log.addHandler(_Notice(logging.WARNING))
    _log.propagate = False


class Group(click.Group):
    """Turn every santelex error into one line on stderr and exit 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SantelexError as e:
            click.echo(f"santelex: error: {e}", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("santelex: interrupted; the store is as it was before", err=True)
            sys.exit(130)


store_option = click.option("--store", "store", type=click.Path(path_type=Path), default=None,
                            help="Store folder (default: $SANTELEX_STORE or ~/.local/share/santelex/store).")


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="santelex")
def main():
    """santelex: French health-care planning law as a knowledge graph."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "format", default=None,
              help="Force the reader: markdown, jo-text, legifrance-html, legi-xml, jorf-xml, piste-json.")
@click.option("--code", "codes", multiple=True,
              help="DILA LEGI archives: keep only this code (csp, cgi, a slug or a LEGITEXT id); repeatable.")
@store_option
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def build(paths, format, codes, store, quiet):
    """Read legal texts into the store (default: the seeds and the whole CSP).

    PATHS may be Markdown-export files or folders, .tar.xz/.tar.gz archives of them
    (read in place), Journal officiel text files, saved Legifrance pages, LEGI/JORF XML
    or Legifrance API answers.  All or nothing: on error the store is left as it was.
    """
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=err, disable=quiet, transient=False)
    task = progress.add_task("reading", total=0)
    totals: list[int | None] = []

    def tick(name, total):
        # sources are announced as they are opened, files counted as they are loaded
        if name.startswith("start:"):
            totals.append(total)
            known = None if None in totals else sum(totals)
            progress.update(task, total=known, description=Path(name[6:]).name[:40])
        else:
            progress.advance(task)

    with progress:
        stats = api.build(list(paths) or None, store, format=format, progress=tick, codes=codes)
    if not quiet:
        out.print(f"loaded {stats.files} files: {stats.articles} articles, {stats.texts} JO texts, "
                  f"{stats.subdivisions} subdivisions, {stats.citations} citations; "
                  f"store now holds {stats.triples} triples ({stats.quads} quads) "
                  f"in {stats.seconds:.1f} s")


@main.command()
@click.argument("article")
@store_option
def show(article, store):
    """Print an article: hierarchy, subdivisions, versions, citations both ways.

    ARTICLE: "CSP R1434-4", "R1434-4", "D. 712-2", "code-de-la-sante-publique/L1434-7" or a URI.
    """
    from santelex import show as show_mod
    st = api.open_store(store, read_only=True)
    out.print(show_mod.render(st, article), markup=False)


@main.command()
@click.option("--format", "format", type=click.Choice(["turtle", "nquads", "trig", "jsonld", "ntriples"]),
              default="turtle", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None, help="File (default: stdout).")
@store_option
def export(format, output, store):
    """Write the whole graph (turtle/jsonld/ntriples: the union of all graphs)."""
    st = api.open_store(store, read_only=True)
    if output:
        with open(output, "wb") as f:
            st.dump(f, format)
    else:
        st.dump(sys.stdout.buffer, format)


# Commands of the other services live in their own modules (santelex/cli_*.py), each
# defining one click command or group named ``command``; they are added here if present.
_COMMAND_MODULES = ("validate", "cite", "query", "serve", "fetch", "update")


def _add_commands():
    import importlib
    import importlib.util

    for name in _COMMAND_MODULES:
        module = f"santelex.cli_{name}"
        if importlib.util.find_spec(module) is not None:
            main.add_command(importlib.import_module(module).command)


_add_commands()

if __name__ == "__main__":
    main()
