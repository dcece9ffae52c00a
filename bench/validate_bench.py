"""Validation speed: a national annex of objectifs quantifiés, fast engine against pySHACL.

    python bench/validate_bench.py                 # 18 regions, 100,000 objectives
    python bench/validate_bench.py --n 5000        # smaller
    python bench/validate_bench.py --ruleset oqos-2023   # today's law: zones, modalities, 2023 indicators

Generates one annex per region (CSV folders in a temporary directory; 5 % of the objectives
break a rule), then times, with the load average before and after: the command
``santelex validate`` of the folders in a fresh process (start-up to the text report
written) and its peak memory; ``validate()`` in this process with the number of processes
it chooses from the work and the free cores, and in one process; where one process spends
its time, wall and CPU, stage by stage (read, graph, index, evaluate, results, report); and
the floor, the CSV files parsed by the csv module alone.  The baseline is pySHACL with its default
options on the same data and shapes, run in this process.  pySHACL needs minutes for 10,000
objectives, so above ``--pyshacl-max`` objectives (default 10,000) it runs on a subset of
that size (the first objectives of each region), the fast engine is timed on the same subset
and must give the identical result set, and pySHACL's time for the whole annex is
extrapolated linearly and labelled so.

Then pyrudof (the Rust SHACL engine on PyPI, ``pip install .[bench]``) on the same data and
shapes: whole (one graph: the same subset as pySHACL, since it grows faster than the data)
and in chunks (each region's annex with the ontology on its own, all regions, shared among
``--rudof-workers`` processes); each run must give the fast engine's result set on the same
data.  ``--no-rudof`` leaves it out.
"""
from __future__ import annotations

import argparse
import csv
import gc
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from santelex import annex  # noqa: E402
from santelex import validation as v  # noqa: E402
from santelex.validation import parallel, rulesets  # noqa: E402

SKOS = "http://www.w3.org/2004/02/skos/core#"
SLX = "https://data.santelex.fr/ontology#"
OQ23 = "https://data.santelex.fr/oqos/2023/"


