"""SHACL validation compiled to SPARQL and run in an in-memory Oxigraph store.

pyshacl walks the graph node by node in Python; over the Hub's millions of records that takes
hours. Here each SHACL constraint is compiled once into ONE SPARQL ``SELECT`` that finds every
violation of that constraint across a whole batch of records at once, so the work runs in
Oxigraph's Rust query engine and Python only touches the (few) violations.

Semantics: each record is validated *as if alone*: its named graph together with the
*background* (ontology + SKOS vocabularies), exactly what pyshacl reports for that record's graph
merged with the background, restricted to focus nodes that occur in the record's graph (nodes of
the background that a record never mentions are validated once, against the background alone, and
reported as :attr:`Validator.background_violations`). Physically, a batch is one store: every
record's triples in its own named graph and the background in :data:`BACKGROUND_GRAPH`. Every
query reads a focus node's values and types from ``GRAPH ?g`` (its own record) and the background
graph only, never from another record's graph, so a stub typed in record A cannot satisfy a
check in record B.

Supported SHACL Core subset (anything else raises :class:`~mlkg.errors.ShapeCompilationError`):
node shapes with ``sh:targetClass`` (instances of subclasses too, and implicit class targets),
``sh:targetSubjectsOf``, ``sh:targetObjectsOf``; ``sh:property`` with ``sh:path`` an IRI or
``[ sh:inversePath IRI ]``; ``sh:minCount``, ``sh:maxCount``, ``sh:datatype``, ``sh:class``,
``sh:nodeKind``, ``sh:in``, ``sh:hasValue``, ``sh:pattern`` (+ ``sh:flags`` ``i``/``m``),
``sh:min/maxInclusive``, ``sh:min/maxExclusive``, ``sh:min/maxLength``, ``sh:or`` of shapes that
each hold exactly one ``sh:class``/``sh:datatype``/``sh:nodeKind``; value-type constraints on a
node shape's focus node itself; ``sh:severity``, ``sh:message``, ``sh:deactivated``.

Queries (see :func:`_render`): a value check starts from the path's triples in the record graphs,
keeps bad values, then tests with ``EXISTS`` that the subject is a focus node of that graph, so
the usual, valid batch costs one index scan per constraint; ``sh:minCount``/``sh:hasValue``
enumerate focus nodes and test ``NOT EXISTS``. Subclass closures are inlined as IRI lists
(:class:`Schema`), and the background graph is only consulted where it holds matching triples.
Where Oxigraph's and rdflib's views of a literal differ (is ``"1_0"^^xsd:double`` well typed?
does ``"1"^^xsd:double`` match ``\\.``?), the query keeps the value as a *candidate* and a small
Python check reproduces pyshacl's rdflib semantics for it.

Known differences from pyshacl (none arises with literals written by :mod:`mlkg.rdf`):

* Term identity is RDF's, as Oxigraph stores it. rdflib rewrites some non-canonical literals
  (``" 7"^^xsd:integer`` becomes ``"7"``, ``"yes"^^xsd:boolean`` becomes ``"false"``, a bare date
  typed ``xsd:dateTime`` gains ``T00:00:00``) and then treats them as equal to the rewritten term,
  in data and in ``sh:in``/``sh:hasValue`` constants. Counts and equality can differ for such
  literals.
* Oxigraph turns ``T24:00:00`` into the next day, so such a dateTime is well typed here.
* ``sh:pattern`` runs in Oxigraph's regex engine: look-around and back-references are rejected
  when compiling, and ``$`` does not match before a final newline as in Python.
* Blank-node classes in the class hierarchy are ignored.

Spec: https://www.w3.org/TR/shacl/ ; reference implementation in the tests: pyshacl.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

import rdflib
from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    Quad,
    RdfFormat,
    Store,
    Triple,
    parse,
    serialize,
)

from mlkg import resources
from mlkg.errors import ShapeCompilationError
from mlkg.namespaces import PREFIXES
from mlkg.records import MappedRecord, Term, Verdict, Violation

logger = logging.getLogger(__name__)

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
_XSD = "http://www.w3.org/2001/XMLSchema#"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
RDF_TYPE = _RDF + "type"
SUBCLASS_OF = _RDFS + "subClassOf"

#: The named graph holding the background (ontology + vocabularies) in a batch store.
BACKGROUND_GRAPH = NamedNode("urn:x-mlkg:validation:background")
_BG = BACKGROUND_GRAPH.value

#: Records per batch store. Each query's fixed cost (parse, plan, ~0.1 ms) is shared by the
#: batch and its running time is linear in the batch, so bigger batches help up to ~2,000
#: records (the pipeline's chunk size); beyond, throughput is flat. Memory: Oxigraph's in-memory
#: store takes ~350 bytes per quad (six indexes plus the term dictionary), so 2,000 records of
#: ~35 triples cost ~25 MB on top of the background.
DEFAULT_BATCH_SIZE = 2000

# Oxigraph stores these datatypes as xsd:integer / xsd:dateTime, losing the datatype IRI that
# sh:datatype checks, and writes xsd:decimal "1.50" as "1.5" where rdflib keeps "1.50" (which
# sh:pattern and sh:maxLength see); such literals get a private datatype in the batch store.
_ERASED = {
    f"{_XSD}{name}"
    for name in (
        *("long", "int", "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort"),
        *("unsignedByte", "nonNegativeInteger", "positiveInteger", "nonPositiveInteger"),
        *("negativeInteger", "dateTimeStamp", "decimal"),
    )
}
_KEPT = "urn:x-mlkg:validation:datatype:"
# In N-Triples text: a literal with one of the erased datatypes (a plain prefix, so re is fast).
_ERASED_LITERAL = re.compile(
    rb"XMLSchema#(?:" + "|".join(sorted(_ERASED)).replace(_XSD, "").encode() + rb")>"
)

# Lexical forms that rdflib (hence pyshacl) surely accepts; anything else is checked in Python.
_NUMBER = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"
_STRICT_LEXICAL = {
    _XSD + "boolean": "^(true|false|1|0)$",
    _XSD + "integer": "^[+-]?[0-9]+$",
    _XSD + "decimal": f"^{_NUMBER}$",
    _XSD + "double": f"^({_NUMBER}([eE][+-]?[0-9]+)?|[+-]?INF|NaN)$",
    _XSD + "float": f"^({_NUMBER}([eE][+-]?[0-9]+)?|[+-]?INF|NaN)$",
    _XSD + "dateTime": (
        "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?$"
    ),
    _XSD + "date": "^[0-9]{4}-[0-9]{2}-[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?$",
}
# Datatypes whose lexical form rdflib keeps as written (no parsing, no normalisation).
_VERBATIM = {_XSD + "string", _RDF + "langString", _XSD + "anyURI", _XSD + "language"}

_NODE_KINDS = {
    "IRI": "isIRI(?v)",
    "BlankNode": "isBlank(?v)",
    "Literal": "isLiteral(?v)",
    "BlankNodeOrIRI": "!isLiteral(?v)",
    "BlankNodeOrLiteral": "!isIRI(?v)",
    "IRIOrLiteral": "!isBlank(?v)",
}
_RANGES = {"minInclusive": ">=", "maxInclusive": "<=", "minExclusive": ">", "maxExclusive": "<"}
_VALUE_KINDS = [
    *("datatype", "class", "nodeKind", "in", "pattern", "minLength", "maxLength", "or"),
    *("hasValue", *_RANGES),
]
_COMPONENTS = [*_VALUE_KINDS, "minCount", "maxCount"]
_ALLOWED_PREDICATES = {
    SH[name]
    for name in (
        *_COMPONENTS,
        *("name", "description", "order", "group", "defaultValue", "message", "severity"),
        *("deactivated", "targetClass", "targetSubjectsOf", "targetObjectsOf", "property"),
        *("path", "inversePath", "flags", "declare", "prefix", "namespace", "prefixes"),
    )
}
_ALLOWED_TYPES = {SH.NodeShape, SH.PropertyShape, SH.Shape, SH.PrefixDeclaration}
_SEVERITIES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}


# --------------------------------------------------------------------------- compiled shapes


@dataclass(frozen=True)
class ShapePath:
    """A property shape's path: one predicate, optionally inverse (``^<p>``)."""

    predicate: str
    inverse: bool = False

    def __str__(self) -> str:
        return ("^" if self.inverse else "") + f"<{self.predicate}>"


