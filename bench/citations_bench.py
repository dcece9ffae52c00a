"""Citation resolver against Legifrance's own links, and against metslesliens, same process.

    python bench/citations_bench.py                       # the bundled CSP
    python bench/citations_bench.py --archive /work/shared/corpus/codes-except-css-casf.tar.xz \\
        --codes code-du-travail,code-de-lenvironnement    # codes never looked at while writing it

For every article of the archive: strip every ``<a>`` tag (keeping its text), resolve the
plain text with ``ingest.citations``, and compare the (source, target) pairs found with the
pairs Legifrance links:

* recall: the share of linked pairs found;
* code accuracy: among found pairs whose (source, article number) Legifrance links, the share
  that also has Legifrance's code (catches "du même code" / "du présent code" mistakes);
* a random sample of found-but-unlinked pairs with their text, to read (Legifrance links only
  part of the references it prints).

With ``--store DIR`` (a store holding the whole CSP, e.g. after ``santelex build``), it also
times ``santelex cite`` lookups (cites and cited-by of one article, from the store) against
``santelex show`` of the same articles, the baseline.

Then metslesliens (PyPI; finds candidates, resolves none) runs on the same texts, and both
are reported: references found, references resolved, files per second, and the ratio.  Times
are CPU seconds of this process (``time.process_time``), so that other work on the machine
weighs on neither side; the corpus read beforehand is frozen out of the garbage collector's
sight (``gc.freeze``) for both.
"""
from __future__ import annotations

import argparse
import gc
import random
import re
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from santelex import paths  # noqa: E402
from santelex.ingest import corpus_index, registry  # noqa: E402
from santelex.ingest.citations.resolve import resolve_paragraphs, resolve_text  # noqa: E402
from santelex.ingest.html_text import parse_fragment  # noqa: E402

_HEADING = re.compile(r"^#\s+Article\s+(?P<num>.+?)\s*$", re.M)


def _key(number: str) -> str:
    return re.sub(r"[\s.*]", "", number)


def load(archive: Path, codes: set[str] | None, limit: int | None):
    """(code, number, paragraphs, link references per paragraph) of each article."""
    out = []
    for item in registry.iter_inputs(archive):
        if not item.name.endswith(".md"):
            continue
        code = item.name.split("/", 1)[0]
        if codes and code not in codes:
            continue
        text = item.data.decode("utf-8", "replace")
        m = _HEADING.search(text)
        if not m:
            continue
        number = m.group("num")
        if re.match(r"^[A-Z]+\.?\s*\d", number):
            number = number.replace(" ", "").replace(".", "")
        paragraphs, links, _ = parse_fragment(text[m.end():])
        out.append((code, number, paragraphs, links))
        if limit and len(out) >= limit:
            break
    return out


def run_ours(articles):
    refs = []
    started = time.process_time()
    for code, number, paragraphs, _ in articles:
        refs.append(resolve_paragraphs(paragraphs, code, {"article": number}))
    return refs, time.process_time() - started


def run_peer(articles):
    import metslesliens
    found = 0
    started = time.process_time()
    for _, _, paragraphs, _ in articles:
        found += len(metslesliens.donnelescandidats("\n".join(paragraphs), "structuré"))
    return found, time.process_time() - started


