"""The pipeline end to end on real crawlers, a real validator and a real Oxigraph store.

Skip unchanged records, replace exactly a changed record's graph, drop records that left the
source, quarantine bad records without stopping, resume a killed build to the same graph.
"""

from __future__ import annotations

import io
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pyoxigraph import NamedNode, Quad, RdfFormat, parse

from mlkg.config import Settings, resolve_settings
from mlkg.namespaces import FOAF, MLKG, PROV
from mlkg.pipeline import build, load_stage, map_stage, validate_stage
from mlkg.raw import crawl
from mlkg.sample_zoo import SAMPLE_DIR
from mlkg.store import open_store
from tests.conftest import REPO

DOCS = Path("assets/docs")


@pytest.fixture
def zoo(tmp_path: Path) -> Path:
    """A writable copy of the sample TF Hub checkout."""
    target = tmp_path / "tfhub"
    shutil.copytree(SAMPLE_DIR / "tfhub", target)
    return target


def sample_pages(zoo: Path) -> list[Path]:
    return sorted((zoo / DOCS).rglob("*.md"))


def dataset(settings: Settings) -> set[Quad]:
    with open_store(settings.data_dir, base_iri=settings.base_iri, read_only=True) as store:
        out = io.BytesIO()
        store.dump(out, RdfFormat.N_QUADS)
    return set(parse(out.getvalue(), format=RdfFormat.N_QUADS))


def graph_of(quads: set[Quad], graph: str) -> set[Quad]:
    return {q for q in quads if q.graph_name.value == graph}


def knowledge(quads: set[Quad]) -> set[Quad]:
    """What the crawl put in the store, without what legitimately differs between two runs:
    times and activities, and the blank nodes of the ontology's graph (loaded from the same
    shipped files, but blank nodes get fresh ids per store)."""
    volatile = {PROV.generatedAtTime, PROV.wasGeneratedBy}
    return {
        q
        for q in quads
        if not (
            "/activity/" in q.graph_name.value
            or "/graph/vocabulary/" in q.graph_name.value
            or q.graph_name.value == "https://w3id.org/mlkg/ontology"
            or (q.predicate in volatile and "/graph/" in q.subject.value)
        )
    }


def record_graphs(quads: set[Quad]) -> dict[str, set[Quad]]:
    graphs: dict[str, set[Quad]] = {}
    for q in quads:
        if "/graph/tfhub/" in q.graph_name.value:
            graphs.setdefault(q.graph_name.value, set()).add(q)
    return graphs


def test_build_loads_one_graph_per_record_with_provenance(settings, zoo):
    report = build(settings, "tfhub", location=str(zoo))
    pages = sample_pages(zoo)
    assert report.crawled == report.accepted == report.added == len(pages)
    quads = dataset(settings)
    graphs = record_graphs(quads)
    assert len(graphs) == len(pages)
    for name, graph_quads in graphs.items():
        g = NamedNode(name)
        about = {q.predicate: q.object for q in graph_quads if q.subject == g}
        assert about[MLKG.recordSource].value == "tfhub"
        assert about[MLKG.contentHash].value.startswith("sha256:")
        assert about[MLKG.crawlerVersion].value.startswith("tfhub/")
        assert "/activity/tfhub/" in about[PROV.wasGeneratedBy].value
        assert FOAF.primaryTopic in about
        assert about[MLKG.sourcePath].value.endswith(".md")


def test_rerun_on_unchanged_input_writes_nothing(settings, zoo):
    build(settings, "tfhub", location=str(zoo))
    before = dataset(settings)
    report = build(settings, "tfhub", location=str(zoo))
    assert (report.written, report.mapped, report.unchanged) == (0, 0, len(sample_pages(zoo)))
    assert dataset(settings) == before


def test_editing_one_page_replaces_exactly_its_graph(settings, zoo):
    build(settings, "tfhub", location=str(zoo))
    before = record_graphs(dataset(settings))
    page = next(p for p in sample_pages(zoo) if p.read_text().startswith("# Module"))
    page.write_text(page.read_text().replace("\n## ", "\nA sentence added by the test.\n\n## ", 1))
    report = build(settings, "tfhub", location=str(zoo))
    assert (report.replaced, report.added, report.removed) == (1, 0, 0)
    after = record_graphs(dataset(settings))
    changed = {g for g in before if before[g] != after[g]}
    assert len(changed) == 1
    assert next(iter(changed)).endswith(page.relative_to(zoo / DOCS).as_posix())


def test_a_page_that_left_the_source_is_dropped_but_not_after_a_limited_crawl(settings, zoo):
    build(settings, "tfhub", location=str(zoo))
    victim = sample_pages(zoo)[-1]
    victim.unlink()
    limited = build(settings, "tfhub", location=str(zoo), limit=3)
    assert limited.removed == 0
    assert len(record_graphs(dataset(settings))) == len(sample_pages(zoo)) + 1
    full = build(settings, "tfhub", location=str(zoo))
    assert full.removed == 1
    assert len(record_graphs(dataset(settings))) == len(sample_pages(zoo))


