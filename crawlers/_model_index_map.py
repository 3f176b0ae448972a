"""Map timm's model-index pages, result-table rows and metadata rows onto mlkg (pure; the
decisions are in :mod:`crawlers.model_index`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import yaml
from pyoxigraph import NamedNode

from crawlers._timm_tags import (
    DATASET_TOKENS,
    RESULT_VARIANTS,
    param_millions,
    parse_measure,
    pretrain_token,
    split_name,
)
from mlkg.errors import InvalidIdError
from mlkg.iris import Iris, check_id, slug
from mlkg.namespaces import DCTERMS, MLKG, PROV, RDF, RDFS, SCHEMA, SKOS
from mlkg.rdf import boolean, double, integer, parse_number, text, typed_value, url
from mlkg.records import MappedRecord
from mlkg.vocabulary import Vocabulary

HUB = "timm"
DOCS = "https://huggingface.co/docs/timm/models/"
MAX_MODELS = 1_000
MAX_RESULTS = 200
MAX_YAML_CHARS = 1_000_000
MAX_DESCRIPTION = 2000
#: libyaml's safe loader when PyYAML was built with it (ten times faster), else the Python one.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BLOCK = re.compile(r"<!--\s*(Type:\s*model-index\b.*?)-->", re.S)
#: Metadata keys that are facts about the model, not training hyperparameters.
FACT_KEYS = frozenset(
    {
        "FLOPs", "Parameters", "File Size", "Architecture", "Tasks", "Training Data", "ID",
        "Crop Pct", "Image Size", "Interpolation", "Training Techniques", "Training Resources",
        "Training Time", "Layers",
    }
)  # fmt: skip
#: Metadata kept as ``mlkg:tag "key:value"`` (lists give one tag per item).
TAG_KEYS = {
    "Architecture": "architecture",
    "Training Techniques": "training-technique",
    "Training Resources": "training-resources",
    "Training Time": "training-time",
    "Crop Pct": "crop-pct",
    "Image Size": "image-size",
    "Interpolation": "interpolation",
    "Layers": "layers",
    "File Size": "file-size",
}
#: timm's hyperparameter names → the names the Hugging Face source uses for the same thing.
PARAMETER_NAMES = {"lr": "learning_rate", "epochs": "num_epochs", "batch_size": "train_batch_size"}
#: Result-table columns that are percent accuracies (``top1_err``/``top5_err`` are 100 − these).
PERCENT_COLUMNS = ("top1", "top5")


@dataclass
class TimmContext:
    out: MappedRecord
    iris: Iris
    vocab: Vocabulary
    hub: NamedNode


# -- shared -------------------------------------------------------------------------------


def model_node(c: TimmContext, name: str) -> NamedNode:
    """A timm model: ``model/timm/{name}`` with what every mention of it carries."""
    node = c.iris.model(HUB, check_id(name))
    c.out.add(node, RDF.type, MLKG.Model)
    c.out.add(node, DCTERMS.identifier, text(name))
    c.out.add(node, RDFS.label, text(name))
    c.out.add(node, MLKG.hub, c.hub)
    return node


def dataset(c: TimmContext, written: str) -> NamedNode | None:
    """The vocabulary's dataset, or a minted ``dataset/timm/{slug}`` with a stub."""
    found = c.vocab.find("datasets", written, c.iris)
    if found is not None:
        return found
    if not slug(written).strip("-") or slug(written) == "unnamed":
        c.out.warn(f"dataset {written[:60]!r} has no usable name; dropped")
        return None
    node = c.iris.dataset(slug(written), hub=HUB)
    c.out.add(node, RDF.type, MLKG.Dataset)
    c.out.add(node, RDFS.label, text(written))
    c.out.add(node, SKOS.notation, text(written))
    c.out.add(node, MLKG.hub, c.hub)
    return node


def metric(c: TimmContext, written: str) -> NamedNode:
    found = c.vocab.find("metrics", written, c.iris)
    if found is not None:
        return found
    node = c.iris.metric(slug(written))
    c.out.add(node, RDF.type, MLKG.Metric)
    c.out.add(node, DCTERMS.identifier, text(slug(written)))
    c.out.add(node, RDFS.label, text(written))
    return node


