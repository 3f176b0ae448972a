"""``POST /api/optimize``: the query optimizer over HTTP, as one Flask blueprint.

The body is a JSON object with the same fields as ``mlkg optimize``'s options::

    {"query": "(person & car) | bus", "max_cost": 100, "metric": "ap", "dataset": "coco",
     "order": false, "objective": "auto", "weights": null, "priority": null,
     "task": null, "licence": null, "hub": null, "max_parameters": null,
     "max_memory": null, "min_accuracy": null, "solver": "exact", "node_limit": 200000}

The answer is the plan object (``feasible``, ``optimal``, ``accuracy``, ``cost``,
``assignment``, ``order``, ``steps``, ...), 200 also when no plan meets the bounds
(``feasible: false`` and a ``message``). Bad input — malformed JSON, unknown fields, wrong types,
conflicting bounds, a formula that does not parse, an unknown label, no candidates — is a 400
with the server's usual error body. Candidate retrieval runs on the server's read-only snapshot
through the worker pool, with the SPARQL endpoint's timeout and row cap; the search's node
budget is capped at :data:`MAX_NODE_LIMIT`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request

from mlkg.errors import MlkgError
from mlkg.server.errors import BadRequest, HttpError, ServiceUnavailable
from mlkg.server.state import server_state

#: Largest node budget a request may ask for (bounds the work one request can cause).
MAX_NODE_LIMIT = 2_000_000
DEFAULT_NODE_LIMIT = 200_000
#: Field → accepted JSON types.
FIELDS: dict[str, tuple[type, ...]] = {
    "query": (str,),
    "formula": (str,),
    "metric": (str,),
    "dataset": (str,),
    "task": (str,),
    "licence": (str,),
    "license": (str,),
    "hub": (str,),
    "max_parameters": (int,),
    "max_cost": (int, float),
    "min_accuracy": (int, float),
    "max_memory": (int, float),
    "order": (bool,),
    "objective": (str,),
    "weights": (str,),
    "priority": (str,),
    "solver": (str,),
    "node_limit": (int,),
}
_NUMERIC_TYPES = ("#double", "#decimal", "#float", "#integer", "#int", "#long")


def create_blueprint() -> Blueprint:
    """The blueprint with ``POST /api/optimize``."""
    blueprint = Blueprint("optimize_api", __name__)
    blueprint.add_url_rule("/api/optimize", "optimize", optimize_endpoint, methods=["POST"])
    return blueprint


def optimize_endpoint() -> Response:
    """Parse the request, retrieve candidates on the snapshot, solve, answer the plan."""
    from mlkg.optimizer.api import optimize

    body = _body()
    formula = body.get("query", body.get("formula"))
    if not isinstance(formula, str) or not formula.strip():
        raise BadRequest("the body needs 'query': a formula such as \"(person & car) | bus\"")
    state = server_state()
    objective = body.get("objective", "auto")
    try:
        plan = optimize(
            server_select(state.select),
            formula,
            iris=state.settings.iris,
            metric=body.get("metric", "ap"),
            dataset=body.get("dataset"),
            task=body.get("task"),
            licence=body.get("licence", body.get("license")),
            hub=body.get("hub"),
            max_parameters=body.get("max_parameters"),
            max_cost=_number(body, "max_cost"),
            min_accuracy=_number(body, "min_accuracy"),
            max_memory=_number(body, "max_memory"),
            order=body.get("order", False),
            mode=None if objective == "auto" else objective,
            weights=body.get("weights"),
            priority=body.get("priority"),
            solver=body.get("solver", "exact"),
            node_limit=_node_limit(body),
        )
    except HttpError:
        raise
    except MlkgError as exc:
        raise BadRequest(str(exc)) from exc
    return jsonify(plan.to_dict())


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object (Content-Type: application/json)")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise BadRequest(f"unknown field(s) {', '.join(unknown)}; fields: {', '.join(FIELDS)}")
    for name, value in data.items():
        wanted = FIELDS[name]
        if value is not None and (
            not isinstance(value, wanted) or (isinstance(value, bool) and bool not in wanted)
        ):
            names = " or ".join(t.__name__ for t in wanted)
            raise BadRequest(f"field {name!r} must be {names}, not {type(value).__name__}")
    if data.get("max_cost") is not None and data.get("min_accuracy") is not None:
        raise BadRequest("'max_cost' and 'min_accuracy' conflict: give one of them")
    return data


def _number(body: dict[str, Any], name: str) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if not math.isfinite(float(value)):
        raise BadRequest(f"field {name!r} must be a finite number")
    return float(value)


def _node_limit(body: dict[str, Any]) -> int:
    value = body.get("node_limit", DEFAULT_NODE_LIMIT)
    if value is None:
        return DEFAULT_NODE_LIMIT
    if not 1 <= value <= MAX_NODE_LIMIT:
        raise BadRequest(f"'node_limit' must be between 1 and {MAX_NODE_LIMIT}")
    return value


def server_select(select: Callable[..., dict[str, Any]]) -> Callable[[str], list[dict]]:
    """A retrieval :data:`~mlkg.optimizer.retrieve.Select` over the server's worker pool.

    A result the row cap truncated would silently drop candidates, so it is an error (503).
    """

    def run(sparql: str) -> list[dict[str, Any]]:
        result = select(sparql)
        if result.get("truncated"):
            raise ServiceUnavailable(
                "candidate retrieval hit the server's result row cap; narrow the query "
                "(--dataset, --hub, ...) or raise the cap"
            )
        variables = result.get("head", {}).get("vars", [])
        return [
            {name: _plain(row.get(name)) for name in variables}
            for row in result.get("results", {}).get("bindings", [])
        ]

    return run


def _plain(term: dict[str, Any] | None) -> Any:
    """A SPARQL JSON term as a Python value: numbers for numeric literals, else the text."""
    if term is None:
        return None
    value = term.get("value")
    if term.get("type") == "literal" and str(term.get("datatype", "")).endswith(_NUMERIC_TYPES):
        try:
            return float(value)
        except (TypeError, ValueError):
            return None
    return value
