"""Bad input: one clear line naming the file, exit 2, store untouched (issue 2)."""
import csv
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from santelex import paths, workbook
from santelex.cli import main


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
    assert "broken archive" in run_bad(store, f)


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
