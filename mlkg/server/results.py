"""Serialising query answers with the row cap: at most N rows, and an honest mark when cut.

The rows are read one past the cap (datasette ``database.py`` ``execute``), so "exactly N rows"
and "more than N rows, cut at N" are told apart. Pyoxigraph serialises a whole ``QuerySolutions``
iterator or nothing, so the four SPARQL results formats of a capped list are written here
(https://www.w3.org/TR/sparql11-results-json/, .../rdf-sparql-XMLres/,
.../sparql11-results-csv-tsv/). Graphs are capped the same way and written by pyoxigraph.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from xml.sax.saxutils import escape, quoteattr

from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    QueryBoolean,
    QuerySolutions,
    Triple,
    serialize,
)

from mlkg.namespaces import PREFIXES
from mlkg.server.negotiation import GRAPH_PYOXIGRAPH, RESULT_PYOXIGRAPH

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
RESULTS_NS = "http://www.w3.org/2005/sparql-results#"


@dataclass(frozen=True)
class Rendered:
    """A complete answer body: produced in full before any byte is sent."""

    body: bytes
    media_type: str
    truncated: bool = False
    rows: int = 0


def take(items: Iterable, cap: int) -> tuple[list, bool]:
    """Up to ``cap`` items and whether there were more (reads one past the cap)."""
    rows = list(islice(items, cap + 1))
    return rows[:cap], len(rows) > cap


def render_solutions(solutions: QuerySolutions, media_type: str, cap: int) -> Rendered:
    variables = [v.value for v in solutions.variables]
    rows, truncated = take(solutions, cap)
    table = [[row[name] for name in variables] for row in rows]
    writer = {
        "application/sparql-results+json": _json,
        "application/sparql-results+xml": _xml,
        "text/csv": _csv,
        "text/tab-separated-values": _tsv,
    }[media_type]
    return Rendered(writer(variables, table, truncated), media_type, truncated, len(rows))


def render_boolean(answer: QueryBoolean, media_type: str) -> Rendered:
    return Rendered(answer.serialize(format=RESULT_PYOXIGRAPH[media_type]), media_type, rows=1)


def render_triples(triples: Iterable[Triple], media_type: str, cap: int) -> Rendered:
    rows, truncated = take(triples, cap)
    prefixes = _used_prefixes(rows) if media_type in {"text/turtle", "application/trig"} else None
    body = serialize(rows, format=GRAPH_PYOXIGRAPH[media_type], prefixes=prefixes)
    return Rendered(body or b"", media_type, truncated, len(rows))


def _used_prefixes(triples: list[Triple]) -> dict[str, str]:
    """The predeclared prefixes whose namespace the triples use (pyoxigraph writes every
    prefix it is given, used or not)."""
    namespaces = set()
    for triple in triples:
        for term in (triple.subject, triple.predicate, triple.object):
            iri = term.datatype.value if isinstance(term, Literal) else getattr(term, "value", "")
            cut = max(iri.rfind("#"), iri.rfind("/"))
            namespaces.add(iri[: cut + 1])
    return {name: iri for name, iri in PREFIXES.items() if iri in namespaces}


# -- the four results formats ------------------------------------------------------------------


def _json_term(term) -> dict:
    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    return {
        "type": "triple",
        "value": {
            "subject": _json_term(term.subject),
            "predicate": _json_term(term.predicate),
            "object": _json_term(term.object),
        },
    }


def _json(variables: list[str], table: list[list], truncated: bool) -> bytes:
    bindings = [
        {
            name: _json_term(term)
            for name, term in zip(variables, row, strict=True)
            if term is not None
        }
        for row in table
    ]
    document: dict = {"head": {"vars": variables}, "results": {"bindings": bindings}}
    if truncated:  # not in the SPARQL JSON format; clients ignore members they do not know
        document["truncated"] = True
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _xml_term(term) -> str:
    if isinstance(term, NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            attr = quoteattr(term.datatype.value)
            return f"<literal datatype={attr}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    return (
        f"<triple><subject>{_xml_term(term.subject)}</subject>"
        f"<predicate>{_xml_term(term.predicate)}</predicate>"
        f"<object>{_xml_term(term.object)}</object></triple>"
    )


def _xml(variables: list[str], table: list[list], truncated: bool) -> bytes:
    def parts() -> Iterator[str]:
        yield f'<?xml version="1.0"?>\n<sparql xmlns="{RESULTS_NS}"><head>'
        yield from (f"<variable name={quoteattr(name)}/>" for name in variables)
        if truncated:
            yield '<link href="/-/limits#max_result_rows"/>'
        yield "</head><results>"
        for row in table:
            yield "<result>"
            for name, term in zip(variables, row, strict=True):
                if term is not None:
                    yield f"<binding name={quoteattr(name)}>{_xml_term(term)}</binding>"
            yield "</result>"
        yield "</results></sparql>\n"

    return "".join(parts()).encode("utf-8")


def _csv_value(term) -> str:
    if term is None:
        return ""
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    if isinstance(term, NamedNode | Literal):
        return term.value
    return str(term)


def _csv(variables: list[str], table: list[list], truncated: bool) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(variables)
    writer.writerows([_csv_value(term) for term in row] for row in table)
    return out.getvalue().encode("utf-8")


def _tsv(variables: list[str], table: list[list], truncated: bool) -> bytes:
    lines = ["\t".join(f"?{name}" for name in variables)]
    lines += ["\t".join("" if term is None else str(term) for term in row) for row in table]
    return ("\n".join(lines) + "\n").encode("utf-8")
