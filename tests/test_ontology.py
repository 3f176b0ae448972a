"""The ontology, the alignment module and the SKOS vocabularies in ontology/.

Checks that every file parses in three independent RDF toolkits (rdflib, pyoxigraph, owlready2),
that the terms docs/architecture.md and the DESIGN.md contract promise exist with the alignments
they promise, that the code only uses declared terms, and that the vocabularies are unambiguous and
cover every id the zoos use (checked against the real TF Hub and Hugging Face lists in ../shared).
"""

from __future__ import annotations

import doctest
import re
import shutil
from collections import defaultdict
from pathlib import Path

import pyoxigraph
import pytest
import rdflib
import yaml
from rdflib import OWL, RDF, RDFS, SKOS, BNode, Literal, URIRef
from rdflib.namespace import DCTERMS

import mlkg.vocabulary
from mlkg.resources import data_dir, ontology_files
from mlkg.vocabulary import load_vocabulary, normalise_key, scheme_name

REPO = Path(__file__).resolve().parent.parent
ONTOLOGY_DIR = data_dir("ontology")
CORE = ONTOLOGY_DIR / "mlkg.ttl"
ALIGNMENTS = ONTOLOGY_DIR / "alignments.ttl"
VOCAB_FILES = sorted((ONTOLOGY_DIR / "vocab").glob("*.ttl"))
ALL_FILES = ontology_files()

ONTOLOGY_IRI = URIRef("https://w3id.org/mlkg/ontology")
MLKG = rdflib.Namespace("https://w3id.org/mlkg/ontology#")
MLS = rdflib.Namespace("http://www.w3.org/ns/mls#")
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DQV = rdflib.Namespace("http://www.w3.org/ns/dqv#")
VANN = rdflib.Namespace("http://purl.org/vocab/vann/")
XSD = rdflib.Namespace("http://www.w3.org/2001/XMLSchema#")  # not rdflib.XSD: pytest warns on it
RESOURCE = "https://w3id.org/mlkg/resource/"
SPDX = "http://spdx.org/licenses/"

LINEAGE = ["fineTunedFrom", "adapterOf", "quantizedFrom", "mergedFrom", "convertedFrom"]

# The mlkg terms of the DESIGN.md "vocabulary contract" table (a public API). Kept here as well as
# parsed from ../shared/DESIGN.md, so the check runs without ../shared and catches drift with it.
CONTRACT_TERMS = {
    "Model", "Dataset", "DatasetSplit", "splitName", "DataInstance", "Label", "Task",
    "TrainingRun", "configuration", "TrainingConfiguration", "hyperParameter", "value",
    "Evaluation", "evaluatedModel", "metric", "onDataset", "forLabel", "verified", "Metric",
    "task", "trainedOn", "predicts", "architecture", "library", "parameterCount",
    "inferenceCost", "memoryFootprint", "derivedFrom", *LINEAGE, "hub",
}  # fmt: skip

# "aligned with" column of the contract table: term -> superclasses/superproperties it must have.
CONTRACT_ALIGNMENTS = {
    MLKG.Model: {MLS.Model, PROV.Entity},
    MLKG.Dataset: {MLS.Dataset, DCAT.Dataset},
    MLKG.DatasetSplit: {MLS.Dataset, DCAT.Dataset},
    MLKG.DataInstance: {MLS.Data},
    MLKG.Label: {SKOS.Concept},
    MLKG.Task: {MLS.Task, SKOS.Concept},
    MLKG.Metric: {MLS.EvaluationMeasure, SKOS.Concept},
    MLKG.TrainingRun: {MLS.Run, PROV.Activity},
    MLKG.TrainingConfiguration: {PROV.Plan},
    MLKG.HyperParameterSetting: {MLS.HyperParameterSetting},
    MLKG.HyperParameter: {MLS.HyperParameter},
    MLKG.Evaluation: {MLS.ModelEvaluation, DQV.QualityMeasurement},
}

SKOS_MAPPINGS = {
    SKOS.closeMatch,
    SKOS.exactMatch,
    SKOS.broadMatch,
    SKOS.narrowMatch,
    SKOS.relatedMatch,
}
KEY_PREDICATES = [
    SKOS.prefLabel,
    SKOS.altLabel,
    SKOS.notation,
    SKOS.hiddenLabel,
    DCTERMS.identifier,
]

