"""The PyTorch Hub crawler and mapper: rules on tiny pages, bad input, HTTP, the real snapshot.

The snapshot tests compare the graph (queried with SPARQL over a real Oxigraph store) with an
independent regex parse of the pages written here, not with the module's own helpers.
"""

from __future__ import annotations

import io
import re
import tarfile
import tempfile
import textwrap
from collections import Counter, defaultdict
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyoxigraph import Literal, NamedNode, Store, Triple

from crawlers import get_source
from crawlers.pytorch_hub import MAX_PAGE_BYTES, SOURCE, crawl, map_record
from mlkg.errors import SourceNotFoundError
from mlkg.iris import Iris
from mlkg.namespaces import DCTERMS, MLKG, PROV, RDF, RDFS, SCHEMA, XSD, sparql_prologue
from mlkg.records import MappedRecord, RawRecord
from mlkg.sample_zoo import SAMPLE_DIR
from mlkg.vocabulary import Vocabulary, build_vocabulary, load_vocabulary
from tests.httpserver import LocalServer, Reply

IRIS = Iris()
R = IRIS.base
SAMPLE = SAMPLE_DIR / "pytorch-hub"
SAMPLE_PAGES = [
    "mlkg-samples_boxnet_detector.md",
    "mlkg-samples_depthkit_depth.md",
    "mlkg-samples_tinyvision_tinyresnet.md",
    "mlkg-samples_voicekit_stt.md",
]
ARCHIVE_PATH = "/pytorch/hub/tar.gz/refs/heads/master"

TEST_VOCABULARY_TTL = """
@base <https://w3id.org/mlkg/resource/> .
@prefix mlkg: <https://w3id.org/mlkg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<vocabulary/datasets> a skos:ConceptScheme .
<dataset/imagenet-ilsvrc-2012> a mlkg:Dataset, skos:Concept ; skos:inScheme <vocabulary/datasets> ;
    skos:prefLabel "ImageNet (ILSVRC 2012)"@en ; skos:altLabel "ImageNet", "ImageNet-1k" .
<dataset/coco> a mlkg:Dataset, skos:Concept ; skos:inScheme <vocabulary/datasets> ;
    skos:prefLabel "COCO"@en ; skos:altLabel "MS COCO" .
<dataset/kinetics-400> a mlkg:Dataset, skos:Concept ; skos:inScheme <vocabulary/datasets> ;
    skos:prefLabel "Kinetics-400"@en ; skos:altLabel "Kinetics 400" .
<vocabulary/hubs> a skos:ConceptScheme .
<hub/pytorch-hub> a mlkg:ModelZoo, skos:Concept ; skos:inScheme <vocabulary/hubs> ;
    skos:altLabel "pytorch-hub" .
"""
METRIC_VOCABULARY_TTL = """
@base <https://w3id.org/mlkg/resource/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<vocabulary/metrics> a skos:ConceptScheme .
<metric/top1-err> a skos:Concept ; skos:inScheme <vocabulary/metrics> ;
    skos:prefLabel "top-1 error"@en .
"""


@cache
def fixed_vocabulary() -> Vocabulary:
    """A fixed vocabulary (ImageNet, COCO, Kinetics 400, the hub), independent of the shipped one
    that other work keeps extending; no metrics scheme, so metrics are minted with stubs."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "vocab.ttl"
        path.write_text(TEST_VOCABULARY_TTL)
        return build_vocabulary([path])


def page(front: str, body: str) -> str:
    return f"---\n{textwrap.dedent(front).strip()}\n---\n{textwrap.dedent(body)}"


FRONT = """
    title: Nets
    summary: Small nets.
    author: Acme Team
    tags: [vision, scriptable]
    github-id: acme/nets
    accelerator: cuda-optional