@dataclass(frozen=True)
class Target:
    """One target declaration: ``kind`` is ``class``, ``subjectsOf`` or ``objectsOf``."""

    kind: str
    iri: str


@dataclass(frozen=True)
class CompiledConstraint:
    """One constraint of one shape, ready to become one SPARQL query.

    ``kind`` is the SHACL parameter name (``minCount``, ``datatype``, ...); ``parameter`` its
    value as Python data (an int, an IRI string, a tuple of terms, ...). ``path`` is ``None``
    for a constraint on the focus node itself.
    """

    shape: str
    kind: str
    parameter: Any
    targets: tuple[Target, ...]
    path: ShapePath | None = None
    severity: str = "Violation"
    message: str | None = None

    @property
    def component(self) -> str:
        """The IRI of the SHACL constraint component (``sh:MinCountConstraintComponent``...)."""
        name = "Class" if self.kind == "class" else self.kind[0].upper() + self.kind[1:]
        return f"{SH}{name}ConstraintComponent"

    def sparql(self, schema: Schema | None = None) -> str:
        """The query returning ``?g ?this ?v`` for every violation (candidate) in a batch."""
        return _render(self, schema or Schema())

    @cached_property
    def refines(self) -> bool:
        """Whether rows need the Python check of :meth:`is_violation` (literal edge cases)."""
        return _needs_refine(self.kind, self.parameter)

    def is_violation(self, value: Term) -> bool:
        """pyshacl's verdict on a candidate value the query could not settle."""
        return _check_value(self.kind, self.parameter, value)

    def describe(self) -> str:
        """``sh:message`` if the shape has one, else a generated sentence."""
        return self.message or _generated_message(self)


