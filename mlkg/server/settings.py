"""The server's limits and sizes: one table of named, documented settings with their defaults.

Each setting resolves option > environment > default when ``mlkg serve`` starts (never at import)
and is frozen into :class:`ServerSettings`. ``GET /-/limits`` shows the values in force.

The update token is not here: it is a general setting (``MLKG_UPDATE_TOKEN`` in
:data:`mlkg.config.SETTINGS`) that the server reads from :class:`mlkg.config.Settings`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields

from mlkg.errors import ConfigurationError


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


#: (name, environment variable, default, help). Defaults that depend on the machine are callables.
SERVER_SETTINGS: tuple[tuple[str, str, object, str], ...] = (
    (
        "query_timeout",
        "MLKG_QUERY_TIMEOUT",
        30.0,
        "Seconds a query, update or graph read may run. Past it the worker process running it "
        "is killed and replaced (Oxigraph cannot be interrupted in-thread) and the client gets "
        "503 with an error, never a partial result.",
    ),
    (
        "max_result_rows",
        "MLKG_MAX_RESULT_ROWS",
        100_000,
        "Most solutions (SELECT) or triples (CONSTRUCT/DESCRIBE, graph GET) in one answer. A "
        "longer result is cut there and marked: header `MLKG-Results-Truncated: true` (and "
        '`"truncated": true` in SPARQL JSON results).',
    ),
    (
        "max_request_bytes",
        "MLKG_MAX_REQUEST_BYTES",
        10 * 1024 * 1024,
        "Largest request body (query, update or uploaded graph) in bytes; larger ones get 413.",
    ),
    (
        "workers",
        "MLKG_WORKERS",
        _cpu_count,
        "Query worker processes, each reading the current snapshot; queries beyond this many "
        "wait for a free worker. Default: the number of CPUs.",
    ),
    (
        "queue_timeout",
        "MLKG_QUEUE_TIMEOUT",
        30.0,
        "Seconds a request waits for a free worker before it gets 503 with Retry-After.",
    ),
    (
        "threads",
        "MLKG_SERVER_THREADS",
        8,
        "HTTP threads of the WSGI server (waitress); requests beyond the workers wait in them.",
    ),
)

_PARSERS: dict[str, Callable[[str], object]] = {
    "query_timeout": float,
    "max_result_rows": int,
    "max_request_bytes": int,
    "workers": int,
    "queue_timeout": float,
    "threads": int,
}


@dataclass(frozen=True)
class ServerSettings:
    query_timeout: float = 30.0
    max_result_rows: int = 100_000
    max_request_bytes: int = 10 * 1024 * 1024
    workers: int = 2
    queue_timeout: float = 30.0
    threads: int = 8

    def as_dict(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def resolve_server_settings(
    environ: Mapping[str, str] | None = None, **options: object
) -> ServerSettings:
    """Server settings from explicit options (None = unset), then ``environ``, then defaults.

    >>> resolve_server_settings({"MLKG_QUERY_TIMEOUT": "5"}, workers=3).query_timeout
    5.0
    """
    env = os.environ if environ is None else environ
    known = {name for name, *_ in SERVER_SETTINGS}
    unknown = set(options) - known
    if unknown:
        raise ConfigurationError(f"unknown server settings: {', '.join(sorted(unknown))}")
    values: dict[str, object] = {}
    for name, variable, default, _help in SERVER_SETTINGS:
        value = options.get(name)
        if value is None and env.get(variable):
            try:
                value = _PARSERS[name](env[variable])
            except ValueError as exc:
                raise ConfigurationError(f"{variable}={env[variable]!r}: {exc}") from exc
        if value is None:
            value = default() if callable(default) else default
        if value <= 0:  # type: ignore[operator]
            raise ConfigurationError(f"{name} must be positive, got {value}")
        values[name] = value
    return ServerSettings(**values)  # type: ignore[arg-type]
