"""The Python API: ``mlkg.open(path_or_url)`` gives a :class:`Graph` to query from Python.

Notebooks and scripts want Python values, not RDF terms: a typed literal comes back as ``int``,
``float``, ``bool`` or ``datetime``, an IRI as :class:`IRI` (a ``str`` that knows it is an IRI),
and a model as a :class:`Model` holding its facts, evaluations, training configuration and
lineage. Everything else is delegated to the library: SPARQL to the store (:mod:`mlkg.store`),
named queries to :mod:`mlkg.queries`, search to :mod:`mlkg.search`, planning to
:mod:`mlkg.optimizer`, SHACL to :mod:`mlkg.validation`, dumps to :mod:`mlkg.export`.

A :class:`Graph` over a data directory opens its embedded store read-only by default: reading
is all it does, and a read-only open does not take the lock a running ``mlkg serve`` or
``mlkg build`` holds. Close it (or use ``with``) to release the files.

Examples, over a graph built from the bundled sample zoo (see :func:`build_sample`)::

    >>> graph.query("SELECT (COUNT(*) AS ?n) WHERE { ?m mlkg:downloads ?d FILTER(?d > 100000) }")
    [{'n': 1}]
    >>> model = graph.model("nimbus-ai/nimbus-7b")
    >>> model.downloads, model.library, model.hub.name
    (120345, 'transformers', 'huggingface')
    >>> for edge in sorted(model.children, key=lambda e: e.model_id)[:2]:
    ...     print(edge.model_id, edge.relation)
    fernleaf/nimbus-7b-sentiment fineTunedFrom
    fernleaf/nimbus-7b-sentiment-lora adapterOf

SPARQL results: https://www.w3.org/TR/sparql11-query/#QSynIntro ; the union default graph:
https://www.w3.org/TR/sparql11-query/#rdfDataset .
"""

from __future__ import annotations

import dataclasses
import difflib
import gzip
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    QueryBoolean,
    QuerySolutions,
    Triple,
    Variable,
)

from mlkg.config import Settings, resolve_settings
from mlkg.errors import MlkgError, QueryError, StoreError
from mlkg.links import DERIVATION_PROPERTIES
from mlkg.namespaces import PREFIXES, sparql_prologue
from mlkg.server.linked_data import SPLITS
from mlkg.store import values_batches

if TYPE_CHECKING:  # pragma: no cover - imported lazily at run time
    import pandas
    import rdflib

    from mlkg.export import ExportResult
    from mlkg.optimizer import Plan, Problem
    from mlkg.records import Verdict, Violation
    from mlkg.search import SearchHit

__all__ = [
    "IRI",
    "Evaluation",
    "Graph",
    "LineageEdge",
    "Model",
    "ModelNotFoundError",
    "TrainingConfiguration",
    "ValidationReport",
    "ValidationResult",
    "build_sample",
    "open",
    "to_python",
    "to_term",
]

_XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGERS = frozenset(
    _XSD + name
    for name in (
        *("integer", "int", "long", "short", "byte", "unsignedLong", "unsignedInt"),
        *("unsignedShort", "unsignedByte", "nonNegativeInteger", "positiveInteger"),
        *("negativeInteger", "nonPositiveInteger"),
    )
)
_FLOATS = frozenset(_XSD + name for name in ("double", "float", "decimal"))
_DATETIMES = frozenset((_XSD + "dateTime", _XSD + "dateTimeStamp"))
#: The lineage properties of the vocabulary contract (``mlkg:derivedFrom`` and its sub-properties).
LINEAGE_RELATIONS = DERIVATION_PROPERTIES
#: Record graphs read and validated together by :meth:`Graph.validate` (bounds memory).
VALIDATE_BATCH = 500
_LINEAGE_PATH = "|".join(f"mlkg:{name}" for name in LINEAGE_RELATIONS)
_LINEAGE_VALUES = " ".join(f"mlkg:{name}" for name in LINEAGE_RELATIONS)


class ModelNotFoundError(MlkgError, LookupError):
    """No model (or more than one) has the id given to :meth:`Graph.model`.

    ``candidates`` holds close ids (not found) or the IRIs that share the id (ambiguous).
    """

    def __init__(self, message: str, candidates: Iterable[str] = ()):
        super().__init__(message)
        self.candidates = list(candidates)


# -- values ------------------------------------------------------------------------------------


class IRI(str):
    """An IRI: a ``str`` (so it compares, sorts and prints as its text) that is not a literal.

    >>> IRI("https://w3id.org/mlkg/resource/task/fill-mask").name
    'fill-mask'
    """

    __slots__ = ()

    @property
    def name(self) -> str:
        """The last path segment or fragment: a short name for display."""
        return self.rstrip("/").rsplit("#", 1)[-1].rsplit("/", 1)[-1]

    def __repr__(self) -> str:
        return f"IRI({str.__repr__(self)})"


