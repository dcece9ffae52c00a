"""``santelex validate``: check an annex of objectifs quantifiés against the law in force at its date."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from santelex.errors import AnnexError, UsageError


def _law_date(text: str | None):
    if text is None:
        return None
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--law {text!r} is not a date (YYYY-MM-DD)") from None


@click.command("validate")
@click.argument("annex", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "format", type=click.Choice(["text", "json", "turtle", "html"]), default="text",
              show_default=True, help="text: a table by territory; json; turtle: the SHACL report; html: a page.")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None, help="File (default: stdout).")
@click.option("--engine", type=click.Choice(["fast", "pyshacl"]), default="fast", show_default=True,
              help="fast: set-at-a-time evaluation on Oxigraph; pyshacl: the reference (same results, slower).")
@click.option("--law", "law", metavar="DATE", default=None,
              help="Validate against the rule set in force at DATE (YYYY-MM-DD) instead of the annex's debut.")
@click.option("--shapes", type=click.Path(path_type=Path), default=None,
              help="SHACL shapes (a folder of .ttl files, or one file) instead of the rule set's.")
@click.option("--data", type=click.Path(path_type=Path), default=None,
              help="Validate this RDF file (.ttl, .nt, .rdf, .jsonld…) against --shapes instead of an annex.")
def command(annex, format, output, engine, law, shapes, data):
    """Validate ANNEX, a folder (annexe.csv, territoires.csv, objectifs.csv) or an .xlsx workbook.

    Several annexes (the regions of a national set) give one report.  Each result names the file and row, the rule broken, the offending value and the
    subdivision of the law it applies.  The law is the rule set (shapes/<name>/) in force at
    the annex's debut, or at --law DATE; the report names it.  Exit status: 0 conforms,
    1 violations, 2 the annex cannot be read (the error names file, row and column) or no rule
    set is in force at that date (the error names the rule sets and their periods).

    --shapes DIR validates against other shapes (an ARS's own rules); --data FILE.ttl
    validates any RDF data against them.
    """
    from santelex import validation as v

    if data is not None:
        if annex:
            raise click.UsageError("give either --data FILE or annexes, not both")
        if shapes is None:
            raise click.UsageError("--data needs --shapes DIR (the shapes to validate it against)")
        if not data.is_file():
            raise v.DataError("no such RDF file", str(data))
        report = v.validate(data, shapes, engine=engine)
    elif not annex:
        raise click.UsageError("give an annex (a folder or a workbook), or --data FILE with --shapes DIR")
    else:
        report = v.validate(list(annex) if len(annex) > 1 else annex[0], shapes, engine=engine, law=_law_date(law))
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