"""


def raw(text: str, name: str = "acme_nets_page.md") -> RawRecord:
    return RawRecord("pytorch-hub", name, {"path": name, "text": text})


def map_text(text: str, vocabulary: Vocabulary | None = None, name: str = "acme_nets_page.md"):
    return map_record(raw(text, name), IRIS, vocabulary=vocabulary or fixed_vocabulary())


def model(zoo_id: str) -> NamedNode:
    return IRIS.model("pytorch-hub", zoo_id)


def has(record: MappedRecord, s, p, o) -> bool:
    return Triple(s, p, o) in record.triples


def objects(record: MappedRecord, s, p) -> list:
    return [t.object for t in record.triples if t.subject == s and t.predicate == p]


def models_of(record: MappedRecord) -> list[NamedNode]:
    return [t.subject for t in record.triples if t.predicate == RDF.type and t.object == MLKG.Model]


def evaluations(record: MappedRecord) -> dict[str, dict[str, object]]:
    """evaluation IRI → {predicate local name: object} (single-valued predicates)."""
    found: dict[str, dict[str, object]] = defaultdict(dict)
    for t in record.triples:
        if "/evaluation/" in t.subject.value:
            found[t.subject.value][re.split(r"[#/]", t.predicate.value)[-1]] = t.object
    return dict(found)


def evaluation_of(record: MappedRecord, entrypoint_model: NamedNode, metric_slug: str) -> dict:
    matches = [
        e
        for e in evaluations(record).values()
        if e["evaluatedModel"] == entrypoint_model
        and e["metric"].value.rsplit("/", 1)[-1] == metric_slug
    ]
    assert len(matches) == 1, matches
    return matches[0]


def double(value: str) -> Literal:
    return Literal(value, datatype=XSD.double)


# -- the mapping rules -------------------------------------------------------------------------


def test_entrypoint_model_carries_page_facts_with_exact_triples():
    body = """
    ```python
    model = torch.hub.load('acme/nets:v1.2', 'net18', pretrained=True)
    ```
    """
    record = map_text(page(FRONT, body))
    m = model("acme/nets/net18")
    assert m.value == R + "model/pytorch-hub/acme/nets/net18"
    assert record.error is None and record.subject == m and record.topics == [m]
    publisher = IRIS.publisher("pytorch-hub", "Acme Team")
    expected = {
        (RDF.type, MLKG.Model),
        (DCTERMS.identifier, Literal("acme/nets/net18")),
        (RDFS.label, Literal("net18")),
        (DCTERMS["title"], Literal("Nets")),
        (DCTERMS.description, Literal("Small nets.")),
        (MLKG.entrypoint, Literal("net18")),
        (MLKG.sourceRepository, NamedNode("https://github.com/acme/nets")),
        (MLKG.sourceRef, Literal("v1.2")),
        (SCHEMA.url, NamedNode("https://pytorch.org/hub/acme_nets_page")),
        (MLKG.entryType, Literal("entrypoint")),
        (MLKG.hub, NamedNode(R + "hub/pytorch-hub")),
        (MLKG.tag, Literal("vision")),
        (MLKG.tag, Literal("scriptable")),
        (MLKG.accelerator, Literal("cuda-optional")),
        (DCTERMS.publisher, publisher),
    }
    assert {(t.predicate, t.object) for t in record.triples if t.subject == m} == expected
    assert has(record, publisher, RDF.type, MLKG.Publisher)
    assert has(record, publisher, RDFS.label, Literal("Acme Team"))
    assert has(record, publisher, DCTERMS.identifier, Literal("Acme Team"))
    assert not any(t.predicate == MLKG.task for t in record.triples)  # tags are not tasks


def test_commented_out_calls_are_further_entrypoints_single_and_multi_line():
    body = """
    ```python
    model = torch.hub.load('acme/nets', 'net18', pretrained=True)
    # or any of these
    # model = torch.hub.load('acme/nets', 'net34', pretrained=True)
    #model = torch.hub.load('acme/nets', 'net50')
    # model = torch.hub.load('acme/nets',
    #                        'net101', depth=101,  # a comment with a ' quote
    #                        pretrained=True)
    ```
    """
    record = map_text(page(FRONT, body))
    names = [objects(record, m, MLKG.entrypoint)[0].value for m in models_of(record)]
    assert names == ["net18", "net34", "net50", "net101"]
    assert record.warnings == []


def test_keyword_arguments_multiline_and_tuple_results():
    body = """
    ```python
    model, utils = torch.hub.load(repo_or_dir='acme/nets',
                                  model='speech_stt',
                                  language='en',  # also 'de'
                                  device=device)
    tagger = torch.hub.load('acme/nets', model="tagger", **{'top_k': 3})
    ```
    """
    record = map_text(page(FRONT, body))
    assert [m.value.rsplit("/", 1)[-1] for m in models_of(record)] == ["speech_stt", "tagger"]
    assert has(record, model("acme/nets/speech_stt"), MLKG.entrypoint, Literal("speech_stt"))
    assert not objects(record, model("acme/nets/speech_stt"), MLKG.sourceRef)


def test_the_page_own_entrypoint_is_the_subject_even_when_a_companion_loads_first():
    front = FRONT.replace("title: Nets", "title: HiFi GAN")
    body = """
    ```python
    generator = torch.hub.load('acme/nets', 'acme_fastpitch')
    vocoder = torch.hub.load('acme/nets', 'acme_hifigan')
    ```
    """
    record = map_text(page(front, body), name="acme_nets_hifigan.md")
    assert record.subject == model("acme/nets/acme_hifigan")
    assert record.topics == [model("acme/nets/acme_fastpitch"), model("acme/nets/acme_hifigan")]


def test_calls_outside_code_blocks_are_not_entrypoints():
    body = """
    Run `torch.hub.load('acme/nets', 'prose_only')` to try it.

    ```python
    model = torch.hub.load('acme/nets', 'net18')
    ```
    """
    record = map_text(page(FRONT, body))
    assert models_of(record) == [model("acme/nets/net18")]


def test_variable_entrypoint_is_a_page_model_without_entrypoint():
    body = """
    ```python
    model_name = 'net_s'  # not resolved: the variable may be reassigned
    model = torch.hub.load('acme/nets:main', model_name, pretrained=True)
    helper = torch.hub.load('acme/nets:main', 'transforms')
    ```
    """
    record = map_text(page(FRONT, body), name="acme_nets_x3d.md")
    unknown = model("acme/nets/page:acme_nets_x3d")
    assert unknown.value == R + "model/pytorch-hub/acme/nets/page%3Aacme_nets_x3d"
    assert models_of(record) == [unknown, model("acme/nets/transforms")]
    assert record.subject == unknown
    assert objects(record, unknown, MLKG.entrypoint) == []
    assert not any(o.value == "net_s" for o in objects(record, unknown, RDFS.label))
    assert has(record, unknown, RDFS.label, Literal("Nets"))
    assert has(record, unknown, MLKG.sourceRef, Literal("main"))
    assert has(record, unknown, DCTERMS.identifier, Literal("acme/nets/page:acme_nets_x3d"))
    assert any("'model_name', not a string literal" in w for w in record.warnings)


def test_page_without_load_call_keeps_page_facts_with_a_warning():
    record = map_text(page(FRONT, "Just prose.\n\n```bash\npip install nets\n```\n"))
    unknown = model("acme/nets/page:acme_nets_page")
    assert record.error is None and models_of(record) == [unknown]
    assert has(record, unknown, DCTERMS.description, Literal("Small nets."))
    assert has(record, unknown, MLKG.sourceRepository, NamedNode("https://github.com/acme/nets"))
    assert any("no torch.hub.load call" in w for w in record.warnings)


def test_curly_quotes_around_values_are_removed_inside_values_kept():
    front = FRONT.replace("accelerator: cuda-optional", "accelerator: “cuda-optional”").replace(
        "title: Nets", "title: The “best” nets"
    )
    record = map_text(page(front, "```python\ntorch.hub.load('acme/nets', 'n1')\n```\n"))
    m = model("acme/nets/n1")
    assert objects(record, m, MLKG.accelerator) == [Literal("cuda-optional")]
    assert objects(record, m, DCTERMS["title"]) == [Literal("The “best” nets")]
    assert any("accelerator: removed the quotes" in w for w in record.warnings)


def test_metric_table_percent_by_scale_dataset_from_the_sentence_before():
    body = """
    ```python
    model = torch.hub.load('acme/nets:v1', 'net18', pretrained=True)
    # model = torch.hub.load('acme/nets:v1', 'net34', pretrained=True)
    ```

    ### Model Description

    Their 1-crop error rates on the ImageNet dataset are listed below.

    | Model structure | Top-1 error | Top-5 error |
    | --------------- | ----------- | ----------- |
    |  net18          | 30.24       | 10.92       |
    |  **Net34**      | 26.70       | 8.58        |
    """
    record = map_text(page(FRONT, body))
    net18 = evaluation_of(record, model("acme/nets/net18"), "top-1-error")
    assert net18["value"] == double("0.3024")
    assert net18["rawValue"] == Literal("30.24")
    assert net18["percentNormalised"] == Literal("true", datatype=XSD.boolean)
    assert net18["onDataset"] == NamedNode(R + "dataset/imagenet-ilsvrc-2012")
    assert net18["type"] == MLKG.Evaluation
    assert evaluation_of(record, model("acme/nets/net34"), "top-5-error")["value"] == double(
        "0.0858"
    )
    assert len(evaluations(record)) == 4
    metric = NamedNode(R + "metric/top-1-error")  # no metrics vocabulary: minted, with a stub
    assert net18["metric"] == metric
    assert has(record, metric, RDF.type, MLKG.Metric)
    assert has(record, metric, RDFS.label, Literal("top-1 error"))


def test_percent_signs_and_fraction_columns():
    body = """
    ```python
    torch.hub.load('acme/nets', 'det_s')
    ```

    Box results on COCO val2017:

    | Model   | mAP@0.5:0.95 | Recall | Speed (fps) |
    | ------- | ------------ | ------ | ----------- |
    | `det_s` | 41.2%        | 0.87   | 120         |
    """
    record = map_text(page(FRONT, body))
    det = model("acme/nets/det_s")
    map_value = evaluation_of(record, det, "map-50-95")
    assert map_value["value"] == double("0.412")
    assert map_value["rawValue"] == Literal("41.2%")
    recall = evaluation_of(record, det, "recall")
    assert recall["value"] == double("0.87") and "percentNormalised" not in recall
    assert len(evaluations(record)) == 2  # speed is not a quality metric
    assert recall["onDataset"] == NamedNode(R + "dataset/coco")


def test_table_without_a_known_dataset_is_left_out_with_a_warning():
    body = """
    ```python
    torch.hub.load('acme/nets', 'n1')
    ```

    Results on our in-house FooBarSet:

    | Model | Top-1 error |
    | ----- | ----------- |
    | n1    | 30.0        |
    """
    record = map_text(page(FRONT, body))
    assert evaluations(record) == {}
    assert any(
        "names no known dataset; its 1 row(s) for this page's entrypoints are not recorded" in w
        for w in record.warnings
    )


def test_rows_match_entrypoints_by_name_joined_cells_and_safe_prefix():
    body = """
    ```python
    torch.hub.load('acme/nets', 'slow_r50')
    torch.hub.load('acme/nets', 'resnext101_32x8d_wsl')
    torch.hub.load('acme/nets', 'resnext101_32x16d_wsl')
    ```

    Pretrained on the Kinetics 400 dataset.

    | arch | depth | top 1 | top 5 |
    | ---- | ----- | ----- | ----- |
    | Slow | R50   | 74.58 | 91.63 |
    | Fast | R50   | 70.00 | 90.00 |

    On ImageNet:

    | Model              | #Parameters | Top-1 Acc. |
    | ------------------ | ----------- | ---------- |
    | ResNeXt-101 32x8d  | 88M         | 82.2       |
    | ResNeXt-101 32x16d | 193M        | 84.2       |
    """
    record = map_text(page(FRONT, body))
    slow = evaluation_of(record, model("acme/nets/slow_r50"), "top-1-accuracy")
    assert slow["value"] == double("0.7458")
    assert slow["onDataset"] == NamedNode(R + "dataset/kinetics-400")
    wsl = evaluation_of(record, model("acme/nets/resnext101_32x16d_wsl"), "top-1-accuracy")
    assert wsl["value"] == double("0.842")
    assert len(evaluations(record)) == 4
    assert any("1 row(s) name no entrypoint" in w and "Fast" in w for w in record.warnings)


def test_prefix_match_is_refused_when_the_table_is_not_one_row_per_entrypoint():
    body = """
    ```python
    torch.hub.load('acme/nets', 'resnet50_ibn_a')
    ```

    Re-identification accuracy of backbones pre-trained on ImageNet:

    | Backbone       | Accuracy |
    | -------------- | -------- |
    | ResNet50       | 94.5     |
    | ResNet101      | 94.6     |
    | ResNet50-IBN-a | 95.0     |
    """
    record = map_text(page(FRONT, body))
    only = list(evaluations(record).values())
    assert len(only) == 1 and only[0]["rawValue"] == Literal("95.0")


def test_single_row_names_a_prefix_of_the_only_entrypoint():
    body = """
    ```python
    torch.hub.load('acme/nets', 'shufflenet_v2_x1_0')
    ```

    Error on ImageNet:

    | Model structure | Top-1 error |
    | --------------- | ----------- |
    | shufflenet_v2   | 30.64       |
    """
    record = map_text(page(FRONT, body))
    found = evaluation_of(record, model("acme/nets/shufflenet_v2_x1_0"), "top-1-error")
    assert found["value"] == double("0.3064")


def test_datasets_link_only_through_the_vocabulary():
    front = FRONT.replace("summary: Small nets.", "summary: Detectors pre-trained on MS COCO.")
    body = "```python\ntorch.hub.load('acme/nets', 'det')\n```\n\nAlso trained on FooBarSet.\n"
    record = map_text(page(front, body))
    det, run = model("acme/nets/det"), IRIS.training_run(model("acme/nets/det"))
    coco = NamedNode(R + "dataset/coco")
    assert objects(record, det, MLKG.trainedOn) == [coco]
    assert has(record, det, PROV.wasGeneratedBy, run)
    assert has(record, run, RDF.type, MLKG.TrainingRun)
    assert objects(record, run, PROV.used) == [coco]

    empty = build_vocabulary([])
    bare = map_text(page(front, body), empty)
    assert not any(t.predicate in {MLKG.trainedOn, PROV.used} for t in bare.triples)
    assert not any(t.object == MLKG.TrainingRun for t in bare.triples)


def test_only_the_words_right_after_trained_on_count():
    body = (
        "```python\ntorch.hub.load('acme/nets', 'n1')\n```\n\n"
        "Pre-trained on 940 million public images with hashtags matching ImageNet synsets.\n"
    )
    record = map_text(page(FRONT, body))
    assert not any(t.predicate == MLKG.trainedOn for t in record.triples)


def test_table_naming_two_datasets_gets_none_and_a_warning():
    body = """
    ```python
    torch.hub.load('acme/nets', 'n1')
    ```

    Accuracy on ImageNet and on COCO:

    | Model | Accuracy |
    | ----- | -------- |
    | n1    | 0.5      |
    """
    record = map_text(page(FRONT, body))
    assert evaluations(record) == {}
    assert any("several datasets (imagenet-ilsvrc-2012, coco)" in w for w in record.warnings)


def test_dataset_is_looked_for_within_the_section_only():
    body = """
    ```python
    torch.hub.load('acme/nets', 'n1')
    ```

    Trained and tested on ImageNet.

    ### Lane detection

    | Model | Accuracy (%) |
    | ----- | ------------ |
    | n1    | 85.4         |
    """
    record = map_text(page(FRONT, body))
    assert evaluations(record) == {}
    assert any("table at line" in w and "no known dataset" in w for w in record.warnings)


def test_entrypoint_table_lists_further_entrypoints():
    body = """
    ```python
    net = torch.hub.load('acme/nets:hub', 'net_b0', pretrained=True)
    ```

    | TorchHub entrypoint | Description |
    | :----- | :----- |
    | `net_b0` | baseline |
    | `net_b4` | scaled |
    """
    record = map_text(page(FRONT, body))
    b4 = model("acme/nets/net_b4")
    assert models_of(record) == [model("acme/nets/net_b0"), b4]
    assert has(record, b4, MLKG.sourceRef, Literal("hub"))


def test_metric_from_the_vocabulary_is_used_without_a_stub(tmp_path):
    (tmp_path / "metrics.ttl").write_text(METRIC_VOCABULARY_TTL)
    (tmp_path / "datasets.ttl").write_text(TEST_VOCABULARY_TTL)
    table = "On ImageNet:\n\n| M | Top-1 error |\n|-|-|\n|n1|0.3|\n"
    body = "```python\ntorch.hub.load('acme/nets', 'n1')\n```\n\n" + table
    vocabulary = build_vocabulary(sorted(tmp_path.glob("*.ttl")))
    record = map_text(page(FRONT, body), vocabulary)
    (found,) = evaluations(record).values()
    assert found["metric"] == NamedNode(R + "metric/top1-err")
    assert not any(t.object == MLKG.Metric for t in record.triples)


def test_github_id_names_the_model_even_when_the_call_uses_another_spelling():
    body = """
    ```python
    m = torch.hub.load('acme/old-nets', 'model')
    c = torch.hub.load('acme/old-nets', 'model')
    t = torch.hub.load('acme/old-nets:v2', 'model')
    ```
    """
    record = map_text(page(FRONT, body))
    m = model("acme/nets/model")
    assert models_of(record) == [m]
    assert has(record, m, MLKG.sourceRepository, NamedNode("https://github.com/acme/old-nets"))
    assert objects(record, m, MLKG.sourceRef) == []  # the first call had no ref
    assert any("github-id is acme/nets" in w for w in record.warnings)
    assert any("kept the first repository and ref" in w for w in record.warnings)


# -- bad input ---------------------------------------------------------------------------------

CALL = "```python\nmodel = torch.hub.load('acme/nets', 'n1')\n```\n"


def test_malformed_yaml_is_a_warning_with_its_position_and_models_are_kept():
    text = "---\ntitle: A\nsummary: [unclosed\nauthor: x\n---\n" + CALL
    record = map_text(text)
    assert record.error is None
    assert models_of(record) == [model("acme/nets/n1")]  # the id falls back to the call's repo
    (warning,) = [w for w in record.warnings if "not valid YAML" in w]
    assert re.search(r"line \d+, column \d+", warning)


@pytest.mark.parametrize(
    ("front", "kind"), [("- a\n- b", "list"), ("just text", "str"), ("", "NoneType")]
)
def test_front_matter_that_is_not_a_mapping(front, kind):
    record = map_text(f"---\n{front}\n---\n" + CALL)
    assert record.error is None and models_of(record) == [model("acme/nets/n1")]
    assert any(f"front matter is a YAML {kind}, not a mapping" in w for w in record.warnings)


@pytest.mark.parametrize(
    "front",
    [
        "title: " + "[" * 5000 + "]" * 5000,  # deep nesting
        "created: 2020-13-45",  # a date YAML cannot construct
        "a: &a [x]\nb: &b [*a, *a, *a]\ntags: [*b, *b]\ntitle: *b",  # aliases, non-text values
        "github-id: ../../etc\ntitle: {nested: map}",
    ],
)
def test_hostile_front_matter_gives_warnings_not_exceptions(front):
    record = map_text(f"---\n{front}\n---\n" + CALL)
    assert record.error is None and record.warnings
    assert len(models_of(record)) == 1


def test_binary_page_is_flagged_by_the_crawler_and_quarantined_by_the_mapper(tmp_path):
    (tmp_path / "zoo").mkdir()
    (tmp_path / "zoo" / "a_binary.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00IHDR")
    (record,) = crawl(str(tmp_path / "zoo"), cache_dir=tmp_path / "cache")
    assert record.data["flags"] == ["binary"] and record.data["text"] == ""
    mapped = map_record(record, IRIS)
    assert mapped.error == "a_binary.md: binary file (contains NUL bytes), not a markdown page"
    assert mapped.triples == []


def test_ten_megabyte_page_is_not_read(tmp_path):
    (tmp_path / "zoo").mkdir()
    big = tmp_path / "zoo" / "huge_page.md"
    big.write_bytes(page(FRONT, CALL).encode() + b"x" * (10 * 1024**2))
    (record,) = crawl(str(tmp_path / "zoo"), cache_dir=tmp_path / "cache")
    assert record.data["flags"] == ["too-large"] and record.data["text"] == ""
    assert record.data["size"] == big.stat().st_size
    mapped = map_record(record, IRIS)
    assert mapped.error == (
        f"huge_page.md: page is {big.stat().st_size} bytes, over the {MAX_PAGE_BYTES}-byte limit;"
        " not read"
    )


def test_invalid_utf8_is_repaired_with_a_warning(tmp_path):
    (tmp_path / "zoo").mkdir()
    (tmp_path / "zoo" / "latin.md").write_bytes(page(FRONT, CALL).encode() + b"caf\xe9\n")
    (record,) = crawl(str(tmp_path / "zoo"), cache_dir=tmp_path / "cache")
    mapped = map_record(record, IRIS)
    assert mapped.error is None and "\ufffd" in record.data["text"]
    assert any("not valid UTF-8" in w for w in mapped.warnings)


def test_entrypoint_with_control_characters_is_skipped_with_a_warning():
    body = (
        "```python\n"
        "torch.hub.load('acme/nets', 'bad\x07name')\n"
        "torch.hub.load('acme/nets', 'esc\\x00aped')\n"
        "torch.hub.load('acme/nets', 'has space')\n"
        "torch.hub.load('acme/nets', 'good')\n"
        "```\n"
    )
    record = map_text(page(FRONT, body))
    assert models_of(record) == [model("acme/nets/good")]
    assert sum("contains control characters; skipped" in w for w in record.warnings) == 2
    assert any("'has space' is not a valid entrypoint name" in w for w in record.warnings)


def test_unusable_calls_are_warnings():
    body = (
        "```python\n"
        "torch.hub.load('./local/dir', 'n1', source='local')\n"
        "torch.hub.load('acme/nets'\n"
        "torch.hub.load('acme/nets')\n"
        "```\n"
    )
    record = map_text(page(FRONT, body))
    assert any("is not a GitHub owner/name[:ref]" in w for w in record.warnings)
    assert any("could not read the torch.hub.load(...) call" in w for w in record.warnings)
    assert any("names no entrypoint" in w for w in record.warnings)
    assert models_of(record) == [model("acme/nets/page:acme_nets_page")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"path": "x.md"}, "x.md: raw record has no page text"),
        ({"path": "x.md", "text": None}, "x.md: raw record has no page text"),
        ({"path": "x.md", "text": "no front matter, no code"}, "not a PyTorch Hub model page"),
    ],
)
def test_records_that_cannot_be_mapped_have_an_error(data, message):
    mapped = map_record(RawRecord("pytorch-hub", "x.md", data), IRIS)
    assert mapped.error is not None and message in mapped.error


def test_record_id_that_cannot_be_an_iri_still_maps_to_a_record_with_a_graph():
    mapped = map_record(RawRecord("pytorch-hub", "bad\nid.md", {"text": page(FRONT, CALL)}), IRIS)
    assert mapped.graph.value.startswith(R + "graph/pytorch-hub/invalid-id-")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    front=st.text(max_size=200),
    body=st.text(alphabet=st.sampled_from(list("|-#`'\"()=,:\n aZ9%_.*[]{}\\\x00“")), max_size=300),
)
def test_mapper_is_total_on_arbitrary_text(front, body):
    text = f"---\n{front}\n---\n```python\ntorch.hub.load('acme/nets', {body}\n```\n{body}"
    mapped = map_text(text)
    assert isinstance(mapped, MappedRecord)
    mapped.quads()  # every triple is a valid RDF term


# -- crawling ----------------------------------------------------------------------------------


def test_source_is_registered():
    source = get_source("pytorch-hub")
    assert source is SOURCE and source.hub == "pytorch-hub"
    assert source.default_location == (
        "https://codeload.github.com/pytorch/hub/tar.gz/refs/heads/master"
    )


def test_crawl_a_checkout_sorted_skipping_non_model_pages(tmp_path):
    records = list(crawl(str(SAMPLE), cache_dir=tmp_path))
    assert [r.id for r in records] == SAMPLE_PAGES  # README.md is not a model page
    first = records[0]
    assert first.source == "pytorch-hub"
    assert first.data == {
        "path": SAMPLE_PAGES[0],
        "text": (SAMPLE / SAMPLE_PAGES[0]).read_text(encoding="utf-8"),
    }
    assert first.location == str(SAMPLE / SAMPLE_PAGES[0]) and first.fetched_at.endswith("Z")


def test_crawl_honours_skip_and_limit(tmp_path):
    skipped = crawl(str(SAMPLE), cache_dir=tmp_path, skip={SAMPLE_PAGES[0]}, limit=2)
    assert [r.id for r in skipped] == SAMPLE_PAGES[1:3]
    assert list(crawl(str(SAMPLE), cache_dir=tmp_path, limit=0)) == []


def test_crawl_is_lazy_and_reports_a_missing_location(tmp_path):
    records = crawl(str(tmp_path / "missing"), cache_dir=tmp_path)  # nothing happens yet
    with pytest.raises(SourceNotFoundError):
        next(records)


def github_archive(folder: Path, top: str = "hub-master") -> bytes:
    """A .tar.gz laid out like GitHub's codeload archives, plus docs/ and README."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(folder.glob("*.md")):
            archive.add(path, arcname=f"{top}/{path.name}")
        template = b"---\ntitle: <REQUIRED>\n---\n```python\ntorch.hub.load('a/b', 'c')\n```\n"
        info = tarfile.TarInfo(f"{top}/docs/template.md")
        info.size = len(template)
        archive.addfile(info, io.BytesIO(template))
    return buffer.getvalue()


