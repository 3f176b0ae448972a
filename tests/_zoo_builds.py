"""Builds of real snapshots shared by several test modules (each build runs once per session).

The full timm build takes about half a minute; the model-index tests and the cross-zoo identity
tests both need it (the latter next to PyTorch Hub), so it is cached here by its list of
(source, location) pairs rather than rebuilt in each module's fixture.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import cache
from pathlib import Path

from pyoxigraph import Store

from mlkg.config import Settings, resolve_settings
from mlkg.namespaces import sparql_prologue
from mlkg.pipeline import build
from mlkg.records import MappedRecord
from mlkg.report import BuildReport


@cache
def built(sources: tuple[tuple[str, str], ...]) -> tuple[Settings, tuple[BuildReport, ...]]:
    """Settings of a data dir holding ``sources`` built in order, and their build reports."""
    folder = Path(tempfile.mkdtemp(prefix="mlkg-test-build-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    settings = resolve_settings(environ={}, data_dir=folder / "data")
    reports = tuple(build(settings, name, location=location) for name, location in sources)
    return settings, reports


def memory_store(records: list[MappedRecord]) -> Store:
    """An in-memory store holding the records' quads (for mapper tests)."""
    store = Store()
    store.extend(q for record in records for q in record.quads())
    return store


def select(store, query: str) -> list[dict[str, str]]:
    """Rows of a SELECT as {variable: lexical value} over the union of the named graphs."""
    if isinstance(store, Store):
        solutions = store.query(sparql_prologue() + query, use_default_graph_as_union=True)
    else:
        solutions = store.query(query)
    names = [v.value for v in solutions.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in solutions]
