"""Map OpenML's API documents onto the mlkg ontology (pure; see :mod:`crawlers.openml` for the
design decisions and the mapping table).

One function per record kind: :func:`map_dataset`, :func:`map_task`, :func:`map_flow`,
:func:`map_run`. Each takes the parsed raw data and an :class:`OpenMLContext`, adds triples and
warnings to ``context.out``, and raises :class:`~crawlers._openml_xml.OpenMLFormatError` only when
the record's main document cannot be read at all.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from pyoxigraph import Literal, NamedNode

from crawlers._openml_xml import (
    DatasetRef,
    FlowDoc,
    OpenMLFormatError,
    RunDoc,
    SetupDoc,
    Splits,
    TaskDoc,
    int_of,
    parse_splits,
    parse_xml,
    read_dataset,
    read_features,
    read_flow,
    read_qualities,
    read_run,
    read_setup,
    read_task,
)
from mlkg.iris import Iris, check_id, slug
from mlkg.namespaces import DCTERMS, MLKG, MLS, PROV, RDF, RDFS, SCHEMA, SKOS
from mlkg.rdf import boolean, date_time, double, integer, parse_number, text, typed_value, url
from mlkg.records import MappedRecord
from mlkg.vocabulary import Vocabulary

HUB = "openml"
SITE = "https://www.openml.org/"
MAX_DESCRIPTION = 2000
MAX_TAGS = 100
#: Most fold memberships (split rows) turned into triples for one task.
MAX_MEMBERSHIPS = 100_000
#: Most folds × repeats described for a task without a split file.
MAX_FOLDS = 1_000
#: OpenML measures that are not a model's quality: the test-set size, the machine, a benchmark.
NOT_METRICS = frozenset({"number_of_instances", "os_information", "scimark_benchmark"})
#: OpenML data qualities kept as typed dataset facts (the rest are not mapped).
QUALITIES = {
    "NumberOfInstances": "exampleCount",
    "NumberOfFeatures": "featureCount",
    "NumberOfClasses": "classCount",
    "NumberOfMissingValues": "missingValueCount",
}
#: The library a flow belongs to, read from the first segment of its name.
LIBRARIES = frozenset({"sklearn", "weka", "mlr", "mlr3", "moa", "torch", "keras", "h2o", "R"})


@dataclass
class OpenMLContext:
    """What every mapping helper needs: the record being built, IRIs, vocabulary, the hub."""

    out: MappedRecord
    iris: Iris
    vocab: Vocabulary
    hub: NamedNode


def add(c: OpenMLContext, s: NamedNode, p: NamedNode, o: Any) -> None:
    c.out.add(s, p, o)


# -- shared nodes ---------------------------------------------------------------------------


def dataset_node(ref: DatasetRef, c: OpenMLContext) -> NamedNode:
    """The node of an OpenML dataset: the vocabulary's concept, or ``dataset/openml/{id}``.

    The identity rule: a dataset whose name the vocabulary knows and whose OpenML version is 1
    (the original upload, not a derived re-upload such as a binarised copy) *is* that concept;
    anything else (unknown name, other version, version not known to this record) is OpenML's own
    ``dataset/openml/{id}``. Both kinds keep OpenML's id as ``skos:notation "openml:data/{id}"``;
    minted nodes also carry it as ``dcterms:identifier`` with ``mlkg:hub`` OpenML.
    """
    concept = None
    if ref.name and ref.version == 1:
        concept = c.vocab.find("datasets", ref.name, c.iris)
        if concept is not None and concept.value.rsplit("/", 1)[-1] in {"other", "multiple"}:
            concept = None
    node = concept or c.iris.dataset(str(ref.id), hub=HUB)
    add(c, node, RDF.type, MLKG.Dataset)
    add(c, node, SKOS.notation, text(f"openml:data/{ref.id}"))
    if concept is None:
        add(c, node, RDFS.label, text(ref.name) or text(f"OpenML dataset {ref.id}"))
        add(c, node, DCTERMS.identifier, text(str(ref.id)))
        add(c, node, MLKG.hub, c.hub)
    return node


def model_stub(c: OpenMLContext, kind: str, object_id: int, label: str | None) -> NamedNode:
    """A flow or run Model described by another record: type, identifier, label, hub."""
    node = c.iris.model(HUB, f"{kind}/{object_id}")
    add(c, node, RDF.type, MLKG.Model)
    add(c, node, DCTERMS.identifier, text(f"{kind}/{object_id}"))
    add(c, node, RDFS.label, text(label) or text(f"OpenML {kind} {object_id}"))
    add(c, node, MLKG.hub, c.hub)
    return node


def task_node(c: OpenMLContext, task_id: int) -> NamedNode:
    return c.iris.resource(f"task/{HUB}/{task_id}")


def split_node(
    c: OpenMLContext,
    dataset: NamedNode,
    task_id: int,
    kind: str,
    repeat: int,
    fold: int,
    sample: int | None = None,
) -> NamedNode:
    """One train or test part of a fold: ``{dataset}/split/openml-task-59-r0-f3-test``."""
    node = _split_iri(c, dataset, task_id, kind, repeat, fold, sample)
    add(c, node, RDF.type, MLKG.DatasetSplit)
    add(c, node, MLKG.splitName, text(kind))
    add(c, node, DCTERMS.isPartOf, dataset)
    add(c, node, MLKG.repeat, integer(repeat))
    add(c, node, MLKG.fold, integer(fold))
    ident = f"task/{task_id}/repeat/{repeat}/fold/{fold}" + (
        "" if sample is None else f"/sample/{sample}"
    )
    add(c, node, DCTERMS.identifier, text(f"{ident}/{kind}"))
    where = f"repeat {repeat}, fold {fold}" + ("" if sample is None else f", sample {sample}")
    add(c, node, RDFS.label, text(f"OpenML task {task_id}, {where}: {kind}"))
    add(c, node, MLKG.definedByTask, task_node(c, task_id))
    return node


def publisher(c: OpenMLContext, uploader: str | None, name: str | None) -> NamedNode | None:
    user = int_of(uploader)
    if user is None:
        return None
    node = c.iris.publisher(HUB, str(user))
    add(c, node, RDF.type, MLKG.Publisher)
    add(c, node, DCTERMS.identifier, text(str(user)))
    add(c, node, RDFS.label, text(name) or text(f"OpenML user {user}"))
    add(c, node, MLKG.hub, c.hub)
    add(c, node, SCHEMA.url, url(f"{SITE}u/{user}"))
    return node


def description(c: OpenMLContext, value: str | None) -> Literal | None:
    if value and len(value) > MAX_DESCRIPTION:
        c.out.warn(f"description cut to {MAX_DESCRIPTION} of {len(value)} characters")
        value = value[: MAX_DESCRIPTION - 1] + "…"
    return text(value)


def tags(c: OpenMLContext, node: NamedNode, values: list[str]) -> None:
    if len(values) > MAX_TAGS:
        c.out.warn(f"{len(values)} tags; the first {MAX_TAGS} kept")
    c.out.add_all(node, MLKG.tag, (text(v, max_length=200) for v in values[:MAX_TAGS]))


def library(name: str | None) -> str | None:
    """``sklearn.ensemble.RandomForestClassifier`` → ``sklearn``; ``weka.J48`` → ``weka``."""
    head = (name or "").split(".", 1)[0].split("(", 1)[0]
    return head if head in LIBRARIES else None


def openml_value(raw: str | None) -> Literal | None:
    """A typed literal from a parameter value as OpenML stores it.

    scikit-learn flows store values JSON-encoded (``"\\"median\\""``, ``null``, ``[1, 2]``),
    Weka flows as plain text (``0.25``, empty for a set flag).

    >>> [openml_value(v).value for v in ('0.25', '2', 'true', '"median"', 'null', '')]
    ['0.25', '2', 'true', 'median', 'null', '']
    """
    if raw is None:
        return None
    stripped = raw.strip()
    if not stripped:
        return Literal("")
    if stripped[0] in '"[{':
        try:
            decoded = json.loads(stripped)
        except ValueError:
            return text(stripped)
        return text(decoded) if isinstance(decoded, str) else text(stripped)
    return typed_value(stripped)


# -- datasets -------------------------------------------------------------------------------


def map_dataset(data: dict[str, Any], c: OpenMLContext) -> None:
    """``data/{id}``: the description, features and qualities of one dataset."""
    doc = read_dataset(parse_xml(data.get("description"), "dataset description"))
    if doc.id is None or doc.id <= 0:
        raise OpenMLFormatError(f"dataset description has no positive id ({doc.fields.get('id')})")
    node = dataset_node(DatasetRef(doc.id, doc.name, doc.version), c)
    c.out.subject = node
    c.out.topics = [node]
    f = doc.fields
    if doc.version is None:
        c.out.warn("dataset description has no version; linked by its OpenML id only")
    add(c, node, SCHEMA.url, url(f"{SITE}d/{doc.id}"))
    add(c, node, DCTERMS.description, description(c, f.get("description")))
    add(c, node, DCTERMS.created, date_time(f.get("upload_date")))
    add(c, node, SCHEMA.downloadUrl, url(f.get("url")))
    add(c, node, DCTERMS.references, url(f.get("paper_url")))
    add(c, node, RDFS.seeAlso, url(f.get("original_data_url")))
    tags(c, node, doc.tags)
    if f.get("status") and f["status"] != "active":
        c.out.warn(f"dataset status is {f['status']!r}, not active")
    licence(c, node, f.get("licence"))
    for target in (t.strip() for t in (f.get("default_target_attribute") or "").split(",")):
        add(c, node, MLKG.targetFeature, text(target))
    counts = _dataset_counts(data, c)
    for name, value in counts.items():
        add(c, node, MLKG[name], integer(value))


def _dataset_counts(data: dict[str, Any], c: OpenMLContext) -> dict[str, int]:
    """Instance, feature, class and missing-value counts: qualities first, then the features."""
    counts: dict[str, int] = {}
    if data.get("qualities"):
        try:
            qualities = read_qualities(parse_xml(data["qualities"], "dataset qualities"))
        except OpenMLFormatError as exc:
            c.out.warn(f"{exc}; qualities not mapped")
            qualities = {}
        for quality, prop in QUALITIES.items():
            number = parse_number(qualities.get(quality))
            if number is not None and number >= 0 and number.is_integer():
                counts[prop] = int(number)
            elif quality in qualities:
                c.out.warn(f"quality {quality} = {qualities[quality]!r} is not a count; dropped")
    if data.get("features"):
        try:
            features = read_features(parse_xml(data["features"], "dataset features"))
        except OpenMLFormatError as exc:
            c.out.warn(f"{exc}; features not mapped")
            features = []
        if features:
            counts.setdefault("featureCount", len(features))
            targets = [f for f in features if f.is_target and f.nominal_values]
            if len(targets) == 1:
                counts.setdefault("classCount", len(targets[0].nominal_values))
    return counts


def licence(c: OpenMLContext, node: NamedNode, written: str | None) -> None:
    if not written:
        return
    add(c, node, MLKG.licenseName, text(written))
    found = c.vocab.find("licenses", written, c.iris)
    if found is None:
        found = c.iris.license(written)
        add(c, found, RDF.type, MLKG.CustomLicense)
        add(c, found, RDFS.label, text(written))
    add(c, node, DCTERMS.license, found)


# -- tasks ----------------------------------------------------------------------------------


def map_task(data: dict[str, Any], c: OpenMLContext) -> None:
    """``task/{id}``: the task, its dataset and the train/test splits of every fold."""
    doc = read_task(parse_xml(data.get("task"), "task"))
    if doc.id is None or doc.id <= 0:
        raise OpenMLFormatError("task document has no positive task_id")
    if doc.dataset_id is None:
        raise OpenMLFormatError(f"task {doc.id} names no source dataset (data_set_id)")
    ref = dataset_ref(data.get("dataset"), doc.dataset_id, c)
    dataset = dataset_node(ref, c)
    node = task_node(c, doc.id)
    c.out.subject = node
    c.out.topics = [node]
    add(c, node, RDF.type, MLKG.Task)
    add(c, node, DCTERMS.identifier, text(str(doc.id)))
    on = ref.name or f"dataset {ref.id}"
    add(c, node, RDFS.label, text(f"OpenML task {doc.id}: {doc.type or 'task'} on {on}"))
    add(c, node, SKOS.broader, c.vocab.find("tasks", doc.type, c.iris))
    add(c, node, MLS.definedOn, dataset)
    add(c, node, MLKG.targetFeature, text(doc.target))
    add(c, node, SCHEMA.url, url(f"{SITE}t/{doc.id}"))
    add(c, node, DCTERMS.description, text(_procedure_text(doc)))
    if isinstance(data.get("splits"), str) and data["splits"].strip():
        splits = parse_splits(data["splits"])
        if data.get("splits_truncated"):
            c.out.warn(
                f"split file is {data.get('splits_size', '?')} bytes, over the crawl's cap: only "
                "its first rows were read, so the last folds are incomplete"
            )
        for note in splits.notes:
            c.out.warn(note)
        _fold_members(splits, doc.id, dataset, ref, c)
    else:
        _folds_from_procedure(doc, dataset, c)


def dataset_ref(summary: Any, dataset_id: int, c: OpenMLContext) -> DatasetRef:
    """The dataset a task or run uses, with the name and version the crawl read for it."""
    if isinstance(summary, dict) and int_of(str(summary.get("id"))) == dataset_id:
        name = summary.get("name") if isinstance(summary.get("name"), str) else None
        return DatasetRef(dataset_id, name, int_of(str(summary.get("version"))))
    c.out.warn(
        f"the description of dataset {dataset_id} was not crawled: linked by its OpenML id only"
    )
    return DatasetRef(dataset_id)


def _procedure_text(doc: TaskDoc) -> str | None:
    if doc.procedure is None:
        return None
    p = doc.parameters
    parts = [doc.procedure]
    if p.get("number_folds"):
        parts.append(f"{p['number_folds']} folds")
    if p.get("number_repeats"):
        parts.append(f"{p['number_repeats']} repeat(s)")
    if p.get("percentage"):
        parts.append(f"{p['percentage']}% holdout")
    if (p.get("stratified_sampling") or "").lower() == "true":
        parts.append("stratified")
    text_ = ", ".join(parts)
    if doc.measures:
        text_ += "; measure: " + ", ".join(doc.measures)
    return text_


def _fold_members(
    splits: Splits, task_id: int, dataset: NamedNode, ref: DatasetRef, c: OpenMLContext
) -> None:
    rows = splits.rows
    if len(rows) > MAX_MEMBERSHIPS:
        c.out.warn(
            f"{len(rows)} fold memberships, over {MAX_MEMBERSHIPS}: folds are kept with their "
            "sizes, members only for the first rows"
        )
    sizes: dict[tuple[str, int, int, int | None], int] = defaultdict(int)
    seen_instances: set[int] = set()
    for index, row in enumerate(rows):
        key = (row.kind, row.repeat, row.fold, row.sample)
        split = split_node(c, dataset, task_id, *key) if key not in sizes else None
        if split is not None:
            c.out.topics.append(split)
        sizes[key] += 1
        if index >= MAX_MEMBERSHIPS:
            continue
        split = split or _split_iri(c, dataset, task_id, *key)
        instance = NamedNode(f"{dataset.value}/instance/openml-{ref.id}-{row.row_id}")
        if row.row_id not in seen_instances:
            seen_instances.add(row.row_id)
            add(c, instance, RDF.type, MLKG.DataInstance)
            add(c, instance, DCTERMS.identifier, text(str(row.row_id)))
            add(c, instance, DCTERMS.isPartOf, dataset)
        add(c, instance, DCTERMS.isPartOf, split)
    for key, size in sizes.items():
        add(c, _split_iri(c, dataset, task_id, *key), MLKG.exampleCount, integer(size))


def _split_iri(
    c: OpenMLContext, dataset: NamedNode, task_id: int, kind: str, r: int, f: int, s: int | None
) -> NamedNode:
    sample_part = "" if s is None else f"-s{s}"
    return c.iris.split(dataset, f"openml-task-{task_id}-r{r}-f{f}{sample_part}-{kind}")


def _folds_from_procedure(doc: TaskDoc, dataset: NamedNode, c: OpenMLContext) -> None:
    repeats = int_of(doc.parameters.get("number_repeats")) or 1
    folds = int_of(doc.parameters.get("number_folds")) or (1 if doc.procedure else 0)
    if not folds:
        return
    if repeats * folds > MAX_FOLDS:
        c.out.warn(f"{repeats} repeats × {folds} folds is over {MAX_FOLDS}; folds not described")
        return
    c.out.warn("no split file: folds described from the estimation procedure, without members")
    for repeat in range(repeats):
        for fold in range(folds):
            for kind in ("train", "test"):
                c.out.topics.append(split_node(c, dataset, doc.id or 0, kind, repeat, fold))


# -- flows ----------------------------------------------------------------------------------


def map_flow(data: dict[str, Any], c: OpenMLContext) -> None:
    """``flow/{id}``: the flow as a Model, its parameters with defaults, its component flows."""
    flow = read_flow(parse_xml(data.get("flow"), "flow"))
    if flow.id is None or flow.id <= 0:
        raise OpenMLFormatError("flow document has no positive id")
    node = _flow(flow, c)
    c.out.subject = node


def _flow(flow: FlowDoc, c: OpenMLContext) -> NamedNode:
    assert flow.id is not None
    node = model_stub(c, "flow", flow.id, flow.name)
    c.out.topics.append(node)
    f = flow.fields
    add(c, node, MLKG.entryType, text("flow"))
    add(c, node, MLKG.modelName, text(flow.name))
    version = int_of(f.get("version"))
    add(c, node, MLKG.version, integer(version) if version and version > 0 else None)
    add(c, node, MLKG.library, text(library(flow.name)))
    add(c, node, DCTERMS.title, text(f.get("full_name")))
    add(c, node, DCTERMS.description, description(c, f.get("description")))
    add(c, node, DCTERMS.created, date_time(f.get("upload_date")))
    add(c, node, SCHEMA.url, url(f"{SITE}f/{flow.id}"))
    add(c, node, DCTERMS.publisher, publisher(c, f.get("uploader"), None))
    for key in ("external_version", "dependencies"):
        add(c, node, MLKG.tag, text(f"{key}:{f[key]}", max_length=500) if f.get(key) else None)
    tags(c, node, flow.tags)
    for parameter in flow.parameters:
        hp = hyperparameter(c, node, parameter.name)
        add(c, node, MLKG.hasHyperParameter, hp)
        add(c, hp, DCTERMS.description, text(parameter.description, max_length=1000))
        add(c, hp, MLKG.defaultValue, openml_value(parameter.default))
    for _role, component in flow.components:
        if component.id is None or component.id <= 0:
            c.out.warn(f"a component of flow {flow.id} has no id; not mapped")
            continue
        add(c, node, DCTERMS.hasPart, _flow(component, c))
    return node


def hyperparameter(c: OpenMLContext, flow: NamedNode, name: str) -> NamedNode:
    """A flow's parameter, ``{flow model}/parameter/{name}``: type and label."""
    node = NamedNode(f"{flow.value}/parameter/{quote(name.strip(), safe='-._~')}")
    add(c, node, RDF.type, MLKG.HyperParameter)
    add(c, node, RDFS.label, text(name))
    return node


