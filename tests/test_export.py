"""Dumps and the VoID description: round trips through rdflib, counts checked independently."""

from __future__ import annotations

import doctest
import gzip
import io
from collections import Counter

import pytest
import rdflib
from click.testing import CliRunner
from pyoxigraph import BlankNode, Literal, NamedNode
from rdflib.compare import isomorphic

import mlkg.export
from mlkg.cli import cli
from mlkg.errors import StoreError
from mlkg.export import ExportFormat, export
from mlkg.store import open_store
from tests.webdata import BASE, web_data

VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = rdflib.Namespace("http://purl.org/dc/terms/")
MLKG = rdflib.Namespace("https://w3id.org/mlkg/ontology#")
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

RDFLIB_FORMAT = {
    "nquads": "nquads",
    "trig": "trig",
    "jsonld": "json-ld",
    "turtle": "turtle",
    "ntriples": "nt",
    "rdfxml": "xml",
}


#: rdflib's own parsers use its deprecated ConjunctiveGraph API; not ours to fix.
pytestmark = [
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Dataset.default_context is deprecated:DeprecationWarning"),
]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return web_data(tmp_path_factory.getbasetemp() / "web")


@pytest.fixture(scope="module")
def quads(data):
    """Every quad of the store, read with pyoxigraph (no serialiser involved)."""
    with open_store(data.settings.data_dir, base_iri=BASE, read_only=True) as store:
        return list(store.quads())


def _term(term):
    if isinstance(term, NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, BlankNode):
        return rdflib.BNode(term.value)
    assert isinstance(term, Literal)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    if term.datatype.value == str(rdflib.XSD.string):  # RDF 1.1: the same as a plain literal
        return rdflib.Literal(term.value)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def _expected_graphs(quads) -> dict[str, rdflib.Graph]:
    graphs: dict[str, rdflib.Graph] = {}
    for q in quads:
        graph = graphs.setdefault(q.graph_name.value, rdflib.Graph())
        graph.add((_term(q.subject), _term(q.predicate), _term(q.object)))
    return graphs


def same_graph(a: rdflib.Graph, b: rdflib.Graph) -> bool:
    """Equal graphs: ground triples compared as sets (fast), the rest by isomorphism."""

    def split(graph):
        ground, other = set(), rdflib.Graph()
        for triple in graph:
            if any(isinstance(t, rdflib.BNode) for t in triple):
                other.add(triple)
            else:
                ground.add(triple)
        return ground, other

    (ground_a, other_a), (ground_b, other_b) = split(a), split(b)
    return ground_a == ground_b and isomorphic(other_a, other_b)


def _parse(data: bytes, fmt: str) -> rdflib.Dataset:
    dataset = rdflib.Dataset()
    dataset.parse(data=data, format=RDFLIB_FORMAT[fmt])
    return dataset


def test_doctests_pass():
    assert doctest.testmod(mlkg.export).failed == 0


@pytest.mark.parametrize("fmt", ["nquads", "trig", "jsonld"])
def test_dataset_formats_round_trip_every_named_graph(data, quads, tmp_path, fmt):
    output = tmp_path / f"dump.{ExportFormat.parse(fmt).extension}"
    export(data.settings, fmt, output)
    parsed = _parse(output.read_bytes(), fmt)
    got = {
        str(g.identifier): g
        for g in parsed.graphs()
        if len(g) and str(g.identifier) != str(rdflib.graph.DATASET_DEFAULT_GRAPH_ID)
    }
    expected = _expected_graphs(quads)
    assert set(got) == set(expected)
    for name, graph in expected.items():
        assert same_graph(got[name], graph), name


@pytest.mark.parametrize("fmt", ["turtle", "ntriples", "rdfxml"])
def test_triple_formats_hold_the_union_graph(data, quads, tmp_path, fmt):
    output = tmp_path / f"dump.{ExportFormat.parse(fmt).extension}"
    export(data.settings, fmt, output)
    parsed = rdflib.Graph().parse(data=output.read_bytes(), format=RDFLIB_FORMAT[fmt])
    union = rdflib.Graph()
    for q in quads:
        union.add((_term(q.subject), _term(q.predicate), _term(q.object)))
    assert len(parsed) == len(union)
    assert same_graph(parsed, union)