def test_crawl_a_github_archive_over_http(tmp_path):
    body = github_archive(SAMPLE)
    with LocalServer() as server:
        server.route(ARCHIVE_PATH, Reply(200, body, {"Content-Type": "application/x-gzip"}))
        url = server.url(ARCHIVE_PATH)
        records = list(crawl(url, cache_dir=tmp_path))
    assert [r.id for r in records] == SAMPLE_PAGES
    assert all(r.location == f"{url}#{r.id}" for r in records)
    for record in records:
        assert record.data["text"] == (SAMPLE / record.id).read_text(encoding="utf-8")
    mapped = [map_record(r, IRIS) for r in records]
    assert sum(len(models_of(m)) for m in mapped) == 12


def test_crawl_retries_a_503_then_succeeds(tmp_path):
    body = github_archive(SAMPLE)
    with LocalServer() as server:
        server.route(ARCHIVE_PATH, Reply(200, body, {"Content-Type": "application/x-gzip"}))
        server.fail_next(ARCHIVE_PATH, Reply(503, b"busy", {"Retry-After": "0"}))
        records = list(crawl(server.url(ARCHIVE_PATH), cache_dir=tmp_path))
        assert [r.path for r in server.requests] == [ARCHIVE_PATH, ARCHIVE_PATH]
    assert [r.id for r in records] == SAMPLE_PAGES


