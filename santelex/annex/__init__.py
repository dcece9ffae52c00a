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
import hashlib
import io
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator, Sequence
from urllib.parse import quote

import pyoxigraph as ox

from santelex import vocab
from santelex.annex import workbook
from santelex.errors import AnnexError

__all__ = ["Annexe", "Objectif", "Territoire", "COLUMNS", "OPTIONAL", "ALIASES", "read", "triples", "ntriples",
           "ntriples_many", "by_predicate", "node_iris", "iri", "synthetic", "groups", "BASE", "OQOS"]

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


Table = tuple[str, tuple[str, ...], list[tuple[int, list[str]]]]  # display name, columns, [(row, cells)]


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
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise AnnexError(f"empty file: the header must be {','.join(COLUMNS[name])}", shown, 1)
    delimiter = _delimiter(lines[0], name, shown)
    del lines
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = []
    try:
        for record in reader:
            records.append(record)
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
    expected = COLUMNS[name]
    header = [c.strip().lstrip("\ufeff").casefold() for c in records[0]]
    if not _columns_match(header, name):
        _column_error(header, expected, shown, OPTIONAL.get(name, ()))
    rows = []
    workbook.check_rows(len(records) - 1, shown, workbook.MAX_ROWS + 2)
    width = len(header)
    missing = [c for c in OPTIONAL.get(name, ()) if c not in header]    # read as empty
    pad = [""] * len(missing)
    for number, record in enumerate(records[1:], start=2):
        cells = list(map(str.strip, record))
        if not any(cells):
            continue
        if len(cells) != width:
            raise AnnexError(f"{len(cells)} cells where the header has {width}", shown, number)
        if max(map(len, cells)) > workbook.MAX_CELL:
            for column, cell in zip(header, cells):
                workbook.check_cell(cell, shown, number, column)
        rows.append((number, cells + pad if pad else cells))
    return shown, tuple(header + missing), rows


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
    file, columns, records = tables["annexe"]
    rows = [(row, dict(zip(columns, cells))) for row, cells in records]
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

    tfile, columns, records = tables["territoires"]
    code, libelle, region = (columns.index(c) for c in ("code", "libelle", "region"))
    territoires = tuple(Territoire(c[code], c[libelle], c[region], tfile, row) for row, c in records)

    ofile, columns, records = tables["objectifs"]
    at = {c: columns.index(c) for c in COLUMNS["objectifs"] + OPTIONAL["objectifs"]}
    numbers: dict[str, Number | None] = {"": None}      # each distinct cell read once
    dates: dict[str, date | None] = {"": None}

    def number(text: str, row: int, column: str) -> Number | None:
        found = numbers.get(text, numbers)
        if found is numbers:
            found = numbers[text] = parse_number(text, ofile, row, column)
        return found

    def day(text: str, row: int) -> date | None:
        found = dates.get(text, dates)
        if found is dates:
            found = dates[text] = parse_date(text, ofile, row, "echeance")
        return found

    (i_territoire, i_cible, i_indicateur, i_modalite, i_min, i_max, i_evolution, i_valeur, i_echeance,
     i_forme) = (at[c] for c in COLUMNS["objectifs"] + OPTIONAL["objectifs"])
    objectifs = []
    for row, c in records:
        valeur = c[i_valeur]
        objectifs.append(Objectif(
            c[i_territoire], c[i_cible], c[i_indicateur], c[i_modalite],
            number(c[i_min], row, "min"), number(c[i_max], row, "max"), c[i_evolution],
            number(valeur.removesuffix("%").rstrip(), row, "valeur"), day(c[i_echeance], row), ofile, row,
            c[i_forme], valeur.endswith("%")))
    return Annexe(source=source, region=values.get("region", ""), regions=tuple(r for r in regions if r),
                  titre=values.get("titre", ""),
                  debut=debut, fin=fin, rows=where, territoires=territoires, objectifs=tuple(objectifs))


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


@lru_cache(maxsize=65536)
def _territory_iri(base: str, code: str) -> str:
    return f"{base}/territoire/{quote(code, safe='')}"


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
    for g, o in (targets if targets is not None else groups(a, base)).items():   # where a target first appears
        yield g, o.file, o.row, o.territoire


def groups(a: Annexe, base: str | None = None) -> dict[str, Objectif]:
    """Each target-in-a-territory node of the annex's graph, with the first objective of it."""
    base = base or iri(a)
    out: dict[str, Objectif] = {}
    for o in a.objectifs:
        g = _group_node(base, o)
        if g:
            out.setdefault(g, o)
    return out


