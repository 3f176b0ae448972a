"""Reading OpenML's wire format: the XML documents of its REST API and the split ARFF files.

OpenML answers ``GET /api/v1/xml/{data,data/features,data/qualities,task,flow,setup,run}/{id}``
with XML in the ``http://openml.org/openml`` namespace (``oml:`` prefix), and serves a task's
train/test folds as an ARFF file (``@attribute type {TRAIN,TEST}``, ``rowid``, ``repeat``,
``fold`` and, for learning-curve tasks, ``sample``). Docs: https://www.openml.org/apis and the XSD
schemas at https://github.com/openml/OpenML/tree/master/openml_OS/views/pages/api_new/v1/xsd.

Everything here is pure. :func:`parse_xml` refuses what OpenML never sends and an attacker would:
a document type declaration (``<!DOCTYPE``/``<!ENTITY``: the "billion laughs" entity expansion and
external entities) and documents over :data:`MAX_XML_CHARS`. The standard library's ElementTree
is used on what remains; it never fetches external resources, and rejecting every DTD up front
is the protection ``defusedxml`` would add (``forbid_dtd``), without the dependency. Elements are
matched by local name, so documents with or without the ``oml:`` namespace read the same.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field

#: Longest XML document read (real ones are under 1.5 MB: the features of a 10,000-column set).
MAX_XML_CHARS = 16 * 1024 * 1024
#: Most rows read from one split file; the rest are dropped with a warning.
MAX_SPLIT_ROWS = 200_000
#: Nesting depth and number of component flows read from one flow document.
MAX_FLOW_DEPTH = 8
MAX_FLOW_COMPONENTS = 200
MAX_PARAMETERS = 2_000
MAX_EVALUATIONS = 20_000

_DTD = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.I)


class OpenMLFormatError(ValueError):
    """A document that cannot be read at all; the message says which and why."""


def local(tag: str) -> str:
    """``{http://openml.org/openml}task`` → ``task``."""
    return tag.rsplit("}", 1)[-1]


def parse_xml(text: str, what: str) -> ET.Element:
    """The root element of an OpenML XML document.

    >>> parse_xml('<oml:flow xmlns:oml="http://openml.org/openml"><oml:id>3</oml:id></oml:flow>',
    ...           "flow 3").tag
    '{http://openml.org/openml}flow'
    >>> parse_xml('<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "data 1")
    Traceback (most recent call last):
    ...
    crawlers._openml_xml.OpenMLFormatError: data 1: XML with a document type declaration \
(<!DOCTYPE or <!ENTITY) is refused: OpenML never sends one, and entity expansion ("billion \
laughs") is an attack
    """
    if not isinstance(text, str) or not text.strip():
        raise OpenMLFormatError(f"{what}: no XML text")
    if len(text) > MAX_XML_CHARS:
        raise OpenMLFormatError(f"{what}: XML of {len(text)} characters, over {MAX_XML_CHARS}")
    if _DTD.search(text):
        raise OpenMLFormatError(
            f"{what}: XML with a document type declaration (<!DOCTYPE or <!ENTITY) is refused: "
            'OpenML never sends one, and entity expansion ("billion laughs") is an attack'
        )
    try:
        return ET.fromstring(text.removeprefix("\ufeff"))
    except ET.ParseError as exc:
        line, column = exc.position
        reason = str(exc).split(":", 1)[0]
        raise OpenMLFormatError(
            f"{what}: malformed XML at line {line}, column {column + 1} ({reason})"
        ) from None


def kids(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if local(child.tag) == name]


def kid(element: ET.Element, name: str) -> ET.Element | None:
    return next((child for child in element if local(child.tag) == name), None)


def text_of(element: ET.Element | None, name: str | None = None) -> str | None:
    """The stripped text of ``element`` (or of its first child ``name``); ``None`` when blank."""
    if element is not None and name is not None:
        element = kid(element, name)
    if element is None:
        return None
    value = "".join(element.itertext()).strip()
    return value or None


def texts_of(element: ET.Element, name: str) -> list[str]:
    return [value for child in kids(element, name) if (value := text_of(child))]


def int_of(value: str | None) -> int | None:
    """An integer id or count from OpenML text (``"61"``, ``"898.0"``); ``None`` otherwise."""
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def expect_root(root: ET.Element, name: str, what: str) -> None:
    if local(root.tag) == "error":
        message = text_of(root, "message") or text_of(root, "code") or "no message"
        raise OpenMLFormatError(f"{what}: OpenML answered with an error: {message}")
    if local(root.tag) != name:
        raise OpenMLFormatError(f"{what}: expected an oml:{name} document, got {local(root.tag)}")


# -- documents -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetRef:
    """What a record knows about a dataset it links to: OpenML id, and name/version if known."""

    id: int
    name: str | None = None
    version: int | None = None


@dataclass
class DatasetDoc:
    id: int | None
    name: str | None
    version: int | None
    fields: dict[str, str]
    tags: list[str]


def read_dataset(root: ET.Element) -> DatasetDoc:
    """``oml:data_set_description``: id, name, version, the other scalar fields, tags."""
    expect_root(root, "data_set_description", "dataset description")
    fields = {local(c.tag): v for c in root if local(c.tag) != "tag" and (v := text_of(c))}
    return DatasetDoc(
        int_of(fields.get("id")),
        fields.get("name"),
        int_of(fields.get("version")),
        fields,
        texts_of(root, "tag"),
    )


@dataclass(frozen=True)
class Feature:
    index: int | None
    name: str
    data_type: str | None
    is_target: bool
    nominal_values: tuple[str, ...]


def read_features(root: ET.Element) -> list[Feature]:
    expect_root(root, "data_features", "dataset features")
    return [
        Feature(
            int_of(text_of(f, "index")),
            text_of(f, "name") or "",
            text_of(f, "data_type"),
            (text_of(f, "is_target") or "").lower() == "true",
            tuple(texts_of(f, "nominal_value")),
        )
        for f in kids(root, "feature")
    ]


def read_qualities(root: ET.Element) -> dict[str, str]:
    expect_root(root, "data_qualities", "dataset qualities")
    return {
        name: value
        for q in kids(root, "quality")
        if (name := text_of(q, "name")) and (value := text_of(q, "value"))
    }


@dataclass
class TaskDoc:
    id: int | None
    type: str | None
    dataset_id: int | None
    target: str | None
    procedure: str | None
    splits_url: str | None
    parameters: dict[str, str]
    measures: list[str]
    tags: list[str]


def read_task(root: ET.Element) -> TaskDoc:
    """``oml:task``: its inputs (source data, estimation procedure, measures) by name."""
    expect_root(root, "task", "task")
    inputs = {child.get("name"): child for child in kids(root, "input")}
    data = kid(inputs["source_data"], "data_set") if "source_data" in inputs else None
    procedure = inputs.get("estimation_procedure")
    procedure = kid(procedure, "estimation_procedure") if procedure is not None else None
    parameters: dict[str, str] = {}
    if procedure is not None:
        for parameter in kids(procedure, "parameter"):
            if parameter.get("name") and (value := text_of(parameter)):
                parameters[parameter.get("name", "")] = value
    measures = inputs.get("evaluation_measures")
    measures_el = kid(measures, "evaluation_measures") if measures is not None else None
    return TaskDoc(
        int_of(text_of(root, "task_id")),
        text_of(root, "task_type"),
        int_of(text_of(data, "data_set_id")) if data is not None else None,
        text_of(data, "target_feature") if data is not None else None,
        text_of(procedure, "type") if procedure is not None else None,
        text_of(procedure, "data_splits_url") if procedure is not None else None,
        parameters,
        texts_of(measures_el, "evaluation_measure") if measures_el is not None else [],
        texts_of(root, "tag"),
    )


@dataclass(frozen=True)
class FlowParameter:
    name: str
    data_type: str | None
    default: str | None
    description: str | None


@dataclass
class FlowDoc:
    id: int | None
    name: str | None
    fields: dict[str, str]
    parameters: list[FlowParameter]
    components: list[tuple[str, FlowDoc]]
    tags: list[str]


def read_flow(root: ET.Element, *, depth: int = 0, budget: list[int] | None = None) -> FlowDoc:
    """``oml:flow`` with its parameters and, recursively, its component flows (bounded)."""
    expect_root(root, "flow", "flow")
    budget = [MAX_FLOW_COMPONENTS] if budget is None else budget
    nested = {"parameter", "component", "tag"}
    fields = {local(c.tag): v for c in root if local(c.tag) not in nested and (v := text_of(c))}
    parameters = [
        FlowParameter(
            name,
            text_of(p, "data_type"),
            text_of(p, "default_value"),
            text_of(p, "description"),
        )
        for p in kids(root, "parameter")[:MAX_PARAMETERS]
        if (name := text_of(p, "name"))
    ]
    components: list[tuple[str, FlowDoc]] = []
    for component in kids(root, "component"):
        inner = kid(component, "flow")
        if inner is None or depth >= MAX_FLOW_DEPTH or budget[0] <= 0:
            continue
        budget[0] -= 1
        role = text_of(component, "identifier") or ""
        components.append((role, read_flow(inner, depth=depth + 1, budget=budget)))
    return FlowDoc(
        int_of(fields.get("id")),
        fields.get("name"),
        fields,
        parameters,
        components,
        texts_of(root, "tag"),
    )


def walk_flows(flow: FlowDoc) -> Iterator[FlowDoc]:
    """The flow and all its components, depth first."""
    yield flow
    for _role, component in flow.components:
        yield from walk_flows(component)


@dataclass(frozen=True)
class SetupParameter:
    flow_id: int | None
    name: str
    full_name: str | None
    default: str | None
    value: str | None


@dataclass
class SetupDoc:
    id: int | None
    flow_id: int | None
    parameters: list[SetupParameter]


def read_setup(root: ET.Element) -> SetupDoc:
    """``oml:setup_parameters``: every parameter's value and the flow's default next to it."""
    expect_root(root, "setup_parameters", "setup")
    return SetupDoc(
        int_of(text_of(root, "setup_id")),
        int_of(text_of(root, "flow_id")),
        [
            SetupParameter(
                int_of(text_of(p, "flow_id")),
                name,
                text_of(p, "full_name"),
                _raw_text(p, "default_value"),
                _raw_text(p, "value"),
            )
            for p in kids(root, "parameter")[:MAX_PARAMETERS]
            if (name := text_of(p, "parameter_name") or text_of(p, "name"))
        ],
    )


def _raw_text(element: ET.Element, name: str) -> str | None:
    """A value as written, where an empty element means the empty string (a set Weka flag)."""
    child = kid(element, name)
    return None if child is None else "".join(child.itertext()).strip()


@dataclass(frozen=True)
class RunEvaluation:
    name: str
    value: str | None
    repeat: int | None
    fold: int | None
    sample: int | None


@dataclass
class RunDoc:
    id: int | None
    fields: dict[str, str]
    parameter_settings: list[tuple[str, str | None, int | None]]
    dataset: DatasetRef | None
    evaluations: list[RunEvaluation]
    tags: list[str]
    dropped_evaluations: int = 0


def read_run(root: ET.Element) -> RunDoc:
    """``oml:run``: ids, the parameter settings, the input dataset and every evaluation."""
    expect_root(root, "run", "run")
    nested = {"parameter_setting", "input_data", "output_data", "tag"}
    fields = {local(c.tag): v for c in root if local(c.tag) not in nested and (v := text_of(c))}
    settings = [
        (name, _raw_text(s, "value"), int_of(text_of(s, "component")))
        for s in kids(root, "parameter_setting")[:MAX_PARAMETERS]
        if (name := text_of(s, "name"))
    ]
    dataset = None
    inputs = kid(root, "input_data")
    data = kid(inputs, "dataset") if inputs is not None else None
    if data is not None and (did := int_of(text_of(data, "did"))) is not None:
        dataset = DatasetRef(did, text_of(data, "name"))
    evaluations: list[RunEvaluation] = []
    outputs = kid(root, "output_data")
    found = kids(outputs, "evaluation") if outputs is not None else []
    for evaluation in found[:MAX_EVALUATIONS]:
        name = text_of(evaluation, "name")
        if name:
            evaluations.append(
                RunEvaluation(
                    name,
                    text_of(evaluation, "value"),
                    int_of(evaluation.get("repeat")),
                    int_of(evaluation.get("fold")),
                    int_of(evaluation.get("sample")),
                )
            )
    return RunDoc(
        int_of(fields.get("run_id")),
        fields,
        settings,
        dataset,
        evaluations,
        texts_of(root, "tag"),
        max(0, len(found) - MAX_EVALUATIONS),
    )


# -- split files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SplitRow:
    kind: str
    row_id: int
    repeat: int
    fold: int
    sample: int | None


@dataclass
class Splits:
    rows: list[SplitRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def parse_splits(text: str, *, max_rows: int = MAX_SPLIT_ROWS) -> Splits:
    """The rows of a task's split ARFF (``TRAIN,16,0,0``), with what was wrong in ``notes``.

    >>> s = parse_splits("@relation x\\n@attribute type {TRAIN,TEST}\\n@attribute rowid numeric\\n"
    ...                  "@attribute repeat numeric\\n@attribute fold numeric\\n@data\\n"
    ...                  "TRAIN,3,0,0\\nTEST,oops,0,0\\nTEST,5,0,0")
    >>> [(r.kind, r.row_id) for r in s.rows], s.notes
    ([('train', 3), ('test', 5)], ['line 8: row 2 is not type,rowid,repeat,fold: TEST,oops,0,0'])
    """
    result = Splits()
    attributes: list[str] = []
    lines = iter(enumerate(text.splitlines(), start=1))
    for _number, line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith("%"):
            continue
        lowered = stripped.lower()
        if lowered.startswith("@attribute"):
            parts = stripped.split(None, 2)
            attributes.append(parts[1].strip("'\"").lower() if len(parts) > 1 else "")
        elif lowered.startswith("@data"):
            break
    else:
        result.notes.append("split file has no @data section: no fold members read")
        return result
    columns = {name: i for i, name in enumerate(attributes)}
    missing = [name for name in ("type", "rowid", "repeat", "fold") if name not in columns]
    if missing:
        result.notes.append(f"split file lacks the attribute(s) {', '.join(missing)}")
        return result
    bad = 0
    for index, (number, line) in enumerate((n, ln) for n, ln in lines if ln.strip()):
        if len(result.rows) >= max_rows:
            result.notes.append(f"split file has more than {max_rows} rows; the rest are dropped")
            break
        row = _split_row(line, columns)
        if row is None:
            bad += 1
            if bad <= 3:
                result.notes.append(
                    f"line {number}: row {index + 1} is not type,rowid,repeat,fold: {line[:60]}"
                )
            continue
        result.rows.append(row)
    if bad > 3:
        result.notes.append(f"{bad} unreadable split rows in all")
    return result


def _split_row(line: str, columns: dict[str, int]) -> SplitRow | None:
    cells = [cell.strip().strip("'\"") for cell in line.split(",")]
    if len(cells) < len(columns):
        return None
    kind = cells[columns["type"]].lower()
    numbers = [int_of(cells[columns[n]]) for n in ("rowid", "repeat", "fold")]
    sample = int_of(cells[columns["sample"]]) if "sample" in columns else None
    if kind not in {"train", "test"} or any(n is None or n < 0 for n in numbers):
        return None
    row_id, repeat, fold = (n for n in numbers if n is not None)
    return SplitRow(kind, row_id, repeat, fold, sample)