def test_crawl_a_local_archive_file(tmp_path):
    archive = tmp_path / "hub.tar.gz"
    archive.write_bytes(github_archive(SAMPLE))
    records = list(crawl(str(archive), cache_dir=tmp_path / "cache", limit=1))
    assert [r.id for r in records] == SAMPLE_PAGES[:1]
    assert records[0].location == f"{archive}#{SAMPLE_PAGES[0]}"


# -- the shipped sample zoo --------------------------------------------------------------------


def load_store(records: list[MappedRecord]) -> Store:
    store = Store()
    store.extend(q for record in records for q in record.quads())
    return store


def select(store: Store, query: str) -> list[dict[str, str]]:
    solutions = store.query(sparql_prologue() + query, use_default_graph_as_union=True)
    names = [v.value for v in solutions.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in solutions]


@pytest.fixture(scope="module")
def sample_records(tmp_path_factory) -> list[MappedRecord]:
    cache = tmp_path_factory.mktemp("cache")
    records = crawl(str(SAMPLE), cache_dir=cache)
    return [map_record(r, IRIS, vocabulary=fixed_vocabulary()) for r in records]


def test_sample_zoo_maps_to_twelve_models_and_fourteen_evaluations(sample_records):
    assert [r.error for r in sample_records] == [None] * 4
    store = load_store(sample_records)
    rows = select(
        store,
        "SELECT ?id ?e WHERE { ?m a mlkg:Model ; dcterms:identifier ?id . "
        "OPTIONAL { ?m mlkg:entrypoint ?e } } ORDER BY ?id",
    )
    assert [(r["id"], r.get("e")) for r in rows] == [
        ("mlkg-samples/boxnet/boxnet_large", "boxnet_large"),
        ("mlkg-samples/boxnet/boxnet_small", "boxnet_small"),
        ("mlkg-samples/depthkit/depth_transforms", "depth_transforms"),
        ("mlkg-samples/depthkit/page:mlkg-samples_depthkit_depth", None),
        ("mlkg-samples/tinyvision/tinyresnet10", "tinyresnet10"),
        ("mlkg-samples/tinyvision/tinyresnet14", "tinyresnet14"),
        ("mlkg-samples/tinyvision/tinyresnet18", "tinyresnet18"),
        ("mlkg-samples/tinyvision/tinyresnet26", "tinyresnet26"),
        ("mlkg-samples/tinyvision/tinyresnet34", "tinyresnet34"),
        ("mlkg-samples/voicekit/audio_utils", "audio_utils"),
        ("mlkg-samples/voicekit/stt_de", "stt_de"),
        ("mlkg-samples/voicekit/stt_en", "stt_en"),
    ]
    evaluations_by_model = select(
        store,
        "SELECT ?e (COUNT(?x) AS ?n) WHERE { ?x a mlkg:Evaluation ; mlkg:evaluatedModel ?m . "
        "?m mlkg:entrypoint ?e } GROUP BY ?e ORDER BY ?e",
    )
    assert {r["e"]: int(r["n"]) for r in evaluations_by_model} == {
        "boxnet_large": 2,
        "boxnet_small": 2,
        **{f"tinyresnet{d}": 2 for d in (10, 14, 18, 26, 34)},
    }


