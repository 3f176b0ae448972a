"""OpenML (openml.org): datasets, tasks with their folds, flows, and runs with setups and
per-fold evaluations, read from the REST API or from a local folder of API files.

Records. One per API object, with its API path as id: ``data/61``, ``task/59``, ``flow/100``,
``run/100``. A record's ``data`` holds OpenML's own documents as text, plus the few others its
mapping needs: a dataset has its description, features and qualities; a task its split ARFF and
the name/version of its dataset; a run its setup (parameter values *and* the flow's defaults) and
the name/version of its dataset. Setups are read only as part of runs (a setup alone describes
no model).

Transport. The API's XML (``{base}xml/{path}``, as openml-python uses it), through
:func:`mlkg.http.request`; not the ``openml`` client, which brings pandas/scikit-learn, caches on
its own terms and cannot read a folder of raw files. XML rather than the API's JSON: the JSON is a
mechanical conversion that turns one-element lists into objects and loses nothing else, the
snapshots are XML, and one parser serves both transports. ``--from`` is either an API base URL
(default ``https://www.openml.org/api/v1/``) or a folder (or archive) of API files in any of the
layouts openml-python's tests and cache use (``datasets/61/description.xml``,
``data_features_61.xml``, ``tasks/1/datasplits.arff``, ...): every ``*.xml`` is recognised by its
root element, its id is the one inside the document (features, qualities and split files take it
from their path), and when several files hold the same object the largest is read.

Crawling the API. Options name what to crawl: ``datasets``, ``tasks``, ``flows``, ``runs``
(comma-separated ids) and ``run_tasks`` (all runs of these tasks); each record pulls in what it
refers to (a run its task, flow, setup and dataset; a task its dataset). Without options the
dataset, task and flow lists are paged through; runs (tens of millions) only when named.

Mapping (decisions, in one place):

======================  =======================================================================
OpenML                  mlkg
======================  =======================================================================
dataset ``data/61``     ``mlkg:Dataset``: the vocabulary concept when the vocabulary knows the
                        name and the OpenML version is 1 (``iris`` → ``dataset/iris``), else
                        ``dataset/openml/61``; ``skos:notation "openml:data/61"`` on both;
                        ``mlkg:exampleCount``/``featureCount``/``classCount``/
                        ``missingValueCount`` from the qualities (features as fallback),
                        ``mlkg:targetFeature`` (default target), licence, description, tags
task ``task/59``        ``mlkg:Task`` ``task/openml/59``, ``skos:broader`` its task type
                        (Supervised Classification → tabular-classification), ``mls:definedOn``
                        its dataset; per repeat/fold a train and a test ``mlkg:DatasetSplit`` of
                        that dataset (``mlkg:fold``, ``mlkg:repeat``, ``mlkg:definedByTask``,
                        ``mlkg:exampleCount``) and ``mlkg:DataInstance`` membership read from the
                        split ARFF (capped at 100,000 rows, with a warning)
flow ``flow/100``       ``mlkg:Model`` (``entryType "flow"``): an untrained, published
                        implementation; ``mlkg:modelName``/``mlkg:version`` (so versions get
                        ``mlkg:revisionOf``), ``mlkg:hasHyperParameter`` each parameter with its
                        ``mlkg:defaultValue``; component flows as ``dcterms:hasPart``
run ``run/100``         ``mlkg:Model`` (``entryType "run"``): the model the run fitted,
                        ``mlkg:derivedFrom`` its flow; ``prov:wasGeneratedBy`` a
                        ``mlkg:TrainingRun`` that ``prov:used`` the task's dataset and
                        ``mls:achieves`` the task; ``mlkg:configuration`` one typed
                        ``mlkg:HyperParameterSetting`` per setup parameter with
                        ``mlkg:defaultValue`` and ``mlkg:isDefault``
evaluation              ``mlkg:Evaluation``, metric from the vocabulary (OpenML measure names are
                        notations there; unknown ones minted); global values ``mlkg:onDataset``
                        the dataset, per-fold values the fold's test split
======================  =======================================================================

Why a flow is a Model: it is what OpenML publishes and versions, with its own page, uploader and
parameters, and what users pick; a run's fitted model is derived from it. Both are Models, told
apart by ``mlkg:entryType``; only runs have evaluations. Per-class values (``array_data``) and the
non-model measures (test-set size, OS, SciMark) are not mapped.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Container, Iterator
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from crawlers import Source
from crawlers._openml_map import (
    HUB,
    OpenMLContext,
    check_record_id,
    map_dataset,
    map_flow,
    map_run,
    map_task,
)
from crawlers._openml_xml import (
    OpenMLFormatError,
    int_of,
    parse_xml,
    read_dataset,
    read_run,
    read_task,
    text_of,
)
from crawlers._repository import is_url, open_repository
from mlkg.errors import ConfigurationError, FetchError, InvalidIdError
from mlkg.http import new_session, request
from mlkg.iris import Iris
from mlkg.records import MappedRecord, RawRecord
from mlkg.vocabulary import load_vocabulary

logger = logging.getLogger(__name__)

NAME = "openml"
VERSION = "0.1.0"
DEFAULT_LOCATION = "https://www.openml.org/api/v1/"
#: Most bytes read from one XML document or split file; a split file is cut at a row boundary.
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
MAX_SPLITS_BYTES = 8 * 1024 * 1024
MAX_WALK_DEPTH = 16
MAX_FILES = 100_000
PAGE_SIZE = 1_000
MAX_PAGES = 10_000
KINDS = ("data", "task", "flow", "run")

#: Root element → (object kind, slot in the record, where its id is: a tag or the path).
_ROOTS = {
    "data_set_description": ("data", "description", "id"),
    "data_features": ("data", "features", None),
    "data_qualities": ("data", "qualities", None),
    "task": ("task", "task", "task_id"),
    "flow": ("flow", "flow", "id"),
    "run": ("run", "run", "run_id"),
    "setup_parameters": ("setup", "setup", "setup_id"),
}
_HEAD = re.compile(r"<\?.*?\?>|<!--.*?-->", re.S)
_FIRST_TAG = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s/>]")
_PATH_ID = re.compile(r"(?:^|_)(-?\d+)$")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# -- crawl ----------------------------------------------------------------------------------


def crawl(
    location: str,
    *,
    cache_dir: Path,
    skip: Container[str] = (),
    limit: int | None = None,
    datasets: str | None = None,
    tasks: str | None = None,
    flows: str | None = None,
    runs: str | None = None,
    run_tasks: str | None = None,
) -> Iterator[RawRecord]:
    """Yield one raw record per OpenML object, lazily; ``limit`` stops fetching once reached.

    ``location`` is an API base URL or a local folder/archive of API files; the id options
    (comma-separated OpenML ids) pick objects and only apply to the API.
    """
    seeds = {
        "data": _ids("datasets", datasets),
        "task": _ids("tasks", tasks),
        "flow": _ids("flows", flows),
        "run": _ids("runs", runs),
    }
    wanted_run_tasks = _ids("run_tasks", run_tasks)
    if limit is not None and limit <= 0:
        return
    if is_url(location):
        records = _api_records(location, skip, seeds, wanted_run_tasks)
    else:
        if any(seeds.values()) or wanted_run_tasks:
            raise ConfigurationError("openml: id options apply to the API, not to a folder")
        root = open_repository(location, cache_dir=cache_dir, source=NAME)
        records = _folder_records(root, location, skip)
    yield from records if limit is None else islice(records, limit)


def _ids(option: str, value: str | None) -> list[int]:
    if not value:
        return []
    ids = [int_of(part.strip()) for part in value.split(",") if part.strip()]
    if any(i is None or i <= 0 for i in ids):
        raise ConfigurationError(f"openml: --option {option}= takes positive ids, got {value!r}")
    return [i for i in ids if i is not None]


# -- a folder of API files ------------------------------------------------------------------


def _folder_records(root: Path, location: str, skip: Container[str]) -> Iterator[RawRecord]:
    index = index_folder(root)
    summaries: dict[int, dict[str, Any] | None] = {}

    def summary(dataset_id: int | None) -> dict[str, Any] | None:
        if dataset_id is None:
            return None
        if dataset_id not in summaries:
            path = index.get(("data", dataset_id), {}).get("description")
            summaries[dataset_id] = _summary(read_text(path)) if path else None
        return summaries[dataset_id]

    for kind in KINDS:
        for (found_kind, object_id), files in sorted(index.items()):
            record_id = f"{kind}/{object_id}"
            if found_kind != kind or record_id in skip:
                continue
            main = {"data": "description"}.get(kind, kind)
            if main not in files:
                logger.info("%s: only %s found, no %s; skipped", record_id, sorted(files), main)
                continue
            data: dict[str, Any] = {"kind": kind}
            for slot, path in sorted(files.items()):
                data[slot] = read_text(path, splits=slot == "splits")
            data["files"] = sorted(str(p.relative_to(root)) for p in files.values())
            if kind == "task":
                data["dataset"] = summary(_task_dataset(data["task"]))
            if kind == "run":
                setup_id, dataset_id = _run_refs(data["run"])
                setup = index.get(("setup", setup_id), {}).get("setup") if setup_id else None
                data["setup"] = read_text(setup) if setup else None
                data["dataset"] = summary(dataset_id)
            in_place = Path(location).expanduser().is_dir()
            where = str(root / data["files"][0]) if in_place else f"{location}#{record_id}"
            yield RawRecord(NAME, record_id, _flatten(data), where, _now())


def _flatten(data: dict[str, Any]) -> dict[str, Any]:
    """Text slots as strings; a slot that could not be read keeps its flags under its name."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and "text" in value:
            flat[key] = value["text"]
            flat.update({f"{key}_{k}": v for k, v in value.items() if k != "text"})
        else:
            flat[key] = value
    return flat


