"""PyTorch Hub: one markdown page per model family in the ``pytorch/hub`` GitHub repository.

A page is YAML front matter (title, summary, author, tags, github-id, accelerator, ...) and markdown
whose code blocks call ``torch.hub.load('<owner>/<repo>[:<ref>]', '<entrypoint>', ...)``. Each
entrypoint a page loads (commented-out variants included) is one ``mlkg:Model`` with id
``<github-id>/<entrypoint>``; the page's metric tables become ``mlkg:Evaluation`` s.

Rules that need judgement, in one place:

- An entrypoint given as a variable (``torch.hub.load(repo, model_name)``) is not guessed from the
  code around it: the page gets one model with id ``<github-id>/page:<page stem>`` and no
  ``mlkg:entrypoint``, and a warning. A page with no load call at all gets the same model.
- A table whose first column is headed "entrypoint" lists further entrypoints of the page.
- Table rows are matched to entrypoints by name after folding case and punctuation; a row naming
  a prefix of an entrypoint (``ResNeXt-101 32x8d`` for ``resnext101_32x8d_wsl``) counts only in a
  table whose rows all map one-to-one onto the page's entrypoints. Unmatched rows (baselines,
  ablations) are reported, never attributed.
- Recognised metrics are ratios; a column headed with ``%``, a cell with ``%``, or a column with a
  value above 1 is in percent and is divided by 100 (``mlkg:percentNormalised``).
- Datasets are linked only when the vocabulary knows the name: ``trained on X`` / ``fine-tuned on
  X`` in the summary or prose gives ``mlkg:trainedOn``; the paragraphs before a table (within its
  section) give the evaluations' ``mlkg:onDataset`` when they name exactly one dataset. A table
  without one is reported and left out: an evaluation needs its dataset, and it is not guessed.
- No ``mlkg:task``: the pages' category (always "researchers") and tags (vision, nlp, audio,
  generative, scriptable) name domains, not tasks.

Page format: https://github.com/pytorch/hub/blob/master/docs/template.md
"""

from __future__ import annotations

import ast
import logging
import re
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml
from pyoxigraph import Literal, NamedNode

from crawlers import Source
from crawlers._markdown import (
    Block,
    parse_blocks,
    parse_number,
    plain_text,
    split_front_matter,
    strip_quotes,
    text_blocks_before,
)
from crawlers._repository import is_url, open_repository
from mlkg.errors import InvalidIdError
from mlkg.iris import Iris, check_id, short_hash
from mlkg.namespaces import DCTERMS, MLKG, PROV, RDF, RDFS, SCHEMA
from mlkg.rdf import boolean, clean_text, double, text, url
from mlkg.records import MappedRecord, RawRecord
from mlkg.vocabulary import Vocabulary, load_vocabulary, normalise_key

logger = logging.getLogger(__name__)

SOURCE_NAME = "pytorch-hub"
HUB = "pytorch-hub"
VERSION = "0.1.0"
DEFAULT_LOCATION = "https://codeload.github.com/pytorch/hub/tar.gz/refs/heads/master"
PAGE_BASE = "https://pytorch.org/hub/"

#: A page larger than this is not read (real pages are under 20 kB); the record is flagged.
MAX_PAGE_BYTES = 2 * 1024**2
MAX_FRONT_MATTER_CHARS = 64_000
MAX_CALLS = 500
MAX_CALL_CHARS = 4_000
MAX_TAGS = 50
MAX_TABLES = 200
#: How many blocks before a table are searched for the dataset it reports on.
MAX_CONTEXT_BLOCKS = 12
#: The repository's top-level markdown files that are not model pages.
NOT_MODEL_PAGES = frozenset(
    {"readme.md", "contributing.md", "code_of_conduct.md", "license.md", "changelog.md"}
)
UNKNOWN_PREFIX = "page:"


# -- crawl -------------------------------------------------------------------------------------


