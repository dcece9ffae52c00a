"""``santelex export``: write the whole graph in an RDF serialisation."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from santelex import formats
from santelex._lazy import lazy
from santelex.cli.options import store_option

stores = lazy("santelex.store")


@click.command("export")
@click.option("--format", "format", type=click.Choice([f.name for f in formats.RDF if f.written]),
              default="turtle", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None, help="File (default: stdout).")
@store_option
def command(format, output, store):
    """Write the whole graph (turtle/jsonld/ntriples: the union of all graphs).

    rdfxml also holds the union of all graphs; nquads and trig keep each named graph.
    """
    st = stores.open_store(store, read_only=True)
    if output:
        with open(output, "wb") as f:
            st.dump(f, format)
    else:
        st.dump(sys.stdout.buffer, format)
