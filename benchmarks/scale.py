"""Hub scale: generate a synthetic zoo, build it, and measure everything issue 6 sets a target for.

    python benchmarks/scale.py --models 100000
    python benchmarks/scale.py --models 100000 --models 1000000 --output results.json
    python benchmarks/scale.py --models 2000000 --dir /work/scratch --skip-pyshacl --skip-rdflib

For each size N (``--models``, repeatable; default 100,000) it, in this order and in the same run:

1. generates the zoo (``mlkg.generate.generate_zoo``, seed ``--seed``);
2. builds it in a child process: ``huggingface`` then ``tfhub`` through the real
   crawl → map → validate → load path (:func:`mlkg.pipeline.build`), with each stage's seconds,
   the triples written, triples/s, the store's size on disk and the child's peak RSS
   (``os.wait4``: the kernel's own count, no sampling);
3. exports the store as N-Quads (``oxigraph dump``) and loads them with the raw
   ``oxigraph load`` command (the baseline: the build's triples/s must be at least half of
   its rate);
4. validates a sample of the mapped records (``--pyshacl-triples``, default 1,000,000 triples)
   with mlkg's SHACL-compiled-to-SPARQL validator and with pyshacl (same shapes, same
   background), compares the two violation sets and the times (target: 10x);
5. times every query in queries/ (``store.query``, what ``mlkg query`` runs) unbound and, where
   it takes a model/publisher/task/... parameter, bound to a busy entity of the zoo; point
   lookups (a model page: :func:`mlkg.server.linked_data.describe` + ``read_model``) and
   search-box queries (:func:`mlkg.search.search`); median and max of ``--repeat`` runs, in a
   child process so a runaway query cannot stall the run (``--query-timeout``);
6. loads the same N-Quads into rdflib's in-memory ``Dataset`` and runs one query (only up to
   ``--rdflib-max-quads``: it needs ~1 KB of RAM per quad);
   With ``--virtuoso``, the same N-Quads are bulk-loaded into a private Virtuoso and the same
   queries, bound to the same entities, are timed there (``benchmarks/virtuoso.py``);
7. rewrites 1% of the models (``generate_zoo(..., refresh=...)``: new downloads, likes, commit and
   date in their API responses) and rebuilds: the incremental refresh, against the full build.

It prints a markdown table per size (target, measured, met or missed by how much) and writes all
numbers as JSON to ``--output``. The machine is usually shared: the load average before and after
each step is recorded, and every rate is shown beside its baseline measured in the same run, so
compare ratios, not seconds. Zoos and stores go to ``--dir`` (default: a temporary folder) and are
deleted at the end unless ``--keep``. Not a test: nothing here fails.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

#: Targets of issue 6 (at 2,000,000 models).
TARGET_BUILD_SECONDS = 30 * 60
TARGET_PEAK_MB = 8 * 1024
TARGET_LOAD_RATIO = 0.5
TARGET_PYSHACL_SPEEDUP = 10.0
TARGET_QUERY_SECONDS = 2.0
TARGET_LOOKUP_SECONDS = 0.050
TARGET_REFRESH_SHARE = 0.01
#: The "constant" of the refresh target: fixed costs of any run (opening the store, the
#: background graphs, the derived graphs, snapshot publication).
REFRESH_CONSTANT_SECONDS = 60.0
SOURCES = ("huggingface", "tfhub")


def load() -> float:
    return round(os.getloadavg()[0], 2)


def du(path: Path) -> int:
    """Bytes allocated on disk below ``path``."""
    total = 0
    for folder, _dirs, names in os.walk(path):
        for name in names:
            with contextlib.suppress(FileNotFoundError):
                total += os.lstat(os.path.join(folder, name)).st_blocks * 512
    return total


def run_child(args: list[str], *, timeout: float | None = None) -> tuple[int, float, float, str]:
    """Run ``python scale.py <args>`` (or a command); (returncode, seconds, peak RSS MB, stdout)."""
    command = args if args[0].startswith("/") else [sys.executable, __file__, *args]
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen(command, stdout=out, cwd=REPO)
        deadline = None if timeout is None else start + timeout
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.perf_counter() > deadline:
                child.kill()
                pid, status, usage = os.wait4(child.pid, 0)
                status = -9
                break
            time.sleep(0.05)
        seconds = time.perf_counter() - start
        child.returncode = status
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    code = os.waitstatus_to_exitcode(status) if status != -9 else -9
    return code, seconds, usage.ru_maxrss / 1024, text


# -- children ----------------------------------------------------------------------------------


def child_build(data_dir: str, zoo: str) -> None:
    """Build both sources of the zoo into ``data_dir``; print the reports as JSON."""
    from mlkg.config import resolve_settings
    from mlkg.pipeline import build

    logging.basicConfig(level=logging.ERROR)
    settings = resolve_settings(environ={}, data_dir=Path(data_dir))
    reports = {}
    for source in SOURCES:
        start = time.perf_counter()
        report = build(settings, source, location=str(Path(zoo) / source))
        reports[source] = {**report.as_dict(), "wall": time.perf_counter() - start}
    print(json.dumps(reports))


def child_export(data_dir: str, target: str) -> None:
    from pyoxigraph import RdfFormat

    from mlkg.config import resolve_settings
    from mlkg.store import open_store

    settings = resolve_settings(environ={}, data_dir=Path(data_dir))
    with (
        open_store(settings.data_dir, base_iri=settings.base_iri, read_only=True) as store,
        open(target, "wb") as out,
    ):
        store.dump(out, RdfFormat.N_QUADS)


def _measure(fn, repeat: int) -> dict:
    times = []
    rows = 0
    for _ in range(repeat):
        start = time.perf_counter()
        rows = fn()
        times.append(time.perf_counter() - start)
    return {"median": statistics.median(times), "max": max(times), "rows": rows}


def _count(result) -> int:
    try:
        return sum(1 for _ in result)
    except TypeError:
        return 1


def child_queries(data_dir: str, repeat: str, skip: str = "[]") -> None:
    """Time the query catalogue, point lookups and search; one JSON line per measurement.

    Before each measurement a ``start`` line names it, so the parent can kill a runaway query,
    record it as timed out and start again with ``skip`` (a JSON list of names done)."""
    from mlkg import search as search_module
    from mlkg.config import resolve_settings
    from mlkg.queries import named_queries, substitutions
    from mlkg.server.linked_data import GraphReader, describe, read_model
    from mlkg.store import open_store

    times = int(repeat)
    done = set(json.loads(skip))
    settings = resolve_settings(environ={}, data_dir=Path(data_dir))

    def measure(kind: str, name: str, fn, **extra) -> None:
        if name in done:
            return
        print(json.dumps({"event": "start", "kind": kind, "name": name}), flush=True)
        try:
            result = _measure(fn, times)
        except Exception as exc:  # a query the store refuses: report it, go on
            result = {"median": 0, "max": 0, "rows": 0, "error": str(exc)[:300]}
        print(json.dumps({"kind": kind, "name": name, **result, **extra}), flush=True)

    cache = Path(data_dir) / "scale-entities.json"
    with open_store(settings.data_dir, base_iri=settings.base_iri, read_only=True) as store:
        if cache.exists():
            entities = json.loads(cache.read_text())
        else:
            entities = pick_entities(store)
            cache.write_text(json.dumps(entities))
        print(json.dumps({"kind": "setup", "name": "entities", "entities": entities}), flush=True)
        for name, named in sorted(named_queries().items()):
            measure("query", name, lambda n=named: _count(store.query(n.text)), bound={})
            bound = bound_query(name, named, entities)
            if bound is None:
                continue
            text, params = bound
            subs = substitutions(params) if text == named.text else {}
            measure(
                "query",
                name + " (bound)",
                lambda t=text, s=subs: _count(store.query(t, substitutions=s)),
                bound=params,
            )
    reader = GraphReader(settings)
    for label, iri in (("popular base", entities["base"]), ("leaf model", entities["leaf"])):
        measure(
            "lookup",
            f"resource page statements, {label}",
            lambda i=iri: len(describe(reader, i).statements),
        )
        measure(
            "lookup",
            f"model page tables, {label}",
            lambda i=iri: len(read_model(reader, i).evaluations),
        )
    measure(
        "lookup",
        "DESCRIBE of a model",
        lambda: _count(
            reader.store().query(f"DESCRIBE <{entities['leaf']}>", use_default_graph_as_union=True)
        ),
    )
    for text in entities["searches"]:
        measure(
            "search",
            f"search {text!r}",
            lambda t=text: len(search_module.search(settings, t)),
        )


def bound_query(name: str, named, entities: dict) -> tuple[str, dict[str, str]] | None:
    """The text to run for a query bound to busy entities, and its parameters; None if the
    query takes none of them. The text is the query's own when pyoxigraph can substitute every
    parameter (it substitutes projected variables only), else the query with ``VALUES``."""
    params = bound_params(named.header.get("parameters", ""), entities, query=name)
    if not params:
        return None
    projected = re.search(r"SELECT(.*?)WHERE", named.text, re.S | re.I)
    if projected and all(f"?{p}" in projected.group(1) for p in params):
        return named.text, params
    return with_values(named.text, params), params


def with_values(text: str, params: dict[str, str]) -> str:
    """``text`` with ``VALUES ?name { term }`` for each parameter after its first ``WHERE {``."""
    from mlkg.queries import parse_term

    values = " ".join(f"VALUES ?{name} {{ {parse_term(value)} }}" for name, value in params.items())
    index = text.upper().index("WHERE")
    brace = text.index("{", index)
    return text[: brace + 1] + " " + values + " " + text[brace + 1 :]


def pick_entities(store) -> dict:
    """Busy entities of the built zoo for bound queries and lookups (not timed)."""

    def one(sparql: str, var: str) -> str:
        rows = list(store.query(sparql))
        return rows[0][var].value if rows else ""

    base = one(
        "SELECT ?b (COUNT(*) AS ?n) WHERE { ?m mlkg:fineTunedFrom ?b } GROUP BY ?b "
        "ORDER BY DESC(?n) LIMIT 1",
        "b",
    )
    leaf_rows = list(
        store.query(
            "SELECT ?m ?label WHERE { ?m mlkg:fineTunedFrom ?b ; rdfs:label ?label ; "
            "mlkg:hub <https://w3id.org/mlkg/resource/hub/huggingface> . "
            "?e mlkg:evaluatedModel ?m } LIMIT 1"
        )
    )
    leaf = leaf_rows[0]["m"].value if leaf_rows else base
    label = leaf_rows[0]["label"].value if leaf_rows else "bert"
    publisher = one(
        "SELECT ?p (COUNT(*) AS ?n) WHERE { ?m dcterms:publisher ?p } GROUP BY ?p "
        "ORDER BY DESC(?n) LIMIT 1",
        "p",
    )
    versioned = one("SELECT ?m WHERE { ?m mlkg:revisionOf ?o } LIMIT 1", "m")
    configured = one(
        "SELECT ?m WHERE { ?m prov:wasGeneratedBy ?run . "
        "?run mlkg:configuration/mlkg:setting ?s } LIMIT 1",
        "m",
    )
    converted = one(
        "SELECT ?p (COUNT(*) AS ?n) WHERE { ?v mlkg:convertedFrom ?p } GROUP BY ?p "
        "ORDER BY DESC(?n) LIMIT 1",
        "p",
    )
    return {
        "base": base,
        "leaf": leaf,
        "versioned": versioned or leaf,
        "configured": configured or leaf,
        "converted": converted or base,
        "publisher": publisher,
        "task": "https://w3id.org/mlkg/resource/task/text-classification",
        "metric": "https://w3id.org/mlkg/resource/metric/accuracy",
        "hub": "https://w3id.org/mlkg/resource/hub/huggingface",
        "searches": [label, "bert", "imagenet classification", "llam", "apache"],
    }


#: Entities that make a query answer rows where the generic pick would not.
QUERY_ENTITIES = {
    "versions-of-model": {"model": "versioned"},
    "hyperparameters-of-model": {"model": "configured"},
    "variants-of-model": {"parent": "converted"},
}


def bound_params(header: str, entities: dict, query: str = "") -> dict[str, str]:
    """Bindings for the parameters a query's header lists that the zoo has a busy value for."""
    values = {
        "model": entities["leaf"],
        "parent": entities["base"],
        "publisher": entities["publisher"],
        "task": entities["task"],
        "metric": entities["metric"],
    }
    for name, entity in QUERY_ENTITIES.get(query, {}).items():
        values[name] = entities.get(entity, values[name])
    declared = set(re.findall(r"\?(\w+) —", header))
    return {name: f"<{value}>" for name, value in values.items() if name in declared and value}


def child_rdflib(nquads: str, limit: str) -> None:
    """Load (at most ``limit``) N-Quads into rdflib's in-memory Dataset; one query."""
    import itertools

    import rdflib

    logging.getLogger("rdflib").setLevel(logging.CRITICAL)
    maximum = int(limit)
    with open(nquads, "rb") as handle:
        data = b"".join(itertools.islice(handle, maximum))
    dataset = rdflib.Dataset(default_union=True)
    start = time.perf_counter()
    dataset.parse(data=data, format="nquads")
    parse_seconds = time.perf_counter() - start
    del data
    start = time.perf_counter()
    rows = list(
        dataset.query(
            "SELECT ?task (COUNT(?m) AS ?n) WHERE { ?m <https://w3id.org/mlkg/ontology#task> "
            "?task } GROUP BY ?task ORDER BY DESC(?n)"
        )
    )
    query_seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "quads": sum(1 for _ in dataset.quads((None, None, None, None))),
                "parse_seconds": parse_seconds,
                "query_seconds": query_seconds,
                "rows": len(rows),
            }
        )
    )


