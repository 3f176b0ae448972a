"""Rendering a compiled constraint as one SPARQL SELECT over a whole batch."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import rdflib
from pyoxigraph import Literal

from mlkg.validation._common import (
    _BG,
    _NODE_KINDS,
    _RANGES,
    _RDF,
    _RDFS,
    _STRICT_LEXICAL,
    _VERBATIM,
    _XSD,
    RDF_TYPE,
    CompiledConstraint,
    Schema,
    ShapePath,
    Target,
)
from mlkg.validation.semantics import _kept, _kept_datatype, _to_oxigraph

# --------------------------------------------------------------------------- SPARQL rendering


_NOT_BACKGROUND = f"FILTER(?g != <{_BG}>)"
# A background node is a focus node of a record only where that record mentions it.
_OCCURS = "GRAPH ?g { { ?this ?op ?oo } UNION { ?os ?op ?this } }"


def _render(c: CompiledConstraint, schema: Schema) -> str:
    """One SELECT over a batch store; rows are (record graph, focus node[, value]).

    Violations are rare, so wherever a violation is a bad *value* (all value-type checks and
    ``sh:maxCount``) the query starts from the path's triples, keeps the bad ones, and only then
    checks with ``EXISTS`` that the subject is a focus node of that record graph. Checks that a
    value is *missing* (``sh:minCount``, ``sh:hasValue``) must enumerate the focus nodes.
    """
    if c.path is None:
        focus = _focus(c.targets, schema)
        bad = _bad(c.kind, c.parameter, schema)
        return f"SELECT DISTINCT ?g ?this ?v WHERE {{ {focus} BIND(?this AS ?v) FILTER({bad}) }}"
    if c.kind in ("minCount", "hasValue"):
        return _render_absence(c, schema)
    if c.kind == "maxCount" and c.path.predicate not in schema.predicates:
        counted = (
            f"SELECT ?g ?this WHERE {{ GRAPH ?g {{ {_triple(c.path)} }} {_NOT_BACKGROUND} }} "
            f"GROUP BY ?g ?this HAVING (COUNT(DISTINCT ?v) > {c.parameter})"
        )
        return f"SELECT ?g ?this WHERE {{ {{ {counted} }} FILTER({_is_focus(c.targets, schema)}) }}"
    if c.kind == "maxCount":
        return (
            f"SELECT ?g ?this WHERE {{ {_focus(c.targets, schema)} {_values(c.path, schema)} }} "
            f"GROUP BY ?g ?this HAVING (COUNT(DISTINCT ?v) > {c.parameter})"
        )
    # IF keeps the focus test last: Oxigraph reorders the operands of && (EXISTS first).
    is_focus = _is_focus(c.targets, schema)
    bad = f"FILTER(IF(?g != <{_BG}> && {_bad(c.kind, c.parameter, schema)}, {is_focus}, false))"
    triple = _triple(c.path)
    branches = [f"{{ GRAPH ?g {{ {triple} }} {bad} }}"]
    if c.path.predicate in schema.predicates:
        pre = f"FILTER({_bad(c.kind, c.parameter, schema, record=False)})"
        branches.append(f"{{ {{ GRAPH <{_BG}> {{ {triple} }} {pre} }} {_OCCURS} {bad} }}")
    return f"SELECT DISTINCT ?g ?this ?v WHERE {{ {' UNION '.join(branches)} }}"


def _render_absence(c: CompiledConstraint, schema: Schema) -> str:
    # No DISTINCT over all focus nodes first: a duplicate focus row (a node with two target
    # types) is rare, so the test runs per row and DISTINCT only sees the few violations.
    focus = " UNION ".join(_target_branches(c.targets, schema))
    if c.kind == "hasValue" or c.parameter == 1:
        constant = str(_kept(c.parameter)) if c.kind == "hasValue" else "?v"
        values = _values(c.path, schema, value=constant)
        return (
            f"SELECT DISTINCT ?g ?this WHERE {{ {focus} {_NOT_BACKGROUND} "
            f"FILTER NOT EXISTS {{ {values} }} }}"
        )
    values = _values(c.path, schema)
    return (
        f"SELECT ?g ?this WHERE {{ {focus} {_NOT_BACKGROUND} OPTIONAL {{ {values} }} }} "
        f"GROUP BY ?g ?this HAVING (COUNT(DISTINCT ?v) < {c.parameter})"
    )


def _focus(targets: Iterable[Target], schema: Schema) -> str:
    """A subquery binding each (record graph, focus node) once."""
    union = " UNION ".join(_target_branches(targets, schema))
    return f"{{ SELECT DISTINCT ?g ?this WHERE {{ {union} {_NOT_BACKGROUND} }} }}"


def _is_focus(targets: Iterable[Target], schema: Schema) -> str:
    """An expression true where the bound ``?this`` is a focus node of the bound graph ``?g``."""
    tests = []
    for target in targets:
        if target.kind == "class":
            classes = schema.subclasses(target.iri)
            tests.append(_has_type("?this", "?g", classes))
            if schema.typed_classes & set(classes):
                in_background = _has_type("?this", f"<{_BG}>", classes)
                tests.append(f"({in_background} && EXISTS {{ {_OCCURS} }})")
        else:
            tests.append(f"EXISTS {{ {' UNION '.join(_target_branches([target], schema))} }}")
    return f"({' || '.join(tests)})"


def _has_type(node: str, graph: str, classes: list[str]) -> str:
    """``node`` has one of ``classes`` as rdf:type in ``graph`` (a lookup, no join per row)."""
    iris = _iris(classes)
    if len(iris) == 1:
        return f"EXISTS {{ GRAPH {graph} {{ {node} <{RDF_TYPE}> {iris[0]} }} }}"
    return (
        f"EXISTS {{ GRAPH {graph} {{ {node} <{RDF_TYPE}> ?c }} FILTER(?c IN ({', '.join(iris)})) }}"
    )


def _target_branches(targets: Iterable[Target], schema: Schema) -> list[str]:
    branches = []
    for target in targets:
        if target.kind == "class":
            classes = schema.subclasses(target.iri)
            values = f"VALUES ?t {{ {' '.join(_iris(classes))} }}"
            branches.append(f"{{ {values} GRAPH ?g {{ ?this <{RDF_TYPE}> ?t }} }}")
            if schema.typed_classes & set(classes):
                branches.append(
                    f"{{ {values} GRAPH <{_BG}> {{ ?this <{RDF_TYPE}> ?t }} {_OCCURS} }}"
                )
            continue
        subjects_of = target.kind == "subjectsOf"
        triple = f"?this <{target.iri}> ?o" if subjects_of else f"?s <{target.iri}> ?this"
        branches.append(f"{{ GRAPH ?g {{ {triple} }} }}")
        if target.iri in schema.predicates:
            branches.append(f"{{ GRAPH <{_BG}> {{ {triple} }} {_OCCURS} }}")
    return branches


def _triple(path: ShapePath, value: str = "?v") -> str:
    p = f"<{path.predicate}>"
    return f"{value} {p} ?this" if path.inverse else f"?this {p} {value}"


def _values(path: ShapePath | None, schema: Schema, value: str = "?v") -> str:
    """The focus node's values: from its own record graph and from the background."""
    assert path is not None
    pattern = f"{{ GRAPH ?g {{ {_triple(path, value)} }} }}"
    if path.predicate in schema.predicates:
        pattern += f" UNION {{ GRAPH <{_BG}> {{ {_triple(path, value)} }} }}"
    return pattern


