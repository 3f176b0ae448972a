"""Settings, resolved once per command: option > environment > default.

Nothing here reads the environment at import time: :func:`resolve_settings` does, when a command
starts, and the frozen :class:`Settings` is passed down.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

import platformdirs

from mlkg.errors import ConfigurationError
from mlkg.iris import DEFAULT_BASE_IRI, Iris

#: (name, environment variable, help). The table the docs and tests check against.
SETTINGS: tuple[tuple[str, str, str], ...] = (
    (
        "data_dir",
        "MLKG_DATA_DIR",
        "Folder holding the store, raw records, quarantine and reports. "
        "Default: the per-user data directory (e.g. ~/.local/share/mlkg).",
    ),
    (
        "base_iri",
        "MLKG_BASE_IRI",
        f"Base of every resource IRI. Default: {DEFAULT_BASE_IRI}. A store keeps the base it was "
        "built with and refuses another.",
    ),
    ("debug", "MLKG_DEBUG", "Show tracebacks instead of one-line errors (1/true/yes/on)."),
    (
        "build_workers",
        "MLKG_BUILD_WORKERS",
        "Processes that map and validate records while a build loads (`mlkg build --workers`). "
        "Default: the number of CPUs minus one, at most 3; 0 maps in the loading process.",
    ),
    (
        "update_token",
        "MLKG_UPDATE_TOKEN",
        "Enables SPARQL Update and the Graph Store Protocol on `mlkg serve`, for requests carrying "
        "`Authorization: Bearer <token>`. Default: unset, the server is read-only.",
    ),
    (
        "store_url",
        "MLKG_STORE_URL",
        "SPARQL query endpoint of an external store (e.g. `http://127.0.0.1:7878/query` for "
        "`oxigraph serve`, `http://127.0.0.1:8890/sparql` for Virtuoso). When set, every command "
        "reads and writes that store instead of the embedded one; the data directory still holds "
        "raw records, quarantine and the search index. See docs/external-store.md.",
    ),
    (
        "store_update_url",
        "MLKG_STORE_UPDATE_URL",
        "SPARQL Update endpoint of the external store. Default: MLKG_STORE_URL.",
    ),
    (
        "store_gsp_url",
        "MLKG_STORE_GSP_URL",
        "Graph Store Protocol endpoint of the external store (e.g. `http://127.0.0.1:7878/store`); "
        "record graphs are written with one PUT each. Default: unset, graphs are written with "
        "SPARQL Update (DROP + INSERT DATA in one request).",
    ),
    (
        "store_user",
        "MLKG_STORE_USER",
        "User name for the external store's HTTP authentication. Default: none.",
    ),
    (
        "store_password",
        "MLKG_STORE_PASSWORD",
        "Password for the external store's HTTP authentication (never logged). Default: none.",
    ),
    (
        "store_auth",
        "MLKG_STORE_AUTH",
        "HTTP authentication scheme for the external store: `basic` or `digest` (Virtuoso's "
        "`/sparql-auth`). Default: basic.",
    ),
    (
        "store_default_graph",
        "MLKG_STORE_DEFAULT_GRAPH",
        "What the external store's default graph is: `union` (the union of all named graphs, as in "
        "Virtuoso, GraphDB or `oxigraph serve --union-default-graph`: queries go as they are) or "
        "`named` (only the real default graph: mlkg sends every named graph as the query's "
        "dataset, correct on any store but slower on big ones). Default: named.",
    ),
    (
        "store_bulk",
        "MLKG_STORE_BULK",
        "How new record graphs are sent to the external store: `graph` (one Graph Store PUT per "
        "graph) or `dataset` (one N-Quads POST per batch to the Graph Store URL without "
        "`?graph`, as Oxigraph and Fuseki accept). Default: graph.",
    ),
    (
        "store_max_rows",
        "MLKG_STORE_MAX_ROWS",
        "The external store's own cap on result rows (Virtuoso's `ResultSetMaxRows`). A result "
        "with that many rows may have been cut silently, so mlkg refuses it with an error. "
        "Default: none (only truncation the store reports in its headers is detected).",
    ),
    (
        "store_timeout",
        "MLKG_STORE_TIMEOUT",
        "Seconds to wait for the external store to answer one request. Default: 300.",
    ),
)

#: The names of the external-store settings (all ``store_*``).
STORE_SETTINGS: tuple[str, ...] = tuple(n for n, _, _ in SETTINGS if n.startswith("store_"))
DEFAULT_GRAPH_MODES = ("union", "named")
BULK_MODES = ("graph", "dataset")
AUTH_SCHEMES = ("basic", "digest")


def is_true(value: str | None) -> bool:
    """Parse a boolean environment value: 1, true, yes, on (any case) are true."""
    return value is not None and value.strip().lower() in {"1", "true", "yes", "on"}


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("mlkg", appauthor=False))


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    base_iri: str = DEFAULT_BASE_IRI
    debug: bool = False
    #: Kept out of ``repr`` so a logged Settings never shows the secret.
    update_token: str | None = field(default=None, repr=False)
    #: Mapping processes of a build (see :mod:`mlkg.workers`); None: one per spare CPU.
    build_workers: int | None = None
    #: External SPARQL store (see :mod:`mlkg.remote_store`); None: the embedded store.
    store_url: str | None = None
    store_update_url: str | None = None
    store_gsp_url: str | None = None
    store_user: str | None = None
    store_password: str | None = field(default=None, repr=False)
    store_auth: str = "basic"
    store_default_graph: str = "named"
    store_bulk: str = "graph"
    store_max_rows: int | None = None
    store_timeout: float = 300.0

    @property
    def remote(self) -> bool:
        """Whether an external SPARQL store is configured (``MLKG_STORE_URL``)."""
        return bool(self.store_url)

    @property
    def workers(self) -> int:
        """How many mapping processes a build starts."""
        from mlkg.workers import default_workers

        return default_workers() if self.build_workers is None else self.build_workers

    @property
    def iris(self) -> Iris:
        return Iris(self.base_iri)

    @property
    def store_path(self) -> Path:
        return self.data_dir / "store"

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"


def resolve_settings(environ: Mapping[str, str] | None = None, **options: object) -> Settings:
    """Build :class:`Settings` from explicit options, then ``environ``, then defaults."""
    env = os.environ if environ is None else environ
    names = {f.name for f in fields(Settings)}
    unknown = set(options) - names
    if unknown:
        raise ConfigurationError(f"unknown settings: {', '.join(sorted(unknown))}")
    data_dir = options.get("data_dir") or env.get("MLKG_DATA_DIR") or default_data_dir()
    base_iri = options.get("base_iri") or env.get("MLKG_BASE_IRI") or DEFAULT_BASE_IRI
    debug = bool(options.get("debug")) or is_true(env.get("MLKG_DEBUG"))
    update_token = options.get("update_token") or env.get("MLKG_UPDATE_TOKEN") or None
    build_workers = _build_workers(options.get("build_workers"), env.get("MLKG_BUILD_WORKERS"))
    try:
        Iris(str(base_iri))
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from exc
    return Settings(
        data_dir=Path(str(data_dir)).expanduser(),
        base_iri=str(base_iri),
        debug=debug,
        update_token=str(update_token) if update_token else None,
        build_workers=build_workers,
        **_store_settings(env, options),
    )


def _build_workers(option: object, variable: str | None) -> int | None:
    """``build_workers`` from the option, else ``MLKG_BUILD_WORKERS``; None: the default."""
    value = option if option is not None else (variable or "").strip() or None
    if value is None:
        return None
    try:
        workers = int(str(value))
    except ValueError:
        workers = -1
    if workers < 0:
        raise ConfigurationError(f"MLKG_BUILD_WORKERS={value!r}: expected 0 or more processes")
    return workers


def _store_settings(env: Mapping[str, str], options: Mapping[str, object]) -> dict[str, object]:
    """The ``store_*`` settings, option > environment > default, checked."""
    variables = {name: variable for name, variable, _ in SETTINGS}
    raw: dict[str, str] = {}
    for name in STORE_SETTINGS:
        value = options.get(name)
        if value is None or value == "":
            value = env.get(variables[name]) or None
        if value is not None:
            raw[name] = str(value).strip()
    values: dict[str, object] = dict(raw)
    for name, allowed in (
        ("store_auth", AUTH_SCHEMES),
        ("store_default_graph", DEFAULT_GRAPH_MODES),
        ("store_bulk", BULK_MODES),
    ):
        if name in raw:
            values[name] = raw[name].lower()
            if values[name] not in allowed:
                raise ConfigurationError(
                    f"{variables[name]}={raw[name]!r}: expected one of {', '.join(allowed)}"
                )
    for name, parse in (("store_max_rows", int), ("store_timeout", float)):
        if name in raw:
            try:
                values[name] = parse(raw[name])
            except ValueError as exc:
                raise ConfigurationError(f"{variables[name]}={raw[name]!r}: {exc}") from exc
            if values[name] <= 0:  # type: ignore[operator]
                raise ConfigurationError(f"{variables[name]} must be positive, got {raw[name]}")
    for name in ("store_url", "store_update_url", "store_gsp_url"):
        if name in raw and not raw[name].startswith(("http://", "https://")):
            raise ConfigurationError(f"{variables[name]}={raw[name]!r} is not an http(s) URL")
    if not raw.get("store_url") and any(n in raw for n in ("store_update_url", "store_gsp_url")):
        raise ConfigurationError(
            "MLKG_STORE_UPDATE_URL / MLKG_STORE_GSP_URL need MLKG_STORE_URL (the query endpoint)"
        )
    return values
