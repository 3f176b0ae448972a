"""timm (PyTorch Image Models): Papers-with-Code ``model-index`` pages and ImageNet result tables.

The ``huggingface/pytorch-image-models`` repository documents its models twice:

* ``hfdocs/source/models/*.mdx`` (older checkouts: ``docs/models/*.md``): one page per model
  family, ending in an HTML comment ``<!-- Type: model-index ... -->`` holding Papers-with-Code
  model-index YAML: ``Collections`` (name, paper) and ``Models`` (name, collection, metadata with
  parameters, FLOPs, training data, techniques and hyperparameters, code and weights URLs, and
  ``Results`` per task and dataset with percent strings such as ``79.04%``);
* ``results/results-{variant}.csv``: top-1/top-5 accuracy (in percent), parameter count (in
  millions), image size, crop and interpolation for every pretrained weight on eight ImageNet
  test sets; ``results/model_metadata-in1k.csv`` gives the pre-training data of older names.

Records: one per page (``models/resnet.mdx``, with the metadata rows of its models), one per
model of the result tables (``results/resnet50.tv_in1k``, all its rows across the tables), and
one per metadata row no page or table names (``metadata/adv_inception_v3``).

Mapping (decisions, in one place):

====================================  ==========================================================
source                                mlkg
====================================  ==========================================================
model-index ``Collections``           ``mlkg:ModelCollection`` ``collection/timm/{name}``, the
                                      paper as ``dcterms:references``
model-index ``Models``                ``mlkg:Model`` ``model/timm/{name}`` (the name as written,
                                      old names too), ``mlkg:inCollection``, ``mlkg:task``,
                                      ``mlkg:parameterCount``, FLOPs as ``mlkg:inferenceCost``,
                                      weights as ``schema:downloadUrl``, architecture building
                                      blocks and training techniques as ``mlkg:tag``
``Training Data``                     ``mlkg:trainedOn`` + the TrainingRun's ``prov:used``
scalar ``Metadata`` (LR, Epochs...)   ``mlkg:TrainingConfiguration`` with one typed setting each
``Results``                           ``mlkg:Evaluation``; ``79.04%`` → 0.7904,
                                      ``mlkg:percentNormalised``, ``mlkg:rawValue``
result tables                         one ``mlkg:Model`` per weight name, ``top1``/``top5`` as
                                      percent evaluations per table row (``top1_err`` and
                                      ``top5_err`` are 100 − those and not stored twice);
                                      ``imagenet`` is ImageNet-1k's ``validation`` split, the
                                      other tables their own vocabulary datasets
weight tag ``…_ft_in22k_in1k``        ``mlkg:trainedOn`` every dataset the tag names
                                      (ImageNet-22k and ImageNet-1k), and the tag kept as
                                      ``mlkg:tag "pretrained-tag:…"``
====================================  ==========================================================

Why ``trainedOn`` both datasets and not ``mlkg:fineTunedFrom``: a tag names the datasets, never
a published parent checkpoint; a stub for ``{arch}.{pre-training part}`` would invent a model id
that often does not exist (``eva02_large_patch14_448.mim_m38m`` does not), and the link check
would flag it. ``mlkg:trainedOn`` is documented as "trained (or pre-trained) on".

``.tv_`` tags and ``tv_`` names are torchvision's weights: :mod:`mlkg.identity` links them to the
PyTorch Hub entrypoints that load the same weights.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Container, Iterator
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from crawlers import Source
from crawlers._model_index_map import TimmContext, map_metadata, map_page, map_results
from crawlers._repository import is_url, open_repository
from mlkg.errors import InvalidIdError, SourceNotFoundError
from mlkg.iris import Iris, check_id
from mlkg.records import MappedRecord, RawRecord
from mlkg.vocabulary import load_vocabulary

logger = logging.getLogger(__name__)

NAME = "timm"
HUB = "timm"
VERSION = "0.1.0"
DEFAULT_LOCATION = (
    "https://codeload.github.com/huggingface/pytorch-image-models/tar.gz/refs/heads/main"
)
PAGE_FOLDERS = (("hfdocs", "source", "models"), ("docs", "models"))
PAGE_SUFFIXES = (".mdx", ".md")
#: Most bytes read from one page or one result table; larger files are flagged, not read.
MAX_PAGE_BYTES = 2 * 1024 * 1024
MAX_TABLE_BYTES = 32 * 1024 * 1024
MAX_TABLE_ROWS = 200_000
_MODEL_NAME = re.compile(r"^-\s+Name:\s*['\"]?([^'\"\s]+)['\"]?\s*$", re.M)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# -- crawl ----------------------------------------------------------------------------------


def crawl(
    location: str, *, cache_dir: Path, skip: Container[str] = (), limit: int | None = None
) -> Iterator[RawRecord]:
    """Yield the page records, then one record per result-table model, then leftover metadata.

    ``location`` is a checkout, a ``.tar.gz``/``.zip`` of the repository or an archive URL
    (:func:`crawlers._repository.open_repository`). The tables are read whole before the first
    table record (they are grouped by model); pages are read one at a time.
    """
    if limit is not None and limit <= 0:
        return
    records = _records(location, cache_dir=cache_dir, skip=skip)
    yield from records if limit is None else islice(records, limit)


def _records(location: str, *, cache_dir: Path, skip: Container[str]) -> Iterator[RawRecord]:
    root = open_repository(location, cache_dir=cache_dir, source=NAME)
    pages = list_pages(root)
    results = root / "results"
    if not pages and not results.is_dir():
        raise SourceNotFoundError(f"{root} (no hfdocs/source/models/ and no results/)", source=NAME)
    in_place = not is_url(location) and Path(location).expanduser().is_dir()

    def where(relative: str) -> str:
        return str(root / relative) if in_place else f"{location}#{relative}"

    metadata = read_metadata(results)
    used: set[str] = set()
    for relative, path in pages:
        record_id = "models/" + path.name
        data = read_page(path, relative)
        names = _MODEL_NAME.findall(data.get("text") or "")
        used.update(names)
        if record_id in skip:
            continue
        data["metadata"] = {n: metadata[n] for n in names if n in metadata}
        yield RawRecord(NAME, record_id, data, where(relative), _now())
    tables, notes = read_tables(results)
    for note in notes:
        logger.warning("%s: %s", results, note)
    for model in sorted(tables):
        used.add(model)
        record_id = f"results/{model}"
        if record_id in skip:
            continue
        data = {"model": model, "results": tables[model], "metadata": metadata.get(model)}
        yield RawRecord(NAME, record_id, data, where("results"), _now())
    for model in sorted(set(metadata) - used):
        record_id = f"metadata/{model}"
        if record_id not in skip:
            data = {"model": model, "metadata": metadata[model]}
            yield RawRecord(NAME, record_id, data, where("results"), _now())


def list_pages(root: Path) -> list[tuple[str, Path]]:
    """(path relative to the checkout, file) of every model page, sorted, links not followed."""
    found: list[tuple[str, Path]] = []
    for parts in PAGE_FOLDERS:
        folder = root.joinpath(*parts)
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix in PAGE_SUFFIXES and path.is_file() and not path.is_symlink():
                found.append(("/".join((*parts, path.name)), path))
        if found:
            break
    return found


def read_page(path: Path, relative: str) -> dict[str, Any]:
    """``{"path", "text"}``, or the reason there is no text (binary, too large, unreadable)."""
    data: dict[str, Any] = {"path": relative}
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            content = handle.read(MAX_PAGE_BYTES + 1)
    except OSError as exc:
        return {**data, "text": None, "unreadable": f"{exc.__class__.__name__}: {exc.strerror}"}
    if len(content) > MAX_PAGE_BYTES:
        return {**data, "text": None, "too_large": size}
    if b"\x00" in content:
        return {**data, "text": None, "binary": True}
    text = content.decode("utf-8", errors="replace")
    if "\ufffd" in text and b"\xef\xbf\xbd" not in content:
        data["invalid_utf8"] = True
    return {**data, "text": text}


def _read_csv(path: Path) -> tuple[list[dict[str, str]], str | None]:
    """The rows of one CSV file, or why it was not read."""
    try:
        if path.stat().st_size > MAX_TABLE_BYTES:
            return [], f"{path.name} is over {MAX_TABLE_BYTES} bytes; not read"
        content = path.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        return [], f"{path.name}: {exc.strerror}"
    if "\x00" in content:
        return [], f"{path.name} is binary; not read"
    try:
        rows = list(islice(csv.DictReader(io.StringIO(content)), MAX_TABLE_ROWS))
    except csv.Error as exc:
        return [], f"{path.name}: not CSV ({exc})"
    return [{str(k): v for k, v in row.items() if k is not None} for row in rows], None


def read_metadata(results: Path) -> dict[str, dict[str, str]]:
    """Model name → its row of ``results/model_metadata-*.csv`` (first file wins)."""
    metadata: dict[str, dict[str, str]] = {}
    if not results.is_dir():
        return metadata
    for path in sorted(results.glob("model_metadata-*.csv")):
        rows, note = _read_csv(path)
        if note:
            logger.warning("%s", note)
        for row in rows:
            model = (row.get("model") or "").strip()
            if model:
                metadata.setdefault(model, {**row, "table": path.stem})
    return metadata


def read_tables(results: Path) -> tuple[dict[str, dict[str, list[dict[str, str]]]], list[str]]:
    """Model → variant (``imagenet``, ``sketch``, ...) → its rows in ``results-{variant}.csv``."""
    tables: dict[str, dict[str, list[dict[str, str]]]] = {}
    notes: list[str] = []
    if not results.is_dir():
        return tables, notes
    for path in sorted(results.glob("results-*.csv")):
        variant = path.stem.removeprefix("results-")
        rows, note = _read_csv(path)
        if note:
            notes.append(note)
        for row in rows:
            model = (row.pop("model", None) or "").strip()
            if not model:
                notes.append(f"{path.name}: a row without a model name; skipped")
                continue
            tables.setdefault(model, {}).setdefault(variant, []).append(row)
    return tables, notes


# -- map ------------------------------------------------------------------------------------


def map_record(record: RawRecord, iris: Iris) -> MappedRecord:
    """Map one page, result-table model or metadata row. Pure and total: never raises.

    A record that cannot be mapped at all (no text, no model-index block, YAML that does not
    parse or is not a mapping with ``Models``, a model name that cannot be an id) comes back with
    ``error`` set; anything else odd (a bad percent string, a wrong type) is a warning.
    """
    out = MappedRecord(NAME, str(record.id), iris.record_graph_or_hashed(NAME, record.id))
    data = record.data if isinstance(record.data, dict) else {}
    kind = str(record.id).split("/", 1)[0]
    try:
        check_id(str(record.id))
        vocab = load_vocabulary()
        hub = vocab.find("hubs", HUB, iris) or iris.hub(HUB)
        context = TimmContext(out, iris, vocab, hub)
        if kind == "models":
            map_page(data, context)
        elif kind == "results":
            map_results(data, context)
        elif kind == "metadata":
            map_metadata(data, context)
        else:
            raise ValueError(f"not a timm record id (models/, results/, metadata/): {record.id!r}")
    except (ValueError, InvalidIdError) as exc:
        out.error = f"{record.id}: {exc}"
        out.triples.clear()
        out.subject = None
        out.topics = []
    return out


SOURCE = Source(
    name=NAME,
    hub=HUB,
    version=VERSION,
    default_location=DEFAULT_LOCATION,
    description=(
        "timm (huggingface/pytorch-image-models): Papers-with-Code model-index pages and the "
        "ImageNet result tables (top-1/top-5 on eight test sets) with weight-tag lineage"
    ),
    crawl=crawl,
    map_record=map_record,
)