def child_pyshacl(data_dir: str, triples: str, output: str) -> None:
    """mlkg's validator and pyshacl on the same sample of mapped records; JSON with both."""
    import rdflib

    from crawlers import get_source
    from mlkg.config import resolve_settings
    from mlkg.provenance import RunContext, map_one
    from mlkg.raw import raw_path, read_raw
    from mlkg.resources import ontology_files, shape_files

    sys.path.insert(0, str(REPO / "benchmarks"))
    from validation import pyshacl_keys, rdflib_graph, run_ours

    logging.getLogger("rdflib").setLevel(logging.CRITICAL)
    wanted = int(triples)
    settings = resolve_settings(environ={}, data_dir=Path(data_dir))
    sample = []
    total = 0
    # Both sources, interleaved in proportion, so the sample has both zoos' shapes.
    for name in SOURCES:
        source = get_source(name)
        iris = settings.iris
        context = RunContext(source, iris, iris.activity(name, "bench"), "2026-01-01T00:00:00Z")
        share = wanted * (0.85 if name == "huggingface" else 0.15)
        got = 0
        for raw in read_raw(raw_path(settings, name)):
            record = map_one(raw, context)
            sample.append(record)
            got += len(record.triples)
            if got >= share:
                break
        total += got
    _validator, setup, ours_seconds, verdicts, ours = run_ours(sample)
    shapes = rdflib.Graph()
    for path in shape_files():
        shapes.parse(path)
    start = time.perf_counter()
    data = rdflib.Graph()
    for path in ontology_files():
        data.parse(path)
    data += rdflib_graph(t for r in sample for t in r.triples)
    parse_seconds = time.perf_counter() - start
    start = time.perf_counter()
    theirs = pyshacl_keys(data, shapes)
    their_seconds = time.perf_counter() - start
    differences = sorted(ours ^ theirs)
    result = {
        "records": len(sample),
        "triples": total,
        "mlkg_setup": setup,
        "mlkg_seconds": ours_seconds,
        "pyshacl_parse": parse_seconds,
        "pyshacl_seconds": their_seconds,
        "mlkg_results": len(ours),
        "pyshacl_results": len(theirs),
        "refused": sum(not v.accepted for v in verdicts),
        "differences": len(differences),
        "difference_examples": [list(map(str, d)) for d in differences[:10]],
        "speedup_validate": their_seconds / ours_seconds,
        "speedup_total": (parse_seconds + their_seconds) / (setup + ours_seconds),
    }
    Path(output).write_text(json.dumps(result))


