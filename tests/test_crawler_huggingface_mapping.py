"""The Hugging Face mapper: every rule on tiny inline raw records, hostile input, the sample zoo
through the validator, and the real card corpus and API responses in ../shared compared through
the graph with an independent parse written here (regexes and ``yaml.safe_load``, not the
mapper's functions)."""

from __future__ import annotations

import doctest
import importlib
import json
import math
import re
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Store, parse

from crawlers.huggingface.evaluations import MAX_EVALUATIONS, parse_measurement
from crawlers.huggingface.mapping import CRAWLER_VERSION, map_record
from mlkg.iris import Iris
from mlkg.namespaces import (
    DCAT,
    DCTERMS,
    MLKG,
    OWL,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
    XSD,
    sparql_prologue,
)
from mlkg.records import MappedRecord, RawRecord, Verdict
from mlkg.resources import ontology_files
from mlkg.sample_zoo import SAMPLE_DIR
from mlkg.stats import COVERAGE_PATTERNS
from mlkg.validation import Validator
from mlkg.vocabulary import load_vocabulary

IRIS = Iris()
VOCAB = load_vocabulary()
SAMPLE = SAMPLE_DIR / "huggingface"
TRUE = Literal("true", datatype=XSD.boolean)
FALSE = Literal("false", datatype=XSD.boolean)
MODEL = NamedNode(IRIS.base + "model/huggingface/acme/model")


# -- helpers ---------------------------------------------------------------------------------


def res(path: str) -> NamedNode:
    return NamedNode(IRIS.base + path)


def raw(
    card: str | None = None,
    *,
    info: Any = None,
    config: Any = None,
    eval_results: Any = None,
    kind: str = "model",
    repo_id: str = "acme/model",
    status: str = "ok",
    status_detail: str | None = None,
    flags: tuple[str, ...] = (),
) -> RawRecord:
    data = {
        "kind": kind,
        "repo_id": repo_id,
        "info": info,
        "card": card,
        "config": config,
        "eval_results": eval_results,
        "status": status,
        "status_detail": status_detail,
        "flags": list(flags),
    }
    return RawRecord("huggingface", f"{kind}s/{repo_id}", data)


def run(card: str | None = None, **kwargs: Any) -> MappedRecord:
    return map_record(raw(card, **kwargs), IRIS)


def card(front: str, body: str = "") -> str:
    return f"---\n{front.strip()}\n---\n{body}"


def objects(record: MappedRecord, subject: NamedNode, predicate: NamedNode) -> set:
    return {t.object for t in record.triples if t.subject == subject and t.predicate == predicate}


def values(record: MappedRecord, subject: NamedNode, predicate: NamedNode) -> set[str]:
    return {term.value for term in objects(record, subject, predicate)}


def subjects(record: MappedRecord, predicate: NamedNode, obj: Any) -> set:
    return {t.subject for t in record.triples if t.predicate == predicate and t.object == obj}


def integer(value: int) -> Literal:
    return Literal(str(value), datatype=XSD.integer)


def double(value: float) -> Literal:
    return Literal(repr(float(value)), datatype=XSD.double)


def evaluations(record: MappedRecord) -> list[NamedNode]:
    return sorted(subjects(record, RDF.type, MLKG.Evaluation), key=lambda node: node.value)


def evaluation_facts(record: MappedRecord) -> set[tuple]:
    """(metric, value, dataset) of every evaluation, for exact comparisons."""
    facts = set()
    for node in evaluations(record):
        (metric,) = objects(record, node, MLKG.metric)
        (value,) = objects(record, node, MLKG.value)
        (on,) = objects(record, node, MLKG.onDataset)
        facts.add((metric, float(value.value), on))
    return facts


def warned(record: MappedRecord, fragment: str) -> bool:
    return any(fragment in warning for warning in record.warnings)


def assert_model_stub(record: MappedRecord, node: NamedNode, repo_id: str) -> None:
    assert objects(record, node, RDF.type) == {MLKG.Model}
    assert values(record, node, DCTERMS.identifier) == {repo_id}
    assert values(record, node, RDFS.label) == {repo_id}
    assert objects(record, node, MLKG.hub) == {res("hub/huggingface")}
    assert objects(record, node, SCHEMA.url) == {NamedNode(f"https://huggingface.co/{repo_id}")}


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


def accepted(validator: Validator, *records: MappedRecord) -> list[Verdict]:
    verdicts = validator.validate(list(records))
    for verdict in verdicts:
        problems = [v for v in verdict.violations if v.severity == "Violation"]
        assert verdict.accepted, (verdict.record.record_id, verdict.record.error, problems[:5])
    return verdicts


API = {
    "_id": "x",
    "id": "acme/model",
    "author": "acme",
    "sha": "0123456789abcdef0123456789abcdef01234567",
    "createdAt": "2023-05-01T10:11:12.000Z",
    "lastModified": "2024-02-03T04:05:06.000Z",
    "private": False,
    "gated": False,
    "downloads": 1234,
    "likes": 56,
    "library_name": "transformers",
    "pipeline_tag": "text-classification",
    "tags": ["transformers", "safetensors", "arxiv:1810.04805", "dataset:imdb", "region:us"],
    "siblings": [
        {"rfilename": "README.md"},
        {"rfilename": "model.safetensors"},
        {"rfilename": "onnx/model.onnx"},
        {"rfilename": "pytorch_model.bin"},
        {"rfilename": "training_args.bin"},
        {"rfilename": "tf_model.h5"},
        {"rfilename": "model-q4.gguf"},
        {"rfilename": "model.tflite"},
    ],
    "safetensors": {"parameters": {"F32": 109483778}, "total": 109483778},
}


# -- identity and origin ---------------------------------------------------------------------


def test_crawler_version():
    assert CRAWLER_VERSION == "1.0"


MODULES = ("cards", "context", "datasets", "evaluations", "facts", "lineage", "mapping", "training")


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(f"crawlers.huggingface.{name}"))
    assert result.failed == 0


def test_identity_and_origin_from_the_api():
    record = run(info=API)
    assert record.error is None and record.warnings == []
    assert record.subject == MODEL and record.topics == [MODEL]
    assert record.graph == res("graph/huggingface/models/acme/model")
    assert objects(record, MODEL, RDF.type) == {MLKG.Model}
    assert values(record, MODEL, DCTERMS.identifier) == {"acme/model"}
    assert values(record, MODEL, RDFS.label) == {"acme/model"}
    assert objects(record, MODEL, MLKG.hub) == {res("hub/huggingface")}
    assert objects(record, MODEL, SCHEMA.url) == {NamedNode("https://huggingface.co/acme/model")}
    assert objects(record, MODEL, MLKG.revision) == {Literal(API["sha"])}
    assert objects(record, MODEL, DCTERMS.created) == {
        Literal("2023-05-01T10:11:12Z", datatype=XSD.dateTime)
    }
    assert objects(record, MODEL, DCTERMS.modified) == {
        Literal("2024-02-03T04:05:06Z", datatype=XSD.dateTime)
    }
    assert objects(record, MODEL, MLKG.downloads) == {integer(1234)}
    assert objects(record, MODEL, MLKG.likes) == {integer(56)}
    assert objects(record, MODEL, MLKG.gated) == {FALSE}
    publisher = res("publisher/huggingface/acme")
    assert objects(record, MODEL, DCTERMS.publisher) == {publisher}
    assert objects(record, publisher, RDF.type) == {MLKG.Publisher}
    assert values(record, publisher, DCTERMS.identifier) == {"acme"}
    assert values(record, publisher, RDFS.label) == {"acme"}
    assert objects(record, publisher, SCHEMA.url) == {NamedNode("https://huggingface.co/acme")}


def test_zoo_urls_are_objects_never_subjects():
    record = run(card("license: mit"), info=API)
    assert not [t for t in record.triples if t.subject.value.startswith("https://huggingface.co")]


def test_placeholder_creation_date_is_not_a_creation_date():
    record = run(info={**API, "createdAt": "2022-03-02T23:29:04.000Z"})
    assert objects(record, MODEL, DCTERMS.created) == set()
    assert record.warnings == []


def test_card_only_record_takes_the_publisher_from_the_id():
    record = run(card("license: mit"))
    assert objects(record, MODEL, DCTERMS.publisher) == {res("publisher/huggingface/acme")}
    legacy = run(card("license: mit"), repo_id="gpt2")
    assert objects(legacy, res("model/huggingface/gpt2"), DCTERMS.publisher) == set()


def test_renamed_repository_is_one_model_with_both_identifiers():
    info = {**API, "id": "google-bert/bert-base-uncased", "author": "google-bert"}
    record = run(info=info, repo_id="bert-base-uncased")
    canonical = res("model/huggingface/google-bert/bert-base-uncased")
    assert record.subject == canonical
    assert record.graph == res("graph/huggingface/models/bert-base-uncased")
    assert values(record, canonical, DCTERMS.identifier) == {"google-bert/bert-base-uncased"}
    assert values(record, canonical, MLKG.formerIdentifier) == {"bert-base-uncased"}
    assert objects(record, canonical, OWL.sameAs) == {res("model/huggingface/bert-base-uncased")}
    assert not subjects(record, RDF.type, MLKG.Model) - {canonical}


@pytest.mark.parametrize(
    ("gated", "flag", "tag"),
    [(False, FALSE, None), ("manual", TRUE, "gated:manual"), ("auto", TRUE, "gated:auto")],
)
def test_gated_flag_and_mode(gated, flag, tag):
    record = run(info={**API, "gated": gated})
    assert objects(record, MODEL, MLKG.gated) == {flag}
    assert ("gated:" + str(gated) in values(record, MODEL, MLKG.tag)) == (tag is not None)


def test_gated_nonsense_is_reported():
    record = run(info={**API, "gated": {"x": 1}})
    assert objects(record, MODEL, MLKG.gated) == set()
    assert warned(record, "API gated")