def training(c: TimmContext, model: NamedNode, datasets: list[NamedNode]) -> NamedNode | None:
    """The TrainingRun that used ``datasets`` (``None`` when there is nothing to say)."""
    datasets = list(dict.fromkeys(datasets))
    if not datasets:
        return None
    run = c.iris.training_run(model)
    c.out.topics.append(run)
    c.out.add(model, PROV.wasGeneratedBy, run)
    c.out.add(run, RDF.type, MLKG.TrainingRun)
    for node in datasets:
        c.out.add(model, MLKG.trainedOn, node)
        c.out.add(run, PROV.used, node)
    return run


def tag_datasets(c: TimmContext, name: str) -> list[NamedNode]:
    """The datasets a weight tag names (pre-training and fine-tuning), as vocabulary concepts."""
    parsed = split_name(name)
    if parsed is None or parsed.tag is None:
        return []
    c.out.add(c.iris.model(HUB, name), MLKG.tag, text(f"pretrained-tag:{parsed.tag}"))
    tokens = [*parsed.pretrained_on, *parsed.fine_tuned_on]
    found = [c.vocab.find("datasets", DATASET_TOKENS[t], c.iris) for t in tokens]
    return [node for node in found if node is not None]


def evaluation(
    c: TimmContext,
    model: NamedNode,
    on: NamedNode,
    measure: NamedNode,
    written: Any,
    key: tuple[str, ...],
    label: str,
    *,
    percent_column: bool = False,
) -> None:
    """One evaluation from a value as written; a value that is no fraction is a warning."""
    value, percent = parse_measure(written)
    if value is None:
        c.out.warn(f"{label}: {str(written)[:40]!r} is not a number; skipped")
        return
    if percent_column:
        value, percent = round(value / 100, 10), True
    elif not percent and value > 1:
        c.out.warn(f"{label}: {written!r} has no % sign but is over 1; read as percent")
        value, percent = round(value / 100, 10), True
    if not 0 <= value <= 1:
        c.out.warn(f"{label}: {written!r} is outside 0-100%; skipped")
        return
    node = c.iris.evaluation(model, *key)
    c.out.add(node, RDF.type, MLKG.Evaluation)
    c.out.add(node, MLKG.evaluatedModel, model)
    c.out.add(node, MLKG.metric, measure)
    c.out.add(node, MLKG.value, double(value))
    c.out.add(node, MLKG.rawValue, text(str(written)))
    c.out.add(node, MLKG.onDataset, on)
    c.out.add(node, RDFS.label, text(label))
    if percent:
        c.out.add(node, MLKG.percentNormalised, boolean(True))


# -- model-index pages --------------------------------------------------------------------


