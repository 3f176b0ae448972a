"""A fake Hugging Face Hub on 127.0.0.1, speaking the Hub's own wire format.

Built on :class:`tests.httpserver.LocalServer`. What it serves, as the Hub does (checked against
huggingface_hub's ``hf_api.py`` ``list_models``, ``utils/_pagination.py``, ``utils/_http.py``
``hf_raise_for_status`` and ``file_download.py``; huggingface_hub's own client runs against it):

* ``GET /api/models`` and ``/api/datasets``: ``search`` (substring of the id), ``author``,
  ``filter`` (repeatable; a tag), ``pipeline_tag``, ``sort`` with ``direction`` (descending by
  default), ``expand`` or ``expand[]`` (only those fields, plus ``_id`` and ``id``; an unknown
  field is a 400), ``full``; ``limit`` is the page size (at most 1,000), and further pages are
  announced by ``Link: <…&cursor=…>; rel="next"`` carrying the other parameters.
* ``GET /api/models/{id}`` and ``/api/models/{id}/revision/{rev}`` (and ``/api/datasets/…``).
* Raw files: ``GET|HEAD /{id}/resolve/{rev}/{path}`` and ``/datasets/{id}/resolve/{rev}/{path}``
  with ``X-Repo-Commit`` and ``ETag`` (the git blob id); ``rev`` is ``main``, the current sha or
  an older one.
* Errors with the Hub's ``X-Error-Code``/``X-Error-Message`` headers and ``{"error": …}`` body:
  ``GatedRepo`` (401 without a token, 403 with one not granted), ``RepoNotFound`` (401 without a
  token, 404 with one; also private repositories the token cannot see), ``EntryNotFound``,
  ``RevisionNotFound``. A renamed repository answers 307 to its new path.
* ``RateLimit``/``RateLimit-Policy`` headers on every answer.

Fault knobs: :meth:`FakeHub.rate_limit_next` (429 with ``RateLimit`` and optionally
``Retry-After``), :meth:`FakeHub.fail_next` (any canned reply, e.g. 500/503),
:meth:`FakeHub.slow_next` and :attr:`FakeHub.delay` (slow answers), :meth:`FakeHub.truncate_next`
(``Content-Length`` larger than the body, then close), :meth:`FakeHub.hold_after` (block every
request after the n-th until :meth:`FakeHub.release`: a kill lands mid-crawl deterministically).
:attr:`FakeHub.peak_in_flight` is the most requests it was answering at once.

:func:`snapshot_hub` fills one from ../shared (real API responses and cards, read at test time,
never copied) plus hand-written repositories for what the snapshot lacks.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, get_args
from urllib.parse import parse_qsl, quote, unquote, urlencode

import yaml
from huggingface_hub.hf_api import ExpandDatasetProperty_T, ExpandModelProperty_T

from tests.httpserver import LocalServer, Reply, Request

MAX_PAGE_SIZE = 1000

#: The fields ``expand`` may ask for, as huggingface_hub documents them for the Hub
#: (``ExpandModelProperty_T``, ``ExpandDatasetProperty_T``); anything else is a 400, as on the Hub.
EXPANDABLE = {
    "model": frozenset(get_args(ExpandModelProperty_T)),
    "dataset": frozenset(get_args(ExpandDatasetProperty_T)),
}
#: What a listing entry holds when neither ``expand`` nor ``full`` is given.
DEFAULT_FIELDS = {
    "model": [
        "_id",
        "id",
        "likes",
        "trendingScore",
        "private",
        "downloads",
        "tags",
        "pipeline_tag",
        "library_name",
        "createdAt",
        "modelId",
    ],
    "dataset": [
        "_id",
        "id",
        "author",
        "disabled",
        "gated",
        "lastModified",
        "likes",
        "trendingScore",
        "private",
        "sha",
        "downloads",
        "tags",
        "createdAt",
    ],
}
ROUTE = {"model": "models", "dataset": "datasets"}
RATE_HEADERS = {
    "RateLimit": '"api";r=999;t=300',
    "RateLimit-Policy": '"fixed window";"api";q=1000;w=300',
}
_EPOCH = 1_700_000_000  # lastModified of hand-written repositories: 2023-11-14T22:13:20Z


@dataclass
class FakeRepo:
    """One repository: its API JSON (without ``siblings``, ``sha``, ``lastModified``, which
    follow its files), its files per revision, and the tokens granted its files."""

    kind: str
    repo_id: str
    info: dict[str, Any]
    files: dict[str, bytes]
    sha: str
    last_modified: str
    siblings: list[str] | None = None
    history: dict[str, dict[str, bytes]] = field(default_factory=dict)
    readers: set[str] = field(default_factory=set)

    @property
    def gated(self) -> Any:
        return self.info.get("gated") or False

    @property
    def private(self) -> bool:
        return self.info.get("private") is True

    def full_info(self) -> dict[str, Any]:
        names = self.siblings if self.siblings is not None else sorted(self.files)
        return {
            **self.info,
            "sha": self.sha,
            "lastModified": self.last_modified,
            "siblings": [{"rfilename": name} for name in names],
        }


class FakeHub:
    """``with FakeHub() as hub: hub.add_model("org/name", files={...}); crawl(hub.url, ...)``."""

    def __init__(self, *, page_size: int = MAX_PAGE_SIZE, tokens: Iterable[str] = ()) -> None:
        self.server = LocalServer()
        self.server.route_prefix("/", self._handle)
        self.repos: dict[tuple[str, str], FakeRepo] = {}
        self.renames: dict[tuple[str, str], str] = {}
        #: Tokens of members: they see private repositories in listings and API answers.
        self.tokens: set[str] = set(tokens)
        self.page_size = page_size
        #: Seconds added to every answer.
        self.delay = 0.0
        self.peak_in_flight = 0
        self._in_flight = 0
        self._seen = 0
        self._hold_after: int | None = None
        self._released = threading.Event()
        self._transforms: dict[str, list[Callable[[Reply], Reply]]] = {}
        self._lock = threading.Lock()
        self._clock = _EPOCH

    # -- context and inspection --------------------------------------------------------------

    def __enter__(self) -> FakeHub:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
        self.server.__exit__(*exc)

    @property
    def url(self) -> str:
        return self.server.base_url

    @property
    def requests(self) -> list[Request]:
        return self.server.requests

    def paths(self, contains: str = "") -> list[str]:
        """Paths requested so far (those containing ``contains``), in order."""
        return [r.path for r in self.server.requests if contains in r.path]

    def file_requests(self) -> list[str]:
        return self.paths("/resolve/")

    # -- content -----------------------------------------------------------------------------

    def add_model(self, repo_id: str, **kwargs: Any) -> FakeRepo:
        return self.add("model", repo_id, **kwargs)

    def add_dataset(self, repo_id: str, **kwargs: Any) -> FakeRepo:
        return self.add("dataset", repo_id, **kwargs)

    def add(
        self,
        kind: str,
        repo_id: str,
        *,
        info: dict[str, Any] | None = None,
        files: dict[str, bytes | str] | None = None,
        gated: bool | str = False,
        private: bool = False,
        readers: Iterable[str] = (),
    ) -> FakeRepo:
        """Add a repository; ``info`` (API JSON) keeps its own ``sha``, ``lastModified`` and
        ``siblings`` when it has them, otherwise they follow ``files``."""
        given = copy.deepcopy(info) if info is not None else {}
        content = {path: _bytes(data) for path, data in (files or {}).items()}
        sha = given.pop("sha", None) or _commit(repo_id, content)
        last_modified = given.pop("lastModified", None) or self._tick()
        siblings = given.pop("siblings", None)
        names = None
        if isinstance(siblings, list):
            names = [s["rfilename"] for s in siblings if isinstance(s, dict) and "rfilename" in s]
        namespace = repo_id.split("/")[0] if "/" in repo_id else None
        base: dict[str, Any] = {
            "_id": hashlib.sha1(f"{kind}:{repo_id}".encode()).hexdigest()[:24],
            "id": repo_id,
            "author": namespace,
            "private": private,
            "gated": gated,
            "disabled": False,
            "downloads": 0,
            "likes": 0,
            "tags": [],
            "createdAt": "2022-03-02T23:29:04.000Z",
        }
        if kind == "model":
            base["modelId"] = repo_id
        repo = FakeRepo(
            kind,
            repo_id,
            {**base, **given, **({"private": True} if private else {})},
            content,
            sha,
            last_modified,
            names,
            {sha: dict(content)},
            set(readers),
        )
        if gated:
            repo.info["gated"] = gated
        self.repos[(kind, repo_id)] = repo
        return repo

    def update(self, repo_id: str, files: dict[str, bytes | str], *, kind: str = "model") -> str:
        """Commit new file contents: a new sha and lastModified; old revisions stay readable."""
        repo = self.repos[(kind, repo_id)]
        repo.files = {**repo.files, **{path: _bytes(data) for path, data in files.items()}}
        repo.sha = _commit(repo.sha, repo.files)
        repo.last_modified = self._tick()
        repo.history[repo.sha] = dict(repo.files)
        if repo.siblings is not None:
            repo.siblings = sorted(set(repo.siblings) | set(files))
        return repo.sha

    def rename(self, old: str, new: str, *, kind: str = "model") -> None:
        """``old`` now redirects (307) to ``new``, as the Hub does after a repository move."""
        self.renames[(kind, old)] = new

    def _tick(self) -> str:
        with self._lock:
            self._clock += 60
            moment = self._clock
        return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(moment))

    # -- fault knobs -------------------------------------------------------------------------

    def fail_next(self, path: str, *replies: Reply) -> None:
        """Answer the next requests to ``path`` with these canned replies."""
        self.server.fail_next(path, *replies)

    def rate_limit_next(self, path: str, seconds: int, *, retry_after: bool = True) -> None:
        """The next request to ``path`` gets a 429, as the Hub sends it: ``RateLimit`` with
        ``r=0;t=seconds`` and, when ``retry_after``, ``Retry-After: seconds``."""
        headers = {
            "Content-Type": "application/json",
            "RateLimit": f'"api";r=0;t={seconds}',
            "RateLimit-Policy": RATE_HEADERS["RateLimit-Policy"],
        }
        if retry_after:
            headers["Retry-After"] = str(seconds)
        body = b'{"error":"You have exceeded our rate limit. Retry later."}'
        self.server.fail_next(path, Reply(429, body, headers))

    def slow_next(self, path: str, seconds: float) -> None:
        """The next answer for ``path`` is the real one, ``seconds`` late."""
        self._transform(path, lambda reply: replace(reply, delay=reply.delay + seconds))

    def truncate_next(self, path: str) -> None:
        """The next answer for ``path`` declares its full length but sends half, then closes."""

        def cut(reply: Reply) -> Reply:
            return replace(
                reply, body=reply.body[: len(reply.body) // 2], content_length=len(reply.body)
            )

        self._transform(path, cut)

    def hold_after(self, count: int) -> None:
        """Answer ``count`` more requests, then block every later one until :meth:`release`."""
        with self._lock:
            self._hold_after = self._seen + count
            self._released.clear()

    def release(self) -> None:
        self._released.set()

    def _transform(self, path: str, change: Callable[[Reply], Reply]) -> None:
        with self._lock:
            self._transforms.setdefault(path, []).append(change)

    # -- serving -----------------------------------------------------------------------------

    def _handle(self, request: Request) -> Reply:
        with self._lock:
            self._seen += 1
            held = self._hold_after is not None and self._seen > self._hold_after
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
            queued = self._transforms.get(request.path)
            change = queued.pop(0) if queued else None
        try:
            if held:
                self._released.wait(timeout=60)
            reply = self._route(request)
            if change is not None:
                reply = change(reply)
            if reply.delay or self.delay:
                time.sleep(reply.delay + self.delay)  # inside the handler: counted as in flight
            return replace(reply, delay=0.0)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _route(self, request: Request) -> Reply:
        segments = [unquote(s) for s in request.path.strip("/").split("/")]
        token = _bearer(request)
        if request.method not in {"GET", "HEAD"}:
            return _error(405, None, "Method not allowed")
        if segments[:1] == ["api"] and len(segments) >= 2 and segments[1] in ("models", "datasets"):
            kind = "model" if segments[1] == "models" else "dataset"
            if len(segments) == 2:
                return self._listing(kind, request, token)
            return self._api_info(kind, segments[2:], request, token)
        kind = "model"
        if segments[:1] == ["datasets"]:
            kind, segments = "dataset", segments[1:]
        for at in (2, 1):
            if len(segments) > at + 2 and segments[at] == "resolve":
                repo_id = "/".join(segments[:at])
                return self._file(
                    kind, repo_id, segments[at + 1], "/".join(segments[at + 2 :]), request, token
                )
        return _error(404, None, "Sorry, we can't find the page you are looking for.")

    def _listing(self, kind: str, request: Request, token: str | None) -> Reply:
        params = parse_qsl(request.query, keep_blank_values=True)
        values: dict[str, list[str]] = {}
        for key, value in params:
            values.setdefault(key.removesuffix("[]"), []).append(value)

        def one(key: str) -> str | None:
            return values[key][-1] if key in values else None

        expand = values.get("expand", [])
        full = (one("full") or "").lower() in {"true", "1"}
        unknown = sorted(set(expand) - EXPANDABLE[kind])
        if unknown:
            return _error(
                400, None, f'"expand" must be one of {sorted(EXPANDABLE[kind])}, got {unknown}'
            )
        try:
            size = min(int(one("limit") or self.page_size), MAX_PAGE_SIZE)
            offset = _cursor_offset(one("cursor"))
        except (ValueError, KeyError, TypeError):
            return _error(400, None, "Invalid limit or cursor")
        repos = [repo for repo in self._visible(kind, token) if _matches(repo, values)]
        sort = one("sort")
        if sort:
            descending = (one("direction") or "-1") == "-1"
            present = [r for r in repos if r.full_info().get(sort) is not None]
            absent = [r for r in repos if r.full_info().get(sort) is None]
            present.sort(key=lambda r: r.full_info()[sort], reverse=descending)
            repos = present + absent
        page = repos[offset : offset + max(size, 1)]
        body = [_project(repo, expand, full, DEFAULT_FIELDS[kind]) for repo in page]
        headers = {"Content-Type": "application/json; charset=utf-8", **RATE_HEADERS}
        if offset + len(page) < len(repos):
            cursor = base64.urlsafe_b64encode(json.dumps({"offset": offset + len(page)}).encode())
            kept = [(k, v) for k, v in params if k != "cursor"] + [("cursor", cursor.decode())]
            headers["Link"] = f'<{self.url}{request.path}?{urlencode(kept)}>; rel="next"'
        return Reply(200, json.dumps(body).encode(), headers)

    def _visible(self, kind: str, token: str | None) -> list[FakeRepo]:
        return [
            repo
            for (repo_kind, _), repo in self.repos.items()
            if repo_kind == kind and (not repo.private or token in self.tokens | repo.readers)
        ]

    def _api_info(self, kind: str, rest: list[str], request: Request, token: str | None) -> Reply:
        revision = None
        if len(rest) >= 3 and rest[-2] == "revision":
            revision, rest = rest[-1], rest[:-2]
        repo_id = "/".join(rest)
        if (kind, repo_id) in self.renames:
            new = self.renames[(kind, repo_id)]
            location = request.path.replace(quote(repo_id, safe="/"), quote(new, safe="/"), 1)
            return _redirect(location + (f"?{request.query}" if request.query else ""))
        repo = self.repos.get((kind, repo_id))
        if repo is None or (repo.private and token not in self.tokens | repo.readers):
            return _not_found(token)
        if revision is not None and revision not in ("main", *repo.history):
            return _error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
        values = parse_qsl(request.query)
        expand = [v for k, v in values if k.removesuffix("[]") == "expand"]
        unknown = sorted(set(expand) - EXPANDABLE[kind])
        if unknown:
            return _error(
                400, None, f'"expand" must be one of {sorted(EXPANDABLE[kind])}, got {unknown}'
            )
        body = _project(repo, expand, True, [])
        headers = {"Content-Type": "application/json; charset=utf-8", **RATE_HEADERS}
        return Reply(200, json.dumps(body).encode(), headers)

    def _file(
        self, kind: str, repo_id: str, revision: str, path: str, request: Request, token: str | None
    ) -> Reply:
        if (kind, repo_id) in self.renames:
            new = self.renames[(kind, repo_id)]
            prefix = "/datasets" if kind == "dataset" else ""
            return _redirect(
                f"{prefix}/{quote(new, safe='/')}/resolve/{quote(revision, safe='')}/{quote(path)}"
            )
        repo = self.repos.get((kind, repo_id))
        if repo is None:
            return _not_found(token)
        if repo.private and token not in repo.readers:
            return _not_found(token)
        if repo.gated and token not in repo.readers:
            noun = ROUTE[kind][:-1]
            if token is None:
                message = (
                    f"Access to {noun} {repo_id} is restricted. You must have access to it and "
                    "be authenticated to access it. Please log in."
                )
                return _error(401, "GatedRepo", message)
            message = (
                f"Access to {noun} {repo_id} is restricted and you are not in the authorized "
                f"list. Visit https://huggingface.co/{repo_id} to ask for access."
            )
            return _error(403, "GatedRepo", message)
        if revision == "main":
            files, commit = repo.files, repo.sha
        elif revision in repo.history:
            files, commit = repo.history[revision], revision
        else:
            return _error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
        if path not in files:
            return _error(404, "EntryNotFound", "Entry not found")
        content = files[path]
        blob = hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()
        headers = {
            "Content-Type": "application/json"
            if path.endswith(".json")
            else "text/plain; charset=utf-8",
            "ETag": f'"{blob}"',
            "X-Repo-Commit": commit,
            "Accept-Ranges": "bytes",
            "RateLimit": '"resolvers";r=2999;t=300',
            "RateLimit-Policy": '"fixed window";"resolvers";q=3000;w=300',
        }
        return Reply(200, content, headers)


# -- helpers ---------------------------------------------------------------------------------


def _bytes(data: bytes | str) -> bytes:
    return data if isinstance(data, bytes) else data.encode("utf-8")


def _commit(seed: str, files: dict[str, bytes]) -> str:
    digest = hashlib.sha1(seed.encode())
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + files[path])
    return digest.hexdigest()


def _cursor_offset(cursor: str | None) -> int:
    """Where a page starts: the cursor is opaque to clients (base64 JSON, as on the Hub)."""
    if not cursor:
        return 0
    return int(json.loads(base64.urlsafe_b64decode(cursor.encode()))["offset"])


def _bearer(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    return value[len("Bearer ") :] if value.startswith("Bearer ") else None


def _matches(repo: FakeRepo, values: dict[str, list[str]]) -> bool:
    info = repo.full_info()
    if "search" in values and values["search"][-1].casefold() not in repo.repo_id.casefold():
        return False
    if "author" in values:
        namespace = repo.repo_id.split("/")[0] if "/" in repo.repo_id else ""
        if namespace.casefold() != values["author"][-1].casefold():
            return False
    tags = set(info.get("tags") or [])
    if any(tag not in tags for tag in values.get("filter", [])):
        return False
    return "pipeline_tag" not in values or info.get("pipeline_tag") == values["pipeline_tag"][-1]


def _project(repo: FakeRepo, expand: list[str], full: bool, default: list[str]) -> dict[str, Any]:
    info = repo.full_info()
    if expand:
        keys = ["_id", "id", *expand]
    elif full:
        return info
    else:
        keys = default
    return {key: info[key] for key in keys if key in info}


def _error(status: int, code: str | None, message: str) -> Reply:
    headers = {"Content-Type": "application/json; charset=utf-8", "X-Error-Message": message}
    if code:
        headers["X-Error-Code"] = code
    return Reply(status, json.dumps({"error": message}).encode(), headers)


def _not_found(token: str | None) -> Reply:
    # Without a token the Hub answers 401 for missing and private repositories alike.
    message = "Repository not found"
    return _error(404 if token else 401, "RepoNotFound", message)


def _redirect(location: str) -> Reply:
    body = f"Temporary Redirect. Redirecting to {location}".encode()
    return Reply(307, body, {"Location": location, "Content-Type": "text/plain; charset=utf-8"})


# -- the snapshot hub ------------------------------------------------------------------------

HF_SNAPSHOT = Path("zoo-snapshots/huggingface")
#: A handful of real cards from the cs577 corpus, dirty ones included (SELECTION.json says why).
SNAPSHOT_CARDS = (
    "_noArch/bullmount_it_nerIta_trf_README.md",  # dirty: YAML error
    "_train/Doogie_Waynehills-STT-doogie-server_README.md",  # dirty: model-index is a dict
    "_noArch/pere_nb-nn-dev_README.md",  # dirty: language type
    "_noArch/DrishtiSharma_wav2vec2-large-xls-r-300m-as-with-LM-v2_README.md",  # model-index+hp
    "_noArch/nateraw_resnet50-beans-dummy-sagemaker_README.md",  # model-index + hyperparameters
    "_noArch/0-hero_led-large-legal-summary_README.md",  # dirty: odd key
)
#: The real ``gpt2`` response has the same sha as ``openai-community/gpt2``: the Hub moved it.
SNAPSHOT_RENAMES = {"gpt2": "openai-community/gpt2"}
EVAL_RESULTS = """\
- dataset:
    id: Idavidrein/gpqa
    task_id: gpqa_diamond
  value: 0.412
