"""pyshacl's literal semantics for the few candidate values SPARQL cannot decide, and term
conversions between rdflib and pyoxigraph.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import rdflib
from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    Triple,
    parse,
)

from mlkg.records import Term
from mlkg.validation._common import _ERASED, _KEPT, _RANGES, _RDF, _RDFS, _XSD

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
