"""Evaluations: the card's ``model-index`` and the newer ``.eval_results/*.yaml`` files.

``model-index`` is read like ``huggingface_hub.repocard_data.model_index_to_eval_results``
(entries → results → metrics, one evaluation per metric) but finer: a result without a dataset,
a metric without a type or a number is dropped with a warning, and the rest of the block is kept.
A dict instead of a list is read as one entry.

Values (docs/architecture.md, "Numbers"):

* numbers are ``xsd:double``; the source's text is kept in ``mlkg:rawValue`` when it was text;
* ``"7.56 +/- 2.71"`` (also ``±``) gives ``mlkg:value 7.56`` and ``mlkg:valueSpread 2.71``;
* a value the source writes in percent (``"93.5%"``, ``"93.5 %"``) is divided by 100 and marked
  ``mlkg:percentNormalised true``;
* a bare number in (1, 100] for a ratio metric (one whose vocabulary scope note says "A ratio in
  [0, 1]", e.g. accuracy 93.5 or a Whisper WER of 12.3) is read as a percent, like a ``%`` sign:
  divided by 100, marked ``mlkg:percentNormalised true``, the text kept in ``mlkg:rawValue``, and
  a warning says so. One rule for every zoo (the PyTorch Hub crawler reads its tables the same
  way) keeps ``FILTER(?v > 0.9)`` meaningful; a value above 100 is kept as written, with a
  warning;
* anything else (``NA``, ``nan +/- nan``, lists) drops that one metric with a warning.

``.eval_results`` entries name a benchmark dataset and one of its leaderboard tasks, not a metric
(https://huggingface.co/docs/hub/eval-results). The metric is the leaderboard's own score, minted
per benchmark task: ``metric/{slug of "dataset id/task id"}`` labelled "<task id> score".

Spec: https://github.com/huggingface/hub-docs/blob/main/modelcard.md (model-index),
https://github.com/huggingface/hub-docs/blob/main/eval_results.yaml
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from pyoxigraph import Literal, NamedNode, RdfFormat, parse

from crawlers.huggingface.cards import is_placeholder, load_yaml_document, mapping
from crawlers.huggingface.context import Context
from crawlers.huggingface.datasets import evaluation_dataset, split_node, subset
from mlkg.namespaces import DCTERMS, MLKG, RDF, RDFS, SKOS
from mlkg.rdf import boolean, clean_text, date_time, double, text, url
from mlkg.resources import data_dir

#: Evaluations minted from one record at most (the largest real model-indexes have ~2,000).
MAX_EVALUATIONS = 5000
#: Metrics looked at per record at most, usable or not (bounds the work and the warnings).
MAX_METRICS_READ = 4 * MAX_EVALUATIONS
MAX_ENTRIES = 100
MAX_EVAL_FILES = 100
MAX_EVAL_FILE_CHARS = 1_000_000
MAX_RAW_VALUE = 200

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_MEASUREMENT = re.compile(
    rf"(?P<mean>{_NUMBER})\s*(?P<p1>%)?\s*"
    rf"(?:(?:\+/-|\+-|±|\+/−)\s*(?P<spread>{_NUMBER})\s*(?P<p2>%)?)?"
)


@dataclass(frozen=True)
class Measurement:
    """A parsed value: ``value`` and ``spread`` already divided by 100 when ``percent``."""

    value: float
    spread: float | None
    percent: bool
    raw: str | None


def parse_measurement(value: Any) -> Measurement | None:
    """A number, ``"93.5%"``, ``"7.56 +/- 2.71"`` or ``"91.2 ± 0.4 %"``; ``None`` otherwise.

    >>> parse_measurement("7.56 +/- 2.71")
    Measurement(value=7.56, spread=2.71, percent=False, raw='7.56 +/- 2.71')
    >>> parse_measurement("93.5 %").value, parse_measurement(0.91).raw
    (0.935, None)
    >>> parse_measurement("NA") is None, parse_measurement(True) is None
    (True, True)
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        number = float(value)
        return Measurement(number, None, False, None) if math.isfinite(number) else None
    if not isinstance(value, str) or len(value) > MAX_RAW_VALUE:
        return None
    raw = value.strip()
    match = _MEASUREMENT.fullmatch(raw)
    if match is None:
        return None
    percent = bool(match["p1"] or match["p2"])
    scale = 100 if percent else 1
    mean = float(match["mean"]) / scale
    spread = abs(float(match["spread"])) / scale if match["spread"] else None
    if not math.isfinite(mean) or (spread is not None and not math.isfinite(spread)):
        return None
    return Measurement(round(mean, 12), None if spread is None else round(spread, 12), percent, raw)