def to_python(term: Any) -> Any:
    """A Python value for an RDF term: numbers, booleans and dates typed, IRIs as :class:`IRI`.

    A literal whose text does not fit its datatype stays a ``str`` (sources are messy), and a
    blank node becomes ``"_:id"``. ``xsd:decimal`` becomes ``float``: notebooks and pandas want
    floats, and the graph's measurements are ``xsd:double`` anyway.

    >>> to_python(Literal("42", datatype=NamedNode(_XSD + "integer")))
    42
    >>> to_python(Literal("2024-01-05T09:00:00Z", datatype=NamedNode(_XSD + "dateTime"))).year
    2024
    >>> to_python(Literal("n/a", datatype=NamedNode(_XSD + "double")))
    'n/a'
    """
    if term is None:
        return None
    if isinstance(term, NamedNode):
        return IRI(term.value)
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    if not isinstance(term, Literal):
        return term
    datatype = term.datatype.value if term.datatype is not None else ""
    text = term.value
    try:
        if datatype in _INTEGERS:
            return int(text)
        if datatype in _FLOATS:
            return float(text)
        if datatype == _XSD + "boolean":
            if text.strip() in {"true", "1", "false", "0"}:
                return text.strip() in {"true", "1"}
            return text
        if datatype in _DATETIMES:
            return datetime.fromisoformat(text.strip())
        if datatype == _XSD + "date":
            return date.fromisoformat(text.strip())
    except ValueError:
        return text
    return text


def to_term(value: Any) -> NamedNode | Literal | BlankNode:
    """An RDF term for a query parameter.

    :class:`IRI` and :class:`Model` become IRIs; ``bool``, ``int``, ``float`` and ``datetime``
    typed literals; a ``str`` is read as on the command line (``<iri>``, an ``http(s)`` IRI,
    ``prefix:name``, a number, else a plain string), see :func:`mlkg.queries.parse_term`.

    >>> to_term(IRI("https://example.org/x"))
    <NamedNode value=https://example.org/x>
    >>> to_term("mlkg:Model").value
    'https://w3id.org/mlkg/ontology#Model'
    """
    from mlkg.queries import parse_term

    if isinstance(value, NamedNode | Literal | BlankNode):
        return value
    if isinstance(value, Model):
        return NamedNode(value.iri)
    if isinstance(value, IRI):
        return NamedNode(str(value))
    if isinstance(value, bool | int | float):
        return Literal(value)
    if isinstance(value, datetime):
        return Literal(value.isoformat(), datatype=NamedNode(_XSD + "dateTime"))
    if isinstance(value, date):
        return Literal(value.isoformat(), datatype=NamedNode(_XSD + "date"))
    return parse_term(str(value))


# -- result types ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    """One measured value of a model (an ``mlkg:Evaluation``).

    ``dataset`` is the dataset even when the source named a split (then ``split`` holds the
    split's name and ``on`` the split's IRI); ``label`` is the class the value is for, if any.
    """

    iri: str
    metric: IRI
    value: float | Any
    dataset: IRI | None
    split: str | None = None
    on: IRI | None = None
    label: IRI | None = None
    title: str | None = None
    verified: bool | None = None
    raw_value: str | None = None


@dataclass(frozen=True)
class TrainingConfiguration:
    """The hyperparameter settings of the training run that produced a model.

    ``hyperparameters`` maps each parameter's name (its label) to its typed value; ``datasets``
    are the datasets the run used (``prov:used``).
    """

    run: IRI
    iri: IRI | None
    hyperparameters: Mapping[str, Any]
    datasets: tuple[IRI, ...] = ()
    label: str | None = None


@dataclass(frozen=True)
class LineageEdge:
    """``model`` was made from ``base`` by ``relation`` (``fineTunedFrom``, ``quantizedFrom``…)."""

    model: IRI
    relation: str
    base: IRI
    model_id: str | None = None
    base_id: str | None = None


@dataclass(frozen=True)
class Model:
    """A model with its facts, evaluations, training configuration and lineage.

    Single-valued facts are ``None`` when the graph does not state them; multi-valued ones
    (tasks, licences, datasets…) are sorted tuples. ``facts`` keeps every property of the model
    (as ``prefix:name`` → values) for what the fields do not cover, and ``names`` the display
    label of each IRI the model links to. ``described`` is false for a stub: a model other
    records point at (a base model, say) that no crawled record describes.
    """

    iri: IRI
    id: str | None
    label: str | None
    hub: IRI | None
    tasks: tuple[IRI, ...]
    licences: tuple[IRI, ...]
    library: str | None
    parameter_count: int | None
    downloads: int | None
    likes: int | None
    architectures: tuple[IRI, ...]
    publisher: IRI | None
    url: str | None
    created: datetime | None
    modified: datetime | None
    trained_on: tuple[IRI, ...]
    inference_cost: float | None
    described: bool
    evaluations: tuple[Evaluation, ...] = ()
    configuration: TrainingConfiguration | None = None
    parents: tuple[LineageEdge, ...] = ()
    children: tuple[LineageEdge, ...] = ()
    facts: Mapping[str, tuple[Any, ...]] = field(default_factory=dict, repr=False)
    names: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def task(self) -> IRI | None:
        """The model's task when it states exactly one, else ``None`` (see ``tasks``)."""
        return self.tasks[0] if len(self.tasks) == 1 else None

    @property
    def licence(self) -> IRI | None:
        """The model's licence when it states exactly one, else ``None`` (see ``licences``)."""
        return self.licences[0] if len(self.licences) == 1 else None

    def name_of(self, iri: str | None) -> str | None:
        """The display label of an IRI the model links to (its short name when unlabelled)."""
        if iri is None:
            return None
        return self.names.get(str(iri)) or IRI(iri).name


