"""Build speed: `santelex build` of a code archive into a fresh store, against its floors.

Run in the same process, one after the other:

1. the reading floor: read every file of the archive and parse its HTML body with lxml (what
   any reader must do, without structure, citations, RDF or store);
2. santelex alone: every file read, its citations resolved and mapped to N-Quads in the
   build's worker processes, as a build does, and nothing loaded (the N-Quads go to a file);
3. Oxigraph alone (the library's floor): those very N-Quads bulk-loaded into a fresh store
   as a build loads them (the same pieces, lenient), nothing else running in this process;
4. the build itself.

Prints each one's wall time and CPU (all processes; for the build, santelex alone and Oxigraph
alone also the user and system time and the minor page faults of the main process and of the
workers), the build's peak memory (this process and the largest worker), the store's size, and the ratios: build / reading floor, Oxigraph
alone / reading floor, build / Oxigraph alone.  The machine is shared: the load average is
printed at each step, and CPU seconds are the steadier figure.

Then where the time goes, stage by stage, in milliseconds per article, in this process on a
sample of the archive (one file in ``--every``): reading the archive, parsing the HTML (the
two stages of the floor), reading into the article model (without the citations), finding
and resolving the citations, mapping to N-Quads, joining them into bytes, and Oxigraph's
bulk load of those bytes into a fresh store.

    python bench/build_bench.py                      # the bundled CSP (13,238 articles)
    python bench/build_bench.py --archive /work/shared/corpus/codes-except-css-casf.tar.xz --every 50
"""
from __future__ import annotations

import argparse
import gc
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
from santelex.builder import engine, files  # noqa: E402
from santelex.ingest import markdown_export, registry  # noqa: E402
from santelex.ingest.to_rdf import to_nquads  # noqa: E402
from santelex.store.local import bulk_load  # noqa: E402


def _body(data: bytes) -> str:
    text = data.decode("utf-8")
    return text.split("\n", 1)[1] if "\n" in text else text


def floor(archive: Path) -> tuple[int, float, float]:
    """The reading floor: (files, wall s, CPU s)."""
    started, cpu = time.perf_counter(), time.process_time()
    n = 0
    for item in registry.iter_inputs(archive):
        body = _body(item.data)
        if body.strip():
            lxml.html.fragment_fromstring(body, create_parent="div")
        n += 1
    return n, time.perf_counter() - started, time.process_time() - cpu


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
        bulk_load(store, data)
        store.flush()
        out["Oxigraph bulk load (lenient)"] = since(t)
        del store
    return {k: (w * 1000 / len(docs), c * 1000 / len(docs)) for k, (w, c) in out.items()}, len(docs), len(lines)


