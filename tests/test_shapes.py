"""The SHACL shapes in shapes/, run by pyshacl (the reference implementation for mlkg.validation).

tests/shapes/manifest.ttl lists, for every node shape, a valid and an invalid example graph, in the
W3C SHACL test-suite manifest format. Each example is validated merged with the ontology and the
vocabularies (so sh:class sees vocabulary concepts and rdfs:subClassOf); a valid example must
produce no result at all, an invalid one exactly the listed (focus node, path, constraint
component, severity) results.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import pyshacl
import pytest
import rdflib
from rdflib import RDF, BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH

from mlkg.resources import data_dir, shape_files

HERE = Path(__file__).resolve().parent / "shapes"
MANIFEST = HERE / "manifest.ttl"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = rdflib.Namespace("http://www.w3.org/ns/shacl-test#")
MLKGT = rdflib.Namespace("https://w3id.org/mlkg/tests#")
MLKG = rdflib.Namespace("https://w3id.org/mlkg/ontology#")
MLKGSH = rdflib.Namespace("https://w3id.org/mlkg/shapes#")

# The SHACL subset mlkg/validation.py compiles to SPARQL; anything else must not appear.
ALLOWED_PREDICATES = {
    RDF.type, SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.property, SH.path,
    SH.minCount, SH.maxCount, SH.datatype, SH["class"], SH.nodeKind, SH["in"], SH.hasValue,
    SH.pattern, SH.flags, SH.minInclusive, SH.maxInclusive, SH.minExclusive, SH.maxExclusive,
    SH.minLength, SH.maxLength, SH["or"], SH.severity, SH.message, SH.name, SH.deactivated,
    SH.inversePath, RDF.first, RDF.rest,
}  # fmt: skip
OR_MEMBER_PREDICATES = {SH["class"], SH.datatype, SH.nodeKind}

Key = tuple[URIRef, object, URIRef, URIRef]


def load_manifest() -> tuple[rdflib.Graph, list[URIRef]]:
    graph = rdflib.Graph().parse(MANIFEST, format="turtle", publicID=MANIFEST.as_uri())
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    return graph, list(Collection(graph, graph.value(manifest, MF.entries)))


MANIFEST_GRAPH, ENTRIES = load_manifest()


def entry_name(entry: URIRef) -> str:
    return str(MANIFEST_GRAPH.value(entry, MF.name))


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in shape_files():
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def background() -> rdflib.Graph:
    """The ontology and the vocabularies: what every record graph is validated together with."""
    graph = rdflib.Graph()
    ontology = data_dir("ontology")
    for path in [ontology / "mlkg.ttl", *sorted((ontology / "vocab").glob("*.ttl"))]:
        graph.parse(path, format="turtle")
    return graph


def path_key(graph: rdflib.Graph, path) -> object:
    """A comparable form of a result path: the IRI, or ("^", IRI) for an inverse path."""
    if isinstance(path, BNode):
        inverse = graph.value(path, SH.inversePath)
        assert inverse is not None, "only inverse paths are used"
        return ("^", inverse)
    return path


def result_keys(graph: rdflib.Graph, results) -> set[Key]:
    return {
        (
            graph.value(r, SH.focusNode),
            path_key(graph, graph.value(r, SH.resultPath)),
            graph.value(r, SH.sourceConstraintComponent),
            graph.value(r, SH.resultSeverity),
        )
        for r in results
    }


def validate(data: rdflib.Graph, shapes: rdflib.Graph) -> tuple[bool, rdflib.Graph]:
    shapes_copy = rdflib.Graph()
    shapes_copy += shapes  # pyshacl adds RDFS/OWL axioms to the graphs it is given
    conforms, report, _ = pyshacl.validate(
        data, shacl_graph=shapes_copy, inference="none", advanced=False, allow_warnings=False
    )
    return conforms, report


def owning_node_shapes(shapes: rdflib.Graph, property_shape) -> set:
    return set(shapes.subjects(SH.property, property_shape))


@pytest.mark.parametrize("entry", ENTRIES, ids=entry_name)
def test_shape_example(entry, shapes, background):
    action = MANIFEST_GRAPH.value(entry, MF.action)
    data_file = Path(url2pathname(urlparse(str(MANIFEST_GRAPH.value(action, SHT.dataGraph))).path))
    assert data_file.parent == HERE
    data = rdflib.Graph()
    data += background
    data.parse(data_file, format="turtle")

    conforms, report = validate(data, shapes)

    expected_report = MANIFEST_GRAPH.value(entry, MF.result)
    expected_conforms = MANIFEST_GRAPH.value(expected_report, SH.conforms).toPython()
    expected = result_keys(MANIFEST_GRAPH, MANIFEST_GRAPH.objects(expected_report, SH.result))
    actual_results = list(report.subjects(RDF.type, SH.ValidationResult))
    actual = result_keys(report, actual_results)
    assert conforms is expected_conforms
    assert actual == expected, (
        f"unexpected: {sorted(map(str, actual - expected))}\n"
        f"missing: {sorted(map(str, expected - actual))}"
    )
    if expected_conforms:
        assert not actual_results
    else:
        # every result comes from a shape the entry says it exercises, and each of them fires
        claimed = set(MANIFEST_GRAPH.objects(entry, MLKGT.shape))
        fired = set()
        for result in actual_results:
            owners = owning_node_shapes(shapes, report.value(result, SH.sourceShape))
            assert owners & claimed, f"result from a shape the entry does not name: {owners}"
            fired |= owners & claimed
        assert fired == claimed
        # every result carries the shape's own message for the card author
        for result in actual_results:
            assert report.value(result, SH.resultMessage) is not None


def test_every_node_shape_has_a_valid_and_an_invalid_example(shapes):
    node_shapes = set(shapes.subjects(RDF.type, SH.NodeShape))
    assert len(node_shapes) >= 18
    covered = {"valid": set(), "invalid": set()}
    for entry in ENTRIES:
        kind = "invalid" if entry_name(entry).endswith("-invalid") else "valid"
        covered[kind] |= set(MANIFEST_GRAPH.objects(entry, MLKGT.shape))
    assert covered["valid"] == node_shapes
    assert covered["invalid"] == node_shapes


def test_every_core_class_has_a_shape(shapes):
    targets = set(shapes.objects(None, SH.targetClass))
    core = {
        "Model", "Dataset", "DatasetSplit", "DataInstance", "TrainingRun", "TrainingConfiguration",
        "HyperParameterSetting", "HyperParameter", "Evaluation", "Metric", "Task", "Label",
        "ModelCollection", "Publisher", "ModelZoo", "Architecture", "CustomLicense", "RecordGraph",
    }  # fmt: skip
    assert {MLKG[name] for name in core} <= targets


def test_ontology_and_vocabularies_conform_on_their_own(shapes, background):
    conforms, report = validate(background, shapes)
    assert conforms, report.serialize(format="turtle")[:4000]


def test_shapes_use_only_the_compilable_subset(shapes):
    or_members = set()
    for s, p, o in shapes:
        assert p in ALLOWED_PREDICATES, (s, p, o)
        if p == SH.path and isinstance(o, BNode):
            inner = list(shapes.predicate_objects(o))
            assert len(inner) == 1 and inner[0][0] == SH.inversePath, inner
            assert isinstance(inner[0][1], URIRef)
        elif p == SH.path:
            assert isinstance(o, URIRef)
        if p == SH["or"]:
            members = list(Collection(shapes, o))
            assert len(members) >= 2
            for member in members:
                assert isinstance(member, BNode)
                inner = list(shapes.predicate_objects(member))
                assert len(inner) == 1 and inner[0][0] in OR_MEMBER_PREDICATES, inner
                or_members.add(member)
    for shape in set(shapes.subjects(SH.path, None)):
        assert (None, SH.property, shape) in shapes, f"{shape} is not used by any node shape"


def test_every_shape_tells_the_author_what_to_fix(shapes):
    named = set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.objects(None, SH.property))
    for shape in named:
        assert isinstance(shape, URIRef), "shapes are named, so reports can point to them"
        assert shapes.value(shape, SH.name) is not None, shape
        message = shapes.value(shape, SH.message)
        assert isinstance(message, Literal) and len(str(message)) > 20, shape


def test_shape_terms_exist_in_the_ontology(shapes, background):
    used = set()
    for p in (SH.targetClass, SH["class"], SH.path, SH.targetSubjectsOf, SH.targetObjectsOf):
        used |= {o for o in shapes.objects(None, p) if isinstance(o, URIRef)}
    used |= set(shapes.objects(None, SH.inversePath)) | set(shapes.objects(None, SH.hasValue))
    for term in used:
        if str(term).startswith(str(MLKG)):
            assert (term, RDF.type, None) in background, f"{term} is not declared"


def property_shapes_of(shapes: rdflib.Graph, node_shape: URIRef, path: URIRef) -> list:
    return [p for p in shapes.objects(node_shape, SH.property) if shapes.value(p, SH.path) == path]


@pytest.mark.parametrize(
    "prop",
    [
        "derivedFrom",
        "fineTunedFrom",
        "adapterOf",
        "quantizedFrom",
        "mergedFrom",
        "convertedFrom",
        "revisionOf",
    ],
)
def test_lineage_targets_must_be_models(shapes, prop):
    found = property_shapes_of(shapes, MLKGSH.ModelShape, MLKG[prop])
    assert [shapes.value(p, SH["class"]) for p in found] == [MLKG.Model]


def constraints(shapes: rdflib.Graph, node_shape: URIRef, path: URIRef) -> dict:
    (shape,) = property_shapes_of(shapes, node_shape, path)
    return {p: o for p, o in shapes.predicate_objects(shape) if p not in (SH.name, SH.message)}


def test_model_requires_only_what_a_stub_has(shapes):
    required = {
        shapes.value(p, SH.path)
        for p in shapes.objects(MLKGSH.ModelShape, SH.property)
        if shapes.value(p, SH.minCount) is not None
    }
    rdfs = rdflib.RDFS
    assert required == {rdflib.DCTERMS.identifier, rdfs.label, MLKG.hub}
    assert (
        constraints(shapes, MLKGSH.ModelShape, rdflib.DCTERMS.identifier)[SH.maxCount].toPython()
        == 1
    )
    assert constraints(shapes, MLKGSH.ModelShape, MLKG.hub)[SH.maxCount].toPython() == 1
    count = constraints(shapes, MLKGSH.ModelShape, MLKG.parameterCount)
    assert count[SH.maxCount].toPython() == 1 and count[SH.datatype] == rdflib.XSD.integer


def test_evaluation_contract(shapes):
    metric = constraints(shapes, MLKGSH.EvaluationShape, MLKG.metric)
    assert (metric[SH.minCount].toPython(), metric[SH.maxCount].toPython()) == (1, 1)
    assert metric[SH["class"]] == MLKG.Metric
    value = constraints(shapes, MLKGSH.EvaluationShape, MLKG.value)
    assert (value[SH.minCount].toPython(), value[SH.maxCount].toPython()) == (1, 1)
    assert value[SH.datatype] == rdflib.XSD.double
    model = constraints(shapes, MLKGSH.EvaluationShape, MLKG.evaluatedModel)
    assert (model[SH.minCount].toPython(), model[SH.maxCount].toPython()) == (1, 1)
    assert model[SH["class"]] == MLKG.Model
    on = constraints(shapes, MLKGSH.EvaluationShape, MLKG.onDataset)
    assert on[SH.minCount].toPython() == 1
    alternatives = {shapes.value(m, SH["class"]) for m in Collection(shapes, on[SH["or"]])}
    assert alternatives == {MLKG.Dataset, MLKG.DatasetSplit}


def test_a_valid_example_breaks_when_a_required_value_goes(shapes, background):
    """Mutation check: the shapes are what makes the valid examples valid."""
    data = rdflib.Graph()
    data += background
    data.parse(HERE / "evaluation-valid.ttl", format="turtle")
    evaluation = URIRef(
        "https://w3id.org/mlkg/resource/model/timm/resnet50.a1_in1k/evaluation/0a1b2c3d4e5f"
    )
    value = data.value(evaluation, MLKG.value)
    data.remove((evaluation, MLKG.value, value))
    data.add((evaluation, MLKG.value, Literal(str(value))))  # the same number as a plain string
    conforms, report = validate(data, shapes)
    assert not conforms
    assert result_keys(report, report.subjects(RDF.type, SH.ValidationResult)) == {
        (evaluation, MLKG.value, SH.DatatypeConstraintComponent, SH.Violation)
    }
