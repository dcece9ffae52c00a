"""A report as text, JSON, Turtle (the SHACL validation report) or an HTML page."""
from __future__ import annotations

import html as html_mod
import json
from collections import defaultdict
from pathlib import Path

from santelex.validate.report import Report, Result


def render(report: Report, format: str = "text") -> str:
    return {"text": to_text, "json": to_json, "turtle": to_turtle, "html": to_html}[format](report)


def to_json(report: Report) -> str:
    if not report.annex:
        results = [{k: v for k, v in {**r.as_json(), "focus": r.focus}.items() if k not in ("law_uri", "ruleset")}
                   for r in report.results]
        return json.dumps({"conforms": report.conforms, "results": results}, ensure_ascii=False, indent=2) + "\n"
    from santelex import rulesets

    used = []
    for rs in map(rulesets.get, report.rulesets):
        used.append({"name": rs.name, "iri": rs.iri, "label": rs.label,
                     "from": rs.start.isoformat() if rs.start else None,
                     "until": rs.end.isoformat() if rs.end else None, "encodes": list(rs.encodes)})
    return json.dumps({"conforms": report.conforms, "rulesets": used,
                       "results": [r.as_json() for r in report.results]}, ensure_ascii=False, indent=2) + "\n"


def to_turtle(report: Report) -> str:
    return report.graph.serialize(format="turtle")


def _groups(report: Report) -> dict[str, list[Result]]:
    groups: dict[str, list[Result]] = defaultdict(list)
    for r in report.results:
        groups[r.territory].append(r)
    return groups


def _file(report: Report, file: str) -> str:
    """A file's name, or its path when the report covers several annexes."""
    several = len({str(Path(r.file).parent) for r in report.results}) > 1
    return file if several else Path(file).name


def _plural(n: int) -> str:
    return f"{n} résultat{'s' if n > 1 else ''}"


def to_text(report: Report) -> str:
    n = len(report.results)
    if not report.annex:
        if report.conforms:
            return f"{report.source}: conforme — aucun résultat\n"
        lines = [f"{report.source}: NON CONFORME — {_plural(n)}"]
        for r in report.results:
            sev = "" if r.severity == "Violation" else f"[{r.severity}] "
            lines.append(f"  {r.focus}  {r.rule}  {r.value or '—'}  {r.law}".rstrip())
            if r.message or sev:
                lines.append(f"    {sev}{r.message}")
        return "\n".join(lines) + "\n"
    law = f"Règles : {report.ruleset}"
    if report.conforms:
        return f"{report.source}: conforme — {report.objectives} objectifs, aucune violation\n{law}\n"
    lines = [f"{report.source}: NON CONFORME — {_plural(n)} sur {report.objectives} objectifs", law]
    for territory, results in sorted(_groups(report).items()):
        lines.append("")
        lines.append(f"Territoire {territory}" if territory else "Sans territoire (annexe, lignes sans code)")
        rows = [(f"{_file(report, r.file)}:{r.row}", r.rule, r.value or "—", r.law) for r in results]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        for (loc, rule, value, law), r in zip(rows, results):
            sev = "" if r.severity == "Violation" else f"[{r.severity}] "
            lines.append(f"  {loc:<{widths[0]}}  {rule:<{widths[1]}}  {value:<{widths[2]}}  {law}")
            lines.append(f"  {'':<{widths[0]}}  {sev}{r.message}")
    return "\n".join(lines) + "\n"


def to_html(report: Report) -> str:
    e = html_mod.escape
    n = len(report.results)
    status = "conforme" if report.conforms else f"non conforme — {_plural(n)}"
    scope = (f"{report.objectives} objectifs ; règles : {report.ruleset}" if report.annex
             else f"moteur {report.engine}")
    parts = [
        "<!DOCTYPE html>", '<html lang="fr"><head><meta charset="utf-8">',
        f"<title>Validation de {e(report.source)}</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:80rem}"
        "table{border-collapse:collapse;width:100%;margin-bottom:2rem}"
        "th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}"
        "th{background:#f3f3f3}.ok{color:#176b2c}.ko{color:#a4161a}code{font-size:.9em}</style>",
        "</head><body>",
        f"<h1>{'Annexe ' if report.annex else ''}{e(report.source)}</h1>",
        f'<p class="{"ok" if report.conforms else "ko"}"><strong>{e(status)}</strong> ({e(scope)})</p>',
    ]
    for territory, results in sorted(_groups(report).items()):
        if report.annex:
            title = f"Territoire {territory}" if territory else "Sans territoire (annexe, lignes sans code)"
            parts.append(f"<h2>{e(title)}</h2>")
        first = "<th>Fichier</th><th>Ligne</th>" if report.annex else "<th>Nœud</th>"
        parts.append(f"<table><thead><tr>{first}<th>Règle</th><th>Valeur</th>"
                     "<th>Article</th><th>Message</th></tr></thead><tbody>")
        for r in results:
            law = e(r.law)
            if r.law_uri:
                law = f'<span title="{e(" ".join(r.law_uri))}">{law}</span>'
            where = (f"<td>{e(_file(report, r.file))}</td><td>{r.row}</td>" if report.annex
                     else f"<td>{e(r.focus)}</td>")
            parts.append(f"<tr>{where}<td><code>{e(r.rule)}</code></td>"
                         f"<td>{e(r.value or '—')}</td><td>{law}</td><td>{e(r.message)}</td></tr>")
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
