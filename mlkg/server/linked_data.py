"""Linked data: resource IRIs ⇄ server paths, reading the graph, describing one resource.

**How IRIs map to server paths.** Every resource IRI is ``{base}{rest}`` (``base`` is the
configured resource base, default ``https://w3id.org/mlkg/resource/``). The server answers for
it at ``{resource_prefix}{rest}``, ``resource_prefix`` defaulting to ``/resource/``; ``rest`` is
taken from the raw request path, percent-encoding kept, so an IRI with ``%20`` or ``%2F`` in a
segment maps back exactly. A persistent-identifier redirect (w3id.org) therefore only has to
send ``https://w3id.org/mlkg/resource/(.*)`` to ``https://<server>/resource/$1`` and
``https://w3id.org/mlkg/ontology`` to ``https://<server>/ontology``. A server whose public URL
*is* the base (base ``https://kg.example.org/resource/``) needs no redirect at all. Any other
IRI in the graph (SPDX licences, W3C terms) is described at ``/-/resource?iri=<IRI>``.

**Reading.** :class:`GraphReader` answers page queries from the current read-only snapshot
(:mod:`mlkg.snapshots`), switching when a build publishes a new one, so pages never wait for a
build or see half of it. A store with no snapshot yet (built before snapshots existed) is read
directly, read-only.

**Describing.** :func:`describe` gathers what a page or a machine-readable twin shows: the
resource's statements (union of all graphs, each once), incoming links (capped), labels of the
nodes it links to, and which record graphs state it. :func:`read_model` adds what a model page
shows beyond that: evaluations, hyperparameters, training runs and lineage, each list capped.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, unquote, urlencode

from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    RdfFormat,
    Store,
    Triple,
    Variable,
    parse,
    serialize,
)

from mlkg.config import Settings
from mlkg.errors import StoreError
from mlkg.namespaces import (
    DCTERMS,
    MLKG,
    ONTOLOGY_IRI,
    OWL,
    PREFIXES,
    RDF,
    RDFS,
    SKOS,
)
from mlkg.resources import data_dir
from mlkg.server.negotiation import GRAPH_FORMATS, Format, by_name, negotiate

logger = logging.getLogger(__name__)

DEFAULT_RESOURCE_PREFIX = "/resource/"
ONTOLOGY_PATH = "/ontology"
ANY_RESOURCE_PATH = "/-/resource"

#: Most statements about one resource a page or twin shows (one past it marks the cut).
MAX_OUTGOING = 2_000
#: Most incoming links shown (a popular dataset has thousands of models trained on it).
MAX_INCOMING = 200
#: Most record graphs listed as "stated in".
MAX_GRAPHS = 20
#: IRIs per label lookup query.
LABEL_BATCH = 400

HTML = Format("text/html", ("html",), ("application/xhtml+xml",))
#: What a resource IRI is served as: HTML first (the choice for ``*/*``), then RDF.
RDF_FORMATS: tuple[Format, ...] = tuple(
    f for f in GRAPH_FORMATS if f.media_type not in ("application/n-quads", "application/trig")
)
RESOURCE_FORMATS: tuple[Format, ...] = (HTML, *RDF_FORMATS)
RDF_BY_TYPE: dict[str, RdfFormat] = {
    "text/turtle": RdfFormat.TURTLE,
    "application/n-triples": RdfFormat.N_TRIPLES,
    "application/ld+json": RdfFormat.JSON_LD,
    "application/rdf+xml": RdfFormat.RDF_XML,
}
#: ``format=`` value used in alternate links, per media type.
FORMAT_PARAM: dict[str, str] = {
    "text/turtle": "turtle",
    "application/ld+json": "jsonld",
    "application/n-triples": "ntriples",
    "application/rdf+xml": "rdfxml",
}

LABEL_PREDICATES: tuple[NamedNode, ...] = (RDFS.label, SKOS.prefLabel, DCTERMS.title)


def choose_format(
    format_param: str | None, accept: str | None, offers: Sequence[Format]
) -> Format | None:
    """A ``format=`` parameter wins over ``Accept``; None when nothing offered is acceptable."""
    if format_param:
        return by_name(format_param, offers)
    return negotiate(accept, offers)


# -- IRIs and paths ------------------------------------------------------------------------


_PERCENT = re.compile(r"%[0-9a-fA-F]{2}")


@dataclass(frozen=True)
class ResourcePaths:
    """The mapping between resource IRIs and this server's paths (see the module docstring)."""

    base_iri: str
    prefix: str = DEFAULT_RESOURCE_PREFIX
    script_root: str = ""

    def iri_from_raw(self, raw_rest: str) -> str:
        """The IRI for the part of the raw request path after the prefix.

        Percent-escapes are normalised to upper case (as :mod:`mlkg.iris` mints them); raw
        characters outside the IRI syntax are percent-encoded, as a browser would.

        >>> ResourcePaths("https://e.org/r/").iri_from_raw("publisher/x/Sample%2fGroup")
        'https://e.org/r/publisher/x/Sample%2FGroup'
        """
        rest = _PERCENT.sub(lambda m: m.group(0).upper(), raw_rest)
        rest = quote(rest, safe="/%:@!$&'()*+,;=-._~")
        return self.base_iri + rest

    def href(self, iri: str) -> str | None:
        """This server's path for an IRI it can show, or None (the IRI is then external)."""
        if iri.startswith(self.base_iri) and len(iri) > len(self.base_iri):
            return self.script_root + self.prefix + iri[len(self.base_iri) :]
        if iri == ONTOLOGY_IRI:
            return self.script_root + ONTOLOGY_PATH
        if iri.startswith(ONTOLOGY_IRI + "#"):
            return self.script_root + ONTOLOGY_PATH + iri[len(ONTOLOGY_IRI) :]
        return None

    def display(self, iri: str) -> str:
        """Text for an IRI without a label: ``prefix:name``, the path under the base, or the IRI.

        >>> ResourcePaths("https://e.org/r/").display("https://e.org/r/graph/tfhub/a/1.md")
        'graph/tfhub/a/1.md'
        """
        compacted = compact(iri)
        if compacted != iri:
            return compacted
        if iri.startswith(self.base_iri) and len(iri) > len(self.base_iri):
            return unquote(iri[len(self.base_iri) :])
        return iri

    def describe_href(self, iri: str) -> str:
        """The generic page of any IRI (used for IRIs the graph describes but does not mint)."""
        return self.script_root + ANY_RESOURCE_PATH + "?" + urlencode({"iri": iri})