def crawl(
    location: str, *, cache_dir: Path, skip: Container[str] = (), limit: int | None = None
) -> Iterator[RawRecord]:
    """Yield one raw record per model page, sorted by file name, lazily.

    ``location`` is a checkout folder, a ``.tar.gz``/``.zip`` of the repository, or an archive URL
    (GitHub's ``<repo>-<ref>/`` top folder is stepped into). Pages in ``skip`` are not read;
    ``limit`` caps the records yielded. A binary or oversized page is yielded with ``flags`` and
    no text, so the mapper can quarantine it with a clear message.
    """
    root = open_repository(location, cache_dir=cache_dir, source=SOURCE_NAME)
    pages = (path for path in list_pages(root) if path.name not in skip)
    for path in islice(pages, None if limit is None else max(limit, 0)):
        yield read_page(path, location=_page_location(location, path))


def list_pages(root: Path) -> list[Path]:
    """The top-level ``*.md`` model pages (README, CONTRIBUTING, ... and docs/ excluded)."""
    pages = []
    for path in sorted(root.glob("*.md")):
        if path.name.lower() in NOT_MODEL_PAGES or path.is_symlink() or not path.is_file():
            continue
        try:
            check_id(path.name)
        except InvalidIdError as exc:
            logger.warning("%s: skipping a page whose file name cannot be an id (%s)", root, exc)
            continue
        pages.append(path)
    return pages


def read_page(path: Path, *, location: str) -> RawRecord:
    """Read one page, at most :data:`MAX_PAGE_BYTES`; flag what cannot be a markdown page."""
    data: dict[str, Any] = {"path": path.name, "text": ""}
    try:
        with path.open("rb") as handle:
            content = handle.read(MAX_PAGE_BYTES + 1)
    except OSError as exc:
        data.update(flags=["unreadable"], reason=str(exc))
        return _raw(path, data, location)
    if len(content) > MAX_PAGE_BYTES:
        data.update(flags=["too-large"], size=path.stat().st_size)
    elif b"\x00" in content:
        data.update(flags=["binary"], size=len(content))
    else:
        try:
            data["text"] = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            data.update(text=content.decode("utf-8", errors="replace"), flags=["invalid-utf8"])
    return _raw(path, data, location)


def _raw(path: Path, data: dict[str, Any], location: str) -> RawRecord:
    fetched = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return RawRecord(SOURCE_NAME, path.name, data, location=location, fetched_at=fetched)


def _page_location(location: str, path: Path) -> str:
    """A checkout's file path; for an archive, the archive plus ``#<page>``."""
    if not is_url(location) and Path(location).expanduser().is_dir():
        return str(path)
    return f"{location}#{quote(path.name)}"


# -- front matter ------------------------------------------------------------------------------


def parse_front_matter(front: str | None) -> tuple[dict[str, Any], list[str]]:
    """The front matter as a dict, and what was wrong with it (YAML errors carry line/column)."""
    if front is None:
        return {}, ["page has no YAML front matter (--- ... ---); page facts are missing"]
    if len(front) > MAX_FRONT_MATTER_CHARS:
        return {}, [f"front matter is over {MAX_FRONT_MATTER_CHARS} characters; ignored"]
    try:
        value = yaml.safe_load(front)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 2}, column {mark.column + 1}: " if mark else ""
        return {}, [f"front matter is not valid YAML ({where}{exc.problem}); page facts missing"]
    except Exception as exc:  # the YAML parser on hostile input: dates, nesting depth, ...
        return {}, [f"front matter could not be read ({exc.__class__.__name__}: {exc})"]
    if not isinstance(value, dict):
        kind = type(value).__name__
        return {}, [f"front matter is a YAML {kind}, not a mapping of fields; page facts missing"]
    return value, []