# scheme name -> the class every concept of the scheme is an instance of
SCHEME_CLASSES = {
    "tasks": MLKG.Task,
    "metrics": MLKG.Metric,
    "datasets": MLKG.Dataset,
    "architectures": MLKG.Architecture,
    "hubs": MLKG.ModelZoo,
    "licenses": DCTERMS.LicenseDocument,
}


def parse(path: Path) -> rdflib.Graph:
    return rdflib.Graph().parse(path, format="turtle")


@pytest.fixture(scope="module")
def core() -> rdflib.Graph:
    return parse(CORE)


@pytest.fixture(scope="module")
def vocab() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in VOCAB_FILES:
        graph.parse(path, format="turtle")
    return graph


def declared(graph: rdflib.Graph, kind: URIRef) -> set[str]:
    """Local names of the mlkg terms typed ``kind`` in ``graph``."""
    return {
        str(term)[len(str(MLKG)) :]
        for term in graph.subjects(RDF.type, kind)
        if str(term).startswith(str(MLKG))
    }


def superclasses(graph: rdflib.Graph, term: URIRef, predicate: URIRef) -> set[URIRef]:
    """Named super-terms of ``term`` along ``predicate`` (transitively)."""
    return {t for t in graph.transitive_objects(term, predicate) if isinstance(t, URIRef)} - {term}


# --- parsing -------------------------------------------------------------------------------------


def test_ontology_files_are_all_there():
    names = {p.relative_to(ONTOLOGY_DIR).as_posix() for p in ALL_FILES}
    assert {"mlkg.ttl", "alignments.ttl"} <= names
    assert {f"vocab/{n}.ttl" for n in SCHEME_CLASSES} <= names


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_parses_in_rdflib(path):
    assert len(parse(path)) > 10


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_parses_in_pyoxigraph(path):
    triples = list(pyoxigraph.parse(path=path, format=pyoxigraph.RdfFormat.TURTLE))
    assert len(triples) == len(parse(path))


def load_owlready(path: Path, tmp_path: Path):
    """Load a Turtle file in a fresh owlready2 World (owlready2 reads N-Triples, not Turtle)."""
    from owlready2 import World

    ntriples = tmp_path / (path.stem + ".nt")
    parse(path).serialize(ntriples, format="nt", encoding="utf-8")
    world = World()
    return world, world.get_ontology(ntriples.as_uri()).load()


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_loads_in_owlready2(path, tmp_path):
    world, _ = load_owlready(path, tmp_path)
    assert len(world.graph) > 10


def test_owlready2_sees_classes_properties_and_hierarchy(tmp_path, core):
    world, onto = load_owlready(CORE, tmp_path)
    ns = world.get_namespace(str(MLKG))
    prov = world.get_namespace(str(PROV))
    mls = world.get_namespace(str(MLS))
    skos = world.get_namespace(str(SKOS))
    assert {c.iri for c in onto.classes()} >= {str(MLKG[n]) for n in declared(core, OWL.Class)}
    assert {p.iri for p in onto.object_properties()} >= {
        str(MLKG[n]) for n in declared(core, OWL.ObjectProperty)
    }
    assert {p.iri for p in onto.data_properties()} >= {
        str(MLKG[n]) for n in declared(core, OWL.DatatypeProperty)
    }
    assert mls.Model in ns.Model.is_a and prov.Entity in ns.Model.is_a
    for name in ("Label", "Task", "Metric"):
        assert skos.Concept in ns[name].ancestors()
    assert prov.wasDerivedFrom in ns.derivedFrom.is_a
    for name in LINEAGE:
        assert ns.derivedFrom in ns[name].is_a, name
        assert ns[name].domain == [ns.Model] and ns[name].range == [ns.Model]
    assert prov.wasRevisionOf in ns.revisionOf.is_a
    assert ns.derivedFrom not in ns.revisionOf.ancestors()
    assert onto.metadata.versionInfo


