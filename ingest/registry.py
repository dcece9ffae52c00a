"""Readers by format: one registry, lazy imports, suffixes and sniffing in the registration.

A reader is a module with ``read(name: str, data: bytes) -> Iterator[Article | LegalText]``.
``register`` names it by format with the suffixes it owns and a sniff test on the first
bytes; ``for_input`` picks one for a file (or archive member), ``--format`` forces one.
Containers (folders, ``.tar.xz``/``.tar.gz``/``.tgz`` archives) are opened here and read
member by member, in place: an archive is never unpacked to disk.
"""
from __future__ import annotations

import bz2
import gzip
import importlib
import lzma
import os
import re
import struct
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from santelex import formats as rdf_formats
from santelex.errors import ReadError


@dataclass(frozen=True)
class Reader:
    format: str
    module: str
    suffixes: tuple[str, ...]
    sniff: Callable[[bytes], bool]
    description: str

    def read(self, name: str, data: bytes):
        return importlib.import_module(self.module).read(name, data)


_READERS: dict[str, Reader] = {}


def register(format: str, module: str, suffixes=(), sniff=lambda head: False, description=""):
    _READERS[format] = Reader(format, module, tuple(suffixes), sniff, description)
    _SUFFIXES.clear()


def formats() -> list[Reader]:
    return list(_READERS.values())


def get(format: str) -> Reader:
    try:
        return _READERS[format]
    except KeyError:
        known = ", ".join(sorted(_READERS))
        raise ReadError(f"unknown format {format!r}; known formats: {known}") from None


def for_input(name: str, head: bytes) -> Reader:
    """The reader for a file: by sniffing its first bytes, then by its suffix."""
    for reader in _READERS.values():
        if reader.sniff(head):
            return reader
    lower = name.lower()
    for reader in _READERS.values():
        if any(lower.endswith(s) for s in reader.suffixes):
            return reader
    raise ReadError("unknown format: not a Markdown export, JO text, Legifrance page, "
                    "LEGI/JORF XML or Legifrance API answer (use --format to force one)", name)


_ARCHIVES = (".tar.xz", ".tar.gz", ".tgz", ".tar.bz2", ".tar")

#: the suffix tuples below, computed once (asked for every file; emptied by ``register``)
_SUFFIXES: dict[str, tuple[str, ...]] = {}


def _rdf_suffixes() -> tuple[str, ...]:
    """The suffixes of RDF serialisations (santelex/formats.py) that no reader owns (.xml is LEGI's)."""
    if "rdf" not in _SUFFIXES:
        owned = {s for r in _READERS.values() for s in r.suffixes}
        _SUFFIXES["rdf"] = tuple(s for f in rdf_formats.RDF for s in f.suffixes if s not in owned)
    return _SUFFIXES["rdf"]


def rdf_format(name: str) -> str | None:
    """The RDF serialisation a file name says by its suffix (a name of santelex/formats.py),
    or None.  RDF files are loaded as they are, by the build, not by a reader."""
    f = rdf_formats.by_suffix(name)
    return f.name if f is not None and Path(name).suffix.lower() in _rdf_suffixes() else None


def _member_suffixes() -> tuple[str, ...]:
    if "member" not in _SUFFIXES:
        _SUFFIXES["member"] = tuple(s for r in _READERS.values() for s in r.suffixes) + _rdf_suffixes()
    return _SUFFIXES["member"]


def skip_note(name: str) -> str:
    """The note for a file of a folder that iter_inputs passed over."""
    return f"{name}: skipped, not a format santelex reads"


def _known(name: str, head: bytes) -> bool:
    """Would santelex read this file of a folder?  RDF by its suffix; any other file only when a
    reader recognises its first bytes (a README.md beside the articles is not an article)."""
    return rdf_format(name) is not None or any(r.sniff(head) for r in _READERS.values())


@dataclass(frozen=True)
class Input:
    """One file to read: its display name (path, or archive!member) and its bytes."""

    name: str
    data: bytes


#: bytes of one input (a file, a folder's file, an archive member): a larger one is refused
#: before it is read (an archive's member by the size its tar header gives)
MAX_INPUT_BYTES = 32 * 2**20


def check_size(size: int, name: str, where: str | None = None) -> None:
    if size > MAX_INPUT_BYTES:
        raise ReadError(f"{where + ': ' if where else ''}a file of {size / 2**20:,.0f} MB: inputs are read "
                        f"up to {MAX_INPUT_BYTES >> 20} MB each", name)


def _read_file(f: Path, shown: str, head_only: bool = False) -> bytes:
    try:
        if head_only:
            with open(f, "rb") as fh:
                return fh.read(2048)
        check_size(f.stat().st_size, shown)
        return f.read_bytes()
    except OSError as e:
        raise ReadError(f"cannot read: {e.strerror or e}", shown) from None


