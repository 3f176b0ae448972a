"""Shared fixtures: where ../shared is, a temporary data dir, settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlkg.config import Settings, resolve_settings

REPO = Path(__file__).resolve().parent.parent


def _find_shared() -> Path | None:
    candidates = [os.environ.get("MLKG_SHARED_DIR"), REPO.parent / "shared", Path("/work/shared")]
    for candidate in candidates:
        if candidate and (Path(candidate) / "zoo-snapshots").is_dir():
            return Path(candidate)
    return None


SHARED = _find_shared()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only ../shared folder (real zoo snapshots); skips when it is absent."""
    if SHARED is None:
        pytest.skip("../shared (real zoo snapshots) is not present; set MLKG_SHARED_DIR to use it")
    return SHARED


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings over a fresh, empty data directory."""
    return resolve_settings(environ={}, data_dir=tmp_path / "data")
