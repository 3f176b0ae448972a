"""The TF Hub crawler: mapping rules on tiny inline pages, bad input, the sample zoo, a real HTTP
crawl of a GitHub-style archive, and the full 2024 and 2021 catalogues compared through the graph
with an independent parse written here (regexes over the files, not the crawler's functions)."""

from __future__ import annotations

import html
import io
import logging
import re
import tarfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyoxigraph import Literal, NamedNode, RdfFormat, Store

from crawlers import get_source
from crawlers.tfhub import MAX_DOCUMENT_BYTES, SOURCE, crawl, map_record
from mlkg.errors import SourceNotFoundError
from mlkg.iris import Iris
from mlkg.links import revision_links
from mlkg.namespaces import (
    DCTERMS,
    MLKG,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
    SPDX,
    XSD,
    sparql_prologue,
)
from mlkg.records import MappedRecord, RawRecord
from mlkg.resources import data_dir
from mlkg.sample_zoo import SAMPLE_DIR
from mlkg.vocabulary import load_vocabulary
from tests.httpserver import LocalServer, Reply, Request

IRIS = Iris()
SAMPLE = SAMPLE_DIR / "tfhub"
ARCHIVE_PATH = "/tensorflow/tfhub.dev/tar.gz/refs/heads/master"
TRUE = Literal("true", datatype=XSD.boolean)


# -- helpers ---------------------------------------------------------------------------------


def map_page(page: str, record_id: str = "test/page.md", **flags) -> MappedRecord:
    data = {"path": f"assets/docs/{record_id}", "text": page, **flags}
    return map_record(RawRecord("tfhub", record_id, data), IRIS)


def res(path: str) -> NamedNode:
    return NamedNode(IRIS.base + path)


def objects(record: MappedRecord, subject: NamedNode, predicate: NamedNode) -> set:
    return {t.object for t in record.triples if t.subject == subject and t.predicate == predicate}


def values(record: MappedRecord, subject: NamedNode, predicate: NamedNode) -> set[str]:
    return {term.value for term in objects(record, subject, predicate)}


def integer(value: int) -> Literal:
    return Literal(str(value), datatype=XSD.integer)


def expected_concept(scheme: str, written: str, minted: NamedNode) -> NamedNode:
    """What the vocabulary says, or the minted IRI: holds before and after vocab/*.ttl grows."""
    return load_vocabulary().find(scheme, written, IRIS) or minted


def assert_stub(record: MappedRecord, node: NamedNode, kind: NamedNode, identifier: str) -> None:
    assert objects(record, node, RDF.type) == {kind}
    assert values(record, node, DCTERMS.identifier) == {identifier}
    assert values(record, node, RDFS.label) == {identifier}
    assert objects(record, node, MLKG.hub) == {res("hub/tfhub")}


MODULE = """# Module google/imagenet/pinenet/classification/3
ImageNet classification with PineNet.

<!-- asset-path: https://storage.googleapis.com/bucket/pinenet/3.tar.gz -->
<!-- task: image-classification -->
<!-- dataset: imagenet-ilsvrc-2012-cls -->
<!-- dataset: aurora-private-set -->
<!-- network-architecture: pinenet-x -->
<!--   language :   en   -->
<!-- language: de -->
<!-- fine-tunable: true -->
<!-- format: saved_model_2 -->
<!-- license: mit -->

## Overview

A longer overview that is not the description.
"""
MODEL = res("model/tfhub/google/imagenet/pinenet/classification/3")


# -- mapping rules ---------------------------------------------------------------------------


def test_module_identity_url_and_publisher():
    record = map_page(MODULE)
    assert record.error is None and record.warnings == []
    assert record.subject == MODEL
    assert objects(record, MODEL, RDF.type) == {MLKG.Model}
    assert values(record, MODEL, DCTERMS.identifier) == {"google/imagenet/pinenet/classification/3"}
    assert values(record, MODEL, RDFS.label) == {"google/imagenet/pinenet/classification/3"}
    assert values(record, MODEL, MLKG.entryType) == {"Module"}
    assert objects(record, MODEL, MLKG.hub) == {res("hub/tfhub")}
    assert objects(record, MODEL, SCHEMA.url) == {
        NamedNode("https://tfhub.dev/google/imagenet/pinenet/classification/3")
    }
    assert values(record, MODEL, DCTERMS.description) == {"ImageNet classification with PineNet."}
    publisher = res("publisher/tfhub/google")
    assert objects(record, MODEL, DCTERMS.publisher) == {publisher}
    assert_stub(record, publisher, MLKG.Publisher, "google")


def test_zoo_urls_are_objects_never_subjects():
    record = map_page(MODULE)
    assert not [t for t in record.triples if t.subject.value.startswith("https://tfhub.dev")]


def test_version_is_the_last_segment_and_the_rest_names_the_model():
    record = map_page(MODULE)
    assert objects(record, MODEL, MLKG.version) == {integer(3)}
    assert values(record, MODEL, MLKG.modelName) == {"google/imagenet/pinenet/classification"}
    # which earlier versions exist only the whole catalogue knows: links are derived after load
    assert objects(record, MODEL, MLKG.revisionOf) == set()


def test_first_version_has_a_version_and_a_name():
    record = map_page("# Module acme/tiny/1\nA tiny model.\n<!-- format: saved_model_2 -->")
    model = res("model/tfhub/acme/tiny/1")
    assert objects(record, model, MLKG.version) == {integer(1)}
    assert values(record, model, MLKG.modelName) == {"acme/tiny"}


def test_deployment_facts():
    record = map_page(MODULE)
    assert values(record, MODEL, MLKG["format"]) == {"saved_model_2"}
    assert objects(record, MODEL, MLKG.fineTunable) == {TRUE}
    assert objects(record, MODEL, SCHEMA.downloadUrl) == {
        NamedNode("https://storage.googleapis.com/bucket/pinenet/3.tar.gz")
    }


