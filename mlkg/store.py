"""The store: one named graph per source record, queried as the union of all graphs.

:class:`GraphStore` is the small interface the pipeline, CLI and server need.
:class:`EmbeddedStore` implements it over an on-disk :class:`pyoxigraph.Store`;
:class:`mlkg.remote_store.RemoteStore` over the SPARQL 1.1 Protocol and Graph Store Protocol of an
external store. :func:`connect` opens the one the settings ask for.

Writes come in two kinds:

* :meth:`GraphStore.add_new_graphs` — graphs the store does not hold yet, through Oxigraph's bulk
  path (``bulk_extend``: fast, not transactional). A journal written before each chunk lets the
  next open drop a chunk a crash cut in half, so no half-written graph survives.
* :meth:`GraphStore.replace_graphs` — graphs that exist: ``DROP GRAPH`` + ``INSERT DATA`` in one
  SPARQL update, which Oxigraph runs as one transaction. A reader sees the old graph or the new
  one, never a mix.

See https://www.w3.org/TR/sparql11-query/#rdfDataset for the dataset and union-graph semantics.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from pyoxigraph import (
    NamedNode,
    Quad,
    QueryBoolean,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    Store,
    Variable,
    parse,
    serialize,
)

from mlkg.errors import QueryError, StoreError
from mlkg.namespaces import PREFIXES
from mlkg.records import Term

if TYPE_CHECKING:
    from mlkg.config import Settings
    from mlkg.remote_store import RemoteStore

logger = logging.getLogger(__name__)

QueryResult = QuerySolutions | QueryTriples | QueryBoolean

#: Version of the on-disk layout (graph naming, provenance); bumped with a migration note.
LAYOUT_VERSION = 1
_META_FILE = "store.json"
_JOURNAL_FILE = "bulk-journal.jsonl"
#: Graphs per SPARQL update when replacing: bounds the update text held in memory.
REPLACE_BATCH = 200


class GraphStore(Protocol):
    """What mlkg needs from a quad store."""

    def query(
        self,
        sparql: str,
        *,
        union_default_graph: bool = True,
        substitutions: Mapping[Variable, Term] | None = None,
    ) -> QueryResult: ...

    def add_new_graphs(self, graphs: Mapping[NamedNode, Sequence[Quad]]) -> None: ...

    def replace_graphs(self, graphs: Mapping[NamedNode, Sequence[Quad]]) -> None: ...

    def drop_graphs(self, graphs: Iterable[NamedNode]) -> None: ...

    def update_quads(self, remove: Iterable[Quad], add: Iterable[Quad]) -> None: ...

    def quads(self, graph: NamedNode | None = None) -> Iterator[Quad]: ...

    def named_graphs(self) -> Iterator[NamedNode]: ...

    def dump(self, output: IO[bytes], format: RdfFormat) -> None: ...

    def close(self) -> None: ...

    def __enter__(self) -> GraphStore: ...

    def __exit__(self, *exc: object) -> None: ...


def to_ntriples_block(quads: Iterable[Quad]) -> str:
    """Quads as ``GRAPH <g> { s p o . }`` blocks for ``INSERT DATA`` (terms print as N-Triples)."""
    by_graph: dict[str, list[str]] = {}
    for quad in quads:
        by_graph.setdefault(str(quad.graph_name), []).append(
            f"{quad.subject} {quad.predicate} {quad.object} ."
        )
    return "\n".join(f"GRAPH {g} {{\n{chr(10).join(lines)}\n}}" for g, lines in by_graph.items())


#: Terms per ``VALUES`` block of a query restricted to some resources: bounds the query text.
VALUES_BATCH = 500


def values_batches(terms: Iterable[object], size: int = VALUES_BATCH) -> Iterator[str]:
    """Terms (IRIs, literals; or rows such as ``(<a> "b")``) as the bodies of ``VALUES``
    blocks of at most ``size`` each."""
    batch: list[str] = []
    for term in terms:
        batch.append(str(term))
        if len(batch) == size:
            yield " ".join(batch)
            batch = []
    if batch:
        yield " ".join(batch)


def update_text(remove: Iterable[Quad], add: Iterable[Quad]) -> str:
    """A SPARQL update deleting ``remove`` then inserting ``add``; empty when both are."""
    parts = [
        f"{verb} {{\n{block}\n}}"
        for verb, block in (
            ("DELETE DATA", to_ntriples_block(remove)),
            ("INSERT DATA", to_ntriples_block(add)),
        )
        if block
    ]
    return " ;\n".join(parts)


class EmbeddedStore:
    """An on-disk Oxigraph store under ``path`` (created if missing).

    Args:
        path: folder of the RocksDB store.
        base_iri: the resource base this store's IRIs use; a store built with another base is
            refused, since its IRIs would not match the queries' and pages' IRIs.
        read_only: open without taking the write lock (another process must not write meanwhile).
    """

    def __init__(self, path: Path, *, base_iri: str, read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        self._check_meta(base_iri)
        try:
            if read_only:
                self._store = Store.read_only(str(self.path))
            else:
                self.path.mkdir(parents=True, exist_ok=True)
                self._store = Store(str(self.path))
        except OSError as exc:
            raise StoreError(
                f"cannot open the store at {self.path}: {exc}. Is another mlkg process "
                "(build, serve) using it? Stop it or use another --data-dir."
            ) from exc
        if not read_only:
            self._write_meta(base_iri)
            self._recover_bulk_journal()

    # -- metadata and crash recovery -------------------------------------------------------

    @property
    def _meta_path(self) -> Path:
        return self.path.parent / _META_FILE

    @property
    def _journal_path(self) -> Path:
        return self.path.parent / _JOURNAL_FILE

    def _check_meta(self, base_iri: str) -> None:
        if not self._meta_path.exists():
            if self.read_only and not self.path.exists():
                raise StoreError(f"no store at {self.path}: run `mlkg build` first")
            return
        meta = json.loads(self._meta_path.read_text())
        if meta.get("base_iri") != base_iri:
            raise StoreError(
                f"the store at {self.path} was built with base IRI {meta.get('base_iri')!r}, "
                f"not {base_iri!r}; use the same MLKG_BASE_IRI or another --data-dir"
            )
        if meta.get("layout", LAYOUT_VERSION) > LAYOUT_VERSION:
            raise StoreError(f"the store at {self.path} was written by a newer mlkg")

    def _write_meta(self, base_iri: str) -> None:
        if not self._meta_path.exists():
            self._meta_path.write_text(json.dumps({"base_iri": base_iri, "layout": LAYOUT_VERSION}))

    def _recover_bulk_journal(self) -> None:
        """Drop graphs of bulk chunks that a crash interrupted (journalled but not committed)."""
        if not self._journal_path.exists():
            return
        pending: dict[int, list[str]] = {}
        for line in self._journal_path.read_text().splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # the crash cut this line: its chunk never started loading
            if entry.get("done"):
                pending.pop(entry["chunk"], None)
            else:
                pending[entry["chunk"]] = entry["graphs"]
        graphs = [NamedNode(g) for chunk in pending.values() for g in chunk]
        if graphs:
            logger.warning(
                "recovering from an interrupted load: dropping %d partly written graphs",
                len(graphs),
            )
            self.drop_graphs(graphs)
        self._journal_path.unlink()

    # -- reading ---------------------------------------------------------------------------

    def query(
        self,
        sparql: str,
        *,
        union_default_graph: bool = True,
        substitutions: Mapping[Variable, Term] | None = None,
    ) -> QueryResult:
        """Run a SPARQL query; without ``GRAPH`` it sees the union of all named graphs.

        ``substitutions`` binds variables before evaluation (SEP-0007), for parameterised named
        queries; a variable the query does not project (which pyoxigraph refuses to substitute)
        is bound with ``VALUES`` instead (:func:`mlkg.remote_store.bind_variables`, as on an
        external store). The usual prefixes (:data:`mlkg.namespaces.PREFIXES`) are predeclared.
        """
        try:
            try:
                return self._store.query(
                    sparql,
                    use_default_graph_as_union=union_default_graph,
                    prefixes=PREFIXES,
                    substitutions=substitutions,
                )
            except RuntimeError as exc:
                if not substitutions or "projection" not in str(exc):
                    raise
                from mlkg.remote_store import bind_variables

                return self._store.query(
                    bind_variables(sparql, substitutions),
                    use_default_graph_as_union=union_default_graph,
                    prefixes=PREFIXES,
                )
        except SyntaxError as exc:
            raise QueryError(f"SPARQL syntax error: {exc}") from exc

    def quads(self, graph: NamedNode | None = None) -> Iterator[Quad]:
        return iter(self._store.quads_for_pattern(None, None, None, graph))

    def named_graphs(self) -> Iterator[NamedNode]:
        return (g for g in self._store.named_graphs() if isinstance(g, NamedNode))

    def contains_graph(self, graph: NamedNode) -> bool:
        return self._store.contains_named_graph(graph)

    def __len__(self) -> int:
        return len(self._store)

    def dump(self, output: IO[bytes], format: RdfFormat) -> None:
        """Serialise the dataset: every named graph for N-Quads, TriG and JSON-LD; for triple
        formats (Turtle, N-Triples, RDF/XML) the union of all graphs, each triple once."""
        if format.supports_datasets:
            self._store.dump(output, format, prefixes=PREFIXES)
            return
        union = self._store.query(
            "CONSTRUCT { ?s ?p ?o } WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }",
            use_default_graph_as_union=True,
        )
        serialize(union, output, format, prefixes=PREFIXES)

    # -- writing ---------------------------------------------------------------------------

    def add_new_graphs(self, graphs: Mapping[NamedNode, Sequence[Quad]]) -> None:
        """Bulk-load graphs the store does not hold yet; a crash mid-way is undone on next open."""
        if not graphs:
            return
        chunk = _next_chunk_id(self._journal_path)
        _append_line(self._journal_path, {"chunk": chunk, "graphs": [g.value for g in graphs]})
        self._store.bulk_extend(q for quads in graphs.values() for q in quads)
        self._store.flush()
        _append_line(self._journal_path, {"chunk": chunk, "done": True})

    def replace_graphs(self, graphs: Mapping[NamedNode, Sequence[Quad]]) -> None:
        """Replace each graph's content in one transaction per batch of graphs."""
        items = list(graphs.items())
        for start in range(0, len(items), REPLACE_BATCH):
            batch = items[start : start + REPLACE_BATCH]
            drops = "".join(f"DROP SILENT GRAPH {g} ;\n" for g, _ in batch)
            inserts = to_ntriples_block(q for _, quads in batch for q in quads)
            self._store.update(f"{drops}INSERT DATA {{\n{inserts}\n}}")

    def drop_graphs(self, graphs: Iterable[NamedNode]) -> None:
        graphs = list(graphs)
        for start in range(0, len(graphs), REPLACE_BATCH):
            batch = graphs[start : start + REPLACE_BATCH]
            self._store.update("".join(f"DROP SILENT GRAPH {g} ;\n" for g in batch).rstrip(";\n"))

    def update_quads(self, remove: Iterable[Quad], add: Iterable[Quad]) -> None:
        """Delete ``remove`` and insert ``add`` (quads in named graphs), in one transaction."""
        text = update_text(remove, add)
        if text:
            self._store.update(text)

    def load_file(self, path: Path, graph: NamedNode, *, base_iri: str | None = None) -> None:
        """Replace ``graph`` with the triples of one RDF file, in one transaction."""
        quads = [
            Quad(t.subject, t.predicate, t.object, graph)
            for t in parse(path=str(path), base_iri=base_iri)
        ]
        self.replace_graphs({graph: quads})

    def optimize(self) -> None:
        self._store.optimize()

    def backup(self, target: Path) -> None:
        """A consistent checkpoint of the store in ``target`` (RocksDB: hard links, cheap)."""
        self._store.backup(str(target))

    @property
    def pyoxigraph(self) -> Store:
        """The underlying :class:`pyoxigraph.Store`, for protocol-level writes (SPARQL Update,
        Graph Store Protocol) that the graph-per-record interface above does not model."""
        return self._store

    def close(self) -> None:
        if not self.read_only:
            self._store.flush()
        del self._store

    def __enter__(self) -> EmbeddedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _next_chunk_id(journal: Path) -> int:
    if not journal.exists():
        return 0
    return sum(1 for _ in journal.open()) + 1


