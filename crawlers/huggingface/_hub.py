"""The online Hugging Face crawl: the Hub's listing API, then each repository's raw files.

How it talks to the Hub, and why not through ``HfApi``:

* The listing (``GET /api/models`` or ``/api/datasets`` with ``expand=…`` and the filters) is read
  page by page along its ``Link: <…>; rel="next"`` cursor, like huggingface_hub's
  ``utils/_pagination.py``; each repository's ``README.md``, ``config.json`` and
  ``.eval_results/*.yaml`` come from the raw-file route ``/{repo}/resolve/{sha}/{path}``
  (``/datasets/{repo}/…`` for datasets), pinned to the listed commit so card and listing agree.
* Every request goes through :func:`mlkg.http.request` (one retry policy for mlkg: timeout on
  every call, 408/429/5xx and connection errors retried with capped, jittered backoff,
  ``Retry-After`` in both its forms, capped). huggingface_hub is used for what it knows about the
  Hub — its request headers and token lookup (``build_hf_headers``, ``get_token``) and its reading
  of the Hub's ``RateLimit`` header — but not for the calls themselves: ``list_models`` yields
  ``ModelInfo`` objects rather than the wire JSON the raw record keeps; its ``http_backoff``
  sleeps ``Retry-After + 1`` seconds uncapped, ignores the HTTP-date form and cannot be given a
  sleep function (tests would sleep for real); ``model_info`` does not retry at all; the shared
  httpx client has no timeout; and ``hf_hub_download`` writes into its own blob cache with a HEAD
  before each GET.
* Around :func:`mlkg.http.request` this module adds what the Hub needs: a 429 that carries only
  ``RateLimit: "api";r=0;t=55`` (the Hub's IETF-draft header) is given the matching
  ``Retry-After``; a body cut short (``Content-Length`` larger than what arrived) is retried; the
  Hub's ``X-Error-Code`` (``GatedRepo``, ``RepoNotFound``, ``EntryNotFound``,
  ``RevisionNotFound``) is kept to tell a gated repository from a missing one or a missing file.

Repositories are fetched by a small thread pool (``workers``) and yielded in listing order; the
listing is read lazily in the caller's thread, so ``limit`` never costs an extra page.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Container, Iterable, Iterator, Sized
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urljoin, urlsplit

import requests

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
from mlkg import __version__
from mlkg import http as mlkg_http
from mlkg.errors import FetchError
from mlkg.records import RawRecord

logger = logging.getLogger(__name__)

#: Listing fields asked for with ``expand`` (huggingface_hub ``ExpandModelProperty_T``): the
#: facts the mapper uses, the ``sha``/``lastModified`` the re-crawl compares, and ``siblings``
#: to know which files to fetch. Volatile counters beyond downloads and likes are left out.
MODEL_EXPAND = (
    "author",
    "baseModels",
    "cardData",
    "config",
    "createdAt",
    "disabled",
    "downloads",
    "evalResults",
    "gated",
    "gguf",
    "lastModified",
    "library_name",
    "likes",
    "model-index",
    "pipeline_tag",
    "private",
    "safetensors",
    "sha",
    "siblings",
    "tags",
    "transformersInfo",
)
DATASET_EXPAND = (
    "author",
    "cardData",
    "citation",
    "createdAt",
    "description",
    "disabled",
    "downloads",
    "gated",
    "lastModified",
    "likes",
    "paperswithcode_id",
    "private",
    "sha",
    "siblings",
    "tags",
)
EXPAND = {"model": MODEL_EXPAND, "dataset": DATASET_EXPAND}

#: A listing page larger than this is refused (lower ``page_size``); 1,000 expanded entries
#: are typically a few MB.
MAX_PAGE_BYTES = 64 * 1024 * 1024
#: At most this many ``.eval_results/*.yaml`` files per repository; more are flagged.
MAX_EVAL_FILES = 50
#: Bumped when the cache entry's shape changes, so an old cache is ignored, not misread.
CACHE_VERSION = 1

_SHA = re.compile(r"^[0-9a-f]{40}$")
_BODY_ERRORS = (
    requests.exceptions.ChunkedEncodingError,
    requests.ConnectionError,
    requests.Timeout,
)


@dataclass(frozen=True)
class _Entry:
    """One repository to fetch: its kind, its id as listed or requested, its listing JSON."""

    kind: str
    repo_id: str
    info: dict[str, Any] | None


@dataclass(frozen=True)
class _Fetched:
    url: str
    body: bytes
    size: int
    links: dict[str, dict[str, str]]


class HubClient:
    """Crawl one Hub endpoint: ``HubClient(endpoint, options).records(cache_dir=..., ...)``.

    ``sleep`` is how retries wait (tests pass a recorder instead of sleeping).
    """

    def __init__(
        self,
        endpoint: str,
        options: CrawlOptions,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.options = options
        self.sleep = sleep
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    # -- the crawl ---------------------------------------------------------------------------

    def records(
        self, *, cache_dir: Path, skip: Container[str] = (), limit: int | None = None
    ) -> Iterator[RawRecord]:
        """Raw records in listing (or ``repos``) order; ``skip`` ids are neither fetched nor
        yielded; at most ``limit`` records, reading no listing page past the last one needed."""
        cache = _Cache(cache_dir)
        page_size = self.options.page_size
        if limit is not None:
            already = len(skip) if isinstance(skip, Sized) else 0
            page_size = max(1, min(page_size, limit + already))
        todo: Iterable[_Entry] = (
            entry
            for entry in _unique(self._entries(page_size))
            if record_id(entry.kind, entry.repo_id) not in skip
        )
        if limit is not None:
            todo = islice(todo, limit)
        fetch = partial(self._fetch_record, cache)
        yield from ordered_map(fetch, todo, workers=self.options.workers)

    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()

    def _entries(self, page_size: int) -> Iterator[_Entry]:
        kind = self.options.kinds[0]
        if self.options.repos:
            yield from (_Entry(kind, repo_id, None) for repo_id in self.options.repos)
            return
        for kind in self.options.kinds:
            yield from self._listing(kind, page_size)

    def _listing(self, kind: str, page_size: int) -> Iterator[_Entry]:
        """The listing of one kind, page by page along ``Link: rel="next"``, lazily."""
        url: str | None = f"{self.endpoint}/api/{KINDS[kind]}"
        params: list[tuple[str, str]] | None = self._listing_params(kind, page_size)
        seen: set[str] = set()
        while url is not None:
            page = self._get(url, params=params, cap=MAX_PAGE_BYTES)
            items = _json_body(page, what="listing page")
            if not isinstance(items, list):
                raise FetchError(f"{page.url}: listing page is not a JSON list", url=page.url)
            for item in items:
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    yield _Entry(kind, item["id"], item)
                else:
                    logger.warning(
                        "%s: listing entry without an id skipped: %.200r", page.url, item
                    )
            url, params = self._next_page(page, seen), None

    def _listing_params(self, kind: str, page_size: int) -> list[tuple[str, str]]:
        """Query parameters as huggingface_hub's ``list_models``/``list_datasets`` send them."""
        options = self.options
        params: list[tuple[str, str]] = []
        if options.search:
            params.append(("search", options.search))
        if options.author:
            params.append(("author", options.author))
        if options.task:
            if kind == "model":
                params.append(("pipeline_tag", options.task))
            else:
                params.append(("filter", f"task_categories:{options.task}"))
        if options.library:
            tag = options.library if kind == "model" else f"library:{options.library}"
            params.append(("filter", tag))
        if options.sort:
            params.append(("sort", options.sort))
        params.append(("limit", str(page_size)))
        params.extend(("expand", field) for field in EXPAND[kind])
        return params

    def _next_page(self, page: _Fetched, seen: set[str]) -> str | None:
        link = page.links.get("next", {}).get("url")
        if not link:
            return None
        url = urljoin(page.url, link)
        if _origin(url) != _origin(self.endpoint):
            # The session carries the token: never follow a listing off the Hub it was made for.
            raise FetchError(f"{page.url}: next page {url} is on another host", url=url)
        if url in seen:
            raise FetchError(f"{page.url}: the listing loops back to {url}", url=url)
        seen.add(url)
        return url

    # -- one repository ----------------------------------------------------------------------

    def _fetch_record(self, cache: _Cache, entry: _Entry) -> RawRecord:
        try:
            data = self._fetch_data(cache, entry)
        except Exception as exc:  # a bug or an unforeseen answer costs one record, not the crawl
            logger.exception("%s: unexpected error while fetching", entry.repo_id)
            data = new_data(
                entry.kind,
                entry.repo_id,
                info=entry.info,
                status="error",
                status_detail=f"unexpected {type(exc).__name__}: {exc}",
            )
        if data["status"] != "ok":
            # Gated and private repositories are expected; a missing one or an error is not.
            level = logging.INFO if data["status"] in {"gated", "private"} else logging.WARNING
            logger.log(
                level,
                "%s: %s (%s)",
                record_id(entry.kind, entry.repo_id),
                data["status"],
                data["status_detail"],
            )
        return new_record(data, self._page_url(entry.kind, entry.repo_id))

    def _fetch_data(self, cache: _Cache, entry: _Entry) -> dict[str, Any]:
        kind, requested = entry.kind, entry.repo_id
        if problem := repo_id_problem(requested):
            return new_data(kind, requested, info=entry.info, status="error", status_detail=problem)
        info = entry.info
        if info is None:
            try:
                info = self._repo_info(kind, requested)
            except FetchError as exc:
                status, detail = self._classify(exc, None, None)
                return new_data(kind, requested, status=status or "missing", status_detail=detail)
        # A renamed repository answers under its new id: fetch its files there, keep both ids.
        current = info.get("id")
        if not isinstance(current, str) or repo_id_problem(current):
            current = requested
        authenticated = self.options.token is not None
        cached = cache.get(kind, requested, info, authenticated)
        if cached is not None:
            return new_data(kind, requested, info=info, **cached)
        parts = self._fetch_files(kind, current, info)
        if parts["status"] != "error":
            cache.put(kind, requested, info, authenticated, parts)
        return new_data(kind, requested, info=info, **parts)

    def _repo_info(self, kind: str, repo_id: str) -> dict[str, Any]:
        url = f"{self.endpoint}/api/{KINDS[kind]}/{quote(repo_id, safe='/')}"
        params = [("expand", field) for field in EXPAND[kind]]
        page = self._get(url, params=params, cap=MAX_FILE_BYTES, record_id=repo_id)
        info = _json_body(page, what="repository info")
        if not isinstance(info, dict):
            raise FetchError(f"{page.url}: repository info is not a JSON object", url=page.url)
        return info

    def _fetch_files(self, kind: str, repo_id: str, info: dict[str, Any]) -> dict[str, Any]:
        """Card, config and eval results of one repository, with the status of the attempt."""
        revision = info.get("sha") if _SHA.match(str(info.get("sha"))) else "main"
        listed = _sibling_names(info)
        candidates = ["README.md", "config.json"] if kind == "model" else ["README.md"]
        wanted = [path for path in candidates if listed is None or path in listed]
        flags: list[str] = []
        evals = sorted(path for path in listed or () if is_eval_results_path(path))
        if len(evals) > MAX_EVAL_FILES:
            flags.append("eval-results-truncated")
            evals = evals[:MAX_EVAL_FILES]
        parts: dict[str, Any] = {
            "card": None,
            "config": None,
            "eval_results": None,
            "status": "ok",
            "status_detail": None,
        }
        for path in [*wanted, *evals]:
            url = self._file_url(kind, repo_id, revision, path)
            try:
                fetched = self._get(url, cap=MAX_FILE_BYTES, record_id=repo_id)
            except FetchError as exc:
                status, detail = self._classify(exc, info, path)
                if status is None:
                    continue  # the file is not there: not a problem of the repository
                parts.update(status=status, status_detail=detail)
                break
            if path == "README.md":
                parts["card"], card_flags = decode_text(fetched.body, fetched.size)
                flags.extend(card_flags)
            elif path == "config.json":
                parts["config"], config_flags = parse_config(fetched.body, fetched.size)
                flags.extend(config_flags)
            else:
                text, eval_flags = decode_text(fetched.body, fetched.size)
                flags.extend(f"eval-results-{flag}" for flag in eval_flags)
                if text is not None:
                    parts["eval_results"] = {**(parts["eval_results"] or {}), path: text}
        parts["flags"] = sorted(set(flags))
        return parts

    def _classify(
        self, exc: FetchError, info: dict[str, Any] | None, path: str | None
    ) -> tuple[str | None, str]:
        """The record status a failed fetch means (``None``: only that file is absent)."""
        code, message = self._error_code(exc.url)
        said = f": {message}" if message else ""
        where = f"{path}: " if path else ""
        status = exc.status
        if code == "GatedRepo" or (status in (401, 403) and info and info.get("gated")):
            return "gated", f"{where}gated repository, access not granted (HTTP {status}){said}"
        if info and info.get("private") is True and status in (401, 403, 404):
            return "private", f"{where}private repository, not readable (HTTP {status}){said}"
        if path and (code == "EntryNotFound" or (status == 404 and code is None)):
            return None, f"{path}: not in the repository"
        if code == "RevisionNotFound":
            return "error", f"{where}the listed revision is gone (changed during the crawl){said}"
        if status in (401, 403, 404):
            return "missing", (
                f"{where}repository not found (HTTP {status}){said}; the Hub answers the same "
                "for a private repository the token cannot read"
            )
        return "error", str(exc)

    # -- HTTP --------------------------------------------------------------------------------

    def _get(
        self,
        url: str,
        *,
        cap: int,
        params: list[tuple[str, str]] | None = None,
        record_id: str | None = None,
    ) -> _Fetched:
        """GET through :func:`mlkg.http.request`, reading at most ``cap`` bytes of the body; a
        body cut short is retried like a connection error (``mlkg.http`` retries only up to the
        headers)."""
        policy = self.options.policy
        for attempt in range(1, policy.attempts + 1):
            response = mlkg_http.request(
                self._session(),
                "GET",
                url,
                params=params,
                policy=policy,
                record_id=record_id,
                sleep=self.sleep,
                stream=True,
            )
            try:
                body, size = _read_capped(response, cap)
                return _Fetched(response.url, body, size, dict(response.links))
            except _BODY_ERRORS as exc:
                if attempt == policy.attempts:
                    raise FetchError(
                        f"{response.url}: body cut short ({type(exc).__name__}) "
                        f"after {attempt} attempts",
                        url=response.url,
                        record_id=record_id,
                    ) from exc
            finally:
                response.close()
            wait = min(policy.max_wait, policy.backoff * 2 ** (attempt - 1))
            logger.warning(
                "GET %s: body cut short; retrying in %.1fs (attempt %d/%d)",
                url,
                wait,
                attempt,
                policy.attempts,
            )
            self.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _session(self) -> requests.Session:
        """One session per thread (requests does not promise a shared one is thread-safe)."""
        session = getattr(self._local, "session", None)
        if session is None:
            from huggingface_hub.utils import build_hf_headers

            session = requests.Session()
            session.headers.update(
                build_hf_headers(
                    token=self.options.token or False,
                    library_name="mlkg",
                    library_version=__version__,
                )
            )
            self._local.errors = {}
            session.hooks["response"].append(_response_hook(self._local.errors))
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def _error_code(self, url: str) -> tuple[str | None, str | None]:
        errors: dict[str, tuple[str | None, str | None]] = getattr(self._local, "errors", {})
        return errors.pop(url, (None, None))

    def _file_url(self, kind: str, repo_id: str, revision: str, path: str) -> str:
        prefix = "" if kind == "model" else f"{KINDS[kind]}/"
        return (
            f"{self.endpoint}/{prefix}{quote(repo_id, safe='/')}/resolve/"
            f"{quote(revision, safe='')}/{quote(path, safe='/')}"
        )

    def _page_url(self, kind: str, repo_id: str) -> str:
        prefix = "" if kind == "model" else f"{KINDS[kind]}/"
        return f"{self.endpoint}/{prefix}{quote(repo_id, safe='/')}"


