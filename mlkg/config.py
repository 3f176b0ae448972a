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
        "update_token",
        "MLKG_UPDATE_TOKEN",
        "Enables SPARQL Update and the Graph Store Protocol on `mlkg serve`, for requests carrying "
        "`Authorization: Bearer <token>`. Default: unset, the server is read-only.",
    ),
)


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
    try:
        Iris(str(base_iri))
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from exc
    return Settings(
        data_dir=Path(str(data_dir)).expanduser(),
        base_iri=str(base_iri),
        debug=debug,
        update_token=str(update_token) if update_token else None,
    )