def test_sample_zoo_values_refs_and_curly_quotes(sample_records):
    store = load_store(sample_records)
    (row,) = select(
        store,
        "SELECT ?v ?raw ?ref ?ds WHERE { ?m mlkg:entrypoint 'tinyresnet18' ; mlkg:sourceRef ?ref ."
        " ?x mlkg:evaluatedModel ?m ; mlkg:metric/rdfs:label 'top-1 error' ; mlkg:value ?v ;"
        " mlkg:rawValue ?raw ; mlkg:onDataset ?ds . FILTER(?v < 0.34) }",
    )
    assert row == {
        "v": "0.3348",
        "raw": "33.48",
        "ref": "v2.1.0",
        "ds": R + "dataset/imagenet-ilsvrc-2012",
    }
    voice = select(
        store,
        "SELECT DISTINCT ?acc ?author ?title WHERE { ?m mlkg:entrypoint 'stt_de' ; "
        "mlkg:accelerator ?acc ; dcterms:publisher/rdfs:label ?author ; dcterms:title ?title }",
    )
    assert voice == [
        {
            "acc": "cuda-optional",
            "author": "Sample Audio Lab",
            "title": "VoiceKit “Lite” speech recognition",
        }
    ]
    (box,) = select(
        store,
        "SELECT ?v WHERE { ?x mlkg:evaluatedModel/mlkg:entrypoint 'boxnet_large' ;"
        " mlkg:metric/dcterms:identifier 'map-50-95' ; mlkg:value ?v }",
    )
    assert box == {"v": "0.417"}