def _unique(entries: Iterable[_Entry]) -> Iterator[_Entry]:
    """Each repository once: a listing sorted by a moving value (downloads, likes) can show a
    repository on two pages when its value changes between them."""
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        key = (entry.kind, entry.repo_id)
        if key in seen:
            logger.info("%s: listed twice; the second listing is ignored", entry.repo_id)
            continue
        seen.add(key)
        yield entry


def _response_hook(errors: dict[str, tuple[str | None, str | None]]) -> Callable[..., Any]:
    """Keep the Hub's error code of a failed response; give a 429 that only carries the Hub's
    ``RateLimit`` header the ``Retry-After`` that :func:`mlkg.http.request` honours."""
    from huggingface_hub.utils import parse_ratelimit_headers

    def hook(response: requests.Response, *args: object, **kwargs: object) -> requests.Response:
        if response.status_code < 400:
            return response
        code = response.headers.get("X-Error-Code")
        message = response.headers.get("X-Error-Message")
        if code or message:
            if len(errors) > 1000:  # only the latest failure per URL is ever read back
                errors.clear()
            errors[response.url] = (code, message)
        if response.status_code == 429 and "Retry-After" not in response.headers:
            limit = parse_ratelimit_headers(response.headers)
            if limit is not None and limit.remaining == 0:
                response.headers["Retry-After"] = str(limit.reset_in_seconds)
        return response

    return hook