def raw_path(environ: Mapping[str, object], fallback: str) -> str:
    """The request path as the client sent it (percent-escapes kept), without the query.

    WSGI decodes ``PATH_INFO``, which would turn ``%2F`` inside an id segment into ``/``;
    waitress and Werkzeug keep the original in ``REQUEST_URI``/``RAW_URI``.
    """
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not isinstance(raw, str) or not raw.startswith("/"):
        return quote(fallback, safe="/%:@!$&'()*+,;=-._~")
    return raw.split("?", 1)[0]


# -- reading the graph ----------------------------------------------------------------------


class Reader(Protocol):
    """What pages read through: SPARQL over the union graph, and a version for caches."""

    @property
    def version(self) -> object: ...

    def query(self, sparql: str, substitutions: Mapping[Variable, object] | None = None): ...


class GraphReader:
    """Read access for pages: the current snapshot, reopened when a newer one is published.

    Thread-safe: queries run concurrently on one read-only store; switching snapshots keeps
    the previous lease until the next switch, so a query still running on it is not cut off.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._store: Store | None = None
        self._version: object = None
        self._leases: list = []

    @property
    def version(self) -> object:
        """Changes whenever the data a page sees may have changed (for caches): the snapshot
        sequence number, None before the first snapshot."""
        from mlkg.snapshots import current_sequence

        return current_sequence(self.settings)

    def store(self) -> Store:
        from mlkg.snapshots import SnapshotLease, current_sequence

        sequence = current_sequence(self.settings)
        with self._lock:
            if self._store is not None and sequence == self._version:
                return self._store
            if sequence is None:
                if self._store is None:
                    self._store = self._open_live()
                    self._version = None
                return self._store
            lease = SnapshotLease.acquire(self.settings)
            store = Store.read_only(str(lease.store_path))
            self._leases = [*self._leases[-1:], lease]
            for old in self._leases[:-2]:
                old.release()
            self._store, self._version = store, lease.sequence
            return store

    def _open_live(self) -> Store:
        path = self.settings.store_path
        if not path.exists():
            raise StoreError(f"no store at {path}: run `mlkg build` first")
        return Store.read_only(str(path))

    def query(self, sparql: str, substitutions: Mapping[Variable, object] | None = None):
        """A SPARQL query over the union of all graphs, with the usual prefixes declared."""
        return self.store().query(
            sparql,
            use_default_graph_as_union=True,
            prefixes=PREFIXES,
            substitutions=substitutions,
        )

    def close(self) -> None:
        with self._lock:
            for lease in self._leases:
                lease.release()
            self._leases, self._store = [], None


class SparqlJsonResult:
    """SPARQL JSON results as pyoxigraph terms: ``.variables`` and rows with ``row["x"]``."""

    def __init__(self, results: Mapping):
        self.variables = [Variable(name) for name in results.get("head", {}).get("vars", [])]
        self.truncated = bool(results.get("truncated"))
        self._bindings = results.get("results", {}).get("bindings", [])

    def __iter__(self):
        for binding in self._bindings:
            yield _Row({name: _term(value) for name, value in binding.items()})


class _Row(dict):
    """A solution; an unbound variable reads as None, as in pyoxigraph's solutions."""

    def __missing__(self, key: str) -> None:
        return None


