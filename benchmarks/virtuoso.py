"""The query catalogue on Virtuoso: bulk-load an mlkg N-Quads export and time every query.

    python benchmarks/virtuoso.py --nquads export.nq --data-dir DATA --output virtuoso.json
    python benchmarks/virtuoso.py --data-dir DATA          # exports DATA's store first
    python benchmarks/virtuoso.py --nquads export.nq --params entities.json

Issue 6 asks that the scale benchmark (benchmarks/scale.py) runs the same query set on Virtuoso.
This script, in order:

1. starts a private Virtuoso with ``scripts/virtuoso.sh start`` (which installs Debian's
   virtuoso-opensource when missing); when that is impossible it reports ``{"skipped": reason}``
   and exits 0;
2. loads the N-Quads with Virtuoso's bulk loader (``scripts/virtuoso.sh load``: ``ld_add`` +
   ``rdf_loader_run()`` + ``checkpoint``; each quad goes to its named graph) and times it;
3. runs every query of queries/*.rq through mlkg's own :class:`mlkg.remote_store.RemoteStore`
   (the client ``mlkg serve``/``mlkg query`` use on an external store), unbound and bound to the
   busy entities scale.py picks (its ``pick_entities``/``bound_params``/``with_values``), with
   the median and max of ``--repeat`` runs. A run over ``--timeout`` seconds is aborted: the
   instance's ``MaxQueryExecutionTime`` is set to it, and the client gives up shortly after;
4. with ``--data-dir`` (the mlkg data dir the export came from) it runs each query once on the
   embedded Oxigraph store too, in a child process killed after ``--timeout``, and compares the
   rows as multisets, normalised like tests/test_remote_virtuoso.py does (numbers by value, the
   order of GROUP_CONCAT parts); the queries that test lists as Virtuoso 7.2.5 bugs are marked;
5. prints a markdown table, writes everything as JSON to ``--output``, and stops and deletes the
   instance (also on error or SIGTERM; ``--keep`` keeps its folder).

:func:`run` is the entry point for scale.py. Not a test: nothing here fails on a slow query.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import multiprocessing
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
REPO = BENCHMARKS.parent
SCRIPT = REPO / "scripts" / "virtuoso.sh"
sys.path.insert(0, str(BENCHMARKS))
sys.path.insert(0, str(REPO))

import scale  # noqa: E402  (benchmarks/scale.py: entities, bindings, formatting)

try:  # the comparison the Virtuoso tests use, and the queries they know Virtuoso gets wrong
    from tests.test_remote_virtuoso import VIRTUOSO_7_2_5_BUGS, virtuoso_rows
except ImportError:  # tests/ not shipped (or pytest missing): a plain multiset of rows
    VIRTUOSO_7_2_5_BUGS = {}

    def virtuoso_rows(result) -> Counter:
        names = [v.value for v in result.variables]
        return Counter(
            tuple(str(row[n]) if row[n] is not None else "" for n in names) for row in result
        )


#: Seconds the client waits beyond ``timeout`` for Virtuoso's own abort to arrive.
CLIENT_GRACE = 15.0
#: Seconds ``virtuoso.sh start`` may take (it may run apt-get first).
START_TIMEOUT = 900.0


# -- the instance ------------------------------------------------------------------------------


class Virtuoso:
    """A private instance started by scripts/virtuoso.sh in ``folder``; stop() it."""

    def __init__(self, folder: Path, *, query_seconds: float):
        self.folder = folder
        self.env: dict[str, str] = {}
        env = {**os.environ, "VIRTUOSO_QUERY_SECONDS": str(max(1, math.ceil(query_seconds)))}
        try:
            started = subprocess.run(
                ["bash", str(SCRIPT), "start", str(folder)],
                capture_output=True,
                text=True,
                env=env,
                timeout=START_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            self.stop()
            raise Unavailable(f"scripts/virtuoso.sh start failed: {exc}") from exc
        if started.returncode != 0:
            self.stop()
            reason = (started.stderr.strip().splitlines() or ["no output"])[-1]
            raise Unavailable(f"Virtuoso cannot be installed or started here: {reason}")
        for line in started.stdout.splitlines():
            if line.startswith("export "):
                key, _, value = line.removeprefix("export ").partition("=")
                self.env[key] = value

    def version(self) -> str:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                ["virtuoso-t", "-?"], capture_output=True, text=True, timeout=30, check=False
            )
            for line in (out.stdout + out.stderr).splitlines():
                if line.startswith("Version"):
                    return line.strip()
        return "unknown"

    def connect(self, timeout: float):
        """mlkg's RemoteStore on this instance, read-only (what ``mlkg serve`` would open)."""
        from mlkg.store import connect

        return connect(
            self.env["MLKG_STORE_URL"],
            read_only=True,
            default_graph=self.env.get("MLKG_STORE_DEFAULT_GRAPH", "union"),
            max_rows=int(self.env.get("MLKG_STORE_MAX_ROWS", "1000000")),
            timeout=timeout,
        )

    def load(self, nquads: Path) -> dict:
        """``virtuoso.sh load``: the bulk loader's seconds and its per-file report."""
        start = time.perf_counter()
        done = subprocess.run(
            ["bash", str(SCRIPT), "load", str(self.folder), str(nquads)],
            capture_output=True,
            text=True,
            env={**os.environ, **self.env},
            check=False,
        )
        wall = time.perf_counter() - start
        result: dict = {"wall_seconds": wall, "returncode": done.returncode, "files": []}
        for line in done.stdout.splitlines():
            parts = line.split("\t")
            if parts[0] == "seconds" and len(parts) == 3:
                result[f"{parts[1]}_seconds"] = float(parts[2])
            elif parts[0] == "file" and len(parts) >= 3:
                error = parts[3] if len(parts) > 3 else ""
                result["files"].append({"file": parts[1], "state": parts[2], "error": error})
        if done.returncode:
            failed = [f"{f['file']}: {f['error']}" for f in result["files"] if f["error"]]
            result["error"] = (
                "; ".join(failed) or (done.stderr.strip().splitlines() or ["no output"])[-1]
            )
        return result

    def stop(self) -> None:
        if (self.folder / "virtuoso.pid").exists():
            subprocess.run(
                ["bash", str(SCRIPT), "stop", str(self.folder)], capture_output=True, check=False
            )