def _bad(kind: str, parameter: Any, schema: Schema, record: bool = True) -> str:
    """A SPARQL expression that is true for a value that violates (or may violate) the check.

    With ``record=False`` it ignores the record graph (a weaker test that needs no ``?g``).
    """
    if kind == "in":
        return (
            "!(" + " || ".join(["false"] + [f"sameTerm(?v, {_kept(t)})" for t in parameter]) + ")"
        )
    if kind == "hasValue":
        return f"!sameTerm(?v, {_kept(parameter)})"
    if kind in ("pattern", "minLength", "maxLength"):
        test = {
            "pattern": lambda: f"!REGEX(STR(?v), {Literal(parameter[0])}, '{parameter[1]}')",
            "minLength": lambda: f"STRLEN(STR(?v)) < {parameter}",
            "maxLength": lambda: f"STRLEN(STR(?v)) > {parameter}",
        }[kind]()
        verbatim = " ".join(f"<{d}>" for d in sorted(_VERBATIM))
        normalised = f"(isLiteral(?v) && !(DATATYPE(?v) IN ({verbatim.replace(' ', ', ')})))"
        return f"COALESCE(isBlank(?v) || {normalised} || {test}, true)"
    if kind == "or":
        return "!(" + " || ".join(_ok(k, p, schema, record) for k, p in parameter) + ")"
    return f"!{_ok(kind, parameter, schema, record)}"