def _term(value: Mapping) -> NamedNode | BlankNode | Literal | None:
    kind = value.get("type")
    if kind == "uri":
        return NamedNode(value["value"])
    if kind == "bnode":
        return BlankNode(value["value"])
    if kind in ("literal", "typed-literal"):
        if value.get("xml:lang"):
            return Literal(value["value"], language=value["xml:lang"])
        if value.get("datatype"):
            return Literal(value["value"], datatype=NamedNode(value["datatype"]))
        return Literal(value["value"])
    return None


class WorkerReader:
    """Page queries through the SPARQL server's worker processes (:mod:`mlkg.server.state`),
    so a page read gets the endpoint's snapshot isolation, timeout and row cap."""

    def __init__(self, server_state, settings: Settings):
        self.server_state = server_state
        self.settings = settings

    @property
    def version(self) -> object:
        from mlkg.snapshots import current_sequence

        return current_sequence(self.settings)

    def query(self, sparql: str, substitutions: Mapping[Variable, object] | None = None):
        if substitutions:
            raise ValueError("the worker reader takes no substitutions: inline the terms")
        return SparqlJsonResult(self.server_state.select(sparql))


def sparql_iri(iri: str) -> str:
    """``<iri>`` for a query; NamedNode refuses anything that could break out of the brackets."""
    return str(NamedNode(iri))


# -- describing a resource -----------------------------------------------------------------


@dataclass
class Statement:
    predicate: NamedNode
    object: NamedNode | BlankNode | Literal
    own: bool
    """Stated by a graph whose record describes this resource (not only by someone's stub)."""


@dataclass
class Description:
    """Everything known about one IRI, bounded."""

    iri: str
    statements: list[Statement] = field(default_factory=list)
    incoming: list[tuple[NamedNode, NamedNode]] = field(default_factory=list)
    graphs: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    outgoing_truncated: bool = False
    incoming_truncated: bool = False

    @property
    def exists(self) -> bool:
        return bool(self.statements or self.incoming)

    @property
    def types(self) -> list[str]:
        return [s.object.value for s in self.statements if s.predicate == RDF.type]

    def values(self, predicate: NamedNode) -> list[NamedNode | BlankNode | Literal]:
        """Objects of ``predicate``: the resource's own record's when it has any, else all."""
        found = [s for s in self.statements if s.predicate == predicate]
        own = [s.object for s in found if s.own]
        return own or [s.object for s in found]

    def first(self, predicate: NamedNode) -> NamedNode | BlankNode | Literal | None:
        values = self.values(predicate)
        return values[0] if values else None

    @property
    def label(self) -> str:
        for predicate in LABEL_PREDICATES:
            value = self.first(predicate)
            if isinstance(value, Literal):
                return value.value
        return self.labels.get(self.iri) or short_name(self.iri)


