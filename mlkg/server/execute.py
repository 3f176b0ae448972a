"""What runs inside a worker process: jobs in, complete answers out.

A *reader* worker answers queries and graph reads from the current snapshot
(:mod:`mlkg.snapshots`), switching to a newer one between jobs. The *writer* worker runs SPARQL
updates and Graph Store writes on the live store, opened read-write for one job at a time, then
publishes a new snapshot. Either may be killed mid-job by the server when a job exceeds the
timeout: a reader loses nothing, and the writer's transaction never commits (Oxigraph updates
are transactional), so the store keeps its previous state.

This module imports no Flask: workers start fast and stay small.
"""

from __future__ import annotations

import logging
import signal
import sys
import uuid
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

from pyoxigraph import (
    DefaultGraph,
    NamedNode,
    Quad,
    QueryBoolean,
    QuerySolutions,
    RdfFormat,
    Store,
    parse,
)

from mlkg.config import Settings
from mlkg.errors import StoreError
from mlkg.namespaces import PREFIXES
from mlkg.server.results import (
    Rendered,
    render_boolean,
    render_solutions,
    render_triples,
)
from mlkg.server.sparql_text import has_dataset_clause
from mlkg.snapshots import (
    SnapshotLease,
    current_sequence,
    publish_snapshot,
    remove_unused_snapshots,
)

logger = logging.getLogger(__name__)

#: Seconds a client is told to wait when a build holds the store.
BUSY_RETRY_AFTER = 30


@dataclass(frozen=True)
class QueryJob:
    """A SPARQL query with its protocol dataset and the formats the client accepts.

    ``default_graph``/``named_graphs`` are None when the request gave no dataset: the default
    graph is then the union of all graphs (unless the query has its own ``FROM``).
    ``*_type`` are the negotiated media types, None when the client accepts none of them.
    """

    query: str
    base_iri: str | None
    default_graph: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    results_type: str | None
    boolean_type: str | None
    graph_type: str | None
    max_rows: int


@dataclass(frozen=True)
class GraphReadJob:
    """Graph Store GET/HEAD: one graph (None: the default graph) in ``media_type``."""

    graph: str | None
    media_type: str
    max_rows: int


@dataclass(frozen=True)
class UpdateJob:
    update: str
    base_iri: str | None


@dataclass(frozen=True)
class GraphWriteJob:
    """Graph Store PUT/POST/DELETE. ``graph`` None is the default graph; ``create`` mints one.

    ``parts`` are (body, RDF format media type) pairs, several for a multipart POST.
    """

    method: str
    graph: str | None
    parts: tuple[tuple[bytes, str], ...] = ()
    base_iri: str | None = None
    create: bool = False

    def quads_in(self, graph: NamedNode | DefaultGraph) -> list[Quad]:
        """The parts' triples placed in ``graph``; raises SyntaxError on a malformed part."""
        return [
            Quad(t.subject, t.predicate, t.object, graph)
            for body, media_type in self.parts
            for t in parse(body, RdfFormat.from_media_type(media_type), base_iri=self.base_iri)
        ]


Job = QueryJob | GraphReadJob | UpdateJob | GraphWriteJob


@dataclass(frozen=True)
class Outcome:
    """A job's complete answer (or error), sent back whole over the pipe."""

    status: int
    body: bytes = b""
    media_type: str | None = None
    truncated: bool = False
    message: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def error(cls, status: int, message: str, **headers: str) -> Outcome:
        return cls(status, message=message, headers=headers)

    @classmethod
    def of(cls, rendered: Rendered) -> Outcome:
        return cls(200, rendered.body, rendered.media_type, rendered.truncated)


# -- readers -----------------------------------------------------------------------------------


