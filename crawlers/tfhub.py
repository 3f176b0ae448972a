"""TF Hub (tfhub.dev): the markdown catalogue of the ``tensorflow/tfhub.dev`` repository.

TF Hub is archived into Kaggle Models; its catalogue is one markdown page per entry under
``assets/docs/``. Line 1 is the truth: ``# <Type> <handle>`` (``# Module google/albert_base/3``;
the name may contain slashes, the version is last). Metadata are whole-line comments
``<!-- key: value -->``; ``dataset``, ``language``, ``task`` and ``network-architecture`` repeat.
The 2021 format says ``module-type`` instead of ``task``, ``interactive-model-name`` instead of
``interactive-visualizer``, and writes ids freely (``Inception V4``, ``medline/pubmed``,
``squad-2.0``, ``Apache-2.0``); both load.

Design decisions (the contract other stages rely on):

* **Ids.** Lite, TF.js and Coral variants reuse their parent's handle shape, so a Lite and a TF.js
  page can carry the same handle (``# Lite x/y/1`` and ``# Tfjs x/y/1``). Their zoo id is the
  path of their tfhub.dev URL, which is unique: ``x/lite-model/y/1``, ``x/tfjs-model/y/1``,
  ``x/coral-model/y/1``. Modules and Placeholders share one namespace (their handle), which is
  what ``parent-model`` refers to. ``dcterms:identifier``, ``rdfs:label`` and the IRI
  ``model/tfhub/{zoo id}`` all use that zoo id; stubs use it too, so labels agree in the union.
* **Variants and inheritance.** A variant's graph states only what its own page says, plus
  ``mlkg:convertedFrom`` its ``parent-model`` (a Model stub). Nothing is resolved at map time
  (mapping is per record): "a variant has its parent's task, datasets and architecture" is a
  query rule, e.g. ``?v mlkg:convertedFrom+ ?p . ?p mlkg:task ?task``.
* **Dangling parents** stay as written (link + stub, also version-less ones such as
  ``iree/mobilebert/fp32``, with a warning); the pipeline's link check flags them.
* **Versions.** Each version is its own ``mlkg:Model`` with ``mlkg:version`` (xsd:integer) and
  ``mlkg:modelName`` (the handle without its version). The ``mlkg:revisionOf`` links between
  consecutive published versions are derived after loading (:mod:`mlkg.links`): only the whole
  catalogue knows which versions exist, and TF Hub has gaps such as
  ``.../classification/1, 3, 4, 5``.
* **Licence.** A model page without ``license`` gets TF Hub's default, ``dcterms:license`` SPDX
  Apache-2.0, marked ``mlkg:licenseDefaulted true`` (declared licences carry no flag). A declared
  one keeps its text in ``mlkg:licenseName``; ``custom`` and unknown names become a
  ``mlkg:CustomLicense`` (``license/{slug}``). Variants default like any page: their page
  declares nothing, and the flag lets a query prefer the parent's declared licence.
* **Raw ids are kept.** Every classification comment is kept as written as
  ``mlkg:tag "key:value"`` (``dataset:imagenet-ilsvrc-2012-cls``, ``module-type:text-embedding``),
  the Hugging Face tag convention, so what the page said survives normalisation. Tasks,
  datasets and architectures are then normalised with the vocabulary; an id it does not know is
  minted (``task/{slug}``, ``dataset/tfhub/{slug}``, ``architecture/{slug}``) with a stub
  carrying the raw id as ``skos:notation``. ``other`` and ``multiple`` (TF Hub's "unspecified"
  dataset/architecture ids) are kept as tags but not linked: they name no dataset.
* **Collections** list their models as tfhub.dev links anywhere on the page (tables, lists, and
  hidden ``<!-- (https://tfhub.dev/...) -->`` lines). A versioned link is a member
  (``dcterms:hasPart`` / ``mlkg:inCollection``, Model stub); a version-less one names "the
  latest version", which only the whole catalogue knows, so it is kept as ``dcterms:references``
  to the tfhub.dev URL.

Bad input never raises: an unreadable page (binary, no handle line, invalid handle, unknown
document type) comes back with ``error`` set; anything else odd becomes a warning.
"""

from __future__ import annotations

import codecs
import html
import logging
import os
import re
import unicodedata
from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from pyoxigraph import NamedNode

from crawlers import Source
from crawlers._repository import is_url, open_repository
from crawlers._stat_cache import StatCache, code_fingerprint, read_head
from mlkg.errors import InvalidIdError, SourceNotFoundError
from mlkg.iris import Iris, check_id, slug
from mlkg.namespaces import DCTERMS, MLKG, PROV, RDF, RDFS, SCHEMA, SKOS, SPDX
from mlkg.rdf import boolean, integer, text, url
from mlkg.records import MappedRecord, RawRecord
from mlkg.vocabulary import Vocabulary, load_vocabulary