def short_name(iri: str) -> str:
    """The last path segment or fragment of an IRI, percent-decoded, for display.

    >>> short_name("https://w3id.org/mlkg/resource/publisher/x/Sample%20Group")
    'Sample Group'
    """
    tail = re.split(r"[/#]", iri.rstrip("/#"))[-1] or iri
    return unquote(tail)


def describe(
    reader: Reader,
    iri: str,
    *,
    max_outgoing: int = MAX_OUTGOING,
    max_incoming: int = MAX_INCOMING,
) -> Description:
    """The statements about ``iri`` (each once over all graphs), incoming links and labels."""
    node = sparql_iri(iri)
    description = Description(iri)
    # Each distinct statement once (the union graph keeps a copy per graph stating it: a base
    # model's stub facts are repeated in every derived model's record), then which of them
    # the resource's own record graphs (``?g foaf:topic <iri>``) state, read from those only.
    rows = list(
        reader.query(f"SELECT DISTINCT ?p ?o WHERE {{ {node} ?p ?o }} LIMIT {max_outgoing + 1}")
    )
    own: set[tuple[str, str]] = set()
    for graph in _topic_graphs(reader, node):
        own.update(
            (r["p"].value, str(r["o"]))
            for r in reader.query(f"SELECT ?p ?o WHERE {{ GRAPH {graph} {{ {node} ?p ?o }} }}")
        )
    description.outgoing_truncated = len(rows) > max_outgoing
    description.statements = sorted(
        (
            Statement(r["p"], r["o"], (r["p"].value, str(r["o"])) in own)
            for r in rows[:max_outgoing]
        ),
        key=lambda s: (s.predicate.value, str(s.object)),
    )
    incoming = list(
        reader.query(
            f"SELECT DISTINCT ?s ?p WHERE {{ ?s ?p {node} FILTER(isIRI(?s)) }} "
            f"LIMIT {max_incoming + 1}"
        )
    )
    description.incoming_truncated = len(incoming) > max_incoming
    description.incoming = sorted(
        ((r["s"], r["p"]) for r in incoming[:max_incoming]), key=lambda t: (t[1].value, t[0].value)
    )
    description.graphs = [
        r["g"].value
        for r in reader.query(
            f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ {node} ?p ?o }} }} LIMIT {MAX_GRAPHS}"
        )
    ]
    linked = {iri}
    linked.update(s.predicate.value for s in description.statements)
    linked.update(s.object.value for s in description.statements if isinstance(s.object, NamedNode))
    for subject, predicate in description.incoming:
        linked.update((subject.value, predicate.value))
    description.labels = labels_of(reader, linked)
    return description


def _topic_graphs(reader: Reader, node: str) -> list[NamedNode]:
    """The record graphs describing ``node`` (``?g foaf:topic node``; one, as a rule)."""
    return [
        row["g"]
        for row in reader.query(f"SELECT DISTINCT ?g WHERE {{ ?g foaf:topic {node} }} LIMIT 1000")
        if isinstance(row["g"], NamedNode)
    ]


