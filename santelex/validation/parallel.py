"""Sharing the work out among processes (fork): the focus nodes of one big graph, or the
annexes of a national set.  The results never depend on how many processes there are."""
from __future__ import annotations

import multiprocessing
import os
import threading

_WORK: dict = {}


#: the work (objectives, focus nodes) below which one process is faster than forking
MIN_SHARE = 20_000


def cpus() -> int:
    return min(os.cpu_count() or 1, 4)


def free_cores() -> float:
    """Cores left idle by the other processes over the last minute (the load average)."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):       # no load average on this system: assume idle
        load = 0.0
    return max(0.0, (os.cpu_count() or 1) - load)


def workers(work: int, items: int | None = None) -> int:
    """How many processes to share ``work`` among: one per free core (a core counts as free
    when at least half of it is idle), at most one per ``MIN_SHARE`` of work and per item,
    and one when the work is small, the cores busy, or forking impossible.  A process more
    on a busy machine only adds its start and its share of the switching."""
    if not can_fork():
        return 1
    n = min(cpus(), int(free_cores() + 0.5), work // MIN_SHARE)
    if items is not None:
        n = min(n, items)
    return max(1, n)


def can_fork() -> bool:
    """Fork only from a single-threaded process (a web server validates in a worker thread)."""
    return hasattr(os, "fork") and threading.active_count() == 1


def _chunk(k: int) -> list[tuple]:
    from santelex.validation.engine import evaluate_all

    return evaluate_all(_WORK["engine"], _WORK["top"], k, _WORK["n"])


def split_focus(engine, compiled, top: list, workers: int) -> list[tuple]:
    """Evaluate the top shapes, each worker on every ``workers``-th focus node."""
    for path in compiled.paths():          # shared by the forked workers, computed once
        engine.index.values(path)
    for cls in compiled.classes():
        engine.index.instances(cls)
    _WORK.update(engine=engine, top=top, n=workers)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return [r for chunk in pool.map(_chunk, range(workers)) for r in chunk]
    finally:
        _WORK.clear()


def split_items(items: list, sizes: list[int], workers: int, work) -> list:
    """``work(shard)`` in one process per shard, the items shared out biggest first to the
    lightest shard; returns each shard's answer."""
    shards: list[list] = [[] for _ in range(workers)]
    load = [0] * workers
    for size, i in sorted(((s, i) for i, s in enumerate(sizes)), reverse=True):
        k = load.index(min(load))
        shards[k].append(items[i])
        load[k] += size
    shards = [s for s in shards if s]
    _WORK.update(shards=shards, work=work)
    try:
        with multiprocessing.get_context("fork").Pool(len(shards)) as pool:
            return pool.map(_shard, range(len(shards)))
    finally:
        _WORK.clear()


def _shard(k: int):
    import gc

    gc.freeze()            # the parent's objects: never traversed (nor copied) by this process
    return _WORK["work"](_WORK["shards"][k])
