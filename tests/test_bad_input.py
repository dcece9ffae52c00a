"""Bad input: one clear line naming the file, exit 2, store untouched (issue 2)."""
import csv
import gzip
import io
import lzma
import os
import random
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import openpyxl
import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from santelex import paths
from santelex.annex import workbook
from santelex.cli import main
from santelex.ingest import registry


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "store"
    res = CliRunner().invoke(main, ["build", "--quiet", "--store", str(path),
                                    str(paths.SEEDS / "r1434-4-sros-version.md")])
    assert res.exit_code == 0
    return path


def dump(store):
    res = CliRunner().invoke(main, ["export", "--store", str(store), "--format", "nquads"])
    return sorted(res.output.splitlines())


def run_bad(store, path, *extra):
    before = dump(store)
    res = CliRunner().invoke(main, ["build", "--quiet", "--store", str(store), *extra, str(path)])
    assert res.exit_code == 2, res.output
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1, res.output
    assert "Traceback" not in res.output
    assert dump(store) == before
    return lines[0]


def test_empty_file(store, tmp_path):
    f = tmp_path / "empty.md"
    f.write_bytes(b"")
    assert "empty.md" in run_bad(store, f) and "empty file" in run_bad(store, f)


def test_binary_file(store, tmp_path):
    f = tmp_path / "blob.md"
    f.write_bytes(bytes(range(256)) * 4)
    assert "blob.md" in run_bad(store, f)


def test_latin1_text(store, tmp_path):
    f = tmp_path / "latin1.md"
    f.write_bytes("# Article R1\n\n<p>Activité de soins</p>".encode("latin-1"))
    line = run_bad(store, f)
    assert "latin1.md:3" in line and "UTF-8" in line


def test_unknown_format(store, tmp_path):
    f = tmp_path / "notes.csv"
    f.write_text("a,b\n1,2\n")
    assert "unknown format" in run_bad(store, f)


def test_forced_unknown_format(store, tmp_path):
    assert "unknown format 'pdf'" in run_bad(store, paths.SEEDS / "r1434-4-sros-version.md",
                                            "--format", "pdf")


def test_missing_path(store, tmp_path):
    assert "no such file" in run_bad(store, tmp_path / "nope.md")


def test_markdown_without_heading(store, tmp_path):
    f = tmp_path / "x.md"
    f.write_text("<p>no heading</p>")
    assert "x.md:1" in run_bad(store, f)


def test_truncated_jo_text(store, tmp_path):
    f = tmp_path / "decret.txt"
    text = (paths.SEEDS / "decret-2005-76-jo.txt").read_text()
    f.write_text(text[:text.index("Article 1")])
    assert "decret.txt" in run_bad(store, f)


