"""Candidate retrieval in SPARQL: the graph side of the optimizer.

For a query's labels the graph answers, per model: its zoo id, its quality on each label for the
chosen metric (an ``mlkg:Evaluation`` with ``mlkg:forLabel``), its ``mlkg:inferenceCost`` and
``mlkg:memoryFootprint``, restricted by the user's filters (task, licence, hub, most parameters,
evaluated on dataset D). Label selectivities come from the dataset's ``mlkg:DataInstance`` nodes
(``mlkg:hasLabel``; computed in SPARQL) when it has any, else from stated
``mlkg:LabelSelectivity`` nodes. ``queries/optimizer-candidates.rq`` and
``queries/label-selectivity.rq`` are the same queries for people; the templates here add the
filters.

Queries run through a :data:`Select` function (SPARQL text → rows of plain values), so the same
code serves the embedded store (:func:`store_select`) and the server's worker pool.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pyoxigraph import Literal, NamedNode, QuerySolutions

from mlkg.errors import MissingSelectivityError, OptimizerError
from mlkg.iris import Iris
from mlkg.optimizer.formula import Formula, label_key
from mlkg.optimizer.problem import ModelInfo, Problem, build_problem
from mlkg.vocabulary import load_vocabulary

Select = Callable[[str], list[dict[str, Any]]]

#: SPARQL for the label key of a name, the same as :func:`label_key` in Python.
_KEY = 'REPLACE(LCASE(STR(?labelName)), "[\\\\s-]+", "_")'


@dataclass(frozen=True)
class CandidateFilters:
    """The user's extra filters on candidate models (names or IRIs; None: no filter)."""

    dataset: str | None = None
    task: str | None = None
    licence: str | None = None
    hub: str | None = None
    max_parameters: int | None = None


def store_select(store: Any) -> Select:
    """A :data:`Select` over a :class:`~mlkg.store.EmbeddedStore` (union of named graphs)."""

    def run(sparql: str) -> list[dict[str, Any]]:
        result = store.query(sparql)
        if not isinstance(result, QuerySolutions):
            raise OptimizerError("retrieval queries must be SELECT queries")
        names = [v.value for v in result.variables]
        return [{n: _plain(row[n]) for n in names} for row in result]

    return run


def _plain(term: Any) -> Any:
    if term is None:
        return None
    if isinstance(term, Literal):
        datatype = term.datatype.value if term.datatype else ""
        if datatype.endswith(("#double", "#decimal", "#float", "#integer", "#int", "#long")):
            try:
                return float(term.value)
            except ValueError:
                return None
        return term.value
    return term.value


def _iri(value: str) -> str:
    return f"<{NamedNode(value).value}>"


def resolve(scheme: str, value: str | None, iris: Iris) -> list[str]:
    """IRIs a user's name may denote: an IRI as given, the vocabulary concept, or minted ones."""
    if not value:
        return []
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    if value.startswith(("http://", "https://")):
        return [NamedNode(value).value]
    found = load_vocabulary().find(scheme, value, iris)
    if found is not None:
        return [found.value]
    minted = {
        "datasets": lambda v: [iris.dataset(v).value, iris.dataset(v, hub="profile").value],
        "metrics": lambda v: [iris.metric(v).value],
        "tasks": lambda v: [iris.task(v).value],
        "hubs": lambda v: [iris.hub(v).value],
        "licenses": lambda v: [iris.license(v).value],
    }[scheme]
    return minted(value)


def label_iris(select: Select, labels: Iterable[str]) -> dict[str, list[str]]:
    """Label key → the mlkg:Label IRIs whose name (rdfs:label or skos:altLabel) has that key."""
    keys = sorted(set(labels))
    if not keys:
        return {}
    values = ", ".join(_string(k) for k in keys)
    rows = select(
        "SELECT DISTINCT ?label ?labelName WHERE { ?label a mlkg:Label ; "
        f"rdfs:label|skos:altLabel ?labelName . FILTER({_KEY} IN ({values})) }}"
    )
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(label_key(row["labelName"]), []).append(row["label"])
    return {k: sorted(set(v)) for k, v in found.items()}


def known_labels(select: Select) -> list[str]:
    """Keys of every label some evaluation is for (for "did you mean" hints)."""
    rows = select(
        "SELECT DISTINCT ?labelName WHERE { "
        "?e mlkg:forLabel ?label . ?label rdfs:label ?labelName }"
    )
    return sorted({label_key(r["labelName"]) for r in rows if r["labelName"]})