def index_folder(root: Path) -> dict[tuple[str, int], dict[str, Path]]:
    """(kind, id) → slot → file, for every OpenML document below ``root`` (largest copy wins)."""
    best: dict[tuple[str, int], dict[str, tuple[int, str, Path]]] = {}
    for path in _walk(root):
        slot_info = _classify(path)
        if slot_info is None:
            continue
        kind, slot, object_id = slot_info
        size = path.stat().st_size
        current = best.setdefault((kind, object_id), {}).get(slot)
        candidate = (-size, str(path.relative_to(root)), path)
        if current is None or candidate < current:
            best[(kind, object_id)][slot] = candidate
    return {key: {s: v[2] for s, v in slots.items()} for key, slots in best.items()}


def _walk(folder: Path, depth: int = 0, seen: list[int] | None = None) -> Iterator[Path]:
    seen = [0] if seen is None else seen
    if depth > MAX_WALK_DEPTH:
        return
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as exc:
        logger.warning("%s: cannot list folder (%s); skipped", folder, exc)
        return
    for entry in entries:
        if entry.is_symlink() or seen[0] >= MAX_FILES:
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path), depth + 1, seen)
        elif entry.name.endswith((".xml", ".arff")) and entry.is_file(follow_symlinks=False):
            seen[0] += 1
            yield Path(entry.path)


