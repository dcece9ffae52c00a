"""Building the store: one engine (``engine.py``), one plan per kind of input.

- ``engine.py``: the pipeline every build runs: a plan puts files; worker processes read and
  map them to N-Quads; this process drops the graphs they replace, a writer thread loads them
  into a staging store; the journal records what is written (an interrupted build resumes);
  the staging store is swapped in at the end, all or nothing (santelex/store/local.py);
- plans: ``files.py`` (files, folders, archives of them), ``archives.py`` (DILA's LEGI/JORF
  dumps and increments: ordering, suppressions, the codes kept, the state followed), and the
  Legifrance API answers (santelex/sources/legifrance.py ``load_answers``);
- ``changes.py`` (what a load changed, article by article), ``stats.py`` (what a build did),
  ``snapshots.py`` (the day a known archive was taken).

:func:`build` picks the plan from the inputs.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from santelex.errors import ReadError

if TYPE_CHECKING:
    from santelex.builder.stats import BuildStats

__all__ = ["build"]


def build(sources: Iterable | None = None, store=None, *, format: str | None = None,
          codes: Iterable[str] | None = None, snapshot: str | None = None,
          progress: Callable[[str, int | None], None] | None = None,
          workers: int | None = None) -> "BuildStats":
    """Read every source into the store, all or nothing, resumable after an interruption
    (see :func:`santelex.build`).

    DILA's LEGI/JORF archives (or ``codes`` given) take the archives' plan, which keeps only
    ``codes`` (default: every code, or those the store follows); anything else the files' plan.
    Inputs are read in ``workers`` processes (default: one per core).
    """
    # the plans are imported here, not with the package: the package is imported with any of
    # its modules (santelex.builder.snapshots for the CLI's --snapshot), and needs them only to build
    from santelex.builder import archives, files

    paths = [Path(s) for s in (list(sources or ()) or files.default_sources())]
    for s in paths:
        if not s.exists():
            raise ReadError("no such file or folder", str(s))
    if codes or any(archives.is_dila_archive(s) for s in paths):
        return archives.build(paths, store, codes=codes, progress=progress, workers=workers)
    return files.build(paths, store, format=format, progress=progress, workers=workers,
                       snapshot=snapshot)
