"""What the graph holds: counts per class and source, and metadata coverage per hub.

Coverage answers "how much can I rely on this field?": of the models each hub's records describe
(stubs for models described elsewhere are not counted), the share with a task, a training
dataset, an evaluation, hyperparameters, lineage and a licence.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from mlkg.store import GraphStore

_CLASS_COUNTS = """
SELECT ?source ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {
  GRAPH ?g { ?g mlkg:recordSource ?source . ?s a ?class }
  FILTER(STRSTARTS(STR(?class), STR(mlkg:)))
} GROUP BY ?source ?class ORDER BY ?source ?class
"""

_RECORDS = """
SELECT ?source (COUNT(?g) AS ?n) WHERE { GRAPH ?g { ?g mlkg:recordSource ?source } }
GROUP BY ?source ORDER BY ?source
"""

#: coverage field → a pattern on ?m that holds when the model has it.
COVERAGE_PATTERNS: dict[str, str] = {
    "task": "?m mlkg:task ?x",
    "training dataset": "?m mlkg:trainedOn ?x",
    "evaluation": "?x mlkg:evaluatedModel ?m",
    "hyperparameters": "?m prov:wasGeneratedBy/mlkg:configuration/mlkg:setting ?x",
    "lineage": "?m mlkg:derivedFrom|mlkg:fineTunedFrom|mlkg:adapterOf|mlkg:quantizedFrom"
    "|mlkg:mergedFrom|mlkg:convertedFrom ?x",
    "licence": "?m dcterms:license ?x",
}


def _coverage_query() -> str:
    flags = "\n".join(
        f"  BIND(EXISTS {{ {pattern} }} AS ?f{i})"
        for i, pattern in enumerate(COVERAGE_PATTERNS.values())
    )
    sums = " ".join(f"(SUM(IF(?f{i}, 1, 0)) AS ?c{i})" for i in range(len(COVERAGE_PATTERNS)))
    return f"""
SELECT ?hub (COUNT(?m) AS ?models) {sums} WHERE {{
  {{ SELECT DISTINCT ?m ?hub WHERE {{ ?g foaf:topic ?m . ?m a mlkg:Model ; mlkg:hub ?hub }} }}
{flags}
}} GROUP BY ?hub ORDER BY ?hub
"""


@dataclass
class Stats:
    """What ``mlkg stats`` reports; ``quarantine_reasons`` holds the top reasons per source."""

    records: dict[str, int] = field(default_factory=dict)
    classes: dict[str, dict[str, int]] = field(default_factory=dict)
    models: dict[str, int] = field(default_factory=dict)
    coverage: dict[str, dict[str, float]] = field(default_factory=dict)
    triples: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    quarantine_reasons: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    def quarantine_rate(self, source: str) -> float:
        """Share of the source's records refused: quarantined / (loaded + quarantined)."""
        refused = self.quarantined.get(source, 0)
        total = refused + self.records.get(source, 0)
        return refused / total if total else 0.0


def compute_stats(
    store: GraphStore,
    *,
    quarantine: dict[str, tuple[int, Counter]] | None = None,
    top_reasons: int = 5,
) -> Stats:
    """Counts and coverage from the store; quarantine counts from
    :func:`mlkg.quarantine.quarantine_summary` when given."""
    stats = Stats()
    for source, (count, reasons) in (quarantine or {}).items():
        stats.quarantined[source] = count
        stats.quarantine_reasons[source] = reasons.most_common(top_reasons)
    for row in store.query(_RECORDS):
        stats.records[row["source"].value] = int(row["n"].value)
    for row in store.query(_CLASS_COUNTS):
        name = row["class"].value.rsplit("#", 1)[-1]
        stats.classes.setdefault(row["source"].value, {})[name] = int(row["n"].value)
    for row in store.query(_coverage_query()):
        hub = row["hub"].value.rstrip("/").rsplit("/", 1)[-1]
        total = int(row["models"].value)
        stats.models[hub] = total
        stats.coverage[hub] = {
            name: int(row[f"c{i}"].value) / total if total else 0.0
            for i, name in enumerate(COVERAGE_PATTERNS)
        }
    stats.triples = int(
        next(
            iter(
                store.query(
                    "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
                    union_default_graph=False,
                )
            )
        )["n"].value
    )
    return stats
