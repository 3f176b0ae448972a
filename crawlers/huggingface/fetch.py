"""The Hugging Face crawl: the Hub's HTTP API, or a local folder of API responses and cards.

``crawl(location, ...)`` is what ``mlkg build huggingface [--from LOCATION] [-o KEY=VALUE]``
calls. ``location`` is either

* an ``http(s)`` endpoint — the Hub (:data:`DEFAULT_ENDPOINT`; ``HF_ENDPOINT`` replaces it when
  set), a mirror, or the fake Hub of the tests. The listing (``/api/models``, ``/api/datasets``)
  is read page by page along its ``Link: rel="next"`` cursor; each repository's ``README.md``,
  ``config.json`` and ``.eval_results/*.yaml`` come from the raw-file route
  ``/{repo}/resolve/{sha}/{path}`` (see :mod:`crawlers.huggingface._hub`); or
* a local folder of API JSON responses and/or cards (see :mod:`crawlers.huggingface._local` for
  the layouts).

Both yield the raw records of the contract in :mod:`crawlers.huggingface`, lazily, in a stable
order (listing order online, record-id order offline), so a killed crawl resumes exactly.

Options (all arrive as strings from the command line; each is checked, an unusable value raises
:class:`~mlkg.errors.ConfigurationError` naming the accepted ones):

* ``kind``: ``models``, ``datasets`` or ``all`` (models, then datasets); default ``models`` for
  the Hub and ``all`` for a local folder (``models`` when ``repos`` names repositories).
* ``author``, ``search``: listing filters (an organisation; a substring of the id).
* ``task`` (``pipeline_tag`` of models, ``task_categories:`` tag of datasets), ``library``
  (a library tag such as ``transformers``), ``sort`` (``downloads``, ``likes``, ``created_at``,
  ``last_modified``, ``trending_score``; descending): Hub-only.
* ``repos``: comma-separated repository ids to crawl instead of the listing (each through
  ``/api/{kind}/{id}``; a renamed id is followed and kept as requested).
* ``token``: an access token for gated and private repositories. Prefer ``HF_TOKEN``: options are
  recorded in the data directory. ``HF_TOKEN`` (or a saved ``hf auth login``) is used only when
  the location is the default endpoint, so a token is never sent to a host it was not made for.
* ``workers`` (1–32, default 4): repositories fetched at once; ``page_size`` (1–1000, default 100);
  ``timeout`` (seconds per request, default 30); ``retries`` (attempts per request, default 6).
"""

from __future__ import annotations

import os
from collections.abc import Container, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from crawlers.huggingface._records import repo_id_problem
from mlkg.errors import ConfigurationError, SourceNotFoundError
from mlkg.http import RetryPolicy
from mlkg.records import RawRecord

DEFAULT_ENDPOINT = "https://huggingface.co"

#: The Hub's rate-limit windows are 5 minutes long, so one capped wait can always cover a reset,
#: while a hostile ``Retry-After: 86400`` still cannot park the crawl for a day.
DEFAULT_POLICY = RetryPolicy(attempts=6, backoff=1.0, max_wait=300.0, timeout=30.0)

#: ``sort`` as users write it (huggingface_hub's snake_case or the wire's camelCase) → the wire.
SORT_KEYS: dict[str, str] = {
    "downloads": "downloads",
    "likes": "likes",
    "created_at": "createdAt",
    "createdAt": "createdAt",
    "last_modified": "lastModified",
    "lastModified": "lastModified",
    "trending_score": "trendingScore",
    "trendingScore": "trendingScore",
}

KIND_OPTIONS: dict[str, tuple[str, ...]] = {
    "models": ("model",),
    "datasets": ("dataset",),
    "all": ("model", "dataset"),
}

#: Options that filter or order the Hub's listing: a local folder cannot honour them.
HUB_ONLY = ("task", "library", "sort")