def iter_inputs(path: str | os.PathLike, skipped: list[str] | None = None) -> Iterator[Input]:
    """Every readable file under ``path``: the file itself, a folder's files, an archive's members.

    In a folder, files of no known format are passed over (by their first bytes: they are not
    read whole) and their names added to ``skipped`` (when given); a file named on its own is
    always read (its reader says if it cannot).  A folder or an archive holding no readable
    file is an error, as is a truncated archive (its compressed stream must reach its end
    marker) and an input over ``MAX_INPUT_BYTES``.
    """
    p = Path(path)
    if not p.exists():
        raise ReadError("no such file or folder", str(path))
    if p.is_dir():
        found = 0
        for f in sorted(p.rglob("*")):
            if not f.is_file():
                continue
            shown = str(f.relative_to(p.parent))
            if _known(f.name, _read_file(f, shown, head_only=True)):
                found += 1
                yield Input(shown, _read_file(f, shown))
            elif skipped is not None:
                skipped.append(shown)
        if not found:
            raise ReadError("nothing to read: no file in this folder is of a format santelex reads", str(path))
        return
    if p.name.lower().endswith(_ARCHIVES):
        yield from _iter_archive(p)
        return
    yield Input(str(path), _read_file(p, str(path)))


_MAGIC = ((b"\x1f\x8b", gzip.open), (b"\xfd7zXZ\x00", lzma.open), (b"BZh", bz2.open))


def decompressed(p: Path):
    """The archive's tar stream, decompressed by the format its first bytes say (not its name)."""
    with open(p, "rb") as f:
        head = f.read(6)
    for magic, opener in _MAGIC:
        if head.startswith(magic):
            return opener(p, "rb")
    return open(p, "rb")


def _iter_archive(p: Path) -> Iterator[Input]:
    found = 0
    last = ""
    try:
        with decompressed(p) as raw:
            tar = _TarStream(raw)
            for name, kind, size in tar:
                if name.startswith("/") or ".." in name.split("/"):
                    raise ReadError(f"archive member {name[:200]!r} has an unsafe path; refused", str(p))
                if kind == _FILE and name.lower().endswith(_member_suffixes()):
                    check_size(size, str(p), f"member {name[:200]}")
                    data = tar.read()
                    found += 1
                    last = name
                    yield Input(name[2:] if name.startswith("./") else name, data)
            # the compressed stream must go on to its end marker: a cut archive is refused
            while raw.read(1 << 20):  # (what the tar reader read ahead is in its buffer)
                pass
    except (tarfile.TarError, EOFError, OSError, lzma.LZMAError, zlib.error) as e:
        where = f"after member {last[:200]}" if last else "before its first file"
        raise ReadError(f"broken or truncated archive ({where}): {e}", str(p)) from None
    if not found:
        raise ReadError(f"nothing to read: the archive holds no file ending in {', '.join(_member_suffixes())}",
                        str(p))


_FILE, _OTHER = "file", "other"
_ZEROS = bytes(512)
_PAX_RECORD = re.compile(rb"(\d+) ([^=]+)=")


