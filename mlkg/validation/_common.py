"""Constants and the compiled forms shared by the validator's modules."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import rdflib
from pyoxigraph import (
    Literal,
    NamedNode,
    Triple,
)

from mlkg.records import Term

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
        from mlkg.validation.sparql import _render

        return _render(self, schema or Schema())

    @cached_property
    def refines(self) -> bool:
        """Whether rows need the Python check of :meth:`is_violation` (literal edge cases)."""
        from mlkg.validation.sparql import _needs_refine

        return _needs_refine(self.kind, self.parameter)

    def is_violation(self, value: Term) -> bool:
        """pyshacl's verdict on a candidate value the query could not settle."""
        from mlkg.validation.semantics import _check_value

        return _check_value(self.kind, self.parameter, value)

    def describe(self) -> str:
        """``sh:message`` if the shape has one, else a generated sentence."""
        from mlkg.validation.report import _generated_message

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
