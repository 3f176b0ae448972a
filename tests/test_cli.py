"""The command line: the installed entry point end to end, and error messages via CliRunner."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyoxigraph import RdfFormat, parse

from mlkg.cli import cli
from mlkg.namespaces import MLKG, RDF
from mlkg.sample_zoo import SAMPLE_DIR
from tests.conftest import REPO

MLKG_BIN = shutil.which("mlkg") or str(REPO / ".venv" / "bin" / "mlkg")


def run(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [MLKG_BIN, "--data-dir", str(data_dir), *args], capture_output=True, text=True, check=False
    )


def sample_model_pages() -> dict[str, str]:
    """Independent parse of the sample: handle line of every TF Hub model page."""
    pages = {}
    for path in (SAMPLE_DIR / "tfhub" / "assets" / "docs").rglob("*.md"):
        first = path.read_text(encoding="utf-8").split("\n", 1)[0]
        match = re.match(r"^# (Module|Placeholder|Lite|Tfjs|Coral) (\S+)$", first)
        if match:
            pages[str(path)] = match[1]
    return pages


@pytest.mark.skipif(not Path(MLKG_BIN).exists(), reason="the mlkg entry point is not installed")
def test_installed_command_builds_queries_and_exports(tmp_path):
    data = tmp_path / "data"
    built = run("build", "tfhub", "--from", str(SAMPLE_DIR / "tfhub"), "--json", data_dir=data)
    assert built.returncode == 0, built.stderr
    report = json.loads(built.stdout)  # stdout is data only: the JSON report
    assert report["accepted"] == len(list((SAMPLE_DIR / "tfhub").rglob("*.md"))) - 1  # README
    assert "tfhub:" in built.stderr  # the summary goes to stderr

    queried = run(
        "query",
        "SELECT DISTINCT ?m WHERE { ?g foaf:topic ?m . ?m a mlkg:Model }",
        "--format",
        "csv",
        data_dir=data,
    )
    assert queried.returncode == 0, queried.stderr
    rows = list(csv.DictReader(io.StringIO(queried.stdout)))
    assert len(rows) == len(sample_model_pages())

    dump = tmp_path / "mlkg.nq.gz"
    exported = run("export", "--format", "nquads", "--output", str(dump), data_dir=data)
    assert exported.returncode == 0, exported.stderr
    quads = list(parse(gzip.decompress(dump.read_bytes()), format=RdfFormat.N_QUADS))
    models = {
        q.subject
        for q in quads
        if q.predicate == RDF.type
        and q.object == MLKG.Model
        and "/graph/tfhub/" in q.graph_name.value
        and q.subject == _topic(quads, q)
    }
    assert len(models) == len(sample_model_pages())


def _topic(quads, quad):
    """The primary topic of the record graph holding ``quad``."""
    for q in quads:
        if q.subject == quad.graph_name and q.predicate.value.endswith("primaryTopic"):
            return q.object
    return None


def test_demo_builds_the_sample_and_prints_example_queries(tmp_path):
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "-q", "demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "Models per task" in result.output
    assert "(mlkg query models-per-task)" in result.output


def test_query_with_a_parameter(tmp_path):
    runner = CliRunner()
    runner.invoke(
        cli,
        [
            "--data-dir",
            str(tmp_path),
            "-q",
            "build",
            "pytorch-hub",
            "--from",
            str(SAMPLE_DIR / "pytorch-hub"),
        ],
        catch_exceptions=False,
    )
    result = runner.invoke(
        cli,
        [
            "--data-dir",
            str(tmp_path),
            "query",
            "evaluations-of-model",
            "--format",
            "json",
            "--param",
            "model=<https://w3id.org/mlkg/resource/model/pytorch-hub/"
            "mlkg-samples/tinyvision/tinyresnet10>",
        ],
    )
    assert result.exit_code == 0, result.output
    bindings = json.loads(result.output)["results"]["bindings"]
    assert bindings and {b["modelId"]["value"] for b in bindings} == {
        "mlkg-samples/tinyvision/tinyresnet10"
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["query", "SELECT * WHERE { ?s ?p }"], "run `mlkg build` first"),
        (["query", "no-such-query"], "not a query file or a named query"),
        (["export", "--format", "nquads", "--output", "x.nq"], "run `mlkg build` first"),
    ],
)
def test_errors_are_one_line_with_the_next_step(tmp_path, args, message):
    result = subprocess.run(
        [MLKG_BIN, "--data-dir", str(tmp_path / "empty"), *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_syntax_error_reports_the_parser_message(tmp_path):
    CliRunner().invoke(
        cli,
        ["--data-dir", str(tmp_path), "-q", "build", "tfhub", "--from", str(SAMPLE_DIR / "tfhub")],
        catch_exceptions=False,
    )
    result = subprocess.run(
        [MLKG_BIN, "--data-dir", str(tmp_path), "query", "SELECT * WHERE { ?s ?p }"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "SPARQL syntax error" in result.stderr and "1:" in result.stderr


def test_debug_shows_the_traceback(tmp_path):
    result = subprocess.run(
        [MLKG_BIN, "--debug", "--data-dir", str(tmp_path / "none"), "query", "ASK {}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_bad_usage_exits_2(tmp_path):
    result = CliRunner().invoke(
        cli, ["--data-dir", str(tmp_path), "query", "ASK {}", "--param", "novalue"]
    )
    assert result.exit_code == 2
    assert "NAME=VALUE" in result.output