def test_tags_and_papers():
    body = (
        "See [the paper](https://arxiv.org/abs/2106.09685v2) and https://arxiv.org/pdf/1706.03762."
    )
    record = run(card("tags:\n- my-tag\n- arxiv:not-an-id", body), info=API)
    tags = values(record, MODEL, MLKG.tag)
    assert {"my-tag", "transformers", "arxiv:1810.04805", "dataset:imdb", "region:us"} <= tags
    assert objects(record, MODEL, DCTERMS.references) == {
        NamedNode("https://arxiv.org/abs/1810.04805"),
        NamedNode("https://arxiv.org/abs/2106.09685"),
        NamedNode("https://arxiv.org/abs/1706.03762"),
    }
    assert warned(record, "'not-an-id' is not an arXiv identifier")


# -- model facts -----------------------------------------------------------------------------


def test_task_from_pipeline_tag_vocabulary_or_minted():
    record = run(info=API)
    assert objects(record, MODEL, MLKG.task) == {res("task/text-classification")}
    minted = run(card("pipeline_tag: quantum-poetry"))
    task = res("task/quantum-poetry")
    assert objects(minted, MODEL, MLKG.task) == {task}
    assert objects(minted, task, RDF.type) == {MLKG.Task}
    assert values(minted, task, RDFS.label) == {"quantum-poetry"}
    assert values(minted, task, SKOS.notation) == {"quantum-poetry"}


def test_misspelt_pipeline_tag_is_read_with_a_warning():
    record = run(card("pipeline-tag: [fill-mask]"))
    assert objects(record, MODEL, MLKG.task) == {res("task/fill-mask")}
    assert warned(record, "'pipeline-tag' read as 'pipeline_tag'")


def test_library_and_formats_from_file_names():
    record = run(info=API)
    assert values(record, MODEL, MLKG.library) == {"transformers"}
    # training_args.bin is a training artefact, not a weights format
    assert values(record, MODEL, MLKG["format"]) == {
        "safetensors", "onnx", "pytorch", "h5", "gguf", "tflite",
    }  # fmt: skip


def test_parameter_count_from_safetensors_then_gguf():
    record = run(info=API)
    assert objects(record, MODEL, MLKG.parameterCount) == {integer(109483778)}
    gguf = run(info={"id": "acme/model", "gguf": {"total": 7241732096}})
    assert objects(gguf, MODEL, MLKG.parameterCount) == {integer(7241732096)}
    bad = run(info={"id": "acme/model", "safetensors": {"total": "many"}})
    assert objects(bad, MODEL, MLKG.parameterCount) == set()
    assert warned(bad, "safetensors.total")


def test_architecture_classes_family_and_model_type_from_config():
    config = {"architectures": ["BertForSequenceClassification"], "model_type": "bert"}
    record = run(config=config)
    family = res("architecture/bert")
    assert VOCAB.find("architectures", "bert", IRIS) == family
    minted = res("architecture/bertforsequenceclassification")
    assert objects(record, MODEL, MLKG.architecture) == {family, minted}
    assert values(record, MODEL, MLKG.modelType) == {"bert"}
    assert objects(record, minted, RDF.type) == {MLKG.Architecture}
    assert values(record, minted, RDFS.label) == {"BertForSequenceClassification"}
    assert objects(record, minted, SKOS.broader) == {family}


def test_config_from_the_api_when_no_config_json():
    record = run(info={"id": "acme/model", "config": {"model_type": "vit"}})
    assert values(record, MODEL, MLKG.modelType) == {"vit"}


def test_generic_label_names_live_in_a_model_local_scheme():
    config = {"id2label": {"0": "LABEL_0", "1": "LABEL_1"}}
    record = run(card("datasets: [imdb]"), config=config)
    labels = {
        res("label/model-huggingface-acme-model/LABEL_0"),
        res("label/model-huggingface-acme-model/LABEL_1"),
    }
    assert objects(record, MODEL, MLKG.predicts) == labels
    for label in labels:
        assert objects(record, label, RDF.type) == {MLKG.Label}
    assert values(record, res("label/model-huggingface-acme-model/LABEL_0"), RDFS.label) == {
        "LABEL_0"
    }


def test_real_label_names_live_in_the_training_dataset_scheme():
    config = {"id2label": {"0": "person", "1": "traffic light"}}
    record = run(card("datasets: [coco]"), config=config)
    person, light = res("label/coco/person"), res("label/coco/traffic%20light")
    assert objects(record, MODEL, MLKG.predicts) == {person, light}
    assert values(record, light, RDFS.label) == {"traffic light"}
    no_dataset = run(config=config)
    assert objects(no_dataset, MODEL, MLKG.predicts) == {
        res("label/model-huggingface-acme-model/person"),
        res("label/model-huggingface-acme-model/traffic%20light"),
    }


def test_id2label_of_the_wrong_type_is_reported():
    record = run(config={"id2label": "person,car"})
    assert objects(record, MODEL, MLKG.predicts) == set()
    assert warned(record, "id2label is a str")


# -- licence and languages -------------------------------------------------------------------


def test_licence_to_spdx_and_misspelt_licence():
    record = run(card("licence: apache-2.0"))
    assert objects(record, MODEL, DCTERMS.license) == {
        NamedNode("http://spdx.org/licenses/Apache-2.0")
    }
    assert values(record, MODEL, MLKG.licenseName) == {"apache-2.0"}
    assert warned(record, "'licence' read as 'license'")


def test_licence_from_the_api_tag_when_the_card_has_none():
    record = run(info={"id": "acme/model", "tags": ["license:mit"]})
    assert objects(record, MODEL, DCTERMS.license) == {NamedNode("http://spdx.org/licenses/MIT")}


def test_license_other_with_name_and_link_is_a_custom_licence():
    front = "license: other\nlicense_name: acme-research-1.0\nlicense_link: LICENSE.md"
    record = run(card(front))
    licence = res("license/acme-research-1-0")
    assert objects(record, MODEL, DCTERMS.license) == {licence}
    assert objects(record, licence, RDF.type) == {MLKG.CustomLicense}
    assert values(record, licence, RDFS.label) == {"acme-research-1.0"}
    assert objects(record, licence, SCHEMA.url) == {
        NamedNode("https://huggingface.co/acme/model/blob/main/LICENSE.md")
    }
    assert values(record, MODEL, MLKG.licenseName) == {"acme-research-1.0"}
    remote = run(card("license: other\nlicense_name: x-1\nlicense_link: https://acme.org/l"))
    assert objects(remote, res("license/x-1"), SCHEMA.url) == {NamedNode("https://acme.org/l")}


def test_license_other_without_a_name_and_unknown_ids():
    record = run(card("license: other"))
    assert objects(record, MODEL, DCTERMS.license) == {res("license/other")}
    unknown = run(card("license: acme-special"))
    licence = res("license/acme-special")
    assert objects(unknown, MODEL, DCTERMS.license) == {licence}
    assert objects(unknown, licence, RDF.type) == {MLKG.CustomLicense}
    assert warned(unknown, "'acme-special' is not a known licence id")


def test_licence_list():
    record = run(card("license: [apache-2.0, bsd-3-clause]"))
    assert objects(record, MODEL, DCTERMS.license) == {
        NamedNode("http://spdx.org/licenses/Apache-2.0"),
        NamedNode("http://spdx.org/licenses/BSD-3-Clause"),
    }


@pytest.mark.parametrize(
    ("front", "codes"),
    [
        ("language: en", {"en"}),
        ("language: [en, de-CH, zh_Hans]", {"en", "de-CH", "zh-Hans"}),
        ("language: no", {"no"}),
        ("language: [nb, no, nn]", {"nb", "no", "nn"}),
        ("languages: [fr]", {"fr"}),
        ("language: [unk]", set()),
    ],
)
def test_languages(front, codes):
    record = run(card(front))
    assert values(record, MODEL, MLKG.language) == codes


def test_language_no_is_read_as_norwegian_with_a_warning():
    record = run(card("language: no"))
    assert warned(record, "read as 'no' (Norwegian)")
    odd = run(card("language: [English, multilingual, true]"))
    assert values(odd, MODEL, MLKG.language) == set()
    assert "multilingual" in values(odd, MODEL, MLKG.tag)
    assert warned(odd, "'English' is not a language code") and warned(odd, "a bool value")


# -- lineage ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("relation", "predicate"),
    [
        ("finetune", MLKG.fineTunedFrom),
        ("adapter", MLKG.adapterOf),
        ("quantized", MLKG.quantizedFrom),
        ("merge", MLKG.mergedFrom),
    ],
)
def test_base_model_with_explicit_relation(relation, predicate):
    record = run(card(f"base_model: org/base\nbase_model_relation: {relation}"))
    base = res("model/huggingface/org/base")
    assert objects(record, MODEL, predicate) == {base}
    assert_model_stub(record, base, "org/base")
    others = {MLKG.fineTunedFrom, MLKG.adapterOf, MLKG.quantizedFrom, MLKG.mergedFrom}
    assert all(not objects(record, MODEL, p) for p in others - {predicate})


def test_relation_from_the_hub_tags():
    tags = ["base_model:org/a", "base_model:quantized:org/a", "base_model:adapter:org/b"]
    record = run(info={"id": "acme/model", "tags": tags})
    assert objects(record, MODEL, MLKG.quantizedFrom) == {res("model/huggingface/org/a")}
    assert objects(record, MODEL, MLKG.adapterOf) == {res("model/huggingface/org/b")}