def _classify(path: Path) -> tuple[str, str, int] | None:
    """(kind, slot, id) of an OpenML file, or ``None`` for anything else (lists, replies)."""
    if path.suffix == ".arff":
        if "split" not in path.name:
            return None
        object_id = path_id(path)
        return None if object_id is None else ("task", "splits", object_id)
    try:
        with path.open("rb") as handle:
            head = handle.read(65_536).decode("utf-8", errors="replace")
    except OSError:
        return None
    match = _FIRST_TAG.search(_HEAD.sub("", head))
    if match is None or match[1] not in _ROOTS:
        return None
    kind, slot, id_tag = _ROOTS[match[1]]
    if id_tag is None:
        object_id = path_id(path)
    else:
        found = re.search(rf"<(?:\w+:)?{id_tag}>\s*(-?\d+)\s*</", head)
        object_id = int(found[1]) if found else None
    return None if object_id is None else (kind, slot, object_id)


def path_id(path: Path) -> int | None:
    """The id a file's path gives: ``data_features_61.xml`` → 61, ``datasets/2/x.xml`` → 2.

    >>> path_id(Path("mock/datasets/data_features_61.xml")), path_id(Path("tasks/1/splits.arff"))
    (61, 1)
    """
    for part in (path.stem, *reversed(path.parent.parts)):
        match = _PATH_ID.search(part)
        if match:
            return int(match[1])
    return None