def labels_of(reader: Reader, iris: Iterable[str]) -> dict[str, str]:
    """A display label per IRI that has one: the describing record's own label first, then
    ``rdfs:label``, ``skos:prefLabel``, ``dcterms:title``; English or untagged first.

    An IRI's own labels are read from its record graphs (those whose ``foaf:topic`` it is)
    only: a base model's label is copied as a stub into every derived model's record graph,
    and a join over ``GRAPH ?g { ?x ?p ?label }`` would see every copy. Only IRIs without a
    record of their own (a hyperparameter, a stub) have their labels read over all graphs,
    each distinct value once."""
    result: dict[str, str] = {}
    pending = sorted({i for i in iris if i})
    order = [p.value for p in LABEL_PREDICATES]
    for start in range(0, len(pending), LABEL_BATCH):
        batch = pending[start : start + LABEL_BATCH]
        own = _own_labels(reader, batch)
        found = {(x, p, label, True) for x, p, label in own}
        others = [i for i in batch if i not in {x for x, _, _ in own}]
        if others:
            values = " ".join(sparql_iri(i) for i in others)
            branches = " UNION ".join(
                f"{{ ?x {p} ?label BIND({p} AS ?p) }}" for p in LABEL_PREDICATES
            )
            found.update(
                (row["x"].value, row["p"].value, row["label"], False)
                for row in reader.query(
                    f"SELECT DISTINCT ?x ?p ?label WHERE {{ VALUES ?x {{ {values} }} "
                    f"{branches} FILTER(isLiteral(?label)) }}"
                )
            )
        best: dict[str, tuple] = {}
        for key, predicate, label, stated in found:
            rank = (
                0 if stated else 1,
                order.index(predicate),
                0 if label.language in (None, "en") else 1,
                label.value,
            )
            if key not in best or rank < best[key]:
                best[key] = rank
        result.update({key: rank[3] for key, rank in best.items()})
    return result


def _own_labels(reader: Reader, iris: Sequence[str]) -> set[tuple[str, str, Literal]]:
    """(IRI, label predicate, label) stated in a record graph whose ``foaf:topic`` the IRI is."""
    values = " ".join(sparql_iri(i) for i in iris)
    topics = [
        (row["g"], row["x"])
        for row in reader.query(
            f"SELECT ?g ?x WHERE {{ VALUES ?x {{ {values} }} ?g foaf:topic ?x }}"
        )
        if isinstance(row["g"], NamedNode)
    ]
    if not topics:
        return set()
    pairs = " ".join(f"({g} {x})" for g, x in topics)
    branches = " UNION ".join(f"{{ ?x {p} ?label BIND({p} AS ?p) }}" for p in LABEL_PREDICATES)
    return {
        (row["x"].value, row["p"].value, row["label"])
        for row in reader.query(
            f"SELECT ?x ?p ?label WHERE {{ VALUES (?g ?x) {{ {pairs} }} "
            f"GRAPH ?g {{ {branches} }} FILTER(isLiteral(?label)) }}"
        )
    }


# -- a model's evaluations, training and lineage ---------------------------------------------

#: Rows in a model page's tables and lineage lists (one more marks the cut).
MAX_EVALUATIONS = 500
MAX_SETTINGS = 300
MAX_LINEAGE = 100
LINEAGE = (
    MLKG.derivedFrom,
    MLKG.fineTunedFrom,
    MLKG.adapterOf,
    MLKG.quantizedFrom,
    MLKG.mergedFrom,
    MLKG.convertedFrom,
)
LINEAGE_PATH = "|".join(str(p) for p in LINEAGE)
LINEAGE_VALUES = " ".join(str(p) for p in LINEAGE)