class _TarStream:
    """The members of a tar stream: ``(name, kind, size)``, then ``read()`` for a file's bytes.

    Python's ``tarfile`` decodes every field of every header in Python (two headers a member in
    an export whose paths pass 100 characters): 0.1 ms a file, in the process that feeds the
    workers.  This reads what a build needs (name, type, size), as ``tarfile`` reads them:
    ustar and GNU headers (long names), pax headers (path, size), the checksum checked; a file's
    data is skipped unless read.  The archive ends at its first zero block, or where the stream
    ends between two members; a header or a file cut short is an ``EOFError``.
    """

    def __init__(self, raw):
        self.raw = raw
        self._buf = b""  # read from the stream ahead, by 64 KB (a read call costs µs)
        self._pos = 0
        self._skip = 0  # bytes before the next header (the data not read, the padding)
        self._size = 0  # of the current member
        self._global: dict[str, str] = {}

    def _fill(self, n: int) -> bool:
        """At least ``n`` bytes ahead in the buffer, unless the stream ends first."""
        ahead = len(self._buf) - self._pos
        if ahead >= n:
            return True
        parts = [self._buf[self._pos:]]
        while ahead < n:
            more = self.raw.read(max(n - ahead, 1 << 16))
            if not more:
                break
            parts.append(more)
            ahead += len(more)
        self._buf, self._pos = b"".join(parts), 0
        return ahead >= n

    def _exact(self, n: int) -> bytes:
        if not self._fill(n):
            raise EOFError("unexpected end of data")
        data = self._buf[self._pos:self._pos + n]
        self._pos += n
        return data

    def _pass(self, n: int):
        while n > 0:
            ahead = len(self._buf) - self._pos
            if ahead >= n:
                self._pos += n
                return
            n -= ahead
            self._buf, self._pos = self.raw.read(min(n, 1 << 20)), 0
            if not self._buf:
                raise EOFError("unexpected end of data")

    def read(self) -> bytes:
        """The current member's bytes (once)."""
        size, self._size = self._size, 0
        data = self._exact(size)
        self._skip -= size
        return data

    def _header(self) -> bytes | None:
        self._pass(self._skip)
        self._skip = 0
        if not self._fill(512):
            if len(self._buf) == self._pos:
                return None  # the stream ends between members
            raise EOFError("unexpected end of data")
        block = self._exact(512)
        if block == _ZEROS:
            return None
        stored = _number(block[148:156])
        if stored != 256 + sum(block) - sum(block[148:156]) and stored != 256 + sum(
                struct.unpack_from("148b8x356b", block)):
            raise tarfile.HeaderError("bad checksum")
        return block

    def _data(self, size: int) -> bytes:
        data = self._exact(size)
        self._pass(-size % 512)
        return data

    def __iter__(self) -> Iterator[tuple[str, str, int]]:
        long_name: str | None = None
        pax: dict[str, str] = {}
        while True:
            block = self._header()
            if block is None:
                return
            kind, size = block[156:157], _number(block[124:136])
            if kind in (b"L", b"K"):  # GNU: the next header's long name (or link name)
                text = _text(self._data(size))
                if kind == b"L":
                    long_name = text
                continue
            if kind in (b"x", b"g", b"X"):  # pax: records for the next header (x) or all (g)
                records = _pax(self._data(size))
                if kind == b"g":
                    self._global.update(records)
                else:
                    pax.update(records)
                continue
            if kind == b"S" or any(k.startswith("GNU.sparse.") for k in pax):
                raise tarfile.HeaderError("a sparse member (not read)")
            name = _text(block[:100])
            prefix = _text(block[345:500])
            if kind == b"\0" and name.endswith("/"):
                kind = b"5"
            if kind == b"5":
                name = name.rstrip("/")
            if prefix:
                name = prefix + "/" + name
            fields = {**self._global, **pax}
            if long_name is not None:
                name = long_name.rstrip("/") if kind == b"5" else long_name
            if "path" in fields:
                name = fields["path"].rstrip("/") if kind == b"5" else fields["path"]
            if "size" in fields:
                size = int(fields["size"])
            long_name, pax = None, {}
            regular = kind in (b"0", b"\0", b"7")
            known = kind in (b"1", b"2", b"3", b"4", b"5", b"6")
            self._size = size if regular else 0
            self._skip = size + (-size % 512) if regular or not known else 0
            yield name, _FILE if regular else _OTHER, size


def _text(field: bytes) -> str:
    end = field.find(b"\0")
    return (field if end < 0 else field[:end]).decode("utf-8", "surrogateescape")


def _number(field: bytes) -> int:
    """A header's number: octal text, or base-256 (GNU) when its first byte says so."""
    if field[0] in (0o200, 0o377):
        n = int.from_bytes(field[1:], "big")
        return n - 256 ** (len(field) - 1) if field[0] == 0o377 else n
    try:
        return int(_text(field).strip() or "0", 8)
    except ValueError:
        raise tarfile.HeaderError("invalid header") from None


