"""A report as text, JSON, Turtle (the SHACL validation report) or an HTML page."""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from santelex.validation.report import Report, Result


def render(report: Report, format: str = "text") -> str:
    return {"text": to_text, "json": to_json, "turtle": to_turtle, "html": to_html}[format](report)


def to_json(report: Report) -> str:
    import json  # only this format needs it: the text report loads no more than it uses

    if not report.annex:
        results = [{k: v for k, v in {**r.as_json(), "focus": r.focus}.items() if k not in ("law_uri", "ruleset")}
                   for r in report.results]
        return json.dumps({"conforms": report.conforms, "results": results}, ensure_ascii=False, indent=2) + "\n"
    from santelex.validation import rulesets

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


def _files(report: Report):
    """How to show a result's file: its name, or its path when the report covers several
    annexes (decided once per report, not once per result)."""
    several = len({str(Path(f).parent) for f in {r.file for r in report.results}}) > 1
    return (lambda file: file) if several else (lambda file: Path(file).name)


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
    shown = _files(report)
    for territory, results in sorted(_groups(report).items()):
        lines.append("")
        lines.append(f"Territoire {territory}" if territory else "Sans territoire (annexe, lignes sans code)")
        rows = [(f"{shown(r.file)}:{r.row}", r.rule, r.value or "—", r.law) for r in results]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        for (loc, rule, value, law), r in zip(rows, results):
            sev = "" if r.severity == "Violation" else f"[{r.severity}] "
            lines.append(f"  {loc:<{widths[0]}}  {rule:<{widths[1]}}  {value:<{widths[2]}}  {law}")
            lines.append(f"  {'':<{widths[0]}}  {sev}{r.message}")
    return "\n".join(lines) + "\n"


def templates():
    """The Jinja environment of the report's HTML (santelex/validation/templates), shared with
    the web's report page."""
    global _ENV
    if _ENV is None:
        import jinja2

        _ENV = jinja2.Environment(loader=jinja2.PackageLoader("santelex.validation", "templates"), autoescape=True,
                                  trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    return _ENV


_ENV = None


def to_html(report: Report) -> str:
    n = len(report.results)
    status = "conforme" if report.conforms else f"non conforme — {_plural(n)}"
    scope = (f"{report.objectives} objectifs ; règles : {report.ruleset}" if report.annex
             else f"moteur {report.engine}")
    groups = []
    for territory, results in sorted(_groups(report).items()):
        title = ("" if not report.annex else
                 f"Territoire {territory}" if territory else "Sans territoire (annexe, lignes sans code)")
        groups.append((title, results))
    return templates().get_template("page.html").render(
        report=report, status=status, scope=scope, groups=groups, files=_files(report)) + "\n"