def _string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def candidates_query(
    label_nodes: Iterable[str], metric: list[str], filters: CandidateFilters, iris: Iris
) -> str:
    """The SPARQL template: per (model, label) the quality, cost, memory, dataset and unit."""
    patterns = []
    datasets = resolve("datasets", filters.dataset, iris)
    if datasets:
        patterns.append(f"VALUES ?dataset {{ {' '.join(map(_iri, datasets))} }}")
    for prop, scheme, value in (
        ("mlkg:task", "tasks", filters.task),
        ("dcterms:license", "licenses", filters.licence),
        ("mlkg:hub", "hubs", filters.hub),
    ):
        options = resolve(scheme, value, iris)
        if options:
            var = "?f_" + scheme
            patterns.append(
                f"?model {prop} {var} . VALUES {var} {{ {' '.join(map(_iri, options))} }}"
            )
    if filters.max_parameters is not None:
        limit = int(filters.max_parameters)
        patterns.append(f"?model mlkg:parameterCount ?n . FILTER(?n <= {limit})")
    metric_values = " ".join(map(_iri, metric))
    return f"""
SELECT DISTINCT ?model ?modelId ?hub ?label ?value ?cost ?costUnit ?memory ?dataset WHERE {{
  VALUES ?label {{ {" ".join(map(_iri, label_nodes))} }}
  VALUES ?metric {{ {metric_values} }}
  ?evaluation a mlkg:Evaluation ; mlkg:forLabel ?label ; mlkg:metric ?metric ;
      mlkg:evaluatedModel ?model ; mlkg:value ?value ; mlkg:onDataset ?on .
  OPTIONAL {{ ?on a mlkg:DatasetSplit ; dcterms:isPartOf ?parent }}
  BIND(COALESCE(?parent, ?on) AS ?dataset)
  ?model dcterms:identifier ?modelId .
  OPTIONAL {{ ?model mlkg:hub ?hub }}
  OPTIONAL {{ ?model mlkg:inferenceCost ?cost }}
  OPTIONAL {{ ?model mlkg:costUnit ?costUnit }}
  OPTIONAL {{ ?model mlkg:memoryFootprint ?memory }}
  {chr(10).join("  " + p for p in patterns)}
}}"""


def computed_selectivity_query(datasets: list[str], label_nodes: Iterable[str]) -> str:
    """Per label: the fraction of the dataset's instances (or its splits') carrying it."""
    scope = " ".join(map(_iri, datasets))
    return f"""
SELECT ?label ?withLabel ?instances WHERE {{
  {{ SELECT (COUNT(DISTINCT ?item) AS ?instances) WHERE {{
      VALUES ?dataset {{ {scope} }}
      ?item a mlkg:DataInstance ; dcterms:isPartOf ?part .
      FILTER(?part = ?dataset || EXISTS {{ ?part dcterms:isPartOf ?dataset }}) }} }}
  VALUES ?label {{ {" ".join(map(_iri, label_nodes))} }}
  OPTIONAL {{ SELECT ?label (COUNT(DISTINCT ?item2) AS ?withLabel) WHERE {{
      VALUES ?dataset2 {{ {scope} }}
      ?item2 a mlkg:DataInstance ; dcterms:isPartOf ?part2 ; mlkg:hasLabel ?label .
      FILTER(?part2 = ?dataset2 || EXISTS {{ ?part2 dcterms:isPartOf ?dataset2 }})
  }} GROUP BY ?label }}
}}"""


def stated_selectivity_query(datasets: list[str], label_nodes: Iterable[str]) -> str:
    """Per label: the stated selectivity and annotation share (mlkg:LabelSelectivity)."""
    return f"""
SELECT DISTINCT ?statistic ?label ?selectivity ?annotationShare WHERE {{
  VALUES ?dataset {{ {" ".join(map(_iri, datasets))} }}
  VALUES ?label {{ {" ".join(map(_iri, label_nodes))} }}
  ?dataset mlkg:labelSelectivity ?statistic . ?statistic mlkg:ofLabel ?label .
  OPTIONAL {{ ?statistic mlkg:selectivity ?selectivity }}
  OPTIONAL {{ ?statistic mlkg:annotationShare ?annotationShare }}
}} ORDER BY ?statistic"""


