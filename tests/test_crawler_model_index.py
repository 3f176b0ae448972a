"""The timm (model-index) crawler and mapper: rules on tiny pages and table rows, bad input, an
archive over HTTP, the shipped sample and the real snapshot.

The snapshot tests build ../shared's timm files through the pipeline into a real store and compare
its answers with a yaml/csv parse written here, not with the module's helpers.
"""

from __future__ import annotations

import csv
import doctest
import io
import json
import re
import tarfile
from collections import Counter, defaultdict

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyoxigraph import Literal, NamedNode

import crawlers._model_index_map
import crawlers._timm_tags
from crawlers import get_source
from crawlers.model_index import crawl, map_record
from mlkg.iris import Iris
from mlkg.namespaces import DCTERMS, MLKG, PROV, XSD
from mlkg.records import RawRecord
from mlkg.sample_zoo import SAMPLE_DIR
from mlkg.store import open_store
from tests._zoo_builds import built, memory_store, select
from tests.httpserver import LocalServer, Reply

IRIS = Iris()
R = IRIS.base
SAMPLE = SAMPLE_DIR / "timm"
IMAGENET = NamedNode(R + "dataset/imagenet-ilsvrc-2012")
IN21K = NamedNode(R + "dataset/imagenet-21k")
VALIDATION = NamedNode(R + "dataset/imagenet-ilsvrc-2012/split/validation")

PAGE = """# Sample

**Sample** networks.

<!--
Type: model-index
Collections:
- Name: Sample
  Paper:
    Title: A paper
    URL: https://example.org/paper
Models:
- Name: sample_a
  In Collection: Sample
  Metadata:
    Parameters: 1000
    FLOPs: 2000
    Training Data:
    - ImageNet
    Training Techniques:
    - Mixup
    LR: 0.1
    Batch Size: 64
    Tasks:
    - Image Classification
  Weights: https://example.org/a.pth
  Results:
  - Task: Image Classification
    Dataset: ImageNet
    Metrics:
      Top 1 Accuracy: 79.04%
      Top 5 Accuracy: 94.39%
-->
"""


def page(text: str = PAGE, **data) -> RawRecord:
    return RawRecord("timm", "models/sample.mdx", {"path": "x/sample.mdx", "text": text, **data})


def results(model: str, **tables) -> RawRecord:
    return RawRecord("timm", f"results/{model}", {"model": model, "results": tables})


def values(mapped, subject, predicate) -> set:
    return {t.object for t in mapped.triples if t.subject == subject and t.predicate == predicate}


def evaluations(mapped) -> dict[tuple[str, str], float]:
    rows = select(
        memory_store([mapped]),
        "SELECT ?metric ?on ?v WHERE { ?e mlkg:metric ?metric ; mlkg:onDataset ?on ; "
        "mlkg:value ?v }",
    )
    return {(r["metric"].removeprefix(R), r["on"].removeprefix(R)): float(r["v"]) for r in rows}


# -- mapper rules ------------------------------------------------------------------------------


def test_source_is_registered_and_doctests_pass():
    assert get_source("timm").map_record is map_record
    for module in (crawlers._timm_tags, crawlers._model_index_map):
        assert doctest.testmod(module).failed == 0, module.__name__


def test_page_collection_model_training_and_percent_results():
    mapped = map_record(page(metadata={"sample_a": {"pretrain": "in21k"}}), IRIS)
    assert mapped.error is None and mapped.warnings == []
    model = NamedNode(R + "model/timm/sample_a")
    collection = NamedNode(R + "collection/timm/sample")
    assert mapped.subject == model
    assert values(mapped, model, MLKG.inCollection) == {collection}
    assert values(mapped, collection, DCTERMS.references) == {
        NamedNode("https://example.org/paper")
    }
    assert values(mapped, model, MLKG.parameterCount) == {Literal("1000", datatype=XSD.integer)}
    assert values(mapped, model, MLKG.trainedOn) == {IMAGENET, IN21K}
    assert Literal("training-technique:Mixup") in values(mapped, model, MLKG.tag)
    assert evaluations(mapped) == {
        ("metric/top-1-accuracy", "dataset/imagenet-ilsvrc-2012"): 0.7904,
        ("metric/top-5-accuracy", "dataset/imagenet-ilsvrc-2012"): 0.9439,
    }
    raw = {t.object.value for t in mapped.triples if t.predicate == MLKG.rawValue}
    assert {"79.04%", "94.39%"} <= raw
    settings_ = select(
        memory_store([mapped]),
        "SELECT ?name ?v WHERE { ?s mlkg:hyperParameter/rdfs:label ?name ; mlkg:value ?v }",
    )
    assert {(r["name"], r["v"]) for r in settings_} == {
        ("learning_rate", "0.1"),
        ("train_batch_size", "64"),
    }


