"""What one run did: counts and per-stage timings, printed by the CLI, returned to callers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field


@dataclass
class BuildReport:
    """Counts and timings of one run, printed by the CLI and returned to library callers."""

    source: str
    crawled: int = 0
    resumed: int = 0
    unchanged: int = 0
    mapped: int = 0
    warnings: int = 0
    accepted: int = 0
    quarantined: int = 0
    added: int = 0
    replaced: int = 0
    removed: int = 0
    triples_written: int = 0
    unresolved_references: int = 0
    complete: bool = True
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def written(self) -> int:
        return self.added + self.replaced + self.removed

    def as_dict(self) -> dict:
        return {**asdict(self), "written": self.written}


@contextmanager
def timed(report: BuildReport, stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        report.seconds[stage] = report.seconds.get(stage, 0.0) + time.perf_counter() - start