def _append_line(path: Path, entry: dict) -> None:
    """Append one JSON line and fsync, so the journal is on disk before the bulk write starts."""
    with path.open("a") as handle:
        handle.write(json.dumps(entry) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def open_store(data_dir: Path, *, base_iri: str, read_only: bool = False) -> EmbeddedStore:
    """The embedded store of a data directory."""
    return EmbeddedStore(Path(data_dir) / "store", base_iri=base_iri, read_only=read_only)


#: Keyword options of :func:`connect` for a store URL, each the ``store_*`` setting of that name.
REMOTE_OPTIONS = (
    "update_url",
    "gsp_url",
    "user",
    "password",
    "auth",
    "default_graph",
    "bulk",
    "max_rows",
    "timeout",
)


def connect(
    target: Settings | str | os.PathLike[str],
    *,
    base_iri: str | None = None,
    read_only: bool = False,
    **options: Any,
) -> EmbeddedStore | RemoteStore:
    """Open mlkg's store: the embedded one of a data directory, or an external SPARQL store.

    ``connect(settings, read_only=False)``
        :class:`~mlkg.config.Settings` decide: a :class:`~mlkg.remote_store.RemoteStore` when
        ``settings.store_url`` (``MLKG_STORE_URL``) is set, else the :class:`EmbeddedStore` of
        ``settings.data_dir``. ``base_iri`` defaults to ``settings.base_iri``; ``options``
        are not allowed (put them in the settings).
    ``connect("http://host:7878/query", update_url=..., gsp_url=..., user=..., password=...,
    auth="basic", default_graph="named", bulk="graph", max_rows=None, timeout=300.0)``
        An ``http(s)://`` string is the external store's SPARQL query endpoint; the keyword
        options are the ``MLKG_STORE_*`` settings of the same name (``update_url`` defaults
        to the query URL; without ``gsp_url`` graphs are written with SPARQL Update; ``auth``
        is ``basic`` or ``digest``; ``default_graph`` is ``union`` when the store's default
        graph is already the union of its named graphs, else ``named``; ``bulk`` is ``graph``
        or ``dataset``). See docs/external-store.md.
    ``connect("/path/to/data-dir")``
        Any other string or path is a data directory: its embedded store (``DIR/store``).

    Args:
        target: the settings, a store URL, or a data directory.
        base_iri: the resource base [default: the settings' base, else
            ``https://w3id.org/mlkg/resource/``]; a store built with another base is refused.
        read_only: open for reading only (the embedded store then takes no write lock; a remote
            store refuses writes and skips crash recovery).
        options: the external store's options, with a URL ``target`` only.

    Returns:
        An :class:`EmbeddedStore` or :class:`~mlkg.remote_store.RemoteStore`; both are context
        managers implementing :class:`GraphStore`.

    Raises:
        StoreError: the store cannot be opened or reached, or has another base IRI.
        ValueError: unknown or invalid options.

    Example::

        with connect("http://127.0.0.1:7878/query", gsp_url="http://127.0.0.1:7878/store",
                     default_graph="union", read_only=True) as store:
            rows = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?m a mlkg:Model }")
    """
    from mlkg.config import Settings
    from mlkg.iris import DEFAULT_BASE_IRI
    from mlkg.remote_store import RemoteConfig, RemoteStore

    if isinstance(target, Settings):
        if options:
            raise ValueError(
                f"connect(settings) takes no store options ({', '.join(sorted(options))}): "
                "put them in the settings"
            )
        base = base_iri or target.base_iri
        if target.remote:
            return RemoteStore(
                RemoteConfig.from_settings(target), base_iri=base, read_only=read_only
            )
        return open_store(target.data_dir, base_iri=base, read_only=read_only)
    base = base_iri or DEFAULT_BASE_IRI
    location = os.fspath(target)
    if location.startswith(("http://", "https://")):
        unknown = set(options) - set(REMOTE_OPTIONS)
        if unknown:
            raise ValueError(
                f"unknown store options: {', '.join(sorted(unknown))}; known: "
                + ", ".join(REMOTE_OPTIONS)
            )
        config = RemoteConfig(location, **{k: v for k, v in options.items() if v is not None})
        return RemoteStore(config, base_iri=base, read_only=read_only)
    if options:
        raise ValueError(
            f"store options ({', '.join(sorted(options))}) need a store URL, not a data directory"
        )
    return open_store(Path(location), base_iri=base, read_only=read_only)
