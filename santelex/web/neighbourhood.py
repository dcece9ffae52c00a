"""An article's citation neighbourhood, two steps out, drawn server-side as SVG.

    graph = neighbourhood(store, work_uri, steps=2, limit=40)   # a networkx DiGraph
    svg = to_svg(graph, work_uri)                                # a standalone <svg> document

Edges come from the ``slx:Citation`` nodes (citing work -> cited work), in both directions:
what the article cites and what cites it, then the same for each of those.  A hub (an
article cited by hundreds) would swamp the picture, so at most ``limit`` works are kept (30): the
nearest first, and among works at the same distance those with the most links to the ones
already kept; a hub's links are read up to ``PER_NODE``.  The layout is networkx's spring layout with a fixed seed and the article
pinned at the centre, so the same graph gives the same picture.  Every node is a link to
its page; the SVG is built with ElementTree, which escapes every label.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import networkx as nx
import pyoxigraph as ox

from santelex.web import law

SVG_NS = "http://www.w3.org/2000/svg"
WIDTH, HEIGHT, MARGIN, RADIUS = 860, 560, 70, 9
PER_NODE = 150


_PAIRS = """SELECT DISTINCT ?a ?b WHERE {{ {values}
    {{ ?c slx:citingWork ?n ; slx:cited ?b . BIND(?n AS ?a) }}
    UNION {{ ?c slx:cited ?n ; slx:citingWork ?a . BIND(?n AS ?b) }} }} {limit}"""


def _values(nodes: list[str]) -> str:
    return "VALUES ?n { " + " ".join(str(ox.NamedNode(n)) for n in nodes) + " }"


def _links(store, nodes: list[str], per_node: int = PER_NODE) -> set[tuple[str, str]]:
    """(citing work, cited work) for citations made or received by these works, at most
    ``per_node`` for each (an article applying the whole code elsewhere cites thousands).

    The works with ``per_node`` citations or fewer (counted first) are read in one query,
    each of the others in its own, cut at ``per_node``."""
    many = nodes
    found = set()
    if len(nodes) > 1:
        counts = {r[0].value: int(r[1].value) for r in store.query(law.P + f"""SELECT ?n (COUNT(*) AS ?k) WHERE {{
            {_values(nodes)} {{ ?c slx:citingWork ?n }} UNION {{ ?c slx:cited ?n }} }} GROUP BY ?n""")}
        few = [n for n in nodes if counts.get(n, 0) <= per_node]
        many = [n for n in nodes if counts.get(n, 0) > per_node]
        if few:
            rows = store.query(law.P + _PAIRS.format(values=_values(few), limit=""))
            found.update((r[0].value, r[1].value) for r in rows)
    for n in many:
        rows = store.query(law.P + _PAIRS.format(values="", limit=f"LIMIT {per_node}"), {"n": ox.NamedNode(n)})
        found.update((r[0].value, r[1].value) for r in rows)
    return {(a, b) for a, b in found if a != b}


def neighbourhood(store, work: str, steps: int = 2, limit: int = 30) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_node(work, distance=0)
    frontier = [work]
    hidden = 0
    for distance in range(1, steps + 1):
        links = _links(store, frontier)
        candidates: dict[str, int] = {}
        for a, b in links:
            for n in (a, b):
                if n not in g:
                    candidates[n] = candidates.get(n, 0) + 1
        room = max(0, limit - g.number_of_nodes())
        ranked = sorted(candidates, key=lambda n: (-candidates[n], n))
        kept, hidden = ranked[:room], hidden + max(0, len(ranked) - room)
        for n in kept:
            g.add_node(n, distance=distance)
        for a, b in links:
            if a in g and b in g:
                g.add_edge(a, b)
        frontier = kept
        if not frontier:
            break
    # links among the kept works that the walk did not see (between two works at distance 2)
    last = [n for n, d in g.nodes(data="distance") if d == steps]
    for a, b in _links(store, last):
        if a in g and b in g:
            g.add_edge(a, b)
    present = law.in_store(store, list(g.nodes))
    for n in g.nodes:
        g.nodes[n]["present"] = n in present
        g.nodes[n]["label"] = law.label(n)
    g.graph["hidden"] = hidden
    return g


def layout(g: nx.DiGraph, centre: str) -> dict[str, tuple[float, float]]:
    """Node positions in SVG coordinates, the centre article in the middle."""
    if g.number_of_nodes() == 1:
        return {centre: (WIDTH / 2, HEIGHT / 2)}
    start = {centre: (0.0, 0.0)}
    # a first guess by distance (rings) keeps the spring layout from folding the picture
    rings: dict[int, list[str]] = {}
    for n, d in g.nodes(data="distance"):
        rings.setdefault(d, []).append(n)
    for d, members in rings.items():
        if d == 0:
            continue
        for i, n in enumerate(sorted(members)):
            angle = 2 * math.pi * i / len(members) + d * 0.4
            start[n] = (d * math.cos(angle), d * math.sin(angle))
    pos = nx.spring_layout(g.to_undirected(), pos=start, fixed=[centre], seed=7, iterations=80,
                           k=2.4 / math.sqrt(g.number_of_nodes()))
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    span_x = max(max(xs) - min(xs), 1e-9)
    span_y = max(max(ys) - min(ys), 1e-9)
    # labels run to the right of their node: keep more room on that side
    sx = (WIDTH - 2.6 * MARGIN) / span_x
    sy = (HEIGHT - MARGIN) / span_y
    return {n: (MARGIN + (x - min(xs)) * sx, MARGIN / 2 + (y - min(ys)) * sy) for n, (x, y) in pos.items()}


def to_svg(g: nx.DiGraph, centre: str) -> str:
    """The picture: arrows from citing to cited, nodes linking to their pages."""
    ET.register_namespace("", SVG_NS)
    pos = layout(g, centre)
    svg = ET.Element(f"{{{SVG_NS}}}svg", {
        "viewBox": f"0 0 {WIDTH} {HEIGHT}", "class": "voisinage", "role": "img",
        "aria-label": f"Voisinage de citations de {law.label(centre)} (deux pas)"})
    ET.SubElement(svg, f"{{{SVG_NS}}}title").text = f"Voisinage de citations de {law.label(centre)}"
    defs = ET.SubElement(svg, f"{{{SVG_NS}}}defs")
    marker = ET.SubElement(defs, f"{{{SVG_NS}}}marker", {
        "id": "fleche", "viewBox": "0 0 10 10", "refX": "10", "refY": "5", "markerWidth": "7",
        "markerHeight": "7", "orient": "auto-start-reverse"})
    ET.SubElement(marker, f"{{{SVG_NS}}}path", {"d": "M 0 0 L 10 5 L 0 10 z", "class": "pointe"})
    edges = ET.SubElement(svg, f"{{{SVG_NS}}}g", {"class": "aretes"})
    for a, b in sorted(g.edges):
        (x1, y1), (x2, y2) = pos[a], pos[b]
        length = math.hypot(x2 - x1, y2 - y1) or 1.0
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        r_a = RADIUS * (1.6 if a == centre else 1)
        r_b = RADIUS * (1.6 if b == centre else 1) + 2
        line = ET.SubElement(edges, f"{{{SVG_NS}}}line", {
            "x1": f"{x1 + ux * r_a:.1f}", "y1": f"{y1 + uy * r_a:.1f}",
            "x2": f"{x2 - ux * r_b:.1f}", "y2": f"{y2 - uy * r_b:.1f}", "marker-end": "url(#fleche)"})
        ET.SubElement(line, f"{{{SVG_NS}}}title").text = f"{law.label(a)} cite {law.label(b)}"
    nodes = ET.SubElement(svg, f"{{{SVG_NS}}}g", {"class": "noeuds"})
    for n in sorted(g.nodes, key=lambda n: (-g.nodes[n]["distance"], n)):
        data = g.nodes[n]
        x, y = pos[n]
        classes = ["noeud", f"distance-{data['distance']}"]
        if not data["present"]:
            classes.append("absent")
        href = law.page_url(n)
        holder = nodes
        if href:
            holder = ET.SubElement(nodes, f"{{{SVG_NS}}}a", {"href": href, "class": " ".join(classes)})
        else:
            holder = ET.SubElement(nodes, f"{{{SVG_NS}}}g", {"class": " ".join(classes)})
        tip = data["label"] + ("" if data["present"] else " — cité, absent du graphe")
        ET.SubElement(holder, f"{{{SVG_NS}}}title").text = tip
        ET.SubElement(holder, f"{{{SVG_NS}}}circle", {
            "cx": f"{x:.1f}", "cy": f"{y:.1f}", "r": f"{RADIUS * (1.6 if n == centre else 1):.1f}"})
        anchor = "start" if x < WIDTH * 0.8 else "end"
        dx = 12 if anchor == "start" else -12
        text = ET.SubElement(holder, f"{{{SVG_NS}}}text", {
            "x": f"{x + dx:.1f}", "y": f"{y + 4:.1f}", "text-anchor": anchor})
        text.text = data["label"]
    return ET.tostring(svg, encoding="unicode")
