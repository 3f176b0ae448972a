"""Paths to the data mlkg ships: ontology/, shapes/ and queries/.

In a repository checkout they sit beside the package; in an installed wheel they are inside it
under ``mlkg/_data/``. Both cases resolve through :func:`data_dir`, so code never needs to know.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

_KINDS = ("ontology", "shapes", "queries")


@cache
def data_dir(kind: str) -> Path:
    """The folder holding ``kind`` (one of ontology, shapes, queries)."""
    if kind not in _KINDS:
        raise ValueError(f"unknown data kind {kind!r}; expected one of {_KINDS}")
    packaged = Path(str(resources.files("mlkg"))) / "_data" / kind
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / kind
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"mlkg is installed without its {kind}/ folder")


def ontology_files() -> list[Path]:
    """The core ontology, alignments and SKOS vocabularies, sorted by path."""
    return sorted(data_dir("ontology").rglob("*.ttl"))


def shape_files() -> list[Path]:
    return sorted(data_dir("shapes").glob("*.ttl"))


def query_files() -> list[Path]:
    return sorted(data_dir("queries").glob("*.rq"))