def _ok(kind: str, parameter: Any, schema: Schema, record: bool = True) -> str:
    """An error-free SPARQL expression that is true only where pyshacl surely agrees."""
    if kind == "nodeKind":
        return f"({_NODE_KINDS[parameter]})"
    if kind == "class":
        classes = schema.subclasses(parameter)
        graphs = ["?g"] if record else []
        graphs += [f"<{_BG}>"] if schema.typed_classes & set(classes) else []
        tests = [_has_type("?v", g, classes) for g in graphs]
        return f"({' || '.join(tests or ['false'])})"
    if kind == "datatype":
        return f"COALESCE({_datatype_ok(parameter)}, false)"
    op = _RANGES[kind]
    bound = _to_oxigraph(parameter)
    if isinstance(parameter.value, (int, float, Decimal)) and not isinstance(parameter.value, bool):
        return f"COALESCE(isNumeric(?v) && ?v {op} {bound}, false)"
    same_type = f"sameTerm(DATATYPE(?v), {bound.datatype})"
    return f"COALESCE({same_type} && ?v {op} {bound} && (TZ(?v) = '') = (TZ({bound}) = ''), false)"


def _datatype_ok(datatype: str) -> str:
    if datatype == _RDFS + "Literal":
        return "isLiteral(?v)"
    if datatype == _RDF + "langString":
        return "(isLiteral(?v) && LANG(?v) != '')"
    test = f"isLiteral(?v) && sameTerm(DATATYPE(?v), <{_kept_datatype(datatype)}>)"
    if _lexical_matters(datatype):
        strict = _STRICT_LEXICAL.get(datatype)
        test += f" && REGEX(STR(?v), {Literal(strict)})" if strict else " && false"
        if datatype in (_XSD + "date", _XSD + "dateTime"):
            test += " && isNumeric(YEAR(?v)) && !STRSTARTS(STR(?v), '0000')"
    return f"({test})"


def _iris(keys: Iterable[str]) -> list[str]:
    # A blank-node class cannot be written in VALUES; SHACL shapes name classes by IRI.
    return [f"<{key}>" for key in keys if not key.startswith("_:")]


def _lexical_matters(datatype: str) -> bool:
    """rdflib parses this datatype's lexical form, so ill-typed literals fail sh:datatype."""
    return rdflib.term.XSDToPython.get(rdflib.URIRef(datatype)) is not None


def _needs_refine(kind: str, parameter: Any) -> bool:
    if kind == "datatype":
        return _lexical_matters(parameter)
    if kind == "or":
        return any(k == "datatype" and _lexical_matters(p) for k, p in parameter)
    return kind in ("pattern", "minLength", "maxLength") or kind in _RANGES