@dataclass(frozen=True)
class Schema:
    """What queries must know about the background: class hierarchy, typed classes, predicates.

    Subclass closures are inlined into queries as ``VALUES`` lists (no property paths over two
    graphs), and union branches into the background are only emitted where it has matching
    triples, so common queries touch only the record graphs.
    """

    subclass_edges: frozenset[tuple[str, str]] = frozenset()
    typed_classes: frozenset[str] = frozenset()
    predicates: frozenset[str] = frozenset()

    @classmethod
    def from_triples(cls, triples: Iterable[Triple]) -> Schema:
        edges, typed, predicates = set(), set(), set()
        for t in triples:
            predicates.add(t.predicate.value)
            if t.predicate.value == SUBCLASS_OF and isinstance(t.object, NamedNode):
                edges.add((_node_key(t.subject), t.object.value))
            elif t.predicate.value == RDF_TYPE and not isinstance(t.object, Literal):
                typed.add(_node_key(t.object))
        return cls(frozenset(edges), frozenset(typed), frozenset(predicates))

    def with_subclass_edges(self, edges: Iterable[tuple[str, str]]) -> Schema:
        return replace(self, subclass_edges=self.subclass_edges | frozenset(edges))

    def subclasses(self, cls: str) -> list[str]:
        """``cls`` and every class below it (``rdfs:subClassOf*``), sorted."""
        children: dict[str, set[str]] = {}
        for sub, sup in self.subclass_edges:
            children.setdefault(sup, set()).add(sub)
        found, todo = {cls}, [cls]
        while todo:
            for sub in children.get(todo.pop(), ()):
                if sub not in found:
                    found.add(sub)
                    todo.append(sub)
        return sorted(found)


