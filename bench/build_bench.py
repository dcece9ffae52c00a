"""Build speed: `santelex build` of a code archive into a fresh store, against a floor.

The floor, run in the same process first: read every file of the archive and parse its HTML
body with lxml (what any reader must do, without structure, citations, RDF or store).
Prints files, articles/s, triples, peak memory (this process and the largest worker),
store size, and the ratio build time / floor time.

Then where the time goes, stage by stage, in milliseconds per article, in this process on a
sample of the archive (one file in ``--every``): reading the archive, parsing the HTML (the
two stages of the floor), reading into the article model (without the citations), finding
and resolving the citations, mapping to N-Quads, joining them into bytes, and Oxigraph's
bulk load of those bytes into a fresh store.  Their sum, times the articles, divided by the
cores, is the least wall time this design can take on this machine.  And the library's own
floor: the built graph dumped and bulk-loaded again into a fresh store, alone, by the pieces
a build loads (a store that grows costs more per quad than the sample's empty one).

    python bench/build_bench.py                      # the bundled CSP (13,238 articles)
    python bench/build_bench.py --archive /work/shared/corpus/codes-except-css-casf.tar.xz
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import lxml.html  # noqa: E402
import pyoxigraph as ox  # noqa: E402

from santelex import (
    builder,  # noqa: E402
    paths,  # noqa: E402
)
from santelex.builder import engine  # noqa: E402
from santelex.ingest import markdown_export, registry  # noqa: E402
from santelex.ingest.to_rdf import to_nquads  # noqa: E402


def _body(data: bytes) -> str:
    text = data.decode("utf-8")
    return text.split("\n", 1)[1] if "\n" in text else text


def floor(archive: Path) -> tuple[int, float]:
    started = time.perf_counter()
    n = 0
    for item in registry.iter_inputs(archive):
        body = _body(item.data)
        if body.strip():
            lxml.html.fragment_fromstring(body, create_parent="div")
        n += 1
    return n, time.perf_counter() - started


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def clock() -> tuple[float, float]:
    """(wall, CPU of this process, all its threads) in seconds."""
    return time.perf_counter(), time.process_time()


def since(start: tuple[float, float]) -> tuple[float, float]:
    now = clock()
    return now[0] - start[0], now[1] - start[1]


class _Timed:
    """Wraps the Markdown reader's citation step to add up its time (a measurement only)."""

    def __init__(self, fn):
        self.fn, self.seconds = fn, (0.0, 0.0)

    def __call__(self, *args, **kw):
        started = clock()
        try:
            return self.fn(*args, **kw)
        finally:
            wall, cpu = since(started)
            self.seconds = (self.seconds[0] + wall, self.seconds[1] + cpu)


def breakdown(archive: Path, every: int) -> tuple[dict[str, tuple[float, float]], int, int]:
    """Milliseconds per article of each stage (wall, CPU), in this process, on one file in
    ``every``."""
    from santelex.ingest import corpus_index
    corpus_index.default()
    out: dict[str, tuple[float, float]] = {}
    t = clock()
    items = [item for i, item in enumerate(registry.iter_inputs(archive)) if i % every == 0]
    out["read the archive (floor)"] = tuple(v / every for v in since(t))  # every file is read
    t = clock()
    for item in items:
        body = _body(item.data)
        if body.strip():
            lxml.html.fragment_fromstring(body, create_parent="div")
    out["parse the HTML with lxml (floor)"] = since(t)
    timed = _Timed(markdown_export.article_references)
    markdown_export.article_references = timed
    try:
        t = clock()
        docs = [(item.name, doc) for item in items for doc in registry.read_input(item)]
        total = since(t)
    finally:
        markdown_export.article_references = timed.fn
    out["read into the model, without citations"] = (total[0] - timed.seconds[0], total[1] - timed.seconds[1])
    out["find and resolve citations"] = timed.seconds
    seen: set = set()
    snapshot = date(2023, 12, 6)
    t = clock()
    lines = [line for name, doc in docs for line in to_nquads(doc, name, snapshot=snapshot, seen=seen)]
    out["map to N-Quads (ingest/to_rdf)"] = since(t)
    t = clock()
    data = "".join(lines).encode("utf-8")
    out["join and encode"] = since(t)
    with tempfile.TemporaryDirectory(prefix="santelex-bench-load-") as d:
        store = ox.Store(d)
        t = clock()
        store.bulk_load(data, format=ox.RdfFormat.N_QUADS)
        store.flush()
        out["Oxigraph bulk load"] = since(t)
        del store
    return {k: (w * 1000 / len(docs), c * 1000 / len(docs)) for k, (w, c) in out.items()}, len(docs), len(lines)


