"""`mlkg stats`: counts, coverage and quarantine, checked against the sample files themselves."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from mlkg.cli import cli
from mlkg.pipeline import build
from mlkg.quarantine import quarantine_summary, reasons
from mlkg.sample_zoo import SAMPLE_DIR
from mlkg.stats import compute_stats
from mlkg.store import open_store

MODEL_HEADER = re.compile(r"^# (Module|Placeholder|Lite|Tfjs|Coral) ", re.MULTILINE)


def model_pages(root: Path) -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in (root / "assets" / "docs").rglob("*.md")]
    return [t for t in texts if MODEL_HEADER.match(t)]


def test_coverage_matches_the_sample_pages(settings):
    build(settings, "tfhub", location=str(SAMPLE_DIR / "tfhub"))
    pages = model_pages(SAMPLE_DIR / "tfhub")
    with open_store(settings.data_dir, base_iri=settings.base_iri, read_only=True) as store:
        stats = compute_stats(store)
    assert stats.models["tfhub"] == len(pages)
    with_task = sum(1 for t in pages if re.search(r"^<!--\s*(task|module-type):", t, re.M))
    with_data = sum(
        1 for t in pages if re.search(r"^<!--\s*dataset:\s*(?!other|multiple)", t, re.M)
    )
    with_parent = sum(1 for t in pages if re.search(r"^<!--\s*parent-model:", t, re.M))
    coverage = stats.coverage["tfhub"]
    assert coverage["task"] == with_task / len(pages)
    assert coverage["training dataset"] == with_data / len(pages)
    assert coverage["lineage"] == with_parent / len(pages)
    assert coverage["licence"] == 1.0  # TF Hub's default applies to every page


def test_quarantine_rate_and_top_reasons(settings, tmp_path):
    zoo = tmp_path / "tfhub"
    shutil.copytree(SAMPLE_DIR / "tfhub", zoo)
    bad = zoo / "assets" / "docs" / "bad" / "models"
    for number in range(3):
        (bad / f"x{number}").mkdir(parents=True)
        (bad / f"x{number}" / "1.md").write_text(f"# Dataset bad/x{number}/1\nNot a model type.\n")
    report = build(settings, "tfhub", location=str(zoo))
    summary = quarantine_summary(settings)
    count, counted = summary["tfhub"]
    assert count == report.quarantined == 3
    assert len(counted) == 1, "the three pages fail for one generalised reason"
    with open_store(settings.data_dir, base_iri=settings.base_iri, read_only=True) as store:
        stats = compute_stats(store, quarantine=summary)
    assert stats.quarantine_rate("tfhub") == 3 / (3 + report.accepted)
    result = CliRunner().invoke(cli, ["--data-dir", str(settings.data_dir), "stats"])
    assert result.exit_code == 0, result.output
    assert "top quarantine reasons for tfhub:" in result.output
    assert f"{3 / (3 + report.accepted):.1%}" in result.output


def test_reasons_generalise_values_and_use_shape_messages():
    assert reasons({"error": "handle 'a/b' has 3 parts"}) == reasons(
        {"error": "handle 'c' has 12 parts"}
    )
    entry = {
        "error": None,
        "violations": [
            {"message": "A Model needs one identifier.", "severity": "Violation"},
            {"message": "just a warning", "severity": "Warning"},
        ],
    }
    assert reasons(entry) == ["A Model needs one identifier."]
