"""Read an annex of objectifs quantifiés de l'offre de soins (OQOS) and map it to RDF.

An annex is a folder holding three CSV files, or an ``.xlsx`` workbook with one sheet per
file (sheet ``annexe`` or ``annexe.csv``, and so on), with these columns:

- ``annexe.csv``: ``cle,valeur``, one row per key: ``region`` (INSEE code; several rows
  for an interregional schema), ``titre``, ``debut`` and ``fin`` (ISO dates: the period of
  the schema);
- ``territoires.csv`` (or ``zones.csv``, today's name): ``code,libelle,region``;
- ``objectifs.csv``: ``territoire,cible,indicateur,modalite,min,max,evolution,valeur,echeance``
  and, optionally, ``forme`` (the form of care).

CSV files are UTF-8 (a byte-order mark is accepted), separated by ``,`` or ``;``.  Rows
whose cells are all empty are skipped.  Row numbers are a spreadsheet's: the header is
row 1.

What cannot be read raises :class:`AnnexError` naming the file, the row and the column: a
missing file or sheet, other columns, bad encoding, a date that is not ``YYYY-MM-DD``, a
number that is not a number, an unknown or repeated key of ``annexe.csv``.  Everything
else, however wrong, is read as it is and left to the shapes: an unknown territory, target
or indicator, an empty required cell, a negative or decimal count, a deadline outside the
period.  Those are violations of the law, reported with the rest, not reading errors.

:func:`ntriples` writes the annex's graph (vocabulary in ``ontology/oqos-annexe.ttl``):
one ``slx:ObjectifQuantifie`` per row of ``objectifs.csv``, one ``slx:TerritoireDeSante``
per row of ``territoires.csv``, one ``slx:Annexe``; each remembers its file and row
(``slx:file``, ``slx:row``).  Known notations become the concepts of the rule set's
vocabulary (``santelex.validation.rulesets``: each scheme says which column it gives values to);
unknown ones stay literals for the shapes to report.  Where the rule set lists the
modalities of each activity (oqos-2023), ``modalite`` is looked up among the target's own;
otherwise it stays free text.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping as _Mapping
from collections.abc import Sequence as _Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from itertools import compress, islice
from pathlib import Path
from typing import Iterable, Iterator, Sequence
from urllib.parse import quote

import pyoxigraph as ox

from santelex import vocab
from santelex.annex import workbook
from santelex.errors import AnnexError

__all__ = ["Annexe", "Objectif", "Territoire", "COLUMNS", "OPTIONAL", "ALIASES", "read", "triples", "ntriples",
           "ntriples_many", "by_predicate", "node_iris", "ObjectiveNodes", "Rows", "Edges",
           "GroupNodes", "iri", "synthetic", "groups", "BASE", "OQOS"]

COLUMNS: dict[str, tuple[str, ...]] = {
    "annexe": ("cle", "valeur"),
    "territoires": ("code", "libelle", "region"),
    "objectifs": ("territoire", "cible", "indicateur", "modalite", "min", "max", "evolution",
                  "valeur", "echeance"),
}
#: columns a file may leave out (read as empty)
OPTIONAL: dict[str, tuple[str, ...]] = {"objectifs": ("forme",)}
#: other names a file may have (``zones.csv``: the territories of today's D. 6121-7)
ALIASES: dict[str, tuple[str, ...]] = {"territoires": ("zones",)}
ANNEX_KEYS = ("region", "titre", "debut", "fin")
#: keys of annexe.csv that may be given on several rows
REPEATABLE = ("region",)

SLX = vocab.SLX
OQOS = vocab.BASE + "oqos/"
BASE = vocab.BASE + "annexe/"

Number = int | Decimal


@dataclass(frozen=True)
class Territoire:
    code: str
    libelle: str
    region: str
    file: str
    row: int


@dataclass(frozen=True)
class Objectif:
    territoire: str
    cible: str
    indicateur: str
    modalite: str
    min: Number | None
    max: Number | None
    evolution: str
    valeur: Number | None
    echeance: date | None
    file: str
    row: int
    forme: str = ""
    #: the valeur is a rate, written ``12%`` (a percentage), not a count
    taux: bool = False


@dataclass(frozen=True)
class Annexe:
    """One regional annex, as read; nothing checked yet but its form."""

    source: str
    region: str = ""
    #: every region of an interregional schema (``region`` is the first)
    regions: tuple[str, ...] = ()
    titre: str = ""
    debut: date | None = None
    fin: date | None = None
    #: key of annexe.csv -> (file, row) where it was given
    rows: dict[str, tuple[str, int]] = field(default_factory=dict)
    territoires: tuple[Territoire, ...] = ()
    objectifs: tuple[Objectif, ...] = ()

    @property
    def file(self) -> str:
        return _display(self.source, "annexe")

    def iri(self) -> str:
        return iri(self)


# ----------------------------------------------------------------------------- reading

def read(path) -> Annexe:
    """Read the annex at ``path``: a folder of the three CSV files, or an .xlsx workbook."""
    p = Path(path)
    if p.is_dir():
        tables = {name: _read_csv(_csv_path(p, name), name) for name in COLUMNS}
    elif p.is_file() and p.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
        tables = _read_workbook(p)
    elif not p.exists():
        raise AnnexError("no such folder or workbook", str(p))
    else:
        raise AnnexError("an annex is a folder of CSV files or an .xlsx workbook", str(p))
    return _build(str(p), tables)


Table = tuple[str, tuple[str, ...], list[int], list[list[str]]]  # display name, columns, rows, cells by column


def _csv_path(folder: Path, name: str) -> Path:
    """``<name>.csv``, or the first of its other names that exists."""
    first = folder / f"{name}.csv"
    if not first.exists():
        for alias in ALIASES.get(name, ()):
            if (folder / f"{alias}.csv").exists():
                return folder / f"{alias}.csv"
    return first


def _display(source: str, name: str) -> str:
    p = Path(source)
    if p.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
        return f"{source}[{name}]"
    return str(p / f"{name}.csv")


def _read_csv(path: Path, name: str) -> Table:
    shown = str(path)
    workbook.check_csv_size(path, shown)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise AnnexError(f"missing file: an annex folder holds {', '.join(f + '.csv' for f in COLUMNS)}",
                         shown) from None
    except OSError as e:
        raise AnnexError(f"cannot read: {e.strerror or e}", shown) from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _encoding_error(data, e, shown, name) from None
    first = text.split("\n", 1)[0].splitlines()[:1]          # the first line, not every line
    if not first or not first[0].strip():
        raise AnnexError(f"empty file: the header must be {','.join(COLUMNS[name])}", shown, 1)
    delimiter = _delimiter(first[0], name, shown)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = list(islice(reader, workbook.MAX_ROWS + 2))        # one row more than allowed, at most
        if len(records) > workbook.MAX_ROWS + 1:
            workbook.check_rows(len(records) - 1, shown, reader.line_num)
    except csv.Error as e:  # a cell past the csv module's own limit (128 KB), a NUL byte
        what = (f"a cell of more than {csv.field_size_limit():,} characters (at most {workbook.MAX_CELL:,})"
                if "field larger" in str(e) else f"not a readable CSV row: {e}")
        raise AnnexError(what, shown, reader.line_num) from None
    return _table(shown, name, records)


def _encoding_error(data: bytes, e: UnicodeDecodeError, shown: str, name: str) -> AnnexError:
    row = data.count(b"\n", 0, e.start) + 1
    line_start = data.rfind(b"\n", 0, e.start) + 1
    prefix = data[line_start:e.start].decode("utf-8", "replace")
    header = data.split(b"\n", 1)[0].decode("utf-8", "replace")
    sep = ";" if header.count(";") > header.count(",") else ","
    col = prefix.count(sep)
    names = [c.strip() for c in header.split(sep)]
    where = f"column {names[col]!r}: " if col < len(names) and row > 1 else ""
    return AnnexError(f"{where}not UTF-8 (byte 0x{data[e.start]:02x}); save the file as UTF-8 CSV",
                      shown, row)


def _columns_match(found: list[str], name: str) -> bool:
    expected = COLUMNS[name]
    return sorted(found) in (sorted(expected), sorted(expected + OPTIONAL.get(name, ())))


def _delimiter(header: str, name: str, shown: str) -> str:
    expected = COLUMNS[name]
    best = None
    for sep in (",", ";"):
        cols = [c.strip().lstrip("\ufeff").casefold() for c in next(csv.reader([header], delimiter=sep))]
        if _columns_match(cols, name):
            return sep
        if best is None or len(cols) > len(best):
            best = cols
    _column_error(best or [], expected, shown, OPTIONAL.get(name, ()))
    raise AssertionError("unreachable")


def _column_error(found: list[str], expected: tuple[str, ...], shown: str, optional: tuple[str, ...] = ()):
    missing = [c for c in expected if c not in found]
    extra = [c for c in found if c not in expected + optional]
    dup = sorted({c for c in found if found.count(c) > 1})
    if dup:
        what = f"column {dup[0]!r} appears twice"
    elif missing:
        what = f"column {missing[0]!r} is missing"
    elif extra:
        what = f"column {extra[0]!r} is not expected"
    else:
        what = "columns do not match"
    also = f" (optional: {','.join(optional)})" if optional else ""
    raise AnnexError(f"{what}: the columns must be {','.join(expected)}{also} (found {','.join(found)})",
                     shown, 1)


def _table(shown: str, name: str, records: list[list[str]]) -> Table:
    """The table's header checked, its rows numbered and read column by column: (display
    name, columns, row numbers, cells of each column).  Rows whose cells are all empty are
    skipped."""
    expected = COLUMNS[name]
    header = [c.strip().lstrip("\ufeff").casefold() for c in records[0]]
    if not _columns_match(header, name):
        _column_error(header, expected, shown, OPTIONAL.get(name, ()))
    workbook.check_rows(len(records) - 1, shown, workbook.MAX_ROWS + 2)
    width = len(header)
    missing = [c for c in OPTIONAL.get(name, ()) if c not in header]    # read as empty
    body = records[1:]
    numbers: list[int] = list(range(2, len(body) + 2))
    cols: list[list[str]] | None = None
    if set(map(len, body)) <= {width}:          # the usual table: every row as wide as the header
        cols = [list(map(str.strip, c)) for c in zip(*body)] if body else [[] for _ in header]
        if body:
            filled = list(map(any, zip(*cols)))
            if not all(filled):
                numbers = list(compress(numbers, filled))
                cols = [list(compress(c, filled)) for c in cols]
        if any(max(map(len, c), default=0) > workbook.MAX_CELL for c in cols):
            cols = None                          # a cell too long: found row by row below
    if cols is None:
        numbers, rows = [], []
        for number, record in enumerate(body, start=2):
            cells = list(map(str.strip, record))
            if not any(cells):
                continue
            if len(cells) != width:
                raise AnnexError(f"{len(cells)} cells where the header has {width}", shown, number)
            if max(map(len, cells)) > workbook.MAX_CELL:
                for column, cell in zip(header, cells):
                    workbook.check_cell(cell, shown, number, column)
            numbers.append(number)
            rows.append(cells)
        cols = [list(c) for c in zip(*rows)] if rows else [[] for _ in header]
    cols += [[""] * len(numbers) for _ in missing]
    return shown, tuple(header + missing), numbers, cols


def _read_workbook(path: Path) -> dict[str, Table]:
    from python_calamine import CalamineError, CalamineWorkbook

    if path.suffix.lower() in (".xls", ".ods"):
        raise AnnexError(f"{path.suffix} workbooks are not read (their size cannot be measured before "
                         "reading): save the annex as .xlsx", str(path))
    workbook.check_workbook(path)
    try:
        book = CalamineWorkbook.from_path(str(path))
        sheets = {s.casefold().removesuffix(".csv"): s for s in book.sheet_names}
        tables = {}
        for name in COLUMNS:
            sheet = next((n for n in (name, *ALIASES.get(name, ())) if n in sheets), None)
            shown = f"{path}[{sheet or name}]"
            if sheet is None:
                raise AnnexError(f"no sheet {name!r} (sheets: {', '.join(book.sheet_names)})", str(path))
            values = book.get_sheet_by_name(sheets[sheet]).to_python(skip_empty_area=False)
            records = [[_cell_text(v) for v in row] for row in values]
            while records and not any(records[-1]):
                records.pop()
            if not records:
                raise AnnexError(f"empty sheet: the header must be {','.join(COLUMNS[name])}", shown, 1)
            # a sheet can be wider than its header: drop empty trailing columns
            width = max((i + 1 for i, c in enumerate(records[0]) if c), default=0)
            records = [r[:width] + [""] * (width - len(r[:width])) if not any(r[width:]) else r
                       for r in records]
            tables[name] = _table(shown, name, records)
        return tables
    except CalamineError as e:
        raise AnnexError(f"not a readable workbook: {e}", str(path)) from None
    except (OSError, ValueError) as e:
        raise AnnexError(f"not a readable workbook: {e}", str(path)) from None


def _cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == datetime.min.time() else v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    return str(v).strip()


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INT = re.compile(r"[+-]?\d+")
_DEC = re.compile(r"[+-]?(\d+[.,]\d*|[.,]\d+)")


def parse_date(text: str, file: str, row: int, column: str) -> date | None:
    if not text:
        return None
    if _DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise AnnexError(f"column {column!r}: {text[:40]!r} is not a date (YYYY-MM-DD)", file, row)


#: characters of a number (the counts of an annex have a few digits)
MAX_NUMBER = 30


def parse_number(text: str, file: str, row: int, column: str) -> Number | None:
    if not text:
        return None
    if len(text) > MAX_NUMBER:
        raise AnnexError(f"column {column!r}: {len(text):,} characters where a number is expected "
                         f"(at most {MAX_NUMBER})", file, row)
    if text.isascii() and text.isdigit():
        return int(text)
    compact = text.replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    if _INT.fullmatch(compact):
        return int(compact)
    if _DEC.fullmatch(compact):
        return Decimal(compact.replace(",", "."))
    raise AnnexError(f"column {column!r}: {text!r} is not a number", file, row)


def _build(source: str, tables: dict[str, Table]) -> Annexe:
    file, columns, numbers, cols = tables["annexe"]
    rows = [(row, dict(zip(columns, cells))) for row, cells in zip(numbers, zip(*cols))]
    values: dict[str, str] = {}
    where: dict[str, tuple[str, int]] = {}
    regions: list[str] = []
    for row, cells in rows:
        key = cells["cle"].casefold()
        if key not in ANNEX_KEYS:
            raise AnnexError(f"column 'cle': unknown key {cells['cle']!r} (keys: {', '.join(ANNEX_KEYS)})",
                             file, row)
        if key in where and key not in REPEATABLE:
            raise AnnexError(f"column 'cle': key {key!r} already given on row {where[key][1]}", file, row)
        if key == "region":
            if cells["valeur"] in regions:
                raise AnnexError(f"column 'valeur': region {cells['valeur']!r} already given", file, row)
            regions.append(cells["valeur"])
        values.setdefault(key, cells["valeur"])
        where.setdefault(key, (file, row))
    debut = parse_date(values.get("debut", ""), file, where.get("debut", (file, 0))[1], "valeur")
    fin = parse_date(values.get("fin", ""), file, where.get("fin", (file, 0))[1], "valeur")

    tfile, columns, numbers, cols = tables["territoires"]
    code, libelle, region = (cols[columns.index(c)] for c in ("code", "libelle", "region"))
    territoires = tuple(Territoire(c, lb, r, tfile, row) for row, c, lb, r in zip(numbers, code, libelle, region))

    ofile, columns, numbers, cols = tables["objectifs"]
    return Annexe(source=source, region=values.get("region", ""), regions=tuple(r for r in regions if r),
                  titre=values.get("titre", ""), debut=debut, fin=fin, rows=where, territoires=territoires,
                  objectifs=Rows(ofile, numbers, dict(zip(columns, cols))))


class Rows(_Sequence):
    """The objectives of a table, kept as its columns (the cells as written, and each distinct
    number and date read once); an :class:`Objectif` is made when it is asked for.  Compares,
    adds and slices as the tuple of its objectives.

    Reading it raises the AnnexError of the first cell, in row then column order, that is not
    a number or a date where one is expected."""

    __slots__ = ("file", "rows", "cells", "numbers", "dates", "_made", "_at")

    def __init__(self, file: str, rows: list[int], cells: dict[str, list[str]]):
        self.file, self.rows, self.cells = file, rows, cells
        self._made: dict[int, Objectif] = {}
        self._at: dict[int, int] | None = None
        self.numbers, self.dates = self._read(cells)

    def _read(self, cells):
        numbers: dict[str, Number | None] = {"": None}
        dates: dict[str, date | None] = {"": None}
        errors = []
        parsers = (("min", numbers, parse_number), ("max", numbers, parse_number),
                   ("valeur", numbers, parse_number), ("echeance", dates, parse_date))
        for order, (column, known, parse) in enumerate(parsers):
            texts = cells[column]
            if column == "valeur":
                texts = list(map(_rate_text, texts))
            for text in dict.fromkeys(texts):
                if text in known:
                    continue
                try:
                    known[text] = parse(text, self.file, 0, column)
                except AnnexError:
                    k = texts.index(text)
                    errors.append((k, order, column, text))
        if errors:
            k, _, column, text = min(errors)
            (parse_date if column == "echeance" else parse_number)(text, self.file, self.rows[k], column)
        return numbers, dates

    def __len__(self) -> int:
        return len(self.rows)

    def _make(self, k: int) -> Objectif:
        o = self._made.get(k)
        if o is None:
            c, num = self.cells, self.numbers
            valeur = c["valeur"][k]
            o = self._made[k] = Objectif(
                c["territoire"][k], c["cible"][k], c["indicateur"][k], c["modalite"][k], num[c["min"][k]],
                num[c["max"][k]], c["evolution"][k], num[_rate_text(valeur)], self.dates[c["echeance"][k]],
                self.file, self.rows[k], c["forme"][k], valeur.endswith("%"))
        return o

    def __getitem__(self, k):
        if isinstance(k, slice):
            return tuple(map(self._make, range(len(self.rows))[k]))
        if k < 0:
            k += len(self.rows)
        if not 0 <= k < len(self.rows):
            raise IndexError("objective index out of range")
        return self._make(k)

    def __iter__(self):
        return map(self._make, range(len(self.rows)))

    def at_row(self, row: int) -> Objectif | None:
        """The objective of a row of the file, if any."""
        if self._at is None:
            self._at = dict(zip(self.rows, range(len(self.rows))))
        k = self._at.get(row)
        return None if k is None else self._make(k)

    def __eq__(self, other) -> bool:
        if isinstance(other, (Rows, tuple)):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __add__(self, other):
        return tuple(self) + tuple(other)

    def __radd__(self, other):
        return tuple(other) + tuple(self)

    def __repr__(self) -> str:
        return repr(tuple(self))


def _rate_text(valeur: str) -> str:
    return valeur.removesuffix("%").rstrip()


# ----------------------------------------------------------------------------- RDF

def iri(annexe: Annexe) -> str:
    """The annex's IRI: by region(s) and start of its period."""
    region = quote("+".join(annexe.regions or (annexe.region,)), safe="+") or "sans-region"
    start = annexe.debut.isoformat() if annexe.debut else "sans-date"
    return f"{BASE}{region}/{start}"


