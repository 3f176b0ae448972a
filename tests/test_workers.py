"""Mapping in worker processes: the same store as a serial build, and no stray processes.

A parallel build is checked against a serial build of the same generated zoo (dirty cards,
quarantined records and mapping warnings included), chunk by chunk in order, store and search
index alike; a worker that dies hands its chunk back; a killed build takes its workers with it.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from mlkg import pipeline, workers
from mlkg.cli import cli
from mlkg.config import resolve_settings
from mlkg.errors import ConfigurationError
from mlkg.generate import generate_zoo
from mlkg.namespaces import XSD
from mlkg.records import MappedRecord
from mlkg.report import BuildReport
from mlkg.sample_zoo import SAMPLE_DIR
from tests.conftest import REPO
from tests.test_pipeline import dataset, knowledge

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="mapping workers are forked on Linux only"
)


@pytest.fixture(scope="module")
def generated_zoo(tmp_path_factory) -> Path:
    zoo = tmp_path_factory.mktemp("zoo") / "zoo"
    generate_zoo(zoo, models=240, seed=5, workers=1)
    return zoo


def build_zoo(data_dir: Path, zoo: Path, build_workers: int) -> dict[str, BuildReport]:
    settings = resolve_settings(environ={}, data_dir=data_dir, build_workers=build_workers)
    return {
        source: pipeline.build(settings, source, location=str(zoo / source))
        for source in ("huggingface", "tfhub")
    }


def graph_of(data_dir: Path) -> set:
    return knowledge(dataset(resolve_settings(environ={}, data_dir=data_dir)))


def counts(report) -> tuple[int, ...]:
    return (report.mapped, report.accepted, report.quarantined, report.warnings, report.added)


def search_rows(data_dir: Path) -> list[tuple]:
    with sqlite3.connect(data_dir / "search.sqlite") as conn:
        rows = conn.execute(
            "SELECT r.graph, r.iri, r.kind, r.label, f.* "
            "FROM resources r JOIN resources_fts f ON f.rowid = r.id"
        ).fetchall()
    return sorted(rows)


def test_a_parallel_build_writes_what_a_serial_build_writes(tmp_path, generated_zoo, monkeypatch):
    monkeypatch.setattr(pipeline, "CHUNK_SIZE", 25)  # ~10 chunks, more than the workers hold
    serial = build_zoo(tmp_path / "serial", generated_zoo, build_workers=0)
    parallel = build_zoo(tmp_path / "parallel", generated_zoo, build_workers=2)

    for source in serial:
        assert counts(parallel[source]) == counts(serial[source])
        assert "index" in parallel[source].seconds and "index" not in serial[source].seconds
    assert serial["huggingface"].warnings > 0  # dirty cards, repaired with a warning
    assert graph_of(tmp_path / "parallel") == graph_of(tmp_path / "serial")
    assert search_rows(tmp_path / "parallel") == search_rows(tmp_path / "serial")


def _die(raws):
    os._exit(3)


def test_a_dead_worker_hands_its_chunks_back(tmp_path, generated_zoo, monkeypatch, caplog):
    monkeypatch.setattr(pipeline, "CHUNK_SIZE", 60)
    serial = build_zoo(tmp_path / "serial", generated_zoo, build_workers=0)
    monkeypatch.setattr(workers, "_work", _die)
    with caplog.at_level(logging.WARNING, logger="mlkg.workers"):
        survived = build_zoo(tmp_path / "dead", generated_zoo, build_workers=1)
    assert "a mapping worker died" in caplog.text
    assert counts(survived["huggingface"]) == counts(serial["huggingface"])
    assert graph_of(tmp_path / "dead") == graph_of(tmp_path / "serial")


def test_workers_die_with_a_killed_build(tmp_path):
    script = textwrap.dedent(
        """
        import time
        from crawlers import get_source
        from mlkg.iris import Iris
        from pyoxigraph import NamedNode
        from mlkg.provenance import RunContext
        from mlkg.workers import MappingPool

        context = RunContext(get_source("tfhub"), Iris(), NamedNode("urn:x:run"), "2026-01-01")
        with MappingPool(context, 2) as pool:
            print(*pool._pool._processes, flush=True)
            time.sleep(600)
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    pids = [int(pid) for pid in process.stdout.readline().split()]
    assert len(pids) == 2 and all(alive(pid) for pid in pids)
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 30  # a bound on waiting, not a speed requirement
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in pids), "a worker outlived its killed build"


def alive(pid: int) -> bool:
    """Running, as opposed to gone or a zombie no one reaped yet."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


def test_a_record_pickles_as_ntriples_and_comes_back_equal():
    g = NamedNode("https://example.org/graph/x")
    blank = BlankNode("b0")
    record = MappedRecord(
        "huggingface",
        "x",
        g,
        subject=NamedNode("https://example.org/model/x"),
        topics=[NamedNode("https://example.org/model/x")],
        triples=[
            Triple(g, NamedNode("urn:p"), Literal('a "quoted"\nline\t<script>', language="en")),
            Triple(g, NamedNode("urn:p"), blank),
            Triple(blank, NamedNode("urn:p"), Literal("01", datatype=XSD.integer)),
            Triple(blank, NamedNode("urn:p"), Literal("not a number", datatype=XSD.integer)),
            Triple(blank, NamedNode("urn:p"), Literal("\u00e9\U0001f600\x00 .\n")),
            Triple(blank, NamedNode("urn:p"), Literal("01", datatype=XSD.integer)),  # twice
        ],
        warnings=["w"],
        content_hash="sha256:0",
    )
    data = pickle.dumps(record)
    assert b"<script>" in data  # the triples travel as N-Triples text
    back = pickle.loads(data)
    assert back == record and back.triples == record.triples
    assert back.quads() == record.quads() and len(record.quads()) == 5
    assert all(quad.graph_name == g for quad in back.quads())
    back.add(g, NamedNode("urn:p"), Literal("added after the trip"))
    assert len(back.quads()) == 6


@pytest.mark.parametrize("value", ["-1", "two", "1.5"])
def test_a_bad_worker_count_is_refused(tmp_path, value):
    with pytest.raises(ConfigurationError, match="MLKG_BUILD_WORKERS"):
        resolve_settings(environ={"MLKG_BUILD_WORKERS": value}, data_dir=tmp_path)


def test_the_worker_count_comes_from_the_option_then_the_environment(tmp_path):
    environ = {"MLKG_BUILD_WORKERS": "2"}
    assert resolve_settings(environ=environ, data_dir=tmp_path).workers == 2
    assert resolve_settings(environ=environ, data_dir=tmp_path, build_workers=0).workers == 0
    default = resolve_settings(environ={}, data_dir=tmp_path).workers
    assert default == min(workers.MAX_WORKERS, max(0, (os.cpu_count() or 1) - 1))


@pytest.mark.parametrize(("option", "parallel"), [("0", False), ("1", True)])
def test_mlkg_build_workers_reaches_the_pipeline(tmp_path, option, parallel):
    arguments = ["--data-dir", str(tmp_path), "-q", "build", "tfhub"]
    arguments += ["--from", str(SAMPLE_DIR / "tfhub"), "--workers", option, "--json"]
    result = CliRunner().invoke(cli, arguments)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{") :])
    assert report["accepted"] > 0
    assert ("index" in report["seconds"]) is parallel  # built beside the mapping in a worker