def scalar(front: dict[str, Any], key: str, warnings: list[str]) -> str | None:
    """A cleaned string field of the front matter; lists, mappings and blanks give ``None``."""
    value = front.get(key)
    if value is None:
        return None
    if isinstance(value, (dict, list, set)):
        warnings.append(f"front matter {key}: expected text, got a {type(value).__name__}")
        return None
    cleaned = clean_text(str(value))
    unquoted = strip_quotes(cleaned)
    if unquoted != cleaned:
        warnings.append(f"front matter {key}: removed the quotes around {cleaned!r}")
    return unquoted or None


def tags(front: dict[str, Any], warnings: list[str]) -> list[str]:
    """``tags: [vision, nlp]`` or ``tags: vision, nlp``; at most :data:`MAX_TAGS`."""
    value = front.get("tags")
    items = value if isinstance(value, list) else str(value or "").strip("[]").split(",")
    if any(isinstance(item, (dict, list)) for item in items):
        warnings.append("front matter tags: nested values ignored")
    found = (
        strip_quotes(clean_text(str(item), max_length=100))
        for item in items[:MAX_TAGS]
        if item is not None and not isinstance(item, (dict, list))
    )
    return list(dict.fromkeys(tag for tag in found if tag))


# -- torch.hub.load calls ----------------------------------------------------------------------


@dataclass(frozen=True)
class LoadCall:
    """One ``torch.hub.load(...)``; ``entrypoint`` is ``None`` when it is not a string literal."""

    line: int
    repo: str | None
    ref: str | None
    entrypoint: str | None
    expression: str


@dataclass(frozen=True)
class Entrypoint:
    """An entrypoint of the page (``name`` ``None``: the page's model with unknown entrypoint)."""

    name: str | None
    repo: str | None
    ref: str | None


_LOAD = re.compile(r"torch\.hub\.load\s*\(")
_COMMENT_LEAD = re.compile(r"[ \t]*#")
_REPO = re.compile(r"(?!\.\.?/)[A-Za-z0-9_.-]{1,100}/(?!\.\.?$)[A-Za-z0-9_.-]{1,100}")
_REF = re.compile(r"[^\s\x00-\x1f\x7f]{1,200}")
_ENTRYPOINT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}")


def find_load_calls(code: str, first_line: int) -> tuple[list[LoadCall], list[str]]:
    """Every ``torch.hub.load(`` in a code block, commented-out ones included."""
    calls: list[LoadCall] = []
    warnings: list[str] = []
    line, counted = first_line, 0
    for match in islice(_LOAD.finditer(code), MAX_CALLS):
        line_start = code.rfind("\n", 0, match.start()) + 1
        line += code.count("\n", counted, match.start())
        counted = match.start()
        commented = "#" in code[line_start : match.start()]
        arguments = call_arguments(code, match.end() - 1, commented=commented)
        call = _parse_call(arguments, line) if arguments is not None else None
        if call is None:
            warnings.append(f"line {line}: could not read the torch.hub.load(...) call; skipped")
        elif isinstance(call, str):
            warnings.append(call)
        else:
            calls.append(call)
    return calls, warnings


def call_arguments(code: str, open_paren: int, *, commented: bool) -> str | None:
    """The text between a call's parentheses, string- and comment-aware; ``None`` if unbalanced.

    In a commented-out call the ``#`` that starts each continuation line is dropped.

    >>> call_arguments("f('a)', # x\\n 'b')", 1, commented=False)
    "'a)', \\n 'b'"
    """
    out: list[str] = []
    depth, quote_char, i = 0, "", open_paren
    end = min(len(code), open_paren + MAX_CALL_CHARS)
    while i < end:
        char = code[i]
        if quote_char:
            out.append(char)
            if char == "\\" and i + 1 < end:
                out.append(code[i + 1])
                i += 1
            elif char == quote_char:
                quote_char = ""
            elif char == "\n":
                return None
        elif char == "#":
            newline = code.find("\n", i, end)
            i = end if newline < 0 else newline
            continue
        elif char == "\n" and commented and (lead := _COMMENT_LEAD.match(code, i + 1)):
            out.append(char)
            i = lead.end()
            continue
        else:
            out.append(char)
            if char in "'\"":
                quote_char = char
            elif char in "([{":
                depth += 1
            elif char in ")]}":
                depth -= 1
                if depth == 0:
                    return "".join(out[1:-1])
        i += 1
    return None