def _pax(buf: bytes) -> dict[str, str]:
    """The records of a pax header: ``"%d %s=%s\\n" % (length, keyword, value)``."""
    out = {}
    pos = 0
    while m := _PAX_RECORD.match(buf, pos):
        length = int(m.group(1))
        if length == 0:
            raise tarfile.HeaderError("invalid header")
        value = buf[m.end(2) + 1:m.start(1) + length - 1]
        out[m.group(2).decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return out


def is_archive(path: str | os.PathLike) -> bool:
    return str(path).lower().endswith(_ARCHIVES)


def count_members(path: str | os.PathLike) -> int | None:
    """How many readable files ``path`` holds, for a progress bar (None if costly to know)."""
    p = Path(path)
    if p.is_dir():
        return sum(1 for f in p.rglob("*") if f.is_file())
    if p.is_file() and not p.name.lower().endswith(_ARCHIVES):
        return 1
    return None


def count_archive_members(path: str | os.PathLike) -> int | None:
    """How many members of a readable format an archive holds (reads its whole listing)."""
    p = Path(path)
    if not (p.is_file() and p.name.lower().endswith(_ARCHIVES)):
        return None
    suffixes = _member_suffixes()
    try:
        with decompressed(p) as raw:  # the build's own reader: the same members, counted alike
            return sum(1 for name, kind, _ in _TarStream(raw) if kind == _FILE and name.lower().endswith(suffixes))
    except Exception:  # a broken archive is reported by the build itself
        return None


def read_input(item: Input, format: str | None = None):
    """Parse one input with the forced or detected reader; errors name the file."""
    if not item.data.strip():
        raise ReadError("empty file", item.name)
    if b"\x00" in item.data[:4096]:
        raise ReadError("binary file, not a legal text", item.name)
    reader = get(format) if format else for_input(item.name, item.data[:2048])
    long = _LONG_NUMBER.search(item.data) if _RUN_OF_ZEROS in item.data.translate(_DIGITS_AS_ZERO) else None
    if long:
        end = long.end()
        while end < len(item.data) and item.data[end:end + 1].isdigit():
            end += 1
        raise ReadError(f"a number of {end - long.start():,} digits: numbers are read up to "
                        f"{MAX_DIGITS} digits", item.name, item.data.count(b"\n", 0, long.start()) + 1)
    return _wrapped(reader.read(item.name, item.data), item.name)


#: digits in one number of a legal text (identifiers have 20 at most); longer runs are refused
#: before they reach a reader (Python refuses to convert more than 4,300 digits to an integer)
MAX_DIGITS = 100
_LONG_NUMBER = re.compile(rb"[0-9]{%d}" % (MAX_DIGITS + 1))
#: looked for first with every digit made a 0 and a plain substring search (a tenth of the
#: regular expression's time, which tries a run of digits at every byte); the expression then
#: says where
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_RUN_OF_ZEROS = b"0" * (MAX_DIGITS + 1)


def _wrapped(docs, name: str):
    """The reader's documents; a number too long for Python (in digits of another script, which
    the byte check above does not see) is a ReadError naming the file."""
    try:
        yield from docs
    except ValueError as e:
        if "integer string conversion" in str(e):
            raise ReadError("a number too long to read (more than 4,300 digits)", name) from None
        raise


def _is_jo(head: bytes) -> bool:
    h = head.decode("utf-8", "replace")
    return ("NOR :" in h or "NOR:" in h) and ("Décret" in h or "Arrêté" in h or "Loi" in h
                                               or "Ordonnance" in h or "décret" in h)


def _is_markdown(head: bytes) -> bool:
    return head.lstrip().startswith(b"# Article")


def _is_html(head: bytes) -> bool:
    h = head.lstrip()[:200].lower()
    return h.startswith(b"<!doctype html") or h.startswith(b"<html")


def _is_legi_xml(head: bytes) -> bool:
    return (b"<ARTICLE" in head or b"<SECTION_TA" in head or b"<TEXTELR" in head
            or b"<TEXTE_VERSION" in head) and b"<?xml" in head[:100] or head.lstrip().startswith(
        (b"<ARTICLE", b"<SECTION_TA", b"<TEXTELR", b"<TEXTE_VERSION"))


def _is_jorf_xml(head: bytes) -> bool:
    # JORF files say <ORIGINE>JORF</ORIGINE> (LEGI files: LEGI); a LEGI file may *link* to a JORFTEXT
    return (b"<ORIGINE>JORF</ORIGINE>" in head or b"<JORFCONT" in head
            or (b"<TEXTE_VERSION" in head and b"<ID>JORFTEXT" in head))


def _is_piste_json(head: bytes) -> bool:
    h = head.lstrip()
    return h.startswith(b"{") and (b'"article"' in head or b'"executionTime"' in head)


register("markdown", "santelex.ingest.markdown_export", (".md",), _is_markdown,
         "Markdown export of a code (one '# Article …' file per article)")
register("jo-text", "santelex.ingest.jo_text", (".txt",), _is_jo,
         "plain-text copy of a Journal officiel text (decree, ordinance, arrêté)")
register("legifrance-html", "santelex.ingest.legifrance_html", (".html", ".htm"), _is_html,
         "saved legifrance.gouv.fr page (article_lc, section_lc, affichTexte)")
register("jorf-xml", "santelex.ingest.jorf_xml", (), _is_jorf_xml, "DILA JORF XML (JORFSIMPLE)")
register("legi-xml", "santelex.ingest.legi_xml", (".xml",), _is_legi_xml, "DILA LEGI XML (<ARTICLE>)")
register("piste-json", "santelex.ingest.piste_json", (".json",), _is_piste_json,
         "Legifrance API (PISTE) answer, e.g. /consult/getArticle")