def test_gzip_by_suffix_and_streams(data, tmp_path):
    export(data.settings, "nquads", tmp_path / "x.nq.gz")
    export(data.settings, "nquads", tmp_path / "x.nq")
    packed = (tmp_path / "x.nq.gz").read_bytes()
    assert packed[:2] == b"\x1f\x8b"
    assert gzip.decompress(packed) == (tmp_path / "x.nq").read_bytes()
    stream = io.BytesIO()
    export(data.settings, "nquads", stream)
    assert stream.getvalue() == (tmp_path / "x.nq").read_bytes()


def test_no_store_no_file(settings, tmp_path):
    with pytest.raises(StoreError, match="run `mlkg build` first"):
        export(settings, "nquads", tmp_path / "x.nq")
    assert not (tmp_path / "x.nq").exists()
    assert not list(tmp_path.glob(".x.nq*"))  # no temporary file left behind either


def test_format_identities():
    assert [f.cli_name for f in ExportFormat] == list(mlkg.export.EXPORT_FORMATS)
    assert ExportFormat.parse("application/n-quads") is ExportFormat.NQUADS
    assert ExportFormat.JSONLD.keeps_graphs and not ExportFormat.TURTLE.keeps_graphs
    with pytest.raises(ValueError, match="known formats"):
        ExportFormat.parse("csv")


# -- VoID ------------------------------------------------------------------------------------


def independent_counts(quads) -> dict:
    """What the VoID must say, counted in Python over the quads."""
    subjects = {q.subject for q in quads}
    typed = Counter()
    for _subject, cls in {(q.subject, q.object) for q in quads if q.predicate.value == RDF_TYPE}:
        typed[cls.value] += 1
    models = {
        q.subject
        for q in quads
        if q.predicate.value == RDF_TYPE and q.object.value == str(MLKG.Model)
    }
    licences = Counter()
    for _subject, licence in {
        (q.subject, q.object.value)
        for q in quads
        if q.predicate.value == str(DCTERMS.license) and q.subject in models
    }:
        licences[licence] += 1
    licensed = {q.subject for q in quads if q.predicate.value == str(DCTERMS.license)}
    sources = {}
    for q in quads:
        if q.predicate.value == str(MLKG.recordSource) and q.subject == q.graph_name:
            sources.setdefault(q.object.value, set()).add(q.graph_name)
    source_triples = {
        name: sum(1 for q in quads if q.graph_name in graphs) for name, graphs in sources.items()
    }
    return {
        "triples": len(quads),
        "distinctSubjects": len(subjects),
        "distinctObjects": len({q.object for q in quads}),
        "properties": len({q.predicate for q in quads}),
        "classes": len({q.object for q in quads if q.predicate.value == RDF_TYPE}),
        "entities": len(
            {s for s in subjects if isinstance(s, NamedNode) and s.value.startswith(BASE)}
        ),
        "class": typed,
        "licences": licences,
        "unlicensed": len(models - licensed),
        "records": {name: len(graphs) for name, graphs in sources.items()},
        "source_triples": source_triples,
        "labels": sum(1 for q in quads if q.predicate.value == str(rdflib.RDFS.label)),
    }