def retrieve_problem(
    select: Select,
    formula: Formula,
    iris: Iris,
    *,
    metric: str = "ap",
    filters: CandidateFilters | None = None,
    need_selectivity: bool = False,
) -> Problem:
    """Build the optimizer's :class:`Problem` from the graph.

    Raises:
        UnknownLabelError: a label that no evaluation in the graph is for.
        EmptyZooError: no candidate model at all (nothing imported, or filters too strict).
        OptimizerError: evaluations on several datasets and no ``dataset`` filter.
        MissingSelectivityError: ``need_selectivity`` and a label without a selectivity.
    """
    filters = filters or CandidateFilters()
    labels = label_iris(select, formula.labels)
    nodes = sorted({iri for iris_ in labels.values() for iri in iris_})
    warnings: list[str] = []
    rows = (
        select(candidates_query(nodes, resolve("metrics", metric, iris), filters, iris))
        if nodes
        else []
    )
    datasets = sorted({r["dataset"] for r in rows if r.get("dataset")})
    if len(datasets) > 1:
        raise OptimizerError(
            f"the candidates are evaluated on several datasets ({', '.join(datasets)}): "
            "pass --dataset to choose one"
        )
    node_key = {iri: key for key, iris_ in labels.items() for iri in iris_}
    models = _models(rows, node_key, warnings)
    selectivity, source = None, ""
    if need_selectivity and rows:
        selectivity, source = _selectivity(select, datasets, formula, labels, warnings)
    problem = build_problem(
        formula,
        models,
        selectivity=selectivity,
        metric=metric,
        dataset=datasets[0] if datasets else None,
        selectivity_source=source,
        cost_unit=_unit(rows),
        warnings=warnings,
    )
    return problem


def _unit(rows: list[dict[str, Any]]) -> str:
    units = sorted({r["costUnit"] for r in rows if r.get("costUnit")})
    return units[0] if len(units) == 1 else ""


def _models(
    rows: list[dict[str, Any]], node_key: dict[str, str], warnings: list[str]
) -> list[ModelInfo]:
    """Group rows per model; drop models without a cost; keep the highest of repeated values."""
    by_model: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = by_model.setdefault(
            row["model"],
            {
                "id": row["modelId"],
                "hub": row.get("hub"),
                "acc": {},
                "cost": set(),
                "memory": set(),
            },
        )
        value = row.get("value")
        key = node_key.get(row["label"])
        if key is None or value is None or not math.isfinite(value):
            continue
        entry["acc"][key] = max(value, entry["acc"].get(key, 0.0))
        if row.get("cost") is not None:
            entry["cost"].add(row["cost"])
        if row.get("memory") is not None:
            entry["memory"].add(row["memory"])
    ids = [e["id"] for e in by_model.values()]
    models, no_cost = [], []
    for iri, entry in sorted(by_model.items()):
        if not entry["cost"]:
            no_cost.append(entry["id"])
            continue
        if len(entry["cost"]) > 1 or len(entry["memory"]) > 1:
            warnings.append(
                f"{entry['id']}: several costs or memory footprints; the largest is used"
            )
        name = entry["id"]
        if ids.count(name) > 1:  # the same zoo id on two hubs
            name = f"{(entry['hub'] or '').rstrip('/').rsplit('/', 1)[-1]}/{name}"
        memory = max(entry["memory"]) if entry["memory"] else None
        models.append(ModelInfo(name, max(entry["cost"]), entry["acc"], memory, iri))
    if no_cost:
        warnings.append(
            f"{len(no_cost)} model(s) without mlkg:inferenceCost left out "
            f"(e.g. {', '.join(sorted(no_cost)[:3])})"
        )
    return models


def _selectivity(
    select: Select,
    datasets: list[str],
    formula: Formula,
    labels: dict[str, list[str]],
    warnings: list[str],
) -> tuple[dict[str, float], str]:
    """Selectivities from instances if the dataset has any, else stated ones."""
    nodes = sorted({iri for key in formula.labels for iri in labels.get(key, [])})
    node_key = {iri: key for key, iris_ in labels.items() for iri in iris_}
    rows = select(computed_selectivity_query(datasets, nodes))
    total = max((r.get("instances") or 0.0 for r in rows), default=0.0)
    if total > 0:
        values: dict[str, float] = {}
        for row in rows:
            key = node_key[row["label"]]
            values[key] = max(values.get(key, 0.0), (row.get("withLabel") or 0.0) / total)
        return values, f"computed from {int(total)} data instances (mlkg:hasLabel)"
    stated: dict[str, float] = {}
    shares: set[str] = set()
    for row in select(stated_selectivity_query(datasets, nodes)):
        key = node_key[row["label"]]
        if row.get("selectivity") is not None:
            if key in stated and stated[key] != row["selectivity"]:
                warnings.append(f"several stated selectivities for {key}; the first is used")
                continue
            stated[key] = row["selectivity"]
        elif row.get("annotationShare") is not None:
            shares.add(key)
    missing = [key for key in formula.labels if key not in stated]
    if missing:
        only_shares = [key for key in missing if key in shares]
        hint = (
            f" ({', '.join(only_shares)} only have an annotation share, which is not the "
            "fraction of items carrying the label)"
            if only_shares
            else ""
        )
        raise MissingSelectivityError(
            f"no selectivity for {', '.join(missing)} on {', '.join(datasets) or 'the dataset'}"
            f"{hint}: import DataInstances with their labels (mlkg import-profile "
            "--ground-truth FILE) or a selectivity file of fractions of items, or drop --order"
        )
    return stated, "stated (mlkg:LabelSelectivity / mlkg:selectivity)"