@dataclass(frozen=True)
class ValidationResult:
    """One SHACL result on a stored record graph."""

    graph: IRI
    focus: IRI | str
    path: IRI | str | None
    constraint: str
    message: str
    value: str | None
    severity: str


@dataclass(frozen=True)
class ValidationReport:
    """The SHACL shapes run over the stored record graphs, each record as if alone (as
    ``mlkg build`` validates it). ``conforms`` ignores warnings and infos, as the build does;
    ``verdicts`` keeps the graphs that have results (for :meth:`to_turtle`)."""

    graphs: int
    results: tuple[ValidationResult, ...]
    verdicts: tuple[Verdict, ...] = field(default=(), repr=False)

    @property
    def conforms(self) -> bool:
        return not self.violations

    @property
    def violations(self) -> tuple[ValidationResult, ...]:
        return tuple(r for r in self.results if r.severity == "Violation")

    def to_turtle(self) -> str:
        """The report as a SHACL validation report in Turtle (``sh:ValidationReport``)."""
        from mlkg.validation import report_to_turtle

        return report_to_turtle(self.verdicts)

    def __str__(self) -> str:
        head = (
            f"{self.graphs} record graphs checked: "
            + ("conforms" if self.conforms else f"{len(self.violations)} violations")
            + (
                f", {others} other results"
                if (others := len(self.results) - len(self.violations))
                else ""
            )
        )
        lines = [head]
        lines += [f"  {r.severity}: {r.focus} {r.path or ''} — {r.message}" for r in self.results]
        return "\n".join(lines)


# -- opening -----------------------------------------------------------------------------------


def open(
    location: str | os.PathLike[str] | Settings | None = None,
    *,
    base_iri: str | None = None,
    read_only: bool = True,
    **options: Any,
) -> Graph:
    """Open the graph of a data directory (its embedded store) or of a SPARQL endpoint URL.

    Args:
        location: a data directory (what ``mlkg --data-dir`` takes; its ``store`` folder is
            accepted too), :class:`~mlkg.config.Settings`, an ``http(s)`` SPARQL query endpoint
            URL, or ``None`` for the default store (``$MLKG_STORE_URL`` if set, else
            ``$MLKG_DATA_DIR`` or the per-user data directory).
        base_iri: the resource base the graph was built with (default: ``$MLKG_BASE_IRI`` or
            mlkg's); a store built with another base is refused.
        read_only: open the embedded store without taking its write lock (reads are all a
            :class:`Graph` does), so it works beside a running ``mlkg serve``.
        options: for a URL, the external store's options, passed to :func:`mlkg.store.connect`
            (``default_graph="union"``, ``gsp_url``, ``user``/``password``, ``timeout``…).

    Raises:
        StoreError: no store there, a store built with another base IRI, or a URL when this
            mlkg has no external-store support.
    """
    from mlkg import store as store_module

    connect = getattr(store_module, "connect", None)
    if isinstance(location, str) and location.startswith(("http://", "https://")):
        if connect is None:
            raise StoreError(
                f"cannot open {location}: this mlkg has no external SPARQL store support "
                "(mlkg.store.connect); open a data directory instead"
            )
        settings = resolve_settings(base_iri=base_iri) if base_iri else resolve_settings()
        store = connect(location, base_iri=settings.base_iri, read_only=read_only, **options)
        return Graph(store, settings, location=location, local=False)
    if options:
        raise TypeError(
            f"unexpected options for a data directory: {', '.join(sorted(options))} "
            "(store options go with a store URL)"
        )
    if isinstance(location, Settings):
        settings = location
    else:
        given: dict[str, Any] = {"base_iri": base_iri} if base_iri else {}
        if location is not None:
            data_dir = Path(location).expanduser()
            if data_dir.name == "store" and (data_dir.parent / "store.json").exists():
                data_dir = data_dir.parent
            given["data_dir"] = data_dir
        settings = resolve_settings(**given)
        if location is not None and getattr(settings, "remote", False):
            # An explicit directory wins over a store URL from the environment.
            settings = dataclasses.replace(settings, store_url=None)
    if getattr(settings, "remote", False) and connect is not None:
        store = connect(settings, read_only=read_only)
        return Graph(store, settings, location=str(settings.store_url), local=False)
    from mlkg.store import open_store

    store = open_store(settings.data_dir, base_iri=settings.base_iri, read_only=read_only)
    return Graph(store, settings, location=str(settings.data_dir), local=True)


def build_sample(data_dir: str | os.PathLike[str], *, base_iri: str | None = None) -> Path:
    """Build the bundled sample zoo into ``data_dir`` (as ``mlkg demo --no-serve`` does) and
    return the data directory, ready for :func:`open`. Offline; a few seconds."""
    from mlkg.pipeline import build
    from mlkg.sample_zoo import sample_sources

    given: dict[str, Any] = {"data_dir": Path(data_dir)}
    if base_iri:
        given["base_iri"] = base_iri
    settings = resolve_settings(**given)
    for source, folder in sample_sources().items():
        build(settings, source, location=str(folder))
    return settings.data_dir