def _node_key(term: Term) -> str:
    return term.value if isinstance(term, NamedNode) else str(term)


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


# --------------------------------------------------------------------------- pyshacl semantics


def _check_value(kind: str, parameter: Any, value: Term) -> bool:
    """True where pyshacl reports ``value`` as a violation (for candidates the query kept)."""
    if kind == "datatype":
        return not _datatype_matches(value, parameter)
    if kind == "or":
        # The query already proved that every sh:class and sh:nodeKind member fails.
        return not any(k == "datatype" and _datatype_matches(value, p) for k, p in parameter)
    if kind in _RANGES:
        return not _in_range(value, kind, parameter)
    text = _rdflib_text(value)
    if text is None:
        return True
    if kind == "pattern":
        flags = (re.I if "i" in parameter[1] else 0) | (re.M if "m" in parameter[1] else 0)
        return re.search(parameter[0], text, flags) is None
    if kind == "minLength":
        return len(text) < parameter
    if kind == "maxLength":
        return len(text) > parameter
    return True


_PYTHON_TYPES: dict[str, type | tuple[type, ...]] = {
    _XSD + "string": (str, bytes),
    _RDF + "langString": (str, bytes),
    _XSD + "integer": int,
    _XSD + "float": float,
    _XSD + "decimal": Decimal,
    _XSD + "boolean": bool,
    _XSD + "date": dt.date,
    _XSD + "time": dt.time,
    _XSD + "dateTime": dt.datetime,
}


def _datatype_matches(value: Term, datatype: str) -> bool:
    """pyshacl's DatatypeConstraintComponent on one value (rdflib decides well-typedness)."""
    if not isinstance(value, Literal):
        return False
    literal = _to_rdflib(value)
    if literal.datatype is not None and str(literal.datatype) == datatype:
        if literal.ill_typed:
            return False
        expected = _PYTHON_TYPES.get(datatype)
        return expected is None or isinstance(literal.value, expected)
    if datatype == _RDFS + "Literal":
        return True
    if literal.datatype is None and literal.language is None:
        return datatype == _XSD + "string"
    return datatype == _RDF + "langString" and bool(literal.language)


def _in_range(value: Term, kind: str, bound: rdflib.Literal) -> bool:
    """pyshacl's value-range components (rdflib comparison, strings only with strings)."""
    if not isinstance(value, Literal):
        return False
    literal = _to_rdflib(value)
    if isinstance(literal.value, str) != isinstance(bound.value, str):
        return False
    try:
        order = _compare_literal(literal, bound)
    except (TypeError, NotImplementedError):
        return False
    return {
        "minInclusive": order >= 0,
        "minExclusive": order > 0,
        "maxInclusive": order <= 0,
        "maxExclusive": order < 0,
    }[kind]


def _compare_literal(left: rdflib.Literal, right: rdflib.Literal) -> int:
    # As pyshacl.rdfutil.compare.compare_literal: datetimes compare by value, without
    # rdflib's total-order casters.
    if left.eq(right):
        return 0
    if left.value.__class__ in (dt.datetime, dt.time):
        if left.value == right.value:
            return 0
        if left.value > right.value:
            return 1
    elif left > right:
        return 1
    return -1


def _rdflib_text(value: Term) -> str | None:
    """``str()`` of the value as pyshacl sees it: rdflib normalises typed lexical forms."""
    if isinstance(value, BlankNode):
        return None
    if isinstance(value, NamedNode):
        return value.value
    return str(_to_rdflib(value))


# --------------------------------------------------------------------------- term conversions


def _kept_datatype(datatype: str) -> str:
    return _KEPT + datatype if datatype in _ERASED else datatype


def _kept(term: Term) -> Term:
    """The term as stored in a batch store (see ``_ERASED``)."""
    if isinstance(term, Literal) and term.datatype.value in _ERASED:
        return Literal(term.value, datatype=NamedNode(_KEPT + term.datatype.value))
    return term


