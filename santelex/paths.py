"""Where santelex finds its bundled files and keeps its store.

Everything santelex reads at run time ships inside the package and is found with
:mod:`importlib.resources`: the vocabularies (``santelex.ontology``), the SHACL rules
(``santelex.shapes``), the named queries (``santelex.queries``) and the bundled inputs
(``santelex.data``: the seeds, the CSP archive, the articles index, the manifest of snapshots).
In the repository these are the top-level folders ``ontology/``, ``shapes/``, ``queries/`` and
``data/`` (setup.py maps them); from an installed wheel they lie inside ``santelex/``.

A bundled file that is missing is never taken for an empty one: :func:`require` and
:func:`files_of` raise :class:`MissingResource` (one line, exit 2) instead.
"""
from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

from santelex.errors import SantelexError

__all__ = ["MissingResource", "ONTOLOGY", "SHAPES", "QUERIES", "DATA", "SEEDS", "CSP_ARCHIVE",
           "ARTICLES_INDEX", "CODES", "SNAPSHOTS", "EXAMPLES", "require", "files_of", "default_store"]


class MissingResource(SantelexError):
    """A file or folder that santelex ships is not where the package says: a broken install."""


def _package_dir(package: str) -> Path:
    # Installed from a wheel or editable, these packages are folders on disk: a Path is what
    # every caller (glob, open, tarfile) needs.  A package removed from a broken installation
    # gives the folder where it should be, for require() to name.
    try:
        return Path(str(files(package)))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent / package.rsplit(".", 1)[-1]


ONTOLOGY = _package_dir("santelex.ontology")
SHAPES = _package_dir("santelex.shapes")
QUERIES = _package_dir("santelex.queries")
DATA = _package_dir("santelex.data")
SEEDS = DATA / "seeds"
CSP_ARCHIVE = DATA / "corpus" / "code-de-la-sante-publique.tar.xz"
ARTICLES_INDEX = DATA / "corpus" / "articles-index.tsv.xz"
#: the codes: LEGITEXT identifier, slug, title, short names (santelex/codes.py)
CODES = DATA / "corpus" / "codes.tsv"
#: SHA-256 of an archive -> the date of the Legifrance snapshot it holds
SNAPSHOTS = DATA / "corpus" / "snapshots.tsv"
#: the example annexes: in the repository only (not installed)
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def require(path: Path, what: str) -> Path:
    """``path`` itself, or :class:`MissingResource` naming ``what`` is missing."""
    if not path.exists():
        raise MissingResource(f"missing from this installation of santelex: {what} (reinstall it)",
                              str(path))
    return path


def files_of(folder: Path, pattern: str, what: str) -> list[Path]:
    """The files of a bundled folder matching ``pattern`` (sorted), never none."""
    found = sorted(require(folder, what).glob(pattern))
    if not found:
        raise MissingResource(f"missing from this installation of santelex: {what} (no {pattern} "
                              f"file; reinstall it)", str(folder))
    return found


def default_store() -> Path:
    """``$SANTELEX_STORE``, else ``$XDG_DATA_HOME/santelex/store`` (``~/.local/share/…``)."""
    if os.environ.get("SANTELEX_STORE"):
        return Path(os.environ["SANTELEX_STORE"])
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "santelex" / "store"