def test_result_rows_are_percent_evaluations_with_tag_lineage():
    row = {"img_size": "224", "top1": "76.130", "top1_err": "23.870", "top5": "92.862",
           "param_count": "25.56", "crop_pct": "0.875"}  # fmt: skip
    a_row = {**row, "top1": "0.500", "top5": "5.000"}
    mapped = map_record(
        results("resnet50.augreg_in21k_ft_in1k", imagenet=[row], **{"imagenet-a": [a_row]}), IRIS
    )
    assert mapped.error is None
    model = NamedNode(R + "model/timm/resnet50.augreg_in21k_ft_in1k")
    assert values(mapped, model, MLKG.trainedOn) == {IMAGENET, IN21K}
    assert values(mapped, model, MLKG.parameterCount) == {Literal("25560000", datatype=XSD.integer)}
    assert values(mapped, model, MLKG.modelName) == {Literal("resnet50")}
    run = NamedNode(model.value + "/training")
    assert values(mapped, run, PROV.used) == {IMAGENET, IN21K}
    assert evaluations(mapped) == {
        ("metric/top-1-accuracy", "dataset/imagenet-ilsvrc-2012/split/validation"): 0.7613,
        ("metric/top-5-accuracy", "dataset/imagenet-ilsvrc-2012/split/validation"): 0.92862,
        ("metric/top-1-accuracy", "dataset/imagenet-a"): 0.005,
        ("metric/top-5-accuracy", "dataset/imagenet-a"): 0.05,
    }
    assert values(mapped, VALIDATION, DCTERMS.isPartOf) == {IMAGENET}


def test_the_two_clean_tables_are_their_own_datasets():
    row = {"img_size": "224", "top1": "90.0"}
    tables = {"imagenet-a-clean": [row], "imagenet-r-clean": [row], "sketch": [row]}
    on = {key[1] for key in evaluations(map_record(results("m.tv_in1k", **tables), IRIS))}
    assert on == {"dataset/imagenet-a-clean", "dataset/imagenet-r-clean", "dataset/imagenet-sketch"}


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# A page\n\nno model-index here", "no '<!-- Type: model-index"),
        ("<!--\nType: model-index\nModels: [\n  - Name: a\n-->", "does not parse at page line"),
        ("<!--\nType: model-index\n-->", "no list of Models"),
        ("<!--\nType: model-index\nModels: {Name: a}\n-->", "no list of Models"),
        ("<!--\nType: model-index\nModels:\n- 42\n- Name: ''\n-->", "no usable model"),
        ("<!-- Type: model-index -->", "no list of Models"),
    ],
)
def test_unusable_pages_have_a_clear_error(text, message):
    mapped = map_record(page(text), IRIS)
    assert mapped.error is not None and message in mapped.error, mapped.error
    assert mapped.triples == []


def test_yaml_alias_bomb_stays_bounded():
    bomb = "".join(
        f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['x'] * 9)}]\n"
        for name, prev in (("a", None), ("b", "a"), ("c", "b"), ("d", "c"), ("e", "d"))
    )
    text = (
        "<!--\nType: model-index\n" + bomb + "Models:\n- Name: m\n  Results: *e\n"
        "  Metadata:\n    Training Data: *e\n-->"
    )
    mapped = map_record(page(text), IRIS)
    assert mapped.error is None and len(mapped.warnings) <= 202


def test_binary_or_missing_text_is_an_error():
    assert "binary" in map_record(page(None, binary=True), IRIS).error
    assert "not a timm record id" in map_record(RawRecord("timm", "x/y", {}), IRIS).error
    assert "needs 'model'" in map_record(RawRecord("timm", "results/y", {"model": 3}), IRIS).error