def _restore(term: Term) -> Term:
    if isinstance(term, Literal) and term.datatype.value.startswith(_KEPT):
        return Literal(term.value, datatype=NamedNode(term.datatype.value[len(_KEPT) :]))
    return term


def _to_oxigraph(term: rdflib.term.Node) -> Term:
    if isinstance(term, rdflib.BNode):
        return BlankNode(str(term))
    if not isinstance(term, rdflib.Literal):
        return NamedNode(str(term))
    if term.language:
        return Literal(str(term), language=term.language)
    return Literal(str(term), datatype=NamedNode(str(term.datatype or _XSD + "string")))


def _to_rdflib(term: Term) -> Any:
    """The rdflib term a parser would build for ``term`` (plain for ``xsd:string``)."""
    if isinstance(term, NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    if term.datatype.value == _XSD + "string":
        return rdflib.Literal(term.value)
    with _quiet_rdflib():
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


@contextmanager
def _quiet_rdflib() -> Iterator[None]:
    """rdflib logs a traceback for every ill-typed literal; those are expected here."""
    log = logging.getLogger("rdflib.term")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(level)


def _read_triples(source: rdflib.Graph | Iterable[str | Path | Triple]) -> list[Triple]:
    if isinstance(source, rdflib.Graph):
        return [Triple(*(_to_oxigraph(term) for term in t)) for t in source]
    triples: list[Triple] = []
    for item in source:
        if isinstance(item, Triple):
            triples.append(item)
        else:
            triples.extend(quad.triple for quad in parse(path=str(item)))
    return triples


# --------------------------------------------------------------------------- the validator


class Validator:
    """Validates mapped records against SHACL shapes, many records per SPARQL query.

    Built once per run: the shapes are compiled to queries and the background (ontology +
    vocabularies) is read once. Each batch of :meth:`validate` is a fresh in-memory store holding
    the background and the batch's record graphs, and every compiled query runs once over it.
    Memory: the background plus one batch, about 350 bytes per quad (~25 MB for the default
    2,000 records of ~35 triples), released after the batch.

    Args:
        shapes: a shapes graph or Turtle files (default: ``mlkg.resources.shape_files()``).
        background: an rdflib graph, RDF files or triples (default: the ontology files).
        batch_size: records per batch store.
        workers: queries run in parallel (default: the CPU count, at most 4).

    Raises:
        ShapeCompilationError: a shape uses a SHACL feature outside the supported subset.

    >>> validator = Validator(shapes=[], background=[])
    >>> [verdict.accepted for verdict in validator.validate([])]
    []
    """

    def __init__(
        self,
        shapes: rdflib.Graph | Iterable[str | Path] | None = None,
        background: rdflib.Graph | Iterable[str | Path | Triple] | None = None,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        workers: int | None = None,
    ) -> None:
        self.batch_size = batch_size
        self.workers = workers or min(4, os.cpu_count() or 1)
        self.constraints = compile_shapes(resources.shape_files() if shapes is None else shapes)
        self.background_triples = _read_triples(
            resources.ontology_files() if background is None else background
        )
        self.schema = Schema.from_triples(self.background_triples)
        self._queries = self._render(self.schema)
        self._background_quads = [
            Quad(t.subject, t.predicate, _kept(t.object), BACKGROUND_GRAPH)
            for t in self.background_triples
        ]
        #: Results on background nodes, validated once against the background alone.
        self.background_violations = self.validate_graph(self.background_triples)
        if self.background_violations:
            logger.warning(
                "the background itself has %d SHACL results, e.g. %s: %s",
                len(self.background_violations),
                self.background_violations[0].focus,
                self.background_violations[0].message,
            )

    def __repr__(self) -> str:
        return (
            f"<Validator {len(self.constraints)} constraints, "
            f"{len(self.background_triples)} background triples>"
        )

    def validate(self, records: Sequence[MappedRecord]) -> list[Verdict]:
        """One :class:`Verdict` per record, in order; records with ``error`` are not run."""
        verdicts = [Verdict(record) for record in records]
        for batch, schema in self._batches(records):
            found = self._run_batch([records[i] for i in batch], schema)
            for i, violations in zip(batch, found, strict=True):
                verdicts[i].violations = violations
        return verdicts

    def validate_graph(self, graph: rdflib.Graph | Iterable[Triple]) -> list[Violation]:
        """The results for one graph (validated with the background, like one record)."""
        record = MappedRecord(
            source="graph",
            record_id="graph",
            graph=NamedNode("urn:x-mlkg:validation:graph"),
            triples=_read_triples(graph),
        )
        return self.validate([record])[0].violations

    def _render(self, schema: Schema) -> list[tuple[CompiledConstraint, str]]:
        return [(c, c.sparql(schema)) for c in self.constraints]

    def _batches(
        self, records: Sequence[MappedRecord]
    ) -> Iterator[tuple[list[int], Schema | None]]:
        """Indexes of records per batch; a record declaring subclasses runs alone."""
        batch: list[int] = []
        graphs: set[NamedNode] = set()
        for i, record in enumerate(records):
            if record.error is not None:
                continue
            edges = {
                (_node_key(t.subject), t.object.value)
                for t in record.triples
                if t.predicate.value == SUBCLASS_OF and isinstance(t.object, NamedNode)
            }
            if edges:
                yield [i], self.schema.with_subclass_edges(edges)
                continue
            if len(batch) >= self.batch_size or record.graph in graphs:
                yield batch, None
                batch, graphs = [], set()
            batch.append(i)
            graphs.add(record.graph)
        if batch:
            yield batch, None

    def _run_batch(
        self, records: list[MappedRecord], schema: Schema | None
    ) -> list[list[Violation]]:
        queries = self._queries if schema is None else self._render(schema)
        index = {record.graph: k for k, record in enumerate(records)}
        found: list[dict[Violation, None]] = [{} for _ in records]
        # A fresh store per batch: the in-memory store keeps the memory of removed quads.
        store = Store()
        store.extend(self._background_quads)
        _load_batch(store, records)
        # Oxigraph releases the GIL while it evaluates, so queries run side by side.
        with _quiet_rdflib(), ThreadPoolExecutor(self.workers) as pool:
            for rows in pool.map(lambda cq: list(self._run_query(store, *cq)), queries):
                for graph, violation in rows:
                    found[index[graph]][violation] = None
        return [list(violations) for violations in found]

    def _run_query(
        self, store: Store, c: CompiledConstraint, query: str
    ) -> Iterator[tuple[Term, Violation]]:
        has_value = c.kind in _VALUE_KINDS and not (c.kind == "hasValue" and c.path is not None)
        message = c.describe()
        for row in store.query(query):
            value = _restore(row[2]) if has_value else None
            if value is not None and c.refines and not c.is_violation(value):
                continue
            yield (
                row[0],
                Violation(
                    focus=str(_restore(row[1])),
                    path=None if c.path is None else str(c.path),
                    constraint=c.component,
                    message=message,
                    value=None if value is None else str(value),
                    shape=c.shape,
                    severity=c.severity,
                ),
            )


def _load_batch(store: Store, records: Iterable[MappedRecord]) -> None:
    """Add each record's triples to its named graph.

    Serialising to N-Triples and parsing in Rust is ~2x faster than building one Python Quad
    per triple, but the parser renames blank nodes and Oxigraph erases some datatypes, so
    records with either (found by a cheap search of the N-Triples text) take the exact path.
    """
    exact = []
    for record in records:
        data = serialize(record.triples, format=RdfFormat.N_TRIPLES)
        if b"_:" in data or _ERASED_LITERAL.search(data):
            exact.append(record)
            continue
        try:
            store.load(data, RdfFormat.N_TRIPLES, to_graph=record.graph)
        except SyntaxError:
            exact.append(record)
    store.extend(
        Quad(t.subject, t.predicate, _kept(t.object), record.graph)
        for record in exact
        for t in record.triples
    )


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