def test_hermit_finds_ontology_vocabularies_and_valid_examples_consistent(tmp_path):
    """OWL 2 DL reasoning (HermiT, via owlready2): consistent, and the disjointness axioms bite."""
    if shutil.which("java") is None:
        pytest.skip("HermiT needs a Java runtime (java is not on PATH)")
    from owlready2 import OwlReadyInconsistentOntologyError, World, sync_reasoner

    examples = sorted((REPO / "tests" / "shapes").glob("*-valid.ttl"))
    graph = rdflib.Graph()
    for path in [CORE, *VOCAB_FILES, *examples]:
        graph.parse(path, format="turtle")
    world = World()
    good = tmp_path / "good.nt"
    graph.serialize(good, format="nt", encoding="utf-8")
    world.get_ontology(good.as_uri()).load()
    sync_reasoner(world, debug=0)  # raises OwlReadyInconsistentOntologyError if inconsistent

    bad = parse(CORE)
    bad.add((URIRef("urn:example:both"), RDF.type, MLKG.Model))
    bad.add((URIRef("urn:example:both"), RDF.type, MLKG.Dataset))
    bad_file = tmp_path / "bad.nt"
    bad.serialize(bad_file, format="nt", encoding="utf-8")
    world = World()
    world.get_ontology(bad_file.as_uri()).load()
    with pytest.raises(OwlReadyInconsistentOntologyError):
        sync_reasoner(world, debug=0)


# --- the core ontology ---------------------------------------------------------------------------


def test_ontology_header(core):
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in core
    assert core.value(ONTOLOGY_IRI, OWL.versionInfo) is not None
    assert core.value(ONTOLOGY_IRI, DCTERMS.title) is not None
    assert core.value(ONTOLOGY_IRI, DCTERMS.license) == URIRef(SPDX + "CC-BY-4.0")
    assert core.value(ONTOLOGY_IRI, VANN.preferredNamespacePrefix) == Literal("mlkg")


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_nothing_is_imported(path):
    assert not list(parse(path).triples((None, OWL.imports, None)))


def test_every_term_is_documented(core):
    terms = [
        t
        for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
        for t in core.subjects(RDF.type, kind)
        if str(t).startswith(str(MLKG))
    ]
    assert len(terms) > 60
    for term in terms:
        labels = [o for o in core.objects(term, RDFS.label) if o.language == "en"]
        assert len(labels) == 1, term
        assert core.value(term, RDFS.comment), f"{term} has no rdfs:comment"
        assert core.value(term, RDFS.isDefinedBy) == ONTOLOGY_IRI, term
        if (term, RDF.type, OWL.Class) not in core:
            assert core.value(term, RDFS.domain) is not None, f"{term} has no rdfs:domain"
            assert core.value(term, RDFS.range) is not None, f"{term} has no rdfs:range"


def architecture_terms() -> dict[str, set[str]]:
    """The term lists of docs/architecture.md, section "Ontology terms", by kind."""
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## Ontology terms", 1)[1].split("\n## ", 1)[0]
    parts = re.split(
        r"^(Classes:|Object properties:|Datatype properties:|Added by the sources|Reused:)",
        section,
        flags=re.M,
    )
    blocks = dict(zip(parts[1::2], parts[2::2], strict=True))
    return {
        kind: {n for n in re.findall(r"`([^`]+)`", blocks[kind]) if ":" not in n and "/" not in n}
        for kind in ("Classes:", "Object properties:", "Datatype properties:")
    }


def test_every_architecture_term_is_declared_with_its_kind(core):
    terms = architecture_terms()
    assert len(terms["Classes:"]) == 18
    assert terms["Classes:"] <= declared(core, OWL.Class)
    assert terms["Object properties:"] <= declared(core, OWL.ObjectProperty)
    assert terms["Datatype properties:"] <= declared(core, OWL.DatatypeProperty)