"""


def snapshot_responses(shared_dir: Path) -> dict[str, dict[str, Any]]:
    """The newest full API response per model id in the snapshot (``expand``-only ones, which
    carry no ``sha``, are left out)."""
    folder = shared_dir / HF_SNAPSHOT / "api-responses"
    newest: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*/models/*.json")):
        info = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(info, dict) or not info.get("sha"):
            continue
        known = newest.get(info["id"])
        if known is None or info.get("lastModified", "") > known.get("lastModified", ""):
            newest[info["id"]] = info
    return newest


def synthetic_card(info: dict[str, Any]) -> str:
    """A card for a snapshot repository whose README is not in the snapshot: its front matter
    is the API's ``cardData``, the body says so."""
    front = yaml.safe_dump(info.get("cardData") or {}, sort_keys=False, allow_unicode=True)
    return (
        f"---\n{front}---\n\n# {info['id']}\n\n"
        "The real card is not in the snapshot: this front matter is the API's cardData.\n"
    )


def snapshot_hub(shared_dir: Path, **options: Any) -> FakeHub:
    """A fake Hub holding the snapshot's real model API responses (cards rebuilt from
    ``cardData``, ``config.json`` from the API's ``config``; gated ones stay gated), the real
    cards of :data:`SNAPSHOT_CARDS`, the real ``gpt2`` → ``openai-community/gpt2`` rename, and
    hand-written repositories for what the snapshot lacks (eval results, a private model,
    datasets with a real dataset card from huggingface_hub's fixtures)."""
    hub = FakeHub(tokens={"member-token"}, **options)
    for repo_id, info in sorted(snapshot_responses(shared_dir).items()):
        if repo_id in SNAPSHOT_RENAMES:
            continue
        listed = {s.get("rfilename") for s in info.get("siblings") or []}
        files: dict[str, bytes | str] = {}
        if "README.md" in listed:
            files["README.md"] = synthetic_card(info)
        if "config.json" in listed and isinstance(info.get("config"), dict):
            files["config.json"] = json.dumps(info["config"], indent=2)
        hub.add_model(repo_id, info=info, files=files, readers={"granted-token"})
    for old, new in SNAPSHOT_RENAMES.items():
        hub.rename(old, new)
    cards = shared_dir / HF_SNAPSHOT / "model-cards-cs577" / "project" / "model_cards"
    for name in SNAPSHOT_CARDS:
        path = cards / name
        repo_id = path.name.removesuffix("_README.md").replace("_", "/", 1)  # org_name_README.md
        hub.add_model(repo_id, files={"README.md": path.read_bytes()})
    hub.add_model(
        "mlkg-test/with-eval-results",
        info={
            "pipeline_tag": "text-generation",
            "library_name": "transformers",
            "tags": ["transformers", "text-generation"],
        },
        files={
            "README.md": "---\nlicense: mit\n---\n# With eval results\n",
            "config.json": '{"model_type": "llama", "architectures": ["LlamaForCausalLM"]}',
            ".eval_results/gpqa.yaml": EVAL_RESULTS,
        },
    )
    hub.add_model(
        "mlkg-test/private-model",
        private=True,
        readers={"reader-token"},
        files={"README.md": "---\nlicense: other\n---\n# Private\n"},
    )
    fixture = shared_dir / HF_SNAPSHOT / "huggingface_hub/tests/fixtures/cards"
    hub.add_dataset(
        "mlkg-test/sample-segmentation",
        info={"tags": ["task_categories:image-segmentation", "language:en"]},
        files={"README.md": (fixture / "sample_datasetcard_simple.md").read_bytes()},
    )
    hub.add_dataset(
        "mlkg-test/no-card",
        info={"tags": ["task_categories:text-classification"]},
        files={"data/train.csv": "text,label\nhello,1\n"},
    )
    return hub


def crawl_only_source() -> Any:
    """A :class:`crawlers.Source` over the real Hugging Face crawl with a do-nothing mapper, for
    pipeline tests of the crawl stage that must not depend on the mapping."""
    from crawlers import Source
    from crawlers.huggingface.fetch import DEFAULT_ENDPOINT, crawl
    from mlkg.records import MappedRecord

    def map_record(record: Any, iris: Any) -> MappedRecord:
        return MappedRecord(record.source, record.id, iris.record_graph(record.source, record.id))

    return Source(
        name="huggingface",
        hub="huggingface",
        version="huggingface/crawl-only-test",
        default_location=DEFAULT_ENDPOINT,
        description="the Hugging Face crawl with a do-nothing mapper (tests)",
        crawl=crawl,
        map_record=map_record,
    )