def read_text(path: Path | None, *, splits: bool = False) -> dict[str, Any] | None:
    """``{"text": ...}`` of a file, flagged when it is too large, binary or not UTF-8."""
    if path is None:
        return None
    cap = MAX_SPLITS_BYTES if splits else MAX_DOCUMENT_BYTES
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            content = handle.read(cap + 1)
    except OSError as exc:
        return {"text": None, "unreadable": f"{exc.__class__.__name__}: {exc.strerror}"}
    return decode(content, size, cap, splits=splits)


def decode(content: bytes, size: int, cap: int, *, splits: bool) -> dict[str, Any]:
    """Bytes to text; over ``cap`` a split file is cut at a row, anything else is refused."""
    if b"\x00" in content:
        return {"text": None, "binary": True, "size": size}
    if len(content) > cap:
        if not splits:
            return {"text": None, "too_large": size}
        content = content[: content.rfind(b"\n", 0, cap) + 1]
        return {"text": content.decode("utf-8", errors="replace"), "truncated": True, "size": size}
    return {"text": content.decode("utf-8", errors="replace")}


def _summary(document: dict[str, Any] | None) -> dict[str, Any] | None:
    """``{"id", "name", "version"}`` of a dataset description, for the records that use it."""
    try:
        doc = read_dataset(parse_xml((document or {}).get("text"), "dataset description"))
    except OpenMLFormatError:
        return None
    return {"id": doc.id, "name": doc.name, "version": doc.version}


def _task_dataset(document: Any) -> int | None:
    try:
        return read_task(parse_xml(_text(document), "task")).dataset_id
    except (OpenMLFormatError, KeyError):
        return None


def _run_refs(document: Any) -> tuple[int | None, int | None]:
    try:
        run = read_run(parse_xml(_text(document), "run"))
    except OpenMLFormatError:
        return None, None
    return int_of(run.fields.get("setup_id")), run.dataset.id if run.dataset else None


def _text(document: Any) -> Any:
    return document.get("text") if isinstance(document, dict) else document


# -- the REST API ---------------------------------------------------------------------------