def check_void(void: rdflib.Graph, quads, *, endpoint: str | None = None) -> None:
    """Assert a parsed VoID description against counts made in Python over the quads."""
    expected = independent_counts(quads)
    dataset = rdflib.URIRef(BASE + "void/mlkg")
    assert (dataset, rdflib.RDF.type, VOID.Dataset) in void
    assert (dataset, rdflib.RDF.type, DCAT.Dataset) in void
    for name in (
        "triples",
        "distinctSubjects",
        "distinctObjects",
        "properties",
        "classes",
        "entities",
    ):
        assert void.value(dataset, VOID[name]).toPython() == expected[name], name
    assert void.value(dataset, VOID.uriSpace).toPython() == BASE
    assert void.value(dataset, DCTERMS.license) is not None
    assert void.value(dataset, DCTERMS.modified) is not None
    assert (dataset, VOID.vocabulary, rdflib.URIRef(str(MLKG))) in void
    if endpoint:
        assert void.value(dataset, VOID.sparqlEndpoint) == rdflib.URIRef(endpoint)
    partitions = {
        str(void.value(p, VOID["class"])): void.value(p, VOID.entities).toPython()
        for p in void.objects(dataset, VOID.classPartition)
    }
    for cls in (MLKG.Model, MLKG.Evaluation, MLKG.Dataset, MLKG.Publisher, MLKG.TrainingRun):
        assert partitions[str(cls)] == expected["class"][str(cls)], cls
    model_partition = next(
        p
        for p in void.objects(dataset, VOID.classPartition)
        if void.value(p, VOID["class"]) == MLKG.Model
    )
    licences = {}
    for subset in void.objects(model_partition, VOID.subset):
        licence = void.value(subset, DCTERMS.license)
        count = void.value(subset, VOID.entities).toPython()
        licences[str(licence) if licence else None] = count
    assert licences.pop(None) == expected["unlicensed"]
    assert licences == dict(expected["licences"])
    subsets = {str(void.value(s, MLKG.recordSource)): s for s in void.objects(dataset, VOID.subset)}
    assert set(subsets) == set(expected["records"])
    for name, subset in subsets.items():
        assert void.value(subset, VOID.documents).toPython() == expected["records"][name]
        assert void.value(subset, VOID.triples).toPython() == expected["source_triples"][name]
    label_partition = next(
        p
        for p in void.objects(dataset, VOID.propertyPartition)
        if void.value(p, VOID.property) == rdflib.RDFS.label
    )
    assert void.value(label_partition, VOID.triples).toPython() == expected["labels"]


def test_export_writes_a_void_description_with_true_counts(data, quads, tmp_path):
    output = tmp_path / "mlkg.nq.gz"
    result = export(
        data.settings,
        "nquads",
        output,
        void=tmp_path / "mlkg.nq.gz.void.ttl",
        endpoint_url="https://kg.example.org/sparql",
    )
    assert result.void is not None
    text = result.void.read_text(encoding="utf-8")
    assert "@base" not in text  # the dump link stays relative to where the VoID is published
    void = rdflib.Graph().parse(
        data=text, format="turtle", publicID="https://kg.example.org/dumps/x.ttl"
    )
    check_void(void, quads, endpoint="https://kg.example.org/sparql")
    dataset = rdflib.URIRef(BASE + "void/mlkg")
    dump = void.value(dataset, VOID.dataDump)
    assert dump == rdflib.URIRef("https://kg.example.org/dumps/mlkg.nq.gz")
    assert void.value(dump, DCAT.mediaType).endswith("application/n-quads")


def test_cli_export_writes_void_beside_the_dump(data, tmp_path):
    runner = CliRunner()
    base = ["--data-dir", str(data.settings.data_dir)]
    dump = tmp_path / "mlkg.trig"
    result = runner.invoke(cli, [*base, "export", "--format", "trig", "--output", str(dump)])
    assert result.exit_code == 0, result.output
    assert dump.exists() and (tmp_path / "mlkg.trig.void.ttl").exists()
    bare = tmp_path / "bare.nt"
    result = runner.invoke(
        cli, [*base, "export", "--format", "ntriples", "-o", str(bare), "--no-void"]
    )
    assert result.exit_code == 0 and not (tmp_path / "bare.nt.void.ttl").exists()
    result = runner.invoke(
        cli,
        [
            *base,
            "export",
            "--format",
            "ntriples",
            "-o",
            str(bare),
            "--no-void",
            "--void",
            str(tmp_path / "v.ttl"),
        ],
    )
    assert result.exit_code != 0 and "cannot be used together" in result.output
