"""The plan for files: files, folders and archives of them (Markdown exports, Journal officiel
texts, saved Legifrance pages, LEGI/JORF XML, API answers, RDF files), read in the order given.

Each source is read with the registry (a folder: its files of a known format, the others noted
and passed over; an archive: its members, in place), each file becoming one named graph
(``graph_name``), the versions of an archive of a known Legifrance snapshot marked in force on
its day.  The build engine (santelex/builder/engine.py) does the rest: workers, writer,
journal, swap.  DILA's LEGI/JORF archives have a plan of their own (santelex/builder/archives.py),
which ``santelex.builder.build`` picks for them.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Callable

from santelex import paths
from santelex.builder.engine import Engine, Plan, fingerprint
from santelex.builder.snapshots import snapshot_of
from santelex.builder.stats import BuildStats
from santelex.ingest import registry

__all__ = ["default_sources", "graph_name", "graph_namer", "plan", "vocabularies"]


def default_sources() -> list[Path]:
    """The bundled inputs: the two seed texts, the whole Code de la santé publique, and
    santelex's own vocabularies (ontology/**/*.ttl, shapes/**/*.ttl) so queries can use them."""
    return [paths.SEEDS / "r1434-4-sros-version.md", paths.SEEDS / "decret-2005-76-jo.txt",
            paths.CSP_ARCHIVE, *vocabularies()]


def vocabularies() -> list[Path]:
    return (paths.files_of(paths.ONTOLOGY, "**/*.ttl", "the ontology")
            + paths.files_of(paths.SHAPES, "**/*.ttl", "the SHACL shapes"))


def graph_name(path: Path, item_name: str) -> str:
    """A stable name for the graph of one input, independent of the current directory."""
    return graph_namer(path)(item_name)


def graph_namer(path: Path) -> Callable[[str], str]:
    """``graph_name`` for the inputs of one source, its path resolved once (not once per file:
    resolving a path is a system call per folder of it)."""
    p = Path(path).resolve()
    try:
        base = str(p.relative_to(paths.DATA))
    except ValueError:
        base = str(p)
    if p.is_dir():
        parent = Path(base).parent
        return lambda item_name: str(parent / item_name)
    whole, archive = str(path), registry.is_archive(p)

    def name(item_name: str) -> str:
        if item_name == whole or not archive and Path(item_name).name == p.name:
            return base
        return f"{base}!{item_name}"

    return name


def plan(sources: list[Path], format: str | None = None,
         progress: Callable[[str, int | None], None] | None = None, snapshot: str | None = None) -> Plan:
    """Every file of the sources, in order, each into its graph.

    ``progress(name, total)`` is called with ``start:<source>`` and the number of files it
    holds (or None), then once per file.  ``snapshot`` (a date) says the inputs are a
    Legifrance snapshot of that day, so their versions are in force in it; archives listed in
    ``data/corpus/snapshots.tsv`` are known without it.
    """
    if format:
        registry.get(format)
    stats = BuildStats()

    def put(load: Engine):
        for i, source in enumerate(sources):
            # versions read from an archive of a known Legifrance snapshot are in force in it
            day = snapshot or snapshot_of(source)
            in_force = date.fromisoformat(day) if day else None
            if progress:
                progress(f"start:{source}", registry.count_members(source))
            skipped: list[str] = []

            def note_skipped():  # files of a folder passed over (no known format): noted, counted
                for passed in skipped:
                    stats.notes.append(registry.skip_note(passed))
                    if progress:
                        progress("", None)
                skipped.clear()

            named = graph_namer(source)
            for item in registry.iter_inputs(source, skipped):  # nothing readable: ReadError
                note_skipped()
                load.put(named(item.name), item.data, display=item.name, format=format,
                         in_force=in_force, tag=f"source{i}")
            note_skipped()
            stats.sources.append(str(source))

    return Plan(put, fingerprint(sources, format, snapshot), stats)