def test_relation_inferred_as_the_hub_does():
    merge = run(card("base_model: [org/a, org/b]"))
    assert objects(merge, MODEL, MLKG.mergedFrom) == {
        res("model/huggingface/org/a"),
        res("model/huggingface/org/b"),
    }
    siblings = [{"rfilename": "adapter_config.json"}, {"rfilename": "adapter_model.safetensors"}]
    adapter = run(card("base_model: org/a"), info={"id": "acme/model", "siblings": siblings})
    assert objects(adapter, MODEL, MLKG.adapterOf) == {res("model/huggingface/org/a")}
    gguf = run(card("base_model: org/a"), info={"id": "acme/model", "siblings": [
        {"rfilename": "m.Q4_K_M.gguf"}
    ]})  # fmt: skip
    assert objects(gguf, MODEL, MLKG.quantizedFrom) == {res("model/huggingface/org/a")}
    plain = run(card("base_model: org/a"))
    assert objects(plain, MODEL, MLKG.fineTunedFrom) == {res("model/huggingface/org/a")}


def test_older_cards_fine_tuned_version_sentence():
    body = (
        "# m\n\nThis model is a fine-tuned version of "
        "[distilbert-base-uncased](https://huggingface.co/distilbert-base-uncased) "
        "on the imdb dataset.\n"
    )
    record = run(card("license: mit", body))
    base = res("model/huggingface/distilbert-base-uncased")
    assert objects(record, MODEL, MLKG.fineTunedFrom) == {base}
    assert_model_stub(record, base, "distilbert-base-uncased")
    # the structured field wins over the sentence
    both = run(card("base_model: org/real", body))
    assert objects(both, MODEL, MLKG.fineTunedFrom) == {res("model/huggingface/org/real")}
    # a link to "None" (the Trainer's placeholder) or to another site names no model
    none = run(card("", "fine-tuned version of [None](https://huggingface.co/None) on"))
    assert objects(none, MODEL, MLKG.fineTunedFrom) == set()


def test_bad_base_models_are_reported():
    record = run(card("base_model: [acme/model, 'not an id', {x: 1}]"))
    assert not [t for t in record.triples if t.predicate == MLKG.fineTunedFrom]
    assert warned(record, "is the model itself")
    assert warned(record, "'not an id' is not a Hub model id")
    assert warned(record, "a dict value ignored")
    wrong = run(card("base_model: org/a\nbase_model_relation: distilled"))
    assert objects(wrong, MODEL, MLKG.fineTunedFrom) == {res("model/huggingface/org/a")}
    assert warned(wrong, "'distilled' is not one of")


def test_new_version_is_a_revision_of_this_model():
    record = run(card("new_version: acme/model-v2"))
    newer = res("model/huggingface/acme/model-v2")
    assert objects(record, newer, MLKG.revisionOf) == {MODEL}
    assert_model_stub(record, newer, "acme/model-v2")


# -- training data, hyperparameters, framework versions --------------------------------------


def test_training_datasets_vocabulary_first_then_hub_stubs():
    front = "datasets:\n- imagenet-1k\n- glue\n- acme/private-set\n- not a dataset id\n- None"
    record = run(card(front), info={"id": "acme/model", "tags": ["dataset:squad"]})
    hub = res("dataset/huggingface/acme/private-set")
    expected = {res("dataset/imagenet-ilsvrc-2012"), res("dataset/glue"), res("dataset/squad")}
    assert objects(record, MODEL, MLKG.trainedOn) == expected | {hub}
    assert objects(record, hub, RDF.type) == {MLKG.Dataset}
    assert values(record, hub, DCTERMS.identifier) == {"acme/private-set"}
    assert values(record, hub, RDFS.label) == {"acme/private-set"}
    assert objects(record, hub, MLKG.hub) == {res("hub/huggingface")}
    assert objects(record, hub, SCHEMA.url) == {
        NamedNode("https://huggingface.co/datasets/acme/private-set")
    }
    run_ = res("model/huggingface/acme/model/training")
    assert objects(record, MODEL, PROV.wasGeneratedBy) == {run_}
    assert objects(record, run_, RDF.type) == {MLKG.TrainingRun}
    assert objects(record, run_, PROV.used) == expected | {hub}
    assert warned(record, "'not a dataset id' is not a Hub dataset id")
    assert warned(card_record := run(card("dataset: [imdb]")), "'dataset' read as 'datasets'")
    assert objects(card_record, MODEL, MLKG.trainedOn) == {res("dataset/imdb")}


TRAINER_BODY = """
# acme/model

This model is a fine-tuned version of [org/base](https://huggingface.co/org/base) on glue.

### Training hyperparameters

The following hyperparameters were used during training:
- learning_rate: 2e-05
- train_batch_size: 16
- eval_batch_size: 16
- seed: 42
- optimizer: Adam with betas=(0.9,0.999) and epsilon=1e-08
- lr_scheduler_type: linear
- lr_scheduler_warmup_ratio: 0.1
- num_epochs: 3
- mixed_precision_training: Native AMP

### Training results

| Training Loss | Epoch | Step | Validation Loss |
|:-------------:|:-----:|:----:|:---------------:|
| 0.3           | 1.0   | 10   | 0.25            |

### Framework versions

- Transformers 4.26.0
- Pytorch 1.13.1+cu116
- Datasets 2.9.0
- Tokenizers 0.13.2
"""


def settings_of(record: MappedRecord, model: NamedNode = MODEL) -> dict[str, tuple[Any, str]]:
    """name → (typed value, raw value) of the model's training configuration."""
    configuration = res(model.value.removeprefix(IRIS.base) + "/training/configuration")
    found = {}
    for setting in objects(record, configuration, MLKG.setting):
        (parameter,) = objects(record, setting, MLKG.hyperParameter)
        (value,) = objects(record, setting, MLKG.value)
        (raw_value,) = values(record, setting, MLKG.rawValue)
        (name,) = values(record, parameter, RDFS.label)
        assert objects(record, parameter, RDF.type) == {MLKG.HyperParameter}
        assert objects(record, setting, RDF.type) == {MLKG.HyperParameterSetting}
        assert parameter == res(f"hyperparameter/{name}")
        found[name] = (value, raw_value)
    return found


def test_trainer_hyperparameters_become_typed_settings():
    record = run(card("license: mit", TRAINER_BODY))
    run_ = res("model/huggingface/acme/model/training")
    configuration = res("model/huggingface/acme/model/training/configuration")
    assert objects(record, run_, MLKG.configuration) == {configuration}
    assert objects(record, configuration, RDF.type) == {MLKG.TrainingConfiguration}
    found = settings_of(record)
    assert found == {
        "learning_rate": (double(2e-05), "2e-05"),
        "train_batch_size": (integer(16), "16"),
        "eval_batch_size": (integer(16), "16"),
        "seed": (integer(42), "42"),
        "optimizer": (Literal("Adam"), "Adam"),
        "adam_beta1": (double(0.9), "0.9"),
        "adam_beta2": (double(0.999), "0.999"),
        "adam_epsilon": (double(1e-08), "1e-08"),
        "lr_scheduler_type": (Literal("linear"), "linear"),
        "lr_scheduler_warmup_ratio": (double(0.1), "0.1"),
        "num_epochs": (integer(3), "3"),
        "mixed_precision_training": (Literal("Native AMP"), "Native AMP"),
    }
    assert values(record, run_, MLKG.frameworkVersion) == {
        "Transformers 4.26.0", "Pytorch 1.13.1+cu116", "Datasets 2.9.0", "Tokenizers 0.13.2",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "Use OptimizerNames.ADAMW_TORCH with betas=(0.9,0.999) and epsilon=1e-08 and "
            "optimizer_args=No additional optimizer arguments",
            {"optimizer": "ADAMW_TORCH", "adam_beta1": "0.9", "adam_beta2": "0.999"},
        ),
        (
            "[8bit Adam](https://github.com/facebookresearch/bitsandbytes) with betas=(0.9,0.98) "
            "and epsilon=1e-06",
            {"optimizer": "8bit Adam", "adam_beta2": "0.98", "adam_epsilon": "1e-06"},
        ),
        ("Adafactor", {"optimizer": "Adafactor"}),
        (
            "{'name': 'AdamWeightDecay', 'learning_rate': {'class_name': 'PolynomialDecay', "
            "'config': {'initial_learning_rate': 2e-05}}, 'decay': 0.0, 'beta_1': 0.9, "
            "'beta_2': 0.999, 'epsilon': 1e-08, 'amsgrad': False, 'weight_decay_rate': 0.01}",
            {
                "optimizer": "AdamWeightDecay",
                "adam_beta1": "0.9",
                "adam_epsilon": "1e-08",
                "weight_decay": "0.01",
                "amsgrad": "False",
                "lr_scheduler_type": "PolynomialDecay",
            },
        ),
    ],
)
def test_optimizer_lines(line, expected):
    body = f"The following hyperparameters were used during training:\n- optimizer: {line}\n"
    found = settings_of(run(card("license: mit", body)))
    assert {name: raw_value for name, (_, raw_value) in found.items()}.items() >= expected.items()


def test_hyperparameter_tables():
    body = """
| Hyperparameter | Value |
|----------------|-------|
| C              | 1.0   |
| class_weight   |       |
| fit_intercept  | True  |

| Hyperparameters | Value |
| :-- | :-- |
| name | Adam |
| learning_rate | 0.001 |
| beta_1 | 0.9 |
"""
    found = settings_of(run(card("library_name: sklearn", body)))
    assert found["c"] == (double(1.0), "1.0")
    assert found["fit_intercept"] == (TRUE, "True")
    assert "class_weight" not in found  # an empty cell is no value
    assert found["optimizer"][1] == "Adam" and found["adam_beta1"][1] == "0.9"
    assert found["learning_rate"] == (double(0.001), "0.001")


def test_no_training_run_without_data_settings_or_frameworks():
    record = run(card("license: mit", "# Nothing about training here."))
    assert objects(record, MODEL, PROV.wasGeneratedBy) == set()
    assert not subjects(record, RDF.type, MLKG.TrainingRun)


def test_repeated_hyperparameter_keeps_the_first_with_a_warning():
    body = "The following hyperparameters were used during training:\n- seed: 1\n- seed: 2\n"
    record = run(card("license: mit", body))
    assert settings_of(record)["seed"] == (integer(1), "1")
    assert warned(record, "'seed' given twice")