logger = logging.getLogger(__name__)

NAME = "tfhub"
HUB = "tfhub"
VERSION = "1.0"
DEFAULT_LOCATION = "https://codeload.github.com/tensorflow/tfhub.dev/tar.gz/refs/heads/master"
DOCS_FOLDER = ("assets", "docs")
TFHUB = "https://tfhub.dev/"

#: Most bytes read from one page (real pages are under 15 kB); longer ones are cut and flagged.
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
#: The re-crawl cache of a checkout's pages, in the crawl's ``cache_dir``. A change to
#: :func:`decode_document` starts it afresh; bump :data:`CACHE_FORMAT` for other changes to
#: what is cached.
CACHE_FILE = "local-pages.sqlite3"
CACHE_FORMAT = 1
MAX_DESCRIPTION = 2000
MAX_METADATA_LINE = 10_000
MAX_WALK_DEPTH = 32

#: Document type → the tfhub.dev URL segment of its variants (None: the handle is the URL path).
MODEL_KINDS: dict[str, str | None] = {
    "Module": None,
    "Placeholder": None,
    "Lite": "lite-model",
    "Tfjs": "tfjs-model",
    "Coral": "coral-model",
}
VARIANT_FORMATS = {"Lite": "tflite", "Tfjs": "tfjs", "Coral": "coral"}
KINDS = (*MODEL_KINDS, "Collection", "Publisher")

SINGLE_KEYS = frozenset({"asset-path", "format", "fine-tunable", "license"})
#: Classification comments, kept as written as ``mlkg:tag "key:value"``; all may repeat.
TAG_KEYS = (
    "task",
    "module-type",
    "dataset",
    "network-architecture",
    "language",
    "interactive-visualizer",
    "interactive-model-name",
)
REPEATABLE_KEYS = frozenset((*TAG_KEYS, "parent-model", "colab", "demo"))
TASK_KEYS = ("task", "module-type")
#: TF Hub's ids for "unspecified": kept as tags, never linked as a dataset or an architecture.
UNSPECIFIED = frozenset({"other", "multiple"})
#: TF Hub's licence ids (tags/license.yaml) → SPDX ids, used when the vocabulary lacks them.
SPDX_IDS = {
    name.lower(): name
    for name in (
        "Apache-2.0",
        "BSD-2-Clause",
        "BSD-3-Clause",
        "GPL-2.0",
        "GPL-3.0",
        "LGPL-2.0",
        "LGPL-2.1",
        "LGPL-3.0",
        "MIT",
        "MPL-2.0",
        "CDDL-1.0",
        "EPL-2.0",
        "CC-BY-NC-4.0",
        "CC-BY-SA-4.0",
    )
}
DEFAULT_LICENCE = "Apache-2.0"

_HEADER = re.compile(r"#[ \t]*(?P<kind>[A-Za-z]+)[ \t]+(?P<handle>\S.*?)[ \t\r]*")
_METADATA = re.compile(r"^<!--(?P<key>(\w|\s|-)+):(?P<value>.+)-->$")
_VERSION = re.compile(r"[0-9]+")
_TFHUB_LINK = re.compile(r"https?://(?:www\.)?tfhub\.dev/([^\s()\[\]<>\"'`|#?]+)")
_ICON = re.compile(r"\[!\[[^\]]*\]\]\((?P<url>[^)\s]+)\)")
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})*")


# -- crawl -----------------------------------------------------------------------------------


def crawl(
    location: str, *, cache_dir: Path, skip: Container[str] = (), limit: int | None = None
) -> Iterator[RawRecord]:
    """Yield one raw record per ``assets/docs/**.md`` page, in sorted id order, lazily.

    ``location`` is a checkout folder, a ``.tar.gz``/``.zip`` archive or an archive URL (see
    :func:`crawlers._repository.open_repository`: cached by ETag, re-checked with
    If-None-Match). ``skip`` holds ids an interrupted run already wrote; ``limit`` stops reading
    once that many records were yielded. Pages that cannot be read as text are still yielded,
    flagged in ``data`` (``binary``, ``truncated``, ``invalid_utf8``, ``unreadable``), so the
    mapper quarantines or warns about them instead of the crawl stopping. A re-crawl reads only
    the pages whose ``stat`` changed: what each page gave is kept in
    ``cache_dir/local-pages.sqlite3`` (:mod:`crawlers._stat_cache`).
    """
    if limit is not None and limit <= 0:
        return
    records = _records(location, cache_dir=cache_dir, skip=skip)
    yield from records if limit is None else islice(records, limit)


