"""Read an uploaded annex safely: a zip of the annex folder, or a workbook (.xlsx, .ods).

    with unpacked(data, filename, limits) as annexe:      # santelex.annex.Annexe
        report = validate.validate(annexe)
    with from_folder([(name, data), …], limits) as annexe:   # a folder chosen in the browser
        …

The upload is only ever read, never executed, and written nowhere but a fresh temporary
folder that is removed when the block ends.  Before anything is written:

- the bytes must be a zip archive (a workbook is one too); anything else is refused;
- every member name is checked: an absolute path, a drive letter, a ``..`` part, a
  symbolic link or an encrypted member refuses the whole upload;
- the members' declared sizes must fit the budget (``Limits.unpacked``, five times the upload
  cap by default) and no large member may expand more than ``Limits.ratio`` times: a zip bomb
  is refused before a byte of it is inflated; members are then inflated in chunks, counting
  the bytes actually produced, so sizes that lie are caught too;
- from a folder's zip only ``annexe.csv``, ``territoires.csv`` and ``objectifs.csv`` are
  kept (in the zip's root or in one folder), written under those fixed names, never under a
  name taken from the zip; a workbook is re-packed, member by member, into a new file, so
  the spreadsheet reader only ever sees what was checked here.
"""
from __future__ import annotations

import io
import re
import stat
import tempfile
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from santelex.errors import AnnexError, RuleSetError

MB = 1024 * 1024
DEFAULT_MAX_UPLOAD = 20 * MB
MAX_ROWS = 100_000  # lines of a CSV file: validating 100,000 objectives peaks near 0.5 GB
CSV_NAMES = ("annexe.csv", "territoires.csv", "zones.csv", "objectifs.csv")  # santelex.annex.COLUMNS, ALIASES
WORKBOOK_MARKERS = ("xl/workbook.xml", "content.xml")  # .xlsx, .ods


class UploadError(AnnexError):
    """An upload refused before it is read as an annex."""


class UploadTooLarge(UploadError):
    """An upload that would unpack, or hold, more than the limits allow (HTTP 413)."""


@dataclass(frozen=True)
class Limits:
    upload: int = DEFAULT_MAX_UPLOAD       # bytes of the upload itself
    unpacked: int = 5 * DEFAULT_MAX_UPLOAD  # bytes of all members once inflated
    members: int = 2000                    # members in the zip
    ratio: int = 200                       # inflated / compressed, for members over 1 MB
    member: int = 2 * DEFAULT_MAX_UPLOAD   # bytes of one member once inflated
    rows: int = MAX_ROWS                   # lines of one CSV file handed to the annex reader

    @classmethod
    def for_upload(cls, upload: int) -> "Limits":
        return cls(upload=upload, unpacked=5 * upload, member=2 * upload)


def _unsafe(name: str) -> str | None:
    """Why a member name is refused, or None."""
    if not name:
        return "an empty name"
    path = name.replace("\\", "/")
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        return "an absolute path"
    if ".." in PurePosixPath(path).parts:
        return "a path leaving the folder ('..')"
    if "\x00" in path:
        return "a NUL byte in the name"
    return None


def check_members(zf: zipfile.ZipFile, shown: str, limits: Limits) -> list[zipfile.ZipInfo]:
    infos = zf.infolist()
    if len(infos) > limits.members:
        raise UploadError(f"the zip holds {len(infos)} members (at most {limits.members})", shown)
    total = 0
    for info in infos:
        why = _unsafe(info.filename)
        if why:
            raise UploadError(f"member {info.filename!r} has {why}; upload refused", shown)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise UploadError(f"member {info.filename!r} is a symbolic link; upload refused", shown)
        if info.flag_bits & 0x1:
            raise UploadError(f"member {info.filename!r} is encrypted; upload refused", shown)
        total += info.file_size
        if total > limits.unpacked:
            raise UploadError(f"the zip would unpack to more than {limits.unpacked // MB} MB "
                              "(a zip bomb?); upload refused", shown)
        if info.file_size > MB and info.file_size > limits.ratio * max(1, info.compress_size):
            raise UploadError(f"member {info.filename!r} expands {info.file_size // max(1, info.compress_size)} "
                              "times (a zip bomb?); upload refused", shown)
        if info.file_size > limits.member:
            raise UploadTooLarge(f"member {info.filename!r} would unpack to {info.file_size // MB} MB, more than "
                                 f"the {limits.member // MB} MB a member may hold; upload refused", shown)
    return infos