@lru_cache(maxsize=65536)
def _lit(text: str) -> str:
    """A plain literal in canonical N-Triples form (as Oxigraph writes it)."""
    return str(ox.Literal(text))


_XSD = vocab.XSD


_INTEGER = '"{}"^^<' + _XSD + 'integer>'


def _num(n: Number) -> str:
    if isinstance(n, int):
        return f'"{n}"^^<{_XSD}integer>'
    return f'"{n}"^^<{_XSD}decimal>'


def _date(d: date) -> str:
    return f'"{d.isoformat()}"^^<{_XSD}date>'


def _concept(notations, column: str, value: str) -> str:
    found = notations.concept(column, value)
    return f"<{found}>" if found else _lit(value)


def _notations(a: Annexe, notations):
    """The given notations, else those of the rule set in force at the annex's start."""
    if notations is not None:
        return notations
    from santelex.validation import rulesets

    return rulesets.in_force(a.debut, "the annex's debut").notations()


_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")


def _segment(text: str) -> str:
    """A path segment of an IRI: the text percent-encoded (codes and notations need not be)."""
    return text if _UNRESERVED.fullmatch(text) else quote(text, safe="")


@lru_cache(maxsize=65536)
def _territory_iri(base: str, code: str) -> str:
    return f"{base}/territoire/{_segment(code)}"


