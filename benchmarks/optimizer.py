"""The query optimizer's exact solvers: scaling, and the greedy baseline on the COCO workloads.

    python benchmarks/optimizer.py                      # all sections, a few minutes
    python benchmarks/optimizer.py --full               # 125…1,600 models in five steps
    python benchmarks/optimizer.py --sections coco --node-limit 500000

Sections (each prints a table):

* ``scaling``: exact-solver time against the number of predicates (2 to 32) and of models (125
  to 1,600) on synthetic zoos generated like the paper's (:mod:`mlkg.optimizer.synthetic`, 80
  labels), for both cost models. Queries are CNF of OR-pairs (a DNF of many groups saturates
  the estimate at 1.0); the budget is halfway between the cheapest plan's cost and the cost of
  the most accurate plan, so it binds.
* ``coco``: the COCO workloads of ``simulation/coco_query*_gt.csv`` on the AP zoo (125 models,
  80 labels), cost bounds 50/100/150, both cost models: how often the greedy baseline finds no
  plan or a worse one than the exact solver, with both solvers' times. The order-aware runs use
  ``coco_selectivity.csv`` (annotation shares) as the authors' runs did — the fraction of images
  per label is not derivable from the shipped data for most labels.
* ``recorded``: the authors' recorded outputs (``_history/577787d/output/coco``, F1 zoo) beside
  ours, on the zoo the runs used (without ``model_44``) and on the zoo as shipped.

Every solve has a node budget (``--node-limit``); an instance that exhausts it is reported as
not proven ("limit"), never as optimal. Not a test: nothing here fails. Needs ../shared for the
``coco`` and ``recorded`` sections (found like the tests do, or ``--shared DIR``).
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import time
from pathlib import Path

from mlkg.optimizer import build_problem, parse_formula, solve
from mlkg.optimizer.profile import problem_models, selectivities
from mlkg.optimizer.synthetic import synthetic_query, synthetic_zoo
from mlkg.queries import render_table

ZOO = "optimizer-zoo/Project_Boolean_Query_Plan"
WORKLOADS = ("coco_query_gt.csv", "coco_query_dnf_gt.csv", "coco_query_cnf_gt.csv")


def find_shared(option: str | None) -> Path | None:
    repo = Path(__file__).resolve().parents[1]
    for candidate in (option, os.environ.get("MLKG_SHARED_DIR"), repo.parent / "shared"):
        if candidate and (Path(candidate) / ZOO).is_dir():
            return Path(candidate)
    return None


def timed(problem, **options):
    start = time.perf_counter()
    plan = solve(problem, **options)
    return plan, time.perf_counter() - start


def scaling(models: list[int], predicates: list[int], node_limit: int) -> None:
    rows = []
    for n in models:
        zoo, selectivity = synthetic_zoo(n, 80, seed=n)
        for p in predicates:
            formula = parse_formula(synthetic_query(80, p, seed=p, form="CNF"))
            problem = build_problem(formula, zoo, selectivity=selectivity)
            best = solve(problem, node_limit=node_limit)
            cheapest = solve(problem, min_accuracy=0.0, node_limit=node_limit)
            budget = round(cheapest.cost + 0.5 * (best.cost - cheapest.cost), 2)
            for order in (False, True):
                plan, seconds = timed(problem, max_cost=budget, order=order, node_limit=node_limit)
                rows.append(
                    [
                        str(n),
                        str(p),
                        "order" if order else "selection",
                        str(plan.candidates),
                        f"{budget:g}",
                        f"{seconds:.2f}",
                        str(plan.nodes),
                        "yes" if plan.optimal else plan.status,
                        f"{plan.accuracy:.5f}" if plan.feasible else "-",
                    ]
                )
                print(" ".join(rows[-1]), flush=True)
    headers = ["models", "predicates", "cost model", "candidates", "budget", "seconds", "nodes"]
    print("\nExact solver on synthetic zoos (CNF of OR-pairs, 80 labels)")
    print(render_table([*headers, "proven", "accuracy"], rows))


def workload_queries(shared: Path) -> list[str]:
    csv.field_size_limit(1 << 30)
    queries: list[str] = []
    for name in WORKLOADS:
        with (shared / ZOO / "simulation" / name).open() as handle:
            queries.extend(row["query"] for row in csv.DictReader(handle))
    return list(dict.fromkeys(queries))


def coco(shared: Path, node_limit: int) -> None:
    zoo = problem_models(shared / ZOO / "repository/model_stats_ap.csv")
    selectivity = selectivities(shared / ZOO / "repository/coco_selectivity.csv")
    queries = workload_queries(shared)
    summary = []
    for order in (False, True):
        for bound in (50.0, 100.0, 150.0):
            counts = {"cases": 0, "greedy none": 0, "greedy worse": 0, "equal": 0, "limit": 0}
            exact_times, greedy_times, gaps = [], [], []
            for query in queries:
                problem = build_problem(parse_formula(query), zoo, selectivity=selectivity)
                exact, exact_s = timed(problem, max_cost=bound, order=order, node_limit=node_limit)
                greedy, greedy_s = timed(problem, max_cost=bound, order=order, solver="greedy")
                counts["cases"] += 1
                counts["limit"] += not exact.optimal
                exact_times.append(exact_s)
                greedy_times.append(greedy_s)
                if exact.feasible and not greedy.feasible:
                    counts["greedy none"] += 1
                elif exact.feasible and greedy.accuracy < exact.accuracy - 1e-9:
                    counts["greedy worse"] += 1
                    gaps.append(exact.accuracy - greedy.accuracy)
                else:
                    counts["equal"] += 1
            summary.append(
                [
                    "order" if order else "selection",
                    f"{bound:g}",
                    str(counts["cases"]),
                    str(counts["greedy none"]),
                    str(counts["greedy worse"]),
                    f"{max(gaps):.4f}" if gaps else "-",
                    str(counts["equal"]),
                    str(counts["limit"]),
                    f"{statistics.median(exact_times):.3f}/{max(exact_times):.2f}",
                    f"{statistics.median(greedy_times):.3f}/{max(greedy_times):.2f}",
                ]
            )
            print(" ".join(summary[-1]), flush=True)
    print(f"\nGreedy baseline vs exact on {len(queries)} COCO workload queries (AP zoo)")
    headers = ["cost model", "bound", "queries", "greedy: no plan", "greedy: worse"]
    headers += ["max gap", "same", "exact unproven", "exact s (median/max)", "greedy s"]
    print(render_table(headers, summary))


def recorded(shared: Path, node_limit: int) -> None:
    folder = shared / ZOO / "_history/577787d"
    zoo = problem_models(folder / "repository/model_stats_f1.csv")
    as_run = [m for m in zoo if m.id != "model_44"]
    selectivity = selectivities(shared / ZOO / "repository/coco_selectivity.csv")
    rows = []
    for kind, name in (
        ("selection", "summary_cost_optimizer.csv"),
        ("order", "summary_order_cost_optimizer.csv"),
    ):
        best: dict[tuple[str, float], float] = {}
        with (folder / "output/coco" / name).open() as handle:
            for row in csv.DictReader(handle):
                key = (row["query"], float(row["bound"]))
                best[key] = max(best.get(key, 0.0), float(row["accuracy"]))
        for (query, bound), theirs in sorted(best.items()):
            formula = parse_formula(query)
            options = {"max_cost": bound, "order": kind == "order", "node_limit": node_limit}
            mine = solve(build_problem(formula, as_run, selectivity=selectivity), **options)
            shipped = solve(build_problem(formula, zoo, selectivity=selectivity), **options)
            verdict = "reproduced" if abs((mine.accuracy or 0) - theirs) < 1e-6 else "beaten"
            if (mine.accuracy or 0) < theirs - 1e-6:
                verdict = "WORSE"
            rows.append(
                [
                    kind,
                    query,
                    f"{bound:g}",
                    f"{theirs:.6f}",
                    f"{mine.accuracy or 0:.6f}",
                    f"{shipped.accuracy or 0:.6f}",
                    "yes" if mine.optimal and shipped.optimal else "no",
                    verdict,
                ]
            )
    print("\nThe authors' recorded optimizer outputs (F1 zoo) and ours")
    headers = ["cost model", "query", "bound", "authors", "ours (as run)", "ours (shipped)"]
    print(render_table([*headers, "proven", "verdict"], rows, max_width=70))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", help="the ../shared folder")
    parser.add_argument("--node-limit", type=int, default=100_000, help="per solve")
    parser.add_argument("--full", action="store_true", help="125, 250, 500, 1000, 1600 models")
    parser.add_argument(
        "--sections", default="scaling,coco,recorded", help="comma-separated: scaling,coco,recorded"
    )
    args = parser.parse_args()
    sections = set(args.sections.split(","))
    if "scaling" in sections:
        models = [125, 250, 500, 1000, 1600] if args.full else [125, 400, 1600]
        scaling(models, [2, 4, 8, 16, 32], args.node_limit)
    shared = find_shared(args.shared)
    if shared is None and sections & {"coco", "recorded"}:
        print("\n../shared/optimizer-zoo not found: skipping the coco and recorded sections")
        return
    if "coco" in sections:
        coco(shared, args.node_limit)
    if "recorded" in sections:
        recorded(shared, args.node_limit)


if __name__ == "__main__":
    main()
