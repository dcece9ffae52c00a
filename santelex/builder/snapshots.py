"""Which Legifrance snapshot an archive holds, known by its content, not by where it lies.

The Markdown exports santelex bundles or points to carry no date inside; the manifest
``data/corpus/snapshots.tsv`` (installed as ``santelex.data``) names each one by the SHA-256 of
its bytes and gives the date of the snapshot it was taken from and how many files of a format
santelex reads it holds (the total of a build's progress bar, without decompressing the
archive once more to count them).  The same archive copied anywhere is recognised; an archive the manifest does not know holds no known snapshot unless
the user says so (``santelex build --snapshot DATE``).  Versions read from a recognised archive
are marked in force in that snapshot (``slx:inForceInSnapshot``).
"""
from __future__ import annotations

import hashlib
from datetime import date
from functools import lru_cache
from pathlib import Path

from santelex import paths
from santelex.errors import UsageError

__all__ = ["snapshot_of", "members_of", "parse_date"]


@lru_cache(maxsize=1)
def _manifest() -> dict[str, tuple[str, int | None]]:
    """SHA-256 -> (snapshot date, readable members); columns sha256, snapshot, archive, members."""
    path = paths.require(paths.SNAPSHOTS, "the manifest of corpus snapshots")
    rows = path.read_text(encoding="utf-8").splitlines()[1:]
    out = {}
    for digest, day, *rest in (r.split("\t") for r in rows if r.strip()):
        members = rest[1] if len(rest) > 1 else ""
        out[digest] = (day, int(members) if members.isdigit() else None)
    return out


@lru_cache(maxsize=64)
def _digest(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _known(path: Path) -> tuple[str, int | None] | None:
    path = Path(path)
    if not path.is_file():
        return None
    st = path.stat()
    return _manifest().get(_digest(str(path.resolve()), st.st_size, st.st_mtime_ns))


def snapshot_of(path: Path) -> str | None:
    """The date (ISO) of the Legifrance snapshot the archive at ``path`` holds, if known."""
    known = _known(path)
    return known[0] if known else None


def members_of(path: Path) -> int | None:
    """How many files of a format santelex reads the archive at ``path`` holds, when the
    manifest knows the archive (None otherwise: count them by reading its listing)."""
    known = _known(path)
    return known[1] if known else None


def parse_date(text: str, what: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise UsageError(f"{what}: {text!r} is not a date (YYYY-MM-DD)") from None