def measure(articles, ours, sample: int, show_misses: int, seed: int):
    gold: dict[tuple, set] = defaultdict(set)  # (source, number key) -> codes linked
    gold_pairs = set()
    for code, number, _, links in articles:
        source = f"{code}/{number}"
        for para in links:
            for r in para:
                if r.target_code and r.target_article:
                    gold_pairs.add((source, r.target_code, _key(r.target_article)))
                    gold[(source, _key(r.target_article))].add(r.target_code)
    found_pairs = {}
    n_refs = n_resolved = 0
    for (code, number, paragraphs, _), per_para in zip(articles, ours):
        source = f"{code}/{number}"
        for text, refs in zip(paragraphs, per_para):
            for r in refs:
                n_refs += 1
                if r.resolved:
                    n_resolved += 1
                if r.target_code and r.target_article:
                    found_pairs.setdefault((source, r.target_code, _key(r.target_article)), (text, r))
    hit = sum(1 for p in gold_pairs if p in found_pairs)
    recall = hit / len(gold_pairs) if gold_pairs else float("nan")
    judged = [(p, gold[(p[0], p[2])]) for p in found_pairs if (p[0], p[2]) in gold]
    right = sum(1 for p, codes in judged if p[1] in codes)
    accuracy = right / len(judged) if judged else float("nan")
    print(f"linked (source, target) pairs: {len(gold_pairs)}; found by the resolver: {hit}")
    print(f"recall: {recall:.4f}")
    print(f"code accuracy: {accuracy:.4f} ({right}/{len(judged)} found pairs whose source and number "
          f"Legifrance links)")
    rng = random.Random(seed)
    unlinked = [p for p in found_pairs if p not in gold_pairs and (p[0], p[2]) not in gold]
    print(f"found but not linked: {len(unlinked)} pairs; a random sample of {min(sample, len(unlinked))}:")
    for p in rng.sample(unlinked, min(sample, len(unlinked))):
        text, r = found_pairs[p]
        print(f"  {p[0]} -> {p[1]}/{r.target_article}  «{r.text}»")
    if show_misses:
        missed = sorted(p for p in gold_pairs if p not in found_pairs)
        wrong = [p for p, codes in judged if p[1] not in codes]
        print(f"missed linked pairs: {len(missed)}; sample:")
        by_source = {f"{c}/{n}": (ps, ls) for c, n, ps, ls in articles}
        for p in rng.sample(missed, min(show_misses, len(missed))):
            ps, ls = by_source[p[0]]
            for text, links in zip(ps, ls):
                for r in links:
                    if r.target_code == p[1] and r.target_article and _key(r.target_article) == p[2]:
                        print(f"  {p[0]} -> {p[1]}/{p[2]}: …{text[max(0, r.start - 80):r.end + 40]}…")
                        break
                else:
                    continue
                break
        print(f"wrong code: {len(wrong)}; sample:")
        for p in rng.sample(wrong, min(show_misses, len(wrong))):
            text, r = found_pairs[p]
            print(f"  {p[0]} -> {p[1]}/{p[2]} (linked: {sorted(gold[(p[0], p[2])])}) «{r.text}»")
    return n_refs, n_resolved, recall, accuracy


#: a few articles, the most cited of the CSP store among them (code pénal 131-39: 191 citations)
LOOKUPS = ["CSP R1434-4", "L1434-7", "L6121-2", "L162-14-1", "R6123-26", "L5121-1", "L1110-4", "D712-2",
           "code-penal/131-39", "R5142-1"]


def time_lookups(store_path: Path):
    """Wall time of cites + cited-by for a few articles, and of ``show`` (the baseline)."""
    from santelex import lookup, uris
    from santelex.services import cite, show
    from santelex.store import open_store
    store = open_store(store_path, read_only=True)
    ours, base = [], []
    for name in LOOKUPS:
        try:
            work = lookup.known_article(store, name)
        except Exception as e:  # an article the store does not have
            print(f"  {name}: {e}")
            continue
        t = time.perf_counter()
        n = len(cite.cites(store, work)) + len(cite.cited_by(store, work))
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        try:
            show.render(store, work)
        except Exception:
            pass
        base.append(time.perf_counter() - t)
        print(f"  {uris.name(work)}: {n} citations in {ours[-1] * 1000:.1f} ms (show: {base[-1] * 1000:.1f} ms)")
    if ours:
        ours.sort()
        print(f"cite lookup: median {ours[len(ours) // 2] * 1000:.1f} ms, max {ours[-1] * 1000:.1f} ms; "
              f"show of the same articles: median {sorted(base)[len(base) // 2] * 1000:.1f} ms; "
              f"ratio {sum(base) / sum(ours):.1f}x")