@cache
def ratio_metrics() -> frozenset[str]:
    """Local names of the vocabulary metrics whose scope note says "A ratio in [0, 1]"."""
    path = data_dir("ontology") / "vocab" / "metrics.ttl"
    return frozenset(
        t.subject.value.rsplit("/", 1)[-1]
        for t in parse(path=path, format=RdfFormat.TURTLE)
        if t.predicate == SKOS.scopeNote and t.object.value.startswith("A ratio in [0, 1]")
    )


def metric_node(ctx: Context, metric_type: str | None, name: str | None) -> NamedNode | None:
    """The vocabulary metric of the type (of the name when the type is missing), else minted."""
    written = metric_type if metric_type and not is_placeholder(metric_type) else None
    found = ctx.vocab.find("metrics", written or name, ctx.iris)
    if found is not None:
        return found
    key = written or name
    if not key:
        return None
    node = ctx.iris.metric(key)
    if ctx.first_time(node):
        ctx.add(node, RDF.type, MLKG.Metric)
        ctx.add(node, RDFS.label, text(name or key))
        ctx.add(node, SKOS.notation, text(key))
    return node


@dataclass(frozen=True)
class Found:
    """One evaluation to write: what it measured, where, and the key its IRI is minted from."""

    key: tuple[str, ...]
    metric: NamedNode
    measurement: Measurement
    on: NamedNode
    label: str
    verified: Literal | None = None
    source: NamedNode | None = None
    date: Literal | None = None
    notes: Literal | None = None


def add_evaluation(ctx: Context, model: NamedNode, found: Found, seen: dict[tuple, int]) -> bool:
    """Write one mlkg:Evaluation; ``False`` once the record's cap is reached."""
    if ctx.evaluations >= MAX_EVALUATIONS:
        return False
    ctx.evaluations += 1
    seen[found.key] = occurrence = seen.get(found.key, 0) + 1
    node = ctx.iris.evaluation(model, *found.key, str(occurrence))
    m = found.measurement
    ctx.add(node, RDF.type, MLKG.Evaluation)
    ctx.add(node, MLKG.evaluatedModel, model)
    ctx.add(node, MLKG.metric, found.metric)
    ctx.add(node, MLKG.value, double(m.value))
    ctx.add(node, MLKG.valueSpread, double(m.spread) if m.spread is not None else None)
    ctx.add(node, MLKG.rawValue, text(m.raw))
    ctx.add(node, MLKG.percentNormalised, boolean(True) if m.percent else None)
    ctx.add(node, MLKG.onDataset, found.on)
    ctx.add(node, MLKG.verified, found.verified)
    ctx.add(node, DCTERMS.source, found.source)
    ctx.add(node, DCTERMS.date, found.date)
    ctx.add(node, DCTERMS.description, found.notes)
    ctx.add(node, RDFS.label, text(found.label, max_length=300))
    return True


# -- model-index ---------------------------------------------------------------------------------


def map_model_index(ctx: Context, model: NamedNode, value: Any) -> None:
    """Every metric of every result of a ``model-index`` (list, dict or malformed)."""
    if value is None:
        return
    if isinstance(value, dict):
        ctx.warn("model-index is a mapping, not a list of entries; read as one entry")
        value = [value]
    if not isinstance(value, list):
        ctx.warn(f"model-index is a {type(value).__name__}, not a list of entries; ignored")
        return
    if len(value) > MAX_ENTRIES:
        ctx.warn(f"model-index has {len(value)} entries; only the first {MAX_ENTRIES} were read")
    seen: dict[tuple, int] = {}
    for number, entry in enumerate(value[:MAX_ENTRIES], start=1):
        if not isinstance(entry, dict):
            ctx.warn(f"model-index entry {number} is a {type(entry).__name__}; ignored")
            continue
        results = entry.get("results")
        if isinstance(results, dict):
            ctx.warn(f"model-index entry {number}: results is a mapping; read as one result")
            results = [results]
        if results is not None and not isinstance(results, list):
            ctx.warn(f"model-index entry {number}: results is a {type(results).__name__}; ignored")
            continue
        name = _string(entry.get("name")) or ""
        for index, result in enumerate(results or [], start=1):
            if not _map_result(ctx, model, name, f"model-index result {index}", result, seen):
                ctx.warn(
                    f"more than {MAX_EVALUATIONS} evaluations or {MAX_METRICS_READ} metrics; "
                    "the rest were not read"
                )
                return


