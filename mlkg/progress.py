"""Progress bars on stderr that stay silent when asked to (or when stderr is not a terminal)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")


def progress(
    items: Iterable[T],
    *,
    desc: str,
    unit: str = "it",
    enabled: bool = True,
    total: int | None = None,
) -> Iterator[T]:
    """Iterate ``items`` with a tqdm bar on stderr when ``enabled`` and stderr is a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield from items
        return
    yield from tqdm(
        items, desc=desc, unit=unit, total=total, file=sys.stderr, leave=False, dynamic_ncols=True
    )
