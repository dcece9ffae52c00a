"""Build speed: `santelex build` of a code archive into a fresh store, against a floor.

The floor, run in the same process first: read every file of the archive and parse its HTML
body with lxml (what any reader must do, without structure, citations, RDF or store).
Prints files, articles/s, triples, peak memory (this process and the largest worker),
store size, and the ratio build time / floor time.

    python bench/build_bench.py                      # the bundled CSP (13,238 articles)
    python bench/build_bench.py --archive /work/shared/corpus/codes-except-css-casf.tar.xz
"""
from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import lxml.html  # noqa: E402

from santelex import api, paths  # noqa: E402
from santelex.ingest import registry  # noqa: E402


def floor(archive: Path) -> tuple[int, float]:
    started = time.perf_counter()
    n = 0
    for item in registry.iter_inputs(archive):
        text = item.data.decode("utf-8")
        body = text.split("\n", 1)[1] if "\n" in text else text
        if body.strip():
            lxml.html.fragment_fromstring(body, create_parent="div")
        n += 1
    return n, time.perf_counter() - started


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archive", type=Path, default=paths.CSP_ARCHIVE)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--store", type=Path, default=None, help="keep the store here (default: a temp dir)")
    args = ap.parse_args()

    n, floor_s = floor(args.archive)
    print(f"floor (read + lxml parse): {n} files in {floor_s:.1f} s = {n / floor_s:,.0f} files/s")

    tmp = Path(tempfile.mkdtemp(prefix="santelex-bench-"))
    store = args.store or tmp / "store"
    if args.store and store.exists():
        shutil.rmtree(store)
    started = time.perf_counter()
    stats = api.build([args.archive], store, workers=args.workers)
    build_s = time.perf_counter() - started
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    size = du(store) / 2**20
    print(f"santelex build: {stats.files} files, {stats.articles} articles, {stats.citations} citations, "
          f"{stats.triples:,} triples in {build_s:.1f} s = {stats.articles / build_s:,.0f} articles/s")
    print(f"peak memory: main process {self_rss:,.0f} MB, largest worker {child_rss:,.0f} MB; "
          f"store on disk {size:,.0f} MB")
    print(f"ratio build / floor: {build_s / floor_s:.2f}x")
    if not args.store:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
