"""Dumps of the graph others can load into their own store, and its VoID/DCAT description.

:func:`export` writes the whole dataset in one of :class:`ExportFormat` (gzip when the file name
ends in ``.gz``) through a temporary file renamed at the end, so a failed export never leaves a
half-written dump under the final name. Dataset formats (N-Quads, TriG, JSON-LD) keep every
record's named graph; triple formats (Turtle, N-Triples, RDF/XML) hold the union graph, each
triple once.

:func:`void_description` describes the dataset with VoID (https://www.w3.org/TR/void/) and DCAT
(https://www.w3.org/TR/vocab-dcat-3/): size, classes, main properties, licences of the models,
one subset per source, the SPARQL endpoint and the dumps. Every number is a SPARQL count over the
store, so it can be checked with the same query (see the ``*_COUNT`` queries below).
"""

from __future__ import annotations

import gzip
import os
import re
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import IO

from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, parse, serialize

from mlkg import __version__
from mlkg.config import Settings
from mlkg.namespaces import (
    DCAT,
    DCTERMS,
    FOAF,
    MLKG,
    ONTOLOGY_IRI,
    OWL,
    PREFIXES,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
    VOID,
    XSD,
)

#: The licence the graph itself is published under (the models keep their own, on each model).
GRAPH_LICENSE = NamedNode("http://spdx.org/licenses/CC-BY-4.0")
GRAPH_TITLE = "mlkg: a knowledge graph of public machine-learning model zoos"
GRAPH_DESCRIPTION = (
    "Metadata of models, datasets, tasks, training configurations and evaluations from public "
    "model zoos (TensorFlow Hub, PyTorch Hub, Hugging Face Hub, ...), mapped onto the mlkg OWL "
    "ontology, validated with SHACL, one named graph per source record with its provenance."
)
#: Properties that get a void:propertyPartition: the ones queries rely on most.
MAIN_PROPERTIES: tuple[NamedNode, ...] = (
    RDF.type,
    RDFS.label,
    DCTERMS.identifier,
    DCTERMS.description,
    DCTERMS.license,
    DCTERMS.publisher,
    SCHEMA.url,
    MLKG.hub,
    MLKG.task,
    MLKG.trainedOn,
    MLKG.architecture,
    MLKG.library,
    MLKG.parameterCount,
    MLKG.evaluatedModel,
    MLKG.metric,
    MLKG.value,
    MLKG.onDataset,
    MLKG.derivedFrom,
    MLKG.fineTunedFrom,
    MLKG.convertedFrom,
    MLKG.revisionOf,
    PROV.wasGeneratedBy,
    PROV.used,
)
VOCABULARIES = (MLKG, DCTERMS, PROV, SKOS, SCHEMA, DCAT, FOAF, RDFS)


class ExportFormat(Enum):
    """Every identity of an export format: CLI name, pyoxigraph format, media type, extension."""

    NQUADS = ("nquads", RdfFormat.N_QUADS)
    TRIG = ("trig", RdfFormat.TRIG)
    TURTLE = ("turtle", RdfFormat.TURTLE)
    NTRIPLES = ("ntriples", RdfFormat.N_TRIPLES)
    JSONLD = ("jsonld", RdfFormat.JSON_LD)
    RDFXML = ("rdfxml", RdfFormat.RDF_XML)

    def __init__(self, cli_name: str, rdf_format: RdfFormat):
        self.cli_name = cli_name
        self.rdf_format = rdf_format

    @property
    def media_type(self) -> str:
        return self.rdf_format.media_type

    @property
    def extension(self) -> str:
        return self.rdf_format.file_extension

    @property
    def keeps_graphs(self) -> bool:
        return self.rdf_format.supports_datasets

    @classmethod
    def parse(cls, value: str | ExportFormat) -> ExportFormat:
        """A format from its CLI name (``nquads``), extension (``nq``) or media type.

        >>> ExportFormat.parse("nq").cli_name, ExportFormat.parse("application/trig").cli_name
        ('nquads', 'trig')
        """
        if isinstance(value, ExportFormat):
            return value
        wanted = value.strip().lower()
        for member in cls:
            if wanted in (member.cli_name, member.extension, member.media_type):
                return member
        names = ", ".join(m.cli_name for m in cls)
        raise ValueError(f"unknown export format {value!r}; known formats: {names}")