class Unavailable(Exception):
    """Virtuoso cannot be installed or started here."""


def db_bytes(folder: Path) -> int:
    """Bytes on disk of the instance's database files (not the hard-linked input in load/)."""
    return sum(
        path.stat().st_blocks * 512
        for path in folder.glob("virtuoso*")
        if path.suffix in (".db", ".trx")
    )


def count_quads(nquads: Path) -> int:
    quads = 0
    with open(nquads, "rb") as handle:
        for line in handle:
            stripped = line.strip()
            if stripped and not stripped.startswith(b"#"):
                quads += 1
    return quads


# -- the embedded reference, in a child process ---------------------------------------------


def _reference_worker(data_dir: str, connection) -> None:
    """Answer ("pick",) with scale.pick_entities, ("query", text, params) with the rows."""
    from mlkg.config import resolve_settings
    from mlkg.queries import substitutions
    from mlkg.store import open_store

    settings = resolve_settings(environ={}, data_dir=Path(data_dir))
    with open_store(settings.data_dir, base_iri=settings.base_iri, read_only=True) as store:
        while True:
            try:
                request = connection.recv()
            except EOFError:
                return
            try:
                if request[0] == "pick":
                    connection.send(("ok", scale.pick_entities(store), 0.0))
                    continue
                _, text, params = request
                start = time.perf_counter()
                result = store.query(text, substitutions=substitutions(params) if params else None)
                rows = _Rows(result)
                seconds = time.perf_counter() - start
                connection.send(("ok", virtuoso_rows(rows), seconds))
            except Exception as exc:  # a query the store refuses: its answer is the error
                connection.send(("error", str(exc)[:300], 0.0))


