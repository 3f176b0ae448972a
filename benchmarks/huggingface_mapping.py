"""Benchmark: Hugging Face card mapping and validation throughput (cards/s) on the real corpus.

Reads the ~4,800 model cards of ../shared/zoo-snapshots/huggingface/model-cards-cs577, builds one
raw record per card (as the offline crawl does: ``{"kind": "model", "card": text, ...}``), then
times, in the same run so the numbers are comparable:

* **baseline: YAML only** - the front matter cut out with the spec's regex and parsed with
  ``yaml.safe_load`` (pure Python) and with ``CSafeLoader`` (libyaml, what the mapper uses): the
  floor any mapper that reads the card metadata pays;
* **map** - :func:`crawlers.huggingface.mapping.map_record` on every card (front matter, body,
  model-index, hyperparameters, lineage, ...);
* **validate** - :class:`mlkg.validation.Validator` (SHACL compiled to SPARQL, batched in
  Oxigraph) on all mapped records;
* **pyshacl** - the reference SHACL engine on a sample of records (``--pyshacl-sample``), one
  record graph plus the background at a time, as the pipeline validates them.

Run it with::

    python benchmarks/huggingface_mapping.py [--shared ../shared] [--repeat 3] [--pyshacl-sample 50]

Each timing is the best of ``--repeat`` runs (the first also warms caches: the vocabulary, the
compiled shapes). Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crawlers.huggingface.mapping import map_record  # noqa: E402
from mlkg.iris import Iris  # noqa: E402
from mlkg.records import MappedRecord, RawRecord  # noqa: E402
from mlkg.validation import Validator  # noqa: E402

CARDS = Path("zoo-snapshots/huggingface/model-cards-cs577/project/model_cards")
FRONT = re.compile(r"^---\n(.*?)\n---", re.S)


def load_records(shared: Path) -> list[RawRecord]:
    """One raw record per card file (``org_name_README.md`` → ``org/name``)."""
    records = []
    for path in sorted((shared / CARDS).glob("*/*_README.md")):
        stem = path.name.removesuffix("_README.md")
        namespace, sep, name = stem.partition("_")
        repo_id = f"{namespace}/{name}" if sep else stem
        data = {
            "kind": "model",
            "repo_id": repo_id,
            "info": None,
            "card": path.read_text(encoding="utf-8", errors="replace"),
            "config": None,
            "eval_results": None,
            "status": "ok",
            "flags": [],
        }
        records.append(RawRecord("huggingface", f"models/{repo_id}", data))
    return records


def best_of(repeat: int, work: Callable[[], Any]) -> tuple[float, Any]:
    """The fastest of ``repeat`` runs (seconds) and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def parse_front_matters(texts: list[str], loader: Any) -> int:
    parsed = 0
    for text in texts:
        match = FRONT.match(text.replace("\r\n", "\n"))
        if match is None:
            continue
        try:
            yaml.load(match.group(1), Loader=loader)  # SafeLoader / CSafeLoader only
            parsed += 1
        except yaml.YAMLError:
            pass
    return parsed


def pyshacl_rate(records: list[MappedRecord], sample: int) -> float:
    """Records/s of pyshacl on ``sample`` records, each with the background, one at a time."""
    import pyshacl
    import rdflib

    from mlkg import resources

    background = rdflib.Graph()
    for path in resources.ontology_files():
        background.parse(path, format="turtle")
    shapes = rdflib.Graph()
    for path in resources.shape_files():
        shapes.parse(path, format="turtle")
    chosen = records[:: max(1, len(records) // sample)][:sample]
    start = time.perf_counter()
    for record in chosen:
        graph = rdflib.Graph()
        graph += background
        lines = "".join(f"{t.subject} {t.predicate} {t.object} .\n" for t in record.triples)
        graph.parse(data=lines, format="nt")
        pyshacl.validate(graph, shacl_graph=shapes, inference="none", advanced=False)
    return len(chosen) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pyshacl-sample", type=int, default=50)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if not (args.shared / CARDS).is_dir():
        sys.exit(f"no card corpus at {args.shared / CARDS} (pass --shared)")

    records = load_records(args.shared)
    texts = [r.data["card"] for r in records]
    n = len(records)
    iris = Iris()
    print(f"{n} cards, {sum(map(len, texts)) / 1e6:.1f} MB of text; best of {args.repeat} runs")

    safe, _ = best_of(args.repeat, lambda: parse_front_matters(texts, yaml.SafeLoader))
    fast_loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    fast, _ = best_of(args.repeat, lambda: parse_front_matters(texts, fast_loader))
    mapping, mapped = best_of(args.repeat, lambda: [map_record(r, iris) for r in records])
    validator = Validator()
    validation, verdicts = best_of(args.repeat, lambda: validator.validate(mapped))
    triples = sum(len(m.triples) for m in mapped)
    accepted = sum(v.accepted for v in verdicts)

    rows = [
        ("baseline: yaml.safe_load of the front matters", safe),
        ("baseline: CSafeLoader of the front matters", fast),
        ("map_record (the whole card)", mapping),
        ("Validator.validate (all records, batched)", validation),
        ("map + validate", mapping + validation),
    ]
    print(f"\n{'stage':<50} {'seconds':>8} {'cards/s':>9}")
    for name, seconds in rows:
        print(f"{name:<50} {seconds:>8.2f} {n / seconds:>9.0f}")
    print(f"\n{triples} triples ({triples / n:.0f} per card), {accepted}/{n} records accepted")
    if args.pyshacl_sample > 0:
        rate = pyshacl_rate(mapped, args.pyshacl_sample)
        print(
            f"pyshacl, one record + background at a time ({args.pyshacl_sample} records): "
            f"{rate:.1f} records/s vs Validator {n / validation:.0f} records/s "
            f"(x{n / validation / rate:.0f})"
        )


if __name__ == "__main__":
    main()
