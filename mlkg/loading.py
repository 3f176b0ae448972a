"""The load stage: writes accepted records into the store, one named graph per record.

Unchanged records (same content hash and crawler version) are skipped; new graphs go through the
bulk path, changed ones are replaced atomically (see :mod:`mlkg.store`). After a complete crawl,
graphs of records that left the source are dropped. A record that fails validation keeps its
last accepted graph. The ontology and vocabularies are kept loaded as background graphs; the
session ends with the links stage (:mod:`mlkg.links`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Quad, parse

from crawlers import Source
from mlkg.config import Settings
from mlkg.iris import Iris
from mlkg.links import LinkChanges, TrackedStore
from mlkg.namespaces import MLKG, ONTOLOGY_IRI, RDF, RDFS
from mlkg.provenance import RunContext, activity_quads, new_run_id, now_iso
from mlkg.publish import Publisher
from mlkg.quarantine import log_verdict, quarantine_entry, read_quarantine, write_quarantine
from mlkg.records import Verdict, content_hash
from mlkg.report import BuildReport, timed
from mlkg.resources import ontology_files
from mlkg.store import GraphStore, connect
from mlkg.vocabulary import rebase

logger = logging.getLogger(__name__)


def stored_fingerprints(store: GraphStore, source: str) -> dict[str, tuple[str, str]]:
    """Record graph IRI → (content hash, crawler version) for one source's graphs in the store."""
    rows = store.query(
        f"SELECT ?g ?hash ?version WHERE {{ GRAPH ?g {{ ?g mlkg:recordSource {Literal(source)} ; "
        "mlkg:contentHash ?hash ; mlkg:crawlerVersion ?version } }",
        union_default_graph=False,
    )
    return {row["g"].value: (row["hash"].value, row["version"].value) for row in rows}


def load_chunk(
    store: GraphStore,
    verdicts: Iterable[Verdict],
    fingerprints: dict[str, tuple[str, str]],
    report: BuildReport,
) -> None:
    """Write accepted records: new graphs by bulk, existing ones by atomic replace."""
    new: dict[NamedNode, list[Quad]] = {}
    changed: dict[NamedNode, list[Quad]] = {}
    for verdict in verdicts:
        if not verdict.accepted:
            continue
        record = verdict.record
        quads = record.quads()
        report.triples_written += len(quads)
        (changed if record.graph.value in fingerprints else new)[record.graph] = quads
    store.add_new_graphs(new)
    store.replace_graphs(changed)
    report.added += len(new)
    report.replaced += len(changed)


# -- background graphs --------------------------------------------------------------------


def ensure_background(store: GraphStore, iris: Iris) -> int:
    """Load the ontology, alignments and vocabularies, each into its own graph, when changed.

    The ontology goes to the graph named by its IRI; each vocabulary file to
    ``graph/vocabulary/<name>``. Returns how many graphs were (re)loaded.
    """
    loaded = 0
    for path in ontology_files():
        graph = _background_graph(path, iris)
        digest = content_hash({"text": path.read_text(encoding="utf-8"), "base": iris.base})
        current = list(
            store.query(
                f"SELECT ?h WHERE {{ GRAPH {graph} {{ {graph} mlkg:contentHash ?h }} }}",
                union_default_graph=False,
            )
        )
        if current and current[0]["h"].value == digest:
            continue
        quads = [
            Quad(_rebase_term(t.subject, iris), t.predicate, _rebase_term(t.object, iris), graph)
            for t in parse(path=str(path))
        ]
        quads.append(Quad(graph, MLKG.contentHash, Literal(digest), graph))
        quads.append(Quad(graph, RDF.type, MLKG.RecordGraph, graph))
        quads.append(Quad(graph, RDFS.label, Literal(f"mlkg {path.stem}"), graph))
        store.replace_graphs({graph: quads})
        loaded += 1
    return loaded


def _background_graph(path: Path, iris: Iris) -> NamedNode:
    if path.parent.name == "vocab":
        return iris.vocabulary_graph(path.stem)
    if path.stem == "mlkg":
        return NamedNode(ONTOLOGY_IRI)
    return iris.vocabulary_graph(path.stem)


