"""``mlkg optimize`` on a graph built by ``mlkg import-profile``, and the candidate filters.

Three profiles are imported with the command line: two zoos on COCO (different hubs, tasks,
licences and parameter counts) and one on VOC. Each filter's candidates are compared with the
models an independent reading of the CSV texts selects (the ``csv`` module and the import
options, no mlkg code), and the plan of ``mlkg optimize`` with the filters is compared with a
brute-force optimum over those independently selected models.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mlkg.cli import cli
from mlkg.config import resolve_settings
from mlkg.optimizer import CandidateFilters, load_problem
from mlkg.optimizer.retrieve import store_select
from mlkg.store import open_store

ZOO_A = """model_name,person,car,bus,cost,parameters
a_tiny,0.55,0.50,,4,3000000
a_mid,0.80,0.70,0.60,15,25000000
a_big,0.92,0.90,0.85,40,140000000
"""
ZOO_B = """,person,car,bus,cost,params
b_car,,0.96,,12,60000000
b_bus,,,0.95,9,8000000
b_all,0.85,0.80,0.75,10,
"""
ZOO_VOC = """,person,car,cost
v_one,0.99,0.99,1
"""
#: (file, import options) — what each profile says about its models.
IMPORTS = {
    "a": (
        ZOO_A,
        {"hub": "zoo-a", "task": "object-detection", "licence": "MIT", "dataset": "coco"},
    ),
    "b": (
        ZOO_B,
        {
            "hub": "zoo-b",
            "task": "image-classification",
            "licence": "Apache-2.0",
            "dataset": "coco",
        },
    ),
    "voc": (
        ZOO_VOC,
        {"hub": "zoo-v", "task": "object-detection", "licence": "MIT", "dataset": "voc"},
    ),
}


def csv_models() -> list[dict]:
    """Every model of the three files, read with the csv module: id, options, qualities."""
    found = []
    for text, options in IMPORTS.values():
        for row in csv.DictReader(io.StringIO(text)):
            ident = row.get("model_name") or row[""]
            count = row.get("parameters") or row.get("params")
            quality = {
                name: float(value)
                for name, value in row.items()
                if name in ("person", "car", "bus") and value
            }
            found.append(
                {
                    "id": ident,
                    "cost": float(row["cost"]),
                    "parameters": int(count) if count else None,
                    "quality": quality,
                    **options,
                }
            )
    return found


def expected(labels: set[str], **wanted) -> set[str]:
    """The ids a filter should keep: models answering a query label that match every filter."""
    keep = set()
    for model in csv_models():
        if not labels & set(model["quality"]):
            continue
        limit = wanted.get("max_parameters")
        if limit is not None and (model["parameters"] is None or model["parameters"] > limit):
            continue
        if any(model[key] != value for key, value in wanted.items() if key != "max_parameters"):
            continue
        keep.add(model["id"])
    return keep


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("optimizer-filters")
    for name, (text, options) in IMPORTS.items():
        path = folder / f"{name}.csv"
        path.write_text(text)
        args = ["--data-dir", str(folder / "data"), "import-profile", str(path), "--metric", "f1"]
        for key, value in options.items():
            args += [f"--{key}", value]
        result = CliRunner().invoke(cli, [*args, "--zoo", name, "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["records_quarantined"] == 0
    return folder / "data"


FILTER_CASES = [
    {"dataset": "coco"},
    {"dataset": "voc"},
    {"dataset": "coco", "hub": "zoo-a"},
    {"dataset": "coco", "hub": "zoo-b"},
    {"dataset": "coco", "task": "image-classification"},
    {"task": "object-detection", "dataset": "coco"},
    {"dataset": "coco", "licence": "MIT"},
    {"dataset": "coco", "licence": "Apache-2.0"},
    {"dataset": "coco", "max_parameters": 30_000_000},
    {"dataset": "coco", "max_parameters": 140_000_000, "licence": "MIT"},
    {"dataset": "coco", "max_parameters": 10_000_000, "hub": "zoo-b"},
]


@pytest.mark.parametrize(
    "wanted", FILTER_CASES, ids=lambda w: ",".join(f"{k}={v}" for k, v in w.items())
)
def test_each_filter_keeps_exactly_the_matching_models(data_dir, wanted):
    labels = {"person", "car", "bus"}
    keep = expected(labels, **wanted)
    assert keep  # every case keeps someone; filters that keep nobody are tested elsewhere
    answered = {t for m in csv_models() if m["id"] in keep for t in m["quality"]}
    settings = resolve_settings(environ={}, data_dir=data_dir)
    store = open_store(settings.data_dir, base_iri=settings.base_iri, read_only=True)
    with store:
        problem = load_problem(
            store_select(store),
            " | ".join(sorted(answered)),
            metric="f1",
            filters=CandidateFilters(**wanted),
        )
    assert {m.id for m in problem.models} == keep


def test_evaluated_on_a_dataset_is_required_when_two_are_present(data_dir):
    result = CliRunner().invoke(
        cli,
        [
            "--data-dir",
            str(data_dir),
            "optimize",
            "person & car",
            "--metric",
            "f1",
            "--max-cost",
            "50",
        ],
    )
    assert result.exit_code == 1 and "pass --dataset" in str(result.exception)


def brute_force(query_groups: list[list[str]], models: list[dict], budget: float):
    """(accuracy, cost) of the most accurate DNF plan within the budget (ties: the cheaper)."""
    labels = [t for group in query_groups for t in group]
    options = [[m for m in models if t in m["quality"]] for t in labels]
    best = None
    for choice in itertools.product(*options):
        cost = sum({m["id"]: m["cost"] for m in choice}.values())
        if cost > budget:
            continue
        quality = {t: m["quality"][t] for t, m in zip(labels, choice, strict=True)}
        miss = 1.0
        for group in query_groups:
            hit = 1.0
            for t in group:
                hit *= quality[t]
            miss *= 1.0 - hit
        if best is None or (miss, cost) < best:
            best = (miss, cost)
    assert best is not None, "no plan within the budget"
    return 1.0 - best[0], best[1]


@pytest.mark.parametrize(
    ("options", "wanted"),
    [
        (["--hub", "zoo-b"], {"hub": "zoo-b"}),
        (["--licence", "MIT"], {"licence": "MIT"}),
        (["--max-parameters", "30000000"], {"max_parameters": 30_000_000}),
        (["--task", "image-classification"], {"task": "image-classification"}),
        ([], {}),
    ],
)
def test_optimize_with_filters_equals_brute_force_over_the_csv(data_dir, options, wanted):
    budget = 30.0
    args = ["--data-dir", str(data_dir), "optimize", "(person & car) | bus", "--metric", "f1"]
    args += ["--dataset", "coco", "--max-cost", str(budget), "--json", *options]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    keep = expected({"person", "car", "bus"}, dataset="coco", **wanted)
    models = [m for m in csv_models() if m["id"] in keep]
    accuracy, cost = brute_force([["person", "car"], ["bus"]], models, budget)
    assert plan["optimal"] and plan["feasible"]
    assert set(plan["assignment"].values()) <= keep
    assert plan["accuracy"] == pytest.approx(accuracy, abs=1e-12)
    assert plan["cost"] == pytest.approx(cost)