def node_iris(a: Annexe, base: str | None = None, objectives: bool = True,
              targets: dict[str, Objectif] | None = None) -> Iterator[tuple[str, str, int, str]]:
    """(node in N-Triples form, file, row, territory code) for every node of the annex's graph
    (but the objectives' own, if not ``objectives``: each is its row); ``targets``: what
    :func:`groups` gave for the annex, when known."""
    base = base or iri(a)
    yield f"<{base}>", a.file, min((r for _, r in a.rows.values()), default=1), ""
    for t in a.territoires:
        yield _territory_node(base, t), t.file, t.row, t.code
    if objectives:
        for o in a.objectifs:
            yield f"<{base}/objectif/{o.row}>", o.file, o.row, o.territoire
    targets = targets if targets is not None else groups(a, base)
    if isinstance(targets, GroupNodes):       # where a target first appears
        yield from targets.located()
    else:
        for g, o in targets.items():
            yield g, o.file, o.row, o.territoire


class ObjectiveNodes(_Mapping):
    """{objective node: Objectif} over annexes, each objective made only when asked for (a
    report looks up the few its results fall on)."""

    def __init__(self, annexes: Iterable[Annexe]):
        self._by_base = {iri(a): a.objectifs for a in annexes}
        self._rows: dict[str, dict[int, Objectif]] = {}

    def __getitem__(self, node: str) -> Objectif:
        found = self.get(node)
        if found is None:
            raise KeyError(node)
        return found

    def get(self, node, default=None):
        head, sep, tail = node.rpartition("/objectif/")
        objectives = self._by_base.get(head[1:]) if sep and head[:1] == "<" else None
        if objectives is None or not tail.endswith(">") or not tail[:-1].isdigit():
            return default
        row = int(tail[:-1])
        if isinstance(objectives, Rows):
            found = objectives.at_row(row)
        else:
            at = self._rows.get(head)
            if at is None:
                at = self._rows[head] = {o.row: o for o in objectives}
            found = at.get(row)
        return default if found is None else found

    def __contains__(self, node) -> bool:
        return isinstance(node, str) and self.get(node) is not None

    def __iter__(self):
        for base, objectives in self._by_base.items():
            for o in objectives:
                yield f"<{base}/objectif/{o.row}>"

    def __len__(self) -> int:
        return sum(map(len, self._by_base.values()))