class Reference:
    """The embedded store of an mlkg data dir, queried in a child killed after a timeout."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.process = None
        self.connection = None

    def ask(self, request: tuple, timeout: float) -> tuple[str, object, float]:
        if self.process is None or not self.process.is_alive():
            context = multiprocessing.get_context("spawn")
            self.connection, theirs = context.Pipe()
            self.process = context.Process(
                target=_reference_worker, args=(str(self.data_dir), theirs), daemon=True
            )
            self.process.start()
            theirs.close()
        self.connection.send(request)
        if self.connection.poll(timeout):
            try:
                return self.connection.recv()
            except EOFError:
                self.close()
                return ("error", "the reference child died", 0.0)
        self.close()
        return ("timeout", None, timeout)

    def close(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.join()
            self.process = None
        if self.connection is not None:
            self.connection.close()
            self.connection = None


# -- queries -----------------------------------------------------------------------------------


def cases(entities: dict) -> list[tuple[str, str, str, dict, dict]]:
    """(name, query file, text, substitution params, bound params) per measurement, bound
    exactly as scale.child_queries does (scale.bound_query)."""
    from mlkg.queries import named_queries

    found = []
    for name, named in sorted(named_queries().items()):
        found.append((name, name, named.text, {}, {}))
        bound = scale.bound_query(name, named, entities)
        if bound is not None:
            text, params = bound
            found.append(
                (name + " (bound)", name, text, params if text == named.text else {}, params)
            )
    return found


class _Rows:
    """A materialised SELECT result: what virtuoso_rows reads (variables, iteration)."""

    def __init__(self, result):
        self.variables = result.variables
        self.rows = list(result)

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def _timed_out(exc: Exception) -> bool:
    from mlkg.remote_store import StoreTimeoutError

    text = str(exc)
    return isinstance(exc, StoreTimeoutError) or "partial result" in text or "S1T" in text


def measure(store, text: str, params: dict, repeat: int, timeout: float) -> dict:
    """Median and max of ``repeat`` runs on Virtuoso; stops at the first error or timeout."""
    from mlkg.queries import substitutions

    subs = substitutions(params) if params else None
    times: list[float] = []
    last = None
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            result = store.query(text, substitutions=subs)
            last = _Rows(result)  # every solution read and parsed, as scale.py's _count does
        except Exception as exc:
            seconds = time.perf_counter() - start
            if _timed_out(exc):
                return {
                    "median": seconds,
                    "max": seconds,
                    "rows": 0,
                    "timeout": True,
                    "error": str(exc)[:300],
                }
            return {"median": 0, "max": 0, "rows": 0, "error": str(exc)[:300]}
        times.append(time.perf_counter() - start)
        if sum(times) > timeout and len(times) < repeat:
            break  # a slow query: the runs so far are the measurement
    return {
        "median": statistics.median(times),
        "max": max(times),
        "rows": len(last),
        "runs": len(times),
        "_rows": virtuoso_rows(last),
    }


def run_queries(
    store, entities: dict, reference: Reference | None, repeat: int, timeout: float
) -> list[dict]:
    measured = []
    for name, query, text, params, bound in cases(entities):
        scale.step(f"virtuoso: {name}")
        item = {"kind": "query", "name": name, "query": query, "bound": bound}
        item.update(measure(store, text, params, repeat, timeout))
        got = item.pop("_rows", None)
        if query in VIRTUOSO_7_2_5_BUGS:
            item["known_bug"] = VIRTUOSO_7_2_5_BUGS[query]
        if reference is not None:
            status, expected, seconds = reference.ask(("query", text, params), timeout)
            if status == "ok":
                item["oxigraph_seconds"] = seconds
                item["oxigraph_rows"] = sum(expected.values())
                if got is not None:
                    item["equal"] = got == expected
                    if not item["equal"]:
                        item["difference"] = describe_difference(expected, got)
            else:
                item["oxigraph_error"] = "timeout" if status == "timeout" else expected
        measured.append(item)
    return measured


def describe_difference(expected: Counter, got: Counter) -> dict:
    missing, extra = expected - got, got - expected
    return {
        "missing_rows": sum(missing.values()),
        "extra_rows": sum(extra.values()),
        "missing_examples": [list(map(str, row)) for row in list(missing)[:3]],
        "extra_examples": [list(map(str, row)) for row in list(extra)[:3]],
    }


# -- the whole run -----------------------------------------------------------------------------


def run(
    nquads: Path | None,
    *,
    workdir: Path,
    data_dir: Path | None = None,
    repeat: int = 3,
    timeout: float = 300.0,
    params: dict | None = None,
    keep: bool = False,
) -> dict:
    """Load ``nquads`` into a fresh private Virtuoso under ``workdir`` and time the catalogue.

    ``nquads`` None (or a path that does not exist yet) with ``data_dir``: the data dir's store
    is exported there first (``workdir/export.nq`` for None). ``params`` are the entities
    scale.py picked (its ``pick_entities``); else scale.py's cache in ``data_dir``, else picked
    from ``data_dir``'s store, else from Virtuoso itself. Returns the JSON-able results, or
    ``{"skipped": reason}`` when Virtuoso cannot be installed or started.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    result: dict = {
        "started_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        "repeat": repeat,
        "timeout": timeout,
        "load_at_start": os.getloadavg(),
    }
    if nquads is None or not Path(nquads).exists():
        if data_dir is None:
            raise ValueError("give an N-Quads file, or a data dir to export one from")
        nquads = Path(nquads or workdir / "export.nq")
        scale.step(f"exporting {data_dir} to {nquads}")
        start = time.perf_counter()
        scale.child_export(str(data_dir), str(nquads))
        result["export_seconds"] = time.perf_counter() - start
    nquads = Path(nquads)
    quads = count_quads(nquads)
    result["nquads"] = {"path": str(nquads), "quads": quads, "bytes": nquads.stat().st_size}

    folder = Path(tempfile.mkdtemp(prefix="virtuoso-", dir=workdir))
    reference = Reference(Path(data_dir)) if data_dir is not None else None
    instance = None
    try:
        scale.step(f"starting Virtuoso in {folder}")
        try:
            instance = Virtuoso(folder, query_seconds=timeout)
        except Unavailable as exc:
            scale.step(str(exc))
            return {"skipped": str(exc)}
        result["virtuoso"] = {"version": instance.version(), "folder": str(folder)}

        scale.step(f"bulk-loading {quads:,} quads")
        before = scale.load()
        loaded = instance.load(nquads)
        loaded["load_before"], loaded["load_after"] = before, scale.load()
        seconds = loaded.get("loader_seconds", loaded["wall_seconds"]) + loaded.get(
            "checkpoint_seconds", 0.0
        )
        loaded["seconds"] = seconds
        loaded["quads_per_second"] = quads / seconds if seconds else 0.0
        loaded["db_bytes"] = db_bytes(folder)
        result["load"] = loaded
        with instance.connect(timeout + CLIENT_GRACE) as store:
            loaded["quads_in_store"] = len(store)
            if "error" in loaded:
                scale.step(f"bulk load failed: {loaded['error']}")
                result["error"] = loaded["error"]
                return result
            scale.step(
                f"loaded {loaded['quads_in_store']:,} quads in {seconds:.1f}s "
                f"({loaded['quads_per_second']:,.0f}/s)"
            )
            result["entities_from"], entities = pick(params, data_dir, reference, store, timeout)
            result["entities"] = entities
            result["queries"] = run_queries(store, entities, reference, repeat, timeout)
        result["finished_utc"] = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
        result["load_at_end"] = os.getloadavg()
        return result
    finally:
        if reference is not None:
            reference.close()
        if instance is not None:
            instance.stop()
        if keep:
            scale.step(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def pick(params, data_dir, reference, store, timeout) -> tuple[str, dict]:
    """The entities to bind, and where they came from (the embedded store breaks ties in
    ORDER BY ... LIMIT 1 its own way, so pick there when it is at hand)."""
    if params:
        return "given", params
    if data_dir is not None:
        cache = Path(data_dir) / "scale-entities.json"
        if cache.exists():
            return str(cache), json.loads(cache.read_text())
        status, entities, _ = reference.ask(("pick",), timeout)
        if status == "ok":
            return "embedded store", entities
    return "virtuoso", scale.pick_entities(store)


# -- the table ---------------------------------------------------------------------------------


def equality(item: dict) -> str:
    bug = " (known 7.2.5 bug)" if item.get("known_bug") else ""
    if "oxigraph_error" in item:
        return f"Oxigraph: {item['oxigraph_error'][:60]}"
    if item.get("timeout"):
        return "-" + bug
    if item.get("error"):
        return "error" + bug
    if "equal" not in item:
        return "-"
    if item["equal"]:
        return "equal" + (" (a listed 7.2.5 bug, not seen here)" if bug else "")
    diff = item["difference"]
    return f"**differs**{bug}: {diff['missing_rows']} missing, {diff['extra_rows']} extra"


def short_error(text: str) -> str:
    """Virtuoso's own message (``Virtuoso 37000 Error SQ156: ...``) without the echoed query."""
    found = re.search(r"(Virtuoso \w+ Error .*?)(?: SPARQL query:|$)", text)
    return (found.group(1) if found else text)[:110].replace("|", "\\|")


def table(result: dict) -> str:
    if "skipped" in result:
        return f"Virtuoso skipped: {result['skipped']}"
    load = result["load"]
    lines = [
        f"### Virtuoso ({result['virtuoso']['version']})",
        "",
        f"Bulk load of {result['nquads']['quads']:,} quads ({result['nquads']['bytes'] / 1e6:,.0f} "
        f"MB of N-Quads): {scale.fmt_s(load['seconds'])} = "
        f"{load.get('loader_seconds', 0):.1f} s `rdf_loader_run()` + "
        f"{load.get('checkpoint_seconds', 0):.1f} s checkpoint, "
        f"{load['quads_per_second']:,.0f} quads/s; {load.get('quads_in_store', 0):,} quads in "
        f"mlkg's graphs afterwards; database {load['db_bytes'] / 1e6:,.0f} MB"
        + (f"; **error: {load['error']}**" if "error" in load else ""),
        "",
    ]
    if "queries" not in result:
        return "\n".join(lines)
    lines += [
        "| query | Virtuoso median | Virtuoso max | rows | Oxigraph (1 run) | equal to Oxigraph |",
        "|---|---|---|---|---|---|",
    ]
    for q in result["queries"]:
        if q.get("timeout"):
            median, maximum = f"> {scale.fmt_s(q['max'])} (aborted)", "-"
        elif q.get("error"):
            median, maximum = "error: " + short_error(q["error"]), "-"
        else:
            median, maximum = scale.fmt_s(q["median"]), scale.fmt_s(q["max"])
        oxigraph = (
            f"{scale.fmt_s(q['oxigraph_seconds'])}, {q['oxigraph_rows']:,} rows"
            if "oxigraph_seconds" in q
            else "-"
        )
        lines.append(
            f"| {q['name']} | {median} | {maximum} | {q['rows']:,} | {oxigraph} | {equality(q)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:-1]),
    )
    parser.add_argument("--nquads", type=Path, help="N-Quads exported from an mlkg store")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="the mlkg data dir of that store: compare every answer with it (and export from it "
        "when --nquads is missing)",
    )
    parser.add_argument(
        "--params",
        type=Path,
        help="JSON of the entities to bind (scale.py's pick_entities: its data dir's "
        "scale-entities.json, or an object with an 'entities' key)",
    )
    parser.add_argument("--workdir", type=Path, help="where the instance goes (default: /tmp)")
    parser.add_argument("--output", type=Path, help="write the results as JSON here")
    parser.add_argument("--repeat", type=int, default=3, help="runs per query (median, max)")
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="seconds one query run may take"
    )
    parser.add_argument("--keep", action="store_true", help="keep the instance's folder")
    args = parser.parse_args(argv)
    if args.nquads is None and args.data_dir is None:
        parser.error("give --nquads, --data-dir or both")
    params = None
    if args.params:
        params = json.loads(args.params.read_text())
        params = params.get("entities", params)
    # SIGTERM (a killed benchmark) unwinds like Ctrl-C, so the instance is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    workdir = args.workdir or Path(tempfile.gettempdir())
    result = run(
        args.nquads,
        workdir=workdir,
        data_dir=args.data_dir,
        repeat=args.repeat,
        timeout=args.timeout,
        params=params,
        keep=args.keep,
    )
    print(table(result), flush=True)
    if args.output:
        args.output.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
