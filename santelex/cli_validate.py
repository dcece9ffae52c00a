"""``santelex validate``: check an annex of objectifs quantifiés against D. 712-1 to D. 712-3."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from santelex.errors import AnnexError


@click.command("validate")
@click.argument("annex", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "format", type=click.Choice(["text", "json", "turtle", "html"]), default="text",
              show_default=True, help="text: a table by territory; json; turtle: the SHACL report; html: a page.")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None, help="File (default: stdout).")
@click.option("--engine", type=click.Choice(["fast", "pyshacl"]), default="fast", show_default=True,
              help="fast: set-at-a-time evaluation on Oxigraph; pyshacl: the reference (same results, slower).")
def command(annex, format, output, engine):
    """Validate ANNEX, a folder (annexe.csv, territoires.csv, objectifs.csv) or an .xlsx workbook.

    Several annexes (the regions of a national set) give one report.  Each result names the file and row, the rule broken, the offending value and the
    subdivision of the law it applies.  Exit status: 0 conforms, 1 violations, 2 the annex
    cannot be read (the error names file, row and column).
    """
    from santelex import validate as v

    report = v.validate(list(annex) if len(annex) > 1 else annex[0], engine=engine)
    text = v.render(report, format)
    if output:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as e:
            raise AnnexError(f"cannot write the report: {e.strerror or e}", str(output)) from None
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    if not report.conforms:
        sys.exit(1)