CHILDREN = {
    "build": child_build,
    "export": child_export,
    "queries": child_queries,
    "rdflib": child_rdflib,
    "pyshacl": child_pyshacl,
}


# -- one size ----------------------------------------------------------------------------------


def generate(zoo: Path, models: int, seed: int, refresh: float | None = None) -> dict:
    from mlkg.generate import generate_zoo

    before = load()
    start = time.perf_counter()
    if refresh is None:
        report = generate_zoo(zoo, models=models, seed=seed)
    else:
        report = generate_zoo(zoo, models=models, seed=seed, refresh=refresh, revision=1)
    return {
        "seconds": time.perf_counter() - start,
        "files": report.files,
        "bytes": report.bytes,
        "records": report.records,
        "load_before": before,
        "load_after": load(),
    }


def build_stats(reports: dict, seconds: float, peak: float) -> dict:
    stages: dict[str, float] = {}
    for report in reports.values():
        for stage, value in report["seconds"].items():
            stages[stage] = stages.get(stage, 0.0) + value
    triples = sum(r["triples_written"] for r in reports.values())
    return {
        "seconds": seconds,
        "stages": stages,
        "triples": triples,
        "triples_per_second": triples / seconds if seconds else 0.0,
        "peak_rss_mb": peak,
        "records": sum(r["crawled"] for r in reports.values()),
        "mapped": sum(r["mapped"] for r in reports.values()),
        "accepted": sum(r["accepted"] for r in reports.values()),
        "quarantined": sum(r["quarantined"] for r in reports.values()),
        "unchanged": sum(r["unchanged"] for r in reports.values()),
        "written": sum(r["written"] for r in reports.values()),
        "reports": reports,
    }


