"""Reading annexes (santelex.annex): the example folders, a workbook, and every way to fail."""
from __future__ import annotations

import csv
import shutil
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from santelex import annex, paths
from santelex.cli import main
from santelex.errors import AnnexError
from santelex.validation import rulesets

EX2006 = paths.EXAMPLES / "annexe-2006"
ERREURS = paths.EXAMPLES / "annexe-erreurs"


def copy_example(tmp_path: Path, name: str = "annexe-2006") -> Path:
    target = tmp_path / name
    shutil.copytree(paths.EXAMPLES / name, target)
    return target


def rewrite(path: Path, transform) -> None:
    path.write_text(transform(path.read_text(encoding="utf-8-sig")), encoding="utf-8")


def test_reads_the_2006_example():
    a = annex.read(EX2006)
    assert a.region == "53" and a.debut == date(2006, 4, 1) and a.fin == date(2011, 3, 31)
    assert len(a.territoires) == 8 and len(a.objectifs) >= 60
    first = a.objectifs[0]
    assert (first.file, first.row) == (str(EX2006 / "objectifs.csv"), 2)
    assert first.territoire == "5301" and first.cible == "medecine" and isinstance(first.min, int)
    assert a.rows["fin"] == (str(EX2006 / "annexe.csv"), 5)
    indicators = {o.indicateur for o in a.objectifs}
    assert indicators == rulesets.get("oqos-2005").notations().notations("indicateur")


def test_semicolons_and_byte_order_mark_are_accepted():
    raw = (ERREURS / "objectifs.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b";" in raw.splitlines()[0]
    a = annex.read(ERREURS)
    assert a.objectifs[0].territoire == "5301"
    assert Decimal("12.5") in {o.max for o in a.objectifs}            # "12,5" in the file


def test_every_row_becomes_a_node_that_remembers_its_file_and_row():
    a = annex.read(ERREURS)
    store = ox.Store()
    store.load(annex.ntriples(a).encode(), ox.RdfFormat.N_TRIPLES)
    rows = {(str(r["f"].value), int(r["r"].value)) for r in store.query(
        "PREFIX slx: <https://data.santelex.fr/ontology#> "
        "SELECT ?f ?r WHERE { ?o a slx:ObjectifQuantifie ; slx:file ?f ; slx:row ?r }")}
    assert rows == {(o.file, o.row) for o in a.objectifs}
    assert len(rows) == len(a.objectifs)


def test_an_xlsx_workbook_reads_like_the_folder(tmp_path):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name in ("annexe", "territoires", "objectifs"):
        sheet = book.create_sheet(name + (".csv" if name == "objectifs" else ""))
        with open(EX2006 / f"{name}.csv", encoding="utf-8") as f:
            for row in csv.reader(f):
                sheet.append([int(c) if c.isdigit() and name == "objectifs" else c for c in row])
    target = tmp_path / "annexe.xlsx"
    book.save(target)
    a, b = annex.read(EX2006), annex.read(target)
    strip = lambda o: (o.territoire, o.cible, o.indicateur, o.modalite, o.min, o.max, o.evolution, o.valeur,
                       o.echeance, o.row)
    assert [strip(o) for o in a.objectifs] == [strip(o) for o in b.objectifs]
    assert (a.region, a.debut, a.fin, a.titre) == (b.region, b.debut, b.fin, b.titre)
    assert b.objectifs[0].file == f"{target}[objectifs]"


# ----------------------------------------------------------------------------- read errors

def error_of(path) -> AnnexError:
    with pytest.raises(AnnexError) as e:
        annex.read(path)
    return e.value


def test_missing_file(tmp_path):
    d = copy_example(tmp_path)
    (d / "territoires.csv").unlink()
    e = error_of(d)
    assert e.file.endswith("territoires.csv") and "missing file" in e.message


def test_missing_and_extra_columns(tmp_path):
    d = copy_example(tmp_path)
    rewrite(d / "objectifs.csv", lambda t: t.replace("evolution,", "evol,", 1))
    e = error_of(d)
    assert e.file.endswith("objectifs.csv") and e.line == 1 and "'evolution' is missing" in e.message
    rewrite(d / "objectifs.csv", lambda t: t.replace("evol,", "evolution,", 1).replace("echeance", "echeance,note", 1))
    e = error_of(d)
    assert e.line == 1 and "'note' is not expected" in e.message


def test_bad_encoding_names_row_and_column(tmp_path):
    d = copy_example(tmp_path)
    text = (d / "objectifs.csv").read_text(encoding="utf-8")
    (d / "objectifs.csv").write_bytes(text.encode("latin-1"))
    e = error_of(d)
    lines = text.splitlines()
    row = next(i for i, line in enumerate(lines, 1) if not line.isascii())
    assert e.line == row and "not UTF-8" in e.message and "column 'modalite'" in e.message


def test_bad_date_and_bad_number(tmp_path):
    d = copy_example(tmp_path)
    rewrite(d / "objectifs.csv", lambda t: t.replace("2010-12-31", "31/12/2010", 1))
    e = error_of(d)
    assert e.file.endswith("objectifs.csv") and "column 'echeance'" in e.message and "31/12/2010" in e.message
    row = next(i for i, line in enumerate((d / "objectifs.csv").read_text().splitlines(), 1) if "31/12/2010" in line)
    assert e.line == row
    d = copy_example(tmp_path, "annexe-erreurs")
    rewrite(d / "objectifs.csv", lambda t: t.replace(";850;", ";huit cents;", 1))
    e = error_of(d)
    assert "column 'min'" in e.message and "not a number" in e.message and e.line == 41
    d2 = copy_example(tmp_path / "x")
    rewrite(d2 / "annexe.csv", lambda t: t.replace("2011-03-31", "2011-02-30"))
    e = error_of(d2)
    assert e.file.endswith("annexe.csv") and e.line == 5 and "not a date" in e.message


def test_unknown_or_repeated_key_and_short_row(tmp_path):
    d = copy_example(tmp_path)
    rewrite(d / "annexe.csv", lambda t: t + "periode,2006-2011\n")
    assert "unknown key 'periode'" in error_of(d).message
    rewrite(d / "annexe.csv", lambda t: t.replace("periode,2006-2011", "titre,Autre"))
    e = error_of(d)
    assert "already given on row 3" in e.message and e.line == 6
    rewrite(d / "annexe.csv", lambda t: t.replace("titre,Autre", "region,53"))
    e = error_of(d)
    assert "region '53' already given" in e.message and e.line == 6
    d = copy_example(tmp_path / "y")
    rewrite(d / "territoires.csv", lambda t: t.replace("5302,", "5302", 1))
    e = error_of(d)
    assert e.file.endswith("territoires.csv") and e.line == 3 and "2 cells" in e.message


def test_not_an_annex(tmp_path):
    assert "no such folder" in error_of(tmp_path / "nowhere").message
    f = tmp_path / "annexe.txt"
    f.write_text("x")
    assert "folder of CSV files or an .xlsx" in error_of(f).message
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"not a zip")
    assert "not a readable workbook" in error_of(bad).message


