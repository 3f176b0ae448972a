"""Metric tables of a page: rows matched to entrypoints, cells to typed Evaluations, and the
dataset each table reports on, read from the prose before it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice

from pyoxigraph import Literal, NamedNode

from crawlers._markdown import (
    Block,
    parse_number,
    plain_text,
    text_blocks_before,
)
from crawlers.pytorch_hub._limits import MAX_CONTEXT_BLOCKS, MAX_TABLES
from crawlers.pytorch_hub.calls import is_entrypoint_table
from mlkg.iris import Iris
from mlkg.namespaces import DCTERMS, MLKG, RDF, RDFS
from mlkg.rdf import boolean, double, text
from mlkg.records import MappedRecord
from mlkg.vocabulary import Vocabulary, normalise_key

logger = logging.getLogger(__name__)


_TRAINED_ON = re.compile(
    r"\b(?:pre-?trained|trained|fine-?tuned|fine-?tuning)\s+on\s+"
    r"(.{1,150}?)(?=[,;:!?()\[\]\n]|\.(?:\s|$)|$)",
    re.I,
)
_TOKEN = re.compile(r"\w[\w-]*")
TRAINED_ON_WORDS = 6


def datasets_in(phrase: str, vocab: Vocabulary, iris: Iris, *, proper: bool) -> list[NamedNode]:
    """Vocabulary datasets named in ``phrase``, longest name first (up to four words).

    With ``proper`` only names starting with a capital or holding a digit count, so prose words
    never hit a dataset's short alias.
    """
    tokens = _TOKEN.findall(phrase)[:400]
    found: list[NamedNode] = []
    i = 0
    while i < len(tokens):
        step = 1
        if not proper or tokens[i][0].isupper() or any(c.isdigit() for c in tokens[i]):
            for size in (4, 3, 2, 1):
                hit = vocab.find("datasets", " ".join(tokens[i : i + size]), iris)
                if hit is not None:
                    found.append(hit)
                    step = size
                    break
        i += step
    return list(dict.fromkeys(found))


def trained_on(texts: Iterable[str], vocab: Vocabulary, iris: Iris) -> list[NamedNode]:
    """Datasets in "(pre-)trained / fine-tuned on X" phrases, X being the next six words.

    The short window keeps "pre-trained on 940M images matching 1000 ImageNet synsets" from
    claiming ImageNet.
    """
    found: list[NamedNode] = []
    for value in texts:
        for match in islice(_TRAINED_ON.finditer(plain_text(value)), 50):
            phrase = " ".join(_TOKEN.findall(match.group(1))[:TRAINED_ON_WORDS])
            found.extend(datasets_in(phrase, vocab, iris, proper=False))
    return list(dict.fromkeys(found))


def table_dataset(
    blocks: list[Block], index: int, vocab: Vocabulary, iris: Iris
) -> tuple[NamedNode | None, str | None]:
    """The dataset the text before table ``index`` names, within its section; or a warning."""
    for block in text_blocks_before(blocks, index, max_blocks=MAX_CONTEXT_BLOCKS):
        found = datasets_in(plain_text(block.text), vocab, iris, proper=True)
        if len(found) == 1:
            return found[0], None
        if len(found) > 1:
            names = ", ".join(node.value.rsplit("/", 1)[-1] for node in found)
            return None, f"the text before it names several datasets ({names})"
    return None, None


# -- metric tables -----------------------------------------------------------------------------

#: (pattern on the cleaned, lowercased header, metric slug, label, other names to look up in the
#: metrics vocabulary). All are ratios.
METRIC_HEADERS: tuple[tuple[re.Pattern[str], str, str, tuple[str, ...]], ...] = tuple(
    (re.compile(pattern), slug, label, aliases)
    for pattern, slug, label, aliases in (
        (r"\btop-? ?1 err", "top-1-error", "top-1 error", ()),
        (r"\btop-? ?5 err", "top-5-error", "top-5 error", ()),
        (r"^top-? ?1(?: acc(?:uracy)?\.?)?$", "top-1-accuracy", "top-1 accuracy", ()),
        (r"^top-? ?5(?: acc(?:uracy)?\.?)?$", "top-5-accuracy", "top-5 accuracy", ()),
        (r"\b(?:miou|mean iou)$", "mean-iou", "mean IoU", ()),
        (r"\biou$", "iou", "IoU", ()),
        (r"^(?:global )?pixel(?:wise)? acc(?:uracy)?$", "pixel-accuracy", "pixel accuracy", ()),
        (r"^acc(?:uracy)?\.?$", "accuracy", "accuracy", ()),
        (r"^recall$", "recall", "recall", ()),
        (r"^precision$", "precision", "precision", ()),
        (r"^f1(?: score)?$", "f1", "F1", ()),
        (
            r"^map ?(?:val)? ?@? ?(?:0?\.5|50) ?[-:] ?(?:0?\.95|95)$",
            "map-50-95",
            "mAP@0.5:0.95",
            ("mAP@[.5:.95]", "COCO mAP"),
        ),
        (r"^map ?(?:val)? ?@? ?(?:0?\.5|50)$", "map-50", "mAP@0.5", ("AP50",)),
        (r"^map$", "map", "mAP", ()),
        (r"^ap$", "ap", "AP", ()),
    )
)


@dataclass(frozen=True)
class MetricColumn:
    index: int
    header: str
    slug: str
    label: str
    aliases: tuple[str, ...]
    percent: bool


def metric_columns(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[MetricColumn]:
    """The columns whose header names a known metric, with their percent scale decided."""
    columns = []
    for index, raw in enumerate(header):
        cleaned = plain_text(raw)
        key = re.sub(r"\([^)]*\)", " ", cleaned.lower()).replace("%", " ")
        key = re.sub(r"\s+", " ", key).strip()
        for pattern, slug, label, aliases in METRIC_HEADERS:
            if pattern.search(key):
                values = [parse_number(row[index])[0] for row in rows if index < len(row)]
                percent = "%" in raw or any(v is not None and abs(v) > 1 for v in values)
                columns.append(MetricColumn(index, cleaned, slug, label, aliases, percent))
                break
    return columns


def row_candidates(row: tuple[str, ...], label_columns: int) -> list[str]:
    """Name keys a row may be matched by: its first cell, then the leading cells joined.

    >>> row_candidates(("Slow", "R50", "8x8"), 3)
    ['slow', 'slowr50', 'slowr508x8']
    """
    first = re.sub(r"\(ours\)", "", plain_text(row[0]) if row else "", flags=re.I)
    keys = [normalise_key(first)]
    for width in range(2, min(label_columns, len(row)) + 1):
        keys.append(normalise_key(" ".join(plain_text(cell) for cell in row[:width])))
    return [key for key in dict.fromkeys(keys) if key]


def boundary_prefixes(entrypoint: str) -> set[str]:
    """Keys of the entrypoint's proper prefixes that end at a ``_``, ``.`` or ``-``.

    >>> sorted(boundary_prefixes("resnext101_32x8d_wsl"))
    ['resnext101', 'resnext10132x8d']
    """
    parts = re.split(r"[_.-]", entrypoint)
    return {normalise_key("".join(parts[:n])) for n in range(1, len(parts))} - {""}


def match_rows(
    rows: list[tuple[str, ...]], names: list[str], label_columns: int
) -> list[str | None]:
    """The entrypoint each row reports on (``None``: no entrypoint of this page)."""
    exact = {normalise_key(name): name for name in names}
    prefixed: dict[str, list[str]] = {}
    for name in names:
        for prefix in boundary_prefixes(name):
            prefixed.setdefault(prefix, []).append(name)
    matches: list[str | None] = []
    by_prefix: list[str | None] = []
    for row in rows:
        candidates = row_candidates(row, label_columns)
        found = next((exact[key] for key in candidates if key in exact), None)
        options = prefixed.get(candidates[0], []) if candidates and found is None else []
        matches.append(found)
        by_prefix.append(options[0] if len(options) == 1 else None)
    resolved = [m or p for m, p in zip(matches, by_prefix, strict=True)]
    one_to_one = None not in resolved and len(set(resolved)) == len(resolved)
    return resolved if one_to_one else matches


@dataclass(frozen=True)
class PageContext:
    """What the evaluation mapper needs from the page."""

    models: dict[str, NamedNode]
    vocab: Vocabulary
    iris: Iris


def map_tables(blocks: list[Block], page: PageContext, record: MappedRecord) -> None:
    """Every metric table row that names an entrypoint becomes evaluations.

    An evaluation needs its dataset (``mlkg:onDataset``), so a table the text before it does not
    tie to exactly one vocabulary dataset is reported and left out, never guessed.
    """
    seen: dict[tuple[str, ...], int] = {}
    tables = [(i, b) for i, b in enumerate(blocks) if b.kind == "table" and len(b.rows) > 1]
    for index, block in tables[:MAX_TABLES]:
        if is_entrypoint_table(block):
            continue
        header, rows = block.rows[0], [r for r in block.rows[1:] if any(plain_text(c) for c in r)]
        columns = metric_columns(header, rows)
        if not columns:
            continue
        pairs = list(zip(rows, match_rows(rows, list(page.models), columns[0].index), strict=True))
        unmatched = [plain_text(row[0])[:40] for row, name in pairs if name is None]
        if unmatched:
            record.warn(
                f"table at line {block.line}: {len(unmatched)} row(s) name no entrypoint of this "
                f"page ({', '.join(unmatched[:5])}); not recorded"
            )
        matched = [(row, name) for row, name in pairs if name is not None]
        dataset, note = table_dataset(blocks, index, page.vocab, page.iris)
        if matched and dataset is None:
            record.warn(
                f"table at line {block.line}: {note or 'the text before it names no known dataset'}"
                f"; its {len(matched)} row(s) for this page's entrypoints are not recorded "
                "(an evaluation needs its dataset)"
            )
            continue
        for row, name in matched:
            for column in columns:
                _map_cell(row, column, page.models[name], dataset, block, page, record, seen)


def _map_cell(
    row: tuple[str, ...],
    column: MetricColumn,
    model: NamedNode,
    dataset: NamedNode,
    block: Block,
    page: PageContext,
    record: MappedRecord,
    seen: dict[tuple[str, ...], int],
) -> None:
    cell = row[column.index] if column.index < len(row) else ""
    raw = plain_text(cell)
    if raw in {"", "-", "–", "—", "n/a", "N/A"}:
        return
    value, percent_sign = parse_number(cell)
    where = f"table at line {block.line}, row {plain_text(row[0])[:40]!r}, column {column.header!r}"
    if value is None:
        record.warn(f"{where}: {raw[:40]!r} is not a number; skipped")
        return
    percent = column.percent or percent_sign
    fraction = round(value / 100, 10) if percent else value
    if not 0 <= fraction <= 1:
        record.warn(f"{where}: {raw!r} is outside the metric's 0-1 (0-100%) range; skipped")
        return
    key = (column.slug, dataset.value, column.header, plain_text(row[0]))
    seen[(model.value, *key)] = occurrence = seen.get((model.value, *key), 0) + 1
    evaluation = page.iris.evaluation(model, *key, str(occurrence))
    record.add(evaluation, RDF.type, MLKG.Evaluation)
    record.add(evaluation, MLKG.evaluatedModel, model)
    record.add(evaluation, MLKG.metric, _metric(column, page, record))
    record.add(evaluation, MLKG.value, double(fraction))
    record.add(evaluation, MLKG.rawValue, text(raw))
    if percent:
        record.add(evaluation, MLKG.percentNormalised, boolean(True))
    record.add(evaluation, MLKG.onDataset, dataset)
    record.add(evaluation, RDFS.label, text(f"{plain_text(row[0])}: {column.header}"))


def _metric(column: MetricColumn, page: PageContext, record: MappedRecord) -> NamedNode:
    """The vocabulary's metric concept, or a minted one with its stub."""
    for name in (column.slug, column.label, *column.aliases):
        found = page.vocab.find("metrics", name, page.iris)
        if found is not None:
            return found
    metric = page.iris.metric(column.slug)
    record.add(metric, RDF.type, MLKG.Metric)
    record.add(metric, DCTERMS.identifier, Literal(column.slug))
    record.add(metric, RDFS.label, Literal(column.label))
    return metric