@pytest.mark.parametrize(
    ("value", "warning", "kept"),
    [
        ("abc%", "'abc%' is not a number", None),
        ("79.04", "has no % sign but is over 1", 0.7904),
        ("150%", "is outside 0-100%", None),
        ([1, 2], "is not a number", None),
        (True, "is not a number", None),
        (0.5, None, 0.5),
    ],
)
def test_odd_percent_strings_and_types(value, warning, kept):
    text = PAGE.replace("Top 1 Accuracy: 79.04%", f"Top 1 Accuracy: {json.dumps(value)}")
    mapped = map_record(page(text), IRIS)
    assert mapped.error is None
    found = [w for w in mapped.warnings if "Top 1 Accuracy" in w]
    if warning is None:
        assert found == []
    else:
        assert len(found) == 1 and warning in found[0], found
    top1 = evaluations(mapped).get(("metric/top-1-accuracy", "dataset/imagenet-ilsvrc-2012"))
    assert top1 == kept


def test_wrong_metadata_types_are_warnings():
    text = PAGE.replace("Parameters: 1000", "Parameters: many").replace(
        "  Results:\n", "  Results: {}\n  Extra:\n"
    )
    text = text.replace("    Training Data:\n    - ImageNet", "    Training Data:\n    - [x]")
    mapped = map_record(page(text), IRIS)
    assert mapped.error is None
    joined = " | ".join(mapped.warnings)
    assert "Parameters 'many' is not a positive count" in joined
    assert "Training Data: 1 value(s) that are not text" in joined
    assert "Results is a dict" in joined


def test_result_rows_with_bad_numbers_are_warnings():
    row = {"img_size": "224", "top1": "n/a", "top5": "101", "param_count": "?"}
    mapped = map_record(results("m.a1_in1k", imagenet=[row, "junk"]), IRIS)
    assert mapped.error is None
    assert evaluations(mapped) == {}
    assert len(mapped.warnings) == 2


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.one_of(
        st.text(max_size=400),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=20),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
            max_leaves=20,
        ).map(lambda v: yaml.safe_dump({"Type": "model-index", "Models": [v]})),
    )
)
def test_mapper_is_total(body):
    mapped = map_record(page(f"<!--\n{body}\n-->"), IRIS)
    assert mapped.error is not None or mapped.subject is not None


# -- crawling ----------------------------------------------------------------------------------


def test_crawl_the_sample_pages_tables_and_leftover_metadata(tmp_path):
    records = list(crawl(str(SAMPLE), cache_dir=tmp_path))
    assert [r.id for r in records] == [
        "models/tinynet.mdx",
        "results/tinynet_m.in22k_ft_in1k",
        "results/tinynet_s.a1_in1k",
        "results/tinynet_s.tv_in1k",
        "metadata/tinynet_legacy",
    ]
    assert records[0].data["metadata"] == {
        "tinynet_s": {"model": "tinynet_s", "pretrain": "in1k", "table": "model_metadata-in1k"}
    }
    assert len(records[1].data["results"]["imagenet"]) == 2
    resumed = crawl(str(SAMPLE), cache_dir=tmp_path, skip={"models/tinynet.mdx"}, limit=1)
    assert [r.id for r in resumed] == ["results/tinynet_m.in22k_ft_in1k"]