def _read_capped(response: requests.Response, cap: int) -> tuple[bytes, int]:
    """At most ``cap + 1`` bytes of the body, and the body's full size when it is known."""
    chunks: list[bytes] = []
    read = 0
    for chunk in response.iter_content(64 * 1024):
        chunks.append(chunk)
        read += len(chunk)
        if read > cap:
            break
    try:
        declared = int(response.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0
    return b"".join(chunks), max(read, declared) if read > cap else read


def _json_body(page: _Fetched, *, what: str) -> Any:
    if page.size > MAX_PAGE_BYTES:
        raise FetchError(f"{page.url}: {what} over {MAX_PAGE_BYTES} bytes", url=page.url)
    try:
        return json.loads(page.body)
    except ValueError as exc:
        raise FetchError(f"{page.url}: {what} is not JSON ({exc})", url=page.url) from exc


def _sibling_names(info: dict[str, Any]) -> set[str] | None:
    """The repository's file names from the listing's ``siblings``, or ``None`` if not given."""
    siblings = info.get("siblings")
    if not isinstance(siblings, list):
        return None
    return {
        item["rfilename"]
        for item in siblings
        if isinstance(item, dict) and isinstance(item.get("rfilename"), str)
    }


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower()


# -- order-keeping bounded concurrency -------------------------------------------------------

T = TypeVar("T")
R = TypeVar("R")


def ordered_map(fn: Callable[[T], R], items: Iterable[T], *, workers: int) -> Iterator[R]:
    """``map(fn, items)`` on ``workers`` threads, results in input order, lazily.

    At most ``2 * workers`` items are taken ahead of the one being yielded, so a lazy ``items``
    (the listing) is never read far ahead. ``fn`` must not raise. If reading ``items`` raises,
    the results already under way are yielded first, then the error is raised: a failing listing
    page loses no fetched record. Closing the generator cancels what has not started.
    """
    if workers <= 1:
        yield from map(fn, items)
        return
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="huggingface-fetch")
    pending: deque[Future[R]] = deque()
    try:
        failure: Exception | None = None
        try:
            for item in items:
                pending.append(pool.submit(fn, item))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
        except Exception as exc:  # reading items failed: hand over finished work first
            failure = exc
        while pending:
            yield pending.popleft().result()
        if failure is not None:
            raise failure
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# -- incremental re-crawl --------------------------------------------------------------------