# -- evaluations -----------------------------------------------------------------------------


MODEL_INDEX = """
model-index:
- name: acme-model
  results:
  - task:
      type: text-classification
      name: Text Classification
    dataset:
      name: GLUE SST-2
      type: glue
      config: sst2
      split: validation
    metrics:
    - type: accuracy
      value: 0.935
      name: Accuracy
      verified: true
    - type: f1
      value: "93.1%"
    - type: matthews_correlation
      value: "0.71 +/- 0.02"
    source:
      name: Leaderboard
      url: https://example.org/board
  - task:
      type: automatic-speech-recognition
    dataset:
      type: mozilla-foundation/common_voice_11_0
      name: Common Voice 11
      config: de
      split: test
    metrics:
    - type: wer
      value: 12.5 %
  - task:
      type: text-classification
    dataset:
      type: acme/reviews
      name: Reviews
      split: test
    metrics:
    - type: my_score
      name: My Score
      value: 3.5
"""


def test_model_index_full():
    record = run(card(MODEL_INDEX))
    sst2 = res("dataset/sst-2")
    assert VOCAB.find("datasets", "glue/sst2", IRIS) == sst2
    validation = res("dataset/sst-2/split/validation")
    common_voice = VOCAB.find("datasets", "mozilla-foundation/common_voice_11_0", IRIS)
    assert common_voice is not None
    cv_test = NamedNode(common_voice.value + "/split/de%2Ftest")
    reviews_test = res("dataset/huggingface/acme/reviews/split/test")
    assert evaluation_facts(record) == {
        (res("metric/accuracy"), 0.935, validation),
        (res("metric/f1"), 0.931, validation),
        (res("metric/matthews-correlation"), 0.71, validation),
        (res("metric/wer"), 0.125, cv_test),
        (res("metric/my-score"), 3.5, reviews_test),
    }
    assert objects(record, validation, RDF.type) == {MLKG.DatasetSplit}
    assert values(record, validation, MLKG.splitName) == {"validation"}
    assert objects(record, validation, DCTERMS.isPartOf) == {sst2}
    assert values(record, cv_test, MLKG.splitName) == {"test"}
    assert objects(record, cv_test, DCTERMS.isPartOf) == {common_voice}
    assert objects(record, MODEL, MLKG.task) == {
        res("task/text-classification"), res("task/automatic-speech-recognition"),
    }  # fmt: skip
    metric = res("metric/my-score")
    assert objects(record, metric, RDF.type) == {MLKG.Metric}
    assert values(record, metric, RDFS.label) == {"My Score"}
    assert values(record, metric, SKOS.notation) == {"my_score"}
    assert record.warnings == []


def evaluation_with(record: MappedRecord, metric: NamedNode) -> NamedNode:
    (node,) = [e for e in evaluations(record) if objects(record, e, MLKG.metric) == {metric}]
    return node


def test_evaluation_node_facts():
    record = run(card(MODEL_INDEX))
    accuracy = evaluation_with(record, res("metric/accuracy"))
    assert accuracy.value.startswith(MODEL.value + "/evaluation/")
    assert objects(record, accuracy, MLKG.evaluatedModel) == {MODEL}
    assert objects(record, accuracy, MLKG.value) == {double(0.935)}
    assert objects(record, accuracy, MLKG.verified) == {TRUE}
    assert objects(record, accuracy, MLKG.rawValue) == set()  # a YAML number has no text
    assert objects(record, accuracy, MLKG.percentNormalised) == set()
    assert objects(record, accuracy, DCTERMS.source) == {NamedNode("https://example.org/board")}
    assert values(record, accuracy, RDFS.label) == {"Accuracy on GLUE SST-2 sst2 validation"}


def test_percent_strings_are_normalised_and_marked():
    record = run(card(MODEL_INDEX))
    f1 = evaluation_with(record, res("metric/f1"))
    assert objects(record, f1, MLKG.value) == {double(0.931)}
    assert objects(record, f1, MLKG.percentNormalised) == {TRUE}
    assert values(record, f1, MLKG.rawValue) == {"93.1%"}
    wer = evaluation_with(record, res("metric/wer"))
    assert values(record, wer, MLKG.rawValue) == {"12.5 %"}
    assert objects(record, wer, MLKG.percentNormalised) == {TRUE}


def test_value_with_spread():
    record = run(card(MODEL_INDEX))
    mcc = evaluation_with(record, res("metric/matthews-correlation"))
    assert objects(record, mcc, MLKG.value) == {double(0.71)}
    assert objects(record, mcc, MLKG.valueSpread) == {double(0.02)}
    assert values(record, mcc, MLKG.rawValue) == {"0.71 +/- 0.02"}


@pytest.mark.parametrize(
    ("written", "value", "spread", "percent"),
    [
        ("7.56 +/- 2.71", 7.56, 2.71, False),
        ("-16.00 +/- 0.00", -16.0, 0.0, False),
        ("93.5%", 0.935, None, True),
        ("93.5 %", 0.935, None, True),
        ("91.2 ± 0.4 %", 0.912, 0.004, True),
        ("1e-3", 0.001, None, False),
        (42, 42.0, None, False),
    ],
)
def test_parse_measurement(written, value, spread, percent):
    measured = parse_measurement(written)
    assert measured is not None
    assert math.isclose(measured.value, value)
    assert (measured.spread is None) == (spread is None)
    if spread is not None:
        assert math.isclose(measured.spread, spread)
    assert measured.percent == percent


@pytest.mark.parametrize(
    "written", ["NA", "nan +/- nan", "97.5)", "to recompute", True, None, [1], {"v": 1}, math.inf]
)
def test_unusable_measurements(written):
    assert parse_measurement(written) is None


def test_bare_percent_for_a_ratio_metric_is_read_as_a_percent_with_a_warning():
    front = """
model-index:
- name: m
  results:
  - dataset: {type: imdb, name: IMDB}
    metrics:
    - {type: accuracy, value: 93.5}
    - {type: bleu, value: 27.1}
"""
    record = run(card(front))
    assert evaluation_facts(record) == {
        (res("metric/accuracy"), 0.935, res("dataset/imdb")),
        (res("metric/bleu"), 27.1, res("dataset/imdb")),
    }
    assert len(record.warnings) == 1  # BLEU is on a 0-100 scale: no warning
    assert warned(record, "93.5 is above 1 for a ratio metric and has no % sign; read as a percent")
    accuracy = evaluation_with(record, res("metric/accuracy"))
    assert objects(record, accuracy, MLKG.percentNormalised) == {TRUE}
    assert values(record, accuracy, MLKG.rawValue) == {"93.5"}


def test_one_bad_metric_is_dropped_not_the_model_index():
    front = """
model-index:
- name: m
  results:
  - task: {type: text-classification}
    dataset: {type: imdb, name: IMDB, split: test}
    metrics:
    - {type: accuracy, value: NA}
    - {type: f1, value: [0.1, 0.2]}
    - {name: no type nor value}
    - not a mapping
    - {type: precision, value: 0.8, verified: maybe}
    - {type: recall, value: 0.7}
  - task: {type: text-classification}
    metrics:
    - {type: accuracy, value: 0.5}
  - results are not strings
"""
    record = run(card(front))
    test = res("dataset/imdb/split/test")
    assert evaluation_facts(record) == {
        (res("metric/precision"), 0.8, test),
        (res("metric/recall"), 0.7, test),
    }
    for fragment in (
        "value 'NA' is not a number",
        "value [0.1, 0.2] is not a number",
        "value None is not a number",
        "metric 4 is a str",
        "verified 'maybe' is not true/false",
        "result 2 names no dataset; its 1 metric(s) were dropped",
        "result 3 is a str",
    ):
        assert warned(record, fragment), (fragment, record.warnings)


@pytest.mark.parametrize(
    ("front", "fragment"),
    [
        ("model_index:\n- name: m\n  results:\n  - dataset: {type: imdb}\n    metrics:\n"
         "    - {type: accuracy, value: 0.9}", "'model_index' read as 'model-index'"),
        ("model-index:\n  name: m\n  results:\n  - dataset: {type: imdb}\n    metrics:\n"
         "    - {type: accuracy, value: 0.9}", "model-index is a mapping"),
    ],
)  # fmt: skip
def test_model_index_misspelt_or_a_mapping(front, fragment):
    record = run(card(front))
    assert evaluation_facts(record) == {(res("metric/accuracy"), 0.9, res("dataset/imdb"))}
    assert warned(record, fragment)


@pytest.mark.parametrize("value", ["'just text'", "42", "[1, 2, 3]", "{name: m, results: 7}"])
def test_malformed_model_index_never_fails_the_record(value):
    record = run(card(f"license: mit\nmodel-index: {value}"))
    assert record.error is None and evaluations(record) == []
    assert objects(record, MODEL, DCTERMS.license)  # the rest of the card is kept


def test_corrupted_api_model_index(shared_dir):
    path = next((shared_dir / "zoo-snapshots/huggingface/api-responses").rglob("*corrupted*"))
    info = json.loads(path.read_text())
    record = run(info=info, repo_id=info["id"])
    assert record.error is None and evaluations(record) == []
    assert warned(record, "model-index is a mapping")
    assert values(record, record.subject, MLKG.modelType) == {"wav2vec2"}


def test_repeated_metrics_get_distinct_evaluations():
    front = """
model-index:
- name: m
  results:
  - dataset: {type: conll2003, split: test}
    metrics:
    - {type: f1, value: 0.91}
    - {type: f1, value: 0.92}
"""
    record = run(card(front))
    assert len(evaluations(record)) == 2
    assert {float(next(iter(objects(record, e, MLKG.value))).value) for e in evaluations(record)}
    assert not warned(record, "")