@dataclass(frozen=True)
class CrawlOptions:
    """The crawl options, checked and typed (see the module docstring for their meaning)."""

    kinds: tuple[str, ...] = ("model",)
    author: str | None = None
    task: str | None = None
    library: str | None = None
    search: str | None = None
    sort: str | None = None
    repos: tuple[str, ...] = ()
    token: str | None = None
    workers: int = 4
    page_size: int = 100
    policy: RetryPolicy = DEFAULT_POLICY


def crawl(
    location: str,
    *,
    cache_dir: Path,
    skip: Container[str] = (),
    limit: int | None = None,
    kind: str | None = None,
    author: str | None = None,
    task: str | None = None,
    library: str | None = None,
    search: str | None = None,
    sort: str | None = None,
    repos: str | None = None,
    token: str | None = None,
    workers: str | int | None = None,
    page_size: str | int | None = None,
    timeout: str | float | None = None,
    retries: str | int | None = None,
) -> Iterator[RawRecord]:
    """Yield one raw record per Hub repository, lazily, from an endpoint or a local folder.

    Options are checked before anything is fetched (:class:`ConfigurationError`); a local folder
    that does not exist raises :class:`SourceNotFoundError`. ``skip`` holds the record ids an
    interrupted crawl already wrote: they are neither fetched nor yielded. ``limit`` caps the
    records yielded; no listing page past the one holding the last of them is requested. Online,
    ``cache_dir`` keeps each repository's card, config and eval results keyed by its ``sha`` and
    ``lastModified``, so a re-crawl downloads only what changed; from a folder, it keeps what
    each file gave, so a re-crawl reads only the files whose ``stat`` changed. A repository
    that cannot be fetched is yielded with ``status`` ``gated``, ``private``, ``missing`` or
    ``error``; only a listing page that still fails after retries stops the crawl, with a
    :class:`~mlkg.errors.FetchError`.

    Example: ``crawl("https://huggingface.co", cache_dir=Path("cache"), limit=10,
    author="google", task="fill-mask")``.
    """
    is_folder = not location.startswith(("http://", "https://"))
    options = parse_options(
        # a folder is crawled whole by default; the live Hub lists models unless told otherwise
        kind=kind or ("all" if is_folder and repos is None else "models"),
        author=author,
        task=task,
        library=library,
        search=search,
        sort=sort,
        repos=repos,
        token=token,
        workers=workers,
        page_size=page_size,
        timeout=timeout,
        retries=retries,
    )
    if limit is not None and limit <= 0:
        return iter(())
    if is_folder:
        return _crawl_folder(location, options, cache_dir=cache_dir, skip=skip, limit=limit)
    endpoint = location.rstrip("/")
    if endpoint == DEFAULT_ENDPOINT:
        # Environment only here, never at import: option > environment > default.
        endpoint = (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
        if options.token is None:
            options = replace(options, token=_saved_token())
    return _crawl_hub(endpoint, options, cache_dir=cache_dir, skip=skip, limit=limit)


def _crawl_folder(
    location: str,
    options: CrawlOptions,
    *,
    cache_dir: Path,
    skip: Container[str],
    limit: int | None,
) -> Iterator[RawRecord]:
    from crawlers.huggingface._local import read_folder

    folder = Path(location).expanduser()
    if not folder.is_dir():
        raise SourceNotFoundError(location, source="huggingface")
    unsupported = [name for name in HUB_ONLY if getattr(options, name) is not None]
    if unsupported:
        raise ConfigurationError(
            f"huggingface: {', '.join(unsupported)} filter(s) need the Hub API; "
            "a local folder takes kind, author, search and repos"
        )
    return read_folder(folder, options, skip=skip, limit=limit, cache_dir=cache_dir)


def _crawl_hub(
    endpoint: str,
    options: CrawlOptions,
    *,
    cache_dir: Path,
    skip: Container[str],
    limit: int | None,
) -> Iterator[RawRecord]:
    from crawlers.huggingface._hub import HubClient

    client = HubClient(endpoint, options)
    try:
        yield from client.records(cache_dir=cache_dir, skip=skip, limit=limit)
    finally:
        client.close()


def _saved_token() -> str | None:
    """``HF_TOKEN``, else the token ``hf auth login`` saved, read the way huggingface_hub does."""
    from huggingface_hub import get_token

    return get_token()


# -- options ---------------------------------------------------------------------------------


def parse_options(
    *,
    kind: str | None = "models",
    author: str | None = None,
    task: str | None = None,
    library: str | None = None,
    search: str | None = None,
    sort: str | None = None,
    repos: str | None = None,
    token: str | None = None,
    workers: str | int | None = None,
    page_size: str | int | None = None,
    timeout: str | float | None = None,
    retries: str | int | None = None,
) -> CrawlOptions:
    """Check and type the crawl options; :class:`ConfigurationError` says what is accepted.

    >>> parse_options(kind="all", sort="last_modified", workers="2").sort
    'lastModified'
    >>> parse_options(sort="stars")
    Traceback (most recent call last):
    ...
    mlkg.errors.ConfigurationError: huggingface: sort 'stars' is not one of created_at, \
downloads, last_modified, likes, trending_score
    """
    kinds = KIND_OPTIONS.get(kind or "models")
    if kinds is None:
        raise ConfigurationError(
            f"huggingface: kind {kind!r} is not one of {', '.join(KIND_OPTIONS)}"
        )
    wire_sort = None
    if sort is not None:
        wire_sort = SORT_KEYS.get(sort)
        if wire_sort is None:
            names = sorted(k for k in SORT_KEYS if k.islower() or "_" in k)
            raise ConfigurationError(f"huggingface: sort {sort!r} is not one of {', '.join(names)}")
    if author is not None and (not author or "/" in author or author != author.strip()):
        raise ConfigurationError(f"huggingface: author {author!r} is not an organisation or user")
    for name, value in (("task", task), ("library", library), ("search", search)):
        if value is not None and not value.strip():
            raise ConfigurationError(f"huggingface: {name} is empty")
    repo_ids = _parse_repos(repos, kinds, any((author, task, library, search, sort)))
    policy = RetryPolicy(
        attempts=_integer("retries", retries, DEFAULT_POLICY.attempts, 1, 20),
        backoff=DEFAULT_POLICY.backoff,
        max_wait=DEFAULT_POLICY.max_wait,
        timeout=_number("timeout", timeout, DEFAULT_POLICY.timeout, 0.01, 600.0),
    )
    return CrawlOptions(
        kinds=kinds,
        author=author,
        task=task,
        library=library,
        search=search,
        sort=wire_sort,
        repos=repo_ids,
        token=token or None,
        workers=_integer("workers", workers, 4, 1, 32),
        page_size=_integer("page_size", page_size, 100, 1, 1000),
        policy=policy,
    )


def _parse_repos(repos: str | None, kinds: tuple[str, ...], filtered: bool) -> tuple[str, ...]:
    if repos is None:
        return ()
    ids = tuple(dict.fromkeys(part.strip() for part in repos.split(",") if part.strip()))
    if not ids:
        raise ConfigurationError("huggingface: repos is empty")
    if len(kinds) != 1:
        raise ConfigurationError("huggingface: repos needs kind=models or kind=datasets")
    if filtered:
        raise ConfigurationError(
            "huggingface: repos names the repositories; it cannot be combined with "
            "author, task, library, search or sort"
        )
    for repo_id in ids:
        if problem := repo_id_problem(repo_id):
            raise ConfigurationError(f"huggingface: {problem}")
    return ids


def _integer(name: str, value: str | int | None, default: int, low: int, high: int) -> int:
    return int(_bounded(name, value, default, low, high, int, "a whole number"))


def _number(name: str, value: str | float | None, default: float, low: float, high: float) -> float:
    return _bounded(name, value, default, low, high, float, "a number")


def _bounded(
    name: str,
    value: str | float | None,
    default: float,
    low: float,
    high: float,
    kind: type[int] | type[float],
    described: str,
) -> float:
    """A crawl option read as ``kind`` within [low, high], or a clear configuration error."""
    if value is None:
        return default
    try:
        number = kind(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not low <= number <= high:
        raise ConfigurationError(
            f"huggingface: {name} {value!r} is not {described} from {low} to {high}"
        )
    return number