def _records(location: str, *, cache_dir: Path, skip: Container[str]) -> Iterator[RawRecord]:
    root = open_repository(location, cache_dir=cache_dir, source=NAME)
    docs = root.joinpath(*DOCS_FOLDER)
    if not docs.is_dir():
        raise SourceNotFoundError(str(docs), source=NAME)
    in_place = not is_url(location) and Path(location).expanduser().is_dir()
    paths = sorted((path.relative_to(docs).as_posix(), path) for path in walk_markdown(docs))
    derived = code_fingerprint(decode_document)
    namespace = f"tfhub-local/{CACHE_FORMAT}/{VERSION}/{MAX_DOCUMENT_BYTES}/{derived}"
    with StatCache(cache_dir / CACHE_FILE, root=str(docs.resolve()), namespace=namespace) as cache:
        cache.retain(record_id for record_id, _ in paths)
        for record_id, path in paths:
            if record_id in skip:
                continue
            where = str(path) if in_place else f"{location}#{'/'.join(DOCS_FOLDER)}/{record_id}"
            data = read_document(path, record_id, cache)
            yield RawRecord(NAME, record_id, data, where, _now())


def walk_markdown(folder: Path, depth: int = 0) -> Iterator[Path]:
    """Every ``*.md`` file below ``folder``; symbolic links are not followed, depth is bounded."""
    if depth > MAX_WALK_DEPTH:
        logger.warning("%s: deeper than %d folders; not walked", folder, MAX_WALK_DEPTH)
        return
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as exc:
        logger.warning("%s: cannot list folder (%s); skipped", folder, exc)
        return
    for entry in entries:
        if entry.is_symlink():
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from walk_markdown(Path(entry.path), depth + 1)
        elif entry.name.endswith(".md") and entry.is_file(follow_symlinks=False):
            yield Path(entry.path)


def read_document(path: Path, record_id: str, cache: StatCache | None = None) -> dict[str, Any]:
    """``{"path", "text"}`` of one page, plus flags when it is not plain UTF-8 text.

    With ``cache``, a page whose ``stat`` is unchanged since it was last read is not read again
    (:mod:`crawlers._stat_cache`); what it gives is the same."""
    data: dict[str, Any] = {"path": "/".join((*DOCS_FOLDER, record_id))}
    if cache is not None:
        try:
            stat = os.lstat(path)
        except OSError:
            stat = None
        cached = cache.get(record_id, stat)
        if isinstance(cached, dict) and "text" in cached and "path" not in cached:
            return {**data, **cached}
    try:
        content, stat = read_head(path, MAX_DOCUMENT_BYTES + 1)
    except OSError as exc:
        return {**data, "text": None, "unreadable": f"{exc.__class__.__name__}: {exc.strerror}"}
    decoded = decode_document(content, max(stat.st_size, len(content)))
    if cache is not None:
        cache.put(record_id, stat, decoded)
    return {**data, **decoded}


