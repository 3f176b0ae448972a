"""Training runs: the datasets a model was trained on, its hyperparameters and framework versions.

The Hugging Face ``Trainer`` writes a card section every fine-tuned model inherits::

    ### Training hyperparameters

    The following hyperparameters were used during training:
    - learning_rate: 2e-05
    - optimizer: Adam with betas=(0.9,0.999) and epsilon=1e-08
    ...

    ### Framework versions

    - Transformers 4.26.0
    - Pytorch 1.13.1+cu116

Each ``- name: value`` (or ``- name=value``) line is one ``mlkg:HyperParameterSetting`` (typed with
:func:`mlkg.rdf.typed_value`, the text kept in ``mlkg:rawValue``). The optimizer line is split into
``optimizer`` and the ``adam_beta1``/``adam_beta2``/``adam_epsilon`` settings, the
``TrainingArguments`` names the line is printed from; the Keras callback's optimizer (a Python
dict) gives the same settings. "Hyperparameter | Value" tables (scikit-learn and Keras cards) are
read too. Framework versions are ``mlkg:frameworkVersion "Transformers 4.26.0"`` on the run.

Names are lower-cased with spaces and dashes as ``_`` ("Learning rate" → ``learning_rate``), so the
same hyperparameter is one ``mlkg:HyperParameter`` across cards.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Any

from pyoxigraph import Literal, NamedNode

from crawlers.huggingface.context import Context
from mlkg.namespaces import MLKG, PROV, RDF, RDFS
from mlkg.rdf import clean_text, text, typed_value

MAX_SETTINGS = 200
MAX_FRAMEWORKS = 30
MAX_RAW = 1000
#: The longest Keras optimizer dict evaluated with ``ast.literal_eval``.
MAX_LITERAL = 5000

_INTRO = re.compile(r"^\s*The following hyperparameters were used during training:?\s*$", re.I)
_ITEM = re.compile(r"^\s*[-*+]\s+(?P<name>[^:=\n]{1,100}?)\s*[:=]\s*(?P<value>.*?)\s*$")
_LIST_ITEM = re.compile(r"^\s*[-*+]\s")
_FRAMEWORK_HEADING = re.compile(r"^\s*#{1,6}\s*Framework versions\s*#*\s*$", re.I)
_FRAMEWORK = re.compile(
    r"^\s*[-*+]\s+(?P<name>[A-Za-z][\w .-]{0,60}?)\s+(?P<version>v?\d\S{0,60})\s*$"
)
_OPTIMIZER = re.compile(
    r"^(?:Use\s+)?(?P<name>.+?)\s+with\s+betas\s*=\s*\(\s*(?P<b1>[^,()\s]+)\s*,\s*(?P<b2>[^,()\s]+)"
    r"\s*\)\s*and\s+epsilon\s*=\s*(?P<eps>[^\s,]+)(?:\s+and\s+optimizer_args\s*=\s*(?P<args>.*))?$",
    re.I,
)
_LINK_TEXT = re.compile(r"\[([^\]]{1,100})\]\([^)]{0,500}\)")
_TABLE_ROW = re.compile(r"^\s*\|(.*)\|\s*$")
_NONE = frozenset({"", "none", "null", "nan", "n/a", "-"})
_KERAS_KEYS = {
    "beta_1": "adam_beta1",
    "beta_2": "adam_beta2",
    "epsilon": "adam_epsilon",
    "learning_rate": "learning_rate",
    "weight_decay_rate": "weight_decay",
    "weight_decay": "weight_decay",
    "amsgrad": "amsgrad",
}


def parameter_name(written: str) -> str | None:
    """The normalised hyperparameter name (``None`` when nothing usable is left).

    >>> parameter_name(" Learning rate "), parameter_name("lr-scheduler type"), parameter_name("??")
    ('learning_rate', 'lr_scheduler_type', None)
    """
    name = re.sub(r"[\s-]+", "_", written.strip().lower())
    name = re.sub(r"[^\w.]", "", name).strip("_.")
    return name[:100] or None


def hyperparameters(body: str) -> list[tuple[str, str]]:
    """``(name as written, value as written)`` pairs from the Trainer list and from tables."""
    lines = body.split("\n")
    pairs = list(_trainer_list(lines))
    pairs += _tables(lines)
    return pairs[: MAX_SETTINGS * 2]


def _trainer_list(lines: list[str]) -> Iterator[tuple[str, str]]:
    for start, line in enumerate(lines):
        if not _INTRO.match(line):
            continue
        started = False
        for item in lines[start + 1 : start + 1 + MAX_SETTINGS]:
            match = _ITEM.match(item)
            if match:
                yield match["name"], match["value"]
            if _LIST_ITEM.match(item):
                started = True  # an item without "name: value" is skipped, not the end
            elif item.strip() or started:
                break
        return


def _tables(lines: list[str]) -> list[tuple[str, str]]:
    """Rows of tables headed ``Hyperparameter(s) | Value``."""
    pairs = []
    for index, line in enumerate(lines):
        header = _cells(line)
        if len(header) < 2 or not re.fullmatch(r"hyper-?parameters?", header[0].lower()):
            continue
        if header[1].lower() != "value":
            continue
        keras = header[0].lower() == "hyperparameters"  # the Keras callback's optimizer table
        for row in lines[index + 2 : index + 2 + MAX_SETTINGS]:
            cells = _cells(row)
            if len(cells) < 2:
                break
            name = cells[0]
            if keras:
                name = "optimizer" if name == "name" else _KERAS_KEYS.get(name, name)
            pairs.append((name, cells[1]))
    return pairs


def _cells(line: str) -> list[str]:
    match = _TABLE_ROW.match(line[:2000])
    return [cell.strip() for cell in match.group(1).split("|")] if match else []


def framework_versions(body: str) -> list[str]:
    """``"Transformers 4.26.0"``-style lines of the "Framework versions" section.

    >>> framework_versions("### Framework versions\\n\\n- Transformers 4.26.0\\n- Pytorch 1.13.1")
    ['Transformers 4.26.0', 'Pytorch 1.13.1']
    """
    lines = body.split("\n")
    for start, line in enumerate(lines):
        if not _FRAMEWORK_HEADING.match(line):
            continue
        found: list[str] = []
        for item in lines[start + 1 : start + 1 + 2 * MAX_FRAMEWORKS]:
            match = _FRAMEWORK.match(item)
            if match:
                found.append(f"{match['name'].strip()} {match['version']}")
            elif item.strip().startswith("#") or (item.strip() and found):
                break
        return list(dict.fromkeys(found))[:MAX_FRAMEWORKS]
    return []


def settings(pairs: list[tuple[str, str]], warn: Any) -> dict[str, tuple[Literal, str]]:
    """Normalised name → (typed value, raw text); the optimizer is split into its parts."""
    found: dict[str, tuple[Literal, str]] = {}

    def put(written: str, raw: str) -> None:
        name = parameter_name(written)
        cleaned = clean_text(raw, max_length=MAX_RAW)
        if name is None or cleaned.lower() in _NONE:
            return
        value = typed_value(cleaned)
        if value is None:
            return
        if name in found:
            if found[name][1] != cleaned:
                warn(f"hyperparameter {name!r} given twice; the first value is kept")
            return
        if len(found) >= MAX_SETTINGS:
            return
        found[name] = (value, cleaned)

    for written, raw in pairs:
        if parameter_name(written) == "optimizer":
            for name, part in optimizer_settings(raw):
                put(name, part)
        else:
            put(written, raw)
    return found


def optimizer_settings(raw: str) -> list[tuple[str, str]]:
    """The optimizer line as settings.

    >>> for pair in optimizer_settings("Adam with betas=(0.9,0.999) and epsilon=1e-08"):
    ...     print(pair)
    ('optimizer', 'Adam')
    ('adam_beta1', '0.9')
    ('adam_beta2', '0.999')
    ('adam_epsilon', '1e-08')
    >>> optimizer_settings("{'name': 'AdamWeightDecay', 'beta_1': 0.9, 'decay': 0.0}")
    [('optimizer', 'AdamWeightDecay'), ('adam_beta1', '0.9')]
    """
    stripped = raw.strip()
    match = _OPTIMIZER.match(stripped)
    if match:
        name = _LINK_TEXT.sub(r"\1", match["name"]).removeprefix("OptimizerNames.").strip()
        parts = [("optimizer", name), ("adam_beta1", match["b1"]), ("adam_beta2", match["b2"])]
        parts.append(("adam_epsilon", match["eps"]))
        args = (match["args"] or "").strip()
        if args and not args.lower().startswith("no additional"):
            parts.append(("optimizer_args", args))
        return parts
    if stripped.startswith("{") and len(stripped) <= MAX_LITERAL:
        return _keras_optimizer(stripped) or [("optimizer", stripped)]
    return [("optimizer", _LINK_TEXT.sub(r"\1", stripped))]


def _keras_optimizer(written: str) -> list[tuple[str, str]]:
    try:
        value = ast.literal_eval(written)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return []
    if not isinstance(value, dict):
        return []
    inner = value.get("inner_optimizer")  # mixed-precision LossScaleOptimizer wraps the real one
    if isinstance(inner, dict) and isinstance(inner.get("config"), dict):
        value = inner["config"]
    name = value.get("name")
    parts = [("optimizer", str(name))] if isinstance(name, str) else []
    for key, target in _KERAS_KEYS.items():
        item = value.get(key)
        if isinstance(item, (bool, int, float)):
            parts.append((target, str(item)))
    schedule = value.get("learning_rate")
    if isinstance(schedule, dict) and isinstance(schedule.get("class_name"), str):
        parts.append(("lr_scheduler_type", schedule["class_name"]))
    return parts


def map_training(
    ctx: Context,
    model: NamedNode,
    datasets: list[NamedNode],
    body: str | None,
) -> int:
    """The TrainingRun (with its datasets, configuration and framework versions), if any.

    Returns the number of hyperparameter settings written.
    """
    found = settings(hyperparameters(body), ctx.warn) if body else {}
    frameworks = framework_versions(body) if body else []
    if not (datasets or found or frameworks):
        return 0
    run = ctx.iris.training_run(model)
    ctx.add(model, PROV.wasGeneratedBy, run)
    ctx.add(run, RDF.type, MLKG.TrainingRun)
    for dataset in datasets:
        ctx.add(model, MLKG.trainedOn, dataset)
        ctx.add(run, PROV.used, dataset)
    for framework in frameworks:
        ctx.add(run, MLKG.frameworkVersion, text(framework))
    if found:
        _configuration(ctx, model, run, found)
    return len(found)


def _configuration(
    ctx: Context, model: NamedNode, run: NamedNode, found: dict[str, tuple[Literal, str]]
) -> None:
    configuration = ctx.iris.configuration(model)
    ctx.add(run, MLKG.configuration, configuration)
    ctx.add(configuration, RDF.type, MLKG.TrainingConfiguration)
    for name, (value, raw) in found.items():
        setting = ctx.iris.setting(model, name)
        parameter = ctx.iris.hyperparameter(name)
        ctx.add(configuration, MLKG.setting, setting)
        ctx.add(setting, RDF.type, MLKG.HyperParameterSetting)
        ctx.add(setting, MLKG.hyperParameter, parameter)
        ctx.add(setting, MLKG.value, value)
        ctx.add(setting, MLKG.rawValue, text(raw))
        if ctx.first_time(parameter):
            ctx.add(parameter, RDF.type, MLKG.HyperParameter)
            ctx.add(parameter, RDFS.label, Literal(name))