@pytest.mark.parametrize(
    ("asset", "expected", "warned"),
    [
        ("legacy", set(), False),
        ("internal", set(), False),
        (
            "gs://tfhub-modules/a/b.tar.gz",
            {"https://storage.googleapis.com/tfhub-modules/a/b.tar.gz"},
            False,
        ),
        ("@visionkit/aiy/classifier/birds_V1/1", set(), True),
    ],
)
def test_asset_path(asset, expected, warned):
    record = map_page(f"# Module acme/m/1\n<!-- asset-path: {asset} -->\n<!-- format: hub -->")
    model = res("model/tfhub/acme/m/1")
    assert values(record, model, SCHEMA.downloadUrl) == expected
    assert any("asset-path" in w for w in record.warnings) == warned


def test_repeated_metadata_all_kept_and_keys_values_stripped():
    record = map_page(MODULE)
    assert values(record, MODEL, MLKG.language) == {"en", "de"}
    datasets = objects(record, MODEL, MLKG.trainedOn)
    assert len(datasets) == 2


def test_task_dataset_architecture_normalised_or_minted():
    record = map_page(MODULE)
    task = expected_concept("tasks", "image-classification", res("task/image-classification"))
    assert objects(record, MODEL, MLKG.task) == {task}
    imagenet = load_vocabulary().find("datasets", "imagenet-ilsvrc-2012-cls", IRIS)
    assert imagenet == res("dataset/imagenet-ilsvrc-2012")  # in ontology/vocab/datasets.ttl
    private = res("dataset/tfhub/aurora-private-set")
    assert objects(record, MODEL, MLKG.trainedOn) == {imagenet, private}
    # an unknown id is minted, with a stub that keeps the raw id; no warning for it
    assert objects(record, private, RDF.type) == {MLKG.Dataset}
    assert values(record, private, RDFS.label) == {"aurora-private-set"}
    assert values(record, private, SKOS.notation) == {"aurora-private-set"}
    assert objects(record, private, MLKG.hub) == {res("hub/tfhub")}
    architecture = expected_concept("architectures", "pinenet-x", res("architecture/pinenet-x"))
    assert objects(record, MODEL, MLKG.architecture) == {architecture}
    assert objects(record, imagenet, RDF.type) == set()  # vocabulary concepts need no stub


def test_training_run_used_the_datasets():
    record = map_page(MODULE)
    run = res("model/tfhub/google/imagenet/pinenet/classification/3/training")
    assert objects(record, MODEL, PROV.wasGeneratedBy) == {run}
    assert objects(record, run, RDF.type) == {MLKG.TrainingRun}
    assert objects(record, run, PROV.used) == objects(record, MODEL, MLKG.trainedOn)
    assert record.topics == [MODEL, run]


def test_no_datasets_no_training_run():
    record = map_page("# Module acme/m/1\n<!-- task: text-embedding -->\n<!-- format: hub -->")
    model = res("model/tfhub/acme/m/1")
    assert objects(record, model, PROV.wasGeneratedBy) == set()
    assert record.topics == [model]


def test_raw_ids_are_kept_as_tags():
    record = map_page(MODULE)
    assert values(record, MODEL, MLKG.tag) == {
        "task:image-classification",
        "dataset:imagenet-ilsvrc-2012-cls",
        "dataset:aurora-private-set",
        "network-architecture:pinenet-x",
        "language:en",
        "language:de",
    }


def test_unspecified_dataset_and_architecture_are_tags_not_links():
    page = "# Module acme/m/1\n<!-- dataset: other -->\n<!-- dataset: multiple -->\n"
    page += "<!-- network-architecture: Other -->\n<!-- format: hub -->"
    record = map_page(page)
    model = res("model/tfhub/acme/m/1")
    assert objects(record, model, MLKG.trainedOn) == set()
    assert objects(record, model, MLKG.architecture) == set()
    assert values(record, model, MLKG.tag) == {
        "dataset:other",
        "dataset:multiple",
        "network-architecture:Other",
    }


def test_legacy_2021_format():
    page = """# Module svampeatlas/vision/embedder/fungi_V2/1
Image embedding model.

<!-- module-type: image-feature-vector -->
<!-- network-architecture: DeepLab (mobilenetv2_coco_voc_trainval) -->
<!-- dataset: medline/pubmed -->
<!-- dataset: squad-2.0 -->
<!-- fine-tunable: false  -->
<!-- format: hub -->
<!-- interactive-model-name: mushroom_recognizer_v2 -->
<!-- license: CC-BY-NC-4.0 -->
"""
    record = map_page(page)
    model = res("model/tfhub/svampeatlas/vision/embedder/fungi_V2/1")
    assert record.error is None and record.warnings == []
    task = expected_concept("tasks", "image-feature-vector", res("task/image-feature-vector"))
    assert objects(record, model, MLKG.task) == {task}
    # free-form 2021 ids land on the same IRIs as their 2024 renames
    renamed = "deeplab-mobilenetv2-coco-voc-trainval"
    assert objects(record, model, MLKG.architecture) == {
        expected_concept("architectures", renamed, res(f"architecture/{renamed}"))
    }
    assert objects(record, model, MLKG.trainedOn) == {
        expected_concept("datasets", "medline-pubmed", res("dataset/tfhub/medline-pubmed")),
        expected_concept("datasets", "squad-2-0", res("dataset/tfhub/squad-2-0")),
    }
    assert objects(record, model, MLKG.fineTunable) == {Literal("false", datatype=XSD.boolean)}
    assert objects(record, model, DCTERMS.license) == {SPDX["CC-BY-NC-4.0"]}
    assert "interactive-model-name:mushroom_recognizer_v2" in values(record, model, MLKG.tag)
    assert "module-type:image-feature-vector" in values(record, model, MLKG.tag)


@pytest.mark.parametrize(
    ("written", "expected"),
    [("en", "en"), ("zh-cn", "zh-CN"), ("zh-tw", "zh-TW"), ("multilingual", "mul")],
)
def test_languages_become_bcp47(written, expected):
    record = map_page(f"# Module acme/m/1\n<!-- language: {written} -->\n<!-- format: hub -->")
    assert values(record, res("model/tfhub/acme/m/1"), MLKG.language) == {expected}