class _Api:
    """The API under ``base``: GET ``{base}xml/{path}`` with a size cap, one session."""

    def __init__(self, base: str):
        base = base if base.endswith("/") else base + "/"
        self.base = re.sub(r"(xml|json)/$", "", base)
        self.session = new_session()
        self.summaries: dict[int, dict[str, Any] | None] = {}

    def summary(self, dataset_id: int) -> dict[str, Any] | None:
        """Name and version of a dataset (its description is fetched if no record read it)."""
        if dataset_id not in self.summaries:
            description = self.document(f"data/{dataset_id}", f"data/{dataset_id}")
            self.summaries[dataset_id] = _summary(description)
        return self.summaries[dataset_id]

    def get(self, url: str, *, record_id: str | None = None, splits: bool = False) -> dict:
        cap = MAX_SPLITS_BYTES if splits else MAX_DOCUMENT_BYTES
        content = bytearray()
        with request(self.session, "GET", url, stream=True, record_id=record_id) as response:
            for chunk in response.iter_content(1 << 16):
                content += chunk
                if len(content) > cap:
                    break
            declared = response.headers.get("Content-Length", "")
        size = int(declared) if declared.isdigit() else len(content)
        return decode(bytes(content), max(size, len(content)), cap, splits=splits)

    def document(self, path: str, record_id: str) -> dict[str, Any]:
        """``{"text": ...}``, or ``{"text": None, "fetch_error": ...}`` for a 4xx answer."""
        try:
            return self.get(f"{self.base}xml/{path}", record_id=record_id)
        except FetchError as exc:
            if exc.status is None or exc.status >= 500:
                raise
            return {"text": None, "fetch_error": str(exc)}

    def list_ids(self, path: str, id_tag: str) -> Iterator[int]:
        """Ids from a paged list (``data/list/limit/1000/offset/0``); 412 ends the list."""
        for page in range(MAX_PAGES):
            url = f"{self.base}xml/{path}/limit/{PAGE_SIZE}/offset/{page * PAGE_SIZE}"
            try:
                document = self.get(url)
            except FetchError as exc:
                if exc.status == 412:  # OpenML's "no results" (code 372) past the last page
                    return
                raise
            try:
                root = parse_xml(document.get("text"), url)
            except OpenMLFormatError as exc:
                logger.warning("%s; the list ends here", exc)
                return
            ids = [i for item in root for i in [int_of(text_of(item, id_tag))] if i]
            yield from ids
            if len(ids) < PAGE_SIZE:
                return


def _api_records(
    base: str, skip: Container[str], seeds: dict[str, list[int]], run_tasks: list[int]
) -> Iterator[RawRecord]:
    api = _Api(base)
    done: set[str] = set()
    if not any(seeds.values()) and not run_tasks:
        listed = {
            "data": api.list_ids("data/list", "did"),
            "task": api.list_ids("task/list", "task_id"),
            "flow": api.list_ids("flow/list", "id"),
        }
        for kind, ids in listed.items():
            for object_id in ids:
                yield from _api_object(api, kind, object_id, skip, done)
        return
    for kind in KINDS:
        for object_id in seeds[kind]:
            yield from _api_object(api, kind, object_id, skip, done)
    for task_id in run_tasks:
        for run_id in api.list_ids(f"run/list/task/{task_id}", "run_id"):
            yield from _api_object(api, "run", run_id, skip, done)


def _api_object(
    api: _Api, kind: str, object_id: int, skip: Container[str], done: set[str]
) -> Iterator[RawRecord]:
    """The object's record, after the records of what it refers to (closure, each once)."""
    record_id = f"{kind}/{object_id}"
    if record_id in done or record_id in skip:
        return
    done.add(record_id)
    data: dict[str, Any] = {"kind": kind}
    main = api.document(f"{kind}/{object_id}", record_id)
    if kind == "data":
        data["description"] = main
        for slot in ("features", "qualities"):
            data[slot] = api.document(f"data/{slot}/{object_id}", record_id)
        api.summaries[object_id] = _summary(main)
    elif kind == "task":
        data["task"] = main
        dataset_id = _task_dataset(main)
        if dataset_id:
            yield from _api_object(api, "data", dataset_id, skip, done)
            data["dataset"] = api.summary(dataset_id)
        data["splits"] = _splits(api, main, record_id)
    elif kind == "flow":
        data["flow"] = main
    else:
        data["run"] = main
        yield from _run_references(api, main, data, skip, done)
    yield RawRecord(NAME, record_id, _flatten(data), f"{api.base}xml/{record_id}", _now())


