"""The records that flow between pipeline stages.

``crawl`` yields :class:`RawRecord` (one per source record, JSON-serialisable, cached as JSON
Lines); ``map`` turns one into a :class:`MappedRecord` (its named graph, triples and warnings);
``validate`` attaches a :class:`Verdict`. Nothing here does I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pyoxigraph import BlankNode, Literal, NamedNode, Quad, RdfFormat, Triple, parse, serialize

Term = NamedNode | BlankNode | Literal


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and compact separators: equal data, equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(value: Any) -> str:
    """``sha256:<hex>`` of :func:`canonical_json`, used to skip unchanged records."""
    return "sha256:" + hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RawRecord:
    """One source record exactly as the zoo gave it.

    Attributes:
        source: the registered source name (``tfhub``, ``pytorch-hub``, ...).
        id: the record's id within the source, stable across crawls (a path or a zoo id).
        data: the zoo's own content as JSON-compatible data (text of a markdown page, API JSON...).
        location: where it was read from: a URL or a path, kept as provenance.
        fetched_at: ISO 8601 time of the fetch.
    """

    source: str
    id: str
    data: dict[str, Any]
    location: str = ""
    fetched_at: str = ""

    @property
    def content_hash(self) -> str:
        return content_hash(self.data)

    def to_json(self) -> str:
        return canonical_json(
            {
                "source": self.source,
                "id": self.id,
                "location": self.location,
                "fetched_at": self.fetched_at,
                "data": self.data,
            }
        )

    @classmethod
    def from_json(cls, line: str) -> RawRecord:
        obj = json.loads(line)
        return cls(
            source=obj["source"],
            id=obj["id"],
            data=obj["data"],
            location=obj.get("location", ""),
            fetched_at=obj.get("fetched_at", ""),
        )


@dataclass
class MappedRecord:
    """The RDF of one source record: the triples of its named graph, and what looked wrong.

    ``subject`` is the record's main resource (the model, publisher or collection page);
    ``topics`` every resource the record itself describes (default: just ``subject``), as opposed
    to the stubs it emits for resources described by other records;
    ``warnings`` are human-readable notes about values that were dropped or repaired;
    ``error`` is set when the record could not be mapped at all (it is then quarantined);
    ``content_hash`` is the raw record's hash, set by the pipeline to skip unchanged records;
    ``documents`` its search documents when they were built beside the mapping (in a worker
    process), else None: built when the record is indexed.

    A record pickles its triples as N-Triples text: pyoxigraph writes and parses that about
    twenty times faster than it pickles terms one by one, which is what makes mapping in worker
    processes pay off.
    """

    source: str
    record_id: str
    graph: NamedNode
    subject: NamedNode | None = None
    topics: list[NamedNode] = field(default_factory=list)
    triples: list[Triple] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    content_hash: str = ""
    documents: list[Any] | None = field(default=None, compare=False, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_quads", None)
        state["triples"] = serialize(self.triples, format=RdfFormat.N_TRIPLES)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        data: bytes = state.pop("triples")
        self.__dict__.update(state)
        # Parsed as N-Quads in the record's graph, the quads the store needs come for free:
        # an N-Triples line ends with " .\n" and nowhere else (newlines in literals are escaped).
        in_graph = data.replace(b" .\n", f" <{self.graph.value}> .\n".encode())
        self._quads = list(parse(in_graph, format=RdfFormat.N_QUADS))
        self.triples = [quad.triple for quad in self._quads]

    def add(self, subject: NamedNode | BlankNode, predicate: NamedNode, obj: Term | None) -> None:
        """Add a triple; a ``None`` object (a value the term helpers rejected) is skipped."""
        if obj is not None:
            self.triples.append(Triple(subject, predicate, obj))
            self.__dict__.pop("_quads", None)

    def add_all(
        self, subject: NamedNode | BlankNode, predicate: NamedNode, objects: Iterable[Term | None]
    ) -> None:
        for obj in objects:
            self.add(subject, predicate, obj)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def quads(self) -> list[Quad]:
        """The triples in the record's graph, each once."""
        parsed = self.__dict__.get("_quads")
        if parsed is not None and len(parsed) == len(self.triples):
            return list(dict.fromkeys(parsed))
        return [
            Quad(t.subject, t.predicate, t.object, self.graph) for t in dict.fromkeys(self.triples)
        ]


@dataclass(frozen=True)
class Violation:
    """One SHACL validation result, reduced to what a user needs to fix the record."""

    focus: str
    path: str | None
    constraint: str
    message: str
    value: str | None = None
    shape: str | None = None
    severity: str = "Violation"


@dataclass
class Verdict:
    """The validation outcome of one mapped record."""

    record: MappedRecord
    violations: list[Violation] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.record.error is None and not any(
            v.severity == "Violation" for v in self.violations
        )