def _rebase_term(term, iris: Iris):
    return rebase(term.value, iris) if isinstance(term, NamedNode) else term


class LoadSession:
    """One run's writes to the store for one source: skip unchanged, load, quarantine, clean up.

    Opened as a context manager; on a clean exit it drops the graphs of records that vanished
    (after a complete crawl), records the run's activity, checks links and rewrites quarantine.
    """

    def __init__(self, settings: Settings, source: Source, report: BuildReport):
        self.settings = settings
        self.source = source
        self.report = report
        self.iris = settings.iris
        self.version = f"{source.name}/{source.version}"
        self.context = RunContext(
            source, self.iris, self.iris.activity(source.name, new_run_id()), now_iso()
        )
        self.quarantine = read_quarantine(settings, source.name)
        #: Graphs of records seen this run, among those a run may drop: graphs in the store
        #: before it (``fingerprints``) and graphs of quarantined records. Others are not kept,
        #: so a first build holds no set that grows with the source.
        self.seen_graphs: set[str] = set()
        self.publisher = Publisher(settings)

    def __enter__(self) -> LoadSession:
        store = connect(self.settings)
        # Every write goes through ``self.links``, which notes what it can change in the derived
        # graphs: the links stage then derives only that (see LinkChanges).
        with timed(self.report, "links"):
            self.links = LinkChanges(store, self.iris)
        self.store = TrackedStore(store, self.links)
        with timed(self.report, "background"):
            ensure_background(self.store, self.iris)
        self.fingerprints = stored_fingerprints(self.store, self.source.name)
        self.links.limit_to(len(self.fingerprints))
        return self

    def is_unchanged(self, record_id: str, digest: str) -> bool:
        """Whether this record was loaded (or quarantined) before with the same content."""
        graph = self.iris.record_graph(self.source.name, record_id).value
        old = self.quarantine.get(record_id)
        if old is not None or graph in self.fingerprints:
            self.seen_graphs.add(graph)
        unchanged = self.fingerprints.get(graph) == (digest, self.version) or bool(
            old and old["content_hash"] == digest and old.get("crawler_version") == self.version
        )
        self.report.unchanged += unchanged
        return unchanged

    def apply(self, verdicts: Sequence[Verdict]) -> None:
        """Load accepted records, quarantine the rest."""
        for verdict in verdicts:
            record_id = verdict.record.record_id
            graph = verdict.record.graph.value
            if not verdict.accepted or record_id in self.quarantine or graph in self.fingerprints:
                self.seen_graphs.add(graph)
            if verdict.accepted:
                self.report.accepted += 1
                self.quarantine.pop(record_id, None)
            else:
                self.report.quarantined += 1
                log_verdict(verdict)
                self.quarantine[record_id] = {
                    **quarantine_entry(verdict),
                    "crawler_version": self.version,
                }
        with timed(self.report, "load"):
            load_chunk(self.store, verdicts, self.fingerprints, self.report)
            self.publisher.loaded([v.record for v in verdicts if v.accepted])

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self._finish()
        finally:
            self.store.close()
        if exc_type is None:
            write_quarantine(self.settings, self.source.name, self.quarantine)

    def _finish(self) -> None:
        report, store = self.report, self.store
        with timed(report, "load"):
            if report.complete:
                gone = [NamedNode(g) for g in self.fingerprints if g not in self.seen_graphs]
                store.drop_graphs(gone)
                self.publisher.removed(gone)
                report.removed = len(gone)
                self.quarantine = {
                    k: v for k, v in self.quarantine.items() if v["graph"] in self.seen_graphs
                }
            if report.written or report.quarantined:
                store.replace_graphs({self.context.activity: activity_quads(self.context, report)})
        with timed(report, "links"):
            report.unresolved_references = self.links.derive(store.inner)
        with timed(report, "publish"):
            self.publisher.finished(store.inner, changed=bool(report.written))
