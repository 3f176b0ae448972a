"""The zoos mlkg crawls: one module per zoo, registered here.

Each module defines ``SOURCE``, a :class:`Source`: a lazy ``crawl`` generator that does all I/O with
the zoo and yields :class:`~mlkg.records.RawRecord`, and a pure ``map_record`` that turns one raw
record into a :class:`~mlkg.records.MappedRecord`. See ``crawlers/README.md`` to add a zoo.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from mlkg.errors import UnknownSourceError
from mlkg.iris import Iris
from mlkg.records import MappedRecord, RawRecord

#: source name → module. The names are the ``mlkg build SOURCE`` argument.
REGISTRY: dict[str, str] = {
    "tfhub": "crawlers.tfhub",
    "pytorch-hub": "crawlers.pytorch_hub",
    "huggingface": "crawlers.huggingface",
    "openml": "crawlers.openml",
    "timm": "crawlers.model_index",
}


@dataclass(frozen=True)
class Source:
    """A registered zoo.

    ``crawl(location, *, cache_dir, skip=(), limit=None, **options)`` yields raw records lazily:
    ``location`` is a local folder/file or an http(s) URL; ``cache_dir`` a folder the crawler may
    keep downloads in; ``skip`` the ids an interrupted run already wrote (do not fetch them again);
    ``limit`` the most records to yield (stop fetching once reached); ``options`` source-specific
    filters from ``mlkg build SOURCE --option KEY=VALUE`` (a crawler rejects keys it does not
    know with a ``ConfigurationError``).
    ``map_record(record, iris)`` is pure and total: a bad value becomes a warning, a record that
    cannot be mapped at all comes back with ``error`` set.
    """

    name: str
    hub: str
    version: str
    default_location: str
    description: str
    crawl: Callable[..., Iterator[RawRecord]]
    map_record: Callable[[RawRecord, Iris], MappedRecord]


def source_names() -> list[str]:
    return sorted(REGISTRY)


def get_source(name: str) -> Source:
    """The :class:`Source` registered as ``name``; :class:`UnknownSourceError` otherwise."""
    if name not in REGISTRY:
        raise UnknownSourceError(name, source_names())
    return importlib.import_module(REGISTRY[name]).SOURCE
