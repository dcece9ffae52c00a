"""What the commands share: the consoles, the ``--store`` option, the reader ``--format``
option, the progress bar and the options of the commands that talk to Legifrance.

Nothing here imports a parser, the store or pyoxigraph: ``santelex --help`` loads this module.
"""
from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from santelex._lazy import lazy

legifrance = lazy("santelex.sources.legifrance")

__all__ = ["api_options", "config_from", "err", "out", "progress", "progress_bar", "reader_option",
           "store_option"]

#: what the commands print (results on stdout, notes and progress on stderr)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)

#: every command that reads or writes the store takes it so; open_store reads the name
store_option = click.option(
    "--store", "store", default=None,
    help="Store folder or sparql+http://host:port/… (default: $SANTELEX_STORE or ~/.local/share/santelex/store).")


class _ReaderFormat(click.Option):
    """``--format`` forcing a reader: the names come from the reader registry when the help is
    shown (importing the registry at start-up would slow every command down)."""

    def get_help_record(self, ctx):
        from santelex.ingest import registry

        self.help = "Force the reader: " + ", ".join(r.format for r in registry.formats()) + "."
        return super().get_help_record(ctx)


def reader_option(*names: str):
    """The option that forces a reader (its name in the registry; an unknown name is a ReadError
    listing the known ones)."""
    return click.option(*names, default=None, cls=_ReaderFormat)


def progress(quiet: bool, transient: bool):
    """The progress bar on stderr (disabled by --quiet)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err, disable=quiet, transient=transient)


def progress_bar(quiet: bool):
    """A bar per source (``start:NAME`` opens one, any other tick advances it), and the tick."""
    bar = progress(quiet, transient=False)
    tasks = {}

    def tick(name, total):
        if name.startswith("start:"):
            tasks["current"] = bar.add_task(Path(name[6:]).name[:40], total=total)
        elif "current" in tasks and not name.startswith("resume:"):
            bar.advance(tasks["current"])

    return bar, tick


def api_options(f):
    """Options every command that talks to the Legifrance API takes."""
    options = [
        click.option("--config", "config_file", type=click.Path(path_type=Path), default=None,
                     help="Config file (default: $SANTELEX_CONFIG or ~/.config/santelex/config.toml)."),
        click.option("--api-url", default=None, help="API base URL (default: production; the tests use a local server)."),
        click.option("--token-url", default=None, help="OAuth token URL."),
        click.option("--sandbox", is_flag=True, default=None, help="Use PISTE's sandbox (its own keys, test data)."),
        click.option("--cache", type=click.Path(path_type=Path), default=None,
                     help="Folder of raw answers (default: ~/.cache/santelex/legifrance)."),
        click.option("--rate", type=float, default=None, help="Requests per second at most (default 4)."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def config_from(config_file, api_url, token_url, sandbox, cache, rate) -> legifrance.Config:
    return legifrance.load_config(config_file, api_url=api_url, token_url=token_url, sandbox=sandbox,
                                  cache=cache, rate=rate)
