"""The optimizer over the graph: :func:`optimize` retrieves candidates in SPARQL and solves.

:func:`load_problem` is the retrieval half alone (for callers that solve several times over one
set of candidates, or want to look at them first).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

from mlkg.config import Settings
from mlkg.errors import EmptyZooError, UnknownLabelError
from mlkg.iris import Iris
from mlkg.optimizer.formula import parse_formula
from mlkg.optimizer.plan import Plan
from mlkg.optimizer.problem import Problem
from mlkg.optimizer.retrieve import (
    CandidateFilters,
    Select,
    known_labels,
    label_iris,
    retrieve_problem,
    store_select,
)
from mlkg.optimizer.solve import DEFAULT_NODE_LIMIT, solve


def load_problem(
    select: Select,
    formula: str,
    *,
    iris: Iris | None = None,
    metric: str = "ap",
    filters: CandidateFilters | None = None,
    order: bool = False,
) -> Problem:
    """Parse ``formula`` and build its :class:`Problem` from the graph behind ``select``.

    Raises FormulaSyntaxError, UnknownLabelError (with close label names), EmptyZooError,
    MissingSelectivityError (``order=True``) and OptimizerError (ambiguous dataset).
    """
    parsed = parse_formula(formula)
    iris = iris or Iris()
    found = label_iris(select, parsed.labels)
    missing = [label for label in parsed.labels if label not in found]
    if missing:
        known = known_labels(select)
        if not known:
            raise EmptyZooError(
                "the graph has no per-label evaluations: import a profiled zoo first "
                "(mlkg import-profile ZOO_CSV --metric ap)"
            )
        raise UnknownLabelError(
            missing, {m: difflib.get_close_matches(m, known, n=3) for m in missing}
        )
    return retrieve_problem(
        select, parsed, iris, metric=metric, filters=filters, need_selectivity=order
    )


def optimize(
    source: Settings | Any,
    formula: str,
    *,
    metric: str = "ap",
    dataset: str | None = None,
    task: str | None = None,
    licence: str | None = None,
    hub: str | None = None,
    max_parameters: int | None = None,
    max_cost: float | None = None,
    min_accuracy: float | None = None,
    max_memory: float | None = None,
    order: bool = False,
    mode: str | None = None,
    weights: str | None = None,
    priority: str | Sequence[str] | None = None,
    solver: str = "exact",
    node_limit: int | None = DEFAULT_NODE_LIMIT,
    iris: Iris | None = None,
) -> Plan:
    """Plan a query over the graph: which model per predicate, in which order.

    ``source`` is :class:`~mlkg.config.Settings` (the store of its data directory is opened
    read-only), a store with a ``query`` method, or a :data:`~mlkg.optimizer.retrieve.Select`
    function. The other options are those of :func:`mlkg.optimizer.solve.solve` plus the
    candidate filters (``dataset``, ``task``, ``licence``, ``hub``, ``max_parameters``).
    Bad input raises a typed :class:`~mlkg.errors.MlkgError` with a clear message; bounds that
    no plan meets give a plan with ``feasible=False`` and a ``message`` instead.

    Example — a two-model zoo imported into a fresh data directory, then planned:

    >>> import pathlib, shutil, tempfile
    >>> from mlkg.config import resolve_settings
    >>> from mlkg.optimizer.profile import ProfileOptions, import_profile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "zoo.csv").write_text(
    ...     "model,person,car,bus,cost\\n"
    ...     "detector,0.9,0.8,0.7,30\\n"
    ...     "bus_only,,,0.95,5\\n"
    ... )
    >>> settings = resolve_settings(environ={}, data_dir=folder / "data")
    >>> _ = import_profile(settings, folder / "zoo.csv", ProfileOptions(metric="ap"))
    >>> plan = optimize(settings, "(person & car) | bus", max_cost=40)
    >>> plan.feasible, plan.optimal, plan.assignment
    (True, True, {'person': 'detector', 'car': 'detector', 'bus': 'bus_only'})
    >>> round(plan.accuracy, 4), plan.cost  # 1 − (1 − 0.9·0.8)(1 − 0.95)
    (0.986, 35.0)
    >>> optimize(settings, "(person & car) | bus", max_cost=20).message
    'no plan costs at most 20: the cheapest plan costs 30.0000 (selection-only)'
    >>> shutil.rmtree(folder)
    """
    filters = CandidateFilters(dataset, task, licence, hub, max_parameters)
    options = {
        "max_cost": max_cost,
        "min_accuracy": min_accuracy,
        "max_memory": max_memory,
        "order": order,
        "mode": mode,
        "weights": weights,
        "priority": priority,
        "solver": solver,
        "node_limit": node_limit,
    }
    if isinstance(source, Settings):
        from mlkg.store import connect

        with connect(source, read_only=True) as store:
            problem = load_problem(
                store_select(store),
                formula,
                iris=source.iris,
                metric=metric,
                filters=filters,
                order=order,
            )
        return solve(problem, **options)
    select = source if callable(source) else store_select(source)
    problem = load_problem(
        select, formula, iris=iris or Iris(), metric=metric, filters=filters, order=order
    )
    return solve(problem, **options)