def test_sample_zoo_trains_boxnet_on_coco(sample_records):
    store = load_store(sample_records)
    rows = select(store, "SELECT ?e ?ds WHERE { ?m mlkg:entrypoint ?e ; mlkg:trainedOn ?ds }")
    assert sorted((r["e"], r["ds"].rsplit("/", 1)[1]) for r in rows) == [
        ("boxnet_large", "coco"),
        ("boxnet_small", "coco"),
        *((f"tinyresnet{d}", "imagenet-ilsvrc-2012") for d in (10, 14, 18, 26, 34)),
    ]


def test_sample_zoo_with_the_shipped_vocabulary_links_coco_only_if_it_knows_it(tmp_path):
    coco = load_vocabulary().find("datasets", "COCO", IRIS)
    records = [map_record(r, IRIS) for r in crawl(str(SAMPLE), cache_dir=tmp_path)]
    assert [r.error for r in records] == [None] * 4
    store = load_store(records)
    trained = select(
        store, "SELECT ?ds WHERE { ?m mlkg:entrypoint 'boxnet_small' ; mlkg:trainedOn ?ds }"
    )
    assert trained == ([{"ds": coco.value}] if coco else [])
    box = select(store, "SELECT ?x WHERE { ?x mlkg:evaluatedModel/mlkg:entrypoint 'boxnet_small' }")
    assert len(box) == (2 if coco else 0)


