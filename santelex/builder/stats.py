"""What a build did: the figures every build engine (files, DILA archives, API answers) reports."""
from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["BuildStats"]


@dataclass
class BuildStats:
    files: int = 0
    skipped: int = 0
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

    def add(self, other: "BuildStats"):
        for name in ("files", "articles", "texts", "subdivisions", "citations"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