def cpu_all() -> float:
    """CPU seconds of this process and of its children that have ended."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def usage() -> tuple[float, float, int, float, float, int]:
    """(user s, system s, minor page faults) of this process, then of its children that have ended."""
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime, s.ru_stime, s.ru_minflt, c.ru_utime, c.ru_stime, c.ru_minflt


def split(before: tuple, after: tuple) -> str:
    """Where the CPU went between two ``usage()``: user and system time, minor page faults, in
    this process (the main one: it reads the archive, gathers the N-Quads, runs the loads in a
    thread) and in the workers."""
    d = [b - a for a, b in zip(before, after)]
    return (f"main process {d[0]:.1f} s user + {d[1]:.1f} s system, {d[2] / 1e3:,.0f} k minor faults; "
            f"workers {d[3]:.1f} s user + {d[4]:.1f} s system, {d[5] / 1e3:,.0f} k minor faults")


def map_only(archive: Path, out: Path, workers: int) -> tuple[float, float, int, int]:
    """santelex alone: the archive read and mapped to N-Quads by ``workers`` processes as a
    build does (the engine's batches and ``convert``), written to ``out``, nothing loaded.
    (wall s, CPU s of all processes, files, bytes)"""
    import multiprocessing as mp
    from collections import deque
    from datetime import date

    from santelex.builder.snapshots import snapshot_of
    from santelex.ingest import corpus_index
    started, cpu = time.perf_counter(), cpu_all()
    corpus_index.default()
    day = snapshot_of(archive)
    in_force = date.fromisoformat(day) if day else None
    files_n = size = 0
    with open(out, "wb") as f, mp.get_context("fork").Pool(workers, initializer=engine._fresh_worker) as pool:
        window: deque = deque()

        def take():
            _, data, part = window.popleft().get()
            f.write(data)
            return part.files, len(data)

        def batches():
            batch = []
            named = files.graph_namer(archive)
            for item in registry.iter_inputs(archive, []):
                batch.append((named(item.name), item.name, item.data))
                if len(batch) >= engine.BATCH:
                    yield batch
                    batch = []
            if batch:
                yield batch

        for batch in batches():
            window.append(pool.apply_async(engine.convert, (batch, None, None, in_force)))
            if len(window) >= 4 * workers:
                n, b = take()
                files_n, size = files_n + n, size + b
        while window:
            n, b = take()
            files_n, size = files_n + n, size + b
        pool.close()
        pool.join()
    corpus_index.default.cache_clear()
    return time.perf_counter() - started, cpu_all() - cpu, files_n, size


def load_only(nquads: Path) -> tuple[float, float, int, int, int]:
    """Oxigraph alone: the N-Quads file bulk-loaded into a fresh store as a build loads them
    (``santelex.store.local.bulk_load``, the build's pieces, cut at line ends).
    (wall s, CPU s, quads, pieces, store bytes)"""
    piece = engine.CHUNK
    with tempfile.TemporaryDirectory(prefix="santelex-bench-loader-") as d:
        fresh = ox.Store(d)
        started, cpu = time.perf_counter(), time.process_time()
        pieces = 0
        rest = b""
        with open(nquads, "rb") as f:
            while True:
                block = f.read(piece)
                data = rest + block
                cut = data.rfind(b"\n") + 1 if block else len(data)
                if cut:
                    bulk_load(fresh, data[:cut])
                    pieces += 1
                rest = data[cut:]
                if not block:
                    break
        fresh.flush()
        secs, cpu = time.perf_counter() - started, time.process_time() - cpu
        quads = len(fresh)
        del fresh
        gc.collect()
        size = du(Path(d))
    return secs, cpu, quads, pieces, size


def load() -> str:
    return f"load average {os.getloadavg()[0]:.1f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archive", type=Path, default=paths.CSP_ARCHIVE)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--store", type=Path, default=None, help="keep the store here (default: a temp dir)")
    ap.add_argument("--every", type=int, default=5, help="breakdown on one file in this many (0: none)")
    ap.add_argument("--no-floors", dest="floors", action="store_false",
                    help="do not time santelex alone and Oxigraph alone")
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    workers = args.workers or cores
    print(f"machine: {cores} cores, {load()} at the start")

    n, floor_s, floor_cpu = floor(args.archive)
    print(f"reading floor (read + lxml parse): {n} files in {floor_s:.1f} s = {n / floor_s:,.0f} files/s, "
          f"{floor_cpu:.1f} s of CPU ({load()})")

    tmp = Path(tempfile.mkdtemp(prefix="santelex-bench-"))
    store = args.store or tmp / "store"
    if args.store and store.exists():
        shutil.rmtree(store)
    started, cpu, use = time.perf_counter(), cpu_all(), usage()
    stats = builder.build([args.archive], store, workers=args.workers)
    build_s, build_cpu, build_use = time.perf_counter() - started, cpu_all() - cpu, split(use, usage())
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    size = du(store) / 2**20
    print(f"santelex build: {stats.files} files, {stats.articles} articles, {stats.citations} citations, "
          f"{stats.triples:,} triples in {build_s:.1f} s = {stats.articles / build_s:,.0f} articles/s, "
          f"{build_cpu:.1f} s of CPU in all processes ({load()})")
    print(f"  CPU: {build_use}")
    print(f"  peak memory: main process {self_rss:,.0f} MB, largest worker {child_rss:,.0f} MB; "
          f"store on disk {size:,.0f} MB")
    print(f"  build / reading floor: {build_s / floor_s:.2f}x (CPU: {build_cpu / floor_cpu:.2f}x)")
    if not args.store:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.floors:
        with tempfile.TemporaryDirectory(prefix="santelex-bench-nq-") as d:
            nq = Path(d) / "build.nq"
            use = usage()
            m_wall, m_cpu, m_files, m_bytes = map_only(args.archive, nq, workers)
            m_use = split(use, usage())
            print(f"santelex alone (read, citations, map to N-Quads in {workers} workers, nothing loaded): "
                  f"{m_files} files, {m_bytes / 1e6:,.0f} MB of N-Quads in {m_wall:.1f} s, "
                  f"{m_cpu:.1f} s of CPU ({load()})")
            print(f"  CPU: {m_use} (the main process writes the N-Quads to a file)")
            use = usage()
            l_wall, l_cpu, quads, pieces, l_size = load_only(nq)
            l_use = split(use, usage()).split(";")[0]
        print(f"Oxigraph alone (the library's floor): those {quads:,} quads bulk-loaded as a build loads "
              f"them ({pieces} pieces of {engine.CHUNK // 10**6} MB, lenient) into a fresh store: "
              f"{l_wall:.1f} s, {l_cpu:.1f} s of CPU; store {l_size / 2**20:,.0f} MB ({load()})")
        print(f"  CPU: {l_use}")
        print(f"  Oxigraph alone / reading floor: {l_wall / floor_s:.2f}x (CPU: {l_cpu / floor_cpu:.2f}x)")
        print(f"  build / Oxigraph alone: {build_s / l_wall:.2f}x (CPU: {build_cpu / l_cpu:.2f}x)")
        least = max(l_wall, (l_cpu + m_cpu) / cores)
        print(f"  CPU of the build = Oxigraph alone {l_cpu:.1f} s + santelex alone {m_cpu:.1f} s "
              f"= {l_cpu + m_cpu:.1f} s (the build measured {build_cpu:.1f} s).  On {cores} idle cores the "
              f"build takes no less than Oxigraph's loads alone nor than all that CPU shared out: "
              f"max({l_wall:.1f}, {(l_cpu + m_cpu) / cores:.1f}) = {least:.1f} s = "
              f"{least / floor_s:.1f}x the reading floor")
    if args.every:
        ms, docs, quads = breakdown(args.archive, args.every)
        print(f"where the time goes (this process, ms per article, {docs} articles: one file in "
              f"{args.every}; {quads / docs:.0f} quads per article; {load()}):")
        print(f"  {'stage':<42} {'wall':>7} {'CPU':>7}")
        for stage, (wall, cpu) in ms.items():
            print(f"  {stage:<42} {wall:7.3f} {cpu:7.3f}")
        total = sum(cpu for _, cpu in ms.values())
        print(f"  {'sum of CPU':<42} {'':>7} {total:7.3f}  -> {total * stats.articles / 1000:.1f} s of CPU for "
              f"{stats.articles} articles, {total * stats.articles / 1000 / cores:.1f} s on {cores} cores "
              f"at best ({total * stats.articles / 1000 / cores / floor_cpu:.1f}x the reading floor's CPU)")
    print(f"machine: {load()} at the end")


if __name__ == "__main__":
    main()