def _inflate(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int], shown: str,
             limits: Limits) -> bytes:
    """A member's bytes, counting what is really produced against the budget and the member cap."""
    out = io.BytesIO()
    size = 0
    with zf.open(info) as member:
        while True:
            chunk = member.read(256 * 1024)
            if not chunk:
                break
            budget[0] -= len(chunk)
            size += len(chunk)
            if budget[0] < 0 or size > info.file_size:
                raise UploadError("the zip unpacks to more than its members declare (a zip bomb?); "
                                  "upload refused", shown)
            if size > limits.member:
                raise UploadTooLarge(f"member {info.filename!r} unpacks to more than {limits.member // MB} MB; "
                                     "upload refused", shown)
            out.write(chunk)
    return out.getvalue()


def check_rows(name: str, data: bytes, shown: str, limits: Limits):
    """Refuse a CSV file of more lines than the reader is handed (before it reads a row)."""
    lines = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    if lines > limits.rows + 1:  # the header line
        raise UploadTooLarge(f"{name} has {lines - 1:,} lines after its header; an upload may hold at most {limits.rows:,} rows "
                          "(validate larger annexes with santelex validate)", shown)


def _kind(zf: zipfile.ZipFile) -> str:
    names = {i.filename for i in zf.infolist()}
    return "workbook" if any(m in names for m in WORKBOOK_MARKERS) else "folder"


def _pick_csvs(infos: list[zipfile.ZipInfo], shown: str) -> dict[str, zipfile.ZipInfo]:
    found: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        path = PurePosixPath(info.filename.replace("\\", "/"))
        if info.is_dir() or path.parts[0] == "__MACOSX" or path.name.startswith("."):
            continue
        name = path.name.casefold()
        if name in CSV_NAMES and len(path.parts) <= 2:
            if name in found:
                raise UploadError(f"the zip holds two {name} ({found[name].filename}, {info.filename}); "
                                  "zip one annex folder at a time", shown)
            found[name] = info
    if not found:
        raise UploadError(f"no annex in this zip: it must hold {', '.join(CSV_NAMES)} "
                          "(at its root or in one folder)", shown)
    return found


@contextmanager
def from_folder(files: list[tuple[str, bytes]], limits: Limits = Limits()):
    """Yield the annex read from a folder's files, as a browser uploads a chosen folder.

    Only the three CSV files are kept, by their base name, and written under those fixed
    names; other files are ignored; their total size is capped like an upload's.
    """
    names = [PurePosixPath(name.replace("\\", "/")) for name, _ in files]
    top = {n.parts[0] for n in names if len(n.parts) > 1}
    shown = top.pop() if len(top) == 1 else "dossier"
    if sum(len(data) for _, data in files) > limits.upload:
        raise UploadTooLarge(f"the folder is larger than {limits.upload // MB} MB", shown)
    found: dict[str, bytes] = {}
    for path, (_, data) in zip(names, files):
        name = path.name.casefold()
        if name in CSV_NAMES:
            if name in found:
                raise UploadError(f"the folder holds two {name}; choose one annex folder", shown)
            found[name] = data
    if not found:
        raise UploadError(f"no annex in this folder: it must hold {', '.join(CSV_NAMES)}", shown)
    for name, data in found.items():
        check_rows(name, data, shown, limits)
    with tempfile.TemporaryDirectory(prefix="santelex-upload-") as tmp:
        source = Path(tmp) / "annexe"
        source.mkdir()
        for name, data in found.items():
            (source / name).write_bytes(data)
        yield _read(source, shown)


def _read(source: Path, shown: str):
    from santelex import annex as annex_mod

    try:
        annexe = annex_mod.read(source)
    except AnnexError as e:
        raise type(e)(e.message.replace(str(source), shown), _rename(e.file, str(source), shown),
                      e.line, e.column) from None
    return rename(annexe, str(source), shown)


