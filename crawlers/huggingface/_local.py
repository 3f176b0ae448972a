"""The offline Hugging Face crawl: a local folder of API responses and/or cards.

``mlkg build huggingface --from FOLDER`` reads these layouts, mixed freely, anywhere below FOLDER
(a folder named ``datasets`` makes what is below it datasets; folders named ``spaces`` and hidden
folders other than ``.eval_results`` are not read; symbolic links are not followed):

* **Repository folders**: ``<org>/<name>/README.md``, with optional ``config.json`` and
  ``.eval_results/*.yaml`` beside it (``<name>/README.md`` for a legacy id without namespace).
  The id is the folder's path; below more than two folders, its last two (the leading ones are
  grouping, e.g. ``models/<org>/<name>/``). Datasets: ``datasets/<org>/<name>/README.md``.
* **API responses**: any other ``*.json`` holding a JSON object with an ``id`` (or the legacy
  ``modelId``) field names its repository by that field, wherever it is and whatever the file
  is called (``api-responses/**/models/*.json``); an object without either, saved as
  ``<org>/<name>.json``, is named by its path. Other JSON files (indexes, lists) are ignored.
  Several responses for one repository are merged key by key, newest ``lastModified`` last, so
  the newest full response wins and an ``expand``-only response adds its fields.
* **Flat cards**: ``<org>_<name>_README.md`` (the cs577 card corpus, in any folder). Hub
  namespaces cannot contain ``_``, so the *first* ``_`` separates namespace and name and any
  later ``_`` belongs to the name: ``lewtun_superb-s3prl-osanseviero__hubert_base_README.md`` is
  ``lewtun/superb-s3prl-osanseviero__hubert_base``; a stem without ``_`` is a legacy id
  (``albert-large-v2_README.md`` is ``albert-large-v2``).

Everything found for one (kind, id) — a card, a config, eval results, API responses — becomes
ONE record; a folder's ``README.md`` wins over a flat card for the same id. Records come in
record-id order. Cards that are binary, over 5 MB or not valid UTF-8 are still yielded, with
``flags``; an id that is not a valid Hub id is yielded with status ``error``.

Re-crawls read only what changed: with a ``cache_dir``, what each card, config, eval-results file
and API response gave is kept in ``cache_dir/local-folder.sqlite3``
(:mod:`crawlers._stat_cache`) and served while the file's size, mtime, ctime and inode are
unchanged, so an unchanged repository costs a ``stat`` of its files, not a read. The records are
the same as a fresh read gives.
"""

from __future__ import annotations

import json
import logging
import os
import zlib
from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from crawlers._stat_cache import FileStat, StatCache, code_fingerprint, read_head
from crawlers.huggingface._records import (
    KINDS,
    MAX_FILE_BYTES,
    decode_text,
    is_eval_results_path,
    new_data,
    new_record,
    parse_config,
    record_id,
    repo_id_problem,
)
from crawlers.huggingface.fetch import CrawlOptions
from crawlers.huggingface.mapping import CRAWLER_VERSION
from mlkg.records import RawRecord

logger = logging.getLogger(__name__)

MAX_WALK_DEPTH = 16
FLAT_CARD_SUFFIX = "_README.md"
EVAL_FOLDER = ".eval_results"

#: The re-crawl cache, in the crawl's ``cache_dir``.
CACHE_FILE = "local-folder.sqlite3"
#: Bumped when what is cached per file changes in a way the bytecode of the decoding functions
#: does not show (e.g. a helper they call): old entries are then dropped, not served.
CACHE_FORMAT = 1


# The walk keeps what it found of every repository until it yields the records in id order, so
# what follows is the crawl's memory per record (about 2 KB on a generated zoo, where keeping the
# parsed API responses made it 6.5 KB): paths are kept once, below the shared crawled folder; a
# stat as the four numbers the cache compares; an API response as its JSON text, compressed,
# parsed again when its record is made (the parsed object is about nine times that size).


def _path(root: str, rel: str) -> str:
    """The path of the file ``rel`` below ``root``, as the walk's ``DirEntry.path`` spells it."""
    return os.path.join(root, *rel.split("/"))


@dataclass(slots=True)
class _File:
    """A file the walk found: the crawled folder, its path below it (the cache key) and what
    the cache compares of its ``lstat`` (``None`` when that failed; such a file is always
    read)."""

    root: str
    rel: str
    stat: FileStat | None

    @property
    def path(self) -> str:
        return _path(self.root, self.rel)