def test_declared_ranges_follow_architecture(core):
    expect = {
        "parameterCount": XSD.integer,
        "downloads": XSD.integer,
        "likes": XSD.integer,
        "version": XSD.integer,
        "inferenceCost": XSD.double,
        "memoryFootprint": XSD.double,
        "valueSpread": XSD.double,
        "verified": XSD.boolean,
        "percentNormalised": XSD.boolean,
        "fineTunable": XSD.boolean,
        "licenseDefaulted": XSD.boolean,
        "unresolvedReference": XSD.boolean,
        "splitName": XSD.string,
        "task": MLKG.Task,
        "trainedOn": MLKG.Dataset,
        "predicts": MLKG.Label,
        "architecture": MLKG.Architecture,
        "hub": MLKG.ModelZoo,
        "metric": MLKG.Metric,
        "evaluatedModel": MLKG.Model,
        "forLabel": MLKG.Label,
        "configuration": MLKG.TrainingConfiguration,
        "setting": MLKG.HyperParameterSetting,
        "hyperParameter": MLKG.HyperParameter,
        "hasLabel": MLKG.Label,
        "inCollection": MLKG.ModelCollection,
    }
    for name, range_ in expect.items():
        assert core.value(MLKG[name], RDFS.range) == range_, name
    union = core.value(MLKG.onDataset, RDFS.range)
    assert isinstance(union, BNode)
    members = set(rdflib.collection.Collection(core, core.value(union, OWL.unionOf)))
    assert members == {MLKG.Dataset, MLKG.DatasetSplit}
    # an Evaluation's value is an xsd:double (hyperparameter settings may hold any literal)
    restrictions = [
        r for r in core.objects(MLKG.Evaluation, RDFS.subClassOf) if isinstance(r, BNode)
    ]
    assert any(
        core.value(r, OWL.onProperty) == MLKG.value
        and core.value(r, OWL.allValuesFrom) == XSD.double
        for r in restrictions
    )


def test_lineage_hierarchy(core):
    assert PROV.wasDerivedFrom in superclasses(core, MLKG.derivedFrom, RDFS.subPropertyOf)
    for name in LINEAGE:
        supers = superclasses(core, MLKG[name], RDFS.subPropertyOf)
        assert {MLKG.derivedFrom, PROV.wasDerivedFrom} <= supers, name
    revision_supers = superclasses(core, MLKG.revisionOf, RDFS.subPropertyOf)
    assert PROV.wasRevisionOf in revision_supers
    assert MLKG.derivedFrom not in revision_supers


