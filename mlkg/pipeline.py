"""Wires the stages: crawl → raw JSON Lines → map → validate → load. Nothing more.

Each stage is a plain function with a narrow input and output, so every stage can run alone
(``mlkg crawl|map|validate|load``) or all at once (``mlkg build``):

* crawl (:mod:`mlkg.raw`) writes raw records as JSON Lines and resumes a killed crawl;
* map (:func:`mlkg.provenance.map_one`) is pure per record plus the graph's provenance; a mapper
  that raises still yields a record (with ``error``), so one bad record never stops the run;
* validate (:mod:`mlkg.validation`) runs the SHACL shapes; refused records go to
  :mod:`mlkg.quarantine` with their report;
* load (:mod:`mlkg.loading`) skips unchanged records, bulk-loads new graphs and atomically
  replaces changed ones.

``build`` streams records through map, validate and load in chunks of :data:`CHUNK_SIZE`, so
memory stays flat whatever the size of the source; the chunks are mapped and validated in
worker processes (:mod:`mlkg.workers`) while this one loads.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict
from itertools import islice
from pathlib import Path

from pyoxigraph import NamedNode, RdfFormat, parse

from crawlers import Source, get_source
from mlkg.config import Settings
from mlkg.errors import SourceNotFoundError
from mlkg.loading import LoadSession
from mlkg.progress import progress
from mlkg.provenance import RunContext, map_one, new_run_id, now_iso
from mlkg.quarantine import log_verdict
from mlkg.raw import crawl, crawl_was_complete, raw_path, read_raw
from mlkg.records import MappedRecord, RawRecord, Verdict, Violation
from mlkg.report import BuildReport, timed
from mlkg.workers import MappingPool, ValidateFn, default_validator

#: Records mapped, validated and loaded together; bounds memory (~a few MB per 1,000 records).
CHUNK_SIZE = 2_000

__all__ = ["ValidateFn", "build", "chunks", "default_validator", "load_chunks", "load_raw"]


def chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def build(
    settings: Settings,
    source_name: str,
    *,
    location: str | None = None,
    limit: int | None = None,
    options: Mapping[str, str] | None = None,
    validate: ValidateFn | None = None,
    show_progress: bool = False,
) -> BuildReport:
    """Crawl, map, validate and load one source into the store of ``settings.data_dir``.

    ``options`` are passed to the source's crawler as keyword arguments (filters such as
    ``author`` for the Hugging Face Hub); a filtered crawl, like a limited one, deletes nothing.
    """
    source = get_source(source_name)
    report = BuildReport(source.name)
    raw_file = crawl(
        settings,
        source,
        location or source.default_location,
        limit=limit,
        options=options,
        report=report,
        show_progress=show_progress,
    )
    report.complete = crawl_was_complete(settings, source.name)
    return load_raw(
        settings, source, raw_file, report=report, validate=validate, show_progress=show_progress
    )


def load_raw(
    settings: Settings,
    source: Source,
    raw_file: Path,
    *,
    report: BuildReport,
    validate: ValidateFn | None = None,
    show_progress: bool = False,
) -> BuildReport:
    """Map, validate and load the records of a raw file (the rest of ``build``), streaming in
    chunks of :data:`CHUNK_SIZE` so memory stays flat whatever the size of the source."""
    session = LoadSession(settings, source, report)
    with MappingPool(session.context, settings.workers) as pool, session:
        records = progress(
            read_raw(raw_file), desc=f"load {source.name}", unit="rec", enabled=show_progress
        )
        load_chunks(session, records, report, validate, pool=pool)
    return report


def load_chunks(
    session: LoadSession,
    records: Iterable[RawRecord],
    report: BuildReport,
    validate: ValidateFn | None = None,
    *,
    pool: MappingPool | None = None,
) -> None:
    """Map, validate and apply records in chunks of :data:`CHUNK_SIZE`, skipping unchanged ones
    (shared by the source pipeline and ``mlkg import-profile``).

    With a ``pool`` with workers (and the shipped shapes) chunks are mapped and validated in
    other processes while this one loads; the report's map and validate seconds are then the
    workers' time, which overlaps the load's.
    """
    pool = pool or MappingPool(session.context, 0)
    todo = (
        [raw for raw in chunk if not session.is_unchanged(raw.id, raw.content_hash)]
        for chunk in chunks(records, CHUNK_SIZE)
    )
    for chunk in pool.map((raws for raws in todo if raws), validate):
        for stage, seconds in chunk.seconds.items():
            report.seconds[stage] = report.seconds.get(stage, 0.0) + seconds
        report.mapped += len(chunk.verdicts)
        report.warnings += sum(len(v.record.warnings) for v in chunk.verdicts)
        session.apply(chunk.verdicts)


# -- the stages one by one (mlkg map | validate | load) --------------------------------------


def mapped_path(settings: Settings, source: str) -> Path:
    return settings.data_dir / "mapped" / f"{source}.jsonl"


def validated_path(settings: Settings, source: str) -> Path:
    return settings.data_dir / "validated" / f"{source}.jsonl"


def mapped_to_json(record: MappedRecord, violations: Sequence | None = None) -> str:
    obj = {
        "source": record.source,
        "id": record.record_id,
        "graph": record.graph.value,
        "subject": record.subject.value if record.subject else None,
        "topics": [t.value for t in record.topics],
        "content_hash": record.content_hash,
        "warnings": record.warnings,
        "error": record.error,
        "ntriples": "".join(f"{t.subject} {t.predicate} {t.object} .\n" for t in record.triples),
    }
    if violations is not None:
        obj["violations"] = [asdict(v) for v in violations]
    return json.dumps(obj, ensure_ascii=False)


def mapped_from_json(line: str) -> tuple[MappedRecord, list[Violation] | None]:
    obj = json.loads(line)
    record = MappedRecord(
        obj["source"],
        obj["id"],
        NamedNode(obj["graph"]),
        subject=NamedNode(obj["subject"]) if obj.get("subject") else None,
        topics=[NamedNode(t) for t in obj.get("topics", [])],
        triples=list(parse(input=obj["ntriples"].encode("utf-8"), format=RdfFormat.N_TRIPLES)),
        warnings=obj.get("warnings", []),
        error=obj.get("error"),
        content_hash=obj.get("content_hash", ""),
    )
    violations = obj.get("violations")
    return record, None if violations is None else [Violation(**v) for v in violations]


def _write_lines(path: Path, lines: Iterable[str]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    count = 0
    with tmp.open("w", encoding="utf-8") as out:
        for line in lines:
            out.write(line + "\n")
            count += 1
    os.replace(tmp, path)
    return count


def _read_lines(path: Path, stage: str) -> Iterator[str]:
    if not path.exists():
        raise SourceNotFoundError(str(path), source=f"the {stage} stage (run it first)")
    with path.open(encoding="utf-8") as handle:
        yield from (line for line in handle if line.strip())


def map_stage(settings: Settings, source_name: str, *, show_progress: bool = False) -> BuildReport:
    """``mlkg map``: raw/<source>.jsonl → mapped/<source>.jsonl (every record, no skipping)."""
    source = get_source(source_name)
    report = BuildReport(source.name)
    iris = settings.iris
    context = RunContext(source, iris, iris.activity(source.name, new_run_id()), now_iso())

    def lines() -> Iterator[str]:
        raws = progress(
            read_raw(raw_path(settings, source.name)),
            desc=f"map {source.name}",
            unit="rec",
            enabled=show_progress,
        )
        for raw in raws:
            record = map_one(raw, context)
            report.warnings += len(record.warnings)
            yield mapped_to_json(record)

    if not raw_path(settings, source.name).exists():
        raise SourceNotFoundError(
            str(raw_path(settings, source.name)), source="the map stage (run `mlkg crawl` first)"
        )
    with timed(report, "map"):
        report.mapped = _write_lines(mapped_path(settings, source.name), lines())
    return report


def validate_stage(
    settings: Settings,
    source_name: str,
    *,
    report_path: Path | None = None,
    validate: ValidateFn | None = None,
) -> BuildReport:
    """``mlkg validate``: mapped → validated/<source>.jsonl; optionally a SHACL report file."""
    from mlkg.validation import report_to_turtle

    source = get_source(source_name)
    report = BuildReport(source.name)
    validate = validate or default_validator()
    all_verdicts: list[Verdict] = []

    def lines() -> Iterator[str]:
        records = (
            mapped_from_json(line)[0]
            for line in _read_lines(mapped_path(settings, source.name), "map")
        )
        for chunk in chunks(records, CHUNK_SIZE):
            for verdict in validate(chunk):
                if verdict.accepted:
                    report.accepted += 1
                else:
                    report.quarantined += 1
                    log_verdict(verdict)
                if report_path is not None and verdict.violations:
                    all_verdicts.append(
                        Verdict(
                            MappedRecord(
                                verdict.record.source,
                                verdict.record.record_id,
                                verdict.record.graph,
                            ),
                            verdict.violations,
                        )
                    )
                yield mapped_to_json(verdict.record, verdict.violations)

    with timed(report, "validate"):
        _write_lines(validated_path(settings, source.name), lines())
    if report_path is not None:
        report_path.write_text(report_to_turtle(all_verdicts), encoding="utf-8")
    return report


def load_stage(settings: Settings, source_name: str) -> BuildReport:
    """``mlkg load``: validated/<source>.jsonl → the store (same rules as ``build``)."""
    source = get_source(source_name)
    report = BuildReport(source.name, complete=crawl_was_complete(settings, source.name))
    with LoadSession(settings, source, report) as session:
        pairs = (
            mapped_from_json(line)
            for line in _read_lines(validated_path(settings, source.name), "validate")
        )
        for chunk in chunks(pairs, CHUNK_SIZE):
            verdicts = [
                Verdict(record, violations or [])
                for record, violations in chunk
                if not session.is_unchanged(record.record_id, record.content_hash)
            ]
            session.apply(verdicts)
    return report