def run_build(data: Path, zoo: Path) -> dict:
    before = load()
    code, seconds, peak, out = run_child(["--child", "build", str(data), str(zoo)])
    if code != 0:
        raise SystemExit(f"build failed ({code}):\n{out[-2000:]}")
    stats = build_stats(json.loads(out.strip().splitlines()[-1]), seconds, peak)
    stats["load_before"], stats["load_after"] = before, load()
    return stats


def step(message: str, result: dict | None = None, output: Path | None = None) -> None:
    """Log a step; with ``output``, save what ``result`` holds so far beside it, so a run
    stopped part-way (hours at 1M models) still leaves its numbers."""
    print(
        f"[{time.strftime('%H:%M:%S')}] load {load():.2f}  {message}", file=sys.stderr, flush=True
    )
    if result is not None and output is not None:
        partial = output.with_name(output.stem + f"-{result['models']}.partial.json")
        partial.write_text(json.dumps(result, indent=1, default=str))


def run_size(models: int, parent: Path, args: argparse.Namespace) -> dict:
    result: dict = {"models": models, "seed": args.seed, "started": time.strftime("%H:%M:%S")}
    zoo, data = parent / f"zoo-{models}", parent / f"data-{models}"
    step(f"{models:,} models: generating", result, args.output)
    result["generate"] = generate(zoo, models, args.seed)
    step(f"generated in {result['generate']['seconds']:.0f}s; building", result, args.output)
    build = result["build"] = run_build(data, zoo)
    store_dir = data / "store"
    build["store_bytes"] = du(store_dir) if store_dir.exists() else du(data)
    build["data_dir_bytes"] = du(data)
    step(
        f"built in {build['seconds']:.0f}s ({build['triples']:,} triples); exporting",
        result,
        args.output,
    )

    nquads = parent / f"export-{models}.nq"
    oxigraph = str(Path(sys.executable).parent / "oxigraph")
    # The raw loader's input, written by Oxigraph's own dump (store.dump through Python took
    # 11 minutes for 7.2M quads at 100,000 models).
    code, seconds, _peak, text = run_child(
        [oxigraph, "dump", "--location", str(store_dir), "--file", str(nquads)]
    )
    if code != 0:
        raise SystemExit(f"oxigraph dump failed ({code}):\n{text[-2000:]}")
    quads = 0
    with open(nquads, "rb") as handle:
        while block := handle.read(1 << 24):
            quads += block.count(b"\n")
    result["export"] = {"seconds": seconds, "quads": quads, "bytes": nquads.stat().st_size}
    step(f"exported {quads:,} quads in {seconds:.0f}s; raw oxigraph load", result, args.output)
    location = parent / f"oxigraph-{models}"
    before = load()
    code, seconds, peak, _ = run_child(
        [oxigraph, "load", "--location", str(location), "--file", str(nquads)]
    )
    result["oxigraph_load"] = {
        "returncode": code,
        "seconds": seconds,
        "quads_per_second": quads / seconds,
        "peak_rss_mb": peak,
        "store_bytes": du(location),
        "load_before": before,
        "load_after": load(),
    }
    shutil.rmtree(location, ignore_errors=True)
    step(f"oxigraph load {seconds:.0f}s", result, args.output)

    if not args.skip_pyshacl and not result.get("pyshacl_done"):
        step(
            f"validation sample ({args.pyshacl_triples:,} triples) mlkg vs pyshacl",
            result,
            args.output,
        )
        out = parent / f"pyshacl-{models}.json"
        code, seconds, peak, text = run_child(
            ["--child", "pyshacl", str(data), str(args.pyshacl_triples), str(out)]
        )
        if code == 0:
            result["pyshacl"] = {**json.loads(out.read_text()), "peak_rss_mb": peak}
        else:
            result["pyshacl"] = {"error": f"exit {code}", "output": text[-2000:]}
        args.skip_pyshacl = args.pyshacl_once

    step("queries, lookups, search", result, args.output)
    result["queries"] = run_queries(data, args)

    if not args.skip_rdflib:
        step("rdflib in-memory load + one query", result, args.output)
        limit = args.rdflib_max_quads
        code, seconds, peak, text = run_child(
            ["--child", "rdflib", str(nquads), str(limit)], timeout=args.rdflib_timeout
        )
        if code == 0:
            info = json.loads(text.strip().splitlines()[-1])
            result["rdflib"] = {
                **info,
                "complete": quads <= limit,
                "peak_rss_mb": peak,
                "quads_per_second": info["quads"] / info["parse_seconds"],
            }
        else:
            result["rdflib"] = {"error": f"exit {code} after {seconds:.0f}s"}
    if args.virtuoso:
        step("the same query set on Virtuoso (benchmarks/virtuoso.py)", result, args.output)
        import virtuoso  # benchmarks/ is this script's folder, first on sys.path

        entities = next(q["entities"] for q in result["queries"] if q["kind"] == "setup")
        result["virtuoso"] = virtuoso.run(
            nquads,
            workdir=parent,
            data_dir=None,
            repeat=args.repeat,
            timeout=args.query_timeout,
            params=entities,
        )
    nquads.unlink(missing_ok=True)

    if not args.skip_refresh:
        step("refresh: rewriting 1% of the models", result, args.output)
        result["refresh_generate"] = generate(zoo, models, args.seed, refresh=0.01)
        step("refresh: rebuilding", result, args.output)
        result["refresh"] = run_build(data, zoo)
    result["finished"] = time.strftime("%H:%M:%S")
    step(f"{models:,} models done", result, args.output)
    return result


