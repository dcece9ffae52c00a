"""What `santelex validate` loads: an annex validated against the bundled rule sets imports
no rdflib (its import costs more than the rest of the command); only what needs rdflib
(the Turtle report, pySHACL) loads it.  Each command runs in a fresh process, as a user runs
it, and ``-X importtime`` lists every module it imported."""
from __future__ import annotations

import ast
import csv
import subprocess
import sys

import openpyxl
import pytest

from santelex import paths

EX2006 = paths.EXAMPLES / "annexe-2006"
ERREURS = paths.EXAMPLES / "annexe-erreurs"


def imported(*argv: str) -> tuple[int, set[str], str]:
    """(exit status, the top-level packages imported, stdout) of ``santelex *argv`` in a new process."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "santelex.cli.main", *argv],
                          capture_output=True, text=True)
    found = {line.rsplit("|", 1)[1].strip().split(".")[0] for line in done.stderr.splitlines()
             if line.startswith("import time:") and "cumulative" not in line}
    assert "santelex" in found, done.stderr[-2000:]      # the listing is there: the check means something
    return done.returncode, found, done.stdout


@pytest.mark.parametrize("annex, fmt", [(EX2006, "text"), (ERREURS, "text"), (ERREURS, "json"), (ERREURS, "html")])
def test_validating_an_annex_does_not_import_rdflib(annex, fmt):
    status, found, out = imported("validate", str(annex), "--format", fmt)
    assert status == (0 if annex == EX2006 else 1), out
    assert "rdflib" not in found and "pyshacl" not in found
    assert "pyoxigraph" in found          # the shapes and the vocabulary are read by Oxigraph


def test_a_workbook_validates_without_rdflib_either(tmp_path):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name in ("annexe", "territoires", "objectifs"):
        sheet = book.create_sheet(name)
        with open(EX2006 / f"{name}.csv", encoding="utf-8") as f:
            for row in csv.reader(f):
                sheet.append(row)
    target = tmp_path / "annexe.xlsx"
    book.save(target)
    status, found, out = imported("validate", str(target))
    assert status == 0 and "aucune violation" in out
    assert "rdflib" not in found


def test_the_turtle_report_and_pyshacl_still_load_rdflib():
    # the same listing does see rdflib where it is needed: the SHACL report graph, the reference
    status, found, out = imported("validate", str(ERREURS), "--format", "turtle")
    assert status == 1 and "sh:ValidationReport" in out and "rdflib" in found
    status, found, _ = imported("validate", str(EX2006), "--engine", "pyshacl")
    assert status == 0 and {"rdflib", "pyshacl"} <= found


def test_a_command_loads_its_own_module_only():
    # `santelex validate` runs the code of santelex/cli/validate.py, not that of the other
    # commands (serve's sockets, cite's store…); `--help` still lists them all with their help
    code = ("import sys, types\nfrom santelex.cli.main import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m, mod in sys.modules.items() if m.startswith('santelex.cli.')"
            " and type(mod) is types.ModuleType))")
    done = subprocess.run([sys.executable, "-c", code, "validate", str(EX2006)], capture_output=True, text=True)
    assert done.stdout.splitlines()[-1] == "['santelex.cli.main', 'santelex.cli.validate']", done.stdout
    done = subprocess.run([sys.executable, "-c", code, "--help"], capture_output=True, text=True)
    names = ("build", "cite", "export", "fetch", "query", "serve", "show", "update", "validate")
    assert {f"santelex.cli.{n}" for n in names} <= set(ast.literal_eval(done.stdout.splitlines()[-1]))
    assert all(f"  {n} " in done.stdout for n in names)


LABEL_RULE = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <https://example.org/> .
ex:court a sh:PropertyShape ; sh:targetClass ex:Lieu ; sh:path ex:nom ; sh:maxLength {n} .
"""


def test_shapes_read_once_are_read_again_when_edited(tmp_path):
    # a process keeps the shapes it has read, by their files' content: an edited file (same
    # name, same folder) is read again, in a folder and alone, never served from before
    from santelex import validation as v

    data = tmp_path / "data.ttl"
    data.write_text('<https://example.org/a> a <https://example.org/Lieu> ; <https://example.org/nom> "Lyon" .\n',
                    encoding="utf-8")
    folder = tmp_path / "regles"
    folder.mkdir()
    rule = folder / "regle.ttl"
    for n, conforms in ((10, True), (3, False), (10, True), (2, False)):
        rule.write_text(LABEL_RULE.replace("{n}", str(n)), encoding="utf-8")
        assert v.validate(data, folder).conforms is conforms, n
        assert v.validate(data, rule).conforms is conforms, n
        assert len(v.read_shapes(folder)) == 4
