"""What a load keeps per record: :class:`mlkg.loading.LoadSession` notes the graphs it saw only
where a complete run needs them (graphs already in the store, quarantined records), so a first
build of a large zoo holds no set of every record's graph IRI; a re-run still drops exactly the
records that left the source, and their quarantine entries."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mlkg.loading import LoadSession
from mlkg.pipeline import build
from mlkg.sample_zoo import SAMPLE_DIR

DOCS = Path("assets/docs")


@pytest.fixture
def zoo(tmp_path: Path) -> Path:
    """The sample TF Hub checkout plus two pages that fail validation."""
    target = tmp_path / "tfhub"
    shutil.copytree(SAMPLE_DIR / "tfhub", target)
    for name in ("bad0", "bad1"):
        folder = target / DOCS / "badactor" / "models" / name
        folder.mkdir(parents=True)
        (folder / "1.md").write_bytes(b"# Dataset acme/thing/1\nText.\n")  # unknown type
    return target


@pytest.fixture
def seen(monkeypatch) -> dict[str, set[str]]:
    """The session's seen graphs and quarantined graphs as each run ends."""
    found: dict[str, set[str]] = {}
    real_exit = LoadSession.__exit__

    def spy(self, *exc):
        found["seen"] = set(self.seen_graphs)
        found["quarantined"] = {entry["graph"] for entry in self.quarantine.values()}
        found["stored"] = set(self.fingerprints)
        return real_exit(self, *exc)

    monkeypatch.setattr(LoadSession, "__exit__", spy)
    return found


def quarantined_ids(settings) -> list[str]:
    lines = (settings.quarantine_dir / "tfhub.jsonl").read_text().splitlines()
    return sorted(json.loads(line)["id"] for line in lines if line.strip())


def test_a_first_build_notes_only_the_graphs_of_quarantined_records(settings, zoo, seen):
    report = build(settings, "tfhub", location=str(zoo))
    assert report.accepted > 5 and report.quarantined == 2
    assert seen["stored"] == set()
    assert seen["seen"] == seen["quarantined"] and len(seen["seen"]) == 2
    assert quarantined_ids(settings) == ["badactor/models/bad0/1.md", "badactor/models/bad1/1.md"]


def test_a_rerun_drops_what_left_the_source_and_keeps_the_rest(settings, zoo, seen):
    first = build(settings, "tfhub", location=str(zoo))
    pages = sorted(p for p in (zoo / DOCS).rglob("*.md") if "badactor" not in p.parts)
    pages[-1].unlink()
    shutil.rmtree(zoo / DOCS / "badactor" / "models" / "bad1")
    again = build(settings, "tfhub", location=str(zoo))
    assert again.removed == 1 and again.unchanged == first.mapped - 2
    assert seen["seen"] >= seen["stored"] - {
        settings.iris.record_graph("tfhub", pages[-1].relative_to(zoo / DOCS).as_posix()).value
    }
    assert quarantined_ids(settings) == ["badactor/models/bad0/1.md"]
    third = build(settings, "tfhub", location=str(zoo))
    assert (third.removed, third.written, third.unchanged) == (0, 0, again.unchanged)
    assert quarantined_ids(settings) == ["badactor/models/bad0/1.md"]