class GroupNodes(_Mapping):
    """{target-in-a-territory node: the first objective of it} for one annex, each objective
    made only when asked for."""

    def __init__(self, a: Annexe, base: str | None = None):
        base = base or iri(a)
        self._objectifs = a.objectifs
        self._territories = _cells(a.objectifs, "territoire")
        pairs = list(zip(self._territories, _cells(a.objectifs, "cible")))
        first = dict(zip(reversed(pairs), range(len(pairs) - 1, -1, -1)))      # each pair's first index
        self._first: dict[str, int] = {}
        for tc in dict.fromkeys(pairs):
            if tc[0] and tc[1]:
                self._first.setdefault(_group_iri(base, *tc), first[tc])

    def __getitem__(self, node: str) -> Objectif:
        return self._objectifs[self._first[node]]

    def __iter__(self):
        return iter(self._first)

    def __len__(self) -> int:
        return len(self._first)

    def located(self) -> Iterator[tuple[str, str, int, str]]:
        """(node, file, row, territory code) of each group, where it first appears."""
        objectives = self._objectifs
        if isinstance(objectives, Rows):
            for g, k in self._first.items():
                yield g, objectives.file, objectives.rows[k], self._territories[k]
        else:
            for g, k in self._first.items():
                o = objectives[k]
                yield g, o.file, o.row, o.territoire