def run_queries(data: Path, args: argparse.Namespace) -> list[dict]:
    """The query child, restarted past any measurement that takes over ``--query-timeout``."""
    rows: list[dict] = []
    done: list[str] = []
    while True:
        child = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--child",
                "queries",
                str(data),
                str(args.repeat),
                json.dumps(done),
            ],
            stdout=subprocess.PIPE,
            cwd=REPO,
        )
        current = None
        buffer = b""
        timed_out = False
        last = time.perf_counter()
        while True:
            ready, _, _ = select.select([child.stdout], [], [], 1.0)
            if ready:
                chunk = os.read(child.stdout.fileno(), 1 << 16)
                if not chunk:
                    break
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if not line.startswith(b"{"):
                        continue
                    item = json.loads(line)
                    if item.get("event") == "start":
                        current, last = item, time.perf_counter()
                    elif item["kind"] == "setup":
                        if not done:
                            rows.append(item)
                    else:
                        rows.append(item)
                        done.append(item["name"])
                        current = None
            elif current is not None and time.perf_counter() - last > args.query_timeout:
                child.kill()
                timed_out = True
                break
        child.wait()
        if not timed_out:
            if child.returncode:
                rows.append({"kind": "error", "name": f"query child exit {child.returncode}"})
            return rows
        rows.append(
            {
                "kind": current["kind"],
                "name": current["name"],
                "median": args.query_timeout,
                "max": args.query_timeout,
                "rows": 0,
                "timeout": True,
            }
        )
        done.append(current["name"])
        step(f"{current['name']} timed out after {args.query_timeout:.0f}s; going on")


