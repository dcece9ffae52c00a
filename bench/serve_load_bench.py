"""Cheap queries under heavy load: p50/p99 of an ASK while 8 clients send heavy queries.

    python bench/serve_load_bench.py [--store DIR] [--seconds 20] [--clients 8] [--workers 2]

Starts the real ``santelex serve`` (default: on a store of the two seeds built here), then

1. idle: the cheap query (``ASK { ?s a eli:LegalResource }``) 100 times in a row, alone;
2. loaded: ``--clients`` heavy clients, each from its own loopback address (127.0.0.11,
   127.0.0.12, …: the server counts clients by address), send a query that runs until the
   server's deadline (a three-way cross join), again as soon as they get an answer or a 503;
   meanwhile the cheap client (127.0.0.2) sends its ASK every 100 ms.

Prints p50/p99 of the cheap query idle and loaded, their ratio, how many cheap queries were
answered (200) and refused (503), and what the heavy clients got.
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from santelex import (
    builder,  # noqa: E402
    paths,  # noqa: E402
)

SANTELEX = str(Path(sys.executable).with_name("santelex"))
CHEAP = "ASK { ?s a <http://data.europa.eu/eli/ontology#LegalResource> }"
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", default=None)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=10)
    args = ap.parse_args()

    tmp = tempfile.TemporaryDirectory()
    store = args.store
    if store is None:
        store = str(Path(tmp.name) / "store")
        builder.build([paths.SEEDS / "r1434-4-sros-version.md", paths.SEEDS / "decret-2005-76-jo.txt"], store, workers=1)
    port = free_port()
    url = f"http://127.0.0.1:{port}/sparql"
    proc = subprocess.Popen([SANTELEX, "serve", "--store", store, "--port", str(port), "--workers", str(args.workers),
                             "--timeout", str(args.timeout)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url, params={"query": "ASK {}"}, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit("santelex serve did not start")
            time.sleep(0.2)
        cheap = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=60)
        for _ in range(5):  # warm up: both workers have answered once
            cheap.get(url, params={"query": CHEAP})

        def timed() -> tuple[float, int]:
            t = time.perf_counter()
            r = cheap.get(url, params={"query": CHEAP})
            return (time.perf_counter() - t) * 1000, r.status_code

        idle = [timed()[0] for _ in range(100)]

        stop = threading.Event()
        heavy_status: dict[int, int] = {}
        lock = threading.Lock()

        def heavy(i: int):
            client = httpx.Client(transport=httpx.HTTPTransport(local_address=f"127.0.0.{11 + i}"),
                                  timeout=args.timeout + 30)
            while not stop.is_set():
                try:
                    status = client.get(url, params={"query": HEAVY}).status_code
                except httpx.TransportError:
                    status = -1
                with lock:
                    heavy_status[status] = heavy_status.get(status, 0) + 1
                if status == 503:
                    time.sleep(0.05)  # a careless client: no heed of Retry-After

        threads = [threading.Thread(target=heavy, args=(i,), daemon=True) for i in range(args.clients)]
        for t in threads:
            t.start()
        time.sleep(1.0)  # the heavy queries have taken every worker
        loaded: list[float] = []
        refused = 0
        end = time.monotonic() + args.seconds
        while time.monotonic() < end:
            ms, status = timed()
            if status == 200:
                loaded.append(ms)
            else:
                refused += 1
            time.sleep(0.1)
        stop.set()
        for t in threads:
            t.join(args.timeout + 30)
    finally:
        proc.terminate()
        proc.wait(30)
        tmp.cleanup()

    i50, i99 = statistics.median(idle), percentile(idle, 99)
    print(f"cheap ASK idle:   p50 {i50:.1f} ms, p99 {i99:.1f} ms ({len(idle)} queries)")
    if loaded:
        l50, l99 = statistics.median(loaded), percentile(loaded, 99)
        print(f"cheap ASK loaded: p50 {l50:.1f} ms, p99 {l99:.1f} ms ({len(loaded)} answered, {refused} refused) "
              f"under {args.clients} heavy clients, {args.workers} workers")
        print(f"ratio loaded/idle: p50 {l50 / i50:.1f}x, p99 {l99 / i99:.1f}x")
    else:
        print(f"cheap ASK loaded: none answered ({refused} refused)")
    print(f"heavy clients got: {dict(sorted(heavy_status.items()))}")
    print(f"load average: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