def model_index(page: str, warn) -> dict[str, Any]:
    """The model-index YAML of a page, checked to be a mapping with a ``Models`` list."""
    blocks = _BLOCK.findall(page)
    if not blocks:
        raise ValueError("no '<!-- Type: model-index ... -->' block on the page")
    if len(blocks) > 1:
        warn(f"{len(blocks)} model-index blocks; the first is read")
    if len(blocks[0]) > MAX_YAML_CHARS:
        raise ValueError(f"model-index block is over {MAX_YAML_CHARS} characters")
    try:
        value = yaml.load(blocks[0], Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = page[: page.find(blocks[0])].count("\n") + (mark.line + 1 if mark else 0)
        where = f" at page line {line}, column {mark.column + 1}" if mark else ""
        raise ValueError(f"model-index YAML does not parse{where}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise ValueError(f"model-index YAML does not parse: {exc.__class__.__name__}") from None
    if not isinstance(value, dict):
        raise ValueError(f"model-index YAML is a {type(value).__name__}, not a mapping")
    if not isinstance(value.get("Models"), list):
        raise ValueError("model-index YAML has no list of Models")
    return value


def map_page(data: dict[str, Any], c: TimmContext) -> None:
    """A model page: its collections, models, training and results."""
    page = data.get("text")
    if not isinstance(page, str):
        reason = next((k for k in ("binary", "too_large", "unreadable") if data.get(k)), "no text")
        raise ValueError(f"page not readable ({reason.replace('_', ' ')})")
    if data.get("invalid_utf8"):
        c.out.warn("page is not valid UTF-8; undecodable bytes were replaced")
    index = model_index(page, c.out.warn)
    stem = str(data.get("path") or "").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    collections = _collections(index.get("Collections"), page, stem, c)
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    models = index["Models"]
    if len(models) > MAX_MODELS:
        c.out.warn(f"{len(models)} models; the first {MAX_MODELS} are read")
    for position, entry in enumerate(models[:MAX_MODELS], start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("Name"), str):
            c.out.warn(f"model {position} is not a mapping with a Name; skipped")
            continue
        try:
            model = model_node(c, entry["Name"])
        except InvalidIdError as exc:
            c.out.warn(f"model {position}: name {entry['Name'][:60]!r} unusable ({exc}); skipped")
            continue
        c.out.topics.append(model)
        c.out.subject = c.out.subject or model
        _page_model(entry, model, collections, metadata.get(entry["Name"]), stem, c)
    if c.out.subject is None:
        raise ValueError("the model-index lists no usable model")


def _collections(value: Any, page: str, stem: str, c: TimmContext) -> dict[str, NamedNode]:
    nodes: dict[str, NamedNode] = {}
    if value is not None and not isinstance(value, list):
        c.out.warn(f"Collections is a {type(value).__name__}, not a list; ignored")
        return nodes
    for entry in value or []:
        name = entry.get("Name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name.strip():
            c.out.warn("a collection without a Name; ignored")
            continue
        node = c.iris.collection(HUB, slug(name))
        nodes[name] = node
        c.out.topics.append(node)
        c.out.add(node, RDF.type, MLKG.ModelCollection)
        c.out.add(node, DCTERMS.identifier, text(name))
        c.out.add(node, RDFS.label, text(name))
        c.out.add(node, MLKG.hub, c.hub)
        c.out.add(node, SCHEMA.url, url(DOCS + stem) if stem else None)
        c.out.add(node, DCTERMS.description, _intro(page))
        paper = entry.get("Paper")
        if isinstance(paper, dict):
            c.out.add(node, DCTERMS.references, url(paper.get("URL")))
            c.out.add(node, DCTERMS.bibliographicCitation, text(paper.get("Title")))
    return nodes


def _intro(page: str):
    """The page's first paragraph (markdown emphasis and links reduced to their text)."""
    for block in re.split(r"\n\s*\n", page[:20_000]):
        stripped = block.strip()
        if stripped and not stripped.startswith(("#", "<", "```", "|", "---")):
            plain = re.sub(r"\[([^\]]{0,300})\]\([^)]{0,500}\)", r"\1", stripped)
            plain = re.sub(r"[*`]", "", plain)
            return text(plain[:MAX_DESCRIPTION])
    return None


def _page_model(
    entry: dict[str, Any],
    model: NamedNode,
    collections: dict[str, NamedNode],
    metadata: Any,
    stem: str,
    c: TimmContext,
) -> None:
    add = c.out.add
    name = entry["Name"]
    add(model, MLKG.library, text("timm"))
    add(model, SCHEMA.url, url(DOCS + stem) if stem else None)
    collection = collections.get(entry.get("In Collection"))  # type: ignore[arg-type]
    if entry.get("In Collection") and collection is None:
        c.out.warn(f"{name}: collection {str(entry['In Collection'])[:60]!r} is not on the page")
    if collection is not None:
        add(model, MLKG.inCollection, collection)
        add(collection, DCTERMS.hasPart, model)
    meta = entry.get("Metadata") if isinstance(entry.get("Metadata"), dict) else {}
    if "Metadata" in entry and not isinstance(entry.get("Metadata"), dict):
        c.out.warn(f"{name}: Metadata is not a mapping; ignored")
    architecture = c.vocab.find("architectures", name, c.iris) or c.vocab.find(
        "architectures", str(entry.get("In Collection") or ""), c.iris
    )
    add(model, MLKG.architecture, architecture)
    _facts(meta, model, name, c)
    code = entry.get("Code")
    add(model, RDFS.seeAlso, url(code))
    parts = urlsplit(code) if isinstance(code, str) else None
    if parts and parts.netloc == "github.com" and len(parts.path.split("/")) >= 3:
        add(model, MLKG.sourceRepository, url("https://github.com/" + "/".join(
            parts.path.split("/")[1:3])))  # fmt: skip
    weights = entry.get("Weights")
    if weights is not None and url(weights) is None:
        c.out.warn(f"{name}: Weights {str(weights)[:80]!r} is not an http(s) URL; dropped")
    add(model, SCHEMA.downloadUrl, url(weights))
    datasets = [d for d in (dataset(c, w) for w in _strings(meta, "Training Data", c)) if d]
    datasets += _pretrain(metadata, model, c)
    run = training(c, model, datasets)
    _configuration(meta, model, run, name, c)
    _results(entry.get("Results"), model, name, c)


def _strings(meta: dict[str, Any], key: str, c: TimmContext) -> list[str]:
    value = meta.get(key)
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    good = [str(v).strip() for v in items if isinstance(v, (str, int, float)) and str(v).strip()]
    if len(good) != len(items):
        c.out.warn(f"{key}: {len(items) - len(good)} value(s) that are not text; dropped")
    return good


def _facts(meta: dict[str, Any], model: NamedNode, name: str, c: TimmContext) -> None:
    parameters = meta.get("Parameters")
    count = integer(parameters)
    if parameters is not None and (count is None or int(count.value) <= 0):
        c.out.warn(f"{name}: Parameters {str(parameters)[:40]!r} is not a positive count")
        count = None
    c.out.add(model, MLKG.parameterCount, count)
    flops = parse_number(meta.get("FLOPs"))
    if meta.get("FLOPs") is not None and (flops is None or flops < 0):
        c.out.warn(f"{name}: FLOPs {str(meta['FLOPs'])[:40]!r} is not a number; dropped")
    if flops is not None and flops >= 0:
        c.out.add(model, MLKG.inferenceCost, double(flops))
    for written in _strings(meta, "Tasks", c):
        task = c.vocab.find("tasks", written, c.iris)
        if task is None:
            c.out.warn(f"{name}: task {written[:60]!r} is not in the vocabulary; kept as a tag")
            c.out.add(model, MLKG.tag, text(f"task:{written}"))
        c.out.add(model, MLKG.task, task)
    for key, prefix in TAG_KEYS.items():
        for written in _strings(meta, key, c):
            c.out.add(model, MLKG.tag, text(f"{prefix}:{written}", max_length=300))


def _pretrain(metadata: Any, model: NamedNode, c: TimmContext) -> list[NamedNode]:
    """The pre-training dataset ``results/model_metadata-in1k.csv`` gives for this name."""
    if not isinstance(metadata, dict) or not isinstance(metadata.get("pretrain"), str):
        return []
    c.out.add(model, MLKG.tag, text(f"pretrain:{metadata['pretrain']}"))
    token, _technique = pretrain_token(metadata["pretrain"])
    if token is None:
        c.out.warn(f"pretrain {metadata['pretrain']!r} names no known dataset; kept as a tag")
        return []
    found = c.vocab.find("datasets", DATASET_TOKENS[token], c.iris)
    return [found] if found is not None else []


def parameter_name(written: str) -> str:
    """``Batch Size`` → ``train_batch_size``, ``Weight Decay`` → ``weight_decay``."""
    name = re.sub(r"[^\w]+", "_", written.strip().lower()).strip("_")[:100] or "parameter"
    return PARAMETER_NAMES.get(name, name)


def _configuration(
    meta: dict[str, Any], model: NamedNode, run: NamedNode | None, name: str, c: TimmContext
) -> None:
    settings = []
    for key, written in meta.items():
        if not isinstance(key, str) or key in FACT_KEYS:
            continue
        if key.upper().startswith("FPS"):  # a measured speed, not a training setting
            c.out.add(model, MLKG.tag, text(f"{key}:{written}", max_length=300))
            continue
        value = typed_value(written) if isinstance(written, (str, int, float)) else None
        if value is None:
            c.out.warn(f"{name}: hyperparameter {key[:40]!r} = {str(written)[:40]!r} unusable")
            continue
        parameter = parameter_name(key)
        setting = c.iris.setting(model, parameter)
        hyperparameter = c.iris.hyperparameter(parameter)
        c.out.add(hyperparameter, RDF.type, MLKG.HyperParameter)
        c.out.add(hyperparameter, RDFS.label, text(parameter))
        c.out.add(setting, RDF.type, MLKG.HyperParameterSetting)
        c.out.add(setting, MLKG.hyperParameter, hyperparameter)
        c.out.add(setting, MLKG.value, value)
        c.out.add(setting, MLKG.rawValue, text(f"{key}: {written}"))
        settings.append(setting)
    if not settings:
        return
    if run is None:
        run = c.iris.training_run(model)
        c.out.topics.append(run)
        c.out.add(model, PROV.wasGeneratedBy, run)
        c.out.add(run, RDF.type, MLKG.TrainingRun)
    configuration = c.iris.configuration(model)
    c.out.add(run, MLKG.configuration, configuration)
    c.out.add(configuration, RDF.type, MLKG.TrainingConfiguration)
    c.out.add_all(configuration, MLKG.setting, settings)


def _results(value: Any, model: NamedNode, name: str, c: TimmContext) -> None:
    if value is None:
        return
    if not isinstance(value, list):
        c.out.warn(f"{name}: Results is a {type(value).__name__}, not a list; ignored")
        return
    for position, result in enumerate(value[:MAX_RESULTS], start=1):
        metrics = result.get("Metrics") if isinstance(result, dict) else None
        written = result.get("Dataset") if isinstance(result, dict) else None
        if not isinstance(metrics, dict) or not isinstance(written, str):
            c.out.warn(f"{name}: result {position} needs a Dataset and a mapping of Metrics")
            continue
        on = dataset(c, written)
        if on is None:
            continue
        for metric_name, raw in metrics.items():
            label = f"{name}: {metric_name} on {written}"
            key = ("model-index", str(position), written, str(metric_name))
            evaluation(c, model, on, metric(c, str(metric_name)), raw, key, label)


# -- result tables and metadata -----------------------------------------------------------


def map_results(data: dict[str, Any], c: TimmContext) -> None:
    """A model of the result tables: its weight tag and one evaluation per table row and column."""
    name = data.get("model")
    results = data.get("results")
    if not isinstance(name, str) or not isinstance(results, dict):
        raise ValueError("a result-table record needs 'model' and 'results'")
    model = model_node(c, name)
    c.out.subject = model
    c.out.topics = [model]
    parsed = split_name(name)
    if parsed is None:
        c.out.warn(f"{name[:60]!r} is not architecture.tag; no lineage read")
    else:
        c.out.add(model, MLKG.modelName, text(parsed.architecture))
        c.out.add(
            model, MLKG.architecture, c.vocab.find("architectures", parsed.architecture, c.iris)
        )
    c.out.add(model, MLKG.library, text("timm"))
    c.out.add(model, MLKG.task, c.vocab.find("tasks", "image-classification", c.iris))
    training(c, model, tag_datasets(c, name) + _pretrain(data.get("metadata"), model, c))
    count = None
    for variant, rows in sorted(results.items()):
        on = _variant_dataset(c, str(variant))
        for position, row in enumerate(rows if isinstance(rows, list) else [], start=1):
            if not isinstance(row, dict):
                continue
            count = count or param_millions(row.get("param_count"))
            size = str(row.get("img_size") or "?")
            for column in PERCENT_COLUMNS:
                if column in row:
                    label = f"{name}: {column} on {variant} at {size}px"
                    key = (str(variant), column, size, str(row.get("crop_pct")), str(position))
                    measure = metric(c, column)
                    evaluation(c, model, on, measure, row[column], key, label, percent_column=True)
    c.out.add(model, MLKG.parameterCount, integer(count))


def _variant_dataset(c: TimmContext, variant: str) -> NamedNode:
    """The dataset (or ImageNet-1k's validation split) a result table reports on."""
    name, split = RESULT_VARIANTS.get(variant, (variant, None))
    node = c.vocab.find("datasets", name, c.iris)
    if node is None:
        c.out.warn(f"result table {variant!r} is no known ImageNet variant; minted as a dataset")
        node = dataset(c, variant) or c.iris.dataset(slug(variant), hub=HUB)
    if split is None:
        return node
    split_node = c.iris.split(node, split)
    c.out.add(split_node, RDF.type, MLKG.DatasetSplit)
    c.out.add(split_node, MLKG.splitName, text(split))
    c.out.add(split_node, DCTERMS.isPartOf, node)
    c.out.add(split_node, RDFS.label, text(f"ImageNet-1k {split}"))
    return split_node


def map_metadata(data: dict[str, Any], c: TimmContext) -> None:
    """A ``model_metadata`` row no page or table names: the model and its pre-training data."""
    name = data.get("model")
    if not isinstance(name, str):
        raise ValueError("a metadata record needs 'model'")
    model = model_node(c, name)
    c.out.subject = model
    c.out.topics = [model]
    c.out.add(model, MLKG.library, text("timm"))
    training(c, model, _pretrain(data.get("metadata"), model, c))
