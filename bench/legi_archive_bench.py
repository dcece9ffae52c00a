"""LEGI bulk archive into the store: articles per second against the floor of just iterparsing.

Makes a ``Freemium_legi_global_*.tar.gz`` as DILA lays it out from the real LEGI fixture files
(tests/fixtures/official/legi/), repeated to ``--n`` articles (default 100,000), each copy a
version of its own (its own LEGIARTI id and path): the two ordinary articles in turn, the CASF
annex (a 149 KB table, a stress case far rarer in LEGI) once every ``--annex-every`` articles,
and a section file for every ten articles, as in the base.

Then, in this one process and on the same archive:
- the floor: stream the archive and ``lxml.etree.iterparse`` every file (no reading into the
  model, no RDF, no store);
- santelex: ``archives.build`` of the archive into a fresh store (parse in worker processes,
  map to RDF, load), all or nothing, in a process of its own.

Prints articles/s of each and their ratio (target: within 3x of the floor); the peak memory of
santelex's process and of its largest worker for a tenth of the archive and for all of it (each
build in a fresh process): flat in the archive's size, since the archive is streamed, files are
loaded in batches and kept track of as 8-byte digests; and where the time goes, stage by stage.

    python bench/legi_archive_bench.py            # 100,000 articles
    python bench/legi_archive_bench.py --n 10000
"""
from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from santelex.builder import engine  # noqa: E402

LEGI = ROOT / "tests" / "fixtures" / "official" / "legi"
ARTICLES = ["legigo_article_LEGIARTI000006291810.xml", "legi-php_LEGIARTI000006398122.xml"]
ANNEX = "legi-php_cas-extremes_LEGIARTI000019325262.xml"
SECTIONS = ["legigo_section_ta_LEGISCTA000029502492.xml", "legi-php_LEGISCTA000006135575.xml",
            "legigo_section_ta_LEGISCTA000006083673.xml"]


def _split(digits: str) -> str:
    return "/".join(digits[i:i + 2] for i in range(0, 10, 2))


def _path(data: bytes, ident: str) -> str:
    cid = re.search(rb'<TEXTE [^>]*cid="(\w+)"', data)
    cid = cid.group(1).decode() if cid else "LEGITEXT000006069414"
    kind, sub = ("article", "LEGI/ARTI") if ident.startswith("LEGIARTI") else ("section_ta", "LEGI/SCTA")
    return (f"legi/global/code_et_TNC_en_vigueur/code_en_vigueur/LEGI/TEXT/{_split(cid[8:])}/{cid}/"
            f"{kind}/{sub}/{_split(ident[8:])}/{ident}.xml")


