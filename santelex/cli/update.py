"""``santelex update``: bring the store's articles up to date and print what changed."""
from __future__ import annotations

from pathlib import Path

import click

from santelex._lazy import lazy
from santelex.cli.options import api_options, config_from, out, progress_bar, store_option

upd = lazy("santelex.sources.update")


@click.command("update")
@click.option("--source", type=click.Choice(["api", "archives"]), default=None,
              help="Where from (default: [update] source in the config file, else api).")
@click.option("--archives", "archives_dir", type=click.Path(path_type=Path), default=None,
              help="Folder of DILA archives (Freemium_legi_global_*, LEGI_*, JORF_* .tar.gz).")
@api_options
@store_option
@click.option("--quiet", "-q", is_flag=True, help="Print the changes only.")
def command(source, archives_dir, config_file, api_url, token_url, sandbox, cache, rate, store, quiet):
    """Bring the articles of the store up to date from Legifrance (API or DILA archives).

    Prints each article added, modified, repealed (or removed from the base), with the date
    and the amending texts.  All or nothing: on error the store is left as it was.
    """
    config = config_from(config_file, api_url, token_url, sandbox, cache, rate)
    progress, tick = progress_bar(quiet)
    with progress:
        result = upd.update(store, config, source=source, archives_dir=archives_dir, progress=tick)
    for change in result.changes:
        out.print(upd.describe_change(change), markup=False)
    if quiet:
        return
    for note in result.notes:
        out.print(f"note: {note}", markup=False)
    counts = {k: sum(1 for c in result.changes if c.kind == k) for k in ("added", "modified", "repealed", "removed")}
    where = (f"{len(result.applied)} archive(s) applied: {', '.join(result.applied)}" if result.source == "archives"
             else f"{result.calls} calls to Legifrance")
    if result.changes:
        n = len(result.changes)
        out.print(f"{n} article{'s' if n > 1 else ''} changed (" + ", ".join(f"{n} {k}" for k, n in counts.items() if n)
                  + f"); {where}", markup=False)
    else:
        out.print(f"the store is up to date; {where}", markup=False)