def _group_node(base: str, o: Objectif) -> str:
    """One node per territory and target (case aside): what I 1° and II 1°, 3° of D. 712-2 ask
    of every activity and equipment the annex quantifies in a territory is checked on it."""
    if not o.territoire or not o.cible:
        return ""
    return _group_iri(base, o.territoire, o.cible)


@lru_cache(maxsize=65536)
def _group_iri(base: str, territoire: str, cible: str) -> str:
    return f"<{base}/groupe/{quote(territoire, safe='')}/{quote(cible.casefold(), safe='')}>"


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
    form: what :func:`triples` yields, grouped as the validation engine indexes it (each
    objective's cells are read once, and no triple is built to be taken apart again)."""
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

    debut = _date(a.debut) if a.debut else None
    fin = _date(a.fin) if a.fin else None
    objective, group_class = f"<{SLX}ObjectifQuantifie>", f"<{SLX}CibleDuTerritoire>"
    (of_territory, of_target, of_indicator, of_form, of_modality, of_min, of_max, of_evolution, of_value,
     of_rate, of_deadline, of_start, of_end, of_key, of_group) = (out[P[n]].append for n in (
        "territoire", "cible", "indicateur", "forme", "modalite", "minimum", "maximum", "evolution", "valeur",
        "taux", "echeance", "debutPeriode", "finPeriode", "cle", "groupe"))
    concepts: dict[tuple[str, str], str] = {}        # a cell's node, once per distinct cell

    def concept(column: str, value: str) -> str:
        found = concepts.get((column, value))
        if found is None:
            found = concepts[(column, value)] = _concept(notations, column, value)
        return found

    scoped = notations.knows("modalite")
    modalities: dict[tuple[str, str], str] = {}
    territories: dict[str, str] = {}
    files: dict[str, str] = {}
    groups_seen: set[str] = set()
    for o in a.objectifs:
        n = f"<{base}/objectif/{o.row}>"
        typed((n, objective))
        of_annex((n, s))
        if o.territoire:
            territory = territories.get(o.territoire)
            if territory is None:
                territory = territories[o.territoire] = f"<{_territory_iri(base, o.territoire)}>"
            of_territory((n, territory))
        if o.cible:
            of_target((n, concept("cible", o.cible)))
        if o.indicateur:
            of_indicator((n, concept("indicateur", o.indicateur)))
        forme = concept("forme", o.forme) if o.forme else ""
        if forme:
            of_form((n, forme))
        modalite = ""
        if o.modalite:
            # a modality or mention of the target activity, where the rule set lists them
            if scoped:
                modalite = modalities.get((o.cible, o.modalite))
                if modalite is None:
                    found = notations.concept("modalite", o.modalite, scope=notations.concept("cible", o.cible))
                    modalite = modalities[(o.cible, o.modalite)] = f"<{found}>" if found else ""
            of_modality((n, modalite or _lit(o.modalite)))
        if o.min is not None:
            of_min((n, _num(o.min)))
        if o.max is not None:
            of_max((n, _num(o.max)))
        if o.evolution:
            of_evolution((n, concept("evolution", o.evolution)))
        if o.valeur is not None:
            (of_rate if o.taux else of_value)((n, _num(o.valeur)))
        if o.echeance:
            of_deadline((n, _date(o.echeance)))
        if debut:
            of_start((n, debut))
        if fin:
            of_end((n, fin))
        of_key((n, f"<{base}/cle/{_key(o, forme, modalite)}>"))
        group = _group_node(base, o)
        if group:
            of_group((n, group))
            if group not in groups_seen:
                groups_seen.add(group)
                typed((group, group_class))
                out[P["cible"]].append((group, concept("cible", o.cible)))
                out[P["territoire"]].append((group, f"<{_territory_iri(base, o.territoire)}>"))
        file = files.get(o.file)
        if file is None:
            file = files[o.file] = _lit(o.file)
        of_file((n, file))
        of_row((n, _num(o.row)))
    return {p: pairs for p, pairs in out.items() if pairs}


@lru_cache(maxsize=4096)
def _region_node(base: str, region: str) -> str:
    return f"<{base}/region/{quote(region, safe='')}>"


def _key(o: Objectif, forme: str = "", modalite: str = "") -> str:
    """Same territory, target, indicator, form, modality and deadline: same key (the steps of
    one objective differ by their deadline)."""
    parts = (o.territoire, o.cible.casefold(), o.indicateur.casefold(), forme,
             modalite or " ".join(o.modalite.casefold().split()), o.echeance.isoformat() if o.echeance else "")
    return hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:16]



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