BAD_PAGES = {
    "broken header": b"Module without a hash\n<!-- task: text-embedding -->\n",
    "binary file": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
    "control characters in the handle": b"# Module evil/na\x07me/1\nText.\n",
    "unknown document type": b"# Dataset acme/thing/1\nText.\n",
}


def test_bad_pages_are_quarantined_with_a_reason_and_the_run_goes_on(settings, zoo, caplog):
    for number, content in enumerate(BAD_PAGES.values()):
        folder = zoo / DOCS / "badactor" / "models" / f"bad{number}"
        folder.mkdir(parents=True)
        (folder / "1.md").write_bytes(content)
    huge = zoo / DOCS / "badactor" / "models" / "huge"
    huge.mkdir(parents=True)
    (huge / "1.md").write_text(
        "# Module badactor/huge/1\nBig.\n<!-- format: saved_model_2 -->\n" + "x" * 10_000_000
    )
    report = build(settings, "tfhub", location=str(zoo))
    good = len(sample_pages(zoo)) - len(BAD_PAGES) - 1
    assert report.quarantined == len(BAD_PAGES)
    assert report.accepted == good + 1  # the 10 MB page is mapped (capped) with a warning
    entries = [json.loads(line) for line in (settings.quarantine_dir / "tfhub.jsonl").open()]
    assert sorted(e["id"] for e in entries) == sorted(
        f"badactor/models/bad{n}/1.md" for n in range(len(BAD_PAGES))
    )
    assert all(e["error"] for e in entries), "each quarantined page says why"
    assert "quarantined" in caplog.text
    huge_graph = graph_of(
        dataset(settings), settings.iris.record_graph("tfhub", "badactor/models/huge/1.md").value
    )
    warnings = [q.object.value for q in huge_graph if q.predicate == MLKG.mappingWarning]
    assert warnings, "the capped 10 MB page carries a warning in its provenance"


def test_a_record_that_turns_invalid_keeps_its_last_accepted_graph(settings, zoo):
    build(settings, "tfhub", location=str(zoo))
    page = next(p for p in sample_pages(zoo) if p.read_text().startswith("# Module"))
    graph = settings.iris.record_graph("tfhub", page.relative_to(zoo / DOCS).as_posix()).value
    before = graph_of(dataset(settings), graph)
    page.write_bytes(b"\x00\x01 not a page any more")
    report = build(settings, "tfhub", location=str(zoo))
    assert (report.quarantined, report.replaced) == (1, 0)
    assert graph_of(dataset(settings), graph) == before


def test_stage_commands_give_the_same_graph_as_build(tmp_path, zoo):
    one = resolve_settings(environ={}, data_dir=tmp_path / "one")
    two = resolve_settings(environ={}, data_dir=tmp_path / "two")
    build(one, "tfhub", location=str(zoo))
    from crawlers import get_source

    crawl(two, get_source("tfhub"), str(zoo))
    map_stage(two, "tfhub")
    report_file = tmp_path / "report.ttl"
    validate_stage(two, "tfhub", report_path=report_file)
    load_stage(two, "tfhub")
    assert knowledge(dataset(one)) == knowledge(dataset(two))
    report = list(parse(path=str(report_file), format=RdfFormat.TURTLE))
    conforms = [t for t in report if t.predicate.value.endswith("#conforms")]
    assert conforms and conforms[0].object.value == "true"


@pytest.mark.slow
@pytest.mark.parametrize("moment", ["crawl", "load"])
def test_a_killed_build_resumes_to_the_graph_of_an_uninterrupted_one(tmp_path, shared_dir, moment):
    """SIGKILL a real `mlkg build` of the full TF Hub catalogue, re-run it, compare graphs."""
    catalogue = shared_dir / "zoo-snapshots" / "tfhub.dev"
    clean = resolve_settings(environ={}, data_dir=tmp_path / "clean")
    killed = resolve_settings(environ={}, data_dir=tmp_path / "killed")
    build(clean, "tfhub", location=str(catalogue))

    command = [
        sys.executable,
        "-m",
        "mlkg",
        "--data-dir",
        str(killed.data_dir),
        "-q",
        "build",
        "tfhub",
        "--from",
        str(catalogue),
    ]
    process = subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE)
    partial = killed.raw_dir / "tfhub.partial.jsonl"
    journal = killed.data_dir / "bulk-journal.jsonl"

    def reached() -> bool:
        if moment == "crawl":
            return partial.exists() and partial.read_bytes().count(b"\n") >= 200
        return journal.exists() and b'"done": true' in journal.read_bytes()

    deadline = time.monotonic() + 120
    while not reached():
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "the build never reached the kill point"
        time.sleep(0.001)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL

    report = build(killed, "tfhub", location=str(catalogue))
    if moment == "crawl":
        assert report.resumed >= 200
    else:
        assert report.unchanged > 0  # the chunk loaded before the kill is not loaded again
    assert knowledge(dataset(killed)) == knowledge(dataset(clean))
