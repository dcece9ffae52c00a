"""The size of an annex before it is read: limits, and a workbook's sheets measured first.

A spreadsheet reader allocates the rectangle from A1 to the farthest cell of a sheet: one
cell at XFD1048576 in an 11 KB file asks for 17 billion cells.  So a workbook is measured
before any cell is read: its parts are inflated as a stream (counting the bytes really
produced, whatever sizes the zip declares), and each worksheet's cells are walked row by
row, without keeping them, to find its farthest cell.  A sheet reaching beyond
``MAX_ROWS`` rows or ``MAX_COLUMNS`` columns, a part inflating past ``MAX_PART_BYTES``, a
CSV file over ``MAX_FILE_BYTES``: one AnnexError naming the file, the sheet and the place,
before anything is allocated.  ``MAX_CELL`` bounds one cell (checked as rows are read).
"""
from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path

from santelex.errors import AnnexError

#: data rows of one table (objectifs, territoires, annexe), header not counted
MAX_ROWS = 100_000
#: columns of a sheet, counting empty ones before the last used
MAX_COLUMNS = 32
#: characters in one cell
MAX_CELL = 10_000
#: bytes of one CSV file
MAX_FILE_BYTES = 64 * 2**20
#: bytes one part of a workbook (a sheet, the shared strings) may inflate to
MAX_PART_BYTES = 256 * 2**20

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_REF = re.compile(r"([A-Z]*)(\d*)$")


def limits_text() -> str:
    return (f"at most {MAX_ROWS:,} rows and {MAX_COLUMNS} columns a table, {MAX_CELL:,} characters "
            f"a cell, {MAX_FILE_BYTES >> 20} MB a CSV file")


def column_name(n: int) -> str:
    """1 -> A, 27 -> AA."""
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _column_number(letters: str) -> int:
    if len(letters) > 4:
        return 26 ** 5
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _row_number(digits: str) -> int:
    return int(digits) if len(digits) < 12 else 10 ** 12


def check_csv_size(path: Path, shown: str) -> None:
    try:
        size = path.stat().st_size
    except OSError:
        return  # the reader says why it cannot read it
    if size > MAX_FILE_BYTES:
        raise AnnexError(f"file of {size / 2**20:,.0f} MB: an annex file is read up to "
                         f"{MAX_FILE_BYTES >> 20} MB ({limits_text()})", shown)


def check_cell(cell: str, shown: str, row: int, column: str) -> None:
    if len(cell) > MAX_CELL:
        raise AnnexError(f"column {column!r}: a cell of {len(cell):,} characters (at most {MAX_CELL:,})",
                         shown, row)


def check_rows(count: int, shown: str, row: int) -> None:
    if count > MAX_ROWS:
        raise AnnexError(f"more than {MAX_ROWS:,} rows: an annex table is read up to {MAX_ROWS:,} rows",
                         shown, row)


def check_workbook(path: Path) -> None:
    """Measure an .xlsx/.xlsm workbook's parts and sheets; AnnexError if any is too large."""
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            for info in z.infolist():
                if not info.is_dir():
                    _inflated_size(z, info, path)
            for sheet, part in _sheets(z, names):
                _measure_sheet(z, part, f"{path}[{sheet}]")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as e:
        raise AnnexError(f"not a readable workbook: {e}", str(path)) from None
    except OSError as e:
        raise AnnexError(f"not a readable workbook: {e.strerror or e}", str(path)) from None


def _inflated_size(z: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> int:
    if info.file_size > MAX_PART_BYTES:
        raise AnnexError(f"part {info.filename} would inflate to {info.file_size / 2**20:,.0f} MB "
                         f"(at most {MAX_PART_BYTES >> 20} MB)", str(path))
    n = 0
    with z.open(info) as f:
        while chunk := f.read(1 << 20):
            n += len(chunk)
            if n > MAX_PART_BYTES:
                raise AnnexError(f"part {info.filename} inflates past {MAX_PART_BYTES >> 20} MB",
                                 str(path))
    return n


def _xml(z: zipfile.ZipFile, name: str):
    from lxml import etree  # only workbooks need it: CSV annexes start faster

    with z.open(name) as f:
        return etree.parse(f, etree.XMLParser(resolve_entities=False, no_network=True,
                                              load_dtd=False)).getroot()


def _sheets(z: zipfile.ZipFile, names: set[str]) -> list[tuple[str, str]]:
    """(sheet name, its part in the zip) for each sheet of the workbook."""
    if "xl/workbook.xml" not in names:
        return [(posixpath.basename(n), n) for n in sorted(names)
                if n.startswith("xl/worksheets/") and n.endswith(".xml")]
    targets = {}
    if "xl/_rels/workbook.xml.rels" in names:
        for rel in _xml(z, "xl/_rels/workbook.xml.rels").iter(f"{_PKG_REL}Relationship"):
            target = rel.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join("xl", target))
            targets[rel.get("Id")] = target
    out = []
    for sheet in _xml(z, "xl/workbook.xml").iter(f"{_MAIN}sheet"):
        part = targets.get(sheet.get(f"{_REL}id"))
        if part in names:
            out.append((sheet.get("name", part), part))
    seen = {p for _, p in out}
    out += [(posixpath.basename(n), n) for n in sorted(names)
            if n.startswith("xl/worksheets/") and n.endswith(".xml") and n not in seen]
    return out


def _measure_sheet(z: zipfile.ZipFile, part: str, shown: str) -> None:
    """Walk the cells of one worksheet, row by row, refusing the first beyond the limits."""
    from lxml import etree

    row = 0
    with z.open(part) as f:
        events = etree.iterparse(f, events=("start", "end"), resolve_entities=False, no_network=True,
                                 load_dtd=False, huge_tree=False)
        try:
            for event, el in events:
                tag = el.tag
                if event == "start":
                    if tag == f"{_MAIN}dimension":
                        _check_place(el.get("ref", "").rpartition(":")[2], shown, "the sheet's dimension")
                    elif tag == f"{_MAIN}row":
                        r = el.get("r")
                        row = _row_number(r) if r and r.isdigit() else row + 1  # an empty row costs nothing
                    continue
                if tag == f"{_MAIN}row":
                    col = 0
                    for c in el.iterchildren(f"{_MAIN}c"):
                        ref = c.get("r")
                        m = _REF.match(ref) if ref else None
                        col = _column_number(m.group(1)) if m and m.group(1) else col + 1
                        at = _row_number(m.group(2)) if m and m.group(2) else row
                        _check(at, col, shown, f"cell {ref or column_name(col) + str(row)}")
                    el.clear()
                    while el.getprevious() is not None:
                        del el.getparent()[0]
                elif tag == f"{_MAIN}sheetData":
                    el.clear()
        except etree.XMLSyntaxError as e:
            raise AnnexError(f"not a readable workbook: {e.msg}", shown) from None


def _check_place(ref: str, shown: str, what: str) -> None:
    m = _REF.match(ref) if ref else None
    if not m or not m.group(1) or not m.group(2):
        return
    _check(_row_number(m.group(2)), _column_number(m.group(1)), shown, f"{what} reaches {ref}")


def _check(row: int, col: int, shown: str, what: str) -> None:
    if col > MAX_COLUMNS or row > MAX_ROWS + 1:
        raise AnnexError(f"{what}: beyond what an annex sheet may hold (columns A to "
                         f"{column_name(MAX_COLUMNS)}, rows 1 to {MAX_ROWS + 1:,}); nothing was read",
                         shown)
