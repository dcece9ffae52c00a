"""``santelex show``: print an article with its hierarchy, versions and citations."""
from __future__ import annotations

import click

from santelex._lazy import lazy
from santelex.cli.options import out, store_option

stores = lazy("santelex.store")


@click.command("show")
@click.argument("article")
@store_option
def command(article, store):
    """Print an article: hierarchy, subdivisions, versions, citations both ways.

    ARTICLE: "CSP R1434-4", "R1434-4", "D. 712-2", "code-de-la-sante-publique/L1434-7" or a URI.
    """
    from santelex.services import show

    st = stores.open_store(store, read_only=True)
    out.print(show.render(st, article), markup=False)