def test_invalid_language_is_a_warning_and_a_tag():
    record = map_page("# Module acme/m/1\n<!-- language: English (US) -->\n<!-- format: hub -->")
    model = res("model/tfhub/acme/m/1")
    assert values(record, model, MLKG.language) == set()
    assert values(record, model, MLKG.tag) == {"language:English (US)"}
    assert any("not a BCP 47 code" in w for w in record.warnings)


def test_missing_licence_is_apache_by_default_and_marked_defaulted():
    record = map_page("# Module acme/m/1\nNo licence line.\n<!-- format: hub -->")
    model = res("model/tfhub/acme/m/1")
    apache = load_vocabulary().find("licenses", "Apache-2.0", IRIS) or SPDX["Apache-2.0"]
    assert objects(record, model, DCTERMS.license) == {apache}
    assert objects(record, model, MLKG.licenseDefaulted) == {TRUE}
    assert objects(record, model, MLKG.licenseName) == set()


def test_declared_licence_is_not_defaulted():
    record = map_page(MODULE)
    mit = load_vocabulary().find("licenses", "mit", IRIS) or SPDX["MIT"]
    assert objects(record, MODEL, DCTERMS.license) == {mit}
    assert values(record, MODEL, MLKG.licenseName) == {"mit"}
    assert objects(record, MODEL, MLKG.licenseDefaulted) == set()


def test_custom_licence():
    record = map_page("# Module acme/m/1\n<!-- license: custom -->\n<!-- format: hub -->")
    model = res("model/tfhub/acme/m/1")
    found = load_vocabulary().find("licenses", "custom", IRIS)
    licence = found or res("license/custom")
    assert objects(record, model, DCTERMS.license) == {licence}
    if found is None:
        assert objects(record, licence, RDF.type) == {MLKG.CustomLicense}
        assert values(record, licence, RDFS.label) == {"custom"}
    assert record.warnings == []


def test_unknown_licence_is_custom_with_a_warning():
    record = map_page("# Module acme/m/1\n<!-- license: Acme-EULA-2 -->\n<!-- format: hub -->")
    licence = res("license/acme-eula-2")
    assert objects(record, res("model/tfhub/acme/m/1"), DCTERMS.license) == {licence}
    assert objects(record, licence, RDF.type) == {MLKG.CustomLicense}
    assert any("Acme-EULA-2" in w and "custom" in w for w in record.warnings)


LITE = """# Lite google/pinenet/classification/3
TFLite deployment of google/pinenet/classification/3.

<!-- parent-model: google/pinenet/classification/3 -->
<!-- asset-path: https://storage.googleapis.com/bucket/pinenet.tflite -->
"""


def test_variant_is_converted_from_its_parent_and_states_only_its_own_page():
    record = map_page(LITE)
    variant = res("model/tfhub/google/lite-model/pinenet/classification/3")
    parent = res("model/tfhub/google/pinenet/classification/3")
    assert record.subject == variant and record.warnings == []
    assert values(record, variant, DCTERMS.identifier) == {
        "google/lite-model/pinenet/classification/3"
    }
    assert objects(record, variant, SCHEMA.url) == {
        NamedNode("https://tfhub.dev/google/lite-model/pinenet/classification/3")
    }
    assert values(record, variant, MLKG.entryType) == {"Lite"}
    assert values(record, variant, MLKG["format"]) == {"tflite"}
    assert objects(record, variant, MLKG.convertedFrom) == {parent}
    assert_stub(record, parent, MLKG.Model, "google/pinenet/classification/3")
    # nothing is inherited at map time: a query rule follows convertedFrom
    for predicate in (MLKG.task, MLKG.trainedOn, MLKG.architecture):
        assert objects(record, variant, predicate) == set()
    assert objects(record, variant, MLKG.licenseDefaulted) == {TRUE}


def test_lite_and_tfjs_with_the_same_handle_are_two_models():
    lite = map_page(LITE)
    tfjs = map_page(LITE.replace("# Lite", "# Tfjs"))
    assert lite.subject != tfjs.subject
    assert tfjs.subject == res("model/tfhub/google/tfjs-model/pinenet/classification/3")
    assert values(tfjs, tfjs.subject, MLKG["format"]) == {"tfjs"}


def test_coral_variant():
    record = map_page("# Coral acme/det/1/default/1\n<!-- parent-model: acme/det/1 -->")
    coral = res("model/tfhub/acme/coral-model/det/1/default/1")
    assert record.subject == coral
    assert values(record, coral, MLKG["format"]) == {"coral"}
    assert objects(record, coral, MLKG.convertedFrom) == {res("model/tfhub/acme/det/1")}


def test_unresolved_and_versionless_parents_are_kept_as_written():
    record = map_page("# Lite iree/mobilebert/fp32/1\n<!-- parent-model: iree/mobilebert/fp32 -->")
    parent = res("model/tfhub/iree/mobilebert/fp32")
    assert objects(record, record.subject, MLKG.convertedFrom) == {parent}
    assert_stub(record, parent, MLKG.Model, "iree/mobilebert/fp32")
    assert any("has no version number" in w for w in record.warnings)


def test_variant_without_parent_warns():
    record = map_page("# Tfjs acme/m/1\nNo parent line.")
    assert record.error is None
    assert any("no parent-model" in w for w in record.warnings)


def test_placeholder_is_a_model_without_format():
    record = map_page("# Placeholder acme/enc/1\nAn encoder.\n<!-- task: text-embedding -->")
    model = res("model/tfhub/acme/enc/1")
    assert objects(record, model, RDF.type) == {MLKG.Model}
    assert values(record, model, MLKG.entryType) == {"Placeholder"}
    assert objects(record, model, MLKG["format"]) == set()
    assert record.warnings == []


COLLECTION = """# Collection acme/pinenet/1
PineNet models.

<!-- task: image-classification -->
<!-- dataset: imagenet-ilsvrc-2012-cls -->

<!-- (https://tfhub.dev/acme/lite-model/pinenet/2/default/1) -->

| Model | Notes |
|-------|-------|
| [v1](https://tfhub.dev/acme/pinenet/1) and [v2](https://tfhub.dev/acme/pinenet/2#usage) | two |
| [again](https://tfhub.dev/acme/pinenet/1) | duplicate |
| [latest](https://tfhub.dev/acme/pinenet-fv) | version-less |
| [other collection](https://tfhub.dev/acme/collections/bert/1) | no |
| [search](https://tfhub.dev/s?q=x) | no |
| [placeholder](https://tfhub.dev/...) [publisher](https://tfhub.dev/acme) | no |
"""