# -- runs -----------------------------------------------------------------------------------


def map_run(data: dict[str, Any], c: OpenMLContext) -> None:
    """``run/{id}``: the fitted model, its training run and configuration, its evaluations."""
    run = read_run(parse_xml(data.get("run"), "run"))
    if run.id is None or run.id <= 0:
        raise OpenMLFormatError("run document has no positive run_id")
    f = run.fields
    task_id, flow_id = int_of(f.get("task_id")), int_of(f.get("flow_id"))
    label = f"run {run.id}: {f.get('flow_name') or 'flow'} on task {task_id}"
    model = model_stub(c, "run", run.id, label)
    c.out.subject = model
    c.out.topics = [model]
    add(c, model, MLKG.entryType, text("run"))
    add(c, model, SCHEMA.url, url(f"{SITE}r/{run.id}"))
    add(c, model, MLKG.library, text(library(f.get("flow_name"))))
    add(c, model, MLKG.task, c.vocab.find("tasks", f.get("task_type"), c.iris))
    add(c, model, DCTERMS.publisher, publisher(c, f.get("uploader"), f.get("uploader_name")))
    tags(c, model, run.tags)
    if f.get("error"):
        c.out.warn(f"OpenML reports an error for this run: {f['error'][:200]}")
    if flow_id is not None and flow_id > 0:
        flow_name = re.sub(r"\(\d+\)$", "", f.get("flow_name") or "")  # weka.J48(1): version 1
        add(c, model, MLKG.derivedFrom, model_stub(c, "flow", flow_id, flow_name))
    dataset = None
    if run.dataset is not None:
        ref = dataset_ref(data.get("dataset"), run.dataset.id, c)
        dataset = dataset_node(DatasetRef(ref.id, ref.name or run.dataset.name, ref.version), c)
    else:
        c.out.warn("the run names no input dataset: no training data and no evaluations mapped")
    _training(run, data, model, dataset, task_id, c)
    if dataset is not None:
        _evaluations(run, model, dataset, task_id, c)


