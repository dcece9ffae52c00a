"""DILA's bulk archives of the law into the store: LEGI (the codes) and JORF (texts as published).

DILA publishes the bases behind Legifrance (https://echanges.dila.gouv.fr/OPENDATA/) as
``tar.gz`` archives, one XML document per file:

- ``Freemium_legi_global_<stamp>.tar.gz``: the whole LEGI base, ``legi/global/code_et_TNC_…/``
  ``code_en_vigueur/LEGI/TEXT/…/LEGITEXT…/article/…/LEGIARTI….xml`` and the like;
- ``LEGI_<stamp>.tar.gz``: one day's changes, ``<stamp>/legi/global/…`` (new files, and files
  rewritten: a superseded version gets its new ``ETAT``/``DATE_FIN``) and
  ``<stamp>/liste_suppression_legi.dat`` (paths leaving the base, without ``.xml``; a folder's
  path removes everything under it);
- the same for the Journal officiel: ``Freemium_jorf_global_…``, ``JORF_<stamp>.tar.gz``.

How they are applied (``build``):

- streamed (``tarfile`` in ``r|gz`` mode), never unpacked; a member with an absolute or ``../``
  path is refused, XML goes through the readers' safe parser (entities refused);
- one named graph per file of the base, named by its path in the base
  (``legi/global/…/LEGIARTI….xml``), whichever archive delivered it: a file rewritten by an
  increment replaces what the earlier copy said, a path in a suppression list drops it, and the
  store after a full dump and its increments equals the store built from the final state;
- LEGI: only the codes asked for (``--code csp``; default: every code) are read, chosen by the
  ``LEGITEXT`` folder of each path before anything is parsed; ``<SECTION_TA>``,
  ``<TEXTELR>`` and a code's ``<TEXTE_VERSION>`` hold nothing santelex keeps (every article
  repeats its place in the code) and are skipped unread; non-codified texts (``TNC_…``) too;
- JORF: the texts that amend an article of the store (its ``eli:changed_by``), or every text
  with ``jorf_texts="all"``;
- archives in date order (LEGI before JORF on the same day); in an increment the suppressions
  apply before the files it brings (a path removed and delivered again stays); a full dump is a
  whole state: files of the codes it was read for that it no longer holds are dropped;
- the plan of a code (``plan/<code>`` graph) loses the sections no article lies under any more;
- which archives were applied and which codes the store follows is kept in the store itself
  (graph ``dila/state``, PROV-O): an increment not newer than the last one applied is skipped,
  so running the same command twice changes nothing;
- all or nothing: every archive of one command is loaded into one staging store, swapped in at
  the end; a truncated archive or a bad file leaves the store as it was.

This module is a *plan* for the build engine (santelex/builder/engine.py): it says which members
to read, in what order, and which graphs to drop; the engine reads, maps to RDF, writes, journals
and swaps, as for every other input.
"""
from __future__ import annotations

import bisect
import hashlib
import os
import re
import tarfile
import zlib
from array import array
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterable, Iterator

import pyoxigraph as ox

from santelex import uris, vocab
from santelex.builder.changes import P
from santelex.builder.engine import Engine, Plan, fingerprint
from santelex.builder.stats import BuildStats
from santelex.codes import resolve_codes
from santelex.errors import ReadError, UsageError
from santelex.ingest import registry
from santelex.store import Store as AnyStore
from santelex.store.local import Store, select

__all__ = ["describe", "is_dila_archive", "newer", "plan", "read_state"]

SLX = vocab.SLX
PROV = vocab.PROV
RDFS_LABEL = ox.NamedNode(vocab.RDFS + "label")
RDF_TYPE = ox.NamedNode(vocab.RDF + "type")


# --- DILA archives ---------------------------------------------------------------------------------

_NAME = re.compile(r"^(?:Freemium_(?P<full>legi|jorf)_global_|(?P<inc>LEGI|JORF|JORFSIMPLE)_)"
                   r"(?P<stamp>\d{8}-\d{6})\.(?:tar\.gz|tgz)$", re.I)
_STAMP_DIR = re.compile(r"^\d{8}-\d{6}$")


@dataclass(frozen=True)
class ArchiveInfo:
    path: Path
    base: str  # "legi" or "jorf"
    stamp: str  # "20231207-213025"
    full: bool

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def when(self) -> datetime:
        return datetime.strptime(self.stamp, "%Y%m%d-%H%M%S")


def _peek(path: Path) -> str | None:
    """The path of the first file of a tar.gz (None if it is not one)."""
    try:
        with tarfile.open(path, mode="r|gz") as tar:
            for member in tar:
                if member.isfile():
                    return member.name
    except (tarfile.TarError, EOFError, OSError, zlib.error):
        return None
    return None


