"""The raw-record shape both Hugging Face crawls (Hub API and local folder) produce.

One place builds ``data`` (see the contract in :mod:`crawlers.huggingface`), decodes card bytes
and parses ``config.json``, so an online and an offline crawl of the same repository give the
same record. Nothing here does I/O.
"""

from __future__ import annotations

import codecs
import json
import re
from datetime import UTC, datetime
from typing import Any

from mlkg.records import RawRecord

SOURCE = "huggingface"

#: The most bytes read from one card, config or eval-results file; the rest is dropped and the
#: record flagged ``too-large``. Real cards are under 100 kB; 5 MB bounds memory per worker.
MAX_FILE_BYTES = 5 * 1024 * 1024

#: The folder prefix of each kind in record ids, Hub URLs and the listing route.
KINDS: dict[str, str] = {"model": "models", "dataset": "datasets"}

STATUSES = ("ok", "gated", "private", "missing", "error")

# One or two segments of letters, digits and ``-_.``; no ``..`` segment. Laxer than
# huggingface_hub's validate_repo_id (which also refuses ``--`` and long names, both present on
# legacy repositories) but enough to keep a hostile listing from steering a URL or a cache path.
_REPO_ID = re.compile(r"^(?:[A-Za-z0-9_.-]{1,96}/)?[A-Za-z0-9_.-]{1,96}$")


def record_id(kind: str, repo_id: str) -> str:
    """``models/<repo id>`` or ``datasets/<repo id>``.

    >>> record_id("model", "google/flan-t5-base")
    'models/google/flan-t5-base'
    """
    return f"{KINDS[kind]}/{repo_id}"


def repo_id_problem(repo_id: object) -> str | None:
    """Why ``repo_id`` cannot name a repository, or ``None`` when it can.

    >>> repo_id_problem("gpt2") is None and repo_id_problem("org/name.v1_x-2") is None
    True
    >>> repo_id_problem("a/b/c")
    "repo id 'a/b/c' is not 'name' or 'namespace/name'"
    >>> repo_id_problem("org/..")
    "repo id 'org/..' has a '.' or '..' segment"
    """
    if not isinstance(repo_id, str) or not _REPO_ID.match(repo_id):
        return f"repo id {repo_id!r} is not 'name' or 'namespace/name'"
    if any(part in {".", ".."} for part in repo_id.split("/")):
        return f"repo id {repo_id!r} has a '.' or '..' segment"
    return None


def new_data(
    kind: str,
    repo_id: str,
    *,
    info: dict[str, Any] | None = None,
    card: str | None = None,
    config: Any = None,
    eval_results: dict[str, str] | None = None,
    status: str = "ok",
    status_detail: str | None = None,
    flags: list[str] | tuple[str, ...] = (),
) -> dict[str, Any]:
    """The ``data`` of one raw record, every contract key present (``None`` when unknown)."""
    assert status in STATUSES, status
    return {
        "kind": kind,
        "repo_id": repo_id,
        "info": info,
        "card": card,
        "config": config,
        "eval_results": eval_results,
        "status": status,
        "status_detail": status_detail,
        "flags": sorted(set(flags)),
    }


def new_record(data: dict[str, Any], location: str) -> RawRecord:
    return RawRecord(SOURCE, record_id(data["kind"], data["repo_id"]), data, location, now_iso())


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def decode_text(content: bytes, size: int) -> tuple[str | None, list[str]]:
    """Text of a card or YAML file and its flags: ``too-large`` (only the first
    :data:`MAX_FILE_BYTES` kept), ``binary`` (NUL bytes or mostly not UTF-8: no text),
    ``invalid-utf8`` (a few bad sequences, replaced by U+FFFD).

    >>> decode_text(b"---\\nlicense: mit\\n---\\n", 20)
    ('---\\nlicense: mit\\n---\\n', [])
    >>> decode_text(b"\\x89PNG\\x00\\x00", 6)
    (None, ['binary'])
    >>> decode_text("café".encode()[:-1] + b"\\xff ok", 9)
    ('caf\\ufffd\\ufffd ok', ['invalid-utf8'])
    """
    flags: list[str] = []
    truncated = size > MAX_FILE_BYTES or len(content) > MAX_FILE_BYTES
    if truncated:
        flags.append("too-large")
        content = content[:MAX_FILE_BYTES]
    if b"\x00" in content:
        return None, [*flags, "binary"]
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    # A cut at the cap may split a character: not final, so that is not counted as invalid.
    text = decoder.decode(content, final=not truncated)
    invalid = text.count("\ufffd") - content.count("\ufffd".encode())
    if invalid > max(16, len(text) // 20):
        return None, [*flags, "binary"]
    if invalid:
        flags.append("invalid-utf8")
    return text, flags


def parse_config(content: bytes, size: int) -> tuple[Any, list[str]]:
    """``config.json`` as JSON data and its flags (``config-too-large``, ``config-invalid``).

    ``NaN`` and ``Infinity`` (Python writes them into some configs) are kept as strings, so the
    raw record stays strict JSON.

    >>> parse_config(b'{"model_type": "bert", "x": NaN}', 32)
    ({'model_type': 'bert', 'x': 'NaN'}, [])
    >>> parse_config(b'{"model_type": ', 15)
    (None, ['config-invalid'])
    """
    if size > MAX_FILE_BYTES or len(content) > MAX_FILE_BYTES:
        return None, ["config-too-large"]
    try:
        return json.loads(content.decode("utf-8"), parse_constant=str), []
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, ["config-invalid"]


def is_eval_results_path(path: object) -> bool:
    """Whether a repository file is one of the ``.eval_results/*.yaml`` evaluation files.

    >>> is_eval_results_path(".eval_results/gpqa.yaml"), is_eval_results_path("eval.yaml")
    (True, False)
    """
    return (
        isinstance(path, str)
        and path.startswith(".eval_results/")
        and path.endswith((".yaml", ".yml"))
        and ".." not in path.split("/")
    )
