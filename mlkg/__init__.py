"""mlkg: a knowledge graph of public machine-learning model zoos.

``mlkg.open(path_or_url)`` opens a graph for Python use (see :mod:`mlkg.api`). The API is loaded
on first use, so ``import mlkg`` (and the ``mlkg`` command) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Names served lazily from :mod:`mlkg.api`. ``open`` shadows the builtin inside this package's
#: namespace only (``mlkg.open``); no module of the package imports it unqualified.
_API_NAMES = (
    "IRI",
    "Evaluation",
    "Graph",
    "LineageEdge",
    "Model",
    "ModelNotFoundError",
    "TrainingConfiguration",
    "ValidationReport",
    "ValidationResult",
    "open",
)

__all__ = ["__version__", *_API_NAMES]

if TYPE_CHECKING:  # pragma: no cover
    from mlkg.api import (  # noqa: F401
        IRI,
        Evaluation,
        Graph,
        LineageEdge,
        Model,
        ModelNotFoundError,
        TrainingConfiguration,
        ValidationReport,
        ValidationResult,
        open,
    )


def __getattr__(name: str) -> Any:
    if name in _API_NAMES:
        from mlkg import api

        return getattr(api, name)
    raise AttributeError(f"module 'mlkg' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_API_NAMES])
