"""Quarantine: records that could not be mapped or failed SHACL, kept with their reports.

One JSON Lines file per source, rewritten atomically at the end of each run, so it always lists
exactly the records whose latest version was refused.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections import Counter
from dataclasses import asdict
from pathlib import Path

from mlkg.config import Settings
from mlkg.records import Verdict

logger = logging.getLogger(__name__)


def quarantine_path(settings: Settings, source: str) -> Path:
    return settings.quarantine_dir / f"{source}.jsonl"


def quarantine_entry(verdict: Verdict) -> dict:
    record = verdict.record
    return {
        "source": record.source,
        "id": record.record_id,
        "graph": record.graph.value,
        "content_hash": record.content_hash,
        "error": record.error,
        "violations": [asdict(v) for v in verdict.violations],
        "warnings": record.warnings,
        "triples": "\n".join(f"{t.subject} {t.predicate} {t.object} ." for t in record.triples),
    }


def read_quarantine(settings: Settings, source: str) -> dict[str, dict]:
    path = quarantine_path(settings, source)
    if not path.exists():
        return {}
    entries = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            entry = json.loads(line)
            entries[entry["id"]] = entry
    return entries


def write_quarantine(settings: Settings, source: str, entries: dict[str, dict]) -> None:
    """Rewrite the source's quarantine file atomically."""
    path = quarantine_path(settings, source)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        for entry in sorted(entries.values(), key=lambda e: e["id"]):
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def log_verdict(verdict: Verdict) -> None:
    record = verdict.record
    if record.error:
        logger.warning("%s %s quarantined: %s", record.source, record.record_id, record.error)
    elif not verdict.accepted:
        first = next(v for v in verdict.violations if v.severity == "Violation")
        logger.warning(
            "%s %s quarantined: %d SHACL violation(s), first: %s (%s)",
            record.source,
            record.record_id,
            len(verdict.violations),
            first.message,
            first.focus,
        )


def reasons(entry: dict) -> list[str]:
    """Why a record was refused, generalised so that equal causes count together.

    Quoted values and numbers are replaced by ``…``: "handle 'a/b' has 3 parts" and
    "handle 'c' has 2 parts" are one reason.
    """
    if entry.get("error"):
        return [re.sub(r"'[^']*'|\"[^\"]*\"|\d+(\.\d+)?", "…", entry["error"])[:200]]
    found = [v["message"] for v in entry.get("violations", []) if v.get("severity") == "Violation"]
    return sorted(set(found)) or ["refused without a reason (report a bug)"]


def quarantine_summary(settings: Settings) -> dict[str, tuple[int, Counter]]:
    """Source → (records in quarantine, count of records per reason)."""
    summary = {}
    for path in sorted(settings.quarantine_dir.glob("*.jsonl")):
        entries = read_quarantine(settings, path.stem)
        counts: Counter = Counter(reason for e in entries.values() for reason in reasons(e))
        summary[path.stem] = (len(entries), counts)
    return summary