# -- the table ---------------------------------------------------------------------------------


def verdict(value: float, target: float, *, lower_is_better: bool = True) -> str:
    if lower_is_better:
        return "met" if value <= target else f"missed by {value / target:.1f}x"
    return "met" if value >= target else f"missed by {target / value:.1f}x"


def fmt_s(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min"


def table(result: dict) -> tuple[str, list[dict]]:
    models = result["models"]
    scale = 2_000_000 / models
    b = result["build"]
    rows: list[dict] = []

    def row(name: str, measured: str, target: str, status: str) -> None:
        rows.append({"metric": name, "measured": measured, "target": target, "status": status})

    stages = ", ".join(f"{k} {fmt_s(v)}" for k, v in b["stages"].items())
    row(
        "generate",
        f"{fmt_s(result['generate']['seconds'])} ({result['generate']['files']:,} files)",
        "-",
        "-",
    )
    row(
        "build, end to end",
        f"{fmt_s(b['seconds'])} ({stages})",
        f"< 30 min at 2M (≈ {fmt_s(TARGET_BUILD_SECONDS / scale)} pro rata)",
        verdict(b["seconds"] * scale, TARGET_BUILD_SECONDS) + " (linear extrapolation to 2M)"
        if models < 2_000_000
        else verdict(b["seconds"], TARGET_BUILD_SECONDS),
    )
    row(
        "triples written, triples/s",
        f"{b['triples']:,}; {b['triples_per_second']:,.0f}/s",
        "-",
        "-",
    )
    ox = result["oxigraph_load"]
    ratio = b["triples_per_second"] / ox["quads_per_second"]
    row(
        "build triples/s ÷ raw `oxigraph load` quads/s",
        f"{ratio:.2f} ({ox['quads_per_second']:,.0f} quads/s, {fmt_s(ox['seconds'])}, "
        f"{result['export']['quads']:,} quads)",
        "≥ 0.5",
        verdict(ratio, TARGET_LOAD_RATIO, lower_is_better=False),
    )
    row(
        "peak memory (RSS) of the build",
        f"{b['peak_rss_mb']:,.0f} MB",
        "< 8 GB",
        verdict(b["peak_rss_mb"], TARGET_PEAK_MB),
    )
    row(
        "store size on disk",
        f"{b['store_bytes'] / 1e9:.2f} GB (data dir {b['data_dir_bytes'] / 1e9:.2f} GB; "
        f"raw `oxigraph load` store {ox['store_bytes'] / 1e9:.2f} GB)",
        "-",
        "-",
    )
    shacl = result.get("pyshacl")
    if shacl and "error" not in shacl:
        same = (
            "same violations"
            if shacl["differences"] == 0
            else (f"{shacl['differences']} differing results")
        )
        row(
            "SHACL validation vs pyshacl (same sample)",
            f"{shacl['speedup_total']:.1f}x incl. parsing "
            f"({fmt_s(shacl['mlkg_setup'] + shacl['mlkg_seconds'])} vs "
            f"{fmt_s(shacl['pyshacl_parse'] + shacl['pyshacl_seconds'])}), "
            f"{shacl['speedup_validate']:.1f}x validate only, on {shacl['triples']:,} triples; "
            f"{same} ({shacl['mlkg_results']:,} results)",
            "≥ 10x, same violations",
            verdict(shacl["speedup_total"], TARGET_PYSHACL_SPEEDUP, lower_is_better=False)
            + ("" if shacl["differences"] == 0 else "; reports differ"),
        )
        validate = b["stages"].get("validate", 0.0)
        pyshacl_rate = shacl["triples"] / (shacl["pyshacl_parse"] + shacl["pyshacl_seconds"])
        row(
            "SHACL validation of the whole build",
            f"{fmt_s(validate)} ({b['triples'] / validate:,.0f} triples/s; pyshacl's sample rate "
            f"{pyshacl_rate:,.0f}/s would take ≈ {fmt_s(b['triples'] / pyshacl_rate)})",
            "≥ 10x pyshacl",
            verdict(
                b["triples"] / validate / pyshacl_rate,
                TARGET_PYSHACL_SPEEDUP,
                lower_is_better=False,
            ),
        )
    elif shacl:
        row("SHACL validation vs pyshacl", shacl["error"], "≥ 10x", "not measured")
    for q in result["queries"]:
        if q["kind"] == "setup":
            continue
        if q["kind"] == "error":
            row("queries", q["name"], "-", "child failed or timed out")
            continue
        target = TARGET_QUERY_SECONDS if q["kind"] == "query" else TARGET_LOOKUP_SECONDS
        if q.get("timeout"):
            row(
                f"{q['kind']}: {q['name']}",
                f"> {fmt_s(q['max'])} (killed)",
                f"< {fmt_s(target)} at 2M",
                f"missed by > {q['max'] / target:.0f}x",
            )
            continue
        if q.get("error"):
            row(f"{q['kind']}: {q['name']}", "error: " + q["error"][:120], "-", "error")
            continue
        row(
            f"{q['kind']}: {q['name']}",
            f"median {fmt_s(q['median'])}, max {fmt_s(q['max'])} ({q['rows']:,} rows)",
            f"< {fmt_s(target)} at 2M",
            verdict(q["max"], target),
        )
    rdf = result.get("rdflib")
    if rdf and "error" not in rdf:
        row(
            "rdflib in-memory Dataset (comparison)",
            f"{rdf['quads']:,} quads{'' if rdf['complete'] else ' (a prefix of the export)'}: "
            f"load {fmt_s(rdf['parse_seconds'])} ({rdf['quads_per_second']:,.0f}/s, "
            f"{rdf['quads_per_second'] / ox['quads_per_second']:.2f} of `oxigraph load`), "
            f"peak {rdf['peak_rss_mb']:,.0f} MB; "
            f"models-per-task query {fmt_s(rdf['query_seconds'])}",
            "-",
            "-",
        )
    elif rdf:
        row("rdflib in-memory Dataset", rdf["error"], "-", "-")
    refresh = result.get("refresh")
    if refresh:
        allowed = TARGET_REFRESH_SHARE * b["seconds"] + REFRESH_CONSTANT_SECONDS
        stages = ", ".join(f"{k} {fmt_s(v)}" for k, v in refresh["stages"].items())
        row(
            "incremental refresh, 1% of models changed",
            f"{fmt_s(refresh['seconds'])} ({refresh['written']:,} graphs rewritten, "
            f"{refresh['unchanged']:,} skipped; {stages}) = {refresh['seconds'] / b['seconds']:.1%}"
            " of the full build",
            f"< 1% of full build + {REFRESH_CONSTANT_SECONDS:.0f} s = {fmt_s(allowed)}",
            verdict(refresh["seconds"], allowed),
        )
    lines = [
        f"### {models:,} models (seed {result['seed']}, load average "
        f"{result['build']['load_before']:.1f}–{result['build']['load_after']:.1f} "
        "during the build)",
        "",
        "| metric | measured | target | status |",
        "|---|---|---|---|",
    ]
    lines += [f"| {r['metric']} | {r['measured']} | {r['target']} | {r['status']} |" for r in rows]
    if "virtuoso" in result:
        import virtuoso

        lines += ["", f"#### The same queries on Virtuoso ({models:,} models)", ""]
        lines.append(virtuoso.table(result["virtuoso"]))
    return "\n".join(lines), rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="example: python benchmarks/scale.py --models 100000 --output /tmp/scale.json",
    )
    parser.add_argument("--models", type=int, action="append", help="zoo size (repeatable)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", type=Path, help="where zoos and stores go (default: /tmp)")
    parser.add_argument("--keep", action="store_true", help="keep zoos and stores")
    parser.add_argument("--output", type=Path, help="write all results as JSON here")
    parser.add_argument("--repeat", type=int, default=3, help="runs per query (median, max)")
    parser.add_argument(
        "--query-timeout",
        type=float,
        default=300.0,
        help="seconds one measurement (all its repeats) may take before it is killed",
    )
    parser.add_argument("--pyshacl-triples", type=int, default=1_000_000)
    parser.add_argument(
        "--pyshacl-every-size",
        dest="pyshacl_once",
        action="store_false",
        help="compare with pyshacl at every size (default: the first only)",
    )
    parser.add_argument("--skip-pyshacl", action="store_true")
    parser.add_argument("--skip-rdflib", action="store_true")
    parser.add_argument("--rdflib-max-quads", type=int, default=10_000_000)
    parser.add_argument("--rdflib-timeout", type=float, default=1800.0)
    parser.add_argument("--skip-refresh", action="store_true")
    parser.add_argument(
        "--virtuoso",
        action="store_true",
        help="also load the N-Quads into a private Virtuoso (scripts/virtuoso.sh installs it "
        "with apt) and time the same query set there",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        CHILDREN[args.child[0]](*args.child[1:])
        return 0
    sizes = args.models or [100_000]
    header = {
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": sys.version.split()[0],
        "started_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        "load_at_start": os.getloadavg(),
    }
    print(
        f"machine: {header['cores']} cores, {header['memory_gb']} GB RAM; "
        f"load average at start {header['load_at_start'][0]:.2f}",
        flush=True,
    )
    parent = Path(tempfile.mkdtemp(prefix="mlkg-scale-", dir=args.dir))
    results = []
    try:
        for models in sizes:
            result = run_size(models, parent, args)
            text, rows = table(result)
            result["table"] = rows
            results.append(result)
            print(text + "\n", flush=True)
            if args.output:
                args.output.write_text(json.dumps({"machine": header, "sizes": results}, indent=1))
    finally:
        if args.keep:
            print(f"kept {parent}")
        else:
            shutil.rmtree(parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
