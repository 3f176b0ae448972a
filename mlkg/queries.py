"""Named SPARQL queries (queries/*.rq) and running queries with formatted output.

Each ``.rq`` file starts with a header of ``#`` comment lines::

    # title: Models for a task trained on a dataset
    # purpose: what it answers, in one or two sentences
    # parameters: ?task — a task IRI (default: any) ...
    # example: mlkg query models-for-task-and-dataset --param task=<...>

Parameters are SPARQL variables a caller may bind with ``--param name=value`` (substituted with
Oxigraph's SEP-0007 support, so a query without the binding still runs and ranges over all).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import (
    Literal,
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    Variable,
    serialize,
)

from mlkg.errors import NamedQueryNotFoundError
from mlkg.namespaces import PREFIXES
from mlkg.resources import query_files

_HEADER = re.compile(r"^#\s*(?P<key>[a-z]+):\s*(?P<value>.*)$")


@dataclass(frozen=True)
class NamedQuery:
    name: str
    path: Path
    header: dict[str, str]
    text: str

    @property
    def title(self) -> str:
        return self.header.get("title", self.name)


def parse_header(text: str) -> dict[str, str]:
    """The ``# key: value`` lines at the top of a query (continuation lines join the last key)."""
    header: dict[str, str] = {}
    last = None
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        match = _HEADER.match(line)
        if match:
            last = match["key"]
            header[last] = match["value"].strip()
        elif last and line.strip("# "):
            header[last] += " " + line.lstrip("#").strip()
    return header


def named_queries() -> dict[str, NamedQuery]:
    """Every query shipped in queries/, by file stem."""
    result = {}
    for path in query_files():
        text = path.read_text(encoding="utf-8")
        result[path.stem] = NamedQuery(path.stem, path, parse_header(text), text)
    return result


def resolve_query(spec: str) -> str:
    """SPARQL text from a ``.rq`` path, a name in queries/, or inline SPARQL."""
    path = Path(spec)
    if spec.endswith((".rq", ".sparql")) or (
        len(spec) < 300 and "\n" not in spec and path.is_file()
    ):
        if not path.is_file():
            raise NamedQueryNotFoundError(f"no query file {spec}")
        return path.read_text(encoding="utf-8")
    queries = named_queries()
    if spec in queries:
        return queries[spec].text
    if re.fullmatch(r"[\w.-]+", spec):
        raise NamedQueryNotFoundError(
            f"{spec!r} is not a query file or a named query; named queries: "
            + ", ".join(sorted(queries))
        )
    return spec


def parse_term(value: str) -> NamedNode | Literal:
    """A term from the command line: ``<iri>``, ``prefix:local``, a number, or a plain string.

    >>> parse_term("<https://example.org/x>").value
    'https://example.org/x'
    >>> parse_term("mlkg:Model").value
    'https://w3id.org/mlkg/ontology#Model'
    >>> parse_term("0.9").datatype.value
    'http://www.w3.org/2001/XMLSchema#decimal'
    """
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        return NamedNode(value[1:-1])
    if value.startswith(("http://", "https://")):
        return NamedNode(value)
    prefix, _, local = value.partition(":")
    if local and prefix in PREFIXES and " " not in value:
        return NamedNode(PREFIXES[prefix] + local)
    if re.fullmatch(r"[+-]?\d+", value):
        return Literal(value, datatype=NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
    if re.fullmatch(r"[+-]?\d*\.\d+", value):
        return Literal(value, datatype=NamedNode("http://www.w3.org/2001/XMLSchema#decimal"))
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return Literal(value)


def substitutions(params: dict[str, str]) -> dict[Variable, NamedNode | Literal]:
    return {Variable(name.lstrip("?$")): parse_term(value) for name, value in params.items()}


def format_results(result, fmt: str, *, base: str | None = None) -> str:
    """Render a query result as ``table``, ``csv`` or ``json`` (SPARQL 1.1 results formats for
    CSV and JSON; Turtle for CONSTRUCT/DESCRIBE; ``true``/``false`` for ASK in table form).

    In tables, IRIs in a known namespace are shortened to ``prefix:name`` and IRIs under
    ``base`` (the resource base) to ``<path>`` relative to it, so columns stay readable; CSV and
    JSON always carry full IRIs.
    """
    if isinstance(result, QueryBoolean):
        if fmt == "json":
            return json.dumps({"head": {}, "boolean": bool(result)})
        return "true" if result else "false"
    if not isinstance(result, QuerySolutions):  # CONSTRUCT / DESCRIBE triples
        return serialize(result, format=RdfFormat.TURTLE, prefixes=PREFIXES).decode("utf-8")
    if fmt == "json":
        return result.serialize(format=QueryResultsFormat.JSON).decode("utf-8")
    if fmt == "csv":
        return result.serialize(format=QueryResultsFormat.CSV).decode("utf-8")
    variables = [v.value for v in result.variables]
    rows = [[_cell(solution[v], base) for v in variables] for solution in result]
    return render_table(variables, rows)


def _cell(term, base: str | None) -> str:
    if term is None:
        return ""
    if isinstance(term, NamedNode):
        return compact_iri(term.value, base)
    return term.value


def compact_iri(iri: str, base: str | None = None) -> str:
    """``prefix:name`` for known namespaces, ``<path>`` under ``base``, else ``<iri>``.

    >>> compact_iri("https://w3id.org/mlkg/ontology#Model")
    'mlkg:Model'
    >>> compact_iri("https://w3id.org/mlkg/resource/task/x", "https://w3id.org/mlkg/resource/")
    '<task/x>'
    """
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and re.fullmatch(r"[\w.-]*", iri[len(namespace) :]):
            return f"{prefix}:{iri[len(namespace) :]}"
    if base and iri.startswith(base) and len(iri) > len(base):
        return f"<{iri[len(base) :]}>"
    return f"<{iri}>"


def render_table(headers: list[str], rows: list[list[str]], *, max_width: int = 60) -> str:
    """A plain-text table; cells are cut at ``max_width`` and control characters removed."""

    def clean(cell: str) -> str:
        cell = re.sub(r"[\x00-\x1f\x7f]", " ", cell)
        return cell if len(cell) <= max_width else cell[: max_width - 1] + "…"

    rows = [[clean(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    rule = "  ".join("-" * w for w in widths)
    body = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join([line, rule, *body, f"({len(rows)} row{'s' if len(rows) != 1 else ''})"])


def to_csv(headers: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue()