@dataclass(slots=True)
class _Repo:
    """The files found for one repository (``rid``: its record id). ``infos`` holds its API
    responses as (lastModified, path below ``root``, compressed JSON text)."""

    root: str
    kind: str
    rid: str
    card: _File | None = None
    card_in_folder: bool = False
    config: _File | None = None
    evals: dict[str, _File] = field(default_factory=dict)
    infos: list[tuple[str, str, bytes]] = field(default_factory=list)

    @property
    def repo_id(self) -> str:
        return self.rid[len(KINDS[self.kind]) + 1 :]

    def responses(self) -> list[tuple[str, str, bytes]]:
        """(lastModified, path, compressed JSON) of the API responses, oldest first."""
        found = [(modified, _path(self.root, rel), blob) for modified, rel, blob in self.infos]
        return sorted(found, key=lambda item: (item[0], item[1]))

    @property
    def location(self) -> str:
        if self.card is not None:
            return self.card.path
        if self.infos:
            return self.responses()[-1][1]
        return (self.config or next(iter(self.evals.values()))).path


def read_folder(
    folder: Path,
    options: CrawlOptions,
    *,
    skip: Container[str] = (),
    limit: int | None = None,
    cache_dir: Path | None = None,
) -> Iterator[RawRecord]:
    """Yield one raw record per repository found below ``folder``, in record-id order.

    With ``cache_dir``, files whose ``stat`` is unchanged since the last crawl are not read
    again (see the module docstring)."""
    cache_path = None if cache_dir is None else Path(cache_dir) / CACHE_FILE
    derived = code_fingerprint(decode_text, parse_config, _parse_response)
    namespace = f"huggingface-local/{CACHE_FORMAT}/{CRAWLER_VERSION}/{MAX_FILE_BYTES}/{derived}"
    with StatCache(cache_path, root=str(folder.resolve()), namespace=namespace) as cache:
        repos = scan(folder, cache)
        chosen = (
            repo
            for rid, repo in sorted(repos.items())
            if rid not in skip and _wanted(repo, options)
        )
        # Locations are written as pathlib writes them: "./x" for the folder "." is "x".
        tidy = str if str(folder) != "." else (lambda location: str(Path(location)))
        for repo in chosen if limit is None else islice(chosen, limit):
            yield new_record(_data(repo, cache), tidy(repo.location))
        logger.debug("%s: %d files from the crawl cache, %d read", folder, cache.hits, cache.misses)


def scan(folder: Path, cache: StatCache | None = None) -> dict[str, _Repo]:
    """Every repository below ``folder`` by record id, with its files (cards are not read yet;
    JSON responses are, since their content names the repository — from ``cache`` when their
    ``stat`` is unchanged). The cache keeps only the files found."""
    cache = cache or StatCache(None, root="", namespace="")
    repos: dict[str, _Repo] = {}
    # The keys of the files found, for the cache to drop the others; only collected when it
    # holds entries of an earlier crawl (else there is nothing to drop).
    found: set[str] | None = set() if cache.keeps_entries else None
    root = str(folder)

    def repo(kind: str, repo_id: str) -> _Repo:
        rid = record_id(kind, repo_id)
        found_repo = repos.get(rid)
        if found_repo is None:
            found_repo = repos[rid] = _Repo(root, kind, rid)
        return found_repo

    def file(entry: os.DirEntry[str], parts: tuple[str, ...], role: str) -> _File:
        rel = "/".join(parts)
        if found is not None:
            found.add(f"{role}:{rel}")
        try:
            stat = FileStat.of(entry.stat(follow_symlinks=False))
        except OSError:
            stat = None
        return _File(root, rel, stat)

    for entry, parts in _walk(root, ()):
        kind, rel = _kind_of(parts)
        name = rel[-1]
        if EVAL_FOLDER in rel[:-1]:
            at = rel.index(EVAL_FOLDER)
            inner = "/".join(rel[at:])
            if at and is_eval_results_path(inner):
                repo(kind, _folder_id(rel[:at])).evals[inner] = file(entry, parts, "text")
        elif name == "README.md":
            if len(rel) > 1:
                found_repo = repo(kind, _folder_id(rel[:-1]))
                if found_repo.card_in_folder:
                    logger.warning("%s: second card for %s ignored", entry.path, found_repo.repo_id)
                else:
                    found_repo.card = file(entry, parts, "text")
                    found_repo.card_in_folder = True
        elif name == "config.json":
            if len(rel) > 1:
                repo(kind, _folder_id(rel[:-1])).config = file(entry, parts, "config")
        elif name.endswith(FLAT_CARD_SUFFIX) and len(name) > len(FLAT_CARD_SUFFIX):
            found_repo = repo(kind, flat_card_id(name))
            if found_repo.card is None:
                found_repo.card = file(entry, parts, "text")
            elif not found_repo.card_in_folder:
                logger.warning("%s: second card for %s ignored", entry.path, found_repo.repo_id)
        elif name.endswith(".json"):
            _add_response(file(entry, parts, "json"), rel, kind, repo, cache)
    if found is not None:
        cache.retain(found)
    return repos


