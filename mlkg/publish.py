"""What happens around a load besides the store itself: derived indexes and what readers see.

:class:`Publisher` is told, as a load goes, which record graphs were written or removed, and when
the run finished. It keeps the side indexes in step with the store (the full-text search index)
and makes the new state visible to readers (a read-only snapshot for the SPARQL server), so a
running build never blocks queries or shows them a half-loaded record.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyoxigraph import NamedNode

from mlkg.config import Settings
from mlkg.records import MappedRecord
from mlkg.store import EmbeddedStore


class Publisher:
    """Side effects of one load run, called by :class:`mlkg.loading.LoadSession`."""

    def __init__(self, settings: Settings):
        self.settings = settings

    def loaded(self, records: Sequence[MappedRecord]) -> None:
        """Record graphs just written (new or replaced), one chunk at a time."""

    def removed(self, graphs: Sequence[NamedNode]) -> None:
        """Record graphs just dropped (their record left the source)."""

    def finished(self, store: EmbeddedStore, *, changed: bool) -> None:
        """The run is complete and consistent; ``changed`` says whether it wrote anything."""