class _Cache:
    """One JSON file per repository: the fetched parts, keyed by the listing's ``sha`` and
    ``lastModified`` (and whether a token was used, so granting access refetches a gated repo).

    A repository whose key is unchanged is not fetched again; ``error`` outcomes are never cached.
    Files are replaced atomically, so a killed crawl leaves no half-written entry.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def get(
        self, kind: str, repo_id: str, info: dict[str, Any], authenticated: bool
    ) -> dict[str, Any] | None:
        key = _cache_key(info, authenticated)
        if key is None:
            return None
        try:
            entry = json.loads(self._path(kind, repo_id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        parts = entry.get("parts")
        expected = {"card", "config", "eval_results", "status", "status_detail", "flags"}
        return parts if isinstance(parts, dict) and set(parts) == expected else None

    def put(
        self,
        kind: str,
        repo_id: str,
        info: dict[str, Any],
        authenticated: bool,
        parts: dict[str, Any],
    ) -> None:
        key = _cache_key(info, authenticated)
        if key is None:
            return
        path = self._path(kind, repo_id)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps({"key": key, "parts": parts}), encoding="utf-8")
            tmp.replace(path)
        except OSError as exc:  # the cache only saves work; the record is still right
            logger.warning("%s: cannot write the crawl cache (%s)", path, exc)

    def _path(self, kind: str, repo_id: str) -> Path:
        return self.root / KINDS[kind] / f"{quote(repo_id, safe='')}.json"


def _cache_key(info: dict[str, Any], authenticated: bool) -> dict[str, Any] | None:
    sha = info.get("sha")
    if not isinstance(sha, str) or not sha:
        return None
    return {
        "version": CACHE_VERSION,
        "sha": sha,
        "lastModified": info.get("lastModified"),
        "authenticated": authenticated,
    }