def test_dataset_named_only_by_a_display_name():
    front = """
model-index:
- name: m
  results:
  - dataset: {type: unknown, name: MT Bench}
    metrics:
    - {type: unknown, name: score, value: 7.34}
"""
    record = run(card(front))
    node = res("dataset/huggingface/mt-bench")
    assert evaluation_facts(record) == {(res("metric/score"), 7.34, node)}
    assert values(record, node, RDFS.label) == {"MT Bench"}
    assert objects(record, node, SCHEMA.url) == set()


def test_configuration_named_like_the_dataset_is_no_subset():
    front = """
model-index:
- name: m
  results:
  - dataset: {type: squad_v2, config: squad_v2, split: validation}
    metrics:
    - {type: exact_match, value: 79.9}
"""
    record = run(card(front))
    (fact,) = evaluation_facts(record)
    assert fact[2] == res("dataset/squad-2-0/split/validation")


def test_eval_results_files():
    files = {
        ".eval_results/gpqa.yaml": """
- dataset: {id: Idavidrein/gpqa, task_id: gpqa_diamond}
  value: 0.412
  date: "2025-01-15"
  source: {url: https://example.org/logs, name: Logs}
  notes: no-tools
- dataset: {id: Idavidrein/gpqa}
  value: 0.3
""",
        ".eval_results/broken.yaml": "- dataset: [unclosed",
        ".eval_results/other.yaml": "just: a mapping\nvalue: NaN-ish",
    }
    record = run(eval_results=files)
    metric = res("metric/idavidrein-gpqa-gpqa-diamond")
    dataset = res("dataset/huggingface/Idavidrein/gpqa")
    assert evaluation_facts(record) == {(metric, 0.412, dataset)}
    assert objects(record, metric, RDF.type) == {MLKG.Metric}
    assert values(record, metric, RDFS.label) == {"gpqa_diamond score (Idavidrein/gpqa)"}
    (node,) = evaluations(record)
    assert objects(record, node, DCTERMS.date) == {
        Literal("2025-01-15T00:00:00Z", datatype=XSD.dateTime)
    }
    assert values(record, node, DCTERMS.description) == {"no-tools"}
    assert objects(record, node, DCTERMS.source) == {NamedNode("https://example.org/logs")}
    assert warned(record, "needs dataset.id and dataset.task_id")
    assert warned(record, "broken.yaml' is not valid YAML (line 2, column 1")
    assert warned(record, "other.yaml' entry 1")


def test_huge_model_index_is_capped():
    metrics = [{"type": "accuracy", "value": i / 10_000} for i in range(MAX_EVALUATIONS + 500)]
    index = [{"name": "m", "results": [{"dataset": {"type": "imdb"}, "metrics": metrics}]}]
    record = run(info={"id": "acme/model", "model-index": index})
    assert len(evaluations(record)) == MAX_EVALUATIONS
    assert warned(record, f"more than {MAX_EVALUATIONS} evaluations")
    junk = [{"type": "accuracy", "value": "NA"}] * 100_000
    index = [{"name": "m", "results": [{"dataset": {"type": "imdb"}, "metrics": junk}]}]
    bounded = run(info={"id": "acme/model", "model-index": index})
    assert evaluations(bounded) == [] and len(bounded.warnings) <= 4 * MAX_EVALUATIONS + 1


# -- datasets --------------------------------------------------------------------------------


DATASET_CARD = """---
pretty_name: Acme Reviews
license: cc-by-4.0
language: [en, de]
task_categories: [text-classification, brand-new-task]
task_ids: [sentiment-classification]
size_categories: [10K<n<100K]
configs:
- config_name: default
  data_files:
  - split: train
    path: data/train.csv
  - split: dev
    path: data/dev.csv
dataset_info:
- config_name: default
  splits:
  - {name: train, num_examples: 9000}
  - {name: test, num_examples: 1000}
- config_name: small
  splits:
  - {name: train, num_examples: 500}
---

# Acme reviews

Reviews of invented products.
"""


def test_dataset_repository_card():
    record = run(DATASET_CARD, kind="dataset", repo_id="acme/reviews")
    node = res("dataset/huggingface/acme/reviews")
    assert record.error is None and record.subject == node and record.topics == [node]
    assert record.graph == res("graph/huggingface/datasets/acme/reviews")
    assert objects(record, node, RDF.type) == {MLKG.Dataset}
    assert values(record, node, DCTERMS.identifier) == {"acme/reviews"}
    assert values(record, node, DCTERMS["title"]) == {"Acme Reviews"}
    assert values(record, node, DCTERMS.description) == {"Reviews of invented products."}
    assert objects(record, node, SCHEMA.url) == {
        NamedNode("https://huggingface.co/datasets/acme/reviews")
    }
    assert objects(record, node, DCTERMS.license) == {
        NamedNode("http://spdx.org/licenses/CC-BY-4.0")
    }
    assert values(record, node, MLKG.language) == {"en", "de"}
    new_task = res("task/brand-new-task")
    themes = objects(record, node, DCAT.theme)
    assert {res("task/text-classification"), new_task} <= themes
    assert objects(record, new_task, RDF.type) == {MLKG.Task}
    assert {"size_categories:10K<n<100K", "task_ids:sentiment-classification"} <= values(
        record, node, MLKG.tag
    )
    splits = subjects(record, DCTERMS.isPartOf, node)
    assert splits == {
        res("dataset/huggingface/acme/reviews/split/train"),
        res("dataset/huggingface/acme/reviews/split/test"),
        res("dataset/huggingface/acme/reviews/split/dev"),
        res("dataset/huggingface/acme/reviews/split/small%2Ftrain"),
    }
    small = res("dataset/huggingface/acme/reviews/split/small%2Ftrain")
    assert values(record, small, MLKG.splitName) == {"train"}
    assert objects(record, small, MLKG.exampleCount) == {integer(500)}
    train = res("dataset/huggingface/acme/reviews/split/train")
    assert objects(record, train, MLKG.exampleCount) == {integer(9000)}
    dev = res("dataset/huggingface/acme/reviews/split/dev")
    assert objects(record, dev, MLKG.exampleCount) == set()


def test_dataset_repository_known_to_the_vocabulary_is_an_exact_match():
    record = run("---\nlicense: mit\n---\n", kind="dataset", repo_id="nyu-mll/glue")
    node = res("dataset/huggingface/nyu-mll/glue")
    assert record.subject == node
    assert objects(record, node, SKOS.exactMatch) == {res("dataset/glue")}


def test_dataset_licence_file_link_points_to_the_dataset_repository():
    front = "license: other\nlicense_name: acme-data-1\nlicense_link: LICENSE"
    record = run(card(front), kind="dataset", repo_id="acme/d")
    assert objects(record, res("license/acme-data-1"), SCHEMA.url) == {
        NamedNode("https://huggingface.co/datasets/acme/d/blob/main/LICENSE")
    }


def test_dataset_facts_from_the_api_tags():
    info = {"id": "acme/d", "tags": ["task_categories:translation", "language:fr", "license:mit"]}
    record = run(None, info=info, kind="dataset", repo_id="acme/d")
    node = res("dataset/huggingface/acme/d")
    assert objects(record, node, DCAT.theme) == {res("task/translation")}
    assert values(record, node, MLKG.language) == {"fr"}
    assert objects(record, node, DCTERMS.license) == {NamedNode("http://spdx.org/licenses/MIT")}


# -- record status ---------------------------------------------------------------------------


def test_gated_without_content_is_still_a_model():
    record = run(status="gated", status_detail="401: accept the conditions")
    assert record.error is None and record.subject == MODEL
    assert objects(record, MODEL, MLKG.gated) == {TRUE}
    assert values(record, MODEL, DCTERMS.identifier) == {"acme/model"}
    assert warned(record, "gated repository: only its id is known (401: accept the conditions)")


def test_gated_status_wins_over_a_listing_that_says_not_gated():
    record = run(status="gated", info={"id": "acme/model", "gated": False, "downloads": 5})
    assert objects(record, MODEL, MLKG.gated) == {TRUE}
    assert not warned(record, "only its id is known")


def test_private_is_mapped_with_a_warning():
    record = run(status="private", status_detail="401")
    assert record.error is None and warned(record, "private repository")


@pytest.mark.parametrize(
    ("status", "fragment"),
    [("missing", "repository not found on the Hub (404)"), ("error", "could not fetch")],
)
def test_missing_and_error_records_are_quarantined(status, fragment):
    record = run(status=status, status_detail="404")
    assert record.error is not None and fragment in record.error


def test_unknown_status_is_read_as_ok():
    record = run(card("license: mit"), status="sleeping")
    assert record.error is None and warned(record, "unknown status 'sleeping'")


# -- the card body ---------------------------------------------------------------------------


def test_description_is_the_first_prose_paragraph():
    body = """
<!-- generated automatically -->
# acme/model

[![badge](https://img.shields.io/x.svg)](https://ci)

![logo](logo.png)

- a list item
| a | table |

```python
print("code")
```

This model does **things** with [data](https://x.org). It was trained
on a second line.

Another paragraph.
"""
    record = run(card("license: mit", body))
    assert values(record, MODEL, DCTERMS.description) == {
        "This model does **things** with data. It was trained on a second line."
    }
    assert values(record, MODEL, DCTERMS["title"]) == set()  # the heading is the id


def test_title_and_capped_description():
    record = run(card("license: mit", "# Acme Model v2\n\n" + "word " * 2000))
    assert values(record, MODEL, DCTERMS["title"]) == {"Acme Model v2"}
    (text,) = values(record, MODEL, DCTERMS.description)
    assert 1990 <= len(text) <= 2000


def test_script_tags_are_kept_as_inert_text():
    body = 'A model <script>alert("x")</script> that <b>talks</b>.'
    record = run(card("license: mit", body))
    (literal,) = objects(record, MODEL, DCTERMS.description)
    assert literal == Literal(body)  # text, escaped on output; never interpreted or dropped


