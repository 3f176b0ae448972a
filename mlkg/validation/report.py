"""Messages for violations and standard SHACL validation reports."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    RdfFormat,
    Triple,
    parse,
    serialize,
)

from mlkg.namespaces import PREFIXES
from mlkg.records import Term, Verdict, Violation
from mlkg.validation._common import (
    _RANGES,
    _RDF,
    _SEVERITIES,
    _XSD,
    RDF_TYPE,
    SH,
    CompiledConstraint,
)
from mlkg.validation.semantics import _to_oxigraph

# --------------------------------------------------------------------------- messages & reports


def _short(iri: str) -> str:
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and re.fullmatch(r"[A-Za-z_][\w.-]*", iri[len(namespace) :]):
            return f"{prefix}:{iri[len(namespace) :]}"
    return f"<{iri}>"


def _generated_message(c: CompiledConstraint) -> str:
    """A sentence naming the property and the expectation, for shapes without sh:message."""
    p = c.parameter
    if c.path is None:
        if c.kind == "hasValue":
            return f"the focus node must be {_show(p)}"
        return f"the focus node must {_expectation(c.kind, p)}"
    where = ("^" if c.path.inverse else "") + _short(c.path.predicate)
    if c.kind in ("minCount", "maxCount"):
        least = "at least" if c.kind == "minCount" else "at most"
        return f"{where}: expected {least} {p} value{'s' if p != 1 else ''}"
    if c.kind == "hasValue":
        return f"{where}: expected the value {_show(p)}"
    return f"{where}: each value must {_expectation(c.kind, p)}"


def _show(term: Term) -> str:
    """A term as a reader expects it: 0.5, "text", xsd:date "2020-01-01", mlkg:Model."""
    if isinstance(term, NamedNode):
        return _short(term.value)
    if not isinstance(term, Literal):
        return str(term)
    datatype = term.datatype.value
    if datatype.startswith(_XSD) and datatype[len(_XSD) :] in (
        "integer",
        "decimal",
        "double",
        "boolean",
    ):
        return term.value
    if datatype in (_XSD + "string", _RDF + "langString"):
        return str(term)
    return f"{_short(datatype)} {Literal(term.value)}"


def _expectation(kind: str, p: Any) -> str:
    if kind == "datatype":
        return f"be a well-formed literal of datatype {_short(p)}"
    if kind == "class":
        return f"be an instance of {_short(p)}"
    if kind == "nodeKind":
        return f"be a node of kind sh:{p}"
    if kind == "in":
        return "be one of " + ", ".join(_show(t) for t in p)
    if kind == "pattern":
        return f"match the pattern {p[0]!r}" + (f" (flags {p[1]!r})" if p[1] else "")
    if kind in ("minLength", "maxLength"):
        return f"have {'at least' if kind == 'minLength' else 'at most'} {p} characters"
    if kind in _RANGES:
        return f"be {_RANGES[kind]} {_show(_to_oxigraph(p))}"
    return "satisfy one of: " + "; ".join(_expectation(k, v) for k, v in p)


def report_to_turtle(verdicts: Iterable[Verdict]) -> str:
    """A standard ``sh:ValidationReport`` (Turtle) holding the results of all ``verdicts``.

    ``sh:conforms`` is false as soon as there is any result (any severity), as SHACL defines;
    records that could not be mapped (``error`` set) were not validated and add no result.
    See https://www.w3.org/TR/shacl/#validation-report.
    """
    violations = [v for verdict in verdicts for v in verdict.violations]
    report = BlankNode("report")
    conforms = Literal("false" if violations else "true", datatype=NamedNode(_XSD + "boolean"))
    triples = [
        Triple(report, NamedNode(RDF_TYPE), _sh("ValidationReport")),
        Triple(report, _sh("conforms"), conforms),
    ]
    triples += [Triple(report, _sh("result"), BlankNode(f"r{n}")) for n in range(len(violations))]
    for n, v in enumerate(violations):
        triples += _result_triples(BlankNode(f"r{n}"), v)
    return serialize(triples, format=RdfFormat.TURTLE, prefixes=PREFIXES).decode("utf-8")


def _result_triples(result: BlankNode, v: Violation) -> list[Triple]:
    triples = [
        Triple(result, NamedNode(RDF_TYPE), _sh("ValidationResult")),
        Triple(result, _sh("focusNode"), _term(v.focus)),
        Triple(result, _sh("sourceConstraintComponent"), NamedNode(v.constraint)),
        Triple(result, _sh("resultSeverity"), _severity_term(v.severity)),
        Triple(result, _sh("resultMessage"), Literal(v.message)),
    ]
    if v.value is not None:
        triples.append(Triple(result, _sh("value"), _term(v.value)))
    if v.shape:
        triples.append(Triple(result, _sh("sourceShape"), _term(v.shape)))
    if v.path is not None and v.path.startswith("^"):
        path = BlankNode(f"{result.value}p")
        triples.append(Triple(result, _sh("resultPath"), path))
        triples.append(Triple(path, _sh("inversePath"), _term(v.path[1:])))
    elif v.path is not None:
        triples.append(Triple(result, _sh("resultPath"), _term(v.path)))
    return triples


def _sh(name: str) -> NamedNode:
    return NamedNode(f"{SH}{name}")


def _severity_term(severity: str) -> NamedNode:
    return NamedNode(f"{SH}{severity}" if severity in _SEVERITIES.values() else severity)


def _term(text: str) -> Term:
    """Parse one term written in N-Triples syntax (as :class:`Violation` fields hold them)."""
    quad = next(iter(parse(input=f"<urn:x> <urn:x> {text} .", format=RdfFormat.N_TRIPLES)))
    return quad.object