def decode_document(content: bytes, size: int) -> dict[str, Any]:
    """Decode at most :data:`MAX_DOCUMENT_BYTES` of UTF-8; flag NUL bytes and bad encodings.

    >>> decode_document(b"# Module a/b/1", 14)
    {'text': '# Module a/b/1'}
    >>> decode_document(b"\\x89PNG\\x00\\x00", 6)["binary"]
    True
    """
    flags: dict[str, Any] = {}
    truncated = len(content) > MAX_DOCUMENT_BYTES
    content = content[:MAX_DOCUMENT_BYTES]
    if truncated:
        flags.update(truncated=True, size=size)
    if b"\x00" in content:
        return {"text": None, "binary": True, "size": size, "reason": "NUL bytes"}
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    decoded = decoder.decode(content, final=not truncated)
    invalid = decoded.count("\ufffd") - content.count("\ufffd".encode())
    if invalid > max(16, len(decoded) // 20):
        return {"text": None, "binary": True, "size": size, "reason": "not UTF-8 text"}
    if invalid:
        flags["invalid_utf8"] = invalid
    return {"text": decoded, **flags}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# -- parse -----------------------------------------------------------------------------------


class Unmappable(ValueError):
    """A page that cannot be mapped at all; its message becomes the record's ``error``."""


@dataclass(frozen=True)
class Document:
    """One parsed page: its type, its handle, its metadata in order, and the lines after line 1."""

    kind: str
    handle: str
    metadata: tuple[tuple[str, str], ...]
    lines: tuple[str, ...]

    def values(self, key: str) -> list[str]:
        """The values of ``key`` in page order, duplicates removed."""
        return list(dict.fromkeys(value for name, value in self.metadata if name == key))

    def value(self, key: str) -> str | None:
        values = self.values(key)
        return values[0] if values else None


def document_text(data: Any, warn: Callable[[str], None]) -> str:
    """The page text from raw ``data``; :class:`Unmappable` when there is none to read."""
    if not isinstance(data, dict):
        raise Unmappable(f"raw data is a {type(data).__name__}, not an object with 'text'")
    if data.get("binary"):
        reason = data.get("reason") or "binary content"
        raise Unmappable(f"binary file ({reason}, {data.get('size', '?')} bytes): not markdown")
    content = data.get("text")
    if not isinstance(content, str):
        raise Unmappable(
            f"no text to map ({data.get('unreadable') or 'the text field is missing'})"
        )
    if "\x00" in content:
        raise Unmappable("binary content (NUL characters): not markdown")
    if data.get("truncated"):
        warn(
            f"document is {data.get('size', '?')} bytes, over the {MAX_DOCUMENT_BYTES}-byte cap: "
            "only its beginning was read"
        )
    if data.get("invalid_utf8"):
        warn(f"{data['invalid_utf8']} invalid UTF-8 sequence(s) replaced by U+FFFD")
    if len(content) > MAX_DOCUMENT_BYTES:
        warn(
            f"document is {len(content)} characters, over the {MAX_DOCUMENT_BYTES} cap: "
            "only its beginning was read"
        )
        content = content[:MAX_DOCUMENT_BYTES]
    return content.removeprefix("\ufeff")


def parse_document(content: str, warn: Callable[[str], None]) -> Document:
    """Split a page into its handle line, metadata comments and body.

    >>> doc = parse_document("# Module google/albert_base/3\\n<!-- task: text-embedding -->", print)
    >>> doc.kind, doc.handle, doc.metadata
    ('Module', 'google/albert_base/3', (('task', 'text-embedding'),))
    """
    lines = content.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise Unmappable("empty document: no '# <Type> <handle>' line")
    if first:
        warn(f"{first} blank line(s) before the handle line")
    kind, handle = parse_header(lines[first], warn)
    body = tuple(line.rstrip("\r") for line in lines[first + 1 :])
    return Document(kind, handle, parse_metadata(body, warn), body)


def parse_header(line: str, warn: Callable[[str], None]) -> tuple[str, str]:
    """``# Module google/albert_base/3`` → ``("Module", "google/albert_base/3")``.

    HTML entities in the handle are decoded and invisible characters (``&zwnj;``, used on
    tfhub.dev to stop auto-linking) removed, with a warning.
    """
    match = _HEADER.fullmatch(line)
    if match is None:
        raise Unmappable(
            "line 1 is not a TF Hub handle line ('# <Type> <publisher>/<name>/<version>'): "
            f"{line[:100]!r}"
        )
    kind = _known_kind(match["kind"], warn)
    return kind, clean_handle(match["handle"], warn)


def _known_kind(written: str, warn: Callable[[str], None]) -> str:
    if written in KINDS:
        return written
    for kind in KINDS:
        if kind.lower() == written.lower():
            warn(f"document type {written!r} read as {kind!r}")
            return kind
    raise Unmappable(
        f"unknown document type {written[:40]!r} on line 1 (expected one of {', '.join(KINDS)})"
    )


def clean_handle(written: str, warn: Callable[[str], None]) -> str:
    """Decode entities, drop invisible format characters, and check the handle is a valid id.

    >>> clean_handle("vtab/&zwnj;jigsaw/1", lambda message: None)
    'vtab/jigsaw/1'
    """
    decoded = html.unescape(written)
    invisible = sorted({f"U+{ord(c):04X}" for c in decoded if unicodedata.category(c) == "Cf"})
    if invisible:
        decoded = "".join(c for c in decoded if unicodedata.category(c) != "Cf")
        warn(f"handle {written[:100]!r}: removed invisible character(s) {', '.join(invisible)}")
    try:
        handle = check_id(decoded)
    except InvalidIdError as exc:
        raise Unmappable(f"invalid handle on line 1: {exc}") from None
    if any(c.isspace() for c in handle):
        raise Unmappable(f"invalid handle on line 1: contains whitespace: {handle[:100]!r}")
    return handle


def parse_metadata(
    lines: tuple[str, ...], warn: Callable[[str], None]
) -> tuple[tuple[str, str], ...]:
    """The ``<!-- key: value -->`` lines as (key, value), stripped, in order.

    ``<!--- TODO ... --->`` comments are not metadata; unknown keys are reported and dropped;
    a single-valued key given twice keeps its first value.
    """
    pairs: list[tuple[str, str]] = []
    for line in lines:
        if not line.startswith("<!--") or len(line) > MAX_METADATA_LINE:
            continue
        match = _METADATA.match(line)
        if match is None or match["key"].startswith("-"):
            continue
        key, value = match["key"].strip().lower(), match["value"].strip()
        if key.startswith("todo"):
            continue
        if key not in SINGLE_KEYS and key not in REPEATABLE_KEYS:
            warn(f"unknown metadata key {key[:60]!r} ignored")
        elif not value:
            warn(f"metadata {key!r} has an empty value; ignored")
        elif key in SINGLE_KEYS and any(name == key for name, _ in pairs):
            warn(f"metadata {key!r} given more than once; the first value is used")
        else:
            pairs.append((key, value))
    return tuple(pairs)


def paragraphs(lines: tuple[str, ...]) -> Iterator[str]:
    """Prose paragraphs, whitespace collapsed; headings, comments, code, tables, images skipped."""
    current: list[str] = []
    in_comment = in_code = False
    for line in lines:
        stripped = line.strip()
        if in_comment or in_code:
            in_comment = in_comment and "-->" not in stripped
            in_code = in_code and not stripped.startswith("```")
            continue
        skip = (
            not stripped
            or stripped.startswith(("<!--", "#", "```", "|"))
            or _ICON.fullmatch(stripped) is not None
        )
        if skip:
            in_comment = stripped.startswith("<!--") and "-->" not in stripped
            in_code = stripped.startswith("```")
            if current:
                yield " ".join(" ".join(current).split())
                current = []
            continue
        current.append(stripped)
    if current:
        yield " ".join(" ".join(current).split())


# -- ids -------------------------------------------------------------------------------------


def model_zoo_id(kind: str, handle: str) -> str:
    """The model's id: its tfhub.dev URL path (variants carry ``lite-model`` etc.).

    >>> model_zoo_id("Lite", "google/yamnet/classification/tflite/1")
    'google/lite-model/yamnet/classification/tflite/1'
    >>> model_zoo_id("Module", "google/albert_base/3")
    'google/albert_base/3'
    """
    publisher, _, rest = handle.partition("/")
    if not rest:
        raise Unmappable(f"a {kind} handle needs <publisher>/<name>/<version>: {handle!r}")
    segment = MODEL_KINDS[kind]
    return f"{publisher}/{segment}/{rest}" if segment else handle


def split_version(zoo_id: str) -> tuple[str, int | None]:
    """``google/albert_base/3`` → ``("google/albert_base", 3)``; no number → ``(zoo_id, None)``."""
    name, _, last = zoo_id.rpartition("/")
    if name and _VERSION.fullmatch(last):
        return name, int(last)
    return zoo_id, None


def collection_members(lines: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The model ids a Collection page links to, and its version-less model links (URLs).

    Links to publishers, collections, search and placeholder ``...`` pages are not models.
    """
    members: dict[str, None] = {}
    unversioned: dict[str, None] = {}
    for line in lines:
        for match in _TFHUB_LINK.finditer(line):
            path = match[1].rstrip("/.,;:")
            segments = path.split("/")
            if len(segments) < 2 or segments[1] == "collections" or "..." in path:
                continue
            if split_version(path)[1] is None:
                unversioned[TFHUB + path] = None
            else:
                members[path] = None
    return list(members), list(unversioned)


def language_tag(value: str) -> str | None:
    """A BCP 47 tag from TF Hub's language id (``zh-cn`` → ``zh-CN``, ``multilingual`` → ``mul``).

    >>> language_tag("zh-cn"), language_tag("multilingual"), language_tag("English!")
    ('zh-CN', 'mul', None)
    """
    lowered = value.strip().lower()
    if lowered == "multilingual":
        return "mul"
    if not _LANGUAGE.fullmatch(lowered):
        return None
    primary, *subtags = lowered.split("-")
    return "-".join([primary, *(s.upper() if len(s) == 2 else s for s in subtags)])


def asset_link(value: str) -> NamedNode | None:
    """A download URL from ``asset-path``: http(s) as is, ``gs://`` through its HTTPS mirror."""
    if value.startswith("gs://"):
        return url("https://storage.googleapis.com/" + value.removeprefix("gs://"))
    return url(value)


# -- map -------------------------------------------------------------------------------------


@dataclass
class _Context:
    """What every mapping helper needs: the record being built, IRIs, vocabulary, the hub."""

    out: MappedRecord
    iris: Iris
    vocab: Vocabulary
    hub: NamedNode


def map_record(record: RawRecord, iris: Iris) -> MappedRecord:
    """Map one page to its named graph's triples. Pure and total: never raises for bad input.

    A page that cannot be read (binary, no or broken handle line, unknown document type) comes
    back with ``error`` set and no triples; odd values become ``warnings``.
    """
    out = MappedRecord(NAME, record.id, iris.record_graph_or_hashed(NAME, record.id))
    try:
        check_id(record.id)
        doc = parse_document(document_text(record.data, out.warn), out.warn)
        _check_file_name(record.id, doc, out.warn)
        vocab = load_vocabulary()
        context = _Context(out, iris, vocab, vocab.find("hubs", HUB, iris) or iris.hub(HUB))
        _MAPPERS[doc.kind](doc, context)
    except (Unmappable, InvalidIdError) as exc:
        out.error = f"{record.id}: {exc}"
        out.triples.clear()
        out.subject = None
        out.topics = []
    return out


def _check_file_name(record_id: str, doc: Document, warn: Callable[[str], None]) -> None:
    stem = record_id.rsplit("/", 1)[-1].removesuffix(".md")
    version = split_version(doc.handle)[1]
    if doc.kind != "Publisher" and version is not None and stem.isdigit() and int(stem) != version:
        warn(f"file name says version {stem}, the handle says {version}; the handle is used")


def map_model(doc: Document, c: _Context) -> None:
    """A Module, Placeholder, Lite, Tfjs or Coral page: one ``mlkg:Model``."""
    zoo_id = model_zoo_id(doc.kind, doc.handle)
    model = c.iris.model(HUB, zoo_id)
    c.out.subject = model
    c.out.topics = [model]
    _identity(doc, c, model, MLKG.Model, zoo_id, TFHUB + zoo_id)
    _version(doc, c, model, zoo_id)
    _lineage(doc, c, model)
    _deployment(doc, c, model)
    tasks, datasets, architectures = _classification(doc, c, model)
    c.out.add_all(model, MLKG.task, tasks)
    c.out.add_all(model, MLKG.architecture, architectures)
    _training(c, model, zoo_id, datasets)
    _licence(doc, c, model)
    for key in ("colab", "demo"):
        for link in doc.values(key):
            _see_also(c, model, key, link)


def map_collection(doc: Document, c: _Context) -> None:
    """A Collection page: a ``mlkg:ModelCollection`` with its member models."""
    publisher, _, rest = doc.handle.partition("/")
    if not rest:
        raise Unmappable(f"a Collection handle needs <publisher>/<name>/<version>: {doc.handle!r}")
    node = c.iris.collection(HUB, doc.handle)
    c.out.subject = node
    c.out.topics = [node]
    page = f"{TFHUB}{publisher}/collections/{rest}"
    _identity(doc, c, node, MLKG.ModelCollection, doc.handle, page)
    tasks, datasets, architectures = _classification(doc, c, node)
    c.out.add_all(node, DCTERMS.subject, [*tasks, *datasets, *architectures])
    members, unversioned = collection_members(doc.lines)
    for member_id in members:
        member = _model_stub(c, member_id)
        if member is not None:
            c.out.add(node, DCTERMS.hasPart, member)
            c.out.add(member, MLKG.inCollection, node)
    c.out.add_all(node, DCTERMS.references, (url(link) for link in unversioned))
    if not members and not unversioned:
        c.out.warn("the collection links to no tfhub.dev model")


def map_publisher(doc: Document, c: _Context) -> None:
    """A Publisher page: its display name (line 2), description and icon."""
    if "/" in doc.handle:
        c.out.warn(f"a Publisher handle is one segment; {doc.handle!r} used as is")
    node = c.iris.publisher(HUB, doc.handle)
    c.out.subject = node
    c.out.topics = [node]
    prose = paragraphs(doc.lines)
    name, description = next(prose, None), next(prose, None)
    c.out.add(node, RDF.type, MLKG.Publisher)
    c.out.add(node, DCTERMS.identifier, text(doc.handle))
    c.out.add(node, RDFS.label, text(name, max_length=200) or text(doc.handle))
    c.out.add(node, DCTERMS.description, _description(description, c.out.warn))
    c.out.add(node, MLKG.entryType, text(doc.kind))
    c.out.add(node, MLKG.hub, c.hub)
    c.out.add(node, SCHEMA.url, url(TFHUB + doc.handle))
    icon = next((m["url"] for line in doc.lines for m in _ICON.finditer(line)), None)
    c.out.add(node, SCHEMA.logo, url(icon))


_MAPPERS: dict[str, Callable[[Document, _Context], None]] = {
    **dict.fromkeys(MODEL_KINDS, map_model),
    "Collection": map_collection,
    "Publisher": map_publisher,
}


def _identity(
    doc: Document, c: _Context, node: NamedNode, kind: NamedNode, zoo_id: str, page: str
) -> None:
    c.out.add(node, RDF.type, kind)
    c.out.add(node, DCTERMS.identifier, text(zoo_id))
    c.out.add(node, RDFS.label, text(zoo_id))
    c.out.add(node, MLKG.entryType, text(doc.kind))
    c.out.add(node, MLKG.hub, c.hub)
    link = url(page)
    if link is None:
        c.out.warn(f"no valid tfhub.dev URL can be built for {zoo_id!r}")
    c.out.add(node, SCHEMA.url, link)
    c.out.add(
        node, DCTERMS.description, _description(next(paragraphs(doc.lines), None), c.out.warn)
    )
    c.out.add(node, DCTERMS.publisher, _publisher_stub(c, zoo_id.split("/", 1)[0]))
    for key in TAG_KEYS:
        c.out.add_all(node, MLKG.tag, (text(f"{key}:{value}") for value in doc.values(key)))


def _description(paragraph: str | None, warn: Callable[[str], None]):
    if paragraph and len(paragraph) > MAX_DESCRIPTION:
        warn(f"description cut to {MAX_DESCRIPTION} of {len(paragraph)} characters")
        paragraph = paragraph[: MAX_DESCRIPTION - 1] + "…"
    return text(paragraph)


def _version(doc: Document, c: _Context, model: NamedNode, zoo_id: str) -> None:
    name, version = split_version(zoo_id)
    if version is None:
        c.out.warn(f"{doc.kind} handle {doc.handle!r} does not end in a version number")
        return
    c.out.add(model, MLKG.version, integer(version))
    c.out.add(model, MLKG.modelName, text(name))


def _lineage(doc: Document, c: _Context, model: NamedNode) -> None:
    parents = doc.values("parent-model")
    variant = doc.kind in VARIANT_FORMATS
    if variant and not parents:
        c.out.warn(f"{doc.kind} page has no parent-model: nothing to inherit task or data from")
    if len(parents) > 1:
        c.out.warn(f"{len(parents)} parent-model values; each is linked")
    if parents and not variant:
        c.out.warn(f"parent-model on a {doc.kind} page; recorded as mlkg:derivedFrom")
    for written in parents:
        parent_id = written.removeprefix(TFHUB).removeprefix("http://tfhub.dev/")
        if split_version(parent_id)[1] is None:
            c.out.warn(f"parent-model {written!r} has no version number; linked as written")
        parent = _model_stub(c, parent_id)
        c.out.add(model, MLKG.convertedFrom if variant else MLKG.derivedFrom, parent)


def _deployment(doc: Document, c: _Context, model: NamedNode) -> None:
    written = doc.value("format")
    if written is None and doc.kind == "Module":
        c.out.warn("Module page has no format")
    c.out.add(model, MLKG["format"], text(written or VARIANT_FORMATS.get(doc.kind)))
    asset = doc.value("asset-path")
    if asset is not None and asset not in {"legacy", "internal"}:
        link = asset_link(asset)
        if link is None:
            c.out.warn(f"asset-path {asset[:100]!r} is not a downloadable URL; not recorded")
        c.out.add(model, SCHEMA.downloadUrl, link)
    tunable = doc.value("fine-tunable")
    if tunable is not None:
        flag = boolean(tunable)
        if flag is None:
            c.out.warn(f"fine-tunable {tunable[:40]!r} is neither true nor false; ignored")
        c.out.add(model, MLKG.fineTunable, flag)


def _classification(
    doc: Document, c: _Context, node: NamedNode
) -> tuple[list[NamedNode], list[NamedNode], list[NamedNode]]:
    """Tasks, datasets and architectures as concepts; languages as BCP 47 strings on ``node``."""
    tasks = [_concept(c, "tasks", v) for key in TASK_KEYS for v in doc.values(key)]
    datasets = [_concept(c, "datasets", v) for v in doc.values("dataset")]
    architectures = [_concept(c, "architectures", v) for v in doc.values("network-architecture")]
    for written in doc.values("language"):
        tag = language_tag(written)
        if tag is None:
            c.out.warn(f"language {written[:40]!r} is not a BCP 47 code; kept only as a tag")
        c.out.add(node, MLKG.language, text(tag))
    return (
        list(dict.fromkeys(t for t in tasks if t)),
        list(dict.fromkeys(d for d in datasets if d)),
        list(dict.fromkeys(a for a in architectures if a)),
    )


_CONCEPT_CLASSES = {
    "tasks": MLKG.Task,
    "datasets": MLKG.Dataset,
    "architectures": MLKG.Architecture,
}


def _concept(c: _Context, scheme: str, written: str) -> NamedNode | None:
    """The vocabulary concept TF Hub's id names, or a minted one with a stub keeping the id."""
    try:
        value = check_id(written)
    except InvalidIdError as exc:
        c.out.warn(f"{scheme[:-1]} id {written[:60]!r} dropped: {exc}")
        return None
    if scheme != "tasks" and value.lower() in UNSPECIFIED:
        return None
    found = c.vocab.find(scheme, value, c.iris)
    if found is not None:
        return found
    if scheme == "tasks":
        node = c.iris.task(value)
    elif scheme == "datasets":
        node = c.iris.dataset(slug(value), hub=HUB)
        c.out.add(node, MLKG.hub, c.hub)
    else:
        node = c.iris.architecture(value)
    c.out.add(node, RDF.type, _CONCEPT_CLASSES[scheme])
    c.out.add(node, RDFS.label, text(value))
    c.out.add(node, SKOS.notation, text(value))
    return node


def _training(c: _Context, model: NamedNode, zoo_id: str, datasets: list[NamedNode]) -> None:
    if not datasets:
        return
    run = c.iris.training_run(model)
    c.out.topics.append(run)
    c.out.add(model, PROV.wasGeneratedBy, run)
    c.out.add(run, RDF.type, MLKG.TrainingRun)
    c.out.add(run, RDFS.label, text(f"training of {zoo_id}"))
    for dataset in datasets:
        c.out.add(model, MLKG.trainedOn, dataset)
        c.out.add(run, PROV.used, dataset)


def _licence(doc: Document, c: _Context, model: NamedNode) -> None:
    written = doc.value("license")
    if written is None:
        default = c.vocab.find("licenses", DEFAULT_LICENCE, c.iris) or SPDX[DEFAULT_LICENCE]
        c.out.add(model, DCTERMS.license, default)
        c.out.add(model, MLKG.licenseDefaulted, boolean(True))
        return
    c.out.add(model, MLKG.licenseName, text(written))
    found = c.vocab.find("licenses", written, c.iris)
    if found is None and written.lower() in SPDX_IDS:
        found = SPDX[SPDX_IDS[written.lower()]]
    if found is None:
        if written.lower() != "custom":
            c.out.warn(f"licence {written[:60]!r} is not a TF Hub licence id; recorded as custom")
        found = c.iris.license(written)
        c.out.add(found, RDF.type, MLKG.CustomLicense)
        c.out.add(found, RDFS.label, text(written))
    c.out.add(model, DCTERMS.license, found)


def _see_also(c: _Context, node: NamedNode, key: str, written: str) -> None:
    link = url(written)
    if link is None:
        c.out.warn(f"{key} link {written[:100]!r} is not an http(s) URL; dropped")
    elif key == "colab" and "colab.research.google.com" not in written:
        c.out.warn(f"colab link {written[:100]!r} is not on colab.research.google.com")
    c.out.add(node, RDFS.seeAlso, link)


def _model_stub(c: _Context, zoo_id: str) -> NamedNode | None:
    """A Model described by another record, as a :func:`_stub`; ``None`` for a bad id."""
    try:
        node = c.iris.model(HUB, zoo_id)
    except InvalidIdError as exc:
        c.out.warn(f"model link {zoo_id[:100]!r} dropped: {exc}")
        return None
    return _stub(c, node, MLKG.Model, zoo_id)


def _publisher_stub(c: _Context, publisher_id: str) -> NamedNode:
    return _stub(c, c.iris.publisher(HUB, publisher_id), MLKG.Publisher, publisher_id)


def _stub(c: _Context, node: NamedNode, kind: NamedNode, zoo_id: str) -> NamedNode:
    """What the shapes need of a resource another record describes: type, id, label, hub."""
    c.out.add(node, RDF.type, kind)
    c.out.add(node, DCTERMS.identifier, text(zoo_id))
    c.out.add(node, RDFS.label, text(zoo_id))
    c.out.add(node, MLKG.hub, c.hub)
    return node


SOURCE = Source(
    name=NAME,
    hub=HUB,
    version=VERSION,
    default_location=DEFAULT_LOCATION,
    description=(
        "TensorFlow Hub (tfhub.dev, archived into Kaggle Models): the markdown catalogue of "
        "github.com/tensorflow/tfhub.dev — modules, TFLite/TF.js/Coral variants, placeholders, "
        "collections and publishers"
    ),
    crawl=crawl,
    map_record=map_record,
)
