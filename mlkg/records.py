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

from pyoxigraph import BlankNode, Literal, NamedNode, Quad, Triple

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
    ``content_hash`` is the raw record's hash, set by the pipeline to skip unchanged records.
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

    def add(self, subject: NamedNode | BlankNode, predicate: NamedNode, obj: Term | None) -> None:
        """Add a triple; a ``None`` object (a value the term helpers rejected) is skipped."""
        if obj is not None:
            self.triples.append(Triple(subject, predicate, obj))

    def add_all(
        self, subject: NamedNode | BlankNode, predicate: NamedNode, objects: Iterable[Term | None]
    ) -> None:
        for obj in objects:
            self.add(subject, predicate, obj)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def quads(self) -> list[Quad]:
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