def _map_result(
    ctx: Context, model: NamedNode, entry: str, where: str, result: Any, seen: dict
) -> bool:
    if not isinstance(result, dict):
        ctx.warn(f"{where} is a {type(result).__name__}, not a mapping; ignored")
        return True
    metrics = result.get("metrics")
    if isinstance(metrics, dict):
        metrics = [metrics]
    if not isinstance(metrics, list) or not metrics:
        ctx.warn(f"{where} has no metrics; ignored")
        return True
    task = result.get("task")
    task = task if isinstance(task, dict) else {"type": task}
    task_node = ctx.vocab.find("tasks", _string(task.get("type")), ctx.iris)
    ctx.add(model, MLKG.task, task_node)
    dataset = mapping(result.get("dataset"), f"{where} dataset", ctx.warn)
    d_type, d_name = _string(dataset.get("type")), _string(dataset.get("name"))
    config, split = _string(dataset.get("config")), _string(dataset.get("split"))
    node, absorbed = evaluation_dataset(ctx, d_type, d_name, config)
    if node is None:
        ctx.warn(f"{where} names no dataset; its {len(metrics)} metric(s) were dropped")
        return True
    part = None if absorbed else subset(config, d_type)
    on = split_node(ctx, node, split, part) if split else node
    args = _args(dataset.get("args"))
    source = mapping(result.get("source"), f"{where} source", ctx.warn).get("url")
    context = (entry, _string(task.get("type")) or "", d_type or "", d_name or "")
    context += (config or "", split or "", args)
    shown = " ".join(p for p in (d_name or d_type, config, split) if p)
    for number, metric in enumerate(metrics, start=1):
        ctx.metrics_read += 1
        if ctx.metrics_read > MAX_METRICS_READ:
            return False
        found = _metric(ctx, metric, f"{where} metric {number}", context, on, shown)
        if found is not None:
            found = replace(found, source=url(source))
            if not add_evaluation(ctx, model, found, seen):
                return False
    return True


def _metric(
    ctx: Context, metric: Any, where: str, context: tuple, on: NamedNode, shown: str
) -> Found | None:
    if not isinstance(metric, dict):
        ctx.warn(f"{where} is a {type(metric).__name__}, not a mapping; dropped")
        return None
    m_type, m_name = _string(metric.get("type")), _string(metric.get("name"))
    node = metric_node(ctx, m_type, m_name)
    if node is None:
        ctx.warn(f"{where} has no type or name; dropped")
        return None
    raw = metric.get("value")
    measurement = parse_measurement(raw)
    if measurement is None:
        ctx.warn(f"{where} ({m_type or m_name}): value {_show(raw)} is not a number; dropped")
        return None
    measurement = _check_scale(ctx, where, m_type or m_name or "", node, measurement)
    verified = metric.get("verified")
    flag = boolean(verified) if verified is not None else None
    if verified is not None and flag is None:
        ctx.warn(f"{where}: verified {_show(verified)} is not true/false; ignored")
    key = (*context, m_type or "", m_name or "", _string(metric.get("config")) or "")
    label = f"{m_name or m_type}" + (f" on {shown}" if shown else "")
    return Found(("model-index", *key), node, measurement, on, label, flag)


