"""Building the store: one engine for files, DILA archives and Legifrance answers."""
from __future__ import annotations


def build(sources=None, store=None, *, format=None, codes=None, snapshot=None, progress=None, workers=None):
    """Read every source into the store, all or nothing (see :func:`santelex.build`)."""
    from santelex.builder import files

    return files.build(sources, store, format=format, progress=progress, workers=workers, codes=codes,
                       snapshot=snapshot)
