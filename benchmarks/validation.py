"""Benchmark: mlkg's SPARQL-compiled SHACL validator against pyshacl, same data, same shapes.

Generates N synthetic Hub-like records (a model with ~15-30 triples, some evaluations, stubs for
the base model, publisher and datasets it links to; ~5% made invalid in a record-local way),
then times

* pyshacl, the way it is fastest: one run over ALL records merged into one rdflib graph with the
  background (ontology + vocabularies), timed as "parse" (building the rdflib graph) + validate;
* mlkg.validation.Validator: compile + load the background, then validate the records in batches.

Both result sets are compared as sets of (focus node, path, constraint component). The generator
only lets records share background nodes and stubs that are identical in every record, so the
merged-graph pyshacl run and the per-record semantics must agree. ``--exact-sample`` records are
also checked the exact way (pyshacl on each record graph + background). Run it with:

    python benchmarks/validation.py --records 20000

Shapes default to shapes/*.ttl when present, else tests/validation/shapes.ttl (which needs
``--background tests/validation/background.ttl`` and its own data, so real shapes are preferred).
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import time
from pathlib import Path

import pyshacl
import rdflib
from pyoxigraph import Literal, NamedNode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mlkg import resources  # noqa: E402
from mlkg.records import MappedRecord  # noqa: E402
from mlkg.validation import Validator  # noqa: E402

R = "https://w3id.org/mlkg/resource/"
M = "https://w3id.org/mlkg/ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")


def n(iri: str) -> NamedNode:
    return NamedNode(iri)


def m(name: str) -> NamedNode:
    return NamedNode(M + name)


def typed(value: object, datatype: str) -> Literal:
    return Literal(str(value), datatype=NamedNode(XSD + datatype))


LABEL = n("http://www.w3.org/2000/01/rdf-schema#label")
IDENTIFIER = n("http://purl.org/dc/terms/identifier")
LICENSE = n("http://purl.org/dc/terms/license")
PUBLISHER = n("http://purl.org/dc/terms/publisher")
MODIFIED = n("http://purl.org/dc/terms/modified")
URL = n("https://schema.org/url")
HUBS = [R + "hub/huggingface", R + "hub/tfhub", R + "hub/pytorch-hub"]
TASKS = [R + f"task/{t}" for t in ("text-classification", "token-classification")]
METRICS = [R + f"metric/{x}" for x in ("accuracy", "top-1-accuracy")]
LICENSES = ["http://spdx.org/licenses/Apache-2.0", "http://spdx.org/licenses/MIT"]
VOCAB_DATASET = R + "dataset/imagenet-ilsvrc-2012"
BASES = [f"google-bert/bert-base-{i}" for i in range(50)]
MUTATIONS = (
    "no-identifier",
    "bad-double",
    "negative-downloads",
    "literal-url",
    "untyped-metric",
    "two-libraries",
    "untyped-dataset",
    "bad-language",
)


def make_record(i: int, rng: random.Random) -> MappedRecord:
    """One Hub-like model record; every 20th (on average) gets one record-local defect."""
    org, name = f"org{i % 997}", f"model-{i}"
    model = n(f"{R}model/huggingface/{org}/{name}")
    hub = n(rng.choice(HUBS))
    record = MappedRecord("huggingface", f"{org}/{name}", n(f"{R}graph/huggingface/{org}/{name}"))
    mutation = rng.choice(MUTATIONS) if rng.random() < 0.05 else None
    add = record.add
    add(model, RDF_TYPE, m("Model"))
    if mutation != "no-identifier":
        add(model, IDENTIFIER, Literal(f"{org}/{name}"))
    add(model, LABEL, Literal(name))
    add(model, m("hub"), hub)
    url = f"https://huggingface.co/{org}/{name}"
    add(model, URL, Literal(url) if mutation == "literal-url" else n(url))
    add(model, LICENSE, n(rng.choice(LICENSES)))
    add(model, m("task"), n(rng.choice(TASKS)))
    add(model, m("library"), Literal("transformers"))
    if mutation == "two-libraries":
        add(model, m("library"), Literal("pytorch"))
    downloads = -5 if mutation == "negative-downloads" else rng.randint(0, 10**6)
    add(model, m("downloads"), typed(downloads, "integer"))
    add(model, m("likes"), typed(rng.randint(0, 500), "integer"))
    modified = f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T10:00:00Z"
    add(model, MODIFIED, typed(modified, "dateTime"))
    add(model, m("parameterCount"), typed(rng.randint(10**6, 10**9), "integer"))
    add(model, m("format"), Literal("safetensors"))
    add(model, m("language"), Literal("English" if mutation == "bad-language" else "en"))
    for k in range(rng.randint(2, 8)):
        add(model, m("tag"), Literal(f"tag-{rng.randint(0, 300)}-{k}"))
    add_stubs(record, model, hub, org, rng)
    add_evaluations(record, model, rng, mutation)
    return record


def add_stubs(
    record: MappedRecord, model: NamedNode, hub: NamedNode, org: str, rng: random.Random
) -> None:
    """Publisher and base-model stubs: shared IRIs, identical triples in every record."""
    publisher = n(f"{R}publisher/huggingface/{org}")
    record.add(model, PUBLISHER, publisher)
    record.add(publisher, RDF_TYPE, m("Publisher"))
    record.add(publisher, LABEL, Literal(org))
    if rng.random() < 0.6:
        base_id = rng.choice(BASES)
        base = n(f"{R}model/huggingface/{base_id}")
        record.add(model, m("fineTunedFrom"), base)
        record.add(base, RDF_TYPE, m("Model"))
        record.add(base, IDENTIFIER, Literal(base_id))
        record.add(base, LABEL, Literal(base_id))
        record.add(base, m("hub"), n(HUBS[0]))


def add_evaluations(
    record: MappedRecord, model: NamedNode, rng: random.Random, mutation: str | None
) -> None:
    for k in range(rng.choice((0, 0, 1, 2, 3))):
        evaluation = n(f"{model.value}/evaluation/{k}")
        add = record.add
        add(evaluation, RDF_TYPE, m("Evaluation"))
        add(evaluation, m("evaluatedModel"), model)
        if mutation == "untyped-metric" and k == 0:
            add(evaluation, m("metric"), n(f"{model.value}/metric/custom"))
        else:
            add(evaluation, m("metric"), n(rng.choice(METRICS)))
        value = "n/a" if mutation == "bad-double" and k == 0 else repr(rng.random())
        add(evaluation, m("value"), typed(value, "double"))
        add(evaluation, m("verified"), typed(rng.choice(("true", "false")), "boolean"))
        if rng.random() < 0.5:
            add(evaluation, m("onDataset"), n(VOCAB_DATASET))
        else:
            dataset = n(f"{model.value}/dataset/{k}")
            add(evaluation, m("onDataset"), dataset)
            if not (mutation == "untyped-dataset" and k == 0):
                add(dataset, RDF_TYPE, m("Dataset"))
            add(dataset, LABEL, Literal(f"dataset {k}"))


def to_rdflib(term):
    if isinstance(term, NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        if term.datatype.value == XSD + "string":
            return rdflib.Literal(term.value)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
    return rdflib.BNode(term.value)


def rdflib_graph(triples) -> rdflib.Graph:
    graph = rdflib.Graph()
    for t in triples:
        graph.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
    return graph


def text(term) -> str:
    if isinstance(term, rdflib.URIRef):
        return f"<{term}>"
    if isinstance(term, rdflib.BNode):
        return f"_:{term}"
    return term.n3()


def pyshacl_keys(data: rdflib.Graph, shapes: rdflib.Graph) -> set[tuple]:
    _, results, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none")
    keys = set()
    for result in results.subjects(rdflib.RDF.type, SH.ValidationResult):
        path = results.value(result, SH.resultPath)
        if isinstance(path, rdflib.BNode):
            path = f"^<{results.value(path, SH.inversePath)}>"
        elif path is not None:
            path = f"<{path}>"
        focus = text(results.value(result, SH.focusNode))
        keys.add((focus, path, str(results.value(result, SH.sourceConstraintComponent))))
    return keys


def our_keys(violations) -> set[tuple]:
    return {(v.focus, v.path, v.constraint) for v in violations}


def run_ours(records, **options) -> tuple[Validator, float, float, list, set[tuple]]:
    """mlkg's validator over ``records``: (validator, setup seconds, validate seconds, verdicts,
    the distinct results as keys comparable with :func:`pyshacl_keys`)."""
    start = time.perf_counter()
    validator = Validator(**options)
    setup = time.perf_counter() - start
    start = time.perf_counter()
    verdicts = validator.validate(records)
    seconds = time.perf_counter() - start
    keys = set().union(
        our_keys(validator.background_violations), *(our_keys(v.violations) for v in verdicts)
    )
    return validator, setup, seconds, verdicts, keys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000, help="records to generate")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--batch-size", type=int, default=None, help="validator batch size")
    parser.add_argument("--workers", type=int, default=None, help="validator query threads")
    parser.add_argument("--shapes", nargs="*", type=Path, default=None)
    parser.add_argument("--background", nargs="*", type=Path, default=None)
    parser.add_argument("--exact-sample", type=int, default=100, help="records checked per record")
    parser.add_argument("--skip-pyshacl", action="store_true", help="time mlkg only")
    args = parser.parse_args(argv)
    logging.getLogger("rdflib.term").setLevel(logging.CRITICAL)
    shape_files = args.shapes or resources.shape_files() or [REPO / "tests/validation/shapes.ttl"]
    background_files = args.background or resources.ontology_files()
    rng = random.Random(args.seed)
    records = [make_record(i, rng) for i in range(args.records)]
    triples = sum(len(r.triples) for r in records)
    print(f"records: {len(records)}  triples: {triples}  shapes: {[p.name for p in shape_files]}")

    options = {"workers": args.workers}
    if args.batch_size is not None:
        options["batch_size"] = args.batch_size
    validator, setup, ours_time, verdicts, ours = run_ours(
        records, shapes=shape_files, background=background_files, **options
    )
    rejected = sum(not v.accepted for v in verdicts)
    rate = len(records) / ours_time
    print(
        f"mlkg:    setup {setup:.2f} s, validate {ours_time:.2f} s ({rate:,.0f} records/s), "
        f"{len(validator.constraints)} queries/batch, {validator.workers} threads, "
        f"{rejected} records rejected, "
        f"{len(ours)} distinct results"
    )
    if args.skip_pyshacl:
        return 0

    shapes = rdflib.Graph()
    for path in shape_files:
        shapes.parse(path)
    start = time.perf_counter()
    background = rdflib.Graph()
    for path in background_files:
        background.parse(path)
    data = rdflib_graph(t for r in records for t in r.triples)
    data += background
    parse_time = time.perf_counter() - start
    start = time.perf_counter()
    theirs = pyshacl_keys(data, shapes)
    their_time = time.perf_counter() - start
    print(
        f"pyshacl: parse {parse_time:.2f} s, validate {their_time:.2f} s, "
        f"{len(theirs)} distinct results"
    )
    print(
        f"ratio:   {their_time / ours_time:.1f}x (validate only), "
        f"{(parse_time + their_time) / (setup + ours_time):.1f}x (with parsing/setup)"
    )
    print(f"mismatches (merged graph): {len(ours ^ theirs)}")
    for key in sorted(ours ^ theirs)[:10]:
        print("   ", "only mlkg   " if key in ours else "only pyshacl", key)
    return exact_check(records[: args.exact_sample], verdicts, shapes, background)


def exact_check(records, verdicts, shapes, background) -> int:
    """pyshacl per record (record graph + background) on a sample, as the tests do."""
    mismatches = 0
    for record, verdict in zip(records, verdicts, strict=False):
        data = rdflib_graph(record.triples)
        data += background
        occurs = {str(x) for t in record.triples for x in (t.subject, t.object)}
        theirs = {k for k in pyshacl_keys(data, shapes) if k[0] in occurs}
        mismatches += len(theirs ^ our_keys(verdict.violations))
    print(f"mismatches (per record, first {len(records)} records): {mismatches}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