#: CLI name → format, for ``click.Choice``.
EXPORT_FORMATS: dict[str, ExportFormat] = {m.cli_name: m for m in ExportFormat}


@dataclass(frozen=True)
class ExportResult:
    output: str
    format: ExportFormat
    void: Path | None = None


def export(
    settings: Settings,
    format: str | ExportFormat,
    output: str | Path | IO[bytes],
    *,
    void: Path | None = None,
    dump_url: str | None = None,
    endpoint_url: str | None = None,
) -> ExportResult:
    """Dump the store of ``settings`` to ``output`` (a path, ``"-"`` for stdout, or a binary
    stream); a path ending in ``.gz`` is gzip-compressed. With ``void``, also write the VoID
    description (Turtle) there, its ``void:dataDump`` pointing at ``dump_url`` or, by default,
    at the dump's file name relative to the VoID file.

    Raises :class:`~mlkg.errors.StoreError` when there is no store (nothing is written then).

    Example::

        export(settings, "nquads", Path("mlkg.nq.gz"), void=Path("mlkg.nq.gz.void.ttl"))
    """
    from mlkg.store import connect

    fmt = ExportFormat.parse(format)
    with connect(settings, read_only=True) as store:
        if isinstance(output, str | Path) and str(output) != "-":
            _dump_to_file(store, fmt, Path(output))
        else:
            store.dump(sys.stdout.buffer if str(output) == "-" else output, fmt.rdf_format)
        if void is not None:
            dump = dump_url or (
                Path(output).name if isinstance(output, str | Path) and str(output) != "-" else None
            )
            write_void(
                store,
                settings,
                Path(void),
                dumps=[(dump, fmt)] if dump else [],
                endpoint_url=endpoint_url,
            )
    name = str(output) if isinstance(output, str | Path) else getattr(output, "name", "<stream>")
    return ExportResult(name, fmt, Path(void) if void is not None else None)


