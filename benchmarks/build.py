"""Throughput of each build stage on a real catalogue, beside baselines measured in the same run.

    python benchmarks/build.py --source tfhub --from ../shared/zoo-snapshots/tfhub.dev

Prints records/s and triples/s for crawl, map, validate and load and for the whole build, the
time of an unchanged re-run, and two baselines on the same data in the same run:

* load: Oxigraph's own bulk loader (``pyoxigraph.Store.bulk_load``) on the build's N-Quads dump;
* validate: pyshacl on a sample of the mapped records, with the same shapes and background,
  against mlkg's SHACL-compiled-to-SPARQL validator on the same sample.

These machines are noisy: compare the ratios, not the seconds. Not a test: nothing here fails.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from pathlib import Path

from pyoxigraph import RdfFormat, Store

from crawlers import get_source
from mlkg.config import resolve_settings
from mlkg.pipeline import build
from mlkg.provenance import RunContext, map_one
from mlkg.raw import raw_path, read_raw
from mlkg.resources import ontology_files, shape_files
from mlkg.store import open_store
from mlkg.validation import Validator

DEFAULT_FROM = Path(__file__).resolve().parents[2] / "shared" / "zoo-snapshots" / "tfhub.dev"


def rate(count: float, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s" if seconds > 0 else "-"


def pyshacl_seconds(records, validator_background: list[Path], shapes: list[Path]) -> float:
    """pyshacl over the records' union graph (one call: its fastest mode) with the background."""
    import pyshacl
    import rdflib

    data = rdflib.Graph()
    for path in validator_background:
        data.parse(path, format="turtle")
    text = "".join(f"{t.subject} {t.predicate} {t.object} .\n" for r in records for t in r.triples)
    data.parse(data=text, format="nt")
    shacl = rdflib.Graph()
    for path in shapes:
        shacl.parse(path, format="turtle")
    start = time.perf_counter()
    pyshacl.validate(data, shacl_graph=shacl, inference="none", advanced=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default="tfhub")
    parser.add_argument("--from", dest="location", default=str(DEFAULT_FROM))
    parser.add_argument(
        "--pyshacl-sample",
        type=int,
        default=500,
        help="records validated by both pyshacl and mlkg (0 to skip pyshacl)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        settings = resolve_settings(environ={}, data_dir=Path(tmp) / "data")
        start = time.perf_counter()
        report = build(settings, args.source, location=args.location)
        total = time.perf_counter() - start
        start = time.perf_counter()
        rerun = build(settings, args.source, location=args.location)
        rerun_seconds = time.perf_counter() - start

        records = report.crawled
        triples = report.triples_written
        print(
            f"{args.source} from {args.location}: {records} records, {triples} triples, "
            f"{report.quarantined} quarantined\n"
        )
        print(f"{'stage':<12}{'seconds':>9}{'records/s':>14}{'triples/s':>14}")
        for stage in ("crawl", "map", "validate", "load"):
            seconds = report.seconds.get(stage, 0.0)
            print(
                f"{stage:<12}{seconds:>9.2f}{rate(records, seconds):>14}"
                f"{rate(triples, seconds) if stage != 'crawl' else '':>14}"
            )
        print(
            f"{'whole build':<12}{total:>9.2f}{rate(records, total):>14}{rate(triples, total):>14}"
        )
        print(
            f"{'re-run':<12}{rerun_seconds:>9.2f}  (unchanged input: {rerun.unchanged} "
            f"skipped, {rerun.written} written)\n"
        )

        with open_store(settings.data_dir, base_iri=settings.base_iri, read_only=True) as store:
            dump = io.BytesIO()
            store.dump(dump, RdfFormat.N_QUADS)
        baseline = Store(str(Path(tmp) / "baseline"))
        start = time.perf_counter()
        baseline.bulk_load(dump.getvalue(), RdfFormat.N_QUADS)
        baseline.flush()
        bulk_seconds = time.perf_counter() - start
        quads = len(baseline)
        load_seconds = report.seconds.get("load", 0.0)
        ours = triples / load_seconds if load_seconds else float("nan")
        theirs = quads / bulk_seconds
        print(
            f"load baseline: Oxigraph bulk_load of the {quads} dumped quads: "
            f"{bulk_seconds:.2f}s ({theirs:,.0f}/s); mlkg load {ours:,.0f}/s "
            f"({ours / theirs:.0%} of the baseline)"
        )
        print(
            f"whole build vs bulk_load alone: {rate(triples, total)} vs "
            f"{rate(quads, bulk_seconds)} ({(triples / total) / (quads / bulk_seconds):.0%})"
        )

        if args.pyshacl_sample:
            source = get_source(args.source)
            iris = settings.iris
            context = RunContext(
                source, iris, iris.activity(source.name, "bench"), "2026-01-01T00:00:00Z"
            )
            sample = []
            for raw in read_raw(raw_path(settings, args.source)):
                sample.append(map_one(raw, context))
                if len(sample) == args.pyshacl_sample:
                    break
            validator = Validator()
            start = time.perf_counter()
            verdicts = validator.validate(sample)
            ours = time.perf_counter() - start
            reference = pyshacl_seconds(sample, ontology_files(), shape_files())
            sample_triples = sum(len(r.triples) for r in sample)
            print(
                f"\nvalidation of {len(sample)} records ({sample_triples} triples): "
                f"mlkg {ours:.2f}s, pyshacl {reference:.2f}s -> {reference / ours:.1f}x faster "
                f"({sum(not v.accepted for v in verdicts)} refused)"
            )


if __name__ == "__main__":
    main()