def _check_scale(
    ctx: Context, where: str, written: str, metric: NamedNode, m: Measurement
) -> Measurement:
    """Read a bare value in (1, 100] on a ratio metric as a percent (see the module docstring)."""
    if m.percent or m.value <= 1 or metric.value.rsplit("/", 1)[-1] not in ratio_metrics():
        return m
    if m.value > 100:
        ctx.warn(
            f"{where} ({written}): {m.value:g} is above 100 for a ratio metric; kept as written"
        )
        return m
    ctx.warn(
        f"{where} ({written}): {m.value:g} is above 1 for a ratio metric and has no % sign; "
        f"read as a percent ({m.value / 100:g})"
    )
    spread = None if m.spread is None else round(m.spread / 100, 12)
    return replace(
        m, value=round(m.value / 100, 12), spread=spread, percent=True, raw=m.raw or f"{m.value:g}"
    )


def _args(value: Any) -> str:
    """A stable text for ``dataset.args`` (few-shot counts and the like), part of the key."""
    if isinstance(value, dict):
        items = sorted((str(k)[:50], str(v)[:50]) for k, v in list(value.items())[:20])
        return ";".join(f"{k}={v}" for k, v in items)
    return _string(value) or ""


# -- .eval_results -------------------------------------------------------------------------------


def map_eval_results(ctx: Context, model: NamedNode, files: Any) -> None:
    """The ``.eval_results/*.yaml`` files: ``{path: yaml text}``."""
    if files is None:
        return
    if not isinstance(files, dict):
        ctx.warn(f"eval_results is a {type(files).__name__}, not a mapping of files; ignored")
        return
    seen: dict[tuple, int] = {}
    for path in sorted(str(p) for p in files)[:MAX_EVAL_FILES]:
        content = files.get(path)
        if not isinstance(content, str) or len(content) > MAX_EVAL_FILE_CHARS:
            ctx.warn(f"eval results file {path[:80]!r} is not readable text; ignored")
            continue
        entries = load_yaml_document(content, f"eval results file {path[:80]!r}", ctx.warn)
        if isinstance(entries, dict):
            entries = [entries]
        if entries is None:
            continue
        if not isinstance(entries, list):
            ctx.warn(f"eval results file {path[:80]!r} is not a list of results; ignored")
            continue
        for number, entry in enumerate(entries[:MAX_EVALUATIONS], start=1):
            ctx.metrics_read += 1
            found = None
            if ctx.metrics_read <= MAX_METRICS_READ:
                where = f"eval results file {path[:80]!r} entry {number}"
                found = _eval_result(ctx, where, path, entry)
                if found is None or add_evaluation(ctx, model, found, seen):
                    continue
            ctx.warn(f"more than {MAX_EVALUATIONS} evaluations; the rest were not read")
            return


def _eval_result(ctx: Context, where: str, path: str, entry: Any) -> Found | None:
    if not isinstance(entry, dict):
        ctx.warn(f"{where} is a {type(entry).__name__}, not a mapping; ignored")
        return None
    dataset = mapping(entry.get("dataset"), f"{where} dataset", ctx.warn)
    dataset_id, task_id = _string(dataset.get("id")), _string(dataset.get("task_id"))
    node = evaluation_dataset(ctx, dataset_id, None, None)[0] if dataset_id else None
    if node is None or not task_id:
        ctx.warn(f"{where} needs dataset.id and dataset.task_id; ignored")
        return None
    measurement = parse_measurement(entry.get("value"))
    if measurement is None:
        ctx.warn(f"{where}: value {_show(entry.get('value'))} is not a number; ignored")
        return None
    metric = ctx.iris.metric(f"{dataset_id}/{task_id}")
    if ctx.first_time(metric):
        ctx.add(metric, RDF.type, MLKG.Metric)
        ctx.add(metric, RDFS.label, text(f"{task_id} score ({dataset_id})"))
        ctx.add(metric, SKOS.notation, text(task_id))
    source = mapping(entry.get("source"), f"{where} source", ctx.warn).get("url")
    return Found(
        key=("eval_results", path, dataset_id, task_id),
        metric=metric,
        measurement=measurement,
        on=node,
        label=f"{task_id} on {dataset_id}",
        source=url(source),
        date=date_time(entry.get("date")),
        notes=text(_string(entry.get("notes"))),
    )


def _string(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    cleaned = clean_text(str(value), max_length=300)
    return cleaned or None


def _show(value: Any) -> str:
    return repr(value)[:60]