def test_truncated_archive(store, tmp_path):
    data = paths.CSP_ARCHIVE.read_bytes()
    f = tmp_path / "csp.tar.xz"
    f.write_bytes(data[: len(data) // 50])
    assert "broken or truncated archive (after member " in run_bad(store, f)


# --- hostile inputs (issue 14): each gives one line naming the file and place, exit 2, within
# --- bounded memory, and leaves the store as it was


#: the memory any reproduction may take (the whole process, measured)
BUDGET_KB = 1_500_000


def run_measured(*args, timeout=120):
    """``santelex ARGS`` in a process of its own: (exit code, stderr lines, peak RSS in KB)."""
    probe = ("import resource, subprocess, sys\n"
             "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
             "sys.stderr.buffer.write(p.stderr)\n"
             "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    cli = [sys.executable, "-c", "from santelex.cli import main; main()"]
    p = subprocess.run([sys.executable, "-c", probe, *cli, *map(str, args)], capture_output=True,
                       text=True, timeout=timeout)
    code, peak = map(int, p.stdout.split())
    return code, [x for x in p.stderr.splitlines() if x.strip()], peak


def one_line(code, lines, peak):
    assert code == 2, lines
    assert len(lines) == 1 and "Traceback" not in lines[0], lines
    assert peak < BUDGET_KB, peak
    return lines[0]


def annex_workbook(tmp_path, name="annexe.xlsx", extra=None) -> Path:
    """The 2006 example as a workbook; ``extra(sheet)`` adds to its objectifs sheet."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for table in ("annexe", "territoires", "objectifs"):
        sheet = book.create_sheet(table)
        with open(paths.EXAMPLES / "annexe-2006" / f"{table}.csv", encoding="utf-8") as f:
            for row in csv.reader(f):
                sheet.append(row)
        if table == "objectifs" and extra:
            extra(sheet)
    target = tmp_path / name
    book.save(target)
    return target


def rewrite_member(path: Path, member: str, change) -> None:
    """Rewrite one part of a zip (a workbook) through ``change(bytes) -> bytes``."""
    parts = {}
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            parts[info.filename] = z.read(info)
    parts[member] = change(parts[member])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            z.writestr(n, data)


def sheet_part(path: Path, sheet: str) -> str:
    return dict(workbook._sheets(zipfile.ZipFile(path), set(zipfile.ZipFile(path).namelist())))[sheet]


def test_workbook_with_a_cell_at_the_last_place_of_a_sheet(tmp_path):
    f = annex_workbook(tmp_path, extra=lambda s: s.__setitem__("XFD1048576", 1))
    assert f.stat().st_size < 20_000
    line = one_line(*run_measured("validate", f))
    assert line.startswith(f"santelex: error: {f}[objectifs]: the sheet's dimension reaches XFD1048576")
    assert "nothing was read" in line


def test_workbook_cell_far_away_without_a_dimension(tmp_path):
    f = annex_workbook(tmp_path, extra=lambda s: s.__setitem__("XFD20000", 1))
    part = sheet_part(f, "objectifs")
    rewrite_member(f, part, lambda x: re.sub(rb"<dimension [^>]*/>", b"", x))
    line = one_line(*run_measured("validate", f))
    assert f"{f}[objectifs]: cell XFD20000: beyond what an annex sheet may hold" in line


def test_workbook_row_of_implicit_cells(tmp_path):
    """Cells without a reference sit one after the other: 5,000 of them reach column GJH."""
    f = annex_workbook(tmp_path)
    part = sheet_part(f, "objectifs")
    rewrite_member(f, part, lambda x: re.sub(rb"<dimension [^>]*/>", b"", x).replace(
        b"</sheetData>", b'<row r="300">' + b'<c t="n"><v>1</v></c>' * 5000 + b"</row></sheetData>"))
    line = one_line(*run_measured("validate", f))
    assert f"{f}[objectifs]: cell AG300: beyond" in line


def test_workbook_part_that_inflates_without_end(tmp_path):
    f = annex_workbook(tmp_path)
    with zipfile.ZipFile(f, "a", zipfile.ZIP_DEFLATED) as z, z.open("xl/media/padding.bin", "w") as m:
        block = b"\0" * 2**20
        for _ in range((workbook.MAX_PART_BYTES >> 20) + 1):
            m.write(block)
    assert f.stat().st_size < 2 * 2**20
    line = one_line(*run_measured("validate", f))
    assert f"{f}: part xl/media/padding.bin would inflate to 257 MB (at most 256 MB)" in line


def test_old_workbook_formats_are_refused(tmp_path):
    for suffix in (".xls", ".ods"):
        f = tmp_path / f"annexe{suffix}"
        f.write_bytes(b"PK\x03\x04 anything")
        line = one_line(*run_measured("validate", f))
        assert f"{f}: {suffix} workbooks are not read" in line and "save the annex as .xlsx" in line


def annex_folder(tmp_path, change) -> Path:
    d = tmp_path / "annexe"
    shutil.copytree(paths.EXAMPLES / "annexe-2006", d)
    text = (d / "objectifs.csv").read_text(encoding="utf-8")
    (d / "objectifs.csv").write_text(change(text), encoding="utf-8")
    return d


def test_csv_cell_over_the_csv_modules_limit(tmp_path):
    d = annex_folder(tmp_path, lambda t: t.replace(",sejours,", ",sejours," + "x" * 200_000, 1))
    line = one_line(*run_measured("validate", d))
    row = next(i for i, x in enumerate((d / "objectifs.csv").read_text().splitlines(), 1) if "x" * 50 in x)
    assert line == (f"santelex: error: {d}/objectifs.csv:{row}: a cell of more than 131,072 characters "
                    f"(at most {workbook.MAX_CELL:,})")


def test_csv_cell_over_the_annex_limit(tmp_path):
    d = annex_folder(tmp_path, lambda t: t.replace(",sejours,", ",sejours," + "x" * 20_000, 1))
    line = one_line(*run_measured("validate", d))
    assert re.fullmatch(rf"santelex: error: {re.escape(str(d))}/objectifs.csv:\d+: column 'modalite': "
                        r"a cell of 20,0\d\d characters \(at most 10,000\)", line), line


def test_number_of_5000_digits_in_an_annex(tmp_path):
    lines = (paths.EXAMPLES / "annexe-2006" / "objectifs.csv").read_text().splitlines()
    header = lines[0].split(",")
    first = lines[1].split(",")
    first[header.index("min")] = "9" * 5000
    d = annex_folder(tmp_path, lambda t: t.replace(lines[1], ",".join(first), 1))
    line = one_line(*run_measured("validate", d))
    assert line == (f"santelex: error: {d}/objectifs.csv:2: column 'min': 5,000 characters where a "
                    "number is expected (at most 30)")


def test_csv_file_over_the_size_limit(tmp_path):
    d = annex_folder(tmp_path, lambda t: t)
    with open(d / "objectifs.csv", "a", encoding="utf-8") as f:
        row = "5301,medecine,sejours,x,1,2,,,\n"
        f.write(row * (workbook.MAX_FILE_BYTES // len(row) + 1))
    line = one_line(*run_measured("validate", d))
    assert line.startswith(f"santelex: error: {d}/objectifs.csv: file of 64 MB: an annex file is read "
                           "up to 64 MB")


def test_csv_rows_over_the_limit(tmp_path):
    row = "5301,medecine,sejours,x,1,2,,,\n"
    d = annex_folder(tmp_path, lambda t: t + row * workbook.MAX_ROWS)
    line = one_line(*run_measured("validate", d))
    limit = workbook.MAX_ROWS
    assert line == (f"santelex: error: {d}/objectifs.csv:{limit + 2}: more than {limit:,} rows: an annex "
                    f"table is read up to {limit:,} rows")


# --- builds: readers, archives and RDF files

LINK = '<a href="/code-de-la-sante-publique/partie-legislative/l1434-7.md">article L1434-7</a>'


def run_bad_measured(store, path, *extra):
    """A build refused in a process of its own: one line (returned), exit 2, bounded memory,
    the store as it was and no staging folder left beside it."""
    before = dump(store)
    beside = sorted(p.name for p in store.parent.iterdir())
    line = one_line(*run_measured("build", "--quiet", "--store", store, *extra, path))
    assert dump(store) == before
    assert sorted(p.name for p in store.parent.iterdir()) == beside
    return line


def article(number="R1434-99", body="<p>Le texte.</p>", link=True) -> str:
    return f"# Article {number}\n\n" + (f"<p>Voir l'{LINK}.</p>\n" if link else "") + body + "\n"


def tar_bytes(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return out.getvalue()


def some_articles(n=30) -> dict[str, bytes]:
    rnd = random.Random(14)
    words = ["soins", "santé", "objectifs", "région", "agence", "schéma", "territoire", "activité"]
    return {f"code-de-la-sante-publique/partie-reglementaire/r{i}.md": article(
        f"R1434-{100 + i}", "<p>" + " ".join(rnd.choice(words) + str(rnd.randrange(10**6))
                                             for _ in range(800)) + "</p>").encode()
        for i in range(n)}


def test_markdown_article_without_a_link_has_no_code(store, tmp_path):
    f = tmp_path / "r1434-4.md"
    f.write_text("# Article R1434-4\n\n<p>Le texte.</p>\n")
    line = run_bad_measured(store, f)
    assert line.startswith(f"santelex: error: {f}:1: article R1434-4: no code to place it in")
    # in its code's folder it builds
    d = tmp_path / "code-de-la-sante-publique"
    d.mkdir()
    shutil.copy(f, d / f.name)
    res = CliRunner().invoke(main, ["build", "--quiet", "--store", str(store), str(d / f.name)])
    assert res.exit_code == 0, res.output


def test_unreadable_file_in_a_folder(store, tmp_path):
    d = tmp_path / "code-de-la-sante-publique"
    d.mkdir()
    (d / "r1.md").write_text(article("R1434-98"))
    bad = d / "r2.md"
    if os.geteuid() == 0:  # root reads any file: a file whose reading fails (EIO) instead
        bad.symlink_to("/proc/self/mem")
    else:
        bad.write_text(article("R1434-97"))
        bad.chmod(0)
    line = run_bad_measured(store, d)
    assert line.startswith("santelex: error: code-de-la-sante-publique/r2.md: cannot read: ")


@pytest.mark.parametrize("where", ["number", "text", "jo"])
def test_number_of_5000_digits(store, tmp_path, where):
    digits = "1" * 5000
    if where == "jo":
        f = tmp_path / "decret.txt"
        text = (paths.SEEDS / "decret-2005-76-jo.txt").read_text()
        f.write_text(text.replace("D. 712-2", "D. 712-" + digits, 1))
        line_no = text[:text.index("D. 712-2")].count("\n") + 1
    else:
        f = tmp_path / "r.md"
        f.write_text(article("R" + digits) if where == "number" else
                     article(body=f"<p>Selon l'article L. {digits} du présent code.</p>"))
        line_no = 1 if where == "number" else 4
    line = run_bad_measured(store, f)
    assert line == (f"santelex: error: {f}:{line_no}: a number of 5,000 digits: numbers are read up to "
                    f"{registry.MAX_DIGITS} digits")


def test_range_of_articles_too_wide_is_not_expanded(tmp_path):
    """A misprinted range (D. 712-1 à D. 712-99999999) is kept as its two ends."""
    from santelex.ingest.jo_text import _span
    assert _span("D712-1", "D712-99999999") == ["D712-1", "D712-99999999"]
    assert _span("D712-1", "D712-3") == ["D712-1", "D712-2", "D712-3"]


@pytest.mark.parametrize("compression", ["gz", "xz"])
def test_archive_cut_in_the_middle(store, tmp_path, compression):
    members = some_articles()
    raw = tar_bytes(members)
    data = gzip.compress(raw) if compression == "gz" else lzma.compress(raw)
    f = tmp_path / f"cut.tar.{compression}"
    f.write_bytes(data[: len(data) // 2])
    line = run_bad_measured(store, f)
    assert line.startswith(f"santelex: error: {f}: broken or truncated archive (after member "
                           "code-de-la-sante-publique/partie-reglementaire/r")
    # the whole archive builds
    f.write_bytes(data)
    res = CliRunner().invoke(main, ["build", "--store", str(store), str(f)])
    assert res.exit_code == 0 and "loaded 30 files" in res.output


def test_first_100_bytes_of_the_csp_archive(tmp_path):
    f = tmp_path / "csp.tar.xz"
    f.write_bytes(paths.CSP_ARCHIVE.read_bytes()[:100])
    store = tmp_path / "fresh" / "store"
    line = one_line(*run_measured("build", "--quiet", "--store", store, f))
    assert line.startswith(f"santelex: error: {f}: broken or truncated archive (before its first file): ")
    assert not store.exists()  # no empty store created


def test_archive_or_folder_with_nothing_to_read(store, tmp_path):
    f = tmp_path / "nothing.tar.gz"
    f.write_bytes(gzip.compress(tar_bytes({"notes.pdf": b"%PDF-1.4", "data.csv": b"a,b\n"})))
    assert run_bad_measured(store, f).startswith(f"santelex: error: {f}: nothing to read: the archive holds no file")
    d = tmp_path / "empty"
    d.mkdir()
    (d / "notes.csv").write_text("a,b\n")
    assert run_bad_measured(store, d).startswith(f"santelex: error: {d}: nothing to read: no file in this folder")


def test_archive_member_expanding_to_a_gigabyte(store, tmp_path):
    """1 MB of gzip (1,024 gzip members of a MB of zeros each) holding a 1 GB member."""
    info = tarfile.TarInfo("code-de-la-sante-publique/r1.md")
    info.size = 2**30
    header = info.tobuf()
    mb = gzip.compress(b"\0" * 2**20)
    f = tmp_path / "bomb.tar.gz"
    f.write_bytes(gzip.compress(header) + mb * 1024 + gzip.compress(b"\0" * 1024))
    assert f.stat().st_size < 2 * 2**20
    line = run_bad_measured(store, f)
    assert line == (f"santelex: error: {f}: member code-de-la-sante-publique/r1.md: a file of 1,024 MB: "
                    f"inputs are read up to {registry.MAX_INPUT_BYTES >> 20} MB each")


def test_input_file_over_the_size_limit(store, tmp_path):
    f = tmp_path / "code-de-la-sante-publique" / "r1.md"
    f.parent.mkdir()
    f.write_text(article(body="<p>" + "mot " * (registry.MAX_INPUT_BYTES // 4) + "</p>"))
    assert run_bad_measured(store, f) == (f"santelex: error: {f}: a file of 32 MB: inputs are read up to "
                                          f"{registry.MAX_INPUT_BYTES >> 20} MB each")


def test_paragraph_over_10_mb_is_kept_with_the_next(tmp_path):
    """libxml2 drops a text node over 10 MB, and what follows it, unless told otherwise."""
    f = tmp_path / "r.md"
    big = "mot " * (3 * 2**20)  # 12 MB
    f.write_text(article(body=f"<p>{big}</p>\n<p>Le paragraphe suivant.</p>"))
    store = tmp_path / "store"
    code, lines, peak = run_measured("build", "--quiet", "--store", store, f)
    assert code == 0 and lines == [] and peak < BUDGET_KB, lines
    st = ox.Store.read_only(str(store))
    texts = [r["t"].value for r in st.query(
        "SELECT ?t WHERE { GRAPH ?g { ?v <https://data.santelex.fr/ontology#text> ?t } }")]
    assert any(len(t) >= len(big.strip()) for t in texts)
    assert any("Le paragraphe suivant." == t for t in texts)
    del st


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">
  <rdf:Description rdf:about="http://example.org/x"><ex:p>&e;&e;&e;</ex:p></rdf:Description>
</rdf:RDF>
"""


def test_rdf_xml_entities_are_refused_before_parsing(store, tmp_path):
    f = tmp_path / "laughs.rdf"
    f.write_text(BILLION_LAUGHS)
    assert f.stat().st_size < 1024
    line = run_bad_measured(store, f)
    assert line == (f"santelex: error: {f}:2: RDF/XML with a DOCTYPE or entity declarations (<!ENTITY …>): "
                    "refused and not expanded; write the IRIs in full")
    f.write_text(BILLION_LAUGHS.replace('version="1.0"?>', 'version="1.0" encoding="UTF-16"?>'),
                 encoding="utf-16")
    assert f"{f}:3: RDF/XML with a DOCTYPE" in run_bad_measured(store, f)


@pytest.mark.parametrize("suffix", [".trig", ".nq"])
def test_dataset_quads_in_a_named_graph_are_refused(store, tmp_path, suffix):
    other = "https://data.santelex.fr/graph/0000000000000000"
    f = tmp_path / f"data{suffix}"
    f.write_text("<http://example.org/s> <http://example.org/p> \"old\" .\n"
                 + (f"<{other}> {{ <http://example.org/s> <http://example.org/p> \"x\" }}\n" if suffix == ".trig"
                    else f"<http://example.org/s> <http://example.org/p> \"x\" <{other}> .\n"))
    line = run_bad_measured(store, f)
    assert line.startswith(f"santelex: error: {f}:2: a quad in the named graph <{other}>: santelex keeps "
                           "each file in a graph of its own")


@pytest.mark.parametrize("suffix", [".trig", ".nq"])
def test_dataset_default_graph_goes_to_its_file_graph_and_a_rebuild_replaces_it(tmp_path, suffix):
    store = tmp_path / "store"
    f = tmp_path / f"data{suffix}"
    triple = "<http://example.org/s> <http://example.org/p> \"{}\" .\n"
    f.write_text(triple.format("old"))
    assert CliRunner().invoke(main, ["build", "-q", "--store", str(store), str(f)]).exit_code == 0
    f.write_text(triple.format("new"))
    assert CliRunner().invoke(main, ["build", "-q", "--store", str(store), str(f)]).exit_code == 0
    quads = [q for q in dump(store) if "example.org" in q]
    assert len(quads) == 1 and '"new"' in quads[0] and "/graph/" in quads[0]


# --- the workbook measure, on any sheet: refused exactly when a cell lies beyond the limits

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from santelex.errors import AnnexError  # noqa: E402

_cells = st.lists(st.tuples(st.booleans(), st.integers(1, workbook.MAX_COLUMNS + 3)), max_size=6)
_rows = st.lists(st.tuples(st.sampled_from(["none", "next", "far"]), _cells), max_size=8)


@settings(max_examples=80, deadline=None)
@given(_rows)
def test_workbook_measure_refuses_exactly_what_lies_beyond(tmp_path_factory, rows):
    """Rows with or without a number (next, or far down), cells with or without a reference:
    the measure agrees with a plain count of where each cell lands."""
    xml, beyond, row = [], False, 0
    for kind, cells in rows:
        if kind == "far":
            row = workbook.MAX_ROWS + 5
        elif kind == "next":
            row += 1
        else:
            row += 1
        attr = "" if kind == "none" else f' r="{row}"'
        parts, col = [], 0
        for with_ref, c in cells:
            col = max(c, col + 1) if with_ref else col + 1
            ref = f' r="{workbook.column_name(col)}{row}"' if with_ref else ""
            parts.append(f'<c{ref} t="n"><v>1</v></c>')
            beyond |= col > workbook.MAX_COLUMNS or row > workbook.MAX_ROWS + 1
        xml.append(f"<row{attr}>{''.join(parts)}</row>")
    f = tmp_path_factory.mktemp("wb") / "annexe.xlsx"
    with zipfile.ZipFile(f, "w") as z:
        z.writestr("xl/worksheets/sheet1.xml",
                   '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                   f"<sheetData>{''.join(xml)}</sheetData></worksheet>")
    if beyond:
        with pytest.raises(AnnexError, match="beyond what an annex sheet may hold"):
            workbook.check_workbook(f)
    else:
        workbook.check_workbook(f)