def test_control_characters_are_stripped_from_text():
    record = run(card('tags: ["a\\x00b\\x07c"]', "Hello\x01 world."))
    assert "abc" in values(record, MODEL, MLKG.tag)
    assert values(record, MODEL, DCTERMS.description) == {"Hello world."}


def test_windows_line_breaks():
    record = run("---\r\nlicense: mit\r\nlanguage: eo\r\n---\r\n\r\n# T\r\n\r\nHi there.\r\n")
    assert values(record, MODEL, MLKG.language) == {"eo"}
    assert values(record, MODEL, DCTERMS.description) == {"Hi there."}


# -- bad input -------------------------------------------------------------------------------


def test_malformed_yaml_is_reported_with_line_and_column_and_the_body_is_kept():
    text = "---\nlicense: mit\ntags: [unclosed\nlanguage: en\n---\n\nA described model.\n"
    record = run(text)
    assert record.error is None
    # the parser notices the unclosed list on the next line: line 4 of the card, column 9
    assert warned(record, "front matter is not valid YAML (line 4, column 9")
    assert values(record, MODEL, DCTERMS.description) == {"A described model."}
    assert objects(record, MODEL, DCTERMS.license) == set()


@pytest.mark.parametrize(("front", "kind"), [("[]", "list"), ("just a string", "str")])
def test_front_matter_that_is_not_a_mapping(front, kind):
    record = run(f"---\n{front}\n---\nBody text here.")
    assert warned(record, f"front matter is a YAML {kind}, not a mapping")
    assert values(record, MODEL, DCTERMS.description) == {"Body text here."}


def test_huggingface_hub_card_fixtures(shared_dir, validator):
    folder = shared_dir / "zoo-snapshots/huggingface/huggingface_hub/tests/fixtures/cards"
    records = [
        map_record(raw(path.read_text(encoding="utf-8"), repo_id=f"fixtures/{path.stem}"), IRIS)
        for path in sorted(folder.glob("*.md"))
    ]
    assert len(records) >= 9 and all(r.error is None for r in records)
    by_name = {r.record_id.rsplit("/", 1)[-1]: r for r in records}
    assert warned(by_name["sample_invalid_card_data"], "front matter is a YAML list")
    invalid = by_name["sample_invalid_model_index"]
    assert evaluations(invalid) == [] and warned(invalid, "names no dataset")
    assert len(evaluations(by_name["sample_simple_model_index"])) == 2
    accepted(validator, *records)


def test_the_card_specs_themselves(shared_dir, validator):
    """hub-docs' modelcard.md and datasetcard.md are all placeholders ({lang_0}, {license}...)."""
    docs = shared_dir / "zoo-snapshots/huggingface/hub-docs"
    model = run((docs / "modelcard.md").read_text(encoding="utf-8"))
    dataset = run((docs / "datasetcard.md").read_text(encoding="utf-8"), kind="dataset")
    assert model.error is None and dataset.error is None
    assert model.warnings and dataset.warnings
    accepted(validator, model, dataset)


def test_binary_and_oversized_cards(validator):
    binary = run(None, flags=("binary",), info={"id": "acme/model", "downloads": 3})
    assert binary.error is None and warned(binary, "binary file")
    assert objects(binary, MODEL, MLKG.downloads) == {integer(3)}
    nul = run("---\nlicense: mit\n---\n\x00\x00 PNG")
    assert warned(nul, "NUL characters") and objects(nul, MODEL, DCTERMS.license) == set()
    large = "---\nlicense: mit\n---\n" + ("A long line of text. " * 50 + "\n\n") * 5000
    assert len(large) > 5_000_000
    big = run(large, flags=("too-large",))
    assert objects(big, MODEL, DCTERMS.license) == {NamedNode("http://spdx.org/licenses/MIT")}
    assert warned(big, "only the first") and warned(big, "over the crawler's size limit")
    accepted(validator, binary, nul, big)


def test_crawl_flags_on_other_files_are_reported():
    record = run(card("license: mit"), flags=("config-invalid", "eval-results-binary"))
    assert warned(record, "config-invalid") and warned(record, "eval-results-binary")


def test_wrong_types_everywhere(validator):
    info = {
        "id": "acme/model",
        "author": ["acme"],
        "sha": {"x": 1},
        "createdAt": 12,
        "lastModified": "yesterday",
        "downloads": "-5",
        "likes": 1.5,
        "tags": {"a": 1},
        "siblings": "model.safetensors",
        "safetensors": [1],
        "pipeline_tag": 7,
        "library_name": ["a", "b"],
        "cardData": [],
        "gated": "sometimes",
        "model-index": "none",
    }
    front = """
license: {name: mit}
language: 5
datasets: {a: b}
tags: mixed
base_model: 12
model-index: [null, 3, {results: {dataset: 5, metrics: 3}}]
pipeline_tag: [[nested]]
"""
    record = run(card(front), info=info, config=["not", "a", "dict"], eval_results=[1])
    assert record.error is None
    assert record.subject == MODEL and values(record, MODEL, DCTERMS.identifier) == {"acme/model"}
    assert objects(record, MODEL, MLKG.downloads) == set()
    assert len(record.warnings) >= 10
    accepted(validator, record)


@pytest.mark.parametrize(
    "data",
    [None, "text", [1, 2], 42],
)
def test_raw_data_that_is_not_an_object(data):
    record = map_record(RawRecord("huggingface", "models/acme/x", data), IRIS)  # type: ignore[arg-type]
    assert record.error is not None and "not an object" in record.error


def test_ids_that_cannot_name_a_resource():
    record = run(card("license: mit"), repo_id="bad//id")
    assert record.error is not None and "cannot name a resource" in record.error
    odd = map_record(RawRecord("huggingface", "models/a\x00b", {"kind": "model"}), IRIS)
    assert odd.error is not None and odd.graph.value.startswith(IRIS.base + "graph/huggingface/")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=25,
)
CARD_KEYS = [
    "license", "licence", "license_name", "license_link", "language", "languages", "tags",
    "datasets", "dataset", "base_model", "base_model_relation", "new_version", "pipeline_tag",
    "pipeline-tag", "library_name", "model-index", "model_index", "task_categories",
    "dataset_info", "configs", "pretty_name", "size_categories",
]  # fmt: skip
FIELDS = st.dictionaries(st.sampled_from(CARD_KEYS), JSON, max_size=8)


def _front(fields: dict[str, Any]) -> str:
    try:
        return yaml.safe_dump(fields, allow_unicode=True)
    except yaml.YAMLError:
        return "{}"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fields=FIELDS,
    body=st.text(max_size=300),
    info=JSON | st.dictionaries(st.sampled_from([*CARD_KEYS, *API]), JSON, max_size=8),
    config=JSON,
    eval_results=JSON,
    kind=st.sampled_from(["model", "dataset", "space", None]),
    status=st.sampled_from(["ok", "gated", "private", "missing", "error", "odd"]),
)
def test_no_json_or_yaml_value_crashes_the_mapper(
    fields, body, info, config, eval_results, kind, status
):
    for text in (f"---\n{_front(fields)}---\n{body}", body):
        data = {
            "kind": kind,
            "repo_id": "acme/model",
            "info": info,
            "card": text,
            "config": config,
            "eval_results": eval_results,
            "status": status,
        }
        record = map_record(RawRecord("huggingface", "models/acme/model", data), IRIS)
        assert record.error is None or not record.error.startswith("internal"), record.error
        assert all(isinstance(w, str) for w in record.warnings)


# -- the sample zoo --------------------------------------------------------------------------


def sample_records() -> list[RawRecord]:
    """The sample folder read here (not with the crawler): README, config, eval results, API."""
    records = []
    for readme in sorted(SAMPLE.rglob("README.md")):
        parts = readme.parent.relative_to(SAMPLE).parts
        if not parts:
            continue  # the sample's own README
        kind = "dataset" if parts[0] == "datasets" else "model"
        repo_id = "/".join(parts[1:] if kind == "dataset" else parts)
        folder = readme.parent
        info_path = folder.parent / f"{folder.name}.json"
        config_path = folder / "config.json"
        evals = {
            f".eval_results/{p.name}": p.read_text(encoding="utf-8")
            for p in sorted((folder / ".eval_results").glob("*.yaml"))
        }
        data = {
            "kind": kind,
            "repo_id": repo_id,
            "info": json.loads(info_path.read_text()) if info_path.exists() else None,
            "card": readme.read_text(encoding="utf-8"),
            "config": json.loads(config_path.read_text()) if config_path.exists() else None,
            "eval_results": evals or None,
            "status": "ok",
            "flags": [],
        }
        records.append(RawRecord("huggingface", f"{kind}s/{repo_id}", data))
    return records


@pytest.fixture(scope="module")
def sample() -> dict[str, MappedRecord]:
    return {r.id: map_record(r, IRIS) for r in sample_records()}


def test_sample_zoo_is_complete_and_every_record_is_accepted(sample, validator):
    assert len([r for r in sample if r.startswith("models/")]) >= 10
    assert len([r for r in sample if r.startswith("datasets/")]) == 2
    accepted(validator, *sample.values())


def test_sample_zoo_lineage(sample):
    base = res("model/huggingface/nimbus-ai/nimbus-7b")
    expected = {
        "models/fernleaf/nimbus-7b-sentiment": (MLKG.fineTunedFrom, {base}),
        "models/fernleaf/nimbus-7b-sentiment-lora": (MLKG.adapterOf, {base}),
        "models/quantfox/nimbus-7b-GGUF": (MLKG.quantizedFrom, {base}),
        "models/mergecraft/nimbus-fern-merge": (
            MLKG.mergedFrom,
            {base, res("model/huggingface/fernleaf/nimbus-7b-sentiment")},
        ),
        "models/oldcards/tiny-bert-ner": (
            MLKG.fineTunedFrom,
            {res("model/huggingface/nimbus-ai/nimbus-tiny")},
        ),
    }
    for record_id, (predicate, targets) in expected.items():
        record = sample[record_id]
        assert objects(record, record.subject, predicate) == targets, record_id