def test_cli_exit_2_with_one_line(tmp_path):
    d = copy_example(tmp_path)
    rewrite(d / "objectifs.csv", lambda t: t.replace("27000", "27 000,5,3", 1))
    result = CliRunner().invoke(main, ["validate", str(d)])
    assert result.exit_code == 2
    lines = [x for x in result.output.splitlines() if x.strip()]
    assert len(lines) == 1 and "objectifs.csv:3" in lines[0] and "Traceback" not in result.output


def test_empty_cells_and_unknown_codes_are_read_not_refused(tmp_path):
    """Wrong content is the shapes' business: it must reach them."""
    a = annex.read(ERREURS)
    assert any(o.territoire == "" for o in a.objectifs)
    assert any(o.cible == "lithotriteur" for o in a.objectifs)
    assert any(o.max == -5 for o in a.objectifs)
    assert "lithotriteur" in annex.ntriples(a)


# ----------------------------------------------------------------------------- properties

cell = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(cell, cell, cell), min_size=1, max_size=8), st.sampled_from([",", ";"]))
def test_any_cell_text_survives_csv_and_rdf(tmp_path_factory, rows, delimiter):
    d = tmp_path_factory.mktemp("prop")
    shutil.copy(EX2006 / "annexe.csv", d / "annexe.csv")
    shutil.copy(EX2006 / "territoires.csv", d / "territoires.csv")
    with open(d / "objectifs.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(annex.COLUMNS["objectifs"])
        for t, c, m in rows:
            w.writerow([t, c, "implantations", m, "1", "2", "", "", ""])
    a = annex.read(d)
    assert [(o.territoire, o.cible, o.modalite) for o in a.objectifs] == \
        [(t.strip(), c.strip(), m.strip()) for t, c, m in rows]
    store = ox.Store()
    store.load(annex.ntriples(a).encode(), ox.RdfFormat.N_TRIPLES)     # always valid N-Triples
    modalites = {str(r["m"].value) for r in store.query(
        "SELECT ?m WHERE { ?o <https://data.santelex.fr/ontology#modalite> ?m }")}
    assert modalites == {o.modalite for o in a.objectifs if o.modalite}


@given(st.integers(-10**12, 10**12))
def test_integers_parse_back(n):
    assert annex.parse_number(str(n), "f", 2, "min") == n
    assert annex.parse_number(f"{n:,}".replace(",", " "), "f", 2, "min") == n


@given(st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-10**6, max_value=10**6))
def test_decimals_parse_back_with_a_dot_or_a_comma(x):
    text = f"{x:.3f}"
    assert annex.parse_number(text, "f", 2, "max") == Decimal(text)
    assert annex.parse_number(text.replace(".", ","), "f", 2, "max") == Decimal(text)