def groups(a: Annexe, base: str | None = None) -> GroupNodes:
    """Each target-in-a-territory node of the annex's graph, with the first objective of it."""
    return GroupNodes(a, base)


def _group_node(base: str, o: Objectif) -> str:
    """One node per territory and target (case aside): what I 1° and II 1°, 3° of D. 712-2 ask
    of every activity and equipment the annex quantifies in a territory is checked on it."""
    if not o.territoire or not o.cible:
        return ""
    return _group_iri(base, o.territoire, o.cible)


@lru_cache(maxsize=65536)
def _group_iri(base: str, territoire: str, cible: str) -> str:
    return f"<{base}/groupe/{_segment(territoire)}/{_segment(cible.casefold())}>"


def _territory_node(base: str, t: Territoire) -> str:
    return f"<{_territory_iri(base, t.code)}>" if t.code else f"<{base}/territoire-ligne/{t.row}>"


def ntriples(annexe: Annexe, base: str | None = None, notations=None) -> str:
    """The annex's graph as N-Triples."""
    return "".join(f"{s} {p} {o} .\n" for s, p, o in triples(annexe, base, notations))


def ntriples_many(annexes: Iterable[Annexe], notations=None) -> str:
    return "".join(ntriples(a, notations=notations) for a in annexes)


def triples(a: Annexe, base: str | None = None, notations=None) -> Iterator[tuple[str, str, str]]:
    """The annex's graph: (subject, predicate, object), each in canonical N-Triples form.

    ``notations`` (a :class:`santelex.validation.rulesets.Notations`) turns cells into concepts; by
    default, those of the rule set in force at the annex's start.
    """
    for p, pairs in by_predicate(a, base, notations).items():
        for s, o in pairs:
            yield s, p, o


_RDF_TYPE = f"<{vocab.RDF}type>"
_PREDICATES = {name: f"<{SLX}{name}>" for name in (
    "annexe", "region", "debut", "fin", "code", "territoire", "cible", "indicateur", "modalite",
    "minimum", "maximum", "evolution", "valeur", "echeance", "debutPeriode", "finPeriode", "cle",
    "file", "row", "forme", "regionDeclaree", "taux", "groupe")}