def test_sample_zoo_facts(sample):
    fine = sample["models/fernleaf/nimbus-7b-sentiment"]
    assert evaluation_facts(fine) == {
        (res("metric/accuracy"), 0.935, res("dataset/sst-2/split/validation")),
        (res("metric/f1"), 0.931, res("dataset/sst-2/split/validation")),
        (res("metric/accuracy"), 0.88, res("dataset/huggingface/fernleaf/reviews-2k/split/test")),
    }
    assert settings_of(fine, fine.subject)["learning_rate"] == (double(2e-05), "2e-05")
    assert objects(fine, fine.subject, MLKG.predicts) == {
        res("label/glue/negative"), res("label/glue/positive"),
    }  # fmt: skip
    lumen = sample["models/lumen-vision/lumenet-coco"]
    assert res("label/coco/person") in objects(lumen, lumen.subject, MLKG.predicts)
    assert len(objects(lumen, lumen.subject, MLKG.predicts)) == 8
    (description,) = values(lumen, lumen.subject, DCTERMS.description)
    assert '<script>alert("card text is data, not code")</script>' in description
    gated = sample["models/tidewater/guarded-llm"]
    assert objects(gated, gated.subject, MLKG.gated) == {TRUE}
    bright = sample["models/brightline/brightline-summarizer"]
    licence = res("license/brightline-research-1-0")
    assert objects(bright, bright.subject, DCTERMS.license) == {licence}
    assert objects(bright, licence, SCHEMA.url) == {
        NamedNode("https://huggingface.co/brightline/brightline-summarizer/blob/main/LICENSE.md")
    }
    messy = sample["models/messy-lab/speech-wer-dirty"]
    assert len(evaluations(messy)) == 2 and len(messy.warnings) >= 6
    rl = sample["models/gymbot/ppo-LunarLander-v2"]
    (evaluation,) = evaluations(rl)
    assert objects(rl, evaluation, MLKG.value) == {double(245.3)}
    assert objects(rl, evaluation, MLKG.valueSpread) == {double(18.21)}
    base = sample["models/nimbus-ai/nimbus-7b"]
    assert objects(base, base.subject, MLKG.parameterCount) == {integer(7241732096)}
    assert len(evaluations(base)) == 2  # from .eval_results
    corpus = sample["datasets/nimbus-ai/nimbus-web-corpus"]
    train = res("dataset/huggingface/nimbus-ai/nimbus-web-corpus/split/train")
    assert objects(corpus, train, MLKG.exampleCount) == {integer(4200000)}


def test_sample_zoo_through_the_real_offline_crawl(validator):
    """The fetcher reads the same folder into the same records (its layout is the contract)."""
    from crawlers.huggingface.fetch import crawl

    with tempfile.TemporaryDirectory() as cache:
        records = list(crawl(str(SAMPLE), cache_dir=Path(cache), kind="all"))
    ours = {r.id: r.data for r in sample_records()}
    assert {r.id for r in records} == set(ours)
    for record in records:
        for key in ("kind", "repo_id", "card", "config", "info", "eval_results"):
            assert record.data[key] == ours[record.id][key], (record.id, key)
    accepted(validator, *(map_record(r, IRIS) for r in records))


# -- the real card corpus and API responses (../shared) --------------------------------------


CARDS = "zoo-snapshots/huggingface/model-cards-cs577/project/model_cards"
# huggingface_hub's REGEX_YAML_BLOCK (repocard.py): blank lines may precede the opening ---
_FRONT = re.compile(r"^(\s*---[\r\n]+)([\S\s]*?)([\r\n]+---(\r\n|\n|$))")
_NUMBER = re.compile(
    r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*%?\s*((\+/-|±)\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*%?)?\s*"
)


def card_repo_id(file_name: str) -> str:
    """``org_name_README.md`` → ``org/name`` (Hub namespaces have no ``_``)."""
    stem = file_name.removesuffix("_README.md")
    namespace, sep, name = stem.partition("_")
    return f"{namespace}/{name}" if sep else stem


def independent_front(text: str) -> dict[str, Any]:
    """The card's front matter by the spec's regex and ``yaml.safe_load`` (tabs retried)."""
    text = text.replace("\r\n", "\n")
    match = _FRONT.match(text)
    if match is None:
        return {}
    for attempt in (match.group(2), match.group(2).replace("\t", "  ")):
        try:
            value = yaml.safe_load(attempt)
        except yaml.YAMLError:
            continue
        return value if isinstance(value, dict) else {}
    return {}


def independent_body(text: str) -> str:
    text = text.replace("\r\n", "\n")
    match = _FRONT.match(text)
    return text[match.end() :] if match else text


@dataclass
class Corpus:
    cards: dict[str, str]
    fronts: dict[str, dict[str, Any]]
    records: list[MappedRecord]
    verdicts: list[Verdict]
    store: Store

    def query(self, sparql: str) -> list:
        return list(self.store.query(sparql_prologue() + sparql, use_default_graph_as_union=True))


@pytest.fixture(scope="module")
def corpus(shared_dir: Path, validator: Validator) -> Corpus:
    cards = {
        card_repo_id(path.name): path.read_text(encoding="utf-8", errors="replace")
        for path in sorted((shared_dir / CARDS).glob("*/*_README.md"))
    }
    raws = [raw(text, repo_id=repo_id) for repo_id, text in cards.items()]
    records = [map_record(r, IRIS) for r in raws]
    verdicts = validator.validate(records)
    store = Store()
    background = NamedNode("urn:x-test:background")
    for path in ontology_files():
        triples = parse(path=path, format=RdfFormat.TURTLE)
        store.extend(Quad(t.subject, t.predicate, t.object, background) for t in triples)
    store.extend(q for v in verdicts if v.accepted for q in v.record.quads())
    fronts = {repo_id: independent_front(text) for repo_id, text in cards.items()}
    return Corpus(cards, fronts, records, verdicts, store)


def test_corpus_every_card_maps_without_an_exception(corpus):
    assert len(corpus.records) == len(corpus.cards) > 4700
    internal = [r.record_id for r in corpus.records if r.error and "internal" in r.error]
    assert internal == []


def test_corpus_validation_quarantine_count_and_reasons(corpus):
    quarantined = [v for v in corpus.verdicts if not v.accepted]
    reasons = Counter(
        (v.record.error or next(x.message for x in v.violations if x.severity == "Violation"))[:90]
        for v in quarantined
    )
    print(
        f"\ncorpus: {len(corpus.verdicts)} records, {len(corpus.verdicts) - len(quarantined)} "
        f"accepted, {len(quarantined)} quarantined; top reasons: {reasons.most_common(5)}"
    )
    assert len(quarantined) / len(corpus.verdicts) < 0.01


def test_corpus_coverage(corpus):
    """The share of models with each fact (the ``mlkg stats`` coverage patterns)."""
    models = {r.subject for r in corpus.records}
    shares = {}
    for name, pattern in COVERAGE_PATTERNS.items():
        having = {row["m"] for row in corpus.query(f"SELECT DISTINCT ?m WHERE {{ {pattern} }}")}
        shares[name] = len(having & models) / len(models)
    print("\ncoverage: " + ", ".join(f"{k} {v:.1%}" for k, v in shares.items()))
    # the 2022 prototype: 18% with a training dataset, 11% with evaluations, 0% hyperparameters
    assert shares["training dataset"] > 0.18 and shares["evaluation"] > 0.11
    assert shares["hyperparameters"] > 0.3 and shares["lineage"] > 0.3
    assert shares["licence"] > 0.5 and shares["task"] > 0.5


def _model_index(front: dict[str, Any]) -> list:
    value = front.get("model-index")
    if value is None:
        value = front.get("model_index")
    if isinstance(value, dict):
        value = [value]
    return value if isinstance(value, list) else []


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return math.isfinite(value)
    return isinstance(value, str) and bool(_NUMBER.fullmatch(value))