def synthetic_2023(n: int, errors: float = 0.0, seed: int = 0, regions=annex.REGIONS_2016) -> list[annex.Annexe]:
    """National annexes under oqos-2023, drawn from its vocabulary: per zone, every target with
    its implantations (one per modality or mention where the code lists them), the indicators
    the target must have (psychiatry's équipements et services, appareils), and its optional
    times.  With probability ``errors`` an objective is changed to break one rule."""
    import random

    from rdflib import URIRef

    rnd = random.Random(seed)
    g = rulesets.get("oqos-2023").vocabulary()
    note = lambda c: str(g.value(c, URIRef(SKOS + "notation")))
    in_scheme = lambda s: sorted(g.subjects(URIRef(SKOS + "inScheme"), URIRef(OQ23 + s)))
    own = {note(t): sorted(note(i) for i in g.objects(t, URIRef(SLX + "indicateurAdmis")))
           for t in in_scheme("activites") + in_scheme("equipements")}
    modalities = {note(t): [] for t in in_scheme("activites")}
    for m in in_scheme("modalites"):
        modalities[note(g.value(m, URIRef(SLX + "modaliteDe")))].append(note(m))
    group = []  # (target, indicator, modality, is a time)
    for target in sorted(own):
        for m in sorted(modalities.get(target) or [""]):
            group.append((target, "implantations", m, False))
        for i in own[target]:
            group.append((target, i, "", i == "temps_attente"))
        group.append((target, "temps_acces", "", True))
    breaks = [("indicateur", "sejours"), ("indicateur", "permanence"), ("modalite", "mention Z"),
              ("cible", "reanimation"), ("territoire", "ZZ"), ("minmax", None), ("min-only", None),
              ("decimal", None), ("echeance", date(2030, 1, 1)), ("negative", None), ("zero", None)]
    per_region = [n // len(regions) + (1 if k < n % len(regions) else 0) for k in range(len(regions))]
    out = []
    for region, count in zip(regions, per_region):
        n_zones = -(-count // len(group))
        codes = [f"{region}Z{k:03d}" for k in range(1, n_zones + 1)]
        zones = tuple(annex.Territoire(c, f"Zone {c}", region, f"synthetique/{region}/zones.csv", k + 2)
                      for k, c in enumerate(codes))
        file = f"synthetique/{region}/objectifs.csv"
        objectifs = []
        for k in range(count):
            target, indicator, m, time_ = group[k % len(group)]
            zone = codes[k // len(group)]
            high = rnd.randint(1, 60)
            o = annex.Objectif(zone, target, indicator, m, None if time_ else rnd.randint(0, high), high,
                               "", None, None, file, k + 2)
            if not time_ and rnd.random() < 0.2:
                o = replace(o, min=None, max=None, evolution=rnd.choice(("progression", "diminution")),
                            valeur=rnd.randint(1, 5))
            if rnd.random() < 0.2:
                o = replace(o, echeance=date(rnd.randint(2024, 2028), rnd.randint(1, 10), 28))
            if errors and rnd.random() < errors:
                what, value = rnd.choice(breaks)
                if what in ("indicateur", "modalite", "cible", "territoire"):
                    o = replace(o, **{what: value})
                elif what == "echeance":
                    o = replace(o, echeance=value)
                elif what == "minmax":
                    o = replace(o, min=9, max=3, evolution="", valeur=None)
                elif what == "min-only":
                    o = replace(o, min=2, max=None, evolution="", valeur=None)
                elif what == "decimal":
                    o = replace(o, min=Decimal("1.5"), max=4, evolution="", valeur=None)
                elif what == "negative":
                    o = replace(o, min=-1, max=4, evolution="", valeur=None)
                else:
                    o = replace(o, min=None, max=None, evolution="progression", valeur=0)
            objectifs.append(o)
        where = f"synthetique/{region}/annexe.csv"
        out.append(annex.Annexe(source=f"synthetique/{region}", region=region, regions=(region,),
                                titre=f"Annexe synthétique {region}", debut=date(2023, 11, 1), fin=date(2028, 10, 31),
                                rows={"region": (where, 2), "titre": (where, 3), "debut": (where, 4), "fin": (where, 5)},
                                territoires=zones, objectifs=tuple(objectifs)))
    return out


def write(a: annex.Annexe, folder: Path) -> None:
    folder.mkdir(parents=True)
    with open(folder / "annexe.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(annex.COLUMNS["annexe"])
        w.writerows([["region", a.region], ["titre", a.titre], ["debut", a.debut.isoformat()],
                     ["fin", a.fin.isoformat()]])
    with open(folder / "territoires.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(annex.COLUMNS["territoires"])
        w.writerows([t.code, t.libelle, t.region] for t in a.territoires)
    with open(folder / "objectifs.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(annex.COLUMNS["objectifs"] + annex.OPTIONAL["objectifs"])
        for o in a.objectifs:
            w.writerow([o.territoire, o.cible, o.indicateur, o.modalite, _s(o.min), _s(o.max), o.evolution,
                        _s(o.valeur) + ("%" if o.taux else ""), o.echeance.isoformat() if o.echeance else "",
                        o.forme])


def _s(x) -> str:
    return "" if x is None else str(x)


def subset(annexes: list[annex.Annexe], n: int) -> list[annex.Annexe]:
    """The first objectives of each region, n in all."""
    total = sum(len(a.objectifs) for a in annexes)
    out, left = [], n
    for k, a in enumerate(annexes):
        take = left if k == len(annexes) - 1 else round(n * len(a.objectifs) / total)
        take = min(take, left, len(a.objectifs))
        out.append(replace(a, objectifs=a.objectifs[:take]))
        left -= take
    return out


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _clock():
    return time.perf_counter(), time.process_time()


def breakdown(folders: list[Path]):
    """validate() in one process, stage by stage, as it runs them (each annex on its own
    graph), with the floor: the CSV files parsed by the csv module and nothing else."""
    from santelex.validation.engine import compile_shapes, evaluate_all, prepare
    from santelex.validation.report import assemble, pair

    spent: dict[str, list[float]] = {k: [0.0, 0.0] for k in (
        "parse CSV (floor)", "read annex", "graph", "index", "evaluate", "results", "report")}

    def add(key, since):
        w, c = _clock()
        spent[key][0] += w - since[0]
        spent[key][1] += c - since[1]
        return w, c

    gc.disable()                    # as validate() runs
    t = _clock()
    for f in folders:
        for name in ("annexe", "territoires", "objectifs"):
            list(csv.reader(io.StringIO((f / f"{name}.csv").read_bytes().decode("utf-8"), newline="")))
    add("parse CSV (floor)", t)
    read, paired, raws, rs = [], [], [], None
    for f in folders:
        t = _clock()
        a = annex.read(f)
        read.append(a)
        t = add("read annex", t)
        rs = v.choose(a)
        data = v.fast_input([a], rs)
        t = add("graph", t)
        compiled = compile_shapes(rs.shapes())
        engine, top = prepare(data, compiled)
        t = add("index", t)
        found = evaluate_all(engine, top)
        t = add("evaluate", t)
        del engine, top
        results = v._results(compiled, found)
        raws.extend(results)
        t = add("results", t)
        paired.extend(pair([a], results, rs.shapes(), rs.name))
        add("report", t)
    t = _clock()
    assemble(", ".join(map(str, folders)), paired, "fast", sum(len(a.objectifs) for a in read), None,
             rulesets=[rs.name])
    add("report", t)
    gc.enable()
    return {k: tuple(x) for k, x in spent.items()}, read, rs, raws


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="objectives in all (default 100,000)")
    ap.add_argument("--errors", type=float, default=0.05, help="share of objectives breaking a rule")
    ap.add_argument("--workers", type=int, default=None, help="fast engine processes (default: automatic)")
    ap.add_argument("--pyshacl-max", type=int, default=10_000,
                    help="run pySHACL on at most this many objectives (default 10,000)")
    ap.add_argument("--seed", type=int, default=2006)
    ap.add_argument("--ruleset", choices=("oqos-2005", "oqos-2023"), default="oqos-2005",
                    help="the law the national annex is drawn from and validated against")
    ap.add_argument("--no-rudof", action="store_true", help="leave pyrudof out")
    ap.add_argument("--rudof-workers", type=int, default=2, help="processes for pyrudof in chunks (default 2)")
    args = ap.parse_args()

    if args.ruleset == "oqos-2023":
        annexes = synthetic_2023(args.n, errors=args.errors, seed=args.seed)
    else:
        annexes = annex.synthetic(args.n, errors=args.errors, seed=args.seed)
    with tempfile.TemporaryDirectory(prefix="santelex-bench-") as tmp:
        folders = []
        for a in annexes:
            folders.append(Path(tmp) / a.region)
            write(a, folders[-1])

        print(f"load average before: {_load()}")
        # the command itself, in a fresh process: start-up, read, graph, validate, report, text written
        cli = Path(sys.executable).parent / "santelex"
        t = time.perf_counter()
        done = subprocess.run([str(cli), "validate", *map(str, folders), "-o", os.devnull], check=False)
        cli_time = time.perf_counter() - t
        cli_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        assert done.returncode in (0, 1), done.returncode
        # what `santelex validate` does with the fast engine, in this process, on all 18 folders
        chosen = args.workers or parallel.workers(v._size(folders), len(folders))
        t0 = time.perf_counter()
        report = v.validate(folders, workers=args.workers)
        t1, c1 = time.perf_counter(), time.process_time()
        one = v.validate(folders, workers=1)
        t_one, c_one = time.perf_counter() - t1, time.process_time() - c1
        assert one.raw == report.raw
        stages, read, rs, results = breakdown(folders)
    n = report.objectives
    fast_total = t1 - t0
    assert Counter(results) == Counter(report.raw)
    print(f"rule set {rs.name} ({rs.period()})")
    print(f"national annex: {len(read)} regions, {n:,} objectives, {sum(len(a.territoires) for a in read)} "
          f"territories, {len(v.fast_input(read, rs)):,} triples with the ontology; {len(results):,} results")
    print(f"santelex validate of the {len(folders)} folders, a fresh process (start-up, read, graph, validate, "
          f"report, text): {cli_time:.2f} s, peak memory {cli_rss:,.0f} MB")
    print(f"fast engine, validate() of the {len(folders)} folders in this process (read, graph, validate, report; "
          f"{args.workers or 'automatic'} workers: {chosen}): {fast_total:.2f} s -> {n / fast_total:,.0f} objectives/s; "
          f"in one process {t_one:.2f} s ({c_one:.2f} s of CPU)")
    floor = stages.pop("parse CSV (floor)")[0]
    total = sum(w for w, _ in stages.values())
    print("  where the time goes, one process (wall s / CPU s): "
          + " + ".join(f"{k} {w:.2f}/{c:.2f}" for k, (w, c) in stages.items()) + f" = {total:.2f} s")
    print(f"  floor: parsing the CSV files with the csv module alone, {floor:.2f} s; validate() in one process is "
          f"{t_one / floor:.1f}x that floor")
    print(f"load average after: {_load()}")

    base = read if n <= args.pyshacl_max else subset(read, args.pyshacl_max)
    m = sum(len(a.objectifs) for a in base)
    label = "the same annex" if base is read else f"a {m:,}-objective subset (first objectives of each region)"
    t4 = time.perf_counter()
    _, reference, _ = v.run_pyshacl(v.data_graph(base, rs), rs.shapes(), rs.vocabulary())
    t5 = time.perf_counter()
    _, fast_sub = v.run_fast(v.fast_input(base, rs), rs.shapes(), workers=args.workers)
    t6 = time.perf_counter()
    same = Counter(reference) == Counter(fast_sub)
    py_rate = m / (t5 - t4)
    print(f"pySHACL (default options) on {label}: {t5 - t4:.1f} s -> {py_rate:,.1f} objectives/s; "
          f"fast engine on it: {t6 - t5:.2f} s; results {'IDENTICAL' if same else 'DIFFERENT'} "
          f"({len(reference):,} pySHACL, {len(fast_sub):,} fast)")
    print(f"ratio fast / pySHACL: {(n / fast_total) / py_rate:,.0f}x objectives per second"
          + ("" if base is read else
             f"; pySHACL on all {n:,} objectives, EXTRAPOLATED linearly from the subset: {n / py_rate:,.0f} s"))
    if not args.no_rudof:
        same = rudof(args, read, base, m, n, fast_total, t5 - t4, fast_sub) and same
    if not same:
        sys.exit(1)


# ----------------------------------------------------------------------------- pyrudof

def _rudof_key(focus: str, value: str | None, shape: str, component: str) -> tuple:
    return (focus, value or "", shape, component)


def _as_rudof(node: str | None) -> str:
    """A node in canonical N-Triples written as pyrudof writes it (bare IRIs, xsd: datatypes)."""
    if node is None:
        return ""
    if node.startswith("<"):
        return node[1:-1]
    if node.startswith("_:"):
        return "_:"
    return node.replace("^^<http://www.w3.org/2001/XMLSchema#", "^^xsd:").removesuffix(">") \
        if "^^<http://www.w3.org/2001/XMLSchema#" in node else node


def _fast_keys(results) -> Counter:
    return Counter(_rudof_key(_as_rudof(r.focus), _as_rudof(r.value), _as_rudof(r.shape), r.component)
                   for r in results)


def _run_rudof(ntriples: str, shapes_ttl: str) -> Counter:
    from pyrudof import RDFFormat, Rudof, RudofConfig, ShaclValidationMode

    r = Rudof(RudofConfig())
    r.read_data(ntriples, format=RDFFormat.NTriples)
    r.read_shacl(shapes_ttl)
    report = r.validate_shacl(mode=ShaclValidationMode.Native)
    return Counter(_rudof_key(e.focus_node, "_:" if (e.value or "").startswith("_:") else (e.value or ""),
                              "_:" if e.source_shape.startswith("_:") else e.source_shape, e.constraint_component)
                   for e in report.violations)


def _rudof_chunk(job: tuple[str, str]) -> Counter:
    return _run_rudof(*job)


def rudof(args, read, base, m: int, n: int, fast_total: float, py_time: float, fast_sub) -> bool:
    import multiprocessing

    try:
        import pyrudof  # noqa: F401
    except ImportError:
        print("pyrudof: not installed (pip install .[bench]); left out")
        return True
    rs = v.choose(read[0])
    shapes_ttl = v.shapes_graph(rs).serialize(format="turtle")
    ontology = v.ontology_graph(rs).serialize(format="nt")
    whole = ontology + "".join(annex.ntriples(a) for a in base)
    t0 = time.perf_counter()
    found = _run_rudof(whole, shapes_ttl)
    t1 = time.perf_counter()
    same_whole = found == _fast_keys(fast_sub)
    label = "the same annex" if base is read else f"the {m:,}-objective subset"
    print(f"pyrudof whole on {label}: {t1 - t0:.2f} s -> {m / (t1 - t0):,.0f} objectives/s; results "
          f"{'IDENTICAL' if same_whole else 'DIFFERENT'} to the fast engine's ({sum(found.values()):,}); "
          f"pySHACL / pyrudof: {py_time / (t1 - t0):,.1f}x")
    jobs = [(ontology + annex.ntriples(a), shapes_ttl) for a in read]
    # pyrudof runs threads: its workers are spawned, not forked (a fork of a threaded process hangs)
    with multiprocessing.get_context("spawn").Pool(args.rudof_workers) as pool:
        pool.map(abs, range(args.rudof_workers))             # started before the clock
        t2 = time.perf_counter()
        parts = pool.map(_rudof_chunk, jobs)
        t3 = time.perf_counter()
    chunked = sum(parts, Counter())
    _, fast_all = v.run_fast(v.fast_input(read, rs), rs.shapes(), workers=1)
    same_chunks = chunked == _fast_keys(fast_all)
    print(f"pyrudof in {len(read)} chunks (one region each, {args.rudof_workers} processes) on all {n:,} objectives: "
          f"{t3 - t2:.2f} s -> {n / (t3 - t2):,.0f} objectives/s; results "
          f"{'IDENTICAL' if same_chunks else 'DIFFERENT'} to the fast engine's ({sum(chunked.values()):,})")
    print(f"ratio fast / pyrudof: {(t3 - t2) / fast_total:,.1f}x (chunked, same objectives), "
          f"{(t1 - t0) / m / (fast_total / n):,.1f}x (whole, per objective)")
    return same_whole and same_chunks


if __name__ == "__main__":
    main()