def contract_table_terms(design: str) -> set[str]:
    section = design.split("## The vocabulary contract", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return {m for row in rows for m in re.findall(r"`mlkg:(\w+)`", row)}


def test_contract_terms_are_declared(core):
    names = (
        declared(core, OWL.Class)
        | declared(core, OWL.ObjectProperty)
        | declared(core, OWL.DatatypeProperty)
    )
    assert names >= CONTRACT_TERMS, CONTRACT_TERMS - names


def test_contract_table_in_design_matches(shared_dir, core):
    design = shared_dir / "DESIGN.md"
    if not design.exists():
        pytest.skip(f"DESIGN.md not found next to {shared_dir}")
    parsed = contract_table_terms(design.read_text(encoding="utf-8"))
    assert parsed, "no mlkg: terms found in the DESIGN.md contract table"
    assert parsed <= CONTRACT_TERMS, f"update CONTRACT_TERMS: {parsed - CONTRACT_TERMS}"


def test_contract_alignments(core):
    for term, expected in CONTRACT_ALIGNMENTS.items():
        assert expected <= superclasses(core, term, RDFS.subClassOf), term
    # reused properties of the contract are declared with the right kind
    for prop in (DCTERMS.license, DCTERMS.publisher, DCTERMS.isPartOf, PROV.used):
        assert (prop, RDF.type, OWL.ObjectProperty) in core, prop
    assert (DCTERMS.identifier, RDF.type, OWL.DatatypeProperty) in core


def test_main_classes_are_disjoint(core):
    lists = [core.value(d, OWL.members) for d in core.subjects(RDF.type, OWL.AllDisjointClasses)]
    members = {m for lst in lists for m in rdflib.collection.Collection(core, lst)}
    assert {MLKG.Model, MLKG.Dataset, MLKG.Evaluation, MLKG.Metric, MLKG.Task} <= members


TERM_USE = re.compile(
    r"""\bMLKG(?:\.(?!term\b)(\w+)|\[\s*["'](\w+)["']\s*\]|\.term\(\s*["'](\w+)["']\s*\))"""
)


def code_terms() -> dict[str, set[str]]:
    """Each ``MLKG.<name>``, ``MLKG["<name>"]``, ``MLKG.term("<name>")`` in mlkg/ and crawlers/."""
    used: dict[str, set[str]] = defaultdict(set)
    for folder in ("mlkg", "crawlers"):
        for path in sorted((REPO / folder).rglob("*.py")):
            for match in TERM_USE.finditer(path.read_text(encoding="utf-8")):
                name = next(g for g in match.groups() if g)
                used[name].add(path.relative_to(REPO).as_posix())
    return used


def test_term_regex_finds_every_form():
    sample = 'MLKG.Model, MLKG["fineTunedFrom"], MLKG.term("hub"), MLKG.term'
    found = {next(g for g in m.groups() if g) for m in TERM_USE.finditer(sample)}
    assert found == {"Model", "fineTunedFrom", "hub"}


def test_code_uses_only_declared_terms(core):
    names = {str(t)[len(str(MLKG)) :] for t in core.subjects() if str(t).startswith(str(MLKG))}
    used = code_terms()
    missing = {name: sorted(files) for name, files in used.items() if name not in names}
    assert not missing, f"terms used in code but not declared in ontology/mlkg.ttl: {missing}"


# --- the alignment module ------------------------------------------------------------------------


def test_alignments_are_only_skos_mappings(core, vocab):
    graph = parse(ALIGNMENTS)
    module = URIRef("https://w3id.org/mlkg/ontology/alignments")
    mappings = 0
    for s, p, o in graph:
        if s == module or (s in SKOS_MAPPINGS and (p, o) == (RDF.type, OWL.AnnotationProperty)):
            continue
        assert p in SKOS_MAPPINGS, (s, p, o)
        assert (s, None, None) in core or (s, SKOS.inScheme, None) in vocab, f"unknown term {s}"
        assert not str(o).startswith((str(MLKG), RESOURCE)), "map to other vocabularies only"
        mappings += 1
    targets = {str(o) for p in SKOS_MAPPINGS for o in graph.objects(None, p)}
    for namespace in (
        "https://w3id.org/fair4ml#",
        "http://w3id.org/mlso/",
        "http://mlcommons.org/croissant/",
        "http://data.europa.eu/it6/",
    ):
        assert any(t.startswith(namespace) for t in targets), namespace
    assert mappings >= 30


# --- the vocabularies ----------------------------------------------------------------------------


def concepts_by_scheme(vocab: rdflib.Graph) -> dict[str, set[URIRef]]:
    schemes: dict[str, set[URIRef]] = defaultdict(set)
    for concept, scheme in vocab.subject_objects(SKOS.inScheme):
        schemes[scheme_name(str(scheme))].add(concept)
    return schemes


@pytest.mark.parametrize("path", VOCAB_FILES, ids=lambda p: p.name)
def test_vocabulary_files_keep_the_seed_style(path):
    text = path.read_text(encoding="utf-8")
    assert text.startswith("@base <https://w3id.org/mlkg/resource/> .")
    graph = parse(path)
    schemes = list(graph.subjects(RDF.type, SKOS.ConceptScheme))
    assert len(schemes) == 1 and str(schemes[0]) == f"{RESOURCE}vocabulary/{path.stem}"
    assert graph.value(schemes[0], SKOS.prefLabel) is not None


def test_every_concept_has_one_english_preflabel_and_one_scheme(vocab):
    concepts = set(vocab.subjects(SKOS.inScheme, None))
    assert len(concepts) > 600
    for concept in concepts:
        schemes = list(vocab.objects(concept, SKOS.inScheme))
        assert len(schemes) == 1, concept
        prefs = list(vocab.objects(concept, SKOS.prefLabel))
        assert len(prefs) == 1 and prefs[0].language == "en", concept
        assert vocab.value(concept, RDFS.label) is not None, concept
        assert (concept, RDF.type, SKOS.Concept) in vocab, concept
        expected = SCHEME_CLASSES[scheme_name(str(schemes[0]))]
        assert (concept, RDF.type, expected) in vocab, (concept, expected)


def test_licences_are_spdx_or_custom(vocab):
    for concept in concepts_by_scheme(vocab)["licenses"]:
        if str(concept).startswith(SPDX):
            spdx_id = str(concept)[len(SPDX) :]
            assert Literal(spdx_id) in set(vocab.objects(concept, SKOS.notation)), concept
        else:
            assert str(concept).startswith(RESOURCE + "license/"), concept
            assert (concept, RDF.type, MLKG.CustomLicense) in vocab, concept


def test_broader_links_stay_in_their_scheme(vocab):
    for narrower, broader in vocab.subject_objects(SKOS.broader):
        assert vocab.value(narrower, SKOS.inScheme) == vocab.value(broader, SKOS.inScheme), (
            narrower,
            broader,
        )


def test_no_key_names_two_concepts(vocab):
    """What mlkg.vocabulary indexes (labels, notations, the IRI's last segment) is unambiguous."""
    owners: dict[tuple[str, str], set[str]] = defaultdict(set)
    for scheme, concepts in concepts_by_scheme(vocab).items():
        for concept in concepts:
            names = {str(o) for p in KEY_PREDICATES for o in vocab.objects(concept, p)}
            names.add(str(concept).rstrip("/").rsplit("/", 1)[-1])
            for name in names:
                if key := normalise_key(name):
                    owners[(scheme, key)].add(str(concept))
    ambiguous = {k: v for k, v in owners.items() if len(v) > 1}
    assert not ambiguous


def test_vocabulary_sizes():
    vocabulary = load_vocabulary()
    sizes = {s: len(set(vocabulary.index[s].values())) for s in vocabulary.schemes()}
    assert set(sizes) >= set(SCHEME_CLASSES)
    assert sizes["tasks"] >= 90 and sizes["metrics"] >= 60 and sizes["licenses"] >= 80
    assert sizes["datasets"] >= 200 and sizes["architectures"] >= 128 and sizes["hubs"] >= 5


def test_vocabulary_doctests_pass():
    result = doctest.testmod(mlkg.vocabulary)
    assert result.attempted >= 2 and result.failed == 0


def test_imagenet_is_one_concept():
    vocabulary = load_vocabulary()
    iris = {
        vocabulary.find("datasets", x)
        for x in ("imagenet", "imagenet-ilsvrc-2012-cls", "imagenet-1k")
    }
    assert len(iris) == 1 and None not in iris
    assert vocabulary.find("datasets", "imagenet-21k") not in iris


@pytest.mark.parametrize(
    ("scheme", "a", "b"),
    [
        ("tasks", "audio-stt", "automatic-speech-recognition"),
        ("tasks", "image-feature-vector", "image-feature-extraction"),
        ("tasks", "text-embedding", "feature-extraction"),
        ("tasks", "image-object-detection", "object-detection"),
        ("tasks", "audio-speech-synthesis", "text-to-speech"),
        ("tasks", "image-pose-detection", "keypoint-detection"),
        ("tasks", "Supervised Classification", "tabular-classification"),
        ("metrics", "Top 1 Accuracy", "acc@1"),
        ("metrics", "top1_err", "Top-1 error"),
        ("metrics", "predictive_accuracy", "accuracy"),
        ("metrics", "Rouge1", "rogue-1"),
        ("metrics", "f_measure", "F1"),
        ("licenses", "apache-2.0", "Apache-2.0"),
        ("licenses", "cc-by-nc-4.0", "CC-BY-NC-4.0"),
        ("datasets", "bookscorpus", "bookcorpus"),
        ("datasets", "squad-2-0", "squad_v2"),
        ("datasets", "medline/pubmed", "medline-pubmed"),
        ("datasets", "bair", "bair-robot-pushing-dataset"),
        ("architectures", "deeplab-mobilenetv2_ade20k_train", "deeplab-mobilenetv2-ade20k-train"),
        ("hubs", "tfhub", "TensorFlow Hub"),
    ],
)
def test_zoo_spellings_meet(scheme, a, b):
    vocabulary = load_vocabulary()
    assert vocabulary.find(scheme, a) is not None
    assert vocabulary.find(scheme, a) == vocabulary.find(scheme, b)


@pytest.mark.parametrize(
    ("scheme", "a", "b"),
    [
        ("tasks", "audio-event-classification", "audio-classification"),
        ("metrics", "accuracy", "top-1-accuracy"),
        ("metrics", "f1", "macro-f1"),
        ("metrics", "ap", "map"),
        ("datasets", "pascal-voc-2012", "voc2007"),
        ("datasets", "inaturalist", "inaturalist-inat-2017"),
        ("licenses", "gpl", "gpl-3.0"),
    ],
)
def test_distinct_things_stay_apart(scheme, a, b):
    vocabulary = load_vocabulary()
    assert None not in (vocabulary.find(scheme, a), vocabulary.find(scheme, b))
    assert vocabulary.find(scheme, a) != vocabulary.find(scheme, b)


def test_licences_without_spdx_id_are_custom(vocab):
    vocabulary = load_vocabulary()
    for hf_id in ("llama2", "openrail", "creativeml-openrail-m", "gemma", "other", "custom"):
        iri = URIRef(vocabulary.find("licenses", hf_id).value)
        assert (iri, RDF.type, MLKG.CustomLicense) in vocab, hf_id
    assert vocabulary.find("licenses", "mit").value == SPDX + "MIT"


# --- coverage of the zoos' own id lists (../shared) ----------------------------------------------

TFHUB_TAGS = {"task.yaml": "tasks", "dataset.yaml": "datasets", "license.yaml": "licenses"}
TFHUB_TAGS["network_architecture.yaml"] = "architectures"
TFHUB_SNAPSHOTS = ("tfhub.dev", "tfhub.dev-legacy-2021-05-27")


def test_every_tfhub_tag_id_is_in_the_vocabulary(shared_dir):
    vocabulary = load_vocabulary()
    checked, missing = 0, []
    for snapshot in TFHUB_SNAPSHOTS:
        for filename, scheme in TFHUB_TAGS.items():
            path = shared_dir / "zoo-snapshots" / snapshot / "tags" / filename
            if not path.exists():  # the 2021 snapshot has no task.yaml / license.yaml
                continue
            for value in yaml.safe_load(path.read_text(encoding="utf-8"))["values"]:
                checked += 1
                for name in (value["id"], value.get("display_name")):
                    if name and vocabulary.find(scheme, str(name)) is None:
                        missing.append((snapshot, filename, name))
    assert checked > 450
    assert not missing


def test_every_tfhub_2021_module_type_and_licence_is_in_the_vocabulary(shared_dir):
    """The 2021 catalogue states tasks as ``<!-- module-type: ... -->`` in each model page."""
    docs = shared_dir / "zoo-snapshots" / "tfhub.dev-legacy-2021-05-27" / "assets" / "docs"
    found: dict[str, set[str]] = defaultdict(set)
    pattern = re.compile(r"^<!--\s*(module-type|license|dataset):\s*(.+?)\s*-->", re.M)
    for page in docs.rglob("*.md"):
        for kind, value in pattern.findall(page.read_text(encoding="utf-8", errors="replace")):
            found[kind].add(value)
    vocabulary = load_vocabulary()
    scheme = {"module-type": "tasks", "license": "licenses", "dataset": "datasets"}
    assert len(found["module-type"]) > 30
    missing = [
        (k, v) for k, values in found.items() for v in values if not vocabulary.find(scheme[k], v)
    ]
    assert not missing


def test_every_hugging_face_licence_id_is_in_the_vocabulary(shared_dir):
    page = shared_dir / "zoo-snapshots" / "huggingface" / "hub-docs" / "docs" / "hub"
    text = (page / "repositories-licenses.md").read_text(encoding="utf-8")
    table = text.split("<!-- region licenses -->", 1)[1].split("<!-- endregion -->", 1)[0]
    rows = [line.split("|") for line in table.splitlines() if line.startswith("|")]
    pairs = [(r[1].strip(), r[2].strip().strip("`")) for r in rows[2:]]
    assert len(pairs) > 70
    vocabulary = load_vocabulary()
    missing = [hf_id for _, hf_id in pairs if vocabulary.find("licenses", hf_id) is None]
    assert not missing
    unnamed = [
        name for name, _ in pairs if vocabulary.find("licenses", name.replace("\\", "")) is None
    ]
    assert not unnamed
