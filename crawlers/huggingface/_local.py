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
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Container, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from crawlers.huggingface._records import (
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
from mlkg.records import RawRecord

logger = logging.getLogger(__name__)

MAX_WALK_DEPTH = 16
FLAT_CARD_SUFFIX = "_README.md"
EVAL_FOLDER = ".eval_results"


@dataclass
class _Repo:
    """The files found for one repository."""

    kind: str
    repo_id: str
    card: Path | None = None
    card_in_folder: bool = False
    config: Path | None = None
    evals: dict[str, Path] = field(default_factory=dict)
    infos: list[tuple[str, Path, dict[str, Any]]] = field(default_factory=list)

    @property
    def location(self) -> Path:
        if self.card is not None:
            return self.card
        if self.infos:
            return max(self.infos, key=lambda item: (item[0], str(item[1])))[1]
        return self.config or next(iter(self.evals.values()))


def read_folder(
    folder: Path, options: CrawlOptions, *, skip: Container[str] = (), limit: int | None = None
) -> Iterator[RawRecord]:
    """Yield one raw record per repository found below ``folder``, in record-id order."""
    repos = scan(folder)
    chosen = (
        repo for rid, repo in sorted(repos.items()) if rid not in skip and _wanted(repo, options)
    )
    for repo in chosen if limit is None else islice(chosen, limit):
        yield new_record(_data(repo), str(repo.location))


def scan(folder: Path) -> dict[str, _Repo]:
    """Every repository below ``folder`` by record id, with its files (cards are not read yet;
    JSON responses are, since their content names the repository)."""
    repos: dict[str, _Repo] = {}

    def repo(kind: str, repo_id: str) -> _Repo:
        return repos.setdefault(record_id(kind, repo_id), _Repo(kind, repo_id))

    for path, parts in _walk(folder, ()):
        kind, rel = _kind_of(parts)
        name = rel[-1]
        if EVAL_FOLDER in rel[:-1]:
            at = rel.index(EVAL_FOLDER)
            inner = "/".join(rel[at:])
            if at and is_eval_results_path(inner):
                repo(kind, _folder_id(rel[:at])).evals[inner] = path
        elif name == "README.md":
            if len(rel) > 1:
                found = repo(kind, _folder_id(rel[:-1]))
                if found.card_in_folder:
                    logger.warning("%s: second card for %s ignored", path, found.repo_id)
                else:
                    found.card, found.card_in_folder = path, True
        elif name == "config.json":
            if len(rel) > 1:
                repo(kind, _folder_id(rel[:-1])).config = path
        elif name.endswith(FLAT_CARD_SUFFIX) and len(name) > len(FLAT_CARD_SUFFIX):
            found = repo(kind, flat_card_id(name))
            if found.card is None:
                found.card = path
            elif not found.card_in_folder:
                logger.warning("%s: second card for %s ignored", path, found.repo_id)
        elif name.endswith(".json"):
            _add_response(path, rel, kind, repo)
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


def _walk(folder: Path, parts: tuple[str, ...]) -> Iterator[tuple[Path, tuple[str, ...]]]:
    """Files below ``folder`` with their path segments, in name order; links not followed."""
    if len(parts) > MAX_WALK_DEPTH:
        logger.warning("%s: deeper than %d folders; not read", folder, MAX_WALK_DEPTH)
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
            hidden = entry.name.startswith(".") and entry.name != EVAL_FOLDER
            if not hidden and entry.name != "spaces":
                yield from _walk(Path(entry.path), (*parts, entry.name))
        elif entry.is_file(follow_symlinks=False):
            yield Path(entry.path), (*parts, entry.name)


def _kind_of(parts: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """``dataset`` below a folder named ``datasets`` (the path after it), else ``model``."""
    folders = parts[:-1]
    if "datasets" in folders:
        at = len(folders) - 1 - folders[::-1].index("datasets")
        return "dataset", parts[at + 1 :]
    return "model", parts


def _folder_id(folders: tuple[str, ...]) -> str:
    return "/".join(folders[-2:])


def _add_response(path: Path, rel: tuple[str, ...], kind: str, repo: Any) -> None:
    info = _read_json(path)
    if not isinstance(info, dict):
        logger.debug("%s: not an API response (no JSON object); ignored", path)
        return
    named = info.get("id") if isinstance(info.get("id"), str) else info.get("modelId")
    if not isinstance(named, str) and len(rel) == 2:
        named = f"{rel[0]}/{rel[1][: -len('.json')]}"
    if not isinstance(named, str) or not named:
        logger.debug("%s: a JSON object without id or modelId; ignored", path)
        return
    modified = info.get("lastModified")
    repo(kind, named).infos.append((modified if isinstance(modified, str) else "", path, info))


def _read_json(path: Path) -> Any:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            logger.warning("%s: JSON over %d bytes; ignored", path, MAX_FILE_BYTES)
            return None
        return json.loads(path.read_bytes().decode("utf-8"), parse_constant=str)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        logger.warning("%s: unreadable JSON ignored (%s)", path, exc)
        return None


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


def _data(repo: _Repo) -> dict[str, Any]:
    """The record data of one repository, reading its card, config and eval results now."""
    info: dict[str, Any] | None = None
    for _, _, response in sorted(repo.infos, key=lambda item: (item[0], str(item[1]))):
        info = {**(info or {}), **response}
    flags: list[str] = []
    problems: list[str] = []
    card = config = None
    if repo.card is not None:
        content = _read(repo.card, problems)
        if content is not None:
            card, card_flags = decode_text(*content)
            flags.extend(card_flags)
    if repo.config is not None:
        content = _read(repo.config, problems)
        if content is not None:
            config, config_flags = parse_config(*content)
            flags.extend(config_flags)
    evals: dict[str, str] = {}
    for inner, path in sorted(repo.evals.items()):
        content = _read(path, problems)
        if content is not None:
            text, eval_flags = decode_text(*content)
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


def _read(path: Path, problems: list[str]) -> tuple[bytes, int] | None:
    """The first :data:`MAX_FILE_BYTES` + 1 bytes of a file and its size."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            return handle.read(MAX_FILE_BYTES + 1), size
    except OSError as exc:
        problems.append(f"cannot read {path.name}: {exc.strerror or exc}")
        return None
