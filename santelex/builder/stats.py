"""What a build did: the figures the build engine reports, whatever the plan (files, DILA
archives, Legifrance answers)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from santelex.builder.changes import Change

__all__ = ["BuildStats"]


@dataclass
class BuildStats:
    files: int = 0
    skipped: int = 0  # files of a batch an interrupted run had written (resumed)
    articles: int = 0
    texts: int = 0
    subdivisions: int = 0
    citations: int = 0
    quads: int = 0
    triples: int = 0
    seconds: float = 0.0
    resumed: bool = False
    sources: list[str] = field(default_factory=list)
    #: what the build passed over, one line each (files of no known format in a folder)
    notes: list[str] = field(default_factory=list)
    deleted: int = 0  # graphs dropped (files a DILA archive removed from its base)
    archives: list[str] = field(default_factory=list)  # DILA archives applied
    skipped_archives: list[str] = field(default_factory=list)  # DILA archives already applied
    #: what changed, article by article (when the build was asked for a report)
    changes: list[Change] = field(default_factory=list)

    def add(self, other: "BuildStats"):
        for name in ("files", "articles", "texts", "subdivisions", "citations"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