def test_collection_lists_its_models():
    record = map_page(COLLECTION)
    collection = res("collection/tfhub/acme/pinenet/1")
    assert record.subject == collection and record.warnings == []
    assert objects(record, collection, RDF.type) == {MLKG.ModelCollection}
    assert values(record, collection, MLKG.entryType) == {"Collection"}
    assert objects(record, collection, SCHEMA.url) == {
        NamedNode("https://tfhub.dev/acme/collections/pinenet/1")
    }
    members = {
        "acme/pinenet/1",
        "acme/pinenet/2",
        "acme/lite-model/pinenet/2/default/1",
    }
    assert objects(record, collection, DCTERMS.hasPart) == {
        res(f"model/tfhub/{m}") for m in members
    }
    for member in members:
        node = res(f"model/tfhub/{member}")
        assert objects(record, node, MLKG.inCollection) == {collection}
        assert_stub(record, node, MLKG.Model, member)
    assert objects(record, collection, DCTERMS.references) == {
        NamedNode("https://tfhub.dev/acme/pinenet-fv")
    }
    task = expected_concept("tasks", "image-classification", res("task/image-classification"))
    assert task in objects(record, collection, DCTERMS.subject)
    assert objects(record, collection, MLKG.task) == set()  # mlkg:task is a model fact


def test_publisher_page():
    page = """# Publisher acme
Acme Research

[![Icon URL]](https://example.org/acme.png)

## [acme.example](https://acme.example)

Acme publishes small models.
"""
    record = map_page(page, "acme/acme.md")
    publisher = res("publisher/tfhub/acme")
    assert record.subject == publisher and record.warnings == []
    assert objects(record, publisher, RDF.type) == {MLKG.Publisher}
    assert values(record, publisher, DCTERMS.identifier) == {"acme"}
    assert values(record, publisher, RDFS.label) == {"Acme Research"}
    assert values(record, publisher, DCTERMS.description) == {"Acme publishes small models."}
    assert objects(record, publisher, SCHEMA.logo) == {NamedNode("https://example.org/acme.png")}
    assert objects(record, publisher, SCHEMA.url) == {NamedNode("https://tfhub.dev/acme")}


def test_colab_and_demo_links():
    page = "# Module acme/m/1\n<!-- format: hub -->\n"
    page += "<!-- colab: https://colab.research.google.com/x.ipynb -->\n"
    page += "<!-- demo: https://example.org/demo -->\n<!-- demo: javascript:alert(1) -->"
    record = map_page(page)
    assert objects(record, res("model/tfhub/acme/m/1"), RDFS.seeAlso) == {
        NamedNode("https://colab.research.google.com/x.ipynb"),
        NamedNode("https://example.org/demo"),
    }
    assert any("javascript:alert(1)" in w for w in record.warnings)


def test_description_is_capped_with_a_warning():
    record = map_page("# Module acme/m/1\n" + "word " * 2000 + "\n<!-- format: hub -->")
    (description,) = values(record, res("model/tfhub/acme/m/1"), DCTERMS.description)
    assert len(description) == 2000 and description.endswith("…")
    assert any("description cut" in w for w in record.warnings)


def test_ids_are_checked_before_minting():
    record = map_page("# Module acme/m/1\n<!-- dataset: coco\x07 2017 -->\n<!-- format: hub -->")
    assert record.error is None
    assert objects(record, res("model/tfhub/acme/m/1"), MLKG.trainedOn) == set()
    assert any("dataset id" in w and "control character" in w for w in record.warnings)


def test_file_name_and_handle_versions_disagree():
    record = map_page("# Module acme/m/2\n<!-- format: hub -->", "acme/models/m/1.md")
    assert record.subject == res("model/tfhub/acme/m/2")  # the handle is the truth
    assert any("file name says version 1" in w for w in record.warnings)


# -- bad input: a clear message, never an exception ------------------------------------------


@pytest.mark.parametrize(
    ("page", "message"),
    [
        ("Module google/albert_base/3\nno hash", "line 1 is not a TF Hub handle line"),
        ("# Module\n", "line 1 is not a TF Hub handle line"),
        ("", "empty document"),
        ("\n  \n", "empty document"),
        ("# Widget google/x/1\n", "unknown document type 'Widget'"),
        ("# Module google/al\x07bert/3\n", "control character"),
        ("# Module google/al bert/3\n", "contains whitespace"),
        ("# Module google//3\n", "empty or relative path segment"),
        ("# Module google\n", "needs <publisher>/<name>/<version>"),
        ("# Collection acme\n", "needs <publisher>/<name>/<version>"),
        ("# Module a/b/1\n\x00\x00", "NUL characters"),
    ],
)
def test_unmappable_pages_are_errors_with_a_clear_message(page, message):
    record = map_page(page)
    assert record.error is not None and message in record.error
    assert record.error.startswith("test/page.md: ")
    assert record.triples == [] and record.subject is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"path": "x", "binary": True, "size": 9, "reason": "NUL bytes"}, "binary file (NUL bytes"),
        ({"path": "x"}, "the text field is missing"),
        ({"path": "x", "text": None, "unreadable": "PermissionError: denied"}, "PermissionError"),
    ],
)
def test_unreadable_raw_data_is_an_error(data, message):
    record = map_record(RawRecord("tfhub", "x.md", data), IRIS)
    assert record.error is not None and message in record.error


def test_html_entity_in_the_handle_is_decoded():
    record = map_page("# Module vtab/&zwnj;jigsaw/1\n<!-- format: hub -->")
    assert record.subject == res("model/tfhub/vtab/jigsaw/1")
    assert values(record, record.subject, DCTERMS.identifier) == {"vtab/jigsaw/1"}
    assert any("U+200C" in w for w in record.warnings)