EVALUATIONS = """SELECT DISTINCT ?e ?metric ?value ?spread ?raw ?on ?label ?verified ?name WHERE {
  ?e mlkg:evaluatedModel %s ; mlkg:metric ?metric ; mlkg:value ?value .
  OPTIONAL { ?e mlkg:onDataset ?on }
  OPTIONAL { ?e mlkg:valueSpread ?spread } OPTIONAL { ?e mlkg:rawValue ?raw }
  OPTIONAL { ?e mlkg:forLabel ?label } OPTIONAL { ?e mlkg:verified ?verified }
  OPTIONAL { ?e rdfs:label ?name }
} ORDER BY ?metric ?on ?label LIMIT %d"""
#: The dataset and split name of the splits evaluations are on. These facts are repeated in the
#: record of every model evaluated on the split: each distinct value is read once with a ``p+``
#: path (the ``EXISTS`` keeps direct statements only), so rows do not multiply by the copies.
SPLITS = """SELECT ?on ?dataset ?split WHERE { VALUES ?on { %s }
  { ?on dcterms:isPartOf+ ?dataset FILTER EXISTS { ?on dcterms:isPartOf ?dataset } }
  UNION { ?on mlkg:splitName+ ?split FILTER EXISTS { ?on mlkg:splitName ?split } }
}"""
SETTINGS = """SELECT DISTINCT ?setting ?param ?value ?raw WHERE {
  %s prov:wasGeneratedBy/mlkg:configuration/mlkg:setting ?setting .
  OPTIONAL { ?setting mlkg:hyperParameter ?param } OPTIONAL { ?setting mlkg:value ?value }
  OPTIONAL { ?setting mlkg:rawValue ?raw }
} ORDER BY ?param ?setting LIMIT %d"""
TRAINING = """SELECT DISTINCT ?run ?dataset WHERE {
  %s prov:wasGeneratedBy ?run . OPTIONAL { ?run prov:used ?dataset }
} ORDER BY ?run ?dataset LIMIT 200"""
PARENTS = (
    "SELECT DISTINCT ?rel ?x WHERE { %s ?rel ?x VALUES ?rel { %s } } ORDER BY ?rel ?x LIMIT %d"
)
#: Children and descendants of a popular base model run to thousands: fetched unsorted (cheap)
#: and put in ``ORDER BY`` order here, which spares the store decoding every IRI to sort it.
CHILDREN = "SELECT ?rel ?x WHERE { VALUES ?rel { %s } ?x ?rel %s }"
ANCESTORS = "SELECT DISTINCT ?x WHERE { %s (%s)+ ?x } ORDER BY ?x LIMIT %d"
DESCENDANTS = "SELECT ?x WHERE { ?x (%s)+ %s }"
VARIANTS = """SELECT DISTINCT ?x WHERE {
  { %(m)s mlkg:convertedFrom ?base . ?x mlkg:convertedFrom ?base FILTER(?x != %(m)s) }
  UNION { %(m)s mlkg:convertedFrom ?x } UNION { ?x mlkg:convertedFrom %(m)s }
} ORDER BY ?x LIMIT %(limit)d"""
OLDER = """SELECT DISTINCT ?x ?version WHERE {
  %s mlkg:revisionOf+ ?x OPTIONAL { ?x mlkg:version ?version }
} ORDER BY DESC(?version) ?x LIMIT %d"""
NEWER = """SELECT DISTINCT ?x ?version WHERE {
  ?x mlkg:revisionOf+ %s OPTIONAL { ?x mlkg:version ?version }
} ORDER BY ?version ?x LIMIT %d"""


def _rows(reader: Reader, sparql: str) -> list[dict]:
    result = reader.query(sparql)
    names = [v.value for v in result.variables]
    return [{name: row[name] for name in names if row[name] is not None} for row in result]


def _iris_in(*row_lists: list[dict]) -> set[str]:
    return {
        term.value
        for rows in row_lists
        for row in rows
        for term in row.values()
        if isinstance(term, NamedNode)
    }


@dataclass
class ModelDetails:
    """What a model page shows beyond the model's own statements: rows of SPARQL solutions
    (one past each cap, so a page can say the list was cut) and labels of the nodes in them."""

    evaluations: list[dict]
    settings: list[dict]
    runs: list[dict]
    lineage: dict[str, list[dict]]
    labels: dict[str, str]


def _order_key(term) -> tuple:
    """SPARQL ``ORDER BY`` order of one term: unbound, blank nodes, IRIs, literals."""
    if term is None:
        return (0, "")
    if isinstance(term, BlankNode):
        return (1, term.value)
    if isinstance(term, NamedNode):
        return (2, term.value)
    return (3, term.value)