def _run_references(
    api: _Api, main: dict[str, Any], data: dict[str, Any], skip: Container[str], done: set[str]
) -> Iterator[RawRecord]:
    try:
        run = read_run(parse_xml(main.get("text"), "run"))
    except OpenMLFormatError:
        return
    task_id, flow_id = int_of(run.fields.get("task_id")), int_of(run.fields.get("flow_id"))
    if task_id:
        yield from _api_object(api, "task", task_id, skip, done)
    if flow_id:
        yield from _api_object(api, "flow", flow_id, skip, done)
    setup_id = int_of(run.fields.get("setup_id"))
    if setup_id:
        setup = api.document(f"setup/{setup_id}", f"run/{run.id}")
        data["setup"] = setup if setup.get("text") else None
    if run.dataset is not None:
        yield from _api_object(api, "data", run.dataset.id, skip, done)
        data["dataset"] = api.summary(run.dataset.id)


def _splits(api: _Api, task: dict[str, Any], record_id: str) -> dict[str, Any] | None:
    try:
        url = read_task(parse_xml(task.get("text"), "task")).splits_url
    except OpenMLFormatError:
        return None
    if not url or not is_url(url):
        return None
    try:
        return api.get(url, record_id=record_id, splits=True)
    except FetchError as exc:
        logger.warning("%s: split file not fetched (%s)", record_id, exc)
        return None


# -- map ------------------------------------------------------------------------------------

_MAPPERS = {"data": map_dataset, "task": map_task, "flow": map_flow, "run": map_run}
_MAIN_SLOT = {"data": "description", "task": "task", "flow": "flow", "run": "run"}


def map_record(record: RawRecord, iris: Iris) -> MappedRecord:
    """Map one OpenML object to its named graph. Pure and total: never raises for bad input.

    A record whose main document cannot be read (malformed XML, a DTD, an OpenML error reply, a
    fetch error, wrong id) comes back with ``error`` set; anything else odd is a warning.
    """
    out = MappedRecord(NAME, str(record.id), iris.record_graph_or_hashed(NAME, record.id))
    data = record.data if isinstance(record.data, dict) else {}
    kind = data.get("kind") if data.get("kind") in _MAPPERS else str(record.id).split("/")[0]
    try:
        if kind not in _MAPPERS:
            raise OpenMLFormatError(f"not an OpenML record kind: {kind!r} (data, task, flow, run)")
        check_record_id(str(record.id), kind)
        main = _MAIN_SLOT[kind]
        for flag in ("fetch_error", "unreadable", "too_large", "binary"):
            if problem := data.get(f"{main}_{flag}"):
                raise OpenMLFormatError(
                    f"the {main} document is not readable ({flag.replace('_', ' ')}: {problem})"
                )
        vocab = load_vocabulary()
        hub = vocab.find("hubs", HUB, iris) or iris.hub(HUB)
        _MAPPERS[kind](data, OpenMLContext(out, iris, vocab, hub))
        _check_subject(out, str(record.id), iris)
    except (OpenMLFormatError, InvalidIdError) as exc:
        out.error = f"{record.id}: {exc}"
        out.triples.clear()
        out.subject = None
        out.topics = []
    return out


def _check_subject(out: MappedRecord, record_id: str, iris: Iris) -> None:
    """Warn when the document's own id is not the record's (a mislabelled file)."""
    kind, _, number = record_id.partition("/")
    if kind in {"flow", "run"} and out.subject != iris.model(HUB, record_id):
        out.warn(f"the document describes {out.subject}, not {record_id}")
    if kind == "task" and out.subject != iris.resource(f"task/{HUB}/{number}"):
        out.warn(f"the document describes {out.subject}, not {record_id}")


SOURCE = Source(
    name=NAME,
    hub=HUB,
    version=VERSION,
    default_location=DEFAULT_LOCATION,
    description=(
        "OpenML (openml.org): datasets with their features and qualities, tasks with their folds, "
        "flows with their parameters, runs with setups and per-fold evaluations (REST API XML)"
    ),
    crawl=crawl,
    map_record=map_record,
)