class SnapshotReader:
    """A worker's read-only view of the current snapshot, reopened when CURRENT moves."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.lease: SnapshotLease | None = None
        self.store: Store | None = None

    def current(self) -> Store:
        sequence = current_sequence(self.settings)
        if self.store is None or self.lease is None or sequence != self.lease.sequence:
            self._switch()
        assert self.store is not None
        return self.store

    def _switch(self) -> None:
        lease = SnapshotLease.acquire(self.settings)  # raises StoreError when none exists
        store = Store.read_only(str(lease.store_path))
        had_one = self.lease is not None
        self.close()
        self.lease, self.store = lease, store
        if had_one:  # the snapshot we left may now be unused: free its disk space
            remove_unused_snapshots(self.settings)

    def close(self) -> None:
        self.store = None  # drops the RocksDB handle before the lease goes
        if self.lease is not None:
            self.lease.release()
            self.lease = None


def run_query(store: Store, job: QueryJob) -> Outcome:
    try:
        result = store.query(job.query, **_dataset_arguments(job))
        if isinstance(result, QueryBoolean):
            if job.boolean_type is None:
                return _not_acceptable("an ASK query's boolean result")
            return Outcome.of(render_boolean(result, job.boolean_type))
        if isinstance(result, QuerySolutions):
            if job.results_type is None:
                return _not_acceptable("SELECT query results")
            return Outcome.of(render_solutions(result, job.results_type, job.max_rows))
        if job.graph_type is None:
            return _not_acceptable("a CONSTRUCT/DESCRIBE query's graph")
        return Outcome.of(render_triples(result, job.graph_type, job.max_rows))
    except SyntaxError as exc:
        return Outcome.error(400, f"SPARQL query syntax error: {exc}")
    except ValueError as exc:
        return Outcome.error(400, f"cannot run the query: {exc}")


def _dataset_arguments(job: QueryJob) -> dict:
    arguments: dict = {"base_iri": job.base_iri, "prefixes": PREFIXES}
    if job.default_graph is not None or job.named_graphs is not None:
        # The protocol's dataset replaces the query's FROM / FROM NAMED.
        arguments["default_graph"] = [NamedNode(g) for g in job.default_graph or ()]
        arguments["named_graphs"] = [NamedNode(g) for g in job.named_graphs or ()]
    elif not has_dataset_clause(job.query):
        arguments["use_default_graph_as_union"] = True
    return arguments


def _not_acceptable(what: str) -> Outcome:
    return Outcome.error(406, f"none of the formats in Accept can carry {what}")


def read_graph(store: Store, job: GraphReadJob) -> Outcome:
    graph = DefaultGraph() if job.graph is None else NamedNode(job.graph)
    if job.graph is not None and not store.contains_named_graph(graph):
        return Outcome.error(404, f"no graph <{job.graph}> in the store")
    triples = (q.triple for q in store.quads_for_pattern(None, None, None, graph))
    return Outcome.of(render_triples(triples, job.media_type, job.max_rows))


# -- the writer --------------------------------------------------------------------------------


def run_update(store: Store, job: UpdateJob) -> Outcome:
    try:
        store.update(job.update, base_iri=job.base_iri, prefixes=PREFIXES)
    except SyntaxError as exc:
        return Outcome.error(400, f"SPARQL update syntax error: {exc}")
    return Outcome(204)


def write_graph(store: Store, job: GraphWriteJob, settings: Settings) -> Outcome:
    name = job.graph
    if job.create:
        name = settings.iris.resource(f"graph/store/{uuid.uuid4()}").value
    graph = DefaultGraph() if name is None else NamedNode(name)
    existed = name is None or store.contains_named_graph(graph)
    if job.method == "DELETE":
        if not existed:
            return Outcome.error(404, f"no graph <{name}> in the store")
        store.update("CLEAR SILENT DEFAULT" if name is None else f"DROP SILENT GRAPH <{name}>")
        return Outcome(204)
    try:
        quads = job.quads_in(graph)
    except SyntaxError as exc:
        return Outcome.error(400, f"cannot parse the RDF payload: {exc}")
    _replace_or_add(store, graph, quads, replace=job.method == "PUT")
    headers = {"Location": name} if job.create and name else {}
    return Outcome(201 if not existed else 204, headers=headers)


def _replace_or_add(store: Store, graph, quads: list[Quad], *, replace: bool) -> None:
    """One SPARQL update, so one transaction: the next snapshot has the old graph or the new."""
    is_default = isinstance(graph, DefaultGraph)
    operations = []
    if replace:
        operations.append("CLEAR SILENT DEFAULT" if is_default else f"DROP SILENT GRAPH {graph}")
    if quads:
        triples = "\n".join(f"{q.subject} {q.predicate} {q.object} ." for q in quads)
        block = triples if is_default else f"GRAPH {graph} {{\n{triples}\n}}"
        operations.append(f"INSERT DATA {{\n{block}\n}}")
    if operations:
        store.update(" ;\n".join(operations))
    if not is_default and not quads:
        store.add_graph(graph)  # an empty PUT or POST still creates the graph


class LiveWriter:
    """Runs one write job on the live store: open read-write, write, publish, close."""

    def __init__(self, settings: Settings):
        self.settings = settings

    def run(self, job: UpdateJob | GraphWriteJob) -> Outcome:
        from mlkg.links import mark_derived_stale
        from mlkg.store import EmbeddedStore

        try:
            embedded = EmbeddedStore(self.settings.store_path, base_iri=self.settings.base_iri)
        except StoreError as exc:
            logger.warning("store busy: %s", exc)
            return Outcome.error(
                503,
                "store busy: a build is running (or another process holds the store); "
                "try again when it finishes",
                **{"Retry-After": str(BUSY_RETRY_AFTER)},
            )
        try:
            store = embedded.pyoxigraph
            if isinstance(job, UpdateJob):
                outcome = run_update(store, job)
            else:
                outcome = write_graph(store, job, self.settings)
            if outcome.status < 300:
                mark_derived_stale(embedded, self.settings.iris)
                publish_snapshot(self.settings, embedded)
            return outcome
        finally:
            embedded.close()


# -- the worker loop ---------------------------------------------------------------------------


def worker_main(connection: Connection, role: str) -> None:
    """Serve jobs from the pipe until the server closes it (or kills us).

    The first message is the :class:`mlkg.config.Settings`; then one job in, one outcome out.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    try:
        settings: Settings = connection.recv()
    except (EOFError, OSError):
        return
    reader = SnapshotReader(settings) if role == "reader" else None
    writer = LiveWriter(settings) if role == "writer" else None
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            break
        connection.send(_run_one(job, reader, writer))
    if reader is not None:
        reader.close()


def _run_one(job: Job, reader: SnapshotReader | None, writer: LiveWriter | None) -> Outcome:
    try:
        if isinstance(job, UpdateJob | GraphWriteJob):
            assert writer is not None
            return writer.run(job)
        assert reader is not None
        try:
            store = reader.current()
        except StoreError as exc:
            return Outcome.error(503, str(exc), **{"Retry-After": str(BUSY_RETRY_AFTER)})
        if isinstance(job, QueryJob):
            return run_query(store, job)
        return read_graph(store, job)
    except Exception as exc:  # one bad job must not take the worker down
        logger.exception("job failed: %r", job)
        return Outcome.error(500, f"internal error ({type(exc).__name__}): {exc}")


def main() -> None:
    """Entry point of a worker process: ``main()`` with argv = [socket fd, role]."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    worker_main(Connection(int(sys.argv[1])), sys.argv[2])