#: Most rows sorted here; beyond it the store sorts (``ORDER BY ... LIMIT``), as a reader's
#: row cap could otherwise cut the unsorted list.
MAX_SORTED_HERE = 20_000


def _sorted_rows(reader: Reader, sparql: str, keys: Sequence[str]) -> list[dict]:
    """``SELECT DISTINCT`` rows of ``sparql`` in ``ORDER BY`` order of ``keys``, one past
    MAX_LINEAGE at most."""
    rows = _rows(reader, f"{sparql} LIMIT {MAX_SORTED_HERE + 1}")
    if len(rows) > MAX_SORTED_HERE:
        order = " ".join(f"?{k}" for k in keys)
        distinct = sparql.replace("SELECT ", "SELECT DISTINCT ", 1)
        return _rows(reader, f"{distinct} ORDER BY {order} LIMIT {MAX_LINEAGE + 1}")
    unique = {tuple(sorted((k, str(v)) for k, v in row.items())): row for row in rows}
    ordered = sorted(unique.values(), key=lambda r: tuple(_order_key(r.get(k)) for k in keys))
    return ordered[: MAX_LINEAGE + 1]


def _evaluations(reader: Reader, node: str) -> list[dict]:
    """The model's evaluations with the dataset and split name of the split each is on, as
    ``ORDER BY ?metric ?on ?label``, one past MAX_EVALUATIONS at most."""
    rows = _rows(reader, EVALUATIONS % (node, MAX_EVALUATIONS + 1))
    splits = sorted({row["on"].value for row in rows if isinstance(row.get("on"), NamedNode)})
    datasets: dict[str, list] = {}
    names: dict[str, list] = {}
    if splits:
        values = " ".join(sparql_iri(i) for i in splits)
        for found in _rows(reader, SPLITS % values):
            if "dataset" in found:
                datasets.setdefault(found["on"].value, []).append(found["dataset"])
            if "split" in found:
                names.setdefault(found["on"].value, []).append(found["split"])
    result = []
    for row in rows:
        on = row.get("on")
        key = on.value if isinstance(on, NamedNode) else None
        pairs = [
            {"dataset": d, "split": n} for d in datasets.get(key, []) for n in names.get(key, [])
        ]
        result.extend({**row, **pair} for pair in pairs or [{}])
    result.sort(key=lambda r: tuple(_order_key(r.get(v)) for v in ("metric", "on", "label")))
    return result[: MAX_EVALUATIONS + 1]


def read_model(reader: Reader, iri: str) -> ModelDetails:
    """Evaluations, hyperparameter settings, training runs and lineage (derivation up and down,
    conversions, versions) of the model ``iri``; each list bounded."""
    node = sparql_iri(iri)
    evaluations = _evaluations(reader, node)
    settings_rows = _rows(reader, SETTINGS % (node, MAX_SETTINGS + 1))
    runs = _rows(reader, TRAINING % node)
    lineage = {
        "parents": _rows(reader, PARENTS % (node, LINEAGE_VALUES, MAX_LINEAGE + 1)),
        "ancestors": _rows(reader, ANCESTORS % (node, LINEAGE_PATH, MAX_LINEAGE + 1)),
        "children": _sorted_rows(reader, CHILDREN % (LINEAGE_VALUES, node), ("rel", "x")),
        "descendants": _sorted_rows(reader, DESCENDANTS % (LINEAGE_PATH, node), ("x",)),
        "variants": _rows(reader, VARIANTS % {"m": node, "limit": MAX_LINEAGE + 1}),
        "older": _rows(reader, OLDER % (node, MAX_LINEAGE + 1)),
        "newer": _rows(reader, NEWER % (node, MAX_LINEAGE + 1)),
    }
    labels = labels_of(reader, _iris_in(evaluations, settings_rows, runs, *lineage.values()))
    return ModelDetails(evaluations, settings_rows, runs, lineage, labels)