def independent_results(front: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """(dataset type or name, metric type or name, config) of each metric with a number."""
    found = []
    for entry in _model_index(front):
        results = entry.get("results") if isinstance(entry, dict) else None
        for result in [results] if isinstance(results, dict) else results or []:
            if not isinstance(result, dict) or not isinstance(result.get("dataset"), dict):
                continue
            dataset = result["dataset"]
            metrics = result.get("metrics")
            for metric in [metrics] if isinstance(metrics, dict) else metrics or []:
                if isinstance(metric, dict) and _is_number(metric.get("value")):
                    kind = metric.get("type") or metric.get("name")
                    named = dataset.get("type")
                    if not named or str(named).lower() in {"none", "unknown"}:
                        named = dataset.get("name")
                    found.append((str(named), str(kind), dataset.get("config")))
    return found


NARROWER = "SELECT ?d WHERE { ?d skos:broader+ <%s> }"


@pytest.mark.parametrize(
    ("dataset", "metric"),
    [
        ("glue", "accuracy"),
        ("emotion", "accuracy"),
        ("conll2003", "f1"),
        ("imdb", "accuracy"),
        ("mozilla-foundation/common_voice_11_0", "wer"),
        ("LunarLander-v2", "mean_reward"),
        ("wmt16", "bleu"),
        ("xtreme", "f1"),
    ],
)
def test_corpus_cards_with_evaluations_on_a_dataset_and_metric(corpus, dataset, metric):
    node = VOCAB.find("datasets", dataset, IRIS) or res(f"dataset/huggingface/{dataset}")
    metric_node = VOCAB.find("metrics", metric, IRIS)
    narrower = {row["d"] for row in corpus.query(NARROWER % node.value)}
    expected = {
        repo_id
        for repo_id, front in corpus.fronts.items()
        for d_type, m_type, _ in independent_results(front)
        if (d_type == dataset or VOCAB.find("datasets", d_type, IRIS) in narrower | {node})
        and VOCAB.find("metrics", m_type, IRIS) == metric_node
    }
    rows = corpus.query(
        "SELECT DISTINCT ?id WHERE { ?e mlkg:evaluatedModel ?m ; "
        f"mlkg:metric <{metric_node.value}> ; mlkg:onDataset ?on . ?on dcterms:isPartOf? ?d . "
        f"?d skos:broader* <{node.value}> . ?m dcterms:identifier ?id }}"
    )
    found = {row["id"].value for row in rows}
    assert len(expected) >= 5
    assert found == expected


_LR_LINE = re.compile(r"^- learning[ _]rate\s*[:=]\s*(.+?)\s*$", re.M | re.I)
_LR_DICT = re.compile(r"^- optimizer: \{.*?'learning_rate': ([0-9.eE+-]+)[,}]", re.M)
_LR_TABLE = re.compile(r"^\|\s*Hyperparameters?\s*\|\s*Value\s*\|\s*\n(?:\|.*\n)*?"
                       r"\|\s*learning[ _]rate\s*\|\s*([^|]+?)\s*\|", re.M | re.I)  # fmt: skip


def independent_learning_rate(body: str) -> float | None:
    intro = body.find("The following hyperparameters were used during training")
    listed = _LR_LINE.search(body, intro) if intro >= 0 else None
    if listed is None and intro >= 0:
        listed = _LR_DICT.search(body, intro)
    found = listed or _LR_TABLE.search(body)
    try:
        return round(float(found.group(1)), 12) if found else None
    except ValueError:
        return None


def test_corpus_learning_rate_distribution(corpus):
    expected = Counter(
        lr
        for text in corpus.cards.values()
        if (lr := independent_learning_rate(independent_body(text))) is not None
    )
    rows = corpus.query(
        "SELECT ?m ?v WHERE { ?m prov:wasGeneratedBy/mlkg:configuration/mlkg:setting ?s . "
        "?s mlkg:hyperParameter <" + res("hyperparameter/learning_rate").value + "> ; "
        "mlkg:value ?v }"
    )
    found = Counter(round(float(row["v"].value), 12) for row in rows)
    print(f"\nlearning rates: {sum(found.values())} models, top {found.most_common(5)}")
    assert sum(expected.values()) > 1500
    assert found == expected


_SENTENCE = re.compile(
    r"fine-?tuned version of \[[^\]\n]*\]\(https?://huggingface\.co/([^)\s]+)\)", re.I
)
_ID = re.compile(r"[A-Za-z0-9_][\w.-]*(/[A-Za-z0-9_][\w.-]*)?")


def independent_lineage(repo_id: str, front: dict[str, Any], body: str) -> str | None:
    """The base model the Trainer's sentence names (no card in the corpus has base_model)."""
    assert front.get("base_model") is None
    match = _SENTENCE.search(body)
    if match is None:
        return None
    target = re.split(r"/(tree|blob|resolve|commit)/|[?#]", match.group(1))[0].strip("/")
    bad = target.lower() in {"none", "null"} or "--" in target or ".." in target
    if bad or target == repo_id or not _ID.fullmatch(target):
        return None
    return target


def test_corpus_lineage_links_per_relation(corpus):
    expected = Counter(
        "fineTunedFrom"
        for repo_id, text in corpus.cards.items()
        if independent_lineage(repo_id, corpus.fronts[repo_id], independent_body(text))
    )
    rows = corpus.query(
        "SELECT ?p (COUNT(*) AS ?n) WHERE { VALUES ?p { mlkg:fineTunedFrom mlkg:adapterOf "
        "mlkg:quantizedFrom mlkg:mergedFrom } ?m ?p ?b } GROUP BY ?p"
    )
    found = Counter({row["p"].value.rsplit("#", 1)[1]: int(row["n"].value) for row in rows})
    print(f"\nlineage links: {dict(found)}")
    assert expected["fineTunedFrom"] > 1500
    assert found == expected


def independent_licences(front: dict[str, Any]) -> set[str]:
    for key in ("license", "licence", "licenses"):
        value = front.get(key)
        if value is not None:
            items = value if isinstance(value, list) else [value]
            found = {VOCAB.find("licenses", str(item), IRIS) for item in items}
            return {iri.value for iri in found if iri is not None}
    return set()


def test_corpus_licences_per_spdx_id(corpus):
    expected = Counter(
        iri
        for front in corpus.fronts.values()
        for iri in independent_licences(front)
        if iri.startswith("http://spdx.org/licenses/")
    )
    rows = corpus.query(
        "SELECT ?l (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m a mlkg:Model ; dcterms:license ?l "
        'FILTER(STRSTARTS(STR(?l), "http://spdx.org/licenses/")) } GROUP BY ?l'
    )
    found = Counter({row["l"].value: int(row["n"].value) for row in rows})
    print(f"\nlicences: {found.most_common(6)}")
    assert expected["http://spdx.org/licenses/Apache-2.0"] > 1500
    assert found == expected


API_FILES = "zoo-snapshots/huggingface/api-responses/from-huggingface_hub-cassettes/models"


def api_record(shared_dir: Path, file_name: str, repo_id: str | None = None) -> tuple[dict, Any]:
    info = json.loads((shared_dir / API_FILES / file_name).read_text())
    return info, map_record(raw(info=info, repo_id=repo_id or info["id"]), IRIS)


def test_api_zephyr_exact_facts(shared_dir, validator):
    info, record = api_record(shared_dir, "HuggingFaceH4__zephyr-7b-beta__2025-03-21.json")
    model = res("model/huggingface/HuggingFaceH4/zephyr-7b-beta")
    assert record.subject == model
    assert objects(record, model, MLKG.parameterCount) == {integer(info["safetensors"]["total"])}
    datasets = {
        VOCAB.find("datasets", d, IRIS) or res(f"dataset/huggingface/{d}")
        for d in info["cardData"]["datasets"]
    }
    assert objects(record, model, MLKG.trainedOn) == datasets
    base = info["cardData"]["base_model"]
    assert objects(record, model, MLKG.fineTunedFrom) == {res(f"model/huggingface/{base}")}
    (arc,) = [
        r for r in info["model-index"][0]["results"]
        if r["dataset"]["name"].startswith("AI2 Reasoning Challenge")
    ]  # fmt: skip
    value = arc["metrics"][0]["value"]
    (node,) = [
        e for e in evaluations(record)
        if any("AI2 Reasoning Challenge" in v for v in values(record, e, RDFS.label))
    ]  # fmt: skip
    # the leaderboard writes accuracy in percent without a % sign: read as a percent
    assert value > 1
    assert objects(record, node, MLKG.value) == {double(round(value / 100, 12))}
    assert objects(record, node, MLKG.percentNormalised) == {TRUE}
    assert objects(record, node, MLKG.metric) == {res("metric/normalized-accuracy")}
    split = NamedNode(VOCAB.find("datasets", "ai2_arc", IRIS).value + "/split/ARC-Challenge%2Ftest")
    assert objects(record, node, MLKG.onDataset) == {split}
    accepted(validator, record)


@pytest.mark.parametrize(
    ("file_name", "datasets"),
    [
        ("google-bert__bert-base-uncased__2025-01-22.json", {"bookcorpus", "wikipedia"}),
        ("google__vit-base-patch16-224__2025-03-21.json", {"imagenet-ilsvrc-2012", "imagenet-21k"}),
        ("deepset__roberta-base-squad2__2025-01-22.json", {"squad-2-0"}),
    ],
)  # fmt: skip
def test_api_parameter_counts_and_datasets(shared_dir, file_name, datasets):
    info, record = api_record(shared_dir, file_name)
    assert objects(record, record.subject, MLKG.parameterCount) == {
        integer(info["safetensors"]["total"])
    }
    assert objects(record, record.subject, MLKG.trainedOn) == {
        res(f"dataset/{d}") for d in datasets
    }


def test_api_named_evaluation_values(shared_dir):
    name = "distilbert__distilbert-base-uncased-finetuned-sst-2-english__2025-03-21.json"
    info, record = api_record(shared_dir, name)
    result = info["model-index"][0]["results"][0]
    accuracy = next(m["value"] for m in result["metrics"] if m["type"] == "accuracy")
    split = res("dataset/sst-2/split/validation")
    assert (res("metric/accuracy"), accuracy, split) in evaluation_facts(record)
    (node,) = [
        e for e in evaluations(record)
        if objects(record, e, MLKG.onDataset) == {split}
        and objects(record, e, MLKG.metric) == {res("metric/accuracy")}
    ]  # fmt: skip
    assert objects(record, node, MLKG.verified) == {TRUE}
    _, squad = api_record(shared_dir, "deepset__roberta-base-squad2__2025-01-22.json")
    assert objects(squad, squad.subject, MLKG.fineTunedFrom) == {
        res("model/huggingface/FacebookAI/roberta-base")
    }
    # SQuAD exact match is written as a bare percent (79.9309): read as 0.799309
    assert (res("metric/exact-match"), 0.799309, res("dataset/squad-2-0/split/validation")) in (
        evaluation_facts(squad)
    )


def test_api_renamed_repository(shared_dir):
    _, record = api_record(
        shared_dir, "google-bert__bert-base-uncased__2025-01-22.json", "bert-base-uncased"
    )
    assert record.subject == res("model/huggingface/google-bert/bert-base-uncased")
    assert values(record, record.subject, MLKG.formerIdentifier) == {"bert-base-uncased"}


def test_every_api_response_maps_and_is_accepted(shared_dir, validator):
    paths = sorted((shared_dir / "zoo-snapshots/huggingface/api-responses").rglob("*.json"))
    records = []
    for path in paths:
        info = json.loads(path.read_text())
        if (
            isinstance(info, dict)
            and isinstance(info.get("id"), str)
            and "spaces" not in path.parts
        ):
            records.append(map_record(raw(info=info, repo_id=info["id"]), IRIS))
    assert len(records) > 50 and all(r.error is None for r in records)
    accepted(validator, *records)
