"""The load stage: writes accepted records into the store, one named graph per record.

Unchanged records (same content hash and crawler version) are skipped; new graphs go through the
bulk path, changed ones are replaced atomically (see :mod:`mlkg.store`). After a complete crawl,
graphs of records that left the source are dropped. A record that fails validation keeps its
last accepted graph. The ontology and vocabularies are kept loaded as background graphs, and
lineage links no record resolves are flagged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from itertools import pairwise
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Quad, parse

from crawlers import Source
from mlkg.config import Settings
from mlkg.identity import derive_same_weights
from mlkg.iris import Iris
from mlkg.namespaces import MLKG, ONTOLOGY_IRI, RDF, RDFS, XSD
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


# -- background graphs and link check --------------------------------------------------------


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


LINEAGE_PROPERTIES = (
    "derivedFrom",
    "fineTunedFrom",
    "adapterOf",
    "quantizedFrom",
    "mergedFrom",
    "convertedFrom",
    "revisionOf",
)


def _replace_if_changed(store: GraphStore, graph: NamedNode, quads: set[Quad]) -> None:
    """Rewrite a derived graph only when its content changes, so re-runs write nothing."""
    if set(store.quads(graph)) != quads:
        store.replace_graphs({graph: list(quads)})


def check_links(store: GraphStore, iris: Iris) -> int:
    """Flag lineage targets no record describes (``mlkg:unresolvedReference true``).

    The flags live in one graph, ``graph/checks/unresolved``, recomputed from the whole store so
    a target that another source's build describes later stops being flagged.
    """
    values = " ".join(f"mlkg:{name}" for name in LINEAGE_PROPERTIES)
    rows = store.query(
        "SELECT DISTINCT ?target WHERE { VALUES ?rel { " + values + " } "
        "?s ?rel ?target . FILTER NOT EXISTS { ?g foaf:topic ?target } }"
    )
    graph = iris.resource("graph/checks/unresolved")
    true = Literal("true", datatype=XSD.boolean)
    flags = {Quad(row["target"], MLKG.unresolvedReference, true, graph) for row in rows}
    label = Quad(graph, RDFS.label, Literal("lineage targets no crawled record describes"), graph)
    _replace_if_changed(store, graph, flags | {label})
    return len(flags)


VERSIONED_MODELS = """
SELECT DISTINCT ?model ?hub ?name ?version WHERE {
  ?g foaf:topic ?model . ?model mlkg:modelName ?name ; mlkg:hub ?hub ; mlkg:version ?version
}"""


def revision_links(
    versions: Iterable[tuple[NamedNode, str, str, int]],
) -> list[tuple[NamedNode, NamedNode]]:
    """(newer, older) pairs of consecutive published versions of the same model name.

    ``versions`` are (model, hub, name, version number). Gaps are skipped over: if only 1, 3
    and 4 exist, 3 revises 1 and 4 revises 3. Repeated rows are fine.

    >>> from pyoxigraph import NamedNode as N
    >>> links = revision_links([(N("x:v4"), "h", "m", 4), (N("x:v1"), "h", "m", 1),
    ...                         (N("x:v3"), "h", "m", 3), (N("x:o1"), "h", "other", 1)])
    >>> [(new.value, old.value) for new, old in links]
    [('x:v3', 'x:v1'), ('x:v4', 'x:v3')]
    """
    series: dict[tuple[str, str], set[tuple[int, str]]] = {}
    for model, hub, name, version in versions:
        series.setdefault((hub, name), set()).add((version, model.value))
    links = []
    for key in sorted(series):
        ordered = [(version, NamedNode(iri)) for version, iri in sorted(series[key])]
        links.extend((newer[1], older[1]) for older, newer in pairwise(ordered))
    return links


def derive_revisions(store: GraphStore, iris: Iris) -> int:
    """Link each version to the previous published one (``mlkg:revisionOf``).

    Derived from the whole store into ``graph/derived/revisions``, because a single record
    cannot know which other versions exist.
    """
    rows = [
        (row["model"], row["hub"].value, row["name"].value, int(row["version"].value))
        for row in store.query(VERSIONED_MODELS)
    ]
    graph = iris.resource("graph/derived/revisions")
    quads = {Quad(new, MLKG.revisionOf, old, graph) for new, old in revision_links(rows)}
    label = Quad(graph, RDFS.label, Literal("links between consecutive model versions"), graph)
    _replace_if_changed(store, graph, quads | {label})
    return len(quads)


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
        self.seen_graphs: set[str] = set()
        self.publisher = Publisher(settings)

    def __enter__(self) -> LoadSession:
        self.store = connect(self.settings)
        with timed(self.report, "background"):
            ensure_background(self.store, self.iris)
        self.fingerprints = stored_fingerprints(self.store, self.source.name)
        return self

    def is_unchanged(self, record_id: str, digest: str) -> bool:
        """Whether this record was loaded (or quarantined) before with the same content."""
        graph = self.iris.record_graph(self.source.name, record_id).value
        self.seen_graphs.add(graph)
        old = self.quarantine.get(record_id)
        unchanged = self.fingerprints.get(graph) == (digest, self.version) or bool(
            old and old["content_hash"] == digest and old.get("crawler_version") == self.version
        )
        self.report.unchanged += unchanged
        return unchanged

    def apply(self, verdicts: Sequence[Verdict]) -> None:
        """Load accepted records, quarantine the rest."""
        for verdict in verdicts:
            record_id = verdict.record.record_id
            self.seen_graphs.add(verdict.record.graph.value)
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
            derive_revisions(store, self.iris)
            derive_same_weights(store, self.iris)
            report.unresolved_references = check_links(store, self.iris)
        with timed(report, "publish"):
            self.publisher.finished(store, changed=bool(report.written))
