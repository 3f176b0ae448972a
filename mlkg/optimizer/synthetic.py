"""Synthetic model zoos and queries generated like the paper's (for benchmarks and tests).

Following the authors' description of their generator: the labels and the models are cut into
``blocks`` equal blocks; every label is answered by a random non-empty subset of its block's
models, with a quality drawn from U(0.7, 0.95), or from U(0.95, 0.98) for one pairing in ten;
a model costs U(5, 100), or U(52.5, 100) when its median quality is 0.95 or more (good models are
not cheap); each label's selectivity is U(0.3, 0.9). Memory is not in the paper's generator:
here it is U(10, 500) MB, loosely growing with cost, for the multi-objective modes.

Queries are DNF (or CNF) formulas of ``n`` distinct random labels in groups of ``group_size``,
like ``(t3 & t17) | (t40 & t8)`` in the authors' ``synthetic_query_uniform.csv``.
"""

from __future__ import annotations

import random
import statistics

from mlkg.optimizer.problem import ModelInfo


def synthetic_zoo(
    n_models: int, n_labels: int, *, blocks: int = 8, seed: int = 0
) -> tuple[list[ModelInfo], dict[str, float]]:
    """``n_models`` models over labels ``t0 … t{n_labels-1}`` and the labels' selectivities."""
    rng = random.Random(seed)
    blocks = max(1, min(blocks, n_models, n_labels))
    label_blocks = _split(n_labels, blocks)
    model_blocks = _split(n_models, blocks)
    quality: dict[int, dict[str, float]] = {m: {} for m in range(n_models)}
    for label_range, model_range in zip(label_blocks, model_blocks, strict=True):
        models = list(model_range)
        for t in label_range:
            for m in rng.sample(models, rng.randint(1, len(models))):
                high = rng.random() < 0.1
                quality[m][f"t{t}"] = rng.uniform(0.95, 0.98) if high else rng.uniform(0.7, 0.95)
    zoo = []
    for m, scores in quality.items():
        if not scores:
            continue
        good = statistics.median(scores.values()) >= 0.95
        cost = rng.uniform(52.5, 100.0) if good else rng.uniform(5.0, 100.0)
        memory = (10.0 + 4.9 * cost * rng.uniform(0.5, 1.0)) * 1e6
        zoo.append(ModelInfo(f"m{m}", round(cost, 3), scores, round(memory)))
    selectivity = {f"t{t}": rng.uniform(0.3, 0.9) for t in range(n_labels)}
    return zoo, selectivity


def synthetic_query(
    n_labels: int, n_predicates: int, *, seed: int = 0, group_size: int = 2, form: str = "DNF"
) -> str:
    """A random DNF/CNF over ``n_predicates`` distinct labels of a synthetic zoo."""
    rng = random.Random(seed)
    labels = [f"t{t}" for t in rng.sample(range(n_labels), min(n_predicates, n_labels))]
    inner, outer = (" & ", " | ") if form == "DNF" else (" | ", " & ")
    groups = [labels[i : i + group_size] for i in range(0, len(labels), group_size)]
    return outer.join(f"({inner.join(g)})" if len(g) > 1 else g[0] for g in groups)


def _split(total: int, parts: int) -> list[range]:
    size, extra = divmod(total, parts)
    ranges, start = [], 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        ranges.append(range(start, end))
        start = end
    return ranges