def _training(
    run: RunDoc,
    data: dict[str, Any],
    model: NamedNode,
    dataset: NamedNode | None,
    task_id: int | None,
    c: OpenMLContext,
) -> None:
    training = c.iris.training_run(model)
    c.out.topics.append(training)
    add(c, model, PROV.wasGeneratedBy, training)
    add(c, training, RDF.type, MLKG.TrainingRun)
    add(c, training, RDFS.label, text(f"training of OpenML run {run.id}"))
    if dataset is not None:
        add(c, model, MLKG.trainedOn, dataset)
        add(c, training, PROV.used, dataset)
    if task_id is not None and task_id > 0:
        task = task_node(c, task_id)
        add(c, task, RDF.type, MLKG.Task)
        add(c, task, RDFS.label, text(f"OpenML task {task_id}"))
        add(c, training, MLS.achieves, task)
    setup = _setup(data.get("setup"), run, c)
    settings = _settings_from_setup(setup, model, c) if setup else _settings_from_run(run, model, c)
    if settings:
        configuration = c.iris.configuration(model)
        add(c, training, MLKG.configuration, configuration)
        add(c, configuration, RDF.type, MLKG.TrainingConfiguration)
        add(c, configuration, RDFS.label, text(f"setup {run.fields.get('setup_id', '?')}"))
        add(c, configuration, DCTERMS.description, text(run.fields.get("setup_string")))
        c.out.add_all(configuration, MLKG.setting, settings)


def _setup(xml: Any, run: RunDoc, c: OpenMLContext) -> SetupDoc | None:
    if not xml:
        return None
    try:
        setup = read_setup(parse_xml(xml, "setup"))
    except OpenMLFormatError as exc:
        c.out.warn(f"{exc}; the run's own parameter settings are used, without defaults")
        return None
    if setup.id is not None and str(setup.id) != run.fields.get("setup_id"):
        c.out.warn(f"setup {setup.id} is not the run's setup {run.fields.get('setup_id')}")
        return None
    return setup


def _settings_from_setup(setup: SetupDoc, model: NamedNode, c: OpenMLContext) -> list[NamedNode]:
    settings = []
    for p in setup.parameters:
        flow_id = p.flow_id or setup.flow_id
        if flow_id is None:
            continue
        flow = c.iris.model(HUB, f"flow/{flow_id}")
        value, default = openml_value(p.value), openml_value(p.default)
        setting = _setting(c, model, flow, p.full_name or f"{flow_id}:{p.name}", p.name, value)
        if setting is None:
            continue
        add(c, setting, MLKG.rawValue, text(p.value))
        if default is not None:
            add(c, setting, MLKG.defaultValue, default)
            add(c, setting, MLKG.isDefault, boolean(_same(value, default)))
        settings.append(setting)
    return settings


def _settings_from_run(run: RunDoc, model: NamedNode, c: OpenMLContext) -> list[NamedNode]:
    flow_id = int_of(run.fields.get("flow_id"))
    if run.parameter_settings and run.fields.get("setup_id"):
        c.out.warn(
            f"setup {run.fields['setup_id']} was not crawled: settings without the flow's defaults"
        )
    settings = []
    for name, raw, component in run.parameter_settings:
        owner = component or flow_id
        if owner is None:
            continue
        flow = c.iris.model(HUB, f"flow/{owner}")
        setting = _setting(c, model, flow, f"{owner}:{name}", name, openml_value(raw))
        if setting is not None:
            add(c, setting, MLKG.rawValue, text(raw))
            settings.append(setting)
    return settings


def _setting(
    c: OpenMLContext,
    model: NamedNode,
    flow: NamedNode,
    key: str,
    name: str,
    value: Literal | None,
) -> NamedNode | None:
    if value is None:
        c.out.warn(f"parameter {name!r} has no value; not recorded")
        return None
    setting = c.iris.setting(model, key)
    add(c, setting, RDF.type, MLKG.HyperParameterSetting)
    add(c, setting, MLKG.hyperParameter, hyperparameter(c, flow, name))
    add(c, setting, MLKG.value, value)
    return setting


def _same(value: Literal | None, default: Literal | None) -> bool:
    """Whether a value equals the default: same typed value (``0.25`` = ``0.250``) or text."""
    if value is None or default is None:
        return False
    if value == default:
        return True
    a, b = parse_number(value.value), parse_number(default.value)
    return a is not None and a == b


def _evaluations(
    run: RunDoc, model: NamedNode, dataset: NamedNode, task_id: int | None, c: OpenMLContext
) -> None:
    if run.dropped_evaluations:
        c.out.warn(f"{run.dropped_evaluations} evaluations over the cap were dropped")
    skipped: set[str] = set()
    for e in run.evaluations:
        if e.name in NOT_METRICS:
            continue
        value = parse_number(e.value)
        if value is None:
            if e.value is not None and e.name not in skipped:
                c.out.warn(f"evaluation {e.name}: {e.value[:40]!r} is not a number; skipped")
            skipped.add(e.name)
            continue
        per_fold = e.fold is not None
        if per_fold and task_id is None:
            continue
        on = (
            split_node(c, dataset, task_id or 0, "test", e.repeat or 0, e.fold or 0, e.sample)
            if per_fold
            else dataset
        )
        key = [e.name, *(str(x) for x in (e.repeat, e.fold, e.sample) if x is not None)]
        evaluation = c.iris.evaluation(model, *key)
        add(c, evaluation, RDF.type, MLKG.Evaluation)
        add(c, evaluation, MLKG.evaluatedModel, model)
        add(c, evaluation, MLKG.metric, metric(c, e.name))
        add(c, evaluation, MLKG.value, double(value))
        add(c, evaluation, MLKG.rawValue, text(e.value))
        add(c, evaluation, MLKG.onDataset, on)
        where = "all folds" if not per_fold else f"repeat {e.repeat or 0}, fold {e.fold}"
        add(c, evaluation, RDFS.label, text(f"{e.name} of run {run.id} ({where})"))


def metric(c: OpenMLContext, name: str) -> NamedNode:
    """The vocabulary's metric for an OpenML measure name, or a minted one with its stub."""
    found = c.vocab.find("metrics", name, c.iris)
    if found is not None:
        return found
    node = c.iris.metric(slug(name))
    add(c, node, RDF.type, MLKG.Metric)
    add(c, node, DCTERMS.identifier, text(name))
    add(c, node, RDFS.label, text(name.replace("_", " ")))
    return node


def check_record_id(record_id: str, kind: str) -> int:
    """The OpenML id in a record id (``run/100`` → 100); :class:`OpenMLFormatError` otherwise."""
    check_id(record_id)
    prefix, _, number = record_id.partition("/")
    value = int_of(number) if number.isdigit() else None
    if prefix != kind or value is None or value <= 0:
        raise OpenMLFormatError(
            f"record id {record_id!r} is not '{kind}/<positive OpenML id>' (OpenML ids are "
            "positive integers)"
        )
    return value