def describe(path: str | os.PathLike) -> ArchiveInfo | None:
    """What DILA archive ``path`` is (by its name, else by its first member), or None."""
    p = Path(path)
    m = _NAME.match(p.name)
    if m:
        base = (m.group("full") or m.group("inc")).lower()
        return ArchiveInfo(p, "jorf" if base.startswith("jorf") else "legi", m.group("stamp"),
                           bool(m.group("full")))
    if not p.is_file() or not p.name.lower().endswith((".tar.gz", ".tgz")):
        return None
    first = _peek(p)
    if not first:
        return None
    parts = PurePosixPath(first.removeprefix("./")).parts
    stamp = None
    if parts and _STAMP_DIR.match(parts[0]):
        stamp, parts = parts[0], parts[1:]
    if not parts or not (parts[0] in ("legi", "jorf") or parts[0].startswith("liste_suppression_")):
        return None
    base = "jorf" if parts[0] == "jorf" or "jorf" in parts[0] else "legi"
    digits = re.search(r"(\d{8}-\d{6})", p.name)
    return ArchiveInfo(p, base, stamp or (digits.group(1) if digits else "00000000-000000"), stamp is None)


def is_dila_archive(path: str | os.PathLike) -> bool:
    return describe(path) is not None


@dataclass(frozen=True)
class Member:
    """A file of the LEGI or JORF base, by its path in the base."""

    name: str  # legi/global/…/LEGIARTI….xml (without the increment's <stamp>/)
    text_id: str | None  # the LEGITEXT/JORFTEXT folder it is in
    part: str  # "article", "section_ta", "version", "struct", "cont", "other"
    code: bool  # under code_en_vigueur / code_non_vigueur (LEGI)


_TEXT_DIR = re.compile(r"/((?:LEGI|JORF)TEXT\d{12})/(article|section_ta|texte/version|texte/struct|texte)/")


def classify(name: str) -> Member:
    m = _TEXT_DIR.search(name)
    if m:
        part = {"texte/version": "version", "texte/struct": "struct", "texte": "version"}.get(m.group(2), m.group(2))
        text_id = m.group(1)
    else:
        part = "cont" if "/CONT/" in name else "other"
        text_id = None
    return Member(name, text_id, part, "/code_en_vigueur/" in name or "/code_non_vigueur/" in name)


def _members(info: ArchiveInfo) -> Iterator[tuple[str, tarfile.TarFile, tarfile.TarInfo]]:
    """(path in the base, tar, member) for every file of the archive, streamed, paths checked."""
    p = str(info.path)
    try:
        with registry.decompressed(info.path) as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                raw = member.name
                if raw.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", raw) or ".." in PurePosixPath(
                        raw.replace("\\", "/")).parts:
                    raise ReadError(f"archive member {raw[:120]!r} has an unsafe path "
                                    "(absolute or '..'); refused", p)
                if not member.isfile():
                    tar.members = []  # type: ignore[attr-defined]  # (in tarfile, not in typeshed)
                    continue
                parts = [p for p in raw.removeprefix("./").split("/") if p and p != "."]
                if parts and _STAMP_DIR.match(parts[0]):
                    parts = parts[1:]
                yield "/".join(parts), tar, member
                # tarfile keeps every member it read: memory would grow with the archive
                tar.members = []  # type: ignore[attr-defined]  # (in tarfile, not in typeshed)
            while stream.read(1 << 20):  # the gzip stream must go on to its end: a cut archive is refused
                pass
    except (tarfile.TarError, EOFError, zlib.error) as e:
        raise ReadError(f"broken or truncated archive: {e}", p) from None
    except OSError as e:
        raise ReadError(f"cannot read the archive: {e}", p) from None


def _read(tar: tarfile.TarFile, member: tarfile.TarInfo, archive: Path) -> bytes:
    registry.check_size(member.size, str(archive), f"member {member.name[:200]}")
    try:
        f = tar.extractfile(member)
        return f.read() if f is not None else b""
    except (tarfile.TarError, EOFError, zlib.error, OSError) as e:
        raise ReadError(f"broken or truncated archive at {member.name}: {e}", str(archive)) from None


