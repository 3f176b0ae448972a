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

import logging
import re
from collections.abc import Container, Iterator
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
    split_front_matter,
    strip_quotes,
)
from crawlers._repository import is_url, open_repository
from crawlers.pytorch_hub._limits import (
    DEFAULT_LOCATION,
    HUB,
    MAX_FRONT_MATTER_CHARS,
    MAX_PAGE_BYTES,
    MAX_TAGS,
    NOT_MODEL_PAGES,
    PAGE_BASE,
    SOURCE_NAME,
    UNKNOWN_PREFIX,
    VERSION,
)
from crawlers.pytorch_hub.calls import _REPO, Entrypoint, collect_entrypoints
from crawlers.pytorch_hub.tables import PageContext, map_tables, trained_on
from mlkg.errors import InvalidIdError
from mlkg.iris import Iris, check_id, short_hash
from mlkg.namespaces import DCTERMS, MLKG, PROV, RDF, RDFS, SCHEMA
from mlkg.rdf import clean_text, text, url
from mlkg.records import MappedRecord, RawRecord
from mlkg.vocabulary import Vocabulary, load_vocabulary, normalise_key

logger = logging.getLogger(__name__)


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