def flat_card_id(file_name: str) -> str:
    """The repository id a flat card's file name stands for (first ``_`` = the ``/``).

    >>> flat_card_id("0-hero_led-large-legal-summary_README.md")
    '0-hero/led-large-legal-summary'
    >>> flat_card_id("lewtun_superb-s3prl-osanseviero__hubert_base-asr-50f7ee76_README.md")
    'lewtun/superb-s3prl-osanseviero__hubert_base-asr-50f7ee76'
    >>> flat_card_id("albert-large-v2_README.md")
    'albert-large-v2'
    """
    stem = file_name[: -len(FLAT_CARD_SUFFIX)]
    namespace, underscore, name = stem.partition("_")
    return f"{namespace}/{name}" if underscore else stem


def _walk(
    folder: str, parts: tuple[str, ...]
) -> Iterator[tuple[os.DirEntry[str], tuple[str, ...]]]:
    """Files below ``folder`` with their path segments, in name order; links not followed."""
    if len(parts) > MAX_WALK_DEPTH:
        logger.warning("%s: deeper than %d folders; not read", folder, MAX_WALK_DEPTH)
        return
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError as exc:
        logger.warning("%s: cannot list folder (%s); skipped", folder, exc)
        return
    for entry in entries:
        if entry.is_symlink():
            continue
        if entry.is_dir(follow_symlinks=False):
            hidden = entry.name.startswith(".") and entry.name != EVAL_FOLDER
            if not hidden and entry.name != "spaces":
                yield from _walk(entry.path, (*parts, entry.name))
        elif entry.is_file(follow_symlinks=False):
            yield entry, (*parts, entry.name)


