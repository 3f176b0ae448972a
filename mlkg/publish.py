"""What happens around a load besides the store itself: derived indexes and what readers see.

:class:`Publisher` is told, as a load goes, which record graphs were written or removed, and when
the run finished. It keeps the side indexes in step with the store (the full-text search index)
and makes the new state visible to readers (a read-only snapshot for the SPARQL server), so a
running build never blocks queries or shows them a half-loaded record.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence

from pyoxigraph import NamedNode

from mlkg import search
from mlkg.config import Settings
from mlkg.records import MappedRecord
from mlkg.store import EmbeddedStore

logger = logging.getLogger(__name__)


class Publisher:
    """Side effects of one load run, called by :class:`mlkg.loading.LoadSession`."""

    def __init__(self, settings: Settings):
        self.settings = settings
        #: Whether the vocabularies were checked in the search index this run (once is enough).
        self._vocabulary_checked = False

    def loaded(self, records: Sequence[MappedRecord]) -> None:
        """Record graphs just written (new or replaced), one chunk at a time.

        Replaces their rows in the search index in one transaction. An index failure is logged
        and flags the index stale (``mlkg reindex`` repairs it) instead of failing the load:
        the store is the source of truth, the index only a view of it.
        """
        if not records:
            return
        try:
            search.index_records(
                self.settings, records, check_vocabulary=not self._vocabulary_checked
            )
            self._vocabulary_checked = True
        except (sqlite3.Error, OSError) as exc:
            logger.warning("search index not updated (%s); run `mlkg reindex`", exc)
            search.mark_stale(self.settings)

    def removed(self, graphs: Sequence[NamedNode]) -> None:
        """Record graphs just dropped (their record left the source): drop their search rows."""
        try:
            search.remove_graphs(self.settings, graphs)
        except (sqlite3.Error, OSError) as exc:
            logger.warning("search index not updated (%s); run `mlkg reindex`", exc)
            search.mark_stale(self.settings)

    def finished(self, store: EmbeddedStore, *, changed: bool) -> None:
        """The run is complete and consistent; ``changed`` says whether it wrote anything.

        Publishes a read-only snapshot for the SPARQL server (see :mod:`mlkg.snapshots`) when the
        run wrote something, or when no snapshot exists yet.
        """
        from mlkg.snapshots import current_snapshot, publish_snapshot

        if changed or current_snapshot(self.settings) is None:
            publish_snapshot(self.settings, store)