def description_triples(description: Description, *, with_labels: bool = True) -> list[Triple]:
    """The machine-readable twin of a page: the resource's statements, its incoming links and
    the labels of the nodes it links to (so a client can show names without more requests)."""
    subject = NamedNode(description.iri)
    triples = [Triple(subject, s.predicate, s.object) for s in description.statements]
    triples.extend(Triple(s, p, subject) for s, p in description.incoming)
    if with_labels:
        for iri, label in sorted(description.labels.items()):
            if iri != description.iri:
                triples.append(Triple(NamedNode(iri), RDFS.label, Literal(label)))
    return triples


def serialize_triples(triples: Iterable[Triple], media_type: str) -> bytes:
    return serialize(list(triples), format=RDF_BY_TYPE[media_type], prefixes=PREFIXES)


# -- the ontology ---------------------------------------------------------------------------


def ontology_path() -> Path:
    return data_dir("ontology") / "mlkg.ttl"


@dataclass(frozen=True)
class OntologyTerm:
    iri: str
    local: str
    kind: str
    label: str
    comment: str
    parents: tuple[str, ...] = ()
    domain: tuple[str, ...] = ()
    range: tuple[str, ...] = ()


_TERM_KINDS = {
    OWL.Class.value: "class",
    OWL.ObjectProperty.value: "object property",
    OWL.DatatypeProperty.value: "datatype property",
    OWL.AnnotationProperty.value: "annotation property",
}


@cache
def ontology_triples() -> tuple[Triple, ...]:
    return tuple(parse(path=str(ontology_path()), format=RdfFormat.TURTLE))


@cache
def ontology_terms() -> tuple[OntologyTerm, ...]:
    """The classes and properties the ontology defines in the mlkg namespace, sorted by kind
    and name (for the documentation page)."""
    namespace = str(MLKG)
    facts: dict[str, dict[str, list[str]]] = {}
    for triple in ontology_triples():
        subject = triple.subject
        if isinstance(subject, NamedNode) and subject.value.startswith(namespace):
            facts.setdefault(subject.value, {}).setdefault(triple.predicate.value, []).append(
                triple.object.value
            )
    terms = []
    for iri, by_predicate in facts.items():
        kinds = [_TERM_KINDS[t] for t in by_predicate.get(RDF.type.value, []) if t in _TERM_KINDS]
        if not kinds:
            continue
        terms.append(
            OntologyTerm(
                iri=iri,
                local=iri[len(namespace) :],
                kind=kinds[0],
                label=(by_predicate.get(RDFS.label.value) or [iri[len(namespace) :]])[0],
                comment=(by_predicate.get(RDFS.comment.value) or [""])[0],
                parents=tuple(
                    by_predicate.get(RDFS.subClassOf.value, [])
                    + by_predicate.get(RDFS.subPropertyOf.value, [])
                ),
                domain=tuple(by_predicate.get(RDFS.domain.value, [])),
                range=tuple(by_predicate.get(RDFS.range.value, [])),
            )
        )
    order = list(_TERM_KINDS.values())
    return tuple(sorted(terms, key=lambda t: (order.index(t.kind), t.local.lower())))


def ontology_document(media_type: str) -> bytes:
    """The ontology in an RDF format (Turtle is the shipped file itself)."""
    if media_type == "text/turtle":
        return ontology_path().read_bytes()
    return serialize_triples(ontology_triples(), media_type)


def ontology_header() -> dict[str, str]:
    """Title, comment and version of the ontology, for its page."""
    subject = NamedNode(ONTOLOGY_IRI)
    found: dict[str, str] = {}
    for triple in ontology_triples():
        if triple.subject == subject and isinstance(triple.object, Literal):
            found.setdefault(triple.predicate.value, triple.object.value)
    return {
        "title": found.get(DCTERMS.title.value, "mlkg ontology"),
        "comment": found.get(RDFS.comment.value, ""),
        "version": found.get(OWL.versionInfo.value, ""),
    }


def compact(iri: str) -> str:
    """``prefix:name`` for IRIs in a known namespace, else the IRI."""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and re.fullmatch(r"[\w.-]+", iri[len(namespace) :]):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri
