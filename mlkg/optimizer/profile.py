"""Importing profiled model zoos and label statistics into the graph (``mlkg import-profile``).

A profiled zoo is a CSV matrix: one row per model, one column per label holding the model's
quality on that label (per-class AP, F1, precision or recall — ``--metric``), a ``cost`` column,
optionally a ``memory`` column and a ``parameters`` column (the model's parameter count, so the
optimizer's ``--max-parameters`` filter can apply) — the optimizer papers' ``model_stats_*.csv``
format. The model id is the ``model_name`` column if there is one, else the first column. An
empty cell or 0 means the model cannot answer the label.

Label statistics are a CSV of ``class,selectivity`` rows. The *basis* matters: the order-aware
cost needs the fraction of items (images, tweets) that carry a label; the COCO file of the
papers instead holds each class's share of all object annotations (it sums to 1). ``auto``
decides by the sum, and annotation shares are stored as ``mlkg:annotationShare``, never as a
selectivity. Ground-truth instances (one row per item: its id, then its labels — names, BIO tags
``B-PER``, or a 0/1 column per label) become ``mlkg:DataInstance`` nodes with ``mlkg:hasLabel``,
from which the selectivity is computed in SPARQL.

Everything goes through the pipeline's machinery (:class:`~mlkg.loading.LoadSession`): one raw
record per model (``profile`` source, record id ``<zoo>/<metric>/<model>``), one per statistics
file and one per chunk of instances; each is mapped to its own named graph with provenance,
validated with the SHACL shapes, and loaded with atomic replace, so re-importing a changed file
replaces exactly what changed and drops the models that left it.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from pyoxigraph import NamedNode

from crawlers import Source
from mlkg.config import Settings
from mlkg.errors import InvalidIdError, ProfileFormatError
from mlkg.iris import Iris, check_id, slug
from mlkg.loading import LoadSession
from mlkg.namespaces import DCTERMS, MLKG, RDF, RDFS
from mlkg.optimizer.formula import label_key
from mlkg.optimizer.problem import ModelInfo
from mlkg.pipeline import ValidateFn, chunks, default_validator, load_chunks
from mlkg.provenance import now_iso
from mlkg.rdf import double, integer, parse_number, text
from mlkg.records import MappedRecord, RawRecord
from mlkg.report import BuildReport
from mlkg.vocabulary import load_vocabulary

SOURCE_NAME = "profile"
SOURCE_VERSION = "1"
#: Columns of a zoo matrix that are not labels.
ID_COLUMNS = ("model_name", "model", "name", "model_id", "id")
COST_COLUMN = "cost"
MEMORY_COLUMN = "memory"
PARAMETER_COLUMNS = ("parameters", "params", "parameter_count")
#: Bytes per unit for ``--memory-unit``.
MEMORY_UNITS = {"B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "KIB": 1024, "MIB": 2**20, "GIB": 2**30}
SELECTIVITY_BASES = ("auto", "instances", "annotations")
#: Bounds on what a profile file may hold (untrusted input).
MAX_ROWS = 200_000
MAX_COLUMNS = 5_000
#: Instances per raw record (one named graph per chunk).
INSTANCES_PER_RECORD = 1_000
_FALSE_CELLS = {"", "0", "0.0", "o", "false", "no", "none", "nan"}


@dataclass(frozen=True)
class ProfileOptions:
    """How to read and describe a profiled zoo. ``zoo`` defaults to the file's stem."""

    metric: str = "ap"
    dataset: str = "coco"
    zoo: str | None = None
    hub: str | None = None
    task: str | None = None
    licence: str | None = None
    cost_unit: str = "relative cost per item"
    hardware: str | None = None
    memory_unit: str = "MB"
    selectivity_basis: str = "auto"


@dataclass
class ProfileReport:
    """What an import did (the pipeline's report plus the optimizer-specific counts)."""

    build: BuildReport
    models: int = 0
    labels: int = 0
    evaluations: int = 0
    selectivity_basis: str | None = None
    selectivities: int = 0
    instances: int = 0
    notes: list[str] = field(default_factory=list)


# -- reading the files -------------------------------------------------------------------------


@dataclass
class ZooTable:
    """A zoo matrix as read: the models, the label names (key → name as written), each model's
    raw cell texts (name → text, kept beside the typed values) and parameter counts."""

    models: list[ModelInfo]
    labels: dict[str, str]
    raw: dict[str, dict[str, str]]
    parameters: dict[str, int]


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    if not path.is_file():
        raise ProfileFormatError("no such file", path=str(path))
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            if number > MAX_ROWS + 1:
                raise ProfileFormatError(f"more than {MAX_ROWS} rows", path=str(path))
            if len(row) > MAX_COLUMNS:
                raise ProfileFormatError(
                    f"more than {MAX_COLUMNS} columns", path=str(path), line=number
                )
            yield number, row


def _header_and_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The stripped header cells of a CSV file and the (line number, cells) of the rest."""
    rows = _rows(path)
    try:
        _, header = next(rows)
    except StopIteration:
        raise ProfileFormatError("the file is empty", path=str(path)) from None
    return [cell.strip() for cell in header], rows


def read_zoo(path: Path, *, memory_unit: str = "MB") -> ZooTable:
    """Read a zoo matrix (see the module docstring).

    Raises:
        ProfileFormatError: no cost column, a bad number, a quality outside [0, 1], a bad
            parameter count, a duplicate model id (with the line number).
    """
    path = Path(path)
    header, rows = _header_and_rows(path)
    names = header
    lowered = [n.lower() for n in names]
    if COST_COLUMN not in lowered:
        raise ProfileFormatError("no 'cost' column in the header", path=str(path), line=1)
    id_col = next((lowered.index(c) for c in ID_COLUMNS if c in lowered), 0)
    cost_col = lowered.index(COST_COLUMN)
    memory_col = lowered.index(MEMORY_COLUMN) if MEMORY_COLUMN in lowered else None
    params_col = next((lowered.index(c) for c in PARAMETER_COLUMNS if c in lowered), None)
    factor = MEMORY_UNITS.get(memory_unit.upper())
    if factor is None:
        raise ProfileFormatError(f"unknown memory unit {memory_unit!r}", path=str(path))
    skip = {id_col, cost_col, memory_col, params_col}
    skip |= {0} if id_col != 0 and not names[0] else set()
    label_cols = {i: names[i] for i in range(len(names)) if i not in skip and names[i]}
    labels = {label_key(name): name for name in label_cols.values()}
    models: list[ModelInfo] = []
    raw: dict[str, dict[str, str]] = {}
    parameters: dict[str, int] = {}
    for number, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        model = _cell(row, id_col)
        if not model:
            raise ProfileFormatError("a row without a model id", path=str(path), line=number)
        try:
            check_id(model)
        except InvalidIdError as exc:
            raise ProfileFormatError(str(exc), path=str(path), line=number) from None
        if model in raw:
            raise ProfileFormatError(f"model {model!r} appears twice", path=str(path), line=number)
        cost = _number(row, cost_col, path, number, "cost")
        if cost is None or cost < 0:
            raise ProfileFormatError(
                f"model {model!r} has no cost ≥ 0", path=str(path), line=number
            )
        memory = (
            _number(row, memory_col, path, number, "memory") if memory_col is not None else None
        )
        count = _number(row, params_col, path, number, "parameters")
        if count is not None:
            if count < 1 or count != int(count):
                raise ProfileFormatError(
                    f"parameters of {model!r}: {count:g} is not a whole number ≥ 1",
                    path=str(path),
                    line=number,
                )
            parameters[model] = int(count)
        scores, texts = {}, {}
        for col, name in label_cols.items():
            value = _number(row, col, path, number, name)
            if value is None or value == 0:
                continue
            if not 0 < value <= 1:
                raise ProfileFormatError(
                    f"quality {value} of {model!r} on {name!r} is outside [0, 1] "
                    "(divide percentages by 100)",
                    path=str(path),
                    line=number,
                )
            scores[label_key(name)] = value
            texts[name] = _cell(row, col)
        raw[model] = texts
        models.append(ModelInfo(model, cost, scores, None if memory is None else memory * factor))
    return ZooTable(models, labels, raw, parameters)


def _cell(row: Sequence[str], col: int | None) -> str:
    return row[col].strip() if col is not None and col < len(row) else ""


def _number(row: Sequence[str], col: int | None, path: Path, line: int, what: str) -> float | None:
    cell = _cell(row, col)
    if not cell:
        return None
    value = parse_number(cell)
    if value is None:
        raise ProfileFormatError(f"{what}: {cell!r} is not a number", path=str(path), line=line)
    return value


def read_selectivity(path: Path) -> dict[str, tuple[str, float]]:
    """Label key → (name as written, value) of a ``class,selectivity`` file."""
    path = Path(path)
    header, rows = _header_and_rows(path)
    lowered = [h.lower() for h in header]
    name_col = next((lowered.index(c) for c in ("class", "label", "name") if c in lowered), None)
    value_col = next(
        (lowered.index(c) for c in ("selectivity", "fraction", "share", "value") if c in lowered),
        None,
    )
    if name_col is None or value_col is None:
        raise ProfileFormatError(
            "expected a 'class' (or label) column and a 'selectivity' column",
            path=str(path),
            line=1,
        )
    values: dict[str, tuple[str, float]] = {}
    for number, row in rows:
        name = _cell(row, name_col)
        if not name:
            continue
        value = _number(row, value_col, path, number, name)
        if value is None or not 0 <= value <= 1:
            raise ProfileFormatError(
                f"selectivity of {name!r} must be a number in [0, 1]", path=str(path), line=number
            )
        values[label_key(name)] = (name, value)
    return values


def detect_basis(values: dict[str, tuple[str, float]], basis: str) -> str:
    """``instances`` or ``annotations``: ``auto`` says annotations when the values sum to 1.

    Shares of all annotations sum to 1 over the classes; fractions of items carrying each class
    sum to the mean number of distinct classes per item, which is 1 only by coincidence (and
    then every item carries exactly one class, where both readings agree).
    """
    if basis not in SELECTIVITY_BASES:
        raise ProfileFormatError(f"unknown selectivity basis {basis!r}", path="--selectivity-basis")
    if basis != "auto":
        return basis
    total = sum(v for _, v in values.values())
    return "annotations" if len(values) > 2 and abs(total - 1.0) <= 0.02 else "instances"


def read_instances(path: Path) -> list[tuple[str, list[str]]]:
    """(instance id, label names) per row of a ground-truth file.

    Formats: ``id,label,label,...`` (names or BIO tags such as ``B-PER``/``I-PER``, ``O`` is no
    label), or a header of label names with 0/1 cells (``id,person,car`` / ``x1,1,0``).
    """
    path = Path(path)
    header, rows = _header_and_rows(path)
    body = [(n, r) for n, r in rows if any(c.strip() for c in r)]
    cells = {c.strip().lower() for _, r in body[:200] for c in r[1:]}
    wide = cells <= {"", "0", "1", "true", "false", "0.0", "1.0"}
    result = []
    for number, row in body:
        ident = _cell(row, 0)
        if not ident:
            raise ProfileFormatError("a row without an instance id", path=str(path), line=number)
        if wide:
            labels = [header[i] for i in range(1, min(len(row), len(header))) if _truthy(row[i])]
        else:
            labels = [_tag(c) for c in row[1:] if c.strip().lower() not in _FALSE_CELLS]
        result.append((ident, sorted(dict.fromkeys(label for label in labels if label))))
    return result


def _truthy(cell: str) -> bool:
    return cell.strip().lower() not in _FALSE_CELLS


def _tag(cell: str) -> str:
    """``B-PER`` / ``I-PER`` → ``PER``; other cells as written."""
    return re.sub(r"^[BIES]-", "", cell.strip())


# -- records and their mapping -----------------------------------------------------------------


def profile_records(
    zoo_csv: Path,
    options: ProfileOptions,
    *,
    selectivity: Path | None = None,
    ground_truth: Path | None = None,
) -> tuple[list[RawRecord], ProfileReport]:
    """The raw records of one import: models, label statistics, instance chunks."""
    zoo_csv = Path(zoo_csv)
    zoo = options.zoo or zoo_csv.stem
    table = read_zoo(zoo_csv, memory_unit=options.memory_unit)
    models, labels = table.models, table.labels
    common = {
        "zoo": zoo,
        "metric": options.metric,
        "dataset": options.dataset,
        "hub": options.hub or zoo,
        "task": options.task,
        "licence": options.licence,
    }
    fetched = now_iso()
    records = [
        RawRecord(
            SOURCE_NAME,
            f"{zoo}/{slug(options.metric)}/{info.id}",
            {
                "kind": "model",
                **common,
                "model": info.id,
                "cost": info.cost,
                "cost_unit": options.cost_unit,
                "hardware": options.hardware,
                "memory": info.memory,
                "parameters": table.parameters.get(info.id),
                "scores": {labels[k]: v for k, v in sorted(info.accuracy.items())},
                "raw": table.raw[info.id],
            },
            str(zoo_csv),
            fetched,
        )
        for info in models
    ]
    report = ProfileReport(BuildReport(SOURCE_NAME), models=len(models), labels=len(labels))
    report.evaluations = sum(len(m.accuracy) for m in models)
    if selectivity is not None:
        values = read_selectivity(selectivity)
        basis = detect_basis(values, options.selectivity_basis)
        report.selectivity_basis, report.selectivities = basis, len(values)
        if basis == "annotations":
            report.notes.append(
                f"{Path(selectivity).name}: the values sum to 1, so they are shares of "
                "annotations, stored as mlkg:annotationShare — not selectivities; the "
                "order-aware cost needs the fraction of items per label (ground truth)"
            )
        records.append(
            RawRecord(
                SOURCE_NAME,
                f"{zoo}/statistics/{slug(Path(selectivity).stem)}",
                {
                    "kind": "statistics",
                    **common,
                    "name": Path(selectivity).stem,
                    "basis": basis,
                    "values": {name: value for name, value in sorted(values.values())},
                },
                str(selectivity),
                fetched,
            )
        )
    if ground_truth is not None:
        instances = read_instances(ground_truth)
        report.instances = len(instances)
        for number, chunk in enumerate(chunks(instances, INSTANCES_PER_RECORD)):
            records.append(
                RawRecord(
                    SOURCE_NAME,
                    f"{zoo}/instances/{slug(Path(ground_truth).stem)}/{number:05d}",
                    {"kind": "instances", **common, "instances": chunk},
                    str(ground_truth),
                    fetched,
                )
            )
    return records, report


def map_profile_record(raw: RawRecord, iris: Iris) -> MappedRecord:
    """Pure and total: a profile record to the triples of its named graph."""
    data = raw.data
    record = MappedRecord(raw.source, raw.id, iris.record_graph(raw.source, raw.id))
    kind = data.get("kind")
    if kind == "model":
        _map_model(record, data, iris)
    elif kind == "statistics":
        _map_statistics(record, data, iris)
    elif kind == "instances":
        _map_instances(record, data, iris)
    else:
        record.error = f"unknown profile record kind {kind!r}"
    return record


def _dataset(record: MappedRecord, name: str, iris: Iris) -> NamedNode:
    found = load_vocabulary().find("datasets", name, iris)
    if found is not None:
        return found
    node = iris.dataset(name, hub="profile")
    record.add(node, RDF.type, MLKG.Dataset)
    record.add(node, RDFS.label, text(name))
    record.add(node, DCTERMS.identifier, text(name))
    return node


def _concept(record: MappedRecord, scheme: str, name: str | None, iris: Iris, kind: NamedNode):
    """A vocabulary concept, or a stub typed ``kind`` with a label."""
    if not name:
        return None
    found = load_vocabulary().find(scheme, name, iris)
    if found is not None:
        return found
    node = {"metrics": iris.metric, "tasks": iris.task, "hubs": iris.hub}[scheme](name)
    record.add(node, RDF.type, kind)
    record.add(node, RDFS.label, text(name))
    return node


def label_scheme(dataset: str) -> str:
    """The label-set slug of a dataset: its vocabulary concept's id (``COCO 2017`` → ``coco``)."""
    found = load_vocabulary().find("datasets", dataset)
    return found.value.rstrip("/").rsplit("/", 1)[-1] if found is not None else slug(dataset)


def label_node(record: MappedRecord, dataset: str, name: str, iris: Iris) -> NamedNode:
    """The label of a dataset's label set, with its stub (type and name)."""
    node = iris.label(label_scheme(dataset), label_key(name))
    record.add(node, RDF.type, MLKG.Label)
    record.add(node, RDFS.label, text(name))
    return node


def _map_model(record: MappedRecord, data: dict, iris: Iris) -> None:
    hub = _concept(record, "hubs", data["hub"], iris, MLKG.ModelZoo)
    model = iris.model(slug(data["hub"]), data["model"])
    record.subject = model
    record.add(model, RDF.type, MLKG.Model)
    record.add(model, DCTERMS.identifier, text(data["model"]))
    record.add(model, RDFS.label, text(data["model"]))
    record.add(model, MLKG.hub, hub)
    record.add(model, MLKG.inferenceCost, double(data.get("cost")))
    record.add(model, MLKG.costUnit, text(data.get("cost_unit")))
    record.add(model, MLKG.hardware, text(data.get("hardware")))
    record.add(model, MLKG.memoryFootprint, double(data.get("memory")))
    record.add(model, MLKG.parameterCount, integer(data.get("parameters")))
    record.add(model, MLKG.task, _concept(record, "tasks", data.get("task"), iris, MLKG.Task))
    licence = data.get("licence")
    if licence:
        found = load_vocabulary().find("licenses", licence, iris)
        record.add(model, DCTERMS.license, found)
        if found is None:
            record.warn(f"licence {licence!r} is not in the vocabulary; left out")
    metric = _concept(record, "metrics", data["metric"], iris, MLKG.Metric)
    dataset = _dataset(record, data["dataset"], iris)
    raw_texts = data.get("raw", {})
    for name, value in data.get("scores", {}).items():
        literal = double(value)
        if literal is None or not 0 < float(value) <= 1:
            record.warn(f"quality {value!r} on {name!r} dropped")
            continue
        label = label_node(record, data["dataset"], name, iris)
        record.add(model, MLKG.predicts, label)
        evaluation = iris.evaluation(model, data["zoo"], data["metric"], data["dataset"], name)
        record.add(evaluation, RDF.type, MLKG.Evaluation)
        record.add(evaluation, MLKG.evaluatedModel, model)
        record.add(evaluation, MLKG.metric, metric)
        record.add(evaluation, MLKG.value, literal)
        record.add(evaluation, MLKG.onDataset, dataset)
        record.add(evaluation, MLKG.forLabel, label)
        record.add(evaluation, MLKG.rawValue, text(raw_texts.get(name)))


def _map_statistics(record: MappedRecord, data: dict, iris: Iris) -> None:
    dataset = _dataset(record, data["dataset"], iris)
    prop = MLKG.selectivity if data.get("basis") == "instances" else MLKG.annotationShare
    for name, value in data.get("values", {}).items():
        literal = double(value)
        if literal is None or not 0 <= float(value) <= 1:
            record.warn(f"value {value!r} of {name!r} dropped")
            continue
        label = label_node(record, data["dataset"], name, iris)
        node = NamedNode(
            f"{dataset.value}/label-statistics/{slug(data['name'])}/{quote(label_key(name))}"
        )
        record.topics.append(node)
        record.add(dataset, MLKG.labelSelectivity, node)
        record.add(node, RDF.type, MLKG.LabelSelectivity)
        record.add(node, MLKG.ofLabel, label)
        record.add(node, prop, literal)


def _map_instances(record: MappedRecord, data: dict, iris: Iris) -> None:
    dataset = _dataset(record, data["dataset"], iris)
    labels: dict[str, NamedNode] = {}
    for ident, names in data.get("instances", []):
        node = NamedNode(f"{dataset.value}/instance/{quote(str(ident), safe='')}")
        record.topics.append(node)
        record.add(node, RDF.type, MLKG.DataInstance)
        record.add(node, DCTERMS.isPartOf, dataset)
        record.add(node, DCTERMS.identifier, text(ident))
        for name in names:
            if name not in labels:
                labels[name] = label_node(record, data["dataset"], name, iris)
            record.add(node, MLKG.hasLabel, labels[name])


PROFILE_SOURCE = Source(
    name=SOURCE_NAME,
    hub=SOURCE_NAME,
    version=SOURCE_VERSION,
    default_location="",
    description="profiled model zoos and label statistics for the query optimizer",
    crawl=lambda *args, **kwargs: iter(()),
    map_record=map_profile_record,
)


# -- loading -----------------------------------------------------------------------------------


def import_profile(
    settings: Settings,
    zoo_csv: Path,
    options: ProfileOptions | None = None,
    *,
    selectivity: Path | None = None,
    ground_truth: Path | None = None,
    validate: ValidateFn | None = None,
) -> ProfileReport:
    """Load a profiled zoo (and label statistics) into the store of ``settings.data_dir``.

    Each record is mapped, validated and loaded like a crawled one (provenance, quarantine,
    atomic replace, unchanged records skipped). Graphs of this zoo and metric whose model left
    the file, and statistics/instance graphs of the same files no longer produced, are dropped;
    other zoos' graphs are untouched.
    """
    options = options or ProfileOptions()
    records, report = profile_records(
        zoo_csv, options, selectivity=selectivity, ground_truth=ground_truth
    )
    zoo = options.zoo or Path(zoo_csv).stem
    scopes = [f"{zoo}/{slug(options.metric)}/"]
    if selectivity is not None:
        scopes.append(f"{zoo}/statistics/{slug(Path(selectivity).stem)}")
    if ground_truth is not None:
        scopes.append(f"{zoo}/instances/{slug(Path(ground_truth).stem)}/")
    load_records(settings, records, report.build, scopes=scopes, validate=validate)
    return report


def load_records(
    settings: Settings,
    records: Sequence[RawRecord],
    report: BuildReport,
    *,
    scopes: Sequence[str] = (),
    validate: ValidateFn | None = None,
) -> BuildReport:
    """Map, validate and load profile records — a sibling of :func:`mlkg.pipeline.load_raw`.

    ``scopes``: record-id prefixes this import owns; their graphs that no record produced
    this time are dropped at the end (the import is complete for them).
    """
    validate = validate or default_validator()
    report.complete = False  # the source holds other zoos too: deletions are scoped below
    with LoadSession(settings, PROFILE_SOURCE, report) as session:
        load_chunks(session, records, report, validate)
        owned = [_scope_test(session.iris, scope) for scope in scopes if scope.strip("/")]
        gone = [
            NamedNode(graph)
            for graph in session.fingerprints
            if graph not in session.seen_graphs and any(test(graph) for test in owned)
        ]
        session.store.drop_graphs(gone)
        report.removed = len(gone)
    return report


def _scope_test(iris: Iris, scope: str):
    """A test for graph IRIs of one scope: a record-id prefix (ending in /) or one record id."""
    base = iris.record_graph(SOURCE_NAME, scope.rstrip("/")).value
    if scope.endswith("/"):
        return lambda graph: graph.startswith(base + "/")
    return lambda graph: graph == base


def problem_models(path: Path, *, memory_unit: str = "MB") -> list[ModelInfo]:
    """The models of a zoo CSV read directly (no graph): for tests, benchmarks and scripts."""
    return read_zoo(path, memory_unit=memory_unit).models


def selectivities(path: Path) -> dict[str, float]:
    """Label key → value of a statistics file, read directly."""
    return {key: value for key, (_, value) in read_selectivity(path).items()}