def _parse_call(arguments: str, line: int) -> LoadCall | str | None:
    """A :class:`LoadCall`, a warning (str) for an unusable repository, or ``None`` (unparsable)."""
    try:
        call = ast.parse(f"_({arguments})", mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if not isinstance(call, ast.Call):
        return None
    repo_node = _argument(call, 0, "repo_or_dir")
    model_node = _argument(call, 1, "model")
    repo, ref = _split_repo(_literal(repo_node))
    if repo is None and _literal(repo_node) is not None:
        where = f"line {line}: torch.hub.load repository {_literal(repo_node)!r}"
        return f"{where} is not a GitHub owner/name[:ref]; call skipped"
    if model_node is None:
        return f"line {line}: torch.hub.load call names no entrypoint; skipped"
    expression = clean_text(ast.unparse(model_node), max_length=80)
    return LoadCall(line, repo, ref, _literal(model_node), expression)


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    for item in call.keywords:
        if item.arg == keyword:
            return item.value
    positional = []
    for arg in call.args:
        if isinstance(arg, ast.Starred):
            break
        positional.append(arg)
    return positional[position] if len(positional) > position else None


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _split_repo(value: str | None) -> tuple[str | None, str | None]:
    """``'pytorch/vision:v0.10.0'`` → ``('pytorch/vision', 'v0.10.0')``; invalid → ``(None, None)``.

    >>> _split_repo("pytorch/vision:v0.10.0"), _split_repo("./local/dir")
    (('pytorch/vision', 'v0.10.0'), (None, None))
    """
    if value is None:
        return None, None
    repo, _, ref = value.strip().partition(":")
    if not _REPO.fullmatch(repo) or (ref and not _REF.fullmatch(ref)):
        return None, None
    return repo, ref or None


def collect_entrypoints(
    blocks: list[Block], github_id: str | None, stem: str
) -> tuple[list[Entrypoint], list[str]]:
    """The page's entrypoints in order of first appearance (``None`` name: the unknown one)."""
    warnings: list[str] = []
    calls: list[LoadCall] = []
    for block in blocks:
        if block.kind == "code":
            found, notes = find_load_calls(block.text, block.line + 1)
            calls.extend(found)
            warnings.extend(notes)
    found_entrypoints: dict[str | None, Entrypoint] = {}
    for call in calls:
        warning = _add_call(call, call.repo or github_id, stem, found_entrypoints)
        if warning:
            warnings.append(warning)
    _add_table_entrypoints(blocks, calls, github_id, found_entrypoints, warnings)
    if github_id and any(c.repo and c.repo.lower() != github_id.lower() for c in calls):
        others = sorted({c.repo for c in calls if c.repo and c.repo.lower() != github_id.lower()})
        warnings.append(
            f"load calls name {', '.join(others)} but github-id is {github_id}; "
            "model ids use github-id"
        )
    if not found_entrypoints:
        warnings.append(
            "no torch.hub.load call in the page's code blocks; recorded the page as one model "
            f"with unknown entrypoint ({UNKNOWN_PREFIX}{stem})"
        )
        found_entrypoints[None] = Entrypoint(None, github_id, None)
    return list(found_entrypoints.values()), warnings


def _add_call(
    call: LoadCall, repo: str | None, stem: str, found: dict[str | None, Entrypoint]
) -> str | None:
    """Record one call's entrypoint in ``found``; return a warning if there is something to say."""
    name = call.entrypoint
    if name is None:
        found.setdefault(None, Entrypoint(None, repo, call.ref))
        return (
            f"line {call.line}: entrypoint is {call.expression!r}, not a string literal; "
            f"recorded as the page's model with unknown entrypoint ({UNKNOWN_PREFIX}{stem})"
        )
    if (problem := entrypoint_problem(name)) is not None:
        return f"line {call.line}: entrypoint {name[:80]!r} {problem}"
    first = found.setdefault(name, Entrypoint(name, repo, call.ref))
    if (first.repo, first.ref) != (repo, call.ref):
        return (
            f"line {call.line}: {name} is also loaded from {repo}:{call.ref}; "
            "kept the first repository and ref"
        )
    return None


def entrypoint_problem(name: str) -> str | None:
    """Why ``name`` cannot be an entrypoint (control characters, spaces, slashes...), or None."""
    if _ENTRYPOINT.fullmatch(name):
        return None
    if re.search(r"[\x00-\x1f\x7f]", name):
        return "contains control characters; skipped"
    return "is not a valid entrypoint name (letters, digits, _ . - only); skipped"


def _add_table_entrypoints(
    blocks: list[Block],
    calls: list[LoadCall],
    github_id: str | None,
    named: dict[str | None, Entrypoint],
    warnings: list[str],
) -> None:
    """Entrypoints listed in a table whose first column is headed "entrypoint"."""
    sources = {(c.repo, c.ref) for c in calls if c.repo}
    repo, ref = sources.pop() if len(sources) == 1 else (github_id, None)
    for block in blocks:
        if block.kind != "table" or not is_entrypoint_table(block):
            continue
        for row in block.rows[1:]:
            name = plain_text(row[0]) if row else ""
            if name and entrypoint_problem(name) is None:
                named.setdefault(name, Entrypoint(name, repo, ref))
            elif name:
                warnings.append(f"table at line {block.line}: {name[:80]!r} is not an entrypoint")


def is_entrypoint_table(table: Block) -> bool:
    """Whether a table lists entrypoints (its first column is headed "entrypoint")."""
    return re.search(r"entry ?point", plain_text(table.rows[0][0]), re.I) is not None


# -- datasets ----------------------------------------------------------------------------------

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


# -- map ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageFacts:
    """The front-matter facts every model of the page carries."""

    stem: str
    title: str | None
    summary: str | None
    author: str | None
    accelerator: str | None
    tags: tuple[str, ...]
    github_id: str | None


def map_record(
    record: RawRecord, iris: Iris, *, vocabulary: Vocabulary | None = None
) -> MappedRecord:
    """Map one page to its models, evaluations and stubs; pure and total.

    A page that cannot be read (binary, too large, no text) comes back with ``error`` set; every
    other problem is a warning and the rest of the page is kept. ``vocabulary`` defaults to the
    shipped one (tests pass their own).
    """
    vocab = vocabulary or load_vocabulary()
    mapped = _empty_record(record, iris)
    data = record.data if isinstance(record.data, dict) else {}
    page_text, error = _page_text(record, data)
    if error is not None:
        mapped.error = error
        return mapped
    if "invalid-utf8" in (data.get("flags") or []):
        mapped.warn("page is not valid UTF-8; undecodable bytes were replaced")
    page_text = page_text.replace("\r\n", "\n").replace("\r", "\n")  # some pages use CRLF
    front_text, body, body_line = split_front_matter(page_text)
    front, notes = parse_front_matter(front_text)
    for note in notes:
        mapped.warn(note)
    facts = _page_facts(front, _stem(data, record.id), mapped.warnings)
    blocks = parse_blocks(body, body_line)
    entrypoints, notes = collect_entrypoints(blocks, facts.github_id, facts.stem)
    for note in notes:
        mapped.warn(note)
    if front_text is None and all(e.name is None for e in entrypoints):
        mapped.error = (
            "not a PyTorch Hub model page: no front matter and no entrypoint named in a "
            "torch.hub.load call"
        )
        return mapped
    models = _map_models(entrypoints, facts, blocks, vocab, iris, mapped)
    named = {name: node for name, node in models if name is not None}
    map_tables(blocks, PageContext(named, vocab, iris), mapped)
    mapped.topics = [node for _, node in models]
    mapped.subject = primary_model(models, facts)
    if mapped.subject is None:
        mapped.error = "no model could be minted from this page (see warnings)"
    return mapped


def primary_model(models: list[tuple[str | None, NamedNode]], facts: PageFacts) -> NamedNode | None:
    """The page's main model: the first whose entrypoint contains the page title (the "HiFi GAN"
    page loads ``nvidia_fastpitch`` before ``nvidia_hifigan``), else the first one loaded.
    """
    title = normalise_key(facts.title or "")
    for entrypoint, node in models:
        if entrypoint and len(title) >= 3 and title in normalise_key(entrypoint):
            return node
    return models[0][1] if models else None


def _empty_record(record: RawRecord, iris: Iris) -> MappedRecord:
    try:
        graph = iris.record_graph(SOURCE_NAME, record.id)
    except InvalidIdError:
        graph = iris.record_graph(SOURCE_NAME, "invalid-id-" + short_hash(repr(record.id)))
    return MappedRecord(SOURCE_NAME, str(record.id), graph)


def _page_text(record: RawRecord, data: dict[str, Any]) -> tuple[str, str | None]:
    """The page's text, or the reason there is none."""
    flags = data.get("flags") or []
    name = data.get("path") or record.id
    if "too-large" in flags:
        size = data.get("size", "?")
        return "", f"{name}: page is {size} bytes, over the {MAX_PAGE_BYTES}-byte limit; not read"
    if "binary" in flags:
        return "", f"{name}: binary file (contains NUL bytes), not a markdown page"
    if "unreadable" in flags:
        return "", f"{name}: could not be read ({data.get('reason', 'unknown reason')})"
    page = data.get("text")
    if not isinstance(page, str):
        return "", f"{name}: raw record has no page text"
    return page, None


def _stem(data: dict[str, Any], record_id: str) -> str:
    name = str(data.get("path") or record_id).rsplit("/", 1)[-1]
    return name[:-3] if name.lower().endswith(".md") else name


def _page_facts(front: dict[str, Any], stem: str, warnings: list[str]) -> PageFacts:
    github_id = scalar(front, "github-id", warnings)
    if github_id is not None and not _REPO.fullmatch(github_id):
        warnings.append(f"front matter github-id {github_id[:80]!r} is not owner/name; ignored")
        github_id = None
    elif github_id is None and front:
        warnings.append("front matter has no github-id; model ids use the load call's repository")
    return PageFacts(
        stem=stem,
        title=scalar(front, "title", warnings),
        summary=scalar(front, "summary", warnings),
        author=scalar(front, "author", warnings),
        accelerator=scalar(front, "accelerator", warnings),
        tags=tuple(tags(front, warnings)),
        github_id=github_id,
    )


def _map_models(
    entrypoints: list[Entrypoint],
    facts: PageFacts,
    blocks: list[Block],
    vocab: Vocabulary,
    iris: Iris,
    mapped: MappedRecord,
) -> list[tuple[str | None, NamedNode]]:
    """One model per entrypoint, with the page's facts; returns (entrypoint, model IRI) pairs."""
    prose = [facts.summary or ""] + [b.text for b in blocks if b.kind == "paragraph"]
    datasets = trained_on(prose, vocab, iris)
    hub = vocab.find("hubs", HUB, iris) or iris.hub(HUB)
    publisher = _publisher(facts.author, iris, mapped)
    models = []
    for entrypoint in entrypoints:
        model = _model_iri(entrypoint, facts, iris, mapped)
        if model is None:
            continue
        models.append((entrypoint.name, model))
        _add_model(model, entrypoint, facts, hub, publisher, mapped)
        _add_training(model, datasets, iris, mapped)
    return models


def model_id(entrypoint: Entrypoint, facts: PageFacts) -> str | None:
    """``<github-id>/<entrypoint>``, or ``<github-id>/page:<stem>`` for the unknown entrypoint.

    >>> facts = PageFacts("pytorch_vision_x", None, None, None, None, (), "pytorch/vision")
    >>> model_id(Entrypoint("resnet18", "pytorch/vision", "v0.10.0"), facts)
    'pytorch/vision/resnet18'
    >>> model_id(Entrypoint(None, "pytorch/vision", None), facts)
    'pytorch/vision/page:pytorch_vision_x'
    """
    repo = facts.github_id or entrypoint.repo
    leaf = entrypoint.name or f"{UNKNOWN_PREFIX}{facts.stem}"
    if repo is None:
        return None if entrypoint.name else leaf
    return f"{repo}/{leaf}"


def _model_iri(
    entrypoint: Entrypoint, facts: PageFacts, iris: Iris, mapped: MappedRecord
) -> NamedNode | None:
    zoo_id = model_id(entrypoint, facts)
    if zoo_id is None:
        mapped.warn(f"entrypoint {entrypoint.name}: no github-id and no repository; skipped")
        return None
    try:
        return iris.model(HUB, zoo_id)
    except InvalidIdError as exc:
        mapped.warn(f"model id {zoo_id[:80]!r} cannot be an IRI ({exc}); skipped")
        return None


def _add_model(
    model: NamedNode,
    entrypoint: Entrypoint,
    facts: PageFacts,
    hub: NamedNode,
    publisher: NamedNode | None,
    mapped: MappedRecord,
) -> None:
    add = mapped.add
    repo = entrypoint.repo or facts.github_id
    add(model, RDF.type, MLKG.Model)
    add(model, DCTERMS.identifier, text(model_id(entrypoint, facts)))
    add(model, RDFS.label, text(entrypoint.name or facts.title or facts.stem))
    add(model, DCTERMS["title"], text(facts.title))
    add(model, DCTERMS.description, text(facts.summary))
    add(model, MLKG.hub, hub)
    add(model, MLKG.entryType, Literal("entrypoint"))
    add(model, MLKG.entrypoint, text(entrypoint.name))
    add(model, MLKG.sourceRepository, url(f"https://github.com/{repo}") if repo else None)
    add(model, MLKG.sourceRef, text(entrypoint.ref))
    add(model, SCHEMA.url, url(PAGE_BASE + quote(facts.stem)))
    add(model, MLKG.accelerator, text(facts.accelerator))
    mapped.add_all(model, MLKG.tag, (text(tag) for tag in facts.tags))
    add(model, DCTERMS.publisher, publisher)


def _publisher(author: str | None, iris: Iris, mapped: MappedRecord) -> NamedNode | None:
    """A Publisher stub named by the page's author (the id is the name as written)."""
    if not author:
        return None
    zoo_id = re.sub(r"\s+", " ", author).replace("/", "-")[:200]
    try:
        publisher = iris.publisher(HUB, zoo_id)
    except InvalidIdError as exc:
        mapped.warn(f"author {author[:80]!r} cannot name a publisher ({exc})")
        return None
    mapped.add(publisher, RDF.type, MLKG.Publisher)
    mapped.add(publisher, DCTERMS.identifier, text(zoo_id))
    mapped.add(publisher, RDFS.label, text(author))
    return publisher


def _add_training(
    model: NamedNode, datasets: list[NamedNode], iris: Iris, mapped: MappedRecord
) -> None:
    if not datasets:
        return
    run = iris.training_run(model)
    mapped.add(model, PROV.wasGeneratedBy, run)
    mapped.add(run, RDF.type, MLKG.TrainingRun)
    for dataset in datasets:
        mapped.add(model, MLKG.trainedOn, dataset)
        mapped.add(run, PROV.used, dataset)


SOURCE = Source(
    name=SOURCE_NAME,
    hub=HUB,
    version=VERSION,
    default_location=DEFAULT_LOCATION,
    description="PyTorch Hub: the model pages of the pytorch/hub GitHub repository",
    crawl=crawl,
    map_record=map_record,
)
