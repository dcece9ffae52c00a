"""The reference engine: pySHACL with its default options."""
from __future__ import annotations

import rdflib
from rdflib import RDF

from santelex import vocab
from santelex.validation import terms
from santelex.validation.report import RawResult
from santelex.validation.shapes import parse_path, path_text
from santelex.validation.terms import canon

SH = rdflib.Namespace(vocab.SH)


def run_pyshacl(data: rdflib.Graph, shapes, ontology=None) -> tuple[bool, list[RawResult], rdflib.Graph]:
    """pySHACL with default options (``shapes`` and ``ontology``: rdflib graphs or
    terms.Graph, given to pySHACL in rdflib).  Returns (conforms, results, report graph)."""
    import pyshacl

    if isinstance(shapes, terms.Graph):
        shapes = shapes.rdflib()
    if isinstance(ontology, terms.Graph):
        ontology = ontology.rdflib()

    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, ont_graph=ontology)
    results = []
    top = next(report.subjects(RDF.type, SH.ValidationReport))
    for r in report.objects(top, SH.result):       # not the sh:detail results nested in them
        path = report.value(r, SH.resultPath)
        results.append(RawResult(
            focus=canon(report.value(r, SH.focusNode)),
            path=path_text(parse_path(report, path)) if path is not None else None,
            value=canon(report.value(r, SH.value)),
            shape=canon(report.value(r, SH.sourceShape)),
            component=str(report.value(r, SH.sourceConstraintComponent)),
            severity=str(report.value(r, SH.resultSeverity)),
            messages=tuple(sorted(canon(m) for m in report.objects(r, SH.resultMessage)))))
    return bool(conforms), results, report
