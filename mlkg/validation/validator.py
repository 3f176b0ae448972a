"""The :class:`Validator`: batches of records in an in-memory store, one query per constraint."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import rdflib
from pyoxigraph import (
    NamedNode,
    Quad,
    RdfFormat,
    Store,
    Triple,
    serialize,
)

from mlkg import resources
from mlkg.records import MappedRecord, Term, Verdict, Violation
from mlkg.validation._common import (
    _ERASED_LITERAL,
    _VALUE_KINDS,
    BACKGROUND_GRAPH,
    DEFAULT_BATCH_SIZE,
    SUBCLASS_OF,
    CompiledConstraint,
    Schema,
    _node_key,
)
from mlkg.validation.compiler import compile_shapes
from mlkg.validation.semantics import _kept, _quiet_rdflib, _read_triples, _restore

logger = logging.getLogger(__name__)

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
