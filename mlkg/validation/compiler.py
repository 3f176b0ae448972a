"""SHACL shapes to :class:`CompiledConstraint`, refusing what the subset does not cover."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import rdflib
from pyoxigraph import (
    Literal,
    Store,
)

from mlkg.errors import ShapeCompilationError
from mlkg.validation._common import (
    _ALLOWED_PREDICATES,
    _ALLOWED_TYPES,
    _COMPONENTS,
    _NODE_KINDS,
    _RANGES,
    _SEVERITIES,
    SH,
    CompiledConstraint,
    ShapePath,
    Target,
)
from mlkg.validation.semantics import _to_oxigraph

# --------------------------------------------------------------------------- shape compilation


def compile_shapes(shapes: rdflib.Graph | Iterable[str | Path]) -> list[CompiledConstraint]:
    """Compile SHACL shapes (a graph, or Turtle files) into one constraint per query.

    Raises:
        ShapeCompilationError: a shape uses a feature outside the supported subset (the message
            names the shape and the feature); nothing is silently ignored.

    >>> g = rdflib.Graph().parse(format="turtle", data='''
    ...   @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
    ...   ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .
    ... ''')
    >>> [(c.kind, c.parameter, str(c.path)) for c in compile_shapes(g)]
    [('minCount', 1, '<http://example.org/p>')]
    """
    graph = shapes if isinstance(shapes, rdflib.Graph) else _parse_shapes(shapes)
    _reject_unsupported(graph)
    property_targets: dict[rdflib.term.Node, list[Target]] = {}
    constraints: list[CompiledConstraint] = []
    for shape in sorted(_shapes(graph), key=str):
        if _deactivated(graph, shape):
            continue
        targets = _targets(graph, shape)
        if graph.value(shape, SH.path) is None:
            if targets:
                constraints += _compile_shape(graph, shape, tuple(targets), None)
            for prop in graph.objects(shape, SH.property):
                property_targets.setdefault(prop, []).extend(targets)
        elif graph.value(shape, SH.property) is not None:
            raise _fail(shape, "sh:property inside a property shape is not supported")
        else:
            property_targets.setdefault(shape, []).extend(targets)
    for shape, targets in sorted(property_targets.items(), key=lambda item: str(item[0])):
        if targets and not _deactivated(graph, shape):
            path = _path(graph, shape)
            constraints += _compile_shape(graph, shape, tuple(dict.fromkeys(targets)), path)
    return constraints


def _parse_shapes(files: Iterable[str | Path]) -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in files:
        graph.parse(str(path), format=rdflib.util.guess_format(str(path)) or "turtle")
    return graph


def _label(node: rdflib.term.Node) -> str:
    return f"_:{node}" if isinstance(node, rdflib.BNode) else f"<{node}>"


def _fail(shape: rdflib.term.Node, problem: str) -> ShapeCompilationError:
    return ShapeCompilationError(f"shape {_label(shape)}: {problem}")


def _reject_unsupported(graph: rdflib.Graph) -> None:
    """Raise on the first SHACL term outside the subset: on shapes first, then anywhere."""
    for s in sorted(set(graph.subjects(SH.targetNode)), key=str):
        raise _fail(s, "sh:targetNode is not supported by the SPARQL validator")
    shapes = sorted(_shapes(graph), key=str)
    rest = sorted(set(graph.subjects()) - set(shapes), key=str)
    for node in shapes + rest:
        for p, o in sorted(graph.predicate_objects(node)):
            if str(p).startswith(str(SH)) and p not in _ALLOWED_PREDICATES:
                raise _fail(node, f"sh:{p[len(SH) :]} is not supported by the SPARQL validator")
            if p == rdflib.RDF.type and str(o).startswith(str(SH)) and o not in _ALLOWED_TYPES:
                raise _fail(node, f"sh:{o[len(SH) :]} is not supported by the SPARQL validator")


def _shapes(graph: rdflib.Graph) -> set[rdflib.term.Node]:
    found = set(graph.subjects(rdflib.RDF.type, SH.NodeShape))
    found |= set(graph.subjects(rdflib.RDF.type, SH.PropertyShape))
    for predicate in (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.property):
        found |= set(graph.subjects(predicate))
    return found | set(graph.objects(None, SH.property))


def _deactivated(graph: rdflib.Graph, shape: rdflib.term.Node) -> bool:
    value = graph.value(shape, SH.deactivated)
    return isinstance(value, rdflib.Literal) and value.value is True


def _targets(graph: rdflib.Graph, shape: rdflib.term.Node) -> list[Target]:
    targets = []
    for kind, predicate in (
        ("class", SH.targetClass),
        ("subjectsOf", SH.targetSubjectsOf),
        ("objectsOf", SH.targetObjectsOf),
    ):
        for value in graph.objects(shape, predicate):
            if not isinstance(value, rdflib.URIRef):
                raise _fail(shape, f"{predicate.n3(graph.namespace_manager)} must be an IRI")
            targets.append(Target(kind, str(value)))
    class_types = {rdflib.RDFS.Class, rdflib.OWL.Class}
    class_types |= set(graph.subjects(rdflib.RDFS.subClassOf, rdflib.RDFS.Class))
    if isinstance(shape, rdflib.URIRef) and class_types & set(
        graph.objects(shape, rdflib.RDF.type)
    ):
        targets.append(Target("class", str(shape)))  # implicit class target
    return targets


def _path(graph: rdflib.Graph, shape: rdflib.term.Node) -> ShapePath:
    paths = list(graph.objects(shape, SH.path))
    if len(paths) != 1:
        raise _fail(shape, f"a property shape needs exactly one sh:path, found {len(paths)}")
    path = paths[0]
    if isinstance(path, rdflib.URIRef):
        return ShapePath(str(path))
    inverse = list(graph.objects(path, SH.inversePath))
    if (
        len(inverse) == 1
        and isinstance(inverse[0], rdflib.URIRef)
        and len(set(graph.predicate_objects(path))) == 1
    ):
        return ShapePath(str(inverse[0]), inverse=True)
    raise _fail(shape, "only IRI and [ sh:inversePath IRI ] paths are supported")


def _compile_shape(
    graph: rdflib.Graph,
    shape: rdflib.term.Node,
    targets: tuple[Target, ...],
    path: ShapePath | None,
) -> list[CompiledConstraint]:
    base = CompiledConstraint(
        shape=_label(shape),
        kind="",
        parameter=None,
        targets=targets,
        path=path,
        severity=_severity(graph, shape),
        message=_message(graph, shape),
    )
    compiled = []
    for kind in _COMPONENTS:
        values = list(graph.objects(shape, SH[kind]))
        if kind in ("minCount", "maxCount") and values and path is None:
            raise _fail(shape, f"sh:{kind} needs a property shape (sh:path)")
        single = kind in ("minCount", "maxCount", "datatype", "nodeKind", "minLength", "maxLength")
        if single and len(values) > 1:
            raise _fail(shape, f"sh:{kind} must have one value, found {len(values)}")
        for value in sorted(values, key=str):
            parameter = _parameter(graph, shape, kind, value)
            if parameter is not None:
                compiled.append(replace(base, kind=kind, parameter=parameter))
    return compiled


def _parameter(graph: rdflib.Graph, shape: rdflib.term.Node, kind: str, value: Any) -> Any:
    """The Python form of one constraint parameter; ``None`` for one that can never fail."""
    if kind in ("minCount", "maxCount", "minLength", "maxLength"):
        if (
            not (isinstance(value, rdflib.Literal) and isinstance(value.value, int))
            or value.value < 0
        ):
            raise _fail(shape, f"sh:{kind} must be a non-negative integer, not {value.n3()}")
        zero_passes = kind in ("minCount", "minLength") and value.value == 0
        return None if zero_passes else int(value.value)
    if kind in ("datatype", "class"):
        if not isinstance(value, rdflib.URIRef):
            raise _fail(shape, f"sh:{kind} must be an IRI, not {value.n3()}")
        if value == rdflib.RDFS.Datatype:
            raise _fail(shape, "sh:datatype rdfs:Datatype cannot be checked on RDF 1.1 data")
        return str(value)
    if kind == "nodeKind":
        name = str(value)[len(SH) :] if str(value).startswith(str(SH)) else ""
        if name not in _NODE_KINDS:
            raise _fail(shape, f"unknown sh:nodeKind {value.n3()}")
        return name
    if kind == "in":
        return tuple(_to_oxigraph(item) for item in rdflib.collection.Collection(graph, value))
    if kind == "hasValue":
        return _to_oxigraph(value)
    if kind == "pattern":
        return _pattern(graph, shape, value)
    if kind in _RANGES:
        if not isinstance(value, rdflib.Literal):
            raise _fail(shape, f"sh:{kind} must be a literal, not {value.n3()}")
        return value
    return _or_members(graph, shape, value)


def _pattern(graph: rdflib.Graph, shape: rdflib.term.Node, value: Any) -> tuple[str, str]:
    flags = str(graph.value(shape, SH.flags) or "")
    if not isinstance(value, rdflib.Literal) or set(flags) - {"i", "m"}:
        raise _fail(shape, "sh:pattern needs a literal and sh:flags made of 'i' and 'm' only")
    pattern = str(value)
    try:
        re.compile(pattern)
        ok = Store().query(
            f"ASK {{ BIND(REGEX('', {Literal(pattern)}, '{flags}') AS ?x) FILTER(BOUND(?x)) }}"
        )
    except (re.error, SyntaxError) as error:
        raise _fail(shape, f"sh:pattern {pattern!r} is not a usable regex: {error}") from None
    if not bool(ok):
        raise _fail(shape, f"sh:pattern {pattern!r} is not supported by Oxigraph's regex engine")
    return pattern, flags


def _or_members(graph: rdflib.Graph, shape: rdflib.term.Node, value: Any) -> tuple:
    members = []
    for member in rdflib.collection.Collection(graph, value):
        tests = [
            (k, o) for k in ("class", "datatype", "nodeKind") for o in graph.objects(member, SH[k])
        ]
        others = {
            p
            for p in graph.predicates(member)
            if str(p).startswith(str(SH))
            and p not in (SH["class"], SH.datatype, SH.nodeKind)
            and p not in {SH[a] for a in ("name", "description", "message")}
        }
        if len(tests) != 1 or others:
            raise _fail(
                shape,
                "each sh:or member must hold exactly one sh:class, sh:datatype or sh:nodeKind",
            )
        kind, parameter = tests[0]
        members.append((kind, _parameter(graph, member, kind, parameter)))
    return tuple(members)


def _severity(graph: rdflib.Graph, shape: rdflib.term.Node) -> str:
    value = graph.value(shape, SH.severity)
    return "Violation" if value is None else _SEVERITIES.get(value, str(value))


def _message(graph: rdflib.Graph, shape: rdflib.term.Node) -> str | None:
    messages = sorted(
        graph.objects(shape, SH.message),
        key=lambda m: (getattr(m, "language", None) not in (None, "en"), str(m)),
    )
    return str(messages[0]) if messages else None