def loader_floor(store: Path) -> tuple[float, float, int]:
    """Oxigraph's bulk loader alone on what the build wrote: the store dumped to N-Quads, then
    loaded again into a fresh store by pieces of the size the build loads (wall s, CPU s, quads)."""
    import io
    out = io.BytesIO()
    db = ox.Store.read_only(str(store))
    db.dump(out, ox.RdfFormat.N_QUADS)
    quads = len(db)
    del db
    data = out.getvalue()
    del out
    with tempfile.TemporaryDirectory(prefix="santelex-bench-loader-") as d:
        fresh = ox.Store(d)
        t = clock()
        i = 0
        while i < len(data):
            j = data.find(b"\n", min(i + engine.CHUNK, len(data)) - 1) + 1 or len(data)
            fresh.bulk_load(data[i:j], format=ox.RdfFormat.N_QUADS)
            i = j
        fresh.flush()
        secs, cpu = since(t)
        del fresh
    return secs, cpu, quads


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archive", type=Path, default=paths.CSP_ARCHIVE)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--store", type=Path, default=None, help="keep the store here (default: a temp dir)")
    ap.add_argument("--every", type=int, default=5, help="breakdown on one file in this many (0: none)")
    ap.add_argument("--no-loader-floor", dest="loader_floor", action="store_false",
                    help="do not time Oxigraph's bulk load of the built graph alone")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")

    n, floor_s = floor(args.archive)
    print(f"floor (read + lxml parse): {n} files in {floor_s:.1f} s = {n / floor_s:,.0f} files/s")

    tmp = Path(tempfile.mkdtemp(prefix="santelex-bench-"))
    store = args.store or tmp / "store"
    if args.store and store.exists():
        shutil.rmtree(store)
    started = time.perf_counter()
    cpu = os.times()
    stats = builder.build([args.archive], store, workers=args.workers)
    build_s = time.perf_counter() - started
    after = os.times()
    cpu_s = (after.user - cpu.user) + (after.system - cpu.system) + (
        after.children_user - cpu.children_user) + (after.children_system - cpu.children_system)
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    size = du(store) / 2**20
    print(f"santelex build: {stats.files} files, {stats.articles} articles, {stats.citations} citations, "
          f"{stats.triples:,} triples in {build_s:.1f} s = {stats.articles / build_s:,.0f} articles/s "
          f"({cpu_s:.1f} s of CPU in all processes)")
    print(f"peak memory: main process {self_rss:,.0f} MB, largest worker {child_rss:,.0f} MB; "
          f"store on disk {size:,.0f} MB")
    print(f"ratio build / floor: {build_s / floor_s:.2f}x")
    if args.loader_floor:
        secs, cpu, quads = loader_floor(store)
        print(f"Oxigraph alone (the library's floor): bulk load of the build's {quads:,} quads, "
              f"{engine.CHUNK // 10**6} MB at a time, into a fresh store: {secs:.1f} s "
              f"({cpu:.1f} s of CPU) = {secs / floor_s:.2f}x the floor")
    if not args.store:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.every:
        ms, docs, quads = breakdown(args.archive, args.every)
        print(f"where the time goes (this process, ms per article, {docs} articles: one file in "
              f"{args.every}; {quads / docs:.0f} quads per article):")
        print(f"  {'stage':<42} {'wall':>7} {'CPU':>7}")
        for stage, (wall, cpu) in ms.items():
            print(f"  {stage:<42} {wall:7.3f} {cpu:7.3f}")
        total = sum(cpu for _, cpu in ms.values())
        cores = os.cpu_count() or 1
        print(f"  {'sum of CPU':<42} {'':>7} {total:7.3f}  -> {total * stats.articles / 1000:.1f} s of CPU for "
              f"{stats.articles} articles, {total * stats.articles / 1000 / cores:.1f} s on {cores} cores "
              f"at best ({total * stats.articles / 1000 / cores / floor_s:.1f}x the floor)")
    print(f"machine: load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