def make_archive(out: Path, n: int, annex_every: int) -> tuple[int, int]:
    """Write the archive; return (articles, files)."""
    small = [(LEGI / f).read_bytes() for f in ARTICLES]
    annex = (LEGI / ANNEX).read_bytes()
    sections = [(LEGI / f).read_bytes() for f in SECTIONS]
    files = 0
    with tarfile.open(out, "w:gz", compresslevel=6, format=tarfile.GNU_FORMAT) as tar:
        def add(data: bytes, ident: str):
            nonlocal files
            old = re.search(rb"<ID>(LEGI(?:ARTI|SCTA)\d{12})</ID>", data).group(1)
            data = data.replace(old, ident.encode())
            info = tarfile.TarInfo(_path(data, ident))
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            files += 1

        for i in range(n):
            ident = f"LEGIARTI{900000000000 + i:012d}"
            add(annex if annex_every and i % annex_every == annex_every - 1 else small[i % len(small)], ident)
            if i % 10 == 9:
                add(sections[(i // 10) % len(sections)], f"LEGISCTA{900000000000 + i:012d}")
    return n, files


def floor(archive: Path) -> tuple[int, float]:
    """Stream the archive and iterparse every file to its end: (articles, seconds)."""
    started = time.perf_counter()
    articles = 0
    with tarfile.open(archive, mode="r|gz") as tar:
        for member in tar:
            if not member.isfile():
                continue
            data = tar.extractfile(member).read()
            tar.members = []  # as santelex does: tarfile would keep every member
            for _, el in etree.iterparse(io.BytesIO(data), events=("end",), resolve_entities=False,
                                         no_network=True, load_dtd=False):
                if el.tag == "ARTICLE" and el.getparent() is None:
                    articles += 1
    return articles, time.perf_counter() - started


def santelex(archive: Path, store: Path, workers: int | None) -> dict:
    """Build the archive into a fresh store in a process of its own: its articles, seconds and
    peak memory (its own, and its largest worker's), uncoloured by what this process did."""
    code = ("import json, resource, sys, time; sys.path.insert(0, %r)\n"
            "from santelex.builder import archives, engine\n"
            "engine.warm_up()\n"
            "t = time.perf_counter()\n"
            "s = archives.build([%r], %r, workers=%r)\n"
            "t = time.perf_counter() - t\n"
            "me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
            "kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
            "print(json.dumps({'articles': s.articles, 'seconds': t, 'main_mb': me, 'worker_mb': kids}))\n"
            % (str(ROOT), str(archive), str(store), workers))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def breakdown(archive: Path, n: int = 2000) -> dict[str, float]:
    """Milliseconds per article of each stage, one process, on the first ``n`` articles."""
    import pyoxigraph as ox

    from santelex.ingest import legi_xml
    from santelex.ingest.to_rdf import to_nquads
    engine.warm_up()
    files = []
    t = time.perf_counter()
    with tarfile.open(archive, mode="r|gz") as tar:
        for member in tar:
            if member.isfile() and "/article/" in member.name:
                files.append((member.name, tar.extractfile(member).read()))
                if len(files) == n:
                    break
    out = {"read the archive": time.perf_counter() - t}
    t = time.perf_counter()
    for _, data in files:
        for _ in etree.iterparse(io.BytesIO(data), resolve_entities=False, no_network=True, load_dtd=False):
            pass
    out["iterparse"] = time.perf_counter() - t
    t = time.perf_counter()
    docs = [(name, list(legi_xml.read(name, data))) for name, data in files]
    out["read into the model (ingest/legi_xml)"] = time.perf_counter() - t
    t = time.perf_counter()
    seen: set = set()
    quads = [q for name, ds in docs for d in ds for q in to_nquads(d, name, seen=seen)]
    out["map to RDF (ingest/to_rdf, N-Quads lines)"] = time.perf_counter() - t
    t = time.perf_counter()
    data = "".join(quads).encode("utf-8")
    out["join and encode the N-Quads"] = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as d:
        store = ox.Store(d)
        t = time.perf_counter()
        store.bulk_load(data, format=ox.RdfFormat.N_QUADS)
        out["bulk load into Oxigraph"] = time.perf_counter() - t
        del store
    ms = {k: v * 1000 / len(files) for k, v in out.items()}
    ms["quads per article"] = len(quads) / len(files)
    return ms


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="articles in the archive (default 100,000)")
    ap.add_argument("--annex-every", type=int, default=1000, help="one 149 KB annex every N articles (0: none)")
    ap.add_argument("--workers", type=int, default=None, help="worker processes (default: one per core)")
    ap.add_argument("--keep", type=Path, default=None, help="keep the archive and store in this folder")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="legi-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        engine.warm_up()  # the index of codes, loaded once (as the CLI does before forking)
        tenth = max(1, args.n // 10)
        small = work / "small" / "Freemium_legi_global_20240101-000000.tar.gz"
        big = work / "big" / "Freemium_legi_global_20240101-000000.tar.gz"
        small.parent.mkdir(exist_ok=True)
        big.parent.mkdir(exist_ok=True)
        t = time.perf_counter()
        make_archive(small, tenth, args.annex_every)
        n, files = make_archive(big, args.n, args.annex_every)
        print(f"archive: {n} articles, {files} files, {big.stat().st_size / 1e6:.1f} MB gzipped "
              f"(made in {time.perf_counter() - t:.1f} s)")

        f_articles, f_seconds = floor(big)
        small_run = santelex(small, work / "small" / "store", args.workers)
        big_run = santelex(big, work / "big" / "store", args.workers)
        assert big_run["articles"] == f_articles == n, (big_run["articles"], f_articles, n)
        floor_rate, rate = f_articles / f_seconds, n / big_run["seconds"]
        print(f"floor (stream + iterparse every file): {floor_rate:,.0f} articles/s ({f_seconds:.1f} s)")
        print(f"santelex build (into the store, {args.workers or os.cpu_count()} workers): "
              f"{rate:,.0f} articles/s ({big_run['seconds']:.1f} s)")
        print(f"ratio floor/santelex: {floor_rate / rate:.2f}x (target: 3x or less)")
        print(f"peak memory, main process / largest worker: {small_run['main_mb']:.0f} / "
              f"{small_run['worker_mb']:.0f} MB for {tenth} articles, {big_run['main_mb']:.0f} / "
              f"{big_run['worker_mb']:.0f} MB for {n}")
        print("where the time goes (one process, ms per article):")
        for stage, ms in breakdown(big).items():
            print(f"  {stage:<40} {ms:8.3f}" if stage != "quads per article" else f"  ({ms:.0f} quads per article)")
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