def test_todo_comments_are_not_metadata():
    page = "# Module acme/m/1\n<!--- TODO(b/171934083): Link to an example Colab. --->\n"
    page += "<!--- TODO: license: gpl-3.0 --->\n<!-- format: hub -->"
    record = map_page(page)
    assert record.warnings == []
    model = res("model/tfhub/acme/m/1")
    assert objects(record, model, MLKG.licenseDefaulted) == {TRUE}
    assert objects(record, model, MLKG.tag) == set()


def test_unknown_key_and_repeated_single_key_warn():
    page = "# Module acme/m/1\n<!-- flavour: vanilla -->\n<!-- format: hub -->\n"
    page += "<!-- format: saved_model_2 -->"
    record = map_page(page)
    assert values(record, res("model/tfhub/acme/m/1"), MLKG["format"]) == {"hub"}
    assert any("unknown metadata key 'flavour'" in w for w in record.warnings)
    assert any("'format' given more than once" in w for w in record.warnings)


def test_lower_case_document_type_is_read_with_a_warning():
    record = map_page("# module acme/m/1\n<!-- format: hub -->")
    assert record.subject == res("model/tfhub/acme/m/1")
    assert any("read as 'Module'" in w for w in record.warnings)


def test_ten_megabyte_page_is_capped_with_a_warning():
    page = "# Module acme/huge/1\nHuge.\n<!-- format: hub -->\n" + "x" * (10 * 1024 * 1024)
    record = map_page(page)
    assert record.error is None and record.subject == res("model/tfhub/acme/huge/1")
    assert any(f"over the {MAX_DOCUMENT_BYTES} cap" in w for w in record.warnings)


@settings(max_examples=150, deadline=None)
@given(body=st.text(max_size=400))
def test_any_text_maps_without_raising(body):
    for page in (body, f"# Module acme/m/1\n{body}", f"# Collection acme/c/1\n{body}"):
        record = map_page(page)
        assert (record.error is None) == (record.subject is not None)


@settings(max_examples=50, deadline=None)
@given(data=st.recursive(st.none() | st.booleans() | st.integers() | st.text(), st.lists))
def test_any_raw_data_maps_without_raising(data):
    record = map_record(RawRecord("tfhub", "x.md", {"text": data}), IRIS)
    assert isinstance(record.error, str) or isinstance(data, str)


# -- crawl -----------------------------------------------------------------------------------


def write(root: Path, relative: str, content: bytes) -> None:
    path = root / "assets" / "docs" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def test_registered_source():
    assert get_source("tfhub") is SOURCE
    assert SOURCE.hub == "tfhub" and SOURCE.default_location.startswith("https://codeload.github")


def test_crawl_is_sorted_lazy_and_honours_skip_and_limit(tmp_path):
    records = list(crawl(str(SAMPLE), cache_dir=tmp_path))
    ids = [r.id for r in records]
    assert ids == sorted(ids) and len(ids) == 18
    assert all(r.source == "tfhub" and r.data["path"] == f"assets/docs/{r.id}" for r in records)
    assert records[0].location == str(SAMPLE / "assets" / "docs" / ids[0])
    assert records[0].data["text"].startswith("# Publisher aurora")
    assert [r.id for r in crawl(str(SAMPLE), cache_dir=tmp_path, limit=3)] == ids[:3]
    skipped = [r.id for r in crawl(str(SAMPLE), cache_dir=tmp_path, skip=set(ids[:5]))]
    assert skipped == ids[5:]
    assert list(crawl(str(SAMPLE), cache_dir=tmp_path, limit=0)) == []
    lazy = crawl(str(tmp_path / "missing"), cache_dir=tmp_path)  # nothing happens yet
    with pytest.raises(SourceNotFoundError):
        next(lazy)


def test_crawl_needs_assets_docs(tmp_path):
    (tmp_path / "repo").mkdir()
    with pytest.raises(SourceNotFoundError, match="assets/docs"):
        list(crawl(str(tmp_path / "repo"), cache_dir=tmp_path))


