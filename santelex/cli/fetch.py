"""``santelex fetch``: get articles, texts or whole codes from the Legifrance API into the store."""
from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from santelex._lazy import lazy

legifrance = lazy("santelex.sources.legifrance")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)


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


def progress_bar(quiet: bool):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=err, disable=quiet, transient=False)
    tasks = {}

    def tick(name, total):
        if name.startswith("start:"):
            tasks["current"] = progress.add_task(Path(name[6:]).name[:40], total=total)
        elif "current" in tasks and not name.startswith("resume:"):
            progress.advance(tasks["current"])

    return progress, tick


@click.command("fetch")
@click.argument("what", nargs=-1)
@click.option("--code", "codes", multiple=True,
              help="A whole code: its table of contents, then each article (csp, cgi, a slug or a LEGITEXT id).")
@click.option("--versions/--no-versions", default=None,
              help="Also fetch every other version of each article (default: yes for articles named, "
                   "no for whole codes).")
@click.option("--refresh", is_flag=True, help="Ask Legifrance again, even for answers in the cache.")
@api_options
@click.option("--store", "store", type=click.Path(path_type=Path), default=None,
              help="Store folder (default: $SANTELEX_STORE or ~/.local/share/santelex/store).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def command(what, codes, versions, refresh, config_file, api_url, token_url, sandbox, cache, rate, store, quiet):
    """Get law from Legifrance's API (PISTE) into the store, all or nothing.

    WHAT: an article ("CSP R1434-4", "D. 712-2", LEGIARTI…), a text of the Journal officiel
    (JORFTEXT…, a NOR such as SANH0424194D, "décret n° 2005-76") or a LEGITEXT id.  Every
    version of an article comes with it.  Credentials: LEGIFRANCE_CLIENT_ID and
    LEGIFRANCE_CLIENT_SECRET (or the config file).  Answers are cached: a second fetch of the
    same thing makes no call, and an interrupted --code fetch resumes where it stopped.
    """
    from santelex.sources import fetch

    config = config_from(config_file, api_url, token_url, sandbox, cache, rate)
    progress, tick = progress_bar(quiet)
    with progress:
        got = fetch(*what, codes=codes, store=store, config=config, versions=versions, refresh=refresh,
                    progress=tick)
    fetched, calls, cached, stats = got.fetched, got.calls, got.cached, got.stats
    if not quiet:
        out.print(f"fetched {len(fetched.answers)} answers ({calls} calls to Legifrance, {cached} from the cache): "
                  + "; ".join(fetched.described[:5]) + (" …" if len(fetched.described) > 5 else ""))
        out.print(f"loaded {stats.articles} article versions, {stats.texts} JO texts, {stats.subdivisions} "
                  f"subdivisions, {stats.citations} citations; store now holds {stats.triples} triples "
                  f"in {stats.seconds:.1f} s")