# -- the real snapshot (../shared) ---------------------------------------------------------------

GITHUB_ID = re.compile(r"^github-id:\s*(\S+)\s*$", re.M)
# positional or keyword repository and entrypoint; [\s#]* also spans commented-out continuations
LITERAL_CALL = re.compile(
    r"""torch\.hub\.load\(\s*(?:repo_or_dir\s*=\s*)?(['"])([^'":]+)(?::[^'"]*)?\1[\s#]*,"""
    r"""[\s#]*(?:model\s*=\s*)?(['"])([^'"]+)\3"""
)
VARIABLE_CALL = re.compile(
    r"""torch\.hub\.load\(\s*(?:repo_or_dir\s*=\s*)?['"][^'"]+['"]\s*,\s*(?:model\s*=\s*)?"""
    r"""[A-Za-z_]\w*\s*[,)]"""
)
ENTRYPOINT_TABLE = re.compile(r"^\|\s*TorchHub entrypoint\s*\|.*\n\|[-:| ]+\n((?:\|.*\n)+)", re.M)
SIMPLE_TABLE = re.compile(
    r"^\|[^|\n]*\|((?:\s*Top-[15] (?:errors?|acc\.?)\s*\|)+)\s*\n\|[-:| ]+\n((?:\|.*\n?)+)",
    re.M | re.I,
)
ANY_TABLE_HEADER = re.compile(r"^\|.*\n(?=\|[-:| ]+\n)", re.M)


@pytest.fixture(scope="module")
def snapshot(shared_dir, tmp_path_factory):
    """(folder, {page name: text}, [MappedRecord], Store) for the 52 real pages."""
    folder = shared_dir / "zoo-snapshots" / "pytorch-hub"
    cache = tmp_path_factory.mktemp("cache")
    vocabulary = fixed_vocabulary()  # so the counts below do not move with datasets.ttl
    raws = crawl(str(folder), cache_dir=cache)
    records = [map_record(r, IRIS, vocabulary=vocabulary) for r in raws]
    texts = {
        p.name: p.read_text(encoding="utf-8").replace("\r\n", "\n")
        for p in sorted(folder.glob("*.md"))
        if p.name not in {"README.md", "CONTRIBUTING.md", "CODE_OF_CONDUCT.md"}
    }
    return folder, texts, records, load_store(records)