def test_crawl_flags_binary_huge_and_badly_encoded_files(tmp_path):
    repo = tmp_path / "repo"
    write(repo, "acme/models/ok/1.md", b"# Module acme/ok/1\n<!-- format: hub -->\n")
    write(repo, "acme/models/icon/1.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    write(repo, "acme/models/latin/1.md", "# Module acme/latin/1\nCaf\xe9.\n".encode("latin-1"))
    huge = b"# Module acme/huge/1\n<!-- format: hub -->\n" + b"y" * (10 * 1024 * 1024)
    write(repo, "acme/models/huge/1.md", huge)
    write(repo, "acme/notes.txt", b"not markdown")
    records = {r.id: r for r in crawl(str(repo), cache_dir=tmp_path / "cache")}
    assert sorted(records) == [
        "acme/models/huge/1.md",
        "acme/models/icon/1.md",
        "acme/models/latin/1.md",
        "acme/models/ok/1.md",
    ]
    assert set(records["acme/models/ok/1.md"].data) == {"path", "text"}
    icon = records["acme/models/icon/1.md"]
    assert icon.data["binary"] is True and icon.data["text"] is None
    assert "binary file" in map_record(icon, IRIS).error
    big = records["acme/models/huge/1.md"]
    assert big.data["truncated"] is True and big.data["size"] == len(huge)
    assert len(big.data["text"]) == MAX_DOCUMENT_BYTES
    mapped = map_record(big, IRIS)
    assert mapped.error is None and mapped.subject == res("model/tfhub/acme/huge/1")
    assert any(f"{len(huge)} bytes, over the" in w for w in mapped.warnings)
    latin = records["acme/models/latin/1.md"]
    assert latin.data["invalid_utf8"] == 1
    assert any("invalid UTF-8" in w for w in map_record(latin, IRIS).warnings)


def test_crawl_from_a_local_archive_file(tmp_path):
    archive = tmp_path / "tfhub.tar.gz"
    archive.write_bytes(github_tarball(SAMPLE))
    from_archive = list(crawl(str(archive), cache_dir=tmp_path / "cache"))
    from_folder = list(crawl(str(SAMPLE), cache_dir=tmp_path / "cache"))
    assert [(r.id, r.data) for r in from_archive] == [(r.id, r.data) for r in from_folder]
    assert from_archive[0].location == f"{archive}#assets/docs/{from_archive[0].id}"


# -- a real HTTP crawl: GitHub's archive layout, ETag / 304, 429 + Retry-After ----------------


def github_tarball(folder: Path, top: str = "tfhub.dev-master", extra: dict | None = None) -> bytes:
    """The sample zoo as codeload.github.com serves a repository: one ``<repo>-<ref>/`` folder."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(folder / "assets", arcname=f"{top}/assets")
        for name, content in (extra or {}).items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


@dataclass
class Archive:
    """What the fake codeload serves, and what it answered."""

    body: bytes
    etag: str
    statuses: list[int] = field(default_factory=list)

    def __call__(self, request: Request) -> Reply:
        if request.headers.get("if-none-match") == self.etag:
            self.statuses.append(304)
            return Reply(304, headers={"ETag": self.etag})
        self.statuses.append(200)
        headers = {"ETag": self.etag, "Content-Type": "application/x-gzip"}
        return Reply(200, self.body, headers)


def same_records(a: list[RawRecord], b: list[RawRecord]) -> bool:
    return [(r.id, r.data) for r in a] == [(r.id, r.data) for r in b]


def test_http_crawl_then_304_not_modified_then_changed(tmp_path):
    expected = list(crawl(str(SAMPLE), cache_dir=tmp_path))
    archive = Archive(github_tarball(SAMPLE), '"v1"')
    with LocalServer() as server:
        server.route(ARCHIVE_PATH, archive)
        location = server.url(ARCHIVE_PATH)
        first = list(crawl(location, cache_dir=tmp_path / "cache"))
        second = list(crawl(location, cache_dir=tmp_path / "cache"))
        assert archive.statuses == [200, 304]
        assert server.requests[1].headers["if-none-match"] == '"v1"'
        assert same_records(first, expected) and same_records(second, expected)
        assert first[0].location == f"{location}#assets/docs/{first[0].id}"
        new_page = b"# Module acme/new/1\nNew.\n<!-- format: hub -->\n"
        archive.body = github_tarball(SAMPLE, extra={"assets/docs/acme/models/new/1.md": new_page})
        archive.etag = '"v2"'
        third = list(crawl(location, cache_dir=tmp_path / "cache"))
    assert archive.statuses == [200, 304, 200]
    assert [r.id for r in third] == sorted([*(r.id for r in expected), "acme/models/new/1.md"])


def test_http_crawl_survives_429_with_retry_after(tmp_path, caplog):
    expected = list(crawl(str(SAMPLE), cache_dir=tmp_path))
    with LocalServer() as server:
        server.route(ARCHIVE_PATH, Archive(github_tarball(SAMPLE), '"v1"'))
        server.fail_next(ARCHIVE_PATH, Reply(429, b"slow down", {"Retry-After": "0"}))
        with caplog.at_level(logging.WARNING, logger="mlkg.http"):
            records = list(crawl(server.url(ARCHIVE_PATH), cache_dir=tmp_path / "cache"))
        assert [r.path for r in server.requests] == [ARCHIVE_PATH, ARCHIVE_PATH]
    assert same_records(records, expected)
    # Retry-After: 0 wins over the 1 s default backoff
    assert "HTTP 429; retrying in 0.0s (attempt 1/5)" in caplog.text


# -- the sample zoo through a store -----------------------------------------------------------


def store_of(records: list[MappedRecord]) -> Store:
    """Every record's quads plus the shipped vocabularies, in an in-memory Oxigraph."""
    store = Store()
    store.extend([quad for record in records for quad in record.quads()])
    for path in sorted((data_dir("ontology") / "vocab").glob("*.ttl")):
        store.load(path=path, format=RdfFormat.TURTLE, to_graph=IRIS.vocabulary_graph(path.stem))
    return store


def versioned_rows(store: Store) -> list[tuple[NamedNode, str, str, int]]:
    """(model, hub, name, version) of every described model, for revision_links."""
    rows = store.query(
        sparql_prologue()
        + """SELECT ?m ?hub ?name ?v { ?m mlkg:entryType ?t ; mlkg:hub ?hub ;
             mlkg:modelName ?name ; mlkg:version ?v }""",
        use_default_graph_as_union=True,
    )
    return [(r["m"], r["hub"].value, r["name"].value, int(r["v"].value)) for r in rows]


def select(store: Store, query: str) -> list[dict[str, str]]:
    solutions = store.query(sparql_prologue() + query, use_default_graph_as_union=True)
    names = [v.value for v in solutions.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in solutions]


def counts(store: Store, query: str) -> Counter:
    return Counter({row["key"]: int(row["n"]) for row in select(store, query)})


PER_TYPE = "SELECT ?key (COUNT(DISTINCT ?s) AS ?n) { ?s mlkg:entryType ?key } GROUP BY ?key"
DANGLING = """SELECT DISTINCT ?id {
  ?v mlkg:convertedFrom ?p . ?p dcterms:identifier ?id
  FILTER NOT EXISTS { ?p mlkg:entryType ?described } }"""
LICENCES = """SELECT ?key (COUNT(DISTINCT ?m) AS ?n) {
  ?m a mlkg:Model ; mlkg:entryType ?type ; dcterms:license ?l .
  OPTIONAL { ?m mlkg:licenseDefaulted ?flag }
  BIND(IF(COALESCE(?flag, false), "defaulted", "declared") AS ?key) } GROUP BY ?key"""


def test_sample_zoo_maps_cleanly_and_answers_through_the_graph(tmp_path):
    raw = list(crawl(str(SAMPLE), cache_dir=tmp_path))
    records = [map_record(r, IRIS) for r in raw]
    assert [(r.record_id, r.error, r.warnings) for r in records if r.error or r.warnings] == []
    store = store_of(records)
    assert counts(store, PER_TYPE) == Counter(
        Module=9, Placeholder=1, Lite=2, Tfjs=2, Coral=1, Collection=1, Publisher=2
    )
    assert {row["id"] for row in select(store, DANGLING)} == {"quillworks/wren-tagger/3"}
    assert counts(store, LICENCES) == Counter(declared=8, defaulted=7)
    versions = [
        (new.value.rsplit("model/tfhub/")[1], old.value.rsplit("model/tfhub/")[1])
        for new, old in revision_links(versioned_rows(store))
    ]
    assert versions == [
        ("aurora/imagenet/pinenet_s/classification/2", "aurora/imagenet/pinenet_s/classification/1")
    ]
    members = select(
        store,
        """SELECT DISTINCT ?id { ?c dcterms:identifier "aurora/pinenet/1" ; dcterms:hasPart ?m .
           ?m dcterms:identifier ?id ; mlkg:inCollection ?c }""",
    )
    assert {row["id"] for row in members} == {
        "aurora/imagenet/pinenet_s/classification/1",
        "aurora/imagenet/pinenet_s/classification/2",
        "aurora/lite-model/imagenet/pinenet_s/classification/2/default/1",
    }
    # inheritance is a query rule: a variant has its parent's task
    inherited = select(
        store,
        """SELECT DISTINCT ?variant ?task { ?v mlkg:convertedFrom+ ?p ;
           dcterms:identifier ?variant . ?p mlkg:task ?task }""",
    )
    task = expected_concept("tasks", "image-classification", res("task/image-classification"))
    variant = "aurora/tfjs-model/imagenet/pinenet_s/classification/2/default/1"
    assert {"variant": variant, "task": task.value} in inherited


# -- the full catalogues, against an independent parse ---------------------------------------

HEADER = re.compile(r"^# (\w+) (.+)$")
COMMENT = re.compile(r"^<!--(?P<key>(\w|\s|-)+):(?P<value>.+)-->$")  # the format's own rule
MODEL_TYPES = {"Module", "Placeholder", "Lite", "Tfjs", "Coral"}
VARIANT_TYPES = {"Lite", "Tfjs", "Coral"}
LINK = re.compile(r"https?://tfhub\.dev/([\w./-]+?)/(\d+)(?=[^\w./-]|$)")


def fold(name: str) -> str:
    return re.sub(r"[\W_]+", "", name.casefold())


@dataclass
class Page:
    kind: str
    handle: str
    meta: dict[str, list[str]]
    text: str

    @property
    def model_id(self) -> str:
        if self.kind not in VARIANT_TYPES:
            return self.handle
        publisher, rest = self.handle.split("/", 1)
        return f"{publisher}/{self.kind.lower()}-model/{rest}"

    def raw(self, *keys: str) -> list[str]:
        return [value for key in keys for value in dict.fromkeys(self.meta.get(key, []))]


def independent_parse(docs: Path) -> list[Page]:
    pages = []
    for path in sorted(docs.rglob("*.md")):
        content = path.read_text(encoding="utf-8")
        lines = content.splitlines()
        kind, written = HEADER.match(lines[0]).groups()
        handle = html.unescape(written).replace("\u200c", "").strip()
        meta: dict[str, list[str]] = defaultdict(list)
        for line in lines[1:]:
            match = COMMENT.match(line)
            if match and not match["key"].startswith("-"):
                meta[match["key"].strip()].append(match["value"].strip())
        pages.append(Page(kind, handle, dict(meta), content))
    return pages


@dataclass
class Snapshot:
    name: str
    pages: list[Page]
    records: list[MappedRecord]
    store: Store

    @property
    def models(self) -> list[Page]:
        return [p for p in self.pages if p.kind in MODEL_TYPES]


@pytest.fixture(scope="module", params=["tfhub.dev", "tfhub.dev-legacy-2021-05-27"])
def snapshot(request, shared_dir, tmp_path_factory) -> Snapshot:
    folder = shared_dir / "zoo-snapshots" / request.param
    raw = crawl(str(folder), cache_dir=tmp_path_factory.mktemp("cache"))
    records = [map_record(record, IRIS) for record in raw]
    pages = independent_parse(folder / "assets" / "docs")
    return Snapshot(request.param, pages, records, store_of(records))


EXPECTED_TYPES = {
    "tfhub.dev": Counter(
        Module=1815, Lite=372, Tfjs=358, Placeholder=182, Collection=50, Publisher=39, Coral=3
    ),
    "tfhub.dev-legacy-2021-05-27": Counter(
        Module=1327, Tfjs=306, Lite=281, Placeholder=123, Collection=26, Publisher=27, Coral=3
    ),
}


def test_snapshot_every_page_maps(snapshot):
    assert len(snapshot.records) == len(snapshot.pages)
    assert [r.error for r in snapshot.records if r.error] == []
    assert all(r.subject is not None for r in snapshot.records)


def test_snapshot_documents_per_type(snapshot):
    expected = Counter(page.kind for page in snapshot.pages)
    assert expected == EXPECTED_TYPES[snapshot.name]  # SOURCES.md: 2,819 and 2,093 pages
    assert counts(snapshot.store, PER_TYPE) == expected
    identifiers = select(
        snapshot.store,
        """SELECT DISTINCT ?type ?id {
           ?s mlkg:entryType ?type ; dcterms:identifier ?id ; a mlkg:Model }""",
    )
    assert Counter((row["type"], row["id"]) for row in identifiers) == Counter(
        (page.kind, page.model_id) for page in snapshot.models
    )


@pytest.mark.parametrize("kind", ["task", "dataset", "network-architecture"])
def test_snapshot_models_per_raw_id(snapshot, kind):
    """The raw ids each model page states are in the graph as tags, per model."""
    keys = ("task", "module-type") if kind == "task" else (kind,)
    expected = Counter(
        f"{key}:{value}" for page in snapshot.models for key in keys for value in page.raw(key)
    )
    filters = " || ".join(f'STRSTARTS(?key, "{key}:")' for key in keys)
    graph = counts(
        snapshot.store,
        f"""SELECT ?key (COUNT(DISTINCT ?m) AS ?n) {{ ?m a mlkg:Model ; mlkg:entryType ?t ;
            mlkg:tag ?key FILTER({filters}) }} GROUP BY ?key""",
    )
    assert graph == expected


@pytest.mark.parametrize(
    ("kind", "predicate", "scheme", "cls"),
    [
        ("task", "task", "tasks", "mlkg:Task"),
        ("dataset", "trainedOn", "datasets", "mlkg:Dataset"),
        ("network-architecture", "architecture", "architectures", "mlkg:Architecture"),
    ],
)
def test_snapshot_models_per_normalised_concept(snapshot, kind, predicate, scheme, cls):
    """Each model links exactly the concepts its raw ids name, the vocabulary's when it has one.

    Names are read from the graph and compared after folding case and punctuation: a
    vocabulary concept (in the store's vocabulary graphs) by its labels, notations and IRI;
    otherwise the concept the crawler minted, by the raw id its stub keeps. So this holds
    whether ontology/vocab/ knows an id or not, and fails if a known id was minted anyway.
    """
    keys = ("task", "module-type") if kind == "task" else (kind,)
    rows = select(
        snapshot.store,
        f"""SELECT DISTINCT ?model ?concept {{ ?m a mlkg:Model ; mlkg:entryType ?t ;
            dcterms:identifier ?model ; mlkg:{predicate} ?concept }}""",
    )
    linked: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        linked[row["model"]].add(row["concept"])
    in_scheme = f"?c skos:inScheme ?s FILTER(STRENDS(STR(?s), '/{scheme}'))"
    vocabulary = concept_names(snapshot.store, in_scheme)
    minted = concept_names(
        snapshot.store, f"?c a {cls} FILTER NOT EXISTS {{ ?c skos:inScheme ?s }}"
    )
    expected: dict[str, set[str]] = {}
    for page in snapshot.models:
        written = page.raw(*keys)
        if kind != "task":
            written = [v for v in written if v.lower() not in {"other", "multiple"}]
        concepts = {c for v in written for c in vocabulary.get(fold(v)) or minted.get(fold(v), ())}
        if concepts:
            expected[page.model_id] = concepts
    assert dict(linked) == expected
    known = {c for names in vocabulary.values() for c in names}
    used = Counter(c for concepts in linked.values() for c in concepts if c in known)
    if kind == "dataset":  # ontology/vocab/datasets.ttl knows ImageNet (two TF Hub ids)
        assert used[IRIS.dataset("imagenet-ilsvrc-2012").value] > 500


def concept_names(store: Store, condition: str) -> dict[str, set[str]]:
    """fold(name) → the concepts (matching ``condition`` on ``?c``) that the name names."""
    rows = select(
        store,
        f"""SELECT DISTINCT ?c ?name {{ ?c skos:prefLabel|skos:altLabel|skos:notation
            |skos:hiddenLabel|dcterms:identifier|rdfs:label ?name . {condition} }}""",
    )
    names: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        names[fold(row["name"])].add(row["c"])
        names[fold(row["c"].rstrip("/").rsplit("/", 1)[-1])].add(row["c"])
    return names


def test_snapshot_variants_per_parent_and_dangling_parents(snapshot):
    expected = Counter(
        parent
        for page in snapshot.pages
        if page.kind in VARIANT_TYPES
        for parent in page.raw("parent-model")
    )
    graph = counts(
        snapshot.store,
        """SELECT ?key (COUNT(DISTINCT ?v) AS ?n) { ?v mlkg:convertedFrom ?p .
           ?p dcterms:identifier ?key } GROUP BY ?key""",
    )
    assert graph == expected
    described = {page.handle for page in snapshot.pages if page.kind in {"Module", "Placeholder"}}
    dangling = set(expected) - described
    assert {row["id"] for row in select(snapshot.store, DANGLING)} == dangling
    pages_with_dangling_parent = sum(n for parent, n in expected.items() if parent in dangling)
    assert (len(dangling), pages_with_dangling_parent) == {
        "tfhub.dev": (31, 47),
        "tfhub.dev-legacy-2021-05-27": (8, 13),
    }[snapshot.name]


def test_snapshot_licences_declared_and_defaulted(snapshot):
    declared = Counter(v for page in snapshot.models for v in page.raw("license")[:1])
    defaulted = sum(1 for page in snapshot.models if not page.raw("license"))
    assert counts(snapshot.store, LICENCES) == Counter(
        declared=sum(declared.values()), defaulted=defaulted
    )
    names = counts(
        snapshot.store,
        "SELECT ?key (COUNT(DISTINCT ?m) AS ?n) { ?m mlkg:licenseName ?key } GROUP BY ?key",
    )
    assert names == declared


def test_snapshot_versions_and_collections(snapshot):
    names = defaultdict(list)
    for page in snapshot.models:
        name, number = page.model_id.rsplit("/", 1)
        names[name].append(int(number))
    expected_links = {
        (f"{name}/{newer}", f"{name}/{older}")
        for name, numbers in names.items()
        for older, newer in pairwise(sorted(numbers))
    }
    derived = {
        (new.value.split("model/tfhub/")[1], old.value.split("model/tfhub/")[1])
        for new, old in revision_links(versioned_rows(snapshot.store))
    }
    assert {(unquote(a), unquote(b)) for a, b in derived} == expected_links
    # TF Hub has version gaps (…/classification/1, 3, 4, 5): links skip over them
    gaps = sum(
        1
        for new, old in expected_links
        if int(new.rsplit("/", 1)[1]) - int(old.rsplit("/", 1)[1]) > 1
    )
    assert gaps > 0
    expected = {
        page.handle: {f"{path}/{version}" for path, version in LINK.findall(page.text)}
        for page in snapshot.pages
        if page.kind == "Collection"
    }
    expected = {
        handle: {m for m in members if m.split("/")[1:2] != ["collections"]}
        for handle, members in expected.items()
    }
    rows = select(
        snapshot.store,
        """SELECT DISTINCT ?c ?m { ?col a mlkg:ModelCollection ; dcterms:identifier ?c .
           OPTIONAL { ?col dcterms:hasPart ?model . ?model dcterms:identifier ?m ;
                      mlkg:inCollection ?col } }""",
    )
    graph: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        graph[row["c"]].update([row["m"]] if "m" in row else [])
    assert dict(graph) == expected