def suppressions(data: bytes, name: str) -> list[str]:
    """The paths of a ``liste_suppression_*.dat`` (one a line; a trailing one-letter flag is dropped)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ReadError("suppression list is not UTF-8", name, data.count(b"\n", 0, e.start) + 1) from None
    out = []
    for i, line in enumerate(text.splitlines(), start=1):
        line = re.sub(r"\s+[A-Z]$", "", line.strip())
        if not line:
            continue
        if line.startswith("/") or ".." in PurePosixPath(line).parts or " " in line:
            raise ReadError(f"suppression list entry {line[:80]!r} is not a path of the base", name, i)
        out.append(line.removesuffix(".xml").rstrip("/"))
    return out









# --- the state the store keeps about the archives it follows ---------------------------------------

STATE = "dila/state"
EVERY_CODE = "*"
_STATE_NODE = uris.BASE + "source/dila"


def read_state(store: AnyStore) -> dict:
    """{"legi": last stamp, "jorf": last stamp, "codes": slugs followed ("*": every code),
    "archives": [names applied]}."""
    state: dict[str, Any] = {"legi": "", "jorf": "", "codes": set(), "archives": []}
    if not getattr(store, "exists", False):
        return state
    q = P + f"""PREFIX prov: <{PROV}> SELECT ?label ?base ?code ?every WHERE {{
        {{ <{_STATE_NODE}> prov:wasDerivedFrom ?a . ?a rdfs:label ?label ; slx:dilaBase ?base }}
        UNION {{ <{_STATE_NODE}> slx:followedCode ?code }}
        UNION {{ <{_STATE_NODE}> slx:followsEveryCode ?every }} }}"""
    for r in store.query(q):
        if r["every"] is not None:
            state["codes"].add(EVERY_CODE)
        elif r["code"] is not None:
            state["codes"].add(r["code"].value.rsplit("/", 1)[-1])
        elif r["label"] is not None:
            info = describe(r["label"].value)
            state["archives"].append(r["label"].value)
            if info is not None:
                base = r["base"].value
                state[base] = max(state[base], info.stamp)
    return state


def _state_quads(archives: list[str], codes: set[str]) -> list[ox.Quad]:
    g = ox.NamedNode(uris.graph(STATE))
    node = ox.NamedNode(_STATE_NODE)
    out = [ox.Quad(node, RDF_TYPE, ox.NamedNode(PROV + "Entity"), g),
           ox.Quad(node, RDFS_LABEL, ox.Literal("the DILA bases (LEGI, JORF) as followed by this store"), g)]
    for name in sorted(set(archives)):
        info = describe(name)
        a = ox.NamedNode(uris.source("dila/" + name))
        out += [ox.Quad(node, ox.NamedNode(PROV + "wasDerivedFrom"), a, g),
                ox.Quad(a, RDF_TYPE, ox.NamedNode(PROV + "Entity"), g),
                ox.Quad(a, RDFS_LABEL, ox.Literal(name), g)]
        if info is not None:
            out += [ox.Quad(a, ox.NamedNode(SLX + "dilaBase"), ox.Literal(info.base), g),
                    ox.Quad(a, ox.NamedNode(PROV + "generatedAtTime"), ox.Literal(
                        info.when.isoformat(), datatype=ox.NamedNode(vocab.XSD + "dateTime")), g)]
    for code in sorted(codes):
        if code == EVERY_CODE:
            out.append(ox.Quad(node, ox.NamedNode(SLX + "followsEveryCode"), ox.Literal(
                "true", datatype=ox.NamedNode(vocab.XSD + "boolean")), g))
            continue
        out.append(ox.Quad(node, ox.NamedNode(SLX + "followedCode"), ox.NamedNode(uris.code(code)), g))
    return out


# --- applying archives -------------------------------------------------------------------------------


def order(infos: list[ArchiveInfo]) -> list[ArchiveInfo]:
    """Date order; on the same stamp a full dump first; LEGI before JORF of the same day."""
    return sorted(infos, key=lambda i: (i.stamp[:8], i.base != "legi", i.stamp, not i.full, i.name))


def amended_texts(store: ox.Store) -> frozenset:
    """URIs of the JO texts that changed an article of the store (its eli:changed_by)."""
    rows = select(store, P + "SELECT DISTINCT ?t WHERE { ?w eli:changed_by ?t ; slx:code ?c }", union=True)
    return frozenset(uris.text_of(r["t"].value) for r in rows)


class Names:
    """A set of file names kept as 8-byte digests in one array: 8 bytes a file, for the
    millions of files of a full dump."""

    def __init__(self):
        self._new = array("Q")
        self._sorted = array("Q")

    @staticmethod
    def _key(name: str) -> int:
        return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big")

    def add(self, name: str):
        self._new.append(self._key(name))

    def __contains__(self, name: str) -> bool:
        if self._new:
            self._sorted = array("Q", sorted(self._sorted + self._new))
            self._new = array("Q")
        key = self._key(name)
        i = bisect.bisect_left(self._sorted, key)
        return i < len(self._sorted) and self._sorted[i] == key


def _apply(loading: Engine, info: ArchiveInfo, codes: dict[str, str] | None,
           keep_texts: frozenset | None, progress):
    """Stream one archive into the load: its files, then its suppressions, then (full dump)
    drop what the base no longer holds."""
    if progress:
        progress(f"start:{info.path}", None)
    base = info.base
    tag = info.stamp + ("G" if info.full else "I")
    delivered = Names()
    gone: list[str] = []
    for name, tar, member in _members(info):
        leaf = name.rsplit("/", 1)[-1]
        if leaf.startswith("liste_suppression") and leaf.endswith(".dat"):
            gone.extend(suppressions(_read(tar, member, info.path), f"{info.path}!{member.name}"))
            continue
        if not name.startswith(base + "/") or not name.lower().endswith(".xml"):
            continue
        m = classify(name)
        if base == "legi":
            if not m.code or m.part != "article":
                continue  # structure only (sections, a code's text files) or a non-codified text
            if codes is not None and m.text_id not in codes:
                continue
            loading.put(name, _read(tar, member, info.path), format="legi-xml", tag=tag)
        else:
            if m.part in ("struct", "section_ta"):
                continue
            loading.put(name, _read(tar, member, info.path), keep_texts=keep_texts, tag=tag)
        delivered.add(name)
    # suppressions apply before the files the same increment brings
    doomed: set[str] = set()
    folders = []
    for path in gone:
        if not path.startswith(base + "/"):
            continue
        folders.append(path + "/")
        doomed.add(path + ".xml")
    if folders:
        doomed |= {n for n in loading.names(base + "/") if any(n.startswith(f) for f in folders)}
    loading.drop(sorted(n for n in doomed if n not in delivered))
    if info.full:
        # a full dump is the whole base: what it does not hold (for the codes read) is gone
        stale = [n for n in loading.names(base + "/") if n not in delivered and (
            base != "legi" or codes is None or classify(n).text_id in codes)]
        loading.drop(sorted(stale))


def plan(sources, store, codes: Iterable[str] | None = None,
         progress: Callable[[str, int | None], None] | None = None, jorf_texts: str = "amending") -> Plan:
    """DILA archives (full dumps and increments, LEGI and JORF) applied to ``store`` (open).

    ``codes``: the codes to keep (``csp``, slugs, LEGITEXT ids); default: those the store already
    follows for an increment, every code for a full dump.  ``jorf_texts``: ``"amending"`` (the
    texts that changed an article of the store) or ``"all"``.
    """
    paths = [Path(s) for s in sources]
    infos = []
    for p in paths:
        if not p.exists():
            raise ReadError("no such file or folder", str(p))
        info = describe(p)
        if info is None:
            raise UsageError(f"{p.name} is not a DILA LEGI/JORF archive (Freemium_legi_global_*.tar.gz, "
                             "LEGI_*.tar.gz, JORF_*.tar.gz); build it in a command of its own", str(p))
        infos.append(info)
    if jorf_texts not in ("amending", "all"):
        raise UsageError(f"jorf_texts must be 'amending' or 'all', not {jorf_texts!r}")
    wanted = resolve_codes(codes)
    if not isinstance(store, Store):
        raise UsageError("DILA archives load into a local store, not a remote one")
    state = read_state(store)
    if wanted is None and state["codes"] and EVERY_CODE not in state["codes"] and not any(
            i.full and i.base == "legi" for i in infos):
        wanted = resolve_codes(sorted(state["codes"]))  # increments follow what the store follows
    stats = BuildStats()
    todo = []
    for info in order(infos):
        if not info.full and info.stamp <= state[info.base]:
            stats.skipped_archives.append(info.name)  # already applied (or older than what was)
        else:
            todo.append(info)
    applied = list(state["archives"])
    followed = set(state["codes"])

    def put(loading: Engine):
        for info in todo:
            keep = None
            if info.base == "jorf" and jorf_texts == "amending":
                loading.drain()
                loading.loader.flush()
                keep = amended_texts(loading._local("keeping the amending texts"))
            _apply(loading, info, wanted, keep, progress)
            applied.append(info.name)
            stats.archives.append(info.name)
            if info.base == "legi" and info.full:
                followed.update(wanted.values() if wanted is not None else [EVERY_CODE])
        if todo:
            loading.replace_graph(STATE, _state_quads(applied, followed))

    return Plan(put, fingerprint(paths, sorted(wanted or {}), jorf_texts), stats, "DILA archives")


def newer(folder: str | os.PathLike, state: dict) -> list[Path]:
    """The increments in ``folder`` newer than what the store has applied (``state``:
    ``read_state``), for ``santelex update``."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise UsageError("no such folder of DILA archives", str(folder))
    out = []
    for p in sorted(folder.iterdir()):
        info = describe(p) if _NAME.match(p.name) else None
        if info is None or info.full:
            continue
        if info.stamp > state[info.base]:
            out.append(p)
    return out
