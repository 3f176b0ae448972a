"""The links stage: facts only the whole store knows, kept in graphs of their own.

``graph/derived/revisions`` (``mlkg:revisionOf`` between consecutive versions of one model name),
``graph/derived/same-weights`` (:mod:`mlkg.identity`) and ``graph/checks/unresolved`` (lineage
targets no record describes). A load session writes through :class:`TrackedStore`, so
:class:`LinkChanges` notes what each write can change and its links stage derives only that;
a first build, a large load, or the ``graph/derived/pending`` mark (a killed build, a write
through the server) derives everything from the whole store.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from itertools import pairwise

from pyoxigraph import Literal, NamedNode, Quad

from mlkg.identity import (
    SAME_WEIGHTS_GRAPH,
    SAME_WEIGHTS_LABEL,
    derive_same_weights,
    same_weights_update,
    touched_archs,
)
from mlkg.iris import Iris
from mlkg.namespaces import DCTERMS, FOAF, MLKG, RDF, RDFS, SCHEMA, XSD
from mlkg.store import GraphStore, values_batches

logger = logging.getLogger(__name__)


#: ``mlkg:derivedFrom`` and its sub-properties (the vocabulary contract's lineage relations).
DERIVATION_PROPERTIES = (
    "derivedFrom",
    "fineTunedFrom",
    "adapterOf",
    "quantizedFrom",
    "mergedFrom",
    "convertedFrom",
)
#: The links a lineage target is checked for: the derivations and ``mlkg:revisionOf``.
LINEAGE_PROPERTIES = (*DERIVATION_PROPERTIES, "revisionOf")


def _replace_if_changed(store: GraphStore, graph: NamedNode, quads: set[Quad]) -> None:
    """Rewrite a derived graph only when its content changes, so re-runs write nothing."""
    if set(store.quads(graph)) != quads:
        store.replace_graphs({graph: list(quads)})


REVISIONS_GRAPH = "graph/derived/revisions"
REVISIONS_LABEL = "links between consecutive model versions"
UNRESOLVED_GRAPH = "graph/checks/unresolved"
UNRESOLVED_LABEL = "lineage targets no crawled record describes"
TRUE = Literal("true", datatype=XSD.boolean)

_LINEAGE_VALUES = " ".join(f"mlkg:{name}" for name in LINEAGE_PROPERTIES)
#: The link check over the whole store.
UNRESOLVED = (
    "SELECT DISTINCT ?target WHERE { VALUES ?rel { " + _LINEAGE_VALUES + " } "
    "?s ?rel ?target . FILTER NOT EXISTS { ?g foaf:topic ?target } }"
)
#: The same for some targets only (one pattern per named graph: see :data:`SERIES_ROWS`).
UNRESOLVED_AMONG = (
    "SELECT DISTINCT ?target WHERE { VALUES ?target { %s } GRAPH ?g { ?s ?rel ?target } "
    f"FILTER(?rel IN ({', '.join(_LINEAGE_VALUES.split())})) "
    "FILTER NOT EXISTS { GRAPH ?h { ?x foaf:topic ?target } } }"
)
FLAGS_AMONG = (
    "SELECT ?target ?flag WHERE { VALUES ?target { %s } "
    "GRAPH %s { ?target mlkg:unresolvedReference ?flag } }"
)
COUNT_FLAGS = (
    "SELECT (COUNT(*) AS ?n) WHERE { GRAPH %s { ?target mlkg:unresolvedReference ?flag } }"
)


def check_links(store: GraphStore, iris: Iris, changes: LinkChanges | None = None) -> int:
    """Flag lineage targets no record describes (``mlkg:unresolvedReference true``).

    The flags live in one graph, ``graph/checks/unresolved``, recomputed from the whole store so
    a target that another source's build describes later stops being flagged. With ``changes``
    (not :attr:`~LinkChanges.full`), only the targets they list are checked again. Returns the
    number of flags.
    """
    graph = iris.resource(UNRESOLVED_GRAPH)
    if changes is None or changes.full:
        flags = {
            Quad(row["target"], MLKG.unresolvedReference, TRUE, graph)
            for row in store.query(UNRESOLVED)
        }
        label = Quad(graph, RDFS.label, Literal(UNRESOLVED_LABEL), graph)
        _replace_if_changed(store, graph, flags | {label})
        return len(flags)
    flagged: set[NamedNode] = set()
    old: set[tuple[NamedNode, Literal]] = set()
    for batch in values_batches(sorted(changes.targets, key=str)):
        rows = store.query(UNRESOLVED_AMONG % batch, union_default_graph=False)
        flagged.update(row["target"] for row in rows)
        rows = store.query(FLAGS_AMONG % (batch, graph), union_default_graph=False)
        old.update((row["target"], row["flag"]) for row in rows)
    new = {(target, TRUE) for target in flagged}
    store.update_quads(
        [Quad(t, MLKG.unresolvedReference, flag, graph) for t, flag in old - new],
        [Quad(t, MLKG.unresolvedReference, flag, graph) for t, flag in new - old],
    )
    rows = list(store.query(COUNT_FLAGS % graph, union_default_graph=False))
    return int(rows[0]["n"].value)


VERSIONED_MODELS = """
SELECT DISTINCT ?model ?hub ?name ?version WHERE {
  ?g foaf:topic ?model . ?model mlkg:modelName ?name ; mlkg:hub ?hub ; mlkg:version ?version
}"""


def _version_row(row) -> tuple[NamedNode, str, str, int]:
    """A :data:`VERSIONED_MODELS` (or :data:`SERIES_ROWS`) solution as a :func:`revision_links`
    row."""
    return row["model"], row["hub"].value, row["name"].value, int(row["version"].value)


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


#: :data:`VERSIONED_MODELS` of some series, ``VALUES (?hub ?name)`` or of some models,
#: ``VALUES ?model``. One pattern per named graph rather than the union as default graph: the
#: same solutions, and an external store in ``named`` mode need not be sent its graph list.
SERIES_ROWS = """
SELECT DISTINCT ?model ?hub ?name ?version WHERE {
  %s
  GRAPH ?g1 { ?model mlkg:modelName ?name } GRAPH ?g2 { ?model mlkg:hub ?hub }
  GRAPH ?g3 { ?model mlkg:version ?version } GRAPH ?g4 { ?t foaf:topic ?model }
}"""
#: The series (hub, model name) some models are in, whether or not they have a version.
SERIES_OF = """
SELECT DISTINCT ?hub ?name WHERE {
  VALUES ?model { %s }
  GRAPH ?g1 { ?model mlkg:modelName ?name } GRAPH ?g2 { ?model mlkg:hub ?hub }
}"""

Series = tuple[NamedNode, Literal]


def series_of(store: GraphStore, models: Iterable[NamedNode]) -> set[Series]:
    """(hub, model name) of each of ``models`` that has both, in the store as it is now."""
    named = sorted({m for m in models if isinstance(m, NamedNode)}, key=str)
    return {
        (row["hub"], row["name"])
        for batch in values_batches(named)
        for row in store.query(SERIES_OF % batch, union_default_graph=False)
    }


def series_rows(
    store: GraphStore, series: Iterable[Series]
) -> list[tuple[NamedNode, str, str, int]]:
    """The :func:`revision_links` rows of every versioned model of ``series``."""
    keys = sorted(f"({hub} {name})" for hub, name in series)
    return [
        _version_row(row)
        for batch in values_batches(keys)
        for row in store.query(
            SERIES_ROWS % f"VALUES (?hub ?name) {{ {batch} }}", union_default_graph=False
        )
    ]


def revisions_update(
    store: GraphStore, models: Collection[NamedNode], series: Collection[Series]
) -> tuple[set[NamedNode], list[tuple[NamedNode, NamedNode]]]:
    """The models whose ``mlkg:revisionOf`` links may have changed, and those links now.

    ``models`` are the models whose rows a load may have changed, ``series`` the series they
    were in before it (:func:`series_of`). Returns (X, links): X is ``models`` and every model
    of a series they were or are in; the links with an end in X are exactly those of
    ``links`` with an end in X, and links with no end in X did not change.
    """
    models = {m for m in models if isinstance(m, NamedNode)}
    series = set(series) | series_of(store, models)
    if not series:
        return set(), []
    rows = series_rows(store, series)
    touched = models | {row[0] for row in rows}
    # A model of a touched series may be in another series too (two names): its links there
    # have an end in X, so that series must be complete as well.
    extra = series_of(store, touched - models) - series
    if extra:
        rows += series_rows(store, extra)
    return touched, revision_links(rows)


def derive_revisions(store: GraphStore, iris: Iris, changes: LinkChanges | None = None) -> int:
    """Link each version to the previous published one (``mlkg:revisionOf``).

    Derived from the whole store into ``graph/derived/revisions``, because a single record
    cannot know which other versions exist; with ``changes`` (not :attr:`~LinkChanges.full`),
    only the series of the models they list are derived again. Returns the number of links
    written (0 when ``changes`` had none to rewrite).
    """
    graph = iris.resource(REVISIONS_GRAPH)
    if changes is not None and not changes.full:
        touched, links = revisions_update(store, changes.versioned, changes.series)
        return relink(store, graph, MLKG.revisionOf, touched, links)
    rows = [_version_row(row) for row in store.query(VERSIONED_MODELS)]
    quads = {Quad(new, MLKG.revisionOf, old, graph) for new, old in revision_links(rows)}
    label = Quad(graph, RDFS.label, Literal(REVISIONS_LABEL), graph)
    _replace_if_changed(store, graph, quads | {label})
    return len(quads)


def derive_same_weights_links(
    store: GraphStore, iris: Iris, changes: LinkChanges | None = None
) -> int:
    """:func:`mlkg.identity.derive_same_weights`, or with ``changes`` (not
    :attr:`~LinkChanges.full`) only the architecture groups of the models they list."""
    if changes is None or changes.full:
        return derive_same_weights(store, iris)
    touched, links = same_weights_update(store, iris, changes.candidates, changes.archs)
    return relink(store, iris.resource(SAME_WEIGHTS_GRAPH), MLKG.sameWeightsAs, touched, links)


LINKS_TOUCHING = """
SELECT ?s ?o WHERE { GRAPH %s {
  { VALUES ?s { %s } ?s %s ?o } UNION { VALUES ?o { %s } ?s %s ?o }
} }"""


def relink(
    store: GraphStore,
    graph: NamedNode,
    predicate: NamedNode,
    touched: Collection[NamedNode],
    links: Iterable[tuple[NamedNode, NamedNode]],
) -> int:
    """Make the ``predicate`` links of a derived graph with an end in ``touched`` those of
    ``links``, leaving the others as they are; returns how many such links there now are."""
    if not touched:
        return 0
    old: set[tuple[NamedNode, NamedNode]] = set()
    for batch in values_batches(sorted(touched, key=str)):
        query = LINKS_TOUCHING % (graph, batch, predicate, batch, predicate)
        old.update((row["s"], row["o"]) for row in store.query(query, union_default_graph=False))
    new = {(s, o) for s, o in links if s in touched or o in touched}
    store.update_quads(
        [Quad(s, predicate, o, graph) for s, o in old - new],
        [Quad(s, predicate, o, graph) for s, o in new - old],
    )
    return len(new)


# -- keeping the derived graphs in step with a load ------------------------------------------

#: While a load is writing, this graph says the derived graphs may be stale: a run that finds
#: it (the last one was killed before its links stage) derives them all again.
PENDING_GRAPH = "graph/derived/pending"
PENDING_LABEL = "the derived graphs may lag behind the records: the next build derives them again"


def mark_derived_stale(store: GraphStore, iris: Iris) -> None:
    """Write :data:`PENDING_GRAPH` for a write made outside a load session (the server's SPARQL
    Update and Graph Store endpoints): the next build then derives the links from the whole
    store, since no session noted what that write changed."""
    pending = iris.resource(PENDING_GRAPH)
    store.replace_graphs({pending: [Quad(pending, RDFS.label, Literal(PENDING_LABEL), pending)]})


#: A load that writes or drops more graphs than this many, or than this share of its source's
#: stored graphs, derives the links from the whole store (simpler, and cheaper by then).
INCREMENTAL_MIN_GRAPHS = 2000
INCREMENTAL_SHARE = 0.25

#: Predicates whose triples, in a graph written or dropped, can change a derived graph.
_WATCHED = [
    *(MLKG[name] for name in LINEAGE_PROPERTIES),
    FOAF.topic,
    MLKG.modelName,
    MLKG.hub,
    MLKG.version,
    RDF.type,
    DCTERMS.identifier,
    MLKG.entrypoint,
    MLKG.sourceRepository,
    SCHEMA.downloadUrl,
]
#: Their triples in some graphs (``rdf:type`` only with ``mlkg:Model``). One branch per
#: predicate: with ``VALUES ?p`` instead, Oxigraph scans every graph (a thousand times slower).
WATCHED_CONTENT = (
    "SELECT ?s ?p ?o WHERE { VALUES ?g { %s } "
    + " UNION ".join(
        f"{{ GRAPH ?g {{ ?s {p} ?o }} BIND({p} AS ?p) }}" for p in _WATCHED if p != RDF.type
    )
    + f" UNION {{ GRAPH ?g {{ ?s a {MLKG.Model} }} BIND({RDF.type} AS ?p) "
    + f"BIND({MLKG.Model} AS ?o) }} }}"
)
_LINEAGE = frozenset(MLKG[name] for name in LINEAGE_PROPERTIES)
_SERIES_FACTS = frozenset({MLKG.modelName, MLKG.hub, MLKG.version})


class LinkChanges:
    """What one load's writes can change in the derived graphs, noted as the writes happen.

    The derived graphs were right for the store before the load (every load ends with them);
    only what the load's graphs mention can make them wrong. Every graph the load writes or
    drops (W and R) is read for the triples the rules look at: its old content just before
    each write (:meth:`writing`), its new content at the end (:meth:`derive`). From those:

    * ``targets``: lineage targets and ``foaf:topic`` objects, old and new. A target's flag
      depends only on whether some graph links to it and whether some graph has it as topic;
      both can change only through a triple in W or R, so other targets keep their flag.
    * ``versioned`` (models with a ``modelName``, ``hub`` or ``version`` triple, or a topic, in
      W or R) and ``series``, the (hub, name) series they were in, read from the store just
      before the write that changes them. Other models keep their rows, so only those series
      and the series the models are in afterwards can change (:func:`revisions_update`).
    * ``candidates`` and ``archs``: the same for the same-weights rule and its architecture
      groups (:func:`mlkg.identity.same_weights_update`).

    ``full`` (derive everything from the whole store instead) when a derived graph is missing
    or from another version (a first build), when a killed load left :data:`PENDING_GRAPH`, when
    a target is not an IRI, or when the load touched many graphs.
    """

    def __init__(self, store: GraphStore, iris: Iris):
        self.iris = iris
        self.pending = iris.resource(PENDING_GRAPH)
        expected = {
            iris.resource(REVISIONS_GRAPH): REVISIONS_LABEL,
            iris.resource(SAME_WEIGHTS_GRAPH): SAME_WEIGHTS_LABEL,
            iris.resource(UNRESOLVED_GRAPH): UNRESOLVED_LABEL,
            self.pending: PENDING_LABEL,
        }
        pairs = " ".join(f"({g} {Literal(label)})" for g, label in expected.items())
        found = {
            row["g"]
            for row in store.query(
                f"SELECT ?g WHERE {{ VALUES (?g ?label) {{ {pairs} }} "
                "GRAPH ?g { ?g rdfs:label ?label } }",
                union_default_graph=False,
            )
        }
        #: Whether :data:`PENDING_GRAPH` is in the store (left by a killed load, or written).
        self.marked = self.pending in found
        self.full = self.marked or len(found) < 3
        self.limit = INCREMENTAL_MIN_GRAPHS
        self.graphs: set[NamedNode] = set()
        self.written: set[NamedNode] = set()
        self.targets: set[NamedNode] = set()
        self.versioned: set[NamedNode] = set()
        self.series: set[Series] = set()
        self.candidates: set[NamedNode] = set()
        self.archs: set[str] = set()

    def limit_to(self, stored: int) -> None:
        """Derive from the whole store once more than this share of ``stored`` graphs changed."""
        self.limit = max(INCREMENTAL_MIN_GRAPHS, int(INCREMENTAL_SHARE * stored))
        self._check_size()

    def writing(self, store: GraphStore, graphs: Collection[NamedNode], *, new: bool) -> None:
        """Before ``graphs`` are written or dropped; ``new``: they are not in the store yet."""
        if not self.marked:
            mark_derived_stale(store, self.iris)
            self.marked = True
        if self.full:
            return
        self.graphs.update(graphs)
        if self._check_size() or new:
            return
        versioned, candidates = self._read(store, graphs)
        self.series |= series_of(store, versioned)
        self.archs |= touched_archs(store, self.iris, candidates)

    def wrote(self, graphs: Collection[NamedNode]) -> None:
        """After ``graphs`` were written (their new content is read at the end)."""
        if not self.full:
            self.written.update(graphs)

    def derive(self, store: GraphStore) -> int:
        """The links stage: bring the derived graphs in step with the load, then clear the
        pending mark. Returns the number of unresolved lineage targets."""
        if not self.full:
            self._read(store, self.written)
        if self.full:
            logger.info("links: derived from the whole store")
        else:
            logger.info(
                "links: derived again for the %d graphs written or dropped", len(self.graphs)
            )
        derive_revisions(store, self.iris, self)
        derive_same_weights_links(store, self.iris, self)
        unresolved = check_links(store, self.iris, self)
        if self.marked:
            store.drop_graphs([self.pending])
            self.marked = False
        return unresolved

    def _check_size(self) -> bool:
        if not self.full and len(self.graphs) > self.limit:
            self._give_up()
        return self.full

    def _give_up(self) -> None:
        self.full = True
        for noted in (self.graphs, self.written, self.targets, self.versioned, self.candidates):
            noted.clear()
        self.series.clear()
        self.archs.clear()

    def _read(
        self, store: GraphStore, graphs: Iterable[NamedNode]
    ) -> tuple[set[NamedNode], set[NamedNode]]:
        """Note what the graphs' current content mentions; returns the (versioned, candidate)
        models it names."""
        versioned: set[NamedNode] = set()
        candidates: set[NamedNode] = set()
        for batch in values_batches(sorted(graphs, key=str)):
            for row in store.query(WATCHED_CONTENT % batch, union_default_graph=False):
                s, p, o = row["s"], row["p"], row["o"]
                if p in _LINEAGE or p == FOAF.topic:
                    if not isinstance(o, NamedNode):
                        self._give_up()  # VALUES cannot name a blank node
                        return set(), set()
                    self.targets.add(o)
                    if p == FOAF.topic:
                        versioned.add(o)
                        candidates.add(o)
                elif isinstance(s, NamedNode):
                    if p in _SERIES_FACTS:
                        versioned.add(s)
                    if p not in (MLKG.modelName, MLKG.version):
                        candidates.add(s)
        self.versioned |= versioned
        self.candidates |= candidates
        return versioned, candidates


class TrackedStore:
    """The session's store: every graph write goes through :class:`LinkChanges` first."""

    def __init__(self, store: GraphStore, changes: LinkChanges):
        self.inner = store
        self.changes = changes

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def add_new_graphs(self, graphs: Mapping[NamedNode, Sequence[Quad]]) -> None:
        if graphs:
            self.changes.writing(self.inner, list(graphs), new=True)
            self.inner.add_new_graphs(graphs)
            self.changes.wrote(list(graphs))

    def replace_graphs(self, graphs: Mapping[NamedNode, Sequence[Quad]]) -> None:
        if graphs:
            self.changes.writing(self.inner, list(graphs), new=False)
            self.inner.replace_graphs(graphs)
            self.changes.wrote(list(graphs))

    def drop_graphs(self, graphs: Iterable[NamedNode]) -> None:
        graphs = list(graphs)
        if graphs:
            self.changes.writing(self.inner, graphs, new=False)
            self.inner.drop_graphs(graphs)

    def update_quads(self, remove: Iterable[Quad], add: Iterable[Quad]) -> None:
        remove, add = list(remove), list(add)
        graphs = list({q.graph_name for q in remove + add})
        if graphs:
            self.changes.writing(self.inner, graphs, new=False)
            self.inner.update_quads(remove, add)
            self.changes.wrote(graphs)

    def close(self) -> None:
        self.inner.close()

    def __enter__(self) -> TrackedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
