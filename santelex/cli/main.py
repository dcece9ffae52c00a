"""The ``santelex`` command line.  Parses arguments, calls santelex's layers, prints.

Exit codes: 0 ok, 1 findings (validation violations, dangling citations), 2 bad input or
usage, 130 interrupted.  Every SantelexError is printed as one line, without traceback.
"""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click
from rich.console import Console

from santelex._lazy import lazy

builder = lazy("santelex.builder")
files = lazy("santelex.builder.files")
stores = lazy("santelex.store")
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
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # click's own usage errors and exits: click prints them
        except Exception as e:  # a bug of santelex's: still one line, never a traceback
            if os.environ.get("SANTELEX_DEBUG") == "1":
                raise
            where = ""
            tb = e.__traceback__
            while tb is not None:
                where = f" at {os.path.basename(tb.tb_frame.f_code.co_filename)}:{tb.tb_lineno}"
                tb = tb.tb_next
            click.echo(f"santelex: internal error: {type(e).__name__}: {str(e)[:300]}{where} "
                       "(a bug: please report it; SANTELEX_DEBUG=1 shows the traceback)".replace("\n", " "),
                       err=True)
            sys.exit(70)


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
@click.option("--snapshot", "snapshot", default=None, metavar="DATE",
              help="The inputs are a Legifrance snapshot of DATE (YYYY-MM-DD): their versions are in "
                   "force in it. Archives santelex knows (data/corpus/snapshots.tsv) need no flag.")
@store_option
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def build(paths, format, codes, snapshot, store, quiet):
    """Read legal texts into the store (default: the seeds and the whole CSP).

    PATHS may be Markdown-export files or folders, .tar.xz/.tar.gz archives of them
    (read in place), Journal officiel text files, saved Legifrance pages, LEGI/JORF XML
    or Legifrance API answers.  All or nothing: on error the store is left as it was.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=err, disable=quiet, transient=True)
    sources = list(paths) or files.default_sources()
    # the bar's total is the number of files to read, known at once for files and folders and
    # counted in the background for archives; until every count is in, the bar has no total
    task = progress.add_task("reading", total=None)
    if not quiet:
        _count_inputs(sources, lambda n: progress.update(task, total=n))

    def tick(name, total):
        # sources are announced as they are opened, files counted as they are loaded
        if name.startswith("start:"):
            progress.update(task, description=Path(name[6:]).name[:40])
        elif name.startswith("resume:"):
            progress.console.print(f"resuming an interrupted build of the same inputs: "
                                   f"{name[7:]} batches of files already in the staging store",
                                   highlight=False)
        else:
            progress.advance(task)

    with progress:
        if snapshot:
            from santelex.builder.snapshots import parse_date
            snapshot = parse_date(snapshot, "--snapshot")
        stats = builder.build(sources, store, format=format, progress=tick, codes=codes,
                          snapshot=snapshot)
    for note in stats.notes:
        err.print(f"note: {note}", markup=False, highlight=False)
    if not quiet:
        out.print(f"loaded {stats.files} files: {stats.articles} articles, {stats.texts} JO texts, "
                  f"{stats.subdivisions} subdivisions, {stats.citations} citations; "
                  f"store now holds {stats.triples} triples ({stats.quads} quads) "
                  f"in {stats.seconds:.1f} s")


def _count_inputs(sources, done) -> None:
    """Count the files the sources hold and call ``done(total)`` (in a thread for archives)."""
    from santelex.ingest import registry

    def count():
        total = 0
        for s in sources:
            n = registry.count_members(s)
            if n is None:
                n = registry.count_archive_members(s)
            if n is None:
                return
            total += n
        done(total)

    import threading
    threading.Thread(target=count, daemon=True, name="count-inputs").start()


@main.command()
@click.argument("article")
@store_option
def show(article, store):
    """Print an article: hierarchy, subdivisions, versions, citations both ways.

    ARTICLE: "CSP R1434-4", "R1434-4", "D. 712-2", "code-de-la-sante-publique/L1434-7" or a URI.
    """
    from santelex.services import show as show_mod
    st = stores.open_store(store, read_only=True)
    out.print(show_mod.render(st, article), markup=False)


@main.command()
@click.option("--format", "format", type=click.Choice(["turtle", "nquads", "trig", "jsonld", "ntriples"]),
              default="turtle", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None, help="File (default: stdout).")
@store_option
def export(format, output, store):
    """Write the whole graph (turtle/jsonld/ntriples: the union of all graphs)."""
    st = stores.open_store(store, read_only=True)
    if output:
        with open(output, "wb") as f:
            st.dump(f, format)
    else:
        st.dump(sys.stdout.buffer, format)


# The commands of the other services, one module each (santelex/cli/<name>.py, defining one
# click command or group named ``command``): an explicit list, so a missing one is an ImportError.
from santelex.cli import cite, fetch, query, serve, update, validate  # noqa: E402

for _module in (validate, cite, query, serve, fetch, update):
    main.add_command(_module.command)

if __name__ == "__main__":
    main()