def test_crawl_an_archive_over_http(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.add(SAMPLE, arcname="pytorch-image-models-main")
    with LocalServer() as server:
        server.route("/timm.tar.gz", Reply(200, buffer.getvalue(), {"Content-Type": "x-gzip"}))
        records = list(crawl(server.url("/timm.tar.gz"), cache_dir=tmp_path))
    assert len(records) == 5
    assert records[0].location == server.url("/timm.tar.gz") + "#hfdocs/source/models/tinynet.mdx"


def test_sample_builds_with_every_record_accepted():
    settings_, (report,) = built((("timm", str(SAMPLE)),))
    assert (report.crawled, report.accepted, report.quarantined) == (5, 5, 0)
    with open_store(settings_.data_dir, base_iri=settings_.base_iri, read_only=True) as store:
        rows = select(
            store,
            """SELECT DISTINCT ?id WHERE { ?m mlkg:trainedOn
            <https://w3id.org/mlkg/resource/dataset/imagenet-21k> ; dcterms:identifier ?id }""",
        )
    assert {r["id"] for r in rows} == {"tinynet_m", "tinynet_m.in22k_ft_in1k", "tinynet_legacy"}


# -- the real snapshot -------------------------------------------------------------------------

COMMENT = re.compile(r"<!--\s*(Type: model-index.*?)-->", re.S)
#: The test's own reading of the training-data names the pages use.
TRAINING_DATA = {
    "ImageNet": "imagenet-ilsvrc-2012",
    "JFT-300M": "jft-300m",
    "IG-1B-Targeted": "instagram-1b-targeted",
    "IG-3.5B-17k": "instagram-3-5b",
    "YFCC-100M": "yfcc100m",
}
PRETRAIN = {
    "in1k": "imagenet-ilsvrc-2012",
    "in21k": "imagenet-21k",
    "ig1b": "instagram-1b-targeted",
    "jft300m": "jft-300m",
    "yfc": "yfcc100m",
}
VARIANT_NODES = {
    "imagenet": "dataset/imagenet-ilsvrc-2012/split/validation",
    "imagenet-real": "dataset/imagenet-real",
    "imagenetv2-matched-frequency": "dataset/imagenetv2",
    "sketch": "dataset/imagenet-sketch",
    "imagenet-a": "dataset/imagenet-a",
    "imagenet-a-clean": "dataset/imagenet-a-clean",
    "imagenet-r": "dataset/imagenet-r",
    "imagenet-r-clean": "dataset/imagenet-r-clean",
}


@pytest.fixture(scope="module")
def snapshot(shared_dir):
    """The timm snapshot (and PyTorch Hub, which test_identity uses too) in one real store."""
    zoo = shared_dir / "zoo-snapshots"
    settings_, reports = built(
        (("timm", str(zoo / "timm")), ("pytorch-hub", str(zoo / "pytorch-hub")))
    )
    return zoo / "timm", settings_, reports[0]


def pages(root) -> dict[str, dict]:
    found = {}
    for path in sorted((root / "hfdocs" / "source" / "models").glob("*.mdx")):
        found[path.name] = yaml.safe_load(COMMENT.search(path.read_text(encoding="utf-8"))[1])
    return found


def test_snapshot_every_record_is_accepted(snapshot):
    root, _settings, report = snapshot
    names = set()
    for path in (root / "results").glob("results-*.csv"):
        names |= {row["model"] for row in csv.DictReader(path.open(encoding="utf-8"))}
    index_names = {m["Name"] for index in pages(root).values() for m in index["Models"]}
    metadata = {row["model"] for row in csv.DictReader((root / "results" /
                "model_metadata-in1k.csv").open(encoding="utf-8"))}  # fmt: skip
    expected = len(pages(root)) + len(names) + len(metadata - names - index_names)
    assert report.crawled == expected == 63 + 1267 + 262
    assert (report.accepted, report.quarantined) == (expected, 0)


def test_snapshot_model_index_models_per_training_dataset(snapshot):
    root, settings_, _report = snapshot
    pretrain = {
        row["model"]: PRETRAIN.get(row["pretrain"].split("-")[0])
        for row in csv.DictReader((root / "results" / "model_metadata-in1k.csv").open())
    }
    expected: dict[str, set[str]] = defaultdict(set)
    for index in pages(root).values():
        for model in index["Models"]:
            names = [TRAINING_DATA[n] for n in model["Metadata"].get("Training Data") or []]
            for dataset in [*names, pretrain.get(model["Name"])]:
                if dataset:
                    expected[R + "dataset/" + dataset].add(model["Name"])
    with open_store(settings_.data_dir, base_iri=settings_.base_iri, read_only=True) as store:
        rows = select(
            store,
            """SELECT ?d (COUNT(DISTINCT ?m) AS ?n) WHERE {
            ?g mlkg:recordSource "timm" ; mlkg:recordId ?record ; foaf:topic ?m .
            FILTER(STRSTARTS(?record, "models/")) ?m a mlkg:Model ; mlkg:trainedOn ?d }
            GROUP BY ?d""",
        )
    assert {r["d"]: int(r["n"]) for r in rows} == {d: len(m) for d, m in expected.items()}
    assert len(expected[R + "dataset/jft-300m"]) == 16


def test_snapshot_best_top1_per_imagenet_variant(snapshot):
    root, settings_, _report = snapshot
    best: dict[str, tuple[float, set[str]]] = {}
    for path in sorted((root / "results").glob("results-*.csv")):
        rows = list(csv.DictReader(path.open(encoding="utf-8")))
        top = max(float(row["top1"]) for row in rows)
        winners = {row["model"] for row in rows if float(row["top1"]) == top}
        best[VARIANT_NODES[path.stem.removeprefix("results-")]] = (round(top / 100, 10), winners)
    with open_store(settings_.data_dir, base_iri=settings_.base_iri, read_only=True) as store:
        rows = select(
            store,
            """SELECT ?on ?best ?id WHERE {
            { SELECT ?on (MAX(?v) AS ?best) WHERE {
                ?g mlkg:recordSource "timm" ; mlkg:recordId ?record ; foaf:topic ?m .
                FILTER(STRSTARTS(?record, "results/"))
                ?e mlkg:evaluatedModel ?m ; mlkg:onDataset ?on ; mlkg:value ?v ;
                   mlkg:metric <https://w3id.org/mlkg/resource/metric/top-1-accuracy> }
              GROUP BY ?on }
            ?e2 mlkg:onDataset ?on ; mlkg:value ?best ; mlkg:evaluatedModel/dcterms:identifier ?id ;
                mlkg:metric <https://w3id.org/mlkg/resource/metric/top-1-accuracy> }""",
        )
    found: dict[str, tuple[float, set[str]]] = {}
    for row in rows:
        found.setdefault(row["on"].removeprefix(R), (float(row["best"]), set()))[1].add(row["id"])
    assert found == best
    assert found["dataset/imagenet-ilsvrc-2012/split/validation"][1] == {
        "eva02_large_patch14_448.mim_m38m_ft_in22k_in1k"
    }


def test_snapshot_page_results_are_percent_normalised(snapshot):
    root, settings_, _report = snapshot
    written = Counter()
    for index in pages(root).values():
        for model in index["Models"]:
            for result in model.get("Results") or []:
                written.update(str(v).endswith("%") for v in result["Metrics"].values())
    with open_store(settings_.data_dir, base_iri=settings_.base_iri, read_only=True) as store:
        rows = select(
            store,
            """SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {
            ?g mlkg:recordSource "timm" ; mlkg:recordId ?record ; foaf:topic ?m .
            FILTER(STRSTARTS(?record, "models/"))
            ?e mlkg:evaluatedModel ?m ; mlkg:percentNormalised true ; mlkg:value ?v
            FILTER(?v >= 0 && ?v <= 1) }""",
        )
    assert int(rows[0]["n"]) == written[True] > 500 and written[False] == 0


def test_snapshot_tag_lineage_for_fine_tuned_weights(snapshot):
    root, settings_, _report = snapshot
    rows = list(csv.DictReader((root / "results" / "results-imagenet.csv").open(encoding="utf-8")))
    tuned = {r["model"] for r in rows if re.search(r"\.(?:.*_)?in22k_ft_in1k$", r["model"])}
    with open_store(settings_.data_dir, base_iri=settings_.base_iri, read_only=True) as store:
        found = select(
            store,
            """SELECT DISTINCT ?id WHERE { ?m dcterms:identifier ?id ;
            mlkg:trainedOn <https://w3id.org/mlkg/resource/dataset/imagenet-21k>,
                           <https://w3id.org/mlkg/resource/dataset/imagenet-ilsvrc-2012> .
            FILTER(REGEX(?id, "in22k_ft_in1k$")) }""",
        )
    assert {r["id"] for r in found} == tuned and len(tuned) == 50


def test_page_with_windows_line_ends_still_maps():
    text = PAGE.replace("\n", "\r\n")
    assert map_record(page(text), IRIS).error is None