# -- the graph ---------------------------------------------------------------------------------


class Graph:
    """A knowledge graph opened with :func:`open`: SPARQL, models, search, lineage, planning,
    validation and export. Use it as a context manager, or call :meth:`close`."""

    def __init__(self, store: Any, settings: Settings, *, location: str, local: bool):
        self.store = store
        self.settings = settings
        self.location = location
        self.local = local
        self._validate_fn: Any = None

    def __repr__(self) -> str:
        return f"<mlkg.Graph {self.location}>"

    def __enter__(self) -> Graph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the store (its files, for an embedded store). Closing twice is harmless."""
        store, self.store = self.store, None
        if store is not None:
            store.close()

    @property
    def base_iri(self) -> str:
        return self.settings.base_iri

    def resource(self, path: str) -> IRI:
        """The IRI of a resource path under the graph's base: ``resource("task/fill-mask")``."""
        return IRI(self.base_iri + path.lstrip("/"))

    # -- SPARQL -----------------------------------------------------------------------------

    def _store(self) -> Any:
        if self.store is None:
            raise StoreError(f"the graph at {self.location} is closed")
        return self.store

    def _raw(self, sparql: str, *, union: bool = True, params: Mapping | None = None) -> Any:
        subs = {Variable(k.lstrip("?$")): to_term(v) for k, v in (params or {}).items()}
        kwargs: dict[str, Any] = {"substitutions": subs} if subs else {}
        if not union:
            kwargs["union_default_graph"] = False
        return self._store().query(sparql, **kwargs)

    def _select(self, sparql: str, *, union: bool = True) -> list[dict[str, Any]]:
        """Rows of an internal SELECT (with the prefixes declared, for any store)."""
        return _rows(self._raw(sparql_prologue() + sparql, union=union))

    def query(
        self,
        sparql: str,
        params: Mapping[str, Any] | None = None,
        *,
        as_frame: bool = False,
    ) -> Any:
        """Run SPARQL, a named query of queries/ (by name) or a ``.rq`` file; Python values back.

        Without ``GRAPH`` a query sees the union of all named graphs; the usual prefixes
        (``mlkg:``, ``dcterms:``, ``skos:``…) are predeclared. ``params`` binds variables before
        evaluation (``{"model": IRI(...)}``; see :func:`to_term`), which is how named queries take
        their parameters.

        Returns:
            SELECT: a list of dicts (variable → value, ``None`` when unbound), or a
            :class:`pandas.DataFrame` with ``as_frame=True``; ASK: a ``bool``;
            CONSTRUCT/DESCRIBE: a list of (subject, predicate, object) tuples.

        Raises:
            QueryError: the SPARQL does not parse. NamedQueryNotFoundError: an unknown name.

        >>> graph.query("ASK { ?m mlkg:quantizedFrom ?base }")
        True
        >>> model = graph.resource("model/huggingface/fernleaf/nimbus-7b-sentiment")
        >>> rows = graph.query("evaluations-of-model", {"model": model})
        >>> sorted((row["metric"].name, row["split"], row["value"]) for row in rows)
        [('accuracy', 'test', 0.88), ('accuracy', 'validation', 0.935), ('f1', 'validation', 0.931)]
        """
        from mlkg.queries import resolve_query

        result = self._raw(resolve_query(sparql), params=params)
        if isinstance(result, QueryBoolean):
            return bool(result)
        if not isinstance(result, QuerySolutions):
            triples = [
                (to_python(t.subject), to_python(t.predicate), to_python(t.object)) for t in result
            ]
            if as_frame:
                return _frame(triples, ["subject", "predicate", "object"])
            return triples
        columns = [v.value for v in result.variables]
        rows = [{name: to_python(solution[name]) for name in columns} for solution in result]
        return _frame(rows, columns) if as_frame else rows

    def frame(self, sparql: str, params: Mapping[str, Any] | None = None) -> pandas.DataFrame:
        """``query(sparql, params, as_frame=True)``: a SELECT's rows as a pandas DataFrame.

        >>> frame = graph.frame('''SELECT DISTINCT ?id ?downloads WHERE {
        ...     ?m dcterms:identifier ?id ; mlkg:downloads ?downloads
        ... } ORDER BY DESC(?downloads) LIMIT 2''')
        >>> frame["id"].tolist(), frame["downloads"].tolist()
        (['nimbus-ai/nimbus-7b', 'quantfox/nimbus-7b-GGUF'], [120345, 20411])
        """
        return self.query(sparql, params, as_frame=True)

    def to_rdflib(self, sparql: str, params: Mapping[str, Any] | None = None) -> rdflib.Graph:
        """The triples of a CONSTRUCT or DESCRIBE as an :class:`rdflib.Graph`, with literals
        kept exactly (datatypes, languages): for rdflib, owlready2 or pyshacl in a notebook.

        >>> sub = graph.to_rdflib("CONSTRUCT WHERE { ?model mlkg:adapterOf ?base }")
        >>> len(sub)
        1
        """
        import rdflib
        from pyoxigraph import RdfFormat, serialize

        from mlkg.queries import resolve_query

        result = self._raw(resolve_query(sparql), params=params)
        if isinstance(result, QuerySolutions | QueryBoolean):
            raise QueryError("to_rdflib needs a CONSTRUCT or DESCRIBE query")
        data = serialize(list(result), format=RdfFormat.N_TRIPLES) or b""
        target = rdflib.Graph()
        for prefix, namespace in PREFIXES.items():
            target.bind(prefix, namespace)
        return target.parse(data=data.decode("utf-8"), format="nt")

    def named_queries(self) -> dict[str, str]:
        """Name → title of every named query shipped in queries/."""
        from mlkg.queries import named_queries

        return {name: q.title for name, q in sorted(named_queries().items())}

    # -- models -----------------------------------------------------------------------------

    def model_iri(self, model: str | IRI | Model, *, hub: str | None = None) -> IRI:
        """The IRI of a model given as an IRI, a :class:`Model` or a zoo id (``hub`` picks
        between zoos that use the same id). Raises :class:`ModelNotFoundError`."""
        if isinstance(model, Model):
            return model.iri
        text = str(model).strip()
        if isinstance(model, IRI) or text.startswith(("http://", "https://")):
            return IRI(text)
        hub_filter = ""
        if hub is not None:
            hub_iri = (
                hub if hub.startswith(("http://", "https://")) else self.resource(f"hub/{hub}")
            )
            hub_filter = f"?model mlkg:hub {NamedNode(hub_iri)} ."
        rows = self._select(
            f"""SELECT DISTINCT ?model (SAMPLE(?g) AS ?record) WHERE {{
              ?model a mlkg:Model ; dcterms:identifier {Literal(text)} . {hub_filter}
              OPTIONAL {{ ?g foaf:topic ?model }}
            }} GROUP BY ?model"""
        )
        described = [row for row in rows if row["record"] is not None]
        rows = described or rows
        if len(rows) == 1:
            return rows[0]["model"]
        if rows:
            found = sorted(row["model"] for row in rows)
            raise ModelNotFoundError(
                f"{len(rows)} models have the id {text!r}: {', '.join(found)}; pass hub= or an IRI",
                found,
            )
        known = [
            row["id"]
            for row in self._select(
                "SELECT DISTINCT ?id WHERE { ?m a mlkg:Model ; dcterms:identifier ?id }"
            )
        ]
        close = difflib.get_close_matches(text, [str(k) for k in known], n=5, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ModelNotFoundError(f"no model has the id {text!r}{hint}", close)

    def model(self, model: str | IRI, *, hub: str | None = None) -> Model:
        """A model with its facts, evaluations, training configuration and direct lineage.

        ``model`` is a zoo id (``"nimbus-ai/nimbus-7b"``, ``"aurora/coco/cedar_det/1"``) or an
        IRI; ``hub`` (``"tfhub"``, ``"huggingface"``…) disambiguates an id two zoos share.

        >>> m = graph.model("fernleaf/nimbus-7b-sentiment")
        >>> m.task.name, m.licence.name, m.parameter_count
        ('text-classification', 'Apache-2.0', 7241740288)
        >>> [(edge.relation, edge.base_id) for edge in m.parents]
        [('fineTunedFrom', 'nimbus-ai/nimbus-7b')]
        """
        iri = self.model_iri(model, hub=hub)
        node = NamedNode(iri)
        facts: dict[str, list[Any]] = {}
        names: dict[str, str] = {}
        raw: dict[str, list[Any]] = {}
        for row in self._select(f"SELECT DISTINCT ?p ?o WHERE {{ {node} ?p ?o }}"):
            p, o = row["p"], row["o"]
            values = raw.setdefault(p, [])
            if o not in values:
                values.append(o)
            if isinstance(o, IRI) and o not in names:
                name = self._stub_label(o, "skos:prefLabel|rdfs:label")
                if name is not None:
                    names[o] = name
        from mlkg.queries import compact_iri

        for p, values in raw.items():
            facts[compact_iri(p).strip("<>")] = values
        described = bool(self._select(f"SELECT ?g WHERE {{ ?g foaf:topic {node} }} LIMIT 1"))

        def one(key: str) -> Any:
            values = sorted(facts.get(key, ()), key=str)
            return values[0] if values else None

        def many(key: str) -> tuple[Any, ...]:
            return tuple(sorted(facts.get(key, ()), key=str))

        def number(key: str) -> Any:
            value = one(key)
            return value if isinstance(value, int | float) and not isinstance(value, bool) else None

        url = one("schema:url")
        lineage = self._direct_lineage(node)
        return Model(
            iri=iri,
            id=one("dcterms:identifier"),
            label=one("rdfs:label"),
            hub=one("mlkg:hub"),
            tasks=many("mlkg:task"),
            licences=many("dcterms:license"),
            library=one("mlkg:library"),
            parameter_count=number("mlkg:parameterCount"),
            downloads=number("mlkg:downloads"),
            likes=number("mlkg:likes"),
            architectures=many("mlkg:architecture"),
            publisher=one("dcterms:publisher"),
            url=None if url is None else str(url),
            created=one("dcterms:created"),
            modified=one("dcterms:modified"),
            trained_on=many("mlkg:trainedOn"),
            inference_cost=number("mlkg:inferenceCost"),
            described=described,
            evaluations=tuple(self._evaluations(node)),
            configuration=self._configuration(node),
            parents=tuple(e for e in lineage if e.model == iri),
            children=tuple(e for e in lineage if e.base == iri),
            facts={key: tuple(values) for key, values in facts.items()},
            names=names,
        )

    def _evaluations(self, node: NamedNode) -> Iterator[Evaluation]:
        rows = self._select(
            f"""SELECT ?e (SAMPLE(?metric_) AS ?metric) (SAMPLE(?value_) AS ?value)
                   (SAMPLE(?on_) AS ?on) (SAMPLE(?label_) AS ?label) (SAMPLE(?title_) AS ?title)
                   (SAMPLE(?verified_) AS ?verified) (SAMPLE(?raw_) AS ?raw) WHERE {{
              ?e mlkg:evaluatedModel {node} ; mlkg:metric ?metric_ ; mlkg:value ?value_ .
              OPTIONAL {{ ?e mlkg:onDataset ?on_ }}
              OPTIONAL {{ ?e mlkg:forLabel ?label_ }}
              OPTIONAL {{ ?e rdfs:label ?title_ }}
              OPTIONAL {{ ?e mlkg:verified ?verified_ }}
              OPTIONAL {{ ?e mlkg:rawValue ?raw_ }}
            }} GROUP BY ?e ORDER BY ?e"""
        )
        parents, names = self._split_parts(
            {row["on"] for row in rows if isinstance(row["on"], IRI)}
        )
        for row in rows:
            on = row["on"]
            split = names.get(on) if on in parents else None
            yield Evaluation(
                iri=row["e"],
                metric=row["metric"],
                value=row["value"],
                dataset=parents[on] if split is not None else on,
                split=split,
                on=on,
                label=row["label"],
                title=row["title"],
                verified=row["verified"] if isinstance(row["verified"], bool) else None,
                raw_value=None if row["raw"] is None else str(row["raw"]),
            )

    def _stub_label(self, iri: IRI, path: str = "rdfs:label") -> str | None:
        """One label of a resource many records repeat (a hyperparameter's label is in each
        configured model's record, a publisher's in each of its models'): ``LIMIT 1`` reads one
        copy, where a join read them all (seconds per model at 100,000 models)."""
        rows = self._select(f"SELECT ?name WHERE {{ {NamedNode(iri)} {path} ?name }} LIMIT 1")
        return str(rows[0]["name"]) if rows else None

    def _split_parts(self, ons: set[IRI]) -> tuple[dict[IRI, IRI], dict[IRI, str]]:
        """The dataset and split name of each split in ``ons`` (the least, if several).

        Asked apart from the evaluations (:data:`~mlkg.server.linked_data.SPLITS`): a split's
        facts are repeated in the record of every model evaluated on it, and joining them to
        the evaluations multiplied rows by the square of that count (seconds per model at
        100,000 models)."""
        parents: dict[IRI, IRI] = {}
        names: dict[IRI, str] = {}
        if ons:
            values = " ".join(str(NamedNode(on)) for on in sorted(ons))
            for row in self._select(SPLITS % values):
                if row["dataset"] is not None:
                    parents[row["on"]] = min(row["dataset"], parents.get(row["on"], row["dataset"]))
                if row["split"] is not None:
                    split = str(row["split"])
                    names[row["on"]] = min(split, names.get(row["on"], split))
        return parents, names

    def _configuration(self, node: NamedNode) -> TrainingConfiguration | None:
        runs = self._select(
            f"""SELECT DISTINCT ?run ?config ?label WHERE {{
              {node} prov:wasGeneratedBy ?run .
              OPTIONAL {{ ?run mlkg:configuration ?config
                          OPTIONAL {{ ?config rdfs:label ?label }} }}
            }} ORDER BY ?run ?config"""
        )
        if not runs:
            return None
        run, config = NamedNode(runs[0]["run"]), runs[0]["config"]
        settings: dict[str, Any] = {}
        if config is not None:
            for row in self._select(
                f"""SELECT DISTINCT ?hp ?value WHERE {{
                  {NamedNode(config)} mlkg:setting ?s .
                  ?s mlkg:hyperParameter ?hp ; mlkg:value ?value .
                }} ORDER BY ?hp"""
            ):
                settings[self._stub_label(row["hp"]) or IRI(row["hp"]).name] = row["value"]
        datasets = tuple(
            sorted(
                row["d"]
                for row in self._select(f"SELECT DISTINCT ?d WHERE {{ {run} prov:used ?d }}")
            )
        )
        return TrainingConfiguration(
            run=IRI(run.value),
            iri=config,
            hyperparameters=settings,
            datasets=datasets,
            label=None if runs[0]["label"] is None else str(runs[0]["label"]),
        )

    def _direct_lineage(self, node: NamedNode) -> list[LineageEdge]:
        return self._edges(
            f"""{{ BIND({node} AS ?model) ?model ?relation ?base }}
            UNION {{ BIND({node} AS ?base) ?model ?relation ?base }}"""
        )

    def _edges(self, pattern: str) -> list[LineageEdge]:
        rows = self._select(
            f"""SELECT DISTINCT ?model ?relation ?base WHERE {{
              VALUES ?relation {{ {_LINEAGE_VALUES} }}
              {pattern}
            }}"""
        )
        ids = self._identifiers({row[k] for row in rows for k in ("model", "base")})
        edges = [
            LineageEdge(
                model=row["model"],
                relation=row["relation"].name,
                base=row["base"],
                model_id=ids.get(row["model"]),
                base_id=ids.get(row["base"]),
            )
            for row in rows
        ]
        return sorted(edges, key=lambda e: (e.model, e.relation, e.base))

    def _identifiers(self, iris: set[IRI]) -> dict[IRI, str]:
        """The (least) ``dcterms:identifier`` of each IRI, asked apart from the edges: a base
        model's identifier is repeated in every derived model's record, and joining it to each
        of the base's edges read every copy once per edge."""
        found: dict[IRI, str] = {}
        ordered = [NamedNode(i) for i in sorted(i for i in iris if isinstance(i, IRI))]
        for values in values_batches(ordered):
            for row in self._select(
                f"SELECT DISTINCT ?x ?id WHERE {{ VALUES ?x {{ {values} }} "
                "?x dcterms:identifier ?id }"
            ):
                identifier = str(row["id"])
                found[row["x"]] = min(identifier, found.get(row["x"], identifier))
        return found

    def lineage(self, model: str | IRI | Model, direction: str = "up") -> list[LineageEdge]:
        """The lineage edges above a model (``"up"``: what it was made from, transitively),
        below it (``"down"``: what was made from it) or both, each with its relation.

        >>> for edge in graph.lineage("mergecraft/nimbus-fern-merge", "up"):
        ...     print(edge.model_id, edge.relation, edge.base_id)
        fernleaf/nimbus-7b-sentiment fineTunedFrom nimbus-ai/nimbus-7b
        mergecraft/nimbus-fern-merge mergedFrom fernleaf/nimbus-7b-sentiment
        mergecraft/nimbus-fern-merge mergedFrom nimbus-ai/nimbus-7b
        """
        if direction not in {"up", "down", "both"}:
            raise ValueError(f"direction must be 'up', 'down' or 'both', not {direction!r}")
        node = NamedNode(self.model_iri(model))
        parts = []
        if direction in {"up", "both"}:
            parts.append(f"{{ {node} ({_LINEAGE_PATH})* ?model . ?model ?relation ?base }}")
        if direction in {"down", "both"}:
            parts.append(f"{{ ?base ({_LINEAGE_PATH})* {node} . ?model ?relation ?base }}")
        return self._edges(" UNION ".join(parts))

    # -- search, planning, validation, export ------------------------------------------------

    def search(self, text: str, *, limit: int = 20, kind: str | None = None) -> list[SearchHit]:
        """Ranked full-text hits (models, datasets, tasks…), best first; ``kind`` filters.

        Uses the search index ``mlkg build`` keeps beside the store (``mlkg reindex`` rebuilds
        it); over an external store it falls back to a SPARQL scan of labels and identifiers
        (every word must occur; shortest match first; no snippets or scores).

        >>> [hit.label for hit in graph.search("pinenet feature vector", kind="model", limit=1)]
        ['aurora/imagenet/pinenet_s/feature_vector/1']
        """
        from mlkg.search import KINDS, SearchHit, match_expression, search

        if self.local:
            return search(self.settings, text, limit=limit, kind=kind)
        words = [
            w.strip('"*').lower() for w in (match_expression(text, prefix=False) or "").split()
        ]
        if not words:
            return []
        types = [iri for iri, name in KINDS.items() if name == kind]
        if kind is not None and not types:
            return []
        typed = (
            f"VALUES ?type {{ {' '.join(f'<{t}>' for t in types)} }} ?iri a ?type ."
            if types
            else ""
        )
        filters = " && ".join(f"CONTAINS(LCASE(STR(?text)), {Literal(w)})" for w in words)
        rows = self._select(
            f"""SELECT ?iri (SAMPLE(?text) AS ?label) WHERE {{
              ?iri rdfs:label|dcterms:identifier ?text . {typed}
              FILTER({filters})
            }} GROUP BY ?iri ORDER BY STRLEN(STR(?label)) ?iri LIMIT {max(1, int(limit))}"""
        )
        return [SearchHit(row["iri"], str(row["label"]), kind or "", "", (), 0.0) for row in rows]

    def optimize(self, formula: str, **options: Any) -> Plan:
        """Plan an inference query (``"(person & car) | bus"``) over the graph's profiled models:
        which model per label and in which order. The options are those of
        :func:`mlkg.optimizer.optimize` (``max_cost``, ``min_accuracy``, ``metric``, ``dataset``,
        ``order``, ``solver``…); returns its :class:`~mlkg.optimizer.Plan`."""
        from mlkg.optimizer import optimize

        options.setdefault("iris", self.settings.iris)
        return optimize(self._store(), formula, **options)

    def problem(
        self,
        formula: str,
        *,
        metric: str = "ap",
        dataset: str | None = None,
        task: str | None = None,
        licence: str | None = None,
        hub: str | None = None,
        max_parameters: int | None = None,
        order: bool = False,
    ) -> Problem:
        """The optimizer's instance for ``formula``: candidates retrieved from the graph once,
        to solve many times with :func:`mlkg.optimizer.solve` (budget sweeps, solver
        comparisons). ``order=True`` also retrieves the labels' selectivities."""
        from mlkg.optimizer import CandidateFilters, load_problem
        from mlkg.optimizer.retrieve import store_select

        filters = CandidateFilters(dataset, task, licence, hub, max_parameters)
        return load_problem(
            store_select(self._store()),
            formula,
            iris=self.settings.iris,
            metric=metric,
            filters=filters,
            order=order,
        )

    def record_graphs(self) -> list[IRI]:
        """The named graphs of crawled or imported records (one per source record)."""
        rows = self._select(
            "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?g a mlkg:RecordGraph } } ORDER BY ?g",
            union=False,
        )
        return [row["g"] for row in rows]

    def validate(self, graphs: Iterable[str] | None = None) -> ValidationReport:
        """Run the SHACL shapes over the stored record graphs (all, or ``graphs``), each as if
        alone with the ontology, exactly as the build validated it when it was loaded.

        A graph that fails now passed when loaded: the shapes or ontology changed since, or
        someone wrote to the store directly (SPARQL Update, Graph Store Protocol).
        """
        from mlkg.records import MappedRecord, Verdict

        if self._validate_fn is None:
            from mlkg.pipeline import default_validator

            self._validate_fn = default_validator()
        names = [IRI(str(g)) for g in graphs] if graphs is not None else self.record_graphs()
        verdicts: list[Verdict] = []  # only graphs with results, without their triples
        for start in range(0, len(names), VALIDATE_BATCH):
            records = [
                MappedRecord("store", str(g), NamedNode(g), triples=self._graph_triples(g))
                for g in names[start : start + VALIDATE_BATCH]
            ]
            verdicts.extend(
                Verdict(MappedRecord("store", v.record.record_id, v.record.graph), v.violations)
                for v in self._validate_fn(records)
                if v.violations
            )
        results = tuple(
            _result(IRI(v.record.graph.value), violation)
            for v in verdicts
            for violation in v.violations
        )
        return ValidationReport(len(names), results, tuple(verdicts))

    def _graph_triples(self, graph: str) -> list[Triple]:
        store = self._store()
        if hasattr(store, "quads"):
            return [Triple(q.subject, q.predicate, q.object) for q in store.quads(NamedNode(graph))]
        result = self._raw(
            f"SELECT ?s ?p ?o WHERE {{ GRAPH {NamedNode(graph)} {{ ?s ?p ?o }} }}", union=False
        )
        return [Triple(row["s"], row["p"], row["o"]) for row in result]

    def export(
        self,
        path: str | os.PathLike[str],
        format: str | None = None,
        *,
        void: str | os.PathLike[str] | None = None,
    ) -> ExportResult:
        """Dump the graph to a file: N-Quads, TriG, JSON-LD keep the named graphs; Turtle,
        N-Triples and RDF/XML hold their union. ``format`` defaults to the file's extension
        (``.nq``, ``.trig``, ``.ttl``… before an optional ``.gz``, which compresses). The file
        appears complete or not at all. ``void`` also writes a VoID description there.
        """
        from mlkg.export import ExportFormat, ExportResult, write_void

        target = Path(path)
        if format is None:
            suffixes = [s.lstrip(".") for s in target.suffixes if s != ".gz"]
            if not suffixes:
                raise ValueError(f"cannot tell the format of {target}: pass format=")
            format = suffixes[-1]
        fmt = ExportFormat.parse(format)
        store = self._store()
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        os.close(handle)
        try:
            opener = gzip.open if target.suffix == ".gz" else Path.open
            with opener(Path(temporary), "wb") as stream:
                store.dump(stream, fmt.rdf_format)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        if void is not None:
            write_void(store, self.settings, Path(void), dumps=[(target.name, fmt)])
        return ExportResult(str(target), fmt, None if void is None else Path(void))


def _result(graph: IRI, v: Violation) -> ValidationResult:
    return ValidationResult(
        graph, _iri_text(v.focus), _iri_text(v.path), v.constraint, v.message, v.value, v.severity
    )


def _iri_text(text: str | None) -> Any:
    """``<iri>`` (how a SHACL result prints an IRI) as :class:`IRI`; other text unchanged."""
    if text and text.startswith("<") and text.endswith(">"):
        return IRI(text[1:-1])
    return text


def _rows(result: Any) -> list[dict[str, Any]]:
    if not isinstance(result, QuerySolutions):
        raise StoreError("expected SELECT results")
    columns = [v.value for v in result.variables]
    return [{name: to_python(solution[name]) for name in columns} for solution in result]


def _frame(rows: list, columns: list[str]) -> pandas.DataFrame:
    try:
        import pandas
    except ImportError as exc:  # pragma: no cover - pandas is in the notebook extra
        raise ImportError(
            "DataFrames need pandas: pip install 'mlkg[notebook]' (or pip install pandas)"
        ) from exc
    if rows and isinstance(rows[0], tuple):
        return pandas.DataFrame(rows, columns=columns)
    return pandas.DataFrame.from_records(rows, columns=columns)