def _dump_to_file(store, fmt: ExportFormat, path: Path) -> None:
    """Write through a temporary file in the same folder, renamed into place when complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(temporary, "wb") as stream:
            store.dump(stream, fmt.rdf_format)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp creates 0600; a dump is for sharing
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def default_void_path(output: Path) -> Path:
    """``mlkg.nq.gz`` → ``mlkg.nq.gz.void.ttl``."""
    return output.with_name(output.name + ".void.ttl")


def write_void(
    store,
    settings: Settings,
    path: Path,
    *,
    dumps: Sequence[tuple[str, ExportFormat]] = (),
    endpoint_url: str | None = None,
) -> None:
    """Write :func:`void_description` as Turtle; relative dump names stay relative."""
    base = path.resolve().parent.as_uri() + "/"
    absolute = [(_absolute(url, base), fmt) for url, fmt in dumps]
    triples = void_description(store, settings, endpoint_url=endpoint_url, dumps=absolute)
    text = serialize(triples, format=RdfFormat.TURTLE, prefixes=PREFIXES, base_iri=base)
    # Drop the @base line: relative dump names then resolve against wherever the VoID file is
    # published, not against this machine's folder.
    path.write_bytes(re.sub(rb"^@base <[^>]*> \.\n", b"", text))


def _absolute(url: str, base: str) -> str:
    return url if "://" in url else base + url


# -- VoID ------------------------------------------------------------------------------------

TRIPLES_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
DISTINCT_SUBJECTS_COUNT = "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
DISTINCT_OBJECTS_COUNT = "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
PROPERTIES_COUNT = "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
CLASSES_COUNT = "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { GRAPH ?g { ?s a ?c } }"
#: Entities: subjects whose IRI is under the resource base (``void:uriSpace``, filled in).
ENTITIES_COUNT = """SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {
  GRAPH ?g { ?s ?p ?o } FILTER(isIRI(?s) && STRSTARTS(STR(?s), %s))
}"""
CLASS_COUNTS = """SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {
  GRAPH ?g { ?s a ?class } FILTER(STRSTARTS(STR(?class), STR(mlkg:)))
} GROUP BY ?class"""
PROPERTY_COUNTS = """SELECT ?p (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects)
  (COUNT(DISTINCT ?o) AS ?objects) WHERE { GRAPH ?g { ?s ?p ?o } VALUES ?p { %s } } GROUP BY ?p"""
LICENSE_COUNTS = """SELECT ?license (COUNT(DISTINCT ?m) AS ?n) WHERE {
  ?m a mlkg:Model ; dcterms:license ?license
} GROUP BY ?license ORDER BY DESC(?n) ?license"""
UNLICENSED_MODELS_COUNT = """SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE {
  ?m a mlkg:Model FILTER NOT EXISTS { ?m dcterms:license ?any }
}"""
#: Per source: record graphs, quads in them, and the models those records describe.
SOURCE_COUNTS = """SELECT ?source (COUNT(DISTINCT ?g) AS ?records) WHERE {
  GRAPH ?g { ?g mlkg:recordSource ?source }
} GROUP BY ?source ORDER BY ?source"""
SOURCE_TRIPLES_COUNT = """SELECT ?source (COUNT(*) AS ?n) WHERE {
  GRAPH ?g { ?g mlkg:recordSource ?source . ?s ?p ?o }
} GROUP BY ?source"""
SOURCE_TOPICS_COUNT = """SELECT ?source (COUNT(DISTINCT ?t) AS ?n) WHERE {
  GRAPH ?g { ?g mlkg:recordSource ?source ; foaf:topic ?t }
} GROUP BY ?source"""
SOURCE_MODELS_COUNT = """SELECT ?source (COUNT(DISTINCT ?m) AS ?n) WHERE {
  GRAPH ?g { ?g mlkg:recordSource ?source ; foaf:topic ?m . ?m a mlkg:Model }
} GROUP BY ?source"""
MODIFIED = """SELECT (MAX(?t) AS ?modified) WHERE {
  { ?a a prov:Activity ; prov:endedAtTime ?t } UNION { ?g prov:generatedAtTime ?t }
}"""


@dataclass
class VoidCounts:
    """The numbers a VoID description states, each from one SPARQL query."""

    triples: int = 0
    entities: int = 0
    distinct_subjects: int = 0
    distinct_objects: int = 0
    properties: int = 0
    classes: int = 0
    class_entities: dict[str, int] = field(default_factory=dict)
    property_counts: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    licenses: dict[str, int] = field(default_factory=dict)
    unlicensed_models: int = 0
    sources: dict[str, dict[str, int]] = field(default_factory=dict)
    modified: Literal | None = None


def _scalar(store, sparql: str) -> int:
    rows = list(store.query(sparql))
    value = rows[0]["n"] if rows else None
    return int(value.value) if value is not None else 0


def void_counts(store, settings: Settings) -> VoidCounts:
    """Run the counting queries. Cost: a few scans of the store; cache the result."""
    counts = VoidCounts(
        triples=_scalar(store, TRIPLES_COUNT),
        entities=_scalar(store, ENTITIES_COUNT % Literal(settings.base_iri)),
        distinct_subjects=_scalar(store, DISTINCT_SUBJECTS_COUNT),
        distinct_objects=_scalar(store, DISTINCT_OBJECTS_COUNT),
        properties=_scalar(store, PROPERTIES_COUNT),
        classes=_scalar(store, CLASSES_COUNT),
        unlicensed_models=_scalar(store, UNLICENSED_MODELS_COUNT),
    )
    counts.class_entities = {r["class"].value: int(r["n"].value) for r in store.query(CLASS_COUNTS)}
    values = " ".join(str(p) for p in MAIN_PROPERTIES)
    counts.property_counts = {
        r["p"].value: (int(r["triples"].value), int(r["subjects"].value), int(r["objects"].value))
        for r in store.query(PROPERTY_COUNTS % values)
    }
    counts.licenses = {r["license"].value: int(r["n"].value) for r in store.query(LICENSE_COUNTS)}
    counts.sources = {
        r["source"].value: {"records": int(r["records"].value)} for r in store.query(SOURCE_COUNTS)
    }
    for query, key in (
        (SOURCE_TRIPLES_COUNT, "triples"),
        (SOURCE_TOPICS_COUNT, "entities"),
        (SOURCE_MODELS_COUNT, "models"),
    ):
        for row in store.query(query):
            counts.sources.setdefault(row["source"].value, {})[key] = int(row["n"].value)
    modified = list(store.query(MODIFIED))
    counts.modified = modified[0]["modified"] if modified else None
    return counts


def ontology_classes() -> list[NamedNode]:
    """The ``owl:Class`` terms of the mlkg namespace, from the shipped ontology."""
    from mlkg.resources import data_dir

    classes = {
        t.subject.value
        for t in parse(path=str(data_dir("ontology") / "mlkg.ttl"))
        if t.predicate == RDF.type
        and t.object == OWL.Class
        and isinstance(t.subject, NamedNode)
        and t.subject.value.startswith(str(MLKG))
    }
    return [NamedNode(c) for c in sorted(classes)]


def void_iri(settings: Settings, path: str = "") -> NamedNode:
    """IRIs of the VoID nodes: ``{base}void/mlkg`` and below it."""
    return settings.iris.resource("void/mlkg" + (f"/{path}" if path else ""))


def void_description(
    store,
    settings: Settings,
    endpoint_url: str | None = None,
    *,
    dumps: Sequence[tuple[str, ExportFormat]] = (),
    counts: VoidCounts | None = None,
) -> list[Triple]:
    """A VoID + DCAT description of the dataset in the store, as triples.

    ``void:triples`` counts the triples of every named graph (a triple stated by two record
    graphs counts twice, as in the N-Quads dump); ``void:entities`` counts subjects under the
    resource base (``void:uriSpace``). Model licences are subsets of the ``mlkg:Model`` class
    partition, one per licence, with the models' count; sources are ``void:subset`` s.
    """
    counts = counts or void_counts(store, settings)
    dataset = void_iri(settings)
    out = _Triples()
    out.add(dataset, RDF.type, VOID.Dataset, DCAT.Dataset)
    out.add(dataset, DCTERMS.title, Literal(GRAPH_TITLE, language="en"))
    out.add(dataset, DCTERMS.description, Literal(GRAPH_DESCRIPTION, language="en"))
    out.add(dataset, DCTERMS.license, GRAPH_LICENSE)
    out.add(dataset, DCTERMS.creator, Literal(f"mlkg {__version__}"))
    if counts.modified is not None:
        out.add(dataset, DCTERMS.modified, counts.modified)
    out.add(dataset, VOID.uriSpace, Literal(settings.base_iri))
    out.add(dataset, VOID.vocabulary, *(NamedNode(str(v)) for v in VOCABULARIES))
    out.add(dataset, DCTERMS.conformsTo, NamedNode(ONTOLOGY_IRI))
    for name, value in (
        ("triples", counts.triples),
        ("entities", counts.entities),
        ("distinctSubjects", counts.distinct_subjects),
        ("distinctObjects", counts.distinct_objects),
        ("properties", counts.properties),
        ("classes", counts.classes),
    ):
        out.add(dataset, VOID[name], _integer(value))
    if endpoint_url:
        out.add(dataset, VOID.sparqlEndpoint, NamedNode(endpoint_url))
    _dumps(out, dataset, dumps)
    _class_partitions(out, settings, dataset, counts)
    _property_partitions(out, settings, dataset, counts)
    _source_subsets(out, settings, dataset, counts)
    return out.triples


class _Triples:
    def __init__(self) -> None:
        self.triples: list[Triple] = []

    def add(self, subject: NamedNode, predicate: NamedNode, *objects) -> None:
        self.triples.extend(Triple(subject, predicate, o) for o in objects if o is not None)


def _integer(value: int) -> Literal:
    return Literal(str(value), datatype=XSD.integer)


def _dumps(out: _Triples, dataset: NamedNode, dumps: Iterable[tuple[str, ExportFormat]]) -> None:
    for url, fmt in dumps:
        dump = NamedNode(url)
        out.add(dataset, VOID.dataDump, dump)
        out.add(dataset, DCAT.distribution, dump)
        out.add(dump, RDF.type, DCAT.Distribution)
        out.add(dump, DCAT.downloadURL, dump)
        out.add(
            dump,
            DCAT.mediaType,
            NamedNode(f"https://www.iana.org/assignments/media-types/{fmt.media_type}"),
        )
        out.add(dump, DCTERMS.format, Literal(fmt.media_type))
        out.add(dump, DCTERMS.license, GRAPH_LICENSE)
        if url.endswith(".gz"):
            out.add(
                dump,
                DCAT.compressFormat,
                NamedNode("https://www.iana.org/assignments/media-types/application/gzip"),
            )


def _local(iri: str) -> str:
    """``mlkg:Model`` → ``Model``; ``dcterms:license`` → ``dcterms-license`` (for node IRIs)."""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace):
            local = iri[len(namespace) :]
            return local if prefix == "mlkg" else f"{prefix}-{local}"
    return iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _class_partitions(
    out: _Triples, settings: Settings, dataset: NamedNode, counts: VoidCounts
) -> None:
    for cls in ontology_classes():
        node = void_iri(settings, f"class/{_local(cls.value)}")
        out.add(dataset, VOID.classPartition, node)
        out.add(node, RDF.type, VOID.Dataset)
        out.add(node, VOID["class"], cls)
        out.add(node, VOID.entities, _integer(counts.class_entities.get(cls.value, 0)))
        if cls == MLKG.Model:
            _license_subsets(out, settings, node, counts)


def _license_subsets(
    out: _Triples, settings: Settings, models: NamedNode, counts: VoidCounts
) -> None:
    """One subset of the models per licence they declare (or defaulted to)."""
    for license_iri, n in counts.licenses.items():
        node = void_iri(settings, f"class/Model/license/{_slug(license_iri)}")
        out.add(models, VOID.subset, node)
        out.add(node, RDF.type, VOID.Dataset)
        out.add(node, VOID["class"], MLKG.Model)
        out.add(node, DCTERMS.license, NamedNode(license_iri))
        out.add(node, VOID.entities, _integer(n))
    node = void_iri(settings, "class/Model/license/none")
    out.add(models, VOID.subset, node)
    out.add(node, RDF.type, VOID.Dataset)
    out.add(node, VOID["class"], MLKG.Model)
    out.add(node, RDFS.label, Literal("models without a licence", language="en"))
    out.add(node, VOID.entities, _integer(counts.unlicensed_models))


def _slug(iri: str) -> str:
    from mlkg.iris import slug

    return slug(iri.rstrip("/").rsplit("/", 1)[-1])


def _property_partitions(
    out: _Triples, settings: Settings, dataset: NamedNode, counts: VoidCounts
) -> None:
    for prop in MAIN_PROPERTIES:
        triples, subjects, objects = counts.property_counts.get(prop.value, (0, 0, 0))
        node = void_iri(settings, f"property/{_local(prop.value)}")
        out.add(dataset, VOID.propertyPartition, node)
        out.add(node, RDF.type, VOID.Dataset)
        out.add(node, VOID.property, prop)
        out.add(node, VOID.triples, _integer(triples))
        out.add(node, VOID.distinctSubjects, _integer(subjects))
        out.add(node, VOID.distinctObjects, _integer(objects))


def _source_subsets(
    out: _Triples, settings: Settings, dataset: NamedNode, counts: VoidCounts
) -> None:
    from crawlers import REGISTRY, get_source

    for source, numbers in sorted(counts.sources.items()):
        node = void_iri(settings, f"source/{_slug(source)}")
        out.add(dataset, VOID.subset, node)
        out.add(node, RDF.type, VOID.Dataset)
        out.add(node, DCTERMS.title, Literal(f"records from {source}", language="en"))
        out.add(node, MLKG.recordSource, Literal(source))
        if source in REGISTRY:
            out.add(node, MLKG.hub, settings.iris.hub(get_source(source).hub))
        out.add(node, VOID.documents, _integer(numbers.get("records", 0)))
        out.add(node, VOID.triples, _integer(numbers.get("triples", 0)))
        out.add(node, VOID.entities, _integer(numbers.get("entities", 0)))
        models = void_iri(settings, f"source/{_slug(source)}/class/Model")
        out.add(node, VOID.classPartition, models)
        out.add(models, RDF.type, VOID.Dataset)
        out.add(models, VOID["class"], MLKG.Model)
        out.add(models, VOID.entities, _integer(numbers.get("models", 0)))