@given(st.text(max_size=12))
def test_a_bad_number_is_an_annex_error_naming_the_column(text):
    try:
        value = annex.parse_number(text, "objectifs.csv", 7, "valeur")
    except AnnexError as e:
        assert e.line == 7 and "column 'valeur'" in e.message
    else:
        assert value is None or isinstance(value, (int, Decimal))


def test_optional_form_column_zones_file_and_several_regions(tmp_path):
    d = copy_example(tmp_path)
    rewrite(d / "objectifs.csv", lambda t: "\n".join(line.rsplit(",", 1)[0] for line in t.splitlines()) + "\n")
    assert all(o.forme == "" for o in annex.read(d).objectifs)          # files without the column still read
    rewrite(d / "objectifs.csv", lambda t: "\n".join(
        line + (",forme" if i == 0 else ",Hospitalisation Complète" if i == 1 else ",")
        for i, line in enumerate(t.splitlines())) + "\n")
    (d / "territoires.csv").rename(d / "zones.csv")
    rewrite(d / "annexe.csv", lambda t: t.replace("region,53\n", "region,53\nregion,52\n"))
    a = annex.read(d)
    assert a.objectifs[0].forme == "Hospitalisation Complète" and a.objectifs[1].forme == ""
    assert a.territoires[0].file.endswith("zones.csv") and a.regions == ("53", "52") and a.region == "53"
    nt = annex.ntriples(a)
    assert "<https://data.santelex.fr/oqos/forme/hospitalisation_complete>" in nt   # label, accents and case aside
    assert annex.read(d).objectifs[0].forme == "Hospitalisation Complète"
    assert nt.count("<https://data.santelex.fr/ontology#region>") == 2 + len(a.territoires)
    # an unknown column is still refused, naming the optional one
    rewrite(d / "objectifs.csv", lambda t: t.replace(",forme", ",forme_de_soins", 1))
    e = error_of(d)
    assert "'forme_de_soins' is not expected" in e.message and "(optional: forme)" in e.message and e.line == 1


@settings(max_examples=60, deadline=None)
@given(st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False))
def test_a_rate_reads_back_as_a_rate(tmp_path_factory, x):
    d = tmp_path_factory.mktemp("taux") / "a"
    shutil.copytree(EX2006, d)
    text = (d / "objectifs.csv").read_text(encoding="utf-8")
    text += f"5301,irc,patients,,,,progression,{x}%,,\n"
    (d / "objectifs.csv").write_text(text, encoding="utf-8")
    o = annex.read(d).objectifs[-1]
    assert o.taux and o.valeur == x
    assert "<https://data.santelex.fr/ontology#taux>" in annex.ntriples(annex.read(d))


@pytest.mark.parametrize("example", [EX2006, ERREURS])
def test_objectives_read_as_columns_give_the_same_graph_as_objectives_made_one_by_one(example):
    """An annex read from its files keeps its objectives as columns (Rows); the same
    objectives as a tuple of Objectif give the same graph, triple for triple."""
    a = annex.read(example)
    assert isinstance(a.objectifs, annex.Rows)
    made = tuple(a.objectifs)
    assert a.objectifs == made and made == a.objectifs and len(a.objectifs) == len(made)
    assert a.objectifs[1:4] == made[1:4] and a.objectifs[-1] == made[-1]
    assert a.objectifs + () == made and () + a.objectifs == made
    assert all(a.objectifs.at_row(o.row) == o for o in made)
    by_hand = replace(a, objectifs=made)
    assert sorted(annex.triples(a)) == sorted(annex.triples(by_hand))
    assert annex.groups(a) == annex.groups(by_hand)


def test_the_first_bad_number_by_row_then_column_is_named(tmp_path):
    """Numbers are read once per distinct cell, column by column; the error still names the
    first bad cell in reading order (row, then column)."""
    d = copy_example(tmp_path)
    lines = (d / "objectifs.csv").read_text(encoding="utf-8-sig").splitlines()
    sep = ";" if lines[0].count(";") > lines[0].count(",") else ","
    header = lines[0].split(sep)
    i_min, i_max = header.index("min"), header.index("max")
    for row, column in ((5, i_min), (3, i_max), (3, header.index("echeance"))):
        cells = lines[row - 1].split(sep)
        cells[column] = "douze" if column != header.index("echeance") else "2006-13-45"
        lines[row - 1] = sep.join(cells)
    (d / "objectifs.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(AnnexError) as e:
        annex.read(d)
    assert e.value.line == 3 and "column 'max'" in e.value.message
