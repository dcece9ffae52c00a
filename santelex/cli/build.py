"""``santelex build``: read legal texts (and RDF files) into the store, all or nothing."""
from __future__ import annotations

from pathlib import Path

import click

from santelex._lazy import lazy
from santelex.cli.options import err, out, progress, reader_option, store_option

builder = lazy("santelex.builder")
files = lazy("santelex.builder.files")


@click.command("build")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@reader_option("--format", "format")
@click.option("--code", "codes", multiple=True,
              help="DILA LEGI archives: keep only this code (csp, cgi, a slug or a LEGITEXT id); repeatable.")
@click.option("--snapshot", "snapshot", default=None, metavar="DATE",
              help="The inputs are a Legifrance snapshot of DATE (YYYY-MM-DD): their versions are in "
                   "force in it. Archives santelex knows (data/corpus/snapshots.tsv) need no flag.")
@store_option
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def command(paths, format, codes, snapshot, store, quiet):
    """Read legal texts into the store (default: the seeds and the whole CSP).

    PATHS may be Markdown-export files or folders, .tar.xz/.tar.gz archives of them
    (read in place), Journal officiel text files, saved Legifrance pages, LEGI/JORF XML
    or Legifrance API answers.  All or nothing: on error the store is left as it was.
    """
    bar = progress(quiet, transient=True)
    sources = list(paths) or files.default_sources()
    # the bar's total is the number of files to read, known at once for files and folders and
    # counted in the background for archives; until every count is in, the bar has no total
    task = bar.add_task("reading", total=None)
    if not quiet:
        _count_inputs(sources, lambda n: bar.update(task, total=n))

    def tick(name, total):
        # sources are announced as they are opened, files counted as they are loaded
        if name.startswith("start:"):
            bar.update(task, description=Path(name[6:]).name[:40])
        elif name.startswith("resume:"):
            bar.console.print(f"resuming an interrupted build of the same inputs: "
                              f"{name[7:]} batches of files already in the staging store", highlight=False)
        else:
            bar.advance(task)

    with bar:
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