def _kind_of(parts: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """``dataset`` below a folder named ``datasets`` (the path after it), else ``model``."""
    folders = parts[:-1]
    if "datasets" in folders:
        at = len(folders) - 1 - folders[::-1].index("datasets")
        return "dataset", parts[at + 1 :]
    return "model", parts


def _folder_id(folders: tuple[str, ...]) -> str:
    return "/".join(folders[-2:])


def _add_response(
    file: _File, rel: tuple[str, ...], kind: str, repo: Any, cache: StatCache
) -> None:
    info = _response(file, cache)
    if not isinstance(info, dict):
        logger.debug("%s: not an API response (no JSON object); ignored", file.path)
        return
    named = info.get("id") if isinstance(info.get("id"), str) else info.get("modelId")
    if not isinstance(named, str) and len(rel) == 2:
        named = f"{rel[0]}/{rel[1][: -len('.json')]}"
    if not isinstance(named, str) or not named:
        logger.debug("%s: a JSON object without id or modelId; ignored", file.path)
        return
    modified = info.get("lastModified")
    # _data parses the text again: the same object, at a ninth of the memory until then.
    blob = zlib.compress(json.dumps(info, separators=(",", ":")).encode("ascii"), 1)
    repo(kind, named).infos.append((modified if isinstance(modified, str) else "", file.rel, blob))


def _response(file: _File, cache: StatCache) -> dict[str, Any] | None:
    """The JSON object a ``*.json`` file holds (``None`` for anything else), read or cached."""
    if file.stat is not None and file.stat.st_size > MAX_FILE_BYTES:
        logger.warning("%s: JSON over %d bytes; ignored", file.path, MAX_FILE_BYTES)
        return None
    key = f"json:{file.rel}"
    cached = cache.get(key, file.stat)
    if _is_response_entry(cached):
        info, problem = cached
    else:
        try:
            content, stat = read_head(file.path, MAX_FILE_BYTES + 1)
        except OSError as exc:
            logger.warning("%s: unreadable JSON ignored (%s)", file.path, exc)
            return None
        info, problem = _parse_response(content, stat.st_size)
        cache.put(key, stat, [info, problem])
    if problem is not None:
        logger.warning("%s: %s", file.path, problem)
    return info


def _parse_response(content: bytes, size: int) -> tuple[dict[str, Any] | None, str | None]:
    """A JSON file's object (``None`` when it holds something else) and why it was ignored."""
    if size > MAX_FILE_BYTES or len(content) > MAX_FILE_BYTES:
        return None, f"JSON over {MAX_FILE_BYTES} bytes; ignored"
    try:
        info = json.loads(content.decode("utf-8"), parse_constant=str)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return None, f"unreadable JSON ignored ({exc})"
    return (info if isinstance(info, dict) else None), None


def _is_response_entry(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and (value[0] is None or isinstance(value[0], dict))
        and (value[1] is None or isinstance(value[1], str))
    )


def _wanted(repo: _Repo, options: CrawlOptions) -> bool:
    if repo.kind not in options.kinds:
        return False
    if options.repos and repo.repo_id not in options.repos:
        return False
    if options.author is not None:
        namespace, slash, _ = repo.repo_id.partition("/")
        if not slash or namespace.casefold() != options.author.casefold():
            return False
    return options.search is None or options.search.casefold() in repo.repo_id.casefold()


def _data(repo: _Repo, cache: StatCache) -> dict[str, Any]:
    """The record data of one repository, reading its card, config and eval results now (or
    taking them from ``cache`` when unchanged)."""
    info: dict[str, Any] | None = None
    for _, _, blob in repo.responses():
        info = {**(info or {}), **json.loads(zlib.decompress(blob))}
    flags: list[str] = []
    problems: list[str] = []
    card = config = None
    if repo.card is not None:
        decoded = _derived(repo.card, "text", decode_text, cache, problems)
        if decoded is not None:
            card, card_flags = decoded
            flags.extend(card_flags)
    if repo.config is not None:
        parsed = _derived(repo.config, "config", parse_config, cache, problems)
        if parsed is not None:
            config, config_flags = parsed
            flags.extend(config_flags)
    evals: dict[str, str] = {}
    for inner, file in sorted(repo.evals.items()):
        decoded = _derived(file, "text", decode_text, cache, problems)
        if decoded is not None:
            text, eval_flags = decoded
            flags.extend(f"eval-results-{flag}" for flag in eval_flags)
            if text is not None:
                evals[inner] = text
    problem = repo_id_problem(repo.repo_id)
    if problem:
        problems.insert(0, problem)
    return new_data(
        repo.kind,
        repo.repo_id,
        info=info,
        card=card,
        config=config,
        eval_results=evals or None,
        status="error" if problems else "ok",
        status_detail="; ".join(problems) or None,
        flags=flags,
    )


def _derived(
    file: _File,
    role: str,
    derive: Callable[[bytes, int], tuple[Any, list[str]]],
    cache: StatCache,
    problems: list[str],
) -> list[Any] | None:
    """``[value, flags]`` that ``derive`` makes of the file's first :data:`MAX_FILE_BYTES` + 1
    bytes and its size: from ``cache`` while the file is unchanged, else read now. ``None``
    (and a problem) when the file cannot be read; that is never cached."""
    key = f"{role}:{file.rel}"
    cached = cache.get(key, file.stat)
    if (
        isinstance(cached, list)
        and len(cached) == 2
        and isinstance(cached[1], list)
        and all(isinstance(flag, str) for flag in cached[1])
        and (role != "text" or cached[0] is None or isinstance(cached[0], str))
    ):
        return cached
    try:
        content, stat = read_head(file.path, MAX_FILE_BYTES + 1)
    except OSError as exc:
        problems.append(f"cannot read {os.path.basename(file.path)}: {exc.strerror or exc}")
        return None
    value, value_flags = derive(content, stat.st_size)
    entry = [value, list(value_flags)]
    cache.put(key, stat, entry)
    return entry