def build_cost(archive: Path, limit: int | None):
    """What the text references add to reading the archive and mapping it to quads (the CPU
    work of ``santelex build``, without the store), against the same without them."""
    from santelex.ingest import markdown_export
    from santelex.ingest.to_rdf import to_nquads
    items = [i for i in registry.iter_inputs(archive) if i.name.endswith(".md")][:limit]
    plain = lambda paragraphs, links, code, number: links  # noqa: E731  (links only)
    results = {}
    for label, patch in (("links only", plain), ("links + text", markdown_export.article_references)):
        saved = markdown_export.article_references
        markdown_export.article_references = patch
        try:
            t = time.process_time()
            quads = cites = 0
            for item in items:
                for doc in markdown_export.read(item.name, item.data):
                    quads += len(to_nquads(doc, item.name, snapshot=date(2023, 12, 6)))
                    cites += len(doc.all_references)
            results[label] = (time.process_time() - t, quads, cites)
        finally:
            markdown_export.article_references = saved
    (t0, q0, c0), (t1, q1, c1) = results["links only"], results["links + text"]
    print(f"build work (read + map, {len(items)} files): links only {t0:.1f} s, {c0} citations, {q0} quads; "
          f"with text references {t1:.1f} s, {c1} citations, {q1} quads; +{t1 - t0:.1f} s "
          f"({t1 / t0:.2f}x)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--archive", type=Path, default=paths.CSP_ARCHIVE)
    ap.add_argument("--codes", default=None, help="comma-separated code slugs to keep from the archive")
    ap.add_argument("--limit", type=int, default=None, help="at most this many articles")
    ap.add_argument("--sample", type=int, default=20)
    ap.add_argument("--misses", type=int, default=0, help="print this many missed and wrong pairs")
    ap.add_argument("--no-peer", action="store_true", help="do not run metslesliens")
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--store", type=Path, default=None, help="also time lookups in this store (whole CSP)")
    ap.add_argument("--build-cost", action="store_true", help="also measure what the text references add to a build")
    args = ap.parse_args(argv)
    codes = set(args.codes.split(",")) if args.codes else None
    if args.store:
        time_lookups(args.store)
    if args.build_cost:
        build_cost(args.archive, args.limit)
    t = time.perf_counter()
    articles = load(args.archive, codes, args.limit)
    corpus_index.default()
    print(f"{len(articles)} articles from {args.archive.name}"
          + (f" ({', '.join(sorted(codes))})" if codes else "")
          + f", {sum(len(p) for a in articles for p in a[2]):,} characters of plain text; "
          f"read and index loaded in {time.perf_counter() - t:.1f} s")
    resolve_text("warm-up: article L. 1 du code civil", None, {})
    # the corpus just read stays in memory for the whole run: keep the garbage collector from
    # walking it again and again while either tool works (the same for both)
    gc.collect()
    gc.freeze()
    ours, seconds = run_ours(articles)
    n_refs, n_resolved, _, _ = measure(articles, ours, args.sample, args.misses, args.seed)
    rate = len(articles) / seconds
    print(f"santelex resolver: {n_refs} references found, {n_resolved} resolved, "
          f"{seconds:.2f} s, {rate:,.0f} files/s")
    if args.no_peer:
        return
    found, peer_seconds = run_peer(articles)
    peer_rate = len(articles) / peer_seconds
    print(f"metslesliens 1.3: {found} candidates found, 0 resolved (it resolves none), "
          f"{peer_seconds:.2f} s, {peer_rate:,.0f} files/s")
    print(f"ratio: {rate / peer_rate:.1f}x the throughput, {n_refs / max(found, 1):.2f}x the references found")


if __name__ == "__main__":
    main()