@contextmanager
def unpacked(data: bytes, filename: str, limits: Limits = Limits()):
    """Yield the annex read from the upload; the temporary folder is gone afterwards.

    Errors (UploadError, AnnexError) name the uploaded file, never the temporary folder.
    """
    shown = Path(filename or "annexe").name or "annexe"
    if len(data) > limits.upload:
        raise UploadError(f"the file is larger than {limits.upload // MB} MB", shown)
    if not data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise UploadError("not a zip archive nor a workbook: send the annex folder as a .zip, "
                          "or an .xlsx workbook", shown)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as e:
        raise UploadError(f"not a readable zip: {e}", shown) from None
    with zf, tempfile.TemporaryDirectory(prefix="santelex-upload-") as tmp:
        infos = check_members(zf, shown, limits)
        budget = [limits.unpacked]
        try:
            if _kind(zf) == "workbook":
                suffix = ".ods" if any(i.filename == "content.xml" for i in infos) else ".xlsx"
                target = Path(tmp) / f"annexe{suffix}"
                with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
                    for info in infos:
                        if not info.is_dir():
                            out.writestr(info.filename.replace("\\", "/"), _inflate(zf, info, budget, shown, limits))
                source = target
            else:
                source = Path(tmp) / "annexe"
                source.mkdir()
                for name, info in _pick_csvs(infos, shown).items():
                    data = _inflate(zf, info, budget, shown, limits)
                    check_rows(name, data, shown, limits)
                    (source / name).write_bytes(data)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError) as e:
            raise UploadError(f"not a readable zip: {e}", shown) from None
        except Exception as e:  # zlib/bz2/lzma errors come as their own classes
            if type(e).__module__ in ("zlib", "bz2", "_bz2", "lzma", "_lzma", "_compression"):
                raise UploadError(f"not a readable zip: {e}", shown) from None
            raise
        yield _read(source, shown)


def _rename(text: str | None, tmp: str, shown: str) -> str | None:
    if text is None:
        return None
    if text.startswith(tmp):
        rest = text[len(tmp):].lstrip("/")
        return f"{shown}/{rest}" if rest and not rest.startswith("[") else shown + rest
    return text


def rename(a, tmp: str, shown: str):
    """The annex with the temporary folder's name replaced by the uploaded file's."""
    return replace(
        a, source=shown,
        rows={k: (_rename(f, tmp, shown), r) for k, (f, r) in a.rows.items()},
        territoires=tuple(replace(t, file=_rename(t.file, tmp, shown)) for t in a.territoires),
        objectifs=tuple(replace(o, file=_rename(o.file, tmp, shown)) for o in a.objectifs))


# -- validation in a process of its own, within a memory budget --------------------------------

MEMORY = 1536 * MB   # address space of the process that reads and validates one upload
SECONDS = 120        # and its time


class UploadTooCostly(UploadTooLarge):
    """An upload whose reading or validation went past the memory or time budget."""


def _isolated(conn, reader: str, args: tuple, memory: int):
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    try:
        from santelex import validation as validate

        with {"unpacked": unpacked, "from_folder": from_folder}[reader](*args) as annexe:
            report = validate.validate(annexe)
        conn.send(("ok", (annexe, report)))
    except MemoryError:
        conn.send(("memory", ""))
    except (AnnexError, RuleSetError) as e:  # UploadError too; no rule set for the annex's date
        conn.send(("error", e))
    except Exception as e:  # a reader's own failure: one line, never a traceback
        first = (str(e).strip().splitlines() or [""])[0]
        conn.send(("error", AnnexError(f"cannot be read ({type(e).__name__}: {first})", _shown(reader, args))))


def _shown(reader: str, args: tuple) -> str:
    return (Path(args[1] or "annexe").name or "annexe") if reader == "unpacked" else "dossier"


def validate_isolated(reader: str, *args, memory: int = MEMORY, seconds: float = SECONDS):
    """(annexe, report) of an upload, read and validated in a fresh process.

    ``reader`` is ``"unpacked"`` (args: data, filename, limits) or ``"from_folder"`` (args:
    files, limits).  The process may use ``memory`` bytes of address space and run
    ``seconds``: a workbook that asks for gigabytes, or an annex too large for the budget,
    ends that process only, and the upload is refused (UploadTooCostly).
    """
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_isolated, args=(child, reader, args, memory), daemon=True,
                       name="santelex-upload")
    proc.start()
    child.close()
    shown = _shown(reader, args)
    try:
        if not parent.poll(seconds):
            raise UploadTooCostly(f"reading and validating the annex took more than {seconds:g} s; "
                                  "upload refused", shown)
        try:
            status, payload = parent.recv()
        except EOFError:  # the process died: an allocation refused in native code aborts it
            status, payload = "memory", ""
    finally:
        proc.kill()
        proc.join(5)
        parent.close()
    if status == "ok":
        return payload
    if status == "memory":
        raise UploadTooCostly(f"the annex needs more than {memory // MB} MB to be read and validated "
                              "(the server's budget for one upload); upload refused", shown)
    raise payload