def independent_entrypoints(text: str) -> set[str]:
    names = {m.group(4) for m in LITERAL_CALL.finditer(text)}
    for table in ENTRYPOINT_TABLE.finditer(text):
        names |= set(re.findall(r"^\|\s*`([^`]+)`", table.group(1), re.M))
    return names


def repository(text: str) -> str:
    return GITHUB_ID.search(text).group(1)


def test_snapshot_every_page_maps_without_error(snapshot):
    _, texts, records, _ = snapshot
    assert len(records) == len(texts) == 52
    assert [r.record_id for r in records] == sorted(texts)
    assert [(r.record_id, r.error) for r in records if r.error] == []
    assert all(r.subject is not None for r in records)


def test_snapshot_entrypoints_per_repository(snapshot):
    _, texts, _, store = snapshot
    expected: dict[str, set[str]] = defaultdict(set)
    for text in texts.values():
        expected[repository(text)] |= independent_entrypoints(text)
    rows = select(
        store,
        "SELECT ?id ?e WHERE { ?m a mlkg:Model ; dcterms:identifier ?id ; mlkg:entrypoint ?e }",
    )
    found: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        assert row["id"].endswith("/" + row["e"])
        found[row["id"][: -len(row["e"]) - 1]].add(row["e"])
    assert dict(found) == {repo: names for repo, names in expected.items() if names}
    assert sum(len(v) for v in found.values()) >= 100


def test_snapshot_pages_per_repository_and_unknown_entrypoints(snapshot):
    _, texts, _, store = snapshot
    expected_pages = Counter(repository(text) for text in texts.values())
    rows = select(
        store,
        "SELECT DISTINCT ?g ?id WHERE { GRAPH ?g { ?m a mlkg:Model ; dcterms:identifier ?id } }",
    )
    graphs_by_repo: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        graphs_by_repo["/".join(row["id"].split("/")[:2])].add(row["g"])
    assert {repo: len(g) for repo, g in graphs_by_repo.items()} == dict(expected_pages)

    variable_pages = {name[:-3] for name, text in texts.items() if VARIABLE_CALL.search(text)}
    unknown = select(
        store,
        "SELECT ?id WHERE { ?m a mlkg:Model ; dcterms:identifier ?id "
        "FILTER NOT EXISTS { ?m mlkg:entrypoint ?e } }",
    )
    assert {r["id"].rsplit("/page:", 1)[1] for r in unknown} == variable_pages
    assert len(variable_pages) == 4  # x3d, MiDaS, once-for-all, ProxylessNAS


def test_snapshot_evaluations_of_simple_top_k_tables(snapshot):
    """Pages whose only tables are "name | Top-1 ... | Top-5 ..." are counted row by row.

    A table counts when the prose of its section (from the last heading, code left out) names
    ImageNet: the only dataset of the test vocabulary these pages name.
    """
    _, texts, records, store = snapshot
    graph_to_page = {r.graph.value: r.record_id for r in records}
    rows = select(
        store,
        "SELECT ?g ?e ?raw WHERE { GRAPH ?g { ?x a mlkg:Evaluation ; "
        "mlkg:rawValue ?raw ; mlkg:evaluatedModel/mlkg:entrypoint ?e } }",
    )
    found: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        found[graph_to_page[row["g"]]][(row["e"], row["raw"])] += 1
    checked = 0
    for name, text in texts.items():
        tables = list(SIMPLE_TABLE.finditer(text))
        if not tables or len(tables) != len(ANY_TABLE_HEADER.findall(text)):
            continue
        entrypoints = independent_entrypoints(text)
        expected: Counter = Counter()
        for table in tables:
            before = text[: table.start()]
            section = before[max(before.rfind("\n#"), 0) :]
            if not re.search(r"\bImageNet\b", re.sub(r"```.*?```", "", section, flags=re.S)):
                continue
            body = [r for r in table.group(2).splitlines() if r.strip()]
            for line in body:
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                if cells[0].lower() in {e.lower() for e in entrypoints}:
                    entry = next(e for e in entrypoints if e.lower() == cells[0].lower())
                elif len(body) == 1 and len(entrypoints) == 1:  # one row, one entrypoint
                    (entry,) = entrypoints
                else:
                    continue
                expected.update((entry, value) for value in cells[1:] if value)
        assert found.get(name, Counter()) == expected, name
        checked += 1
    assert checked >= 10


def test_snapshot_values_are_fractions_and_match_their_raw_text(snapshot):
    _, _, _, store = snapshot
    rows = select(
        store,
        "SELECT ?v ?raw ?pct WHERE { ?x a mlkg:Evaluation ; mlkg:value ?v ; "
        "mlkg:rawValue ?raw OPTIONAL { ?x mlkg:percentNormalised ?pct } }",
    )
    assert len(rows) >= 90  # 96 with the fixed vocabulary (ImageNet and COCO tables)
    for row in rows:
        value, raw_number = float(row["v"]), float(row["raw"].rstrip("%"))
        assert 0 <= value <= 1
        expected = raw_number / 100 if row.get("pct") == "true" else raw_number
        assert value == pytest.approx(expected)
    (resnet18,) = select(
        store,
        f"SELECT ?v WHERE {{ ?x mlkg:evaluatedModel <{model('pytorch/vision/resnet18').value}> ;"
        f" mlkg:metric <{R}metric/top-1-error> ; mlkg:value ?v }}",
    )
    assert resnet18 == {"v": "0.3024"}