def by_predicate(a: Annexe, base: str | None = None, notations=None) -> dict[str, list[tuple[str, str]]]:
    """The annex's graph as {predicate: [(subject, object)]}, each node in canonical N-Triples
    form: what :func:`triples` yields, grouped as the validation engine indexes it.  The
    objectives are mapped column by column: each distinct cell is turned into its node once,
    and no triple is built to be taken apart again."""
    base = base or iri(a)
    notations = _notations(a, notations)
    P = _PREDICATES
    out: dict[str, list[tuple[str, str]]] = {p: [] for p in (_RDF_TYPE, *P.values())}
    label, title = f"<{vocab.RDFS}label>", f"<{vocab.DCTERMS}title>"
    typed, of_annex, of_file, of_row = (out[p].append for p in (_RDF_TYPE, P["annexe"], P["file"], P["row"]))
    s = f"<{base}>"
    typed((s, f"<{SLX}Annexe>"))
    for region in a.regions or ((a.region,) if a.region else ()):
        out[P["region"]].append((s, _lit(region)))
        # each region of the annex is a node, so that "a territory is in one of them" is sh:class
        typed((_region_node(base, region), f"<{SLX}RegionDeLAnnexe>"))
    if a.titre:
        out.setdefault(title, []).append((s, _lit(a.titre)))
    if a.debut:
        out[P["debut"]].append((s, _date(a.debut)))
    if a.fin:
        out[P["fin"]].append((s, _date(a.fin)))
    of_file((s, _lit(a.file)))
    of_row((s, _num(min((r for _, r in a.rows.values()), default=1))))

    for t in a.territoires:
        node = _territory_node(base, t)
        typed((node, f"<{SLX}TerritoireDeSante>"))
        of_annex((node, s))
        if t.code:
            out[P["code"]].append((node, _lit(t.code)))
        if t.libelle:
            out.setdefault(label, []).append((node, _lit(t.libelle)))
        if t.region:
            out[P["region"]].append((node, _lit(t.region)))
            out[P["regionDeclaree"]].append((node, _region_node(base, t.region)))
        of_file((node, _lit(t.file)))
        of_row((node, _num(t.row)))

    c = _columns(a.objectifs)
    rows = c["rows"]
    if not rows:
        return {p: pairs for p, pairs in out.items() if pairs}
    prefix = f"<{base}/objectif/"
    nodes = [f"{prefix}{r}>" for r in rows]
    n = len(nodes)

    columns: dict[str, list[tuple[list, list]]] = {}       # predicate -> (subjects, objects) of the objectives

    def add(name: str, objects: list) -> None:
        """A triple (node, predicate, object) for each node whose object is not None."""
        columns.setdefault(P[name], []).append((list(compress(nodes, objects)), list(filter(None, objects))))

    def every(predicate: str, objects: list) -> None:
        """A triple (node, predicate, object) for each node and its object."""
        columns.setdefault(predicate, []).append((nodes, objects))

    def by_cell(cells: list, node_of) -> list:
        """Each cell's node, made once per distinct cell (None for an empty cell)."""
        made = {v: node_of(v) if v else None for v in dict.fromkeys(cells)}
        return list(map(made.__getitem__, cells))

    every(_RDF_TYPE, [f"<{SLX}ObjectifQuantifie>"] * n)
    every(P["annexe"], [s] * n)
    add("territoire", by_cell(c["territoire"], lambda t: f"<{_territory_iri(base, t)}>"))
    targets = by_cell(c["cible"], lambda v: _concept(notations, "cible", v))
    add("cible", targets)
    add("indicateur", by_cell(c["indicateur"], lambda v: _concept(notations, "indicateur", v)))
    forms = by_cell(c["forme"], lambda v: _concept(notations, "forme", v))
    add("forme", forms)
    # the modality: a node where the rule set lists the target's own (oqos-2023), else text;
    # the key reads the node, or the text case and spaces aside
    if notations.knows("modalite"):
        def modality(cm: tuple[str, str]) -> tuple:
            found = notations.concept("modalite", cm[1], scope=notations.concept("cible", cm[0]))
            return (f"<{found}>", f"<{found}>") if found else (_lit(cm[1]), " ".join(cm[1].casefold().split()))
        made = {cm: modality(cm) if cm[1] else (None, "") for cm in dict.fromkeys(zip(c["cible"], c["modalite"]))}
        modal = list(map(made.__getitem__, zip(c["cible"], c["modalite"])))
        add("modalite", [m for m, _ in modal])
        modal_keys = [k for _, k in modal]
    else:
        add("modalite", by_cell(c["modalite"], _lit))
        made_keys = {v: " ".join(v.casefold().split()) for v in dict.fromkeys(c["modalite"])}
        modal_keys = list(map(made_keys.__getitem__, c["modalite"]))
    add("minimum", c["min"])
    add("maximum", c["max"])
    add("evolution", by_cell(c["evolution"], lambda v: _concept(notations, "evolution", v)))
    rate = c["taux"]
    add("valeur", [None if t else v for v, t in zip(c["valeur"], rate)] if any(rate) else c["valeur"])
    if any(rate):
        add("taux", [v if t else None for v, t in zip(c["valeur"], rate)])
    add("echeance", c["echeance"])
    if a.debut:
        every(P["debutPeriode"], [_date(a.debut)] * n)
    if a.fin:
        every(P["finPeriode"], [_date(a.fin)] * n)
    # same territory, target, indicator, form, modality and deadline: the same key node, named
    # after the first row that has it (the steps of one objective differ by their deadline)
    folded = {v: v.casefold() for v in dict.fromkeys(c["cible"] + c["indicateur"])}
    fold = folded.__getitem__
    keys = zip(c["territoire"], map(fold, c["cible"]), map(fold, c["indicateur"]), map(_or_empty, forms),
               modal_keys, map(_or_empty, c["echeance"]))
    first: dict[tuple, int] = {}
    key_rows = list(map(first.setdefault, keys, rows))
    key_node = {r: f"<{base}/cle/{r}>" for r in first.values()}
    every(P["cle"], list(map(key_node.__getitem__, key_rows)))
    # each target quantified in a territory is one node, described where it first appears
    pairs = list(zip(c["territoire"], c["cible"]))
    group_of = {tc: _group_iri(base, *tc) if tc[0] and tc[1] else None for tc in dict.fromkeys(pairs)}
    add("groupe", list(map(group_of.__getitem__, pairs)))
    seen: set[str] = set()
    concept_of = dict(zip(c["cible"], targets))
    for (territoire, cible), group in group_of.items():
        if group is not None and group not in seen:
            seen.add(group)
            typed((group, f"<{SLX}CibleDuTerritoire>"))
            out[P["cible"]].append((group, concept_of[cible]))
            out[P["territoire"]].append((group, f"<{_territory_iri(base, territoire)}>"))
    every(P["file"], by_cell(c["file"], _lit))
    every(P["row"], list(map(_INTEGER.format, rows)))
    graph: dict[str, list[tuple[str, str]] | Edges] = {}
    for p in dict.fromkeys([*out, *columns]):
        small, parts = out.get(p, []), columns.get(p, [])
        if not parts:
            if small:
                graph[p] = small
            continue
        subjects, objects = [s for s, _ in small], [o for _, o in small]
        for ss, oo in parts:
            subjects += ss
            objects += oo
        # the objectives' nodes are distinct, and distinct from the annex's other nodes
        graph[p] = Edges(subjects, objects, functional=len(set(subjects[:len(small)])) == len(small))
    return graph


