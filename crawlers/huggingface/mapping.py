"""Map one Hugging Face raw record (API JSON, card, config.json, eval results) to RDF.

Pure and total: no network, no store, no exception for bad input. The raw record is the contract
of :mod:`crawlers.huggingface` (``kind``, ``repo_id``, ``info``, ``card``, ``config``,
``eval_results``, ``status``, ``flags``); every field may be missing or of the wrong type.

What is written for a model (``model/huggingface/{id}``), by source field:

=================================  ==============================================================
API ``id`` / requested id          ``dcterms:identifier``, ``rdfs:label``, ``mlkg:formerIdentifier``
``author``                         ``dcterms:publisher`` → Publisher stub
``sha``, ``createdAt``,            ``mlkg:revision``, ``dcterms:created``/``modified``
``lastModified``
``downloads``, ``likes``,          ``mlkg:downloads``, ``mlkg:likes``, ``mlkg:gated``
``gated``
``tags`` (API + card)              ``mlkg:tag``; ``arxiv:`` → ``dcterms:references``
``pipeline_tag``                   ``mlkg:task`` (vocabulary "tasks", else minted + stub)
``library_name``                   ``mlkg:library``
``siblings[].rfilename``           ``mlkg:format`` (safetensors, gguf, onnx, pytorch, ...)
``safetensors.total``              ``mlkg:parameterCount`` (else ``gguf.total``)
config ``architectures``,          ``mlkg:architecture`` (+ the family of ``model_type`` when the
``model_type``                     vocabulary knows it), ``mlkg:modelType``
config ``id2label``                ``mlkg:predicts`` ``mlkg:Label``
card ``license`` (+ name, link)    ``dcterms:license`` (see :mod:`.facts`)
card ``language``                  ``mlkg:language``
card ``base_model`` (+ relation)   ``mlkg:fineTunedFrom``/``adapterOf``/``quantizedFrom``/
                                   ``mergedFrom`` (see :mod:`.lineage`)
card ``datasets``, ``dataset:``    ``mlkg:trainedOn`` + TrainingRun ``prov:used`` (see
                                   :mod:`.datasets`)
card ``model-index``,              ``mlkg:Evaluation`` (see :mod:`.evaluations`)
``.eval_results``
card "Training hyperparameters",   TrainingConfiguration settings, ``mlkg:frameworkVersion``
"Framework versions"               (see :mod:`.training`)
card body                          ``dcterms:description`` (first prose paragraph),
                                   ``dcterms:title`` (first heading)
=================================  ==============================================================

Labels (``id2label``): names like ``LABEL_0`` or ``3`` mean nothing outside the model, so they
live in a model-local scheme (``label/model-huggingface-{org}-{name}/LABEL_0``). Real names
("person", "positive") are in the scheme of the model's first training dataset
(``label/coco/person``), so models trained on the same dataset predict the same Label nodes; a
model that names no dataset keeps them model-local.

Status: ``gated`` and ``private`` records are mapped with what is known (a gated model is
``mlkg:gated true``) and a warning; ``missing`` and ``error`` records come back with ``error`` set
and are quarantined with that reason.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from pyoxigraph import Literal, NamedNode

from crawlers.huggingface import evaluations, lineage, training
from crawlers.huggingface.cards import (
    card_text,
    field,
    mapping,
    parse_front_matter,
    split_card,
    strings,
)
from crawlers.huggingface.context import HUB, Context
from crawlers.huggingface.datasets import map_dataset_card, training_datasets
from crawlers.huggingface.facts import (
    languages,
    map_identity,
    map_languages,
    map_license,
    map_prose,
    map_tags_and_papers,
)
from mlkg.errors import InvalidIdError
from mlkg.iris import Iris, short_hash
from mlkg.namespaces import MLKG, RDF, RDFS, SKOS
from mlkg.rdf import clean_text, integer, text
from mlkg.records import MappedRecord, RawRecord
from mlkg.vocabulary import Vocabulary, load_vocabulary

logger = logging.getLogger(__name__)

SOURCE = "huggingface"
CRAWLER_VERSION = "1.0"
KINDS = ("model", "dataset")
STATUSES = ("ok", "gated", "private", "missing", "error")
MAX_SIBLINGS = 20_000
MAX_ARCHITECTURES = 20
MAX_LABELS = 25_000
MAX_LABEL_CHARS = 200

#: File name → format: an exact name pattern or an extension (checked in this order).
FORMATS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.I), name)
    for pattern, name in (
        (r"(^|/)(pytorch_model|model)[\w.-]*\.bin$", "pytorch"),
        (r"(^|/)group\d+-shard\d+of\d+(\.bin)?$", "tfjs"),
        (r"(^|/)saved_model\.pbtxt?$", "saved_model"),
        (r"\.safetensors$", "safetensors"),
        (r"\.gguf$", "gguf"),
        (r"\.onnx$", "onnx"),
        (r"\.(pt|pth)$", "pytorch"),
        (r"\.bin$", "bin"),
        (r"\.h5$", "h5"),
        (r"\.keras$", "keras"),
        (r"\.tflite$", "tflite"),
        (r"\.msgpack$", "flax"),
        (r"\.(mlmodel|mlpackage)(/|$)", "coreml"),
        (r"\.ckpt$", "ckpt"),
        (r"\.(joblib|pkl|pickle)$", "pickle"),
        (r"\.nemo$", "nemo"),
        (r"\.ggml$", "ggml"),
    )
)
_GENERIC_LABEL = re.compile(r"(LABEL_)?\d+", re.I)
#: Files a training run leaves beside the weights; they say nothing about the model's format.
_NOT_WEIGHTS = re.compile(
    r"(^|/)(training_args|optimizer|scheduler|scaler|rng_state[\w-]*|trainer_state)\.\w+$", re.I
)


@dataclass
class Parsed:
    """The readable parts of one raw record."""

    kind: str
    requested: str
    info: dict[str, Any]
    front: dict[str, Any]
    body: str | None
    tags: list[str]


def map_record(
    record: RawRecord, iris: Iris, *, vocabulary: Vocabulary | None = None
) -> MappedRecord:
    """Map one raw record of the ``huggingface`` source; never raises.

    An unexpected exception (a bug, not bad input) is logged and the record returned with
    ``error`` set, so one record never stops a build.
    """
    mapped = _empty_record(record, iris)
    try:
        _map(record, iris, vocabulary or load_vocabulary(), mapped)
    except Exception as exc:  # the last guard of a total function; tests assert it never fires
        logger.exception("huggingface record %r: mapping failed", record.id)
        mapped.error = f"internal mapping error ({type(exc).__name__}: {str(exc)[:200]})"
    return mapped


def _empty_record(record: RawRecord, iris: Iris) -> MappedRecord:
    try:
        graph = iris.record_graph(SOURCE, str(record.id))
    except InvalidIdError:
        graph = iris.record_graph(SOURCE, "invalid-id-" + short_hash(repr(record.id)))
    return MappedRecord(SOURCE, str(record.id), graph)


def _map(record: RawRecord, iris: Iris, vocab: Vocabulary, mapped: MappedRecord) -> None:
    data = record.data
    if not isinstance(data, dict):
        mapped.error = f"raw data is a {type(data).__name__}, not an object"
        return
    fatal = _fatal_status(data)
    if fatal is not None:
        mapped.error = fatal
        return
    parsed = _parse(record, data, mapped)
    info = parsed.info
    if data.get("status") == "gated" and info.get("gated") in (None, False):
        # the Hub refused the files: the repository is gated, whatever the listing said
        info = {**info, "gated": True}
    canonical = info.get("id") if isinstance(info.get("id"), str) else None
    repo_id = (canonical or parsed.requested).strip()
    hub = vocab.find("hubs", HUB, iris) or iris.hub(HUB)
    ctx = Context(mapped, iris, vocab, hub, repo_id, parsed.kind)
    try:
        if parsed.kind == "dataset":
            subject = iris.dataset(repo_id, hub=HUB)
        else:
            subject = iris.model(HUB, repo_id)
    except InvalidIdError as exc:
        mapped.error = f"repository id cannot name a resource: {exc}"
        return
    ctx.subject = mapped.subject = subject
    mapped.topics = [subject]
    map_identity(ctx, subject, parsed.requested, info)
    _status(ctx, data, info)
    map_tags_and_papers(ctx, subject, parsed.tags, parsed.body)
    map_license(ctx, subject, parsed.front, parsed.tags)
    language = field(parsed.front, "language", ctx.warn, ("languages",))
    codes = languages(ctx, language)
    if parsed.kind == "dataset":
        codes += [t[9:] for t in parsed.tags if t.startswith("language:")]
    map_languages(ctx, subject, codes)
    pretty_name = parsed.kind == "dataset" and parsed.front.get("pretty_name") is not None
    map_prose(ctx, subject, parsed.body, with_title=not pretty_name)
    if parsed.kind == "dataset":
        map_dataset_card(ctx, subject, parsed.front, parsed.tags)
    else:
        _map_model(ctx, subject, parsed, data)


def _parse(record: RawRecord, data: dict[str, Any], mapped: MappedRecord) -> Parsed:
    """Kind, requested id, API info, front matter, body and tags, each checked."""
    kind = data.get("kind")
    record_id = str(record.id)
    if kind not in KINDS:
        guessed = "dataset" if record_id.startswith("datasets/") else "model"
        if kind is not None:
            mapped.warn(f"unknown kind {str(kind)[:40]!r}; read as {guessed!r}")
        kind = guessed
    requested = data.get("repo_id")
    if not isinstance(requested, str) or not requested.strip():
        requested = (
            record_id.split("/", 1)[1]
            if record_id.startswith(("models/", "datasets/"))
            else record_id
        )
    info = mapping(data.get("info"), "API info", mapped.warn)
    flags = data.get("flags") if isinstance(data.get("flags"), list) else []
    for flag in flags:
        if str(flag).startswith(("config-", "eval-results-")):
            mapped.warn(f"the crawl flagged this repository: {str(flag)[:60]} (file not read)")
    text_ = card_text(data.get("card"), flags, mapped.warn)
    front: dict[str, Any] = {}
    body: str | None = None
    if text_ is not None:
        front_text, body, first_line = split_card(text_)
        front = parse_front_matter(front_text, first_line, mapped.warn)
    if not front:
        front = mapping(info.get("cardData"), "API cardData", mapped.warn)
    tags = strings(front.get("tags"), "tags", mapped.warn)
    tags += strings(info.get("tags"), "API tags", mapped.warn)
    return Parsed(kind, requested.strip(), info, front, body, list(dict.fromkeys(tags)))


def _detail(data: dict[str, Any]) -> str:
    return clean_text(str(data.get("status_detail") or "no detail"), max_length=300)


def _fatal_status(data: dict[str, Any]) -> str | None:
    """The quarantine reason of a ``missing`` or ``error`` record (nothing to map), else None."""
    status = data.get("status")
    if status == "missing":
        return f"repository not found on the Hub ({_detail(data)})"
    if status == "error":
        return f"the crawl could not fetch this repository ({_detail(data)})"
    return None


def _status(ctx: Context, data: dict[str, Any], info: dict[str, Any]) -> None:
    """``gated`` (a fact: ``mlkg:gated true``) and ``private`` records are mapped with a warning."""
    status = data.get("status", "ok")
    if status in (None, "ok"):
        return
    if status == "gated":
        if data.get("card") is None and set(info) <= {"gated"}:
            ctx.warn(f"gated repository: only its id is known ({_detail(data)})")
    elif status == "private":
        ctx.warn(f"private repository: only its id is known ({_detail(data)})")
    else:
        ctx.warn(f"unknown status {str(status)[:40]!r}; mapped as 'ok'")


def _map_model(ctx: Context, model: NamedNode, parsed: Parsed, data: dict[str, Any]) -> None:
    front, info, warn = parsed.front, parsed.info, ctx.warn
    _map_task(ctx, model, front, info)
    library = strings(info.get("library_name"), "API library_name", warn, limit=1) or strings(
        field(front, "library_name", warn, ("library_tag", "library")),
        "library_name",
        warn,
        limit=1,
    )
    ctx.add(model, MLKG.library, text(library[0]) if library else None)
    files = _sibling_names(info.get("siblings"), warn)
    formats = {_format(file) for file in files if not _NOT_WEIGHTS.search(file)} - {None}
    for name in sorted(formats):
        ctx.add(model, MLKG["format"], Literal(name))
    ctx.add(model, MLKG.parameterCount, _parameter_count(ctx, info))
    config = data.get("config")
    if config is None:
        config = info.get("config")
    config = mapping(config, "config.json", warn)
    written = field(front, "datasets", warn, ("dataset",))
    values = strings(written, "datasets", warn)
    values += [tag[8:] for tag in parsed.tags if tag.startswith("dataset:")]
    datasets = training_datasets(ctx, list(dict.fromkeys(values)))
    _map_config(ctx, model, config, datasets)
    hints = lineage.Hints(
        adapter=any(f.rsplit("/", 1)[-1].startswith("adapter_") for f in files)
        or (library[0].lower() == "peft" if library else False),
        quantized="gguf" in formats or "quantization_config" in config,
    )
    lineage.map_lineage(ctx, model, front, parsed.tags, parsed.body, hints)
    training.map_training(ctx, model, datasets, parsed.body)
    model_index = field(front, "model-index", warn, ("model_index",))
    if model_index is None:
        model_index = info.get("model-index")
    evaluations.map_model_index(ctx, model, model_index)
    evaluations.map_eval_results(ctx, model, data.get("eval_results"))


def _map_task(ctx: Context, model: NamedNode, front: dict[str, Any], info: dict[str, Any]) -> None:
    """``pipeline_tag`` of the API and of the card (``pipeline-tag``, older ``task``)."""
    tags = strings(info.get("pipeline_tag"), "API pipeline_tag", ctx.warn, limit=5)
    card = field(front, "pipeline_tag", ctx.warn, ("pipeline-tag", "task"))
    tags += strings(card, "pipeline_tag", ctx.warn, limit=5)
    for tag in dict.fromkeys(tags):
        ctx.add(model, MLKG.task, ctx.concept("tasks", tag, MLKG.Task, ctx.iris.task(tag)))


def _sibling_names(siblings: Any, warn: Any) -> list[str]:
    if siblings is None:
        return []
    if not isinstance(siblings, list):
        warn(f"API siblings is a {type(siblings).__name__}, not a list; ignored")
        return []
    names = []
    for sibling in siblings[:MAX_SIBLINGS]:
        name = sibling.get("rfilename") if isinstance(sibling, dict) else None
        if isinstance(name, str):
            names.append(name[:500])
    return names


def _format(file_name: str) -> str | None:
    """The first format whose pattern the file name matches.

    >>> _format("model-00001-of-00002.safetensors"), _format("pytorch_model.bin"), _format("x.txt")
    ('safetensors', 'pytorch', None)
    """
    return next((name for pattern, name in FORMATS if pattern.search(file_name)), None)


def _parameter_count(ctx: Context, info: dict[str, Any]) -> Literal | None:
    """``safetensors.total`` (else ``gguf.total``): a positive integer."""
    for key in ("safetensors", "gguf"):
        block = info.get(key)
        if not isinstance(block, dict) or block.get("total") is None:
            continue
        value = integer(block.get("total"))
        if value is not None and int(value.value) >= 1:
            return value
        ctx.warn(f"API {key}.total {block.get('total')!r:.40} is not a parameter count; ignored")
    return None


def _map_config(
    ctx: Context, model: NamedNode, config: dict[str, Any], datasets: list[NamedNode]
) -> None:
    """Architecture classes, model type (and its family) and the labels of ``config.json``."""
    model_type = strings(config.get("model_type"), "config model_type", ctx.warn, limit=1)
    family = ctx.vocab.find("architectures", model_type[0], ctx.iris) if model_type else None
    ctx.add(model, MLKG.modelType, text(model_type[0]) if model_type else None)
    ctx.add(model, MLKG.architecture, family)
    names = strings(config.get("architectures"), "config architectures", ctx.warn)
    for name in names[:MAX_ARCHITECTURES]:
        node = ctx.concept("architectures", name, MLKG.Architecture, ctx.iris.architecture(name))
        ctx.add(model, MLKG.architecture, node)
        if family is not None and node != family and node.value.startswith(ctx.iris.base):
            ctx.add(node, SKOS.broader, family)
    _map_labels(ctx, model, config.get("id2label"), datasets)


def _map_labels(ctx: Context, model: NamedNode, value: Any, datasets: list[NamedNode]) -> None:
    """``id2label`` → ``mlkg:predicts`` (scheme rule in the module docstring)."""
    if value is None:
        return
    if isinstance(value, list):
        value = dict(enumerate(value))
    if not isinstance(value, dict):
        ctx.warn(f"config id2label is a {type(value).__name__}, not a mapping; ignored")
        return
    if len(value) > MAX_LABELS:
        ctx.warn(f"config id2label has {len(value)} labels; only the first {MAX_LABELS} were read")
    names = strings(
        list(value.values())[:MAX_LABELS], "config id2label", ctx.warn, limit=MAX_LABELS
    )
    names = [name[:MAX_LABEL_CHARS] for name in names]
    if all(_GENERIC_LABEL.fullmatch(name) for name in names) or not datasets:
        scheme = f"model-{HUB}-{ctx.repo_id}"
    else:
        scheme = datasets[0].value.removeprefix(ctx.iris.base).removeprefix("dataset/")
    for name in names:
        label = ctx.iris.label(scheme, name)
        ctx.add(model, MLKG.predicts, label)
        if ctx.first_time(label):
            ctx.add(label, RDF.type, MLKG.Label)
            ctx.add(label, RDFS.label, Literal(name))