class Edges(_Sequence):
    """The (subject, object) pairs of one predicate held as two columns; ``functional`` when
    each subject has one object (no subject twice).  Iterates, compares and adds as the list
    of its pairs; the validation engine indexes it without making the pairs."""

    __slots__ = ("subjects", "objects", "functional")

    def __init__(self, subjects: list[str], objects: list[str], functional: bool = False):
        self.subjects, self.objects, self.functional = subjects, objects, functional

    def __len__(self) -> int:
        return len(self.subjects)

    def __iter__(self):
        return zip(self.subjects, self.objects)

    def __getitem__(self, k):
        if isinstance(k, slice):
            return list(zip(self.subjects[k], self.objects[k]))
        return self.subjects[k], self.objects[k]

    def __eq__(self, other) -> bool:
        if isinstance(other, (Edges, list)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __add__(self, other) -> list:
        return list(self) + list(other)

    def __radd__(self, other) -> list | Edges:
        """Pairs before these (another graph's pairs of the same predicate: the vocabulary's
        rdf:type); functional still if no subject repeats."""
        if not isinstance(other, list):
            return list(other) + list(self)
        subjects = [s for s, _ in other]
        seen = set(subjects)
        functional = self.functional and len(seen) == len(subjects) and seen.isdisjoint(self.subjects)
        return Edges(subjects + self.subjects, [o for _, o in other] + self.objects, functional)

    def __repr__(self) -> str:
        return f"Edges({list(self)!r})"


def _num_or_none(n: Number | None) -> str | None:
    return None if n is None else _num(n)


def _or_empty(x):
    return x or ""


def _columns(objectives: Sequence[Objectif]) -> dict[str, list]:
    """The objectives column by column, as the graph needs them: the cells as strings, the
    numbers and dates as their literals (None where empty), ``taux`` whether the valeur is a
    rate.  Read straight from the table's columns when the objectives are :class:`Rows`."""
    if isinstance(objectives, Rows):
        cells, n = objectives.cells, len(objectives.rows)
        number = dict(zip(objectives.numbers, map(_num_or_none, objectives.numbers.values())))
        day = {t: None if d is None else _date(d) for t, d in objectives.dates.items()}
        rate = {v: (number[_rate_text(v)], v.endswith("%")) for v in dict.fromkeys(cells["valeur"])}
        valeur = list(map(rate.__getitem__, cells["valeur"]))
        return {**{k: cells[k] for k in ("territoire", "cible", "indicateur", "modalite", "evolution", "forme")},
                "rows": objectives.rows, "file": [objectives.file] * n,
                "min": list(map(number.__getitem__, cells["min"])), "max": list(map(number.__getitem__, cells["max"])),
                "valeur": [v for v, _ in valeur], "taux": [t for _, t in valeur],
                "echeance": list(map(day.__getitem__, cells["echeance"]))}
    objs = tuple(objectives)
    out: dict[str, list] = {k: [getattr(o, k) for o in objs] for k in (
        "territoire", "cible", "indicateur", "modalite", "evolution", "forme", "file", "taux")}
    out["rows"] = [o.row for o in objs]
    for k in ("min", "max", "valeur"):
        out[k] = [None if getattr(o, k) is None else _num(getattr(o, k)) for o in objs]
    out["echeance"] = [None if o.echeance is None else _date(o.echeance) for o in objs]
    return out


def _cells(objectives: Sequence[Objectif], column: str) -> list:
    if isinstance(objectives, Rows):
        return objectives.cells[column]
    return [getattr(o, column) for o in objectives]


@lru_cache(maxsize=4096)
def _region_node(base: str, region: str) -> str:
    return f"<{base}/region/{quote(region, safe='')}>"


# ----------------------------------------------------------------------------- synthetic annexes

#: the 18 regions of France since 2016 (INSEE codes)
REGIONS_2016 = ("01", "02", "03", "04", "06", "11", "24", "27", "28", "32", "44", "52", "53", "75", "76",
                "84", "93", "94")

#: the notations of oqos-2005 the generator draws from (the vocabulary is the reference)
_ACTIVITIES = (
    "medecine", "chirurgie", "obstetrique", "neonatologie", "reanimation_neonatale", "psychiatrie",
    "soins_de_suite", "reeducation_readaptation", "soins_longue_duree", "greffes", "grands_brules",
    "chirurgie_cardiaque", "cardiologie_interventionnelle", "neurochirurgie",
    "neuroradiologie_interventionnelle", "urgences", "reanimation", "irc", "amp_clinique",
    "amp_biologique", "diagnostic_prenatal", "gametes", "cancer")
_EQUIPMENTS = ("camera_scintillation", "tep", "irm", "scanographe", "caisson_hyperbare", "cyclotron")
#: volume indicator -> the forms it may be given for (D. 712-2, I, 3°; "" = all forms together)
_ANY_FORM = ("", "hospitalisation_complete", "hospitalisation_jour", "hospitalisation_nuit", "ambulatoire")
_VOLUME = {"medecine": {"sejours": ("", "hospitalisation_complete", "hospitalisation_jour")},
           "chirurgie": {"sejours": _ANY_FORM},
           "cardiologie_interventionnelle": {"actes": _ANY_FORM},
           "neuroradiologie_interventionnelle": {"actes": _ANY_FORM},
           "psychiatrie": {"journees": ("", "hospitalisation_complete"), "places_jour": ("", "hospitalisation_jour"),
                           "places_nuit": ("", "hospitalisation_nuit")},
           "soins_de_suite": {"journees": _ANY_FORM, "venues": _ANY_FORM},
           "reeducation_readaptation": {"journees": _ANY_FORM, "venues": _ANY_FORM},
           "soins_longue_duree": {"journees": _ANY_FORM, "venues": _ANY_FORM},
           "irc": {"patients": _ANY_FORM}}
_MODALITES = ("", "adultes", "enfants", "hors chimiothérapie")


def _blocks(territory: str) -> list[list[tuple[str, str, str, str]]]:
    """Every target of a territory as a block of lawful (territory, target, indicator, form) rows:
    what D. 712-2 asks first (implantations; appareils), then the rest."""
    out = []
    for target in _ACTIVITIES + _EQUIPMENTS:
        rows = [(territory, target, "implantations", "")]
        if target in _EQUIPMENTS:
            rows.append((territory, target, "appareils", ""))
        for indicator, forms in _VOLUME.get(target, {}).items():
            rows.extend((territory, target, indicator, f) for f in forms)
        rows += [(territory, target, "temps_acces", ""), (territory, target, "permanence", "")]
        out.append(rows)
    return out


def synthetic(n: int, regions: Sequence[str] = REGIONS_2016, errors: float = 0.0, seed: int = 0,
              debut: date = date(2006, 4, 1), fin: date = date(2011, 3, 31)) -> list[Annexe]:
    """A made-up national set of annexes (one per region) with ``n`` objectives in all.

    Every objective is lawful under oqos-2005 unless picked (with probability ``errors``) to
    break one rule, chosen at random among the rules of shapes/oqos-2005.  Each territory's
    targets come whole (implantations, appareils, a volume); more objectives than a territory
    holds are steps of its objectives (other deadlines).  For benchmarks and tests only.
    """
    import random

    rnd = random.Random(seed)
    per_region = [n // len(regions) + (1 if k < n % len(regions) else 0) for k in range(len(regions))]
    per_territory = sum(len(b) for b in _blocks("x"))
    out = []
    for region, count in zip(regions, per_region):
        n_terr = max(5, -(-count // per_territory))
        codes = [f"{region}{k:03d}" for k in range(1, n_terr + 1)]
        territoires = [Territoire(c, f"Territoire {c}", region, f"synthetique/{region}/territoires.csv", k + 2)
                       for k, c in enumerate(codes)]
        file = f"synthetique/{region}/objectifs.csv"
        blocks = [b for c in codes for b in _blocks(c)]
        rnd.shuffle(blocks)
        keys: list[tuple] = []
        for block in blocks:                      # whole blocks only, then steps of what is there
            if len(keys) + len(block) > count:
                break
            keys.extend(block)
        base = list(keys)
        step = 0
        while len(keys) < count:
            keys.append(base[step % len(base)] + (date(2007 + step // len(base) % 4, 1 + step % 12, 15),))
            step += 1
        objectifs = []
        for k, key in enumerate(keys):
            t, c, i, forme = key[:4]
            echeance = key[4] if len(key) > 4 else None
            low = rnd.randint(0, 5000)
            m = rnd.choice(_MODALITES) if c != "medecine" else rnd.choice(("", "hors chimiothérapie"))
            o = Objectif(t, c, i, m, low, low + rnd.randint(0, 500), "", None, echeance, file, k + 2, forme=forme)
            if i == "temps_acces" and rnd.random() < 0.5:
                o = replace(o, min=None, max=Decimal(rnd.randint(100, 900)) / 10)
            if rnd.random() < 0.2:
                rate = rnd.random() < 0.3
                o = replace(o, min=None, max=None, evolution=rnd.choice(("progression", "diminution")),
                            valeur=Decimal(rnd.randint(1, 200)) / 10 if rate else rnd.randint(1, 300), taux=rate)
            if echeance is None and rnd.random() < 0.1:
                o = replace(o, echeance=date(rnd.randint(2011, 2011), 1, 28))
            if errors and rnd.random() < errors:
                o = _break(o, rnd, objectifs)
            objectifs.append(o)
        rows = {"region": (f"synthetique/{region}/annexe.csv", 2), "titre": (f"synthetique/{region}/annexe.csv", 3),
                "debut": (f"synthetique/{region}/annexe.csv", 4), "fin": (f"synthetique/{region}/annexe.csv", 5)}
        out.append(Annexe(source=f"synthetique/{region}", region=region, regions=(region,),
                          titre=f"Annexe synthétique {region}", debut=debut, fin=fin, rows=rows,
                          territoires=tuple(territoires), objectifs=tuple(objectifs)))
    return out


def _break(o: Objectif, rnd, previous: list[Objectif]) -> Objectif:
    volume = ("sejours", "actes", "journees", "places_jour", "places_nuit", "venues", "patients")
    kind = rnd.randrange(24)
    bounds = dict(min=10, max=20, evolution="", valeur=None, taux=False)
    if kind == 0:
        return replace(o, territoire="")
    if kind == 1:
        return replace(o, territoire="99999")
    if kind == 2:
        return replace(o, cible="")
    if kind == 3:
        return replace(o, cible=rnd.choice(("lithotriteur", "had")))
    if kind == 4:
        return replace(o, indicateur=rnd.choice(("", "lits")))
    if kind == 5 and previous:
        p = rnd.choice(previous)
        return replace(o, territoire=p.territoire, cible=p.cible, indicateur=p.indicateur, modalite=p.modalite,
                       forme=p.forme, echeance=p.echeance)
    if kind == 6:  # a volume indicator or a number of machines the target does not take
        allowed = set(_VOLUME.get(o.cible, {})) | ({"appareils"} if o.cible in _EQUIPMENTS else set())
        return replace(o, indicateur=rnd.choice([i for i in volume + ("appareils",) if i not in allowed]))
    if kind == 7:
        return replace(o, cible="medecine", indicateur="sejours", modalite=rnd.choice(("chimiothérapie", "séances de chimio")))
    if kind == 8:
        return replace(o, min=10, max=20, evolution="progression", valeur=5)
    if kind == 9:
        return replace(o, min=rnd.choice((None, 7)), max=None, evolution="", valeur=None)
    if kind == 10:
        return replace(o, **{**bounds, "min": 50, "max": 10})
    if kind == 11:
        return replace(o, **{**bounds, "min": rnd.choice((-1, Decimal("2.5")))},
                       indicateur=rnd.choice(("implantations", "sejours", "appareils")))
    if kind == 12:
        return replace(o, min=None, max=None, evolution="progression", valeur=rnd.choice((0, -3, Decimal("0.5"))))
    if kind == 13:
        return replace(o, min=None, max=None, evolution="stabilisation", valeur=4)
    if kind == 14:
        return replace(o, echeance=date(2015, 1, 1))
    if kind == 15:
        return replace(o, echeance=date(2001, 1, 1))
    if kind == 16:
        return replace(o, forme=rnd.choice(("hôpital de semaine", "had")), indicateur=rnd.choice(volume))
    if kind == 17:
        return replace(o, cible="medecine", indicateur="sejours", forme=rnd.choice(("hospitalisation_nuit", "ambulatoire")))
    if kind == 18:
        return replace(o, cible="psychiatrie", indicateur=rnd.choice(("journees", "places_jour", "places_nuit")),
                       forme="ambulatoire")
    if kind == 19:
        return replace(o, indicateur="temps_acces", min=None, max=-5, evolution="", valeur=None)
    if kind == 20:  # a target without its implantations in a new territory
        return replace(o, territoire="99998", indicateur=rnd.choice(volume + ("temps_acces",)))
    if kind == 21:
        return replace(o, cible=rnd.choice(_EQUIPMENTS), indicateur="implantations", territoire="99997")
    if kind == 22:
        return replace(o, cible=rnd.choice(tuple(_VOLUME)), indicateur="implantations", territoire="99996")
    return replace(o, **{**bounds, "max": Decimal("12.5")}, indicateur="places_jour", cible="psychiatrie", forme="")
