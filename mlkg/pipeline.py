"""Wires the stages: crawl → raw JSON Lines → map → validate → load. Nothing more.

Each stage is a plain function with a narrow input and output, so every stage can run alone
(``mlkg crawl|map|validate|load``) or all at once (``mlkg build``). What each guarantees:

* crawl appends raw records to ``raw/<source>.partial.jsonl`` as they arrive and renames it to
  ``raw/<source>.jsonl`` when the crawl completes. A killed crawl resumes: the ids already written
  are skipped, a line the kill cut short is dropped.
* map is pure per record; a mapper that raises still yields a record (with ``error``), so one bad
  record never stops the run. The pipeline adds the provenance of each record graph.
* validate runs the SHACL shapes; failing records go to ``quarantine/<source>.jsonl`` with their
  report, and are counted.
* load skips records whose content hash and crawler version are unchanged, bulk-loads new graphs
  and atomically replaces changed ones. After a complete crawl, graphs whose record disappeared
  from the source are dropped. A record that fails validation keeps its last accepted graph.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Triple, parse

from crawlers import Source, get_source
from mlkg import __version__
from mlkg.config import Settings
from mlkg.errors import SourceNotFoundError
from mlkg.iris import Iris
from mlkg.namespaces import FOAF, MLKG, PROV, RDF, RDFS, XSD
from mlkg.progress import progress
from mlkg.rdf import text
from mlkg.records import MappedRecord, RawRecord, Verdict, Violation
from mlkg.resources import ontology_files
from mlkg.store import EmbeddedStore, open_store
from mlkg.vocabulary import rebase

logger = logging.getLogger(__name__)

#: Records mapped, validated and loaded together; bounds memory (~a few MB per 1,000 records).
CHUNK_SIZE = 2_000
#: Longest warning text kept in a record graph's provenance.
MAX_WARNINGS_PER_RECORD = 20

ValidateFn = Callable[[Sequence[MappedRecord]], list[Verdict]]


@dataclass
class BuildReport:
    """Counts and timings of one run, printed by the CLI and returned to library callers."""

    source: str
    crawled: int = 0
    resumed: int = 0
    unchanged: int = 0
    mapped: int = 0
    warnings: int = 0
    accepted: int = 0
    quarantined: int = 0
    added: int = 0
    replaced: int = 0
    removed: int = 0
    triples_written: int = 0
    unresolved_references: int = 0
    complete: bool = True
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def written(self) -> int:
        return self.added + self.replaced + self.removed

    def as_dict(self) -> dict:
        return {**asdict(self), "written": self.written}


@contextmanager
def timed(report: BuildReport, stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        report.seconds[stage] = report.seconds.get(stage, 0.0) + time.perf_counter() - start


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


# -- crawl -----------------------------------------------------------------------------------


def raw_path(settings: Settings, source: str) -> Path:
    return settings.raw_dir / f"{source}.jsonl"


def _partial_path(settings: Settings, source: str) -> Path:
    return settings.raw_dir / f"{source}.partial.jsonl"


def _crawl_meta_path(settings: Settings, source: str) -> Path:
    return settings.raw_dir / f"{source}.crawl.json"


def _read_complete_lines(path: Path) -> tuple[list[str], int]:
    """The ids in a partial raw file and the byte length of its complete lines."""
    ids: list[str] = []
    good = 0
    with path.open("rb") as handle:
        for line in handle:
            if not line.endswith(b"\n"):
                break  # cut short by a kill
            try:
                ids.append(json.loads(line)["id"])
            except (ValueError, KeyError):
                break
            good += len(line)
    return ids, good


def crawl(
    settings: Settings,
    source: Source,
    location: str,
    *,
    limit: int | None = None,
    report: BuildReport | None = None,
    show_progress: bool = False,
) -> Path:
    """Crawl ``source`` from ``location`` into ``raw/<source>.jsonl``; resume a killed crawl.

    Returns the path of the complete raw file. Each record is flushed as soon as it is written.
    """
    report = report or BuildReport(source.name)
    settings.raw_dir.mkdir(parents=True, exist_ok=True)
    partial = _partial_path(settings, source.name)
    meta_path = _crawl_meta_path(settings, source.name)
    wanted = {"location": location, "limit": limit, "crawler": source.version}
    done_ids: list[str] = []
    if partial.exists() and meta_path.exists() and _same_crawl(meta_path, wanted):
        done_ids, good_bytes = _read_complete_lines(partial)
        with partial.open("r+b") as handle:
            handle.truncate(good_bytes)
        report.resumed = len(done_ids)
        logger.info("resuming the %s crawl: %d records already written", source.name, len(done_ids))
    else:
        partial.write_text("")
        meta_path.write_text(json.dumps({**wanted, "started": now_iso(), "complete": False}))
    remaining = None if limit is None else max(0, limit - len(done_ids))
    cache_dir = settings.data_dir / "cache" / source.name
    with timed(report, "crawl"), partial.open("a", encoding="utf-8") as out:
        records = source.crawl(
            location, cache_dir=cache_dir, skip=frozenset(done_ids), limit=remaining
        )
        for record in progress(
            records, desc=f"crawl {source.name}", unit="rec", enabled=show_progress
        ):
            out.write(record.to_json() + "\n")
            out.flush()
            report.crawled += 1
    final = raw_path(settings, source.name)
    os.replace(partial, final)
    meta_path.write_text(
        json.dumps(
            {
                **wanted,
                "completed": now_iso(),
                "complete": True,
                "records": report.crawled + report.resumed,
            }
        )
    )
    return final


def _same_crawl(meta_path: Path, wanted: dict) -> bool:
    try:
        meta = json.loads(meta_path.read_text())
    except ValueError:
        return False
    return not meta.get("complete") and all(meta.get(k) == v for k, v in wanted.items())


def crawl_was_complete(settings: Settings, source: str) -> bool:
    """Whether the raw file holds a whole crawl (no ``--limit``): only then are deletions safe."""
    meta_path = _crawl_meta_path(settings, source)
    if not meta_path.exists():
        return False
    meta = json.loads(meta_path.read_text())
    return bool(meta.get("complete")) and meta.get("limit") is None


def read_raw(path: Path) -> Iterator[RawRecord]:
    """Raw records from a JSON Lines file; a line that cannot be read is logged and skipped."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield RawRecord.from_json(line)
            except (ValueError, KeyError) as exc:
                logger.warning("%s:%d: unreadable raw record skipped (%s)", path, number, exc)


# -- map -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunContext:
    """What the provenance of every graph written in one run refers to."""

    source: Source
    iris: Iris
    activity: NamedNode
    started: str


def map_one(raw: RawRecord, context: RunContext) -> MappedRecord:
    """Map one raw record and add its graph's provenance; never raises."""
    source = context.source
    try:
        mapped = source.map_record(raw, context.iris)
    except Exception as exc:  # a mapper bug must not stop the run: quarantine the record
        logger.exception("%s %s: the mapper failed", source.name, raw.id)
        mapped = MappedRecord(
            source.name,
            raw.id,
            context.iris.record_graph(source.name, raw.id),
            error=f"mapping failed: {exc.__class__.__name__}: {exc}",
        )
    mapped.content_hash = raw.content_hash
    for warning in mapped.warnings:
        logger.info("%s %s: %s", source.name, raw.id, warning)
    mapped.triples.extend(provenance_triples(raw, mapped, context))
    return mapped


def provenance_triples(raw: RawRecord, mapped: MappedRecord, context: RunContext) -> list[Triple]:
    """PROV about a record graph: where it came from, when, by which crawler, its content hash."""
    g = mapped.graph
    triples = [
        Triple(g, RDF.type, MLKG.RecordGraph),
        Triple(g, MLKG.recordSource, Literal(context.source.name)),
        Triple(g, MLKG.recordId, Literal(raw.id)),
        Triple(g, MLKG.contentHash, Literal(raw.content_hash)),
        Triple(g, MLKG.crawlerVersion, Literal(f"{context.source.name}/{context.source.version}")),
        Triple(g, PROV.wasGeneratedBy, context.activity),
        Triple(g, PROV.generatedAtTime, Literal(context.started, datatype=XSD.dateTime)),
    ]
    if raw.location.startswith(("http://", "https://")):
        triples.append(Triple(g, PROV.hadPrimarySource, NamedNode(raw.location)))
    elif raw.location:
        triples.append(Triple(g, MLKG.sourcePath, Literal(raw.location)))
    topics = mapped.topics or ([mapped.subject] if mapped.subject else [])
    if mapped.subject is not None:
        triples.append(Triple(g, FOAF.primaryTopic, mapped.subject))
    triples.extend(Triple(g, FOAF.topic, topic) for topic in topics)
    for warning in mapped.warnings[:MAX_WARNINGS_PER_RECORD]:
        literal = text(warning, max_length=500)
        if literal is not None:
            triples.append(Triple(g, MLKG.mappingWarning, literal))
    return triples


# -- validate and quarantine -----------------------------------------------------------------


def default_validator() -> ValidateFn:
    from mlkg.validation import Validator

    return Validator().validate


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


# -- load ------------------------------------------------------------------------------------


def stored_fingerprints(store: EmbeddedStore, source: str) -> dict[str, tuple[str, str]]:
    """Record graph IRI → (content hash, crawler version) for one source's graphs in the store."""
    rows = store.query(
        f"SELECT ?g ?hash ?version WHERE {{ GRAPH ?g {{ ?g mlkg:recordSource {Literal(source)} ; "
        "mlkg:contentHash ?hash ; mlkg:crawlerVersion ?version } }",
        union_default_graph=False,
    )
    return {row["g"].value: (row["hash"].value, row["version"].value) for row in rows}


def load_chunk(
    store: EmbeddedStore,
    verdicts: Iterable[Verdict],
    fingerprints: dict[str, tuple[str, str]],
    report: BuildReport,
) -> None:
    """Write accepted records: new graphs by bulk, existing ones by atomic replace."""
    new: dict[NamedNode, list[Quad]] = {}
    changed: dict[NamedNode, list[Quad]] = {}
    for verdict in verdicts:
        if not verdict.accepted:
            continue
        record = verdict.record
        quads = record.quads()
        report.triples_written += len(quads)
        (changed if record.graph.value in fingerprints else new)[record.graph] = quads
    store.add_new_graphs(new)
    store.replace_graphs(changed)
    report.added += len(new)
    report.replaced += len(changed)


def chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


# -- background graphs and link check --------------------------------------------------------


def ensure_background(store: EmbeddedStore, iris: Iris) -> int:
    """Load the ontology, alignments and vocabularies, each into its own graph, when changed.

    The ontology goes to the graph named by its IRI; each vocabulary file to
    ``graph/vocabulary/<name>``. Returns how many graphs were (re)loaded.
    """
    from mlkg.records import content_hash

    loaded = 0
    for path in ontology_files():
        graph = _background_graph(path, iris)
        digest = content_hash({"text": path.read_text(encoding="utf-8"), "base": iris.base})
        current = list(
            store.query(
                f"SELECT ?h WHERE {{ GRAPH {graph} {{ {graph} mlkg:contentHash ?h }} }}",
                union_default_graph=False,
            )
        )
        if current and current[0]["h"].value == digest:
            continue
        quads = [
            Quad(_rebase_term(t.subject, iris), t.predicate, _rebase_term(t.object, iris), graph)
            for t in parse(path=str(path))
        ]
        quads.append(Quad(graph, MLKG.contentHash, Literal(digest), graph))
        quads.append(Quad(graph, RDF.type, MLKG.RecordGraph, graph))
        quads.append(Quad(graph, RDFS.label, Literal(f"mlkg {path.stem}"), graph))
        store.replace_graphs({graph: quads})
        loaded += 1
    return loaded


def _background_graph(path: Path, iris: Iris) -> NamedNode:
    from mlkg.namespaces import ONTOLOGY_IRI

    if path.parent.name == "vocab":
        return iris.vocabulary_graph(path.stem)
    if path.stem == "mlkg":
        return NamedNode(ONTOLOGY_IRI)
    return iris.vocabulary_graph(path.stem)


def _rebase_term(term, iris: Iris):
    return rebase(term.value, iris) if isinstance(term, NamedNode) else term


LINEAGE_PROPERTIES = (
    "derivedFrom",
    "fineTunedFrom",
    "adapterOf",
    "quantizedFrom",
    "mergedFrom",
    "convertedFrom",
    "revisionOf",
)


def check_links(store: EmbeddedStore, iris: Iris) -> int:
    """Flag lineage targets no record describes (``mlkg:unresolvedReference true``).

    The flags live in one graph, ``graph/checks/unresolved``, recomputed from the whole store so
    a target that another source's build describes later stops being flagged.
    """
    values = " ".join(f"mlkg:{name}" for name in LINEAGE_PROPERTIES)
    rows = store.query(
        "SELECT DISTINCT ?target WHERE { VALUES ?rel { " + values + " } "
        "?s ?rel ?target . FILTER NOT EXISTS { ?g foaf:topic ?target } }"
    )
    graph = iris.resource("graph/checks/unresolved")
    true = Literal("true", datatype=XSD.boolean)
    flags = {Quad(row["target"], MLKG.unresolvedReference, true, graph) for row in rows}
    label = Quad(graph, RDFS.label, Literal("lineage targets no crawled record describes"), graph)
    if set(store.quads(graph)) != flags | {label}:  # rewrite only on change: re-runs write nothing
        store.replace_graphs({graph: [*flags, label]})
    return len(flags)


# -- the whole build -------------------------------------------------------------------------


def build(
    settings: Settings,
    source_name: str,
    *,
    location: str | None = None,
    limit: int | None = None,
    validate: ValidateFn | None = None,
    show_progress: bool = False,
) -> BuildReport:
    """Crawl, map, validate and load one source into the store of ``settings.data_dir``."""
    source = get_source(source_name)
    report = BuildReport(source.name)
    raw_file = crawl(
        settings,
        source,
        location or source.default_location,
        limit=limit,
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
    validate = validate or default_validator()
    with LoadSession(settings, source, report) as session:
        records = progress(
            read_raw(raw_file), desc=f"load {source.name}", unit="rec", enabled=show_progress
        )
        for chunk in chunks(records, CHUNK_SIZE):
            todo = [raw for raw in chunk if not session.is_unchanged(raw.id, raw.content_hash)]
            with timed(report, "map"):
                mapped = [map_one(raw, session.context) for raw in todo]
            report.mapped += len(mapped)
            report.warnings += sum(len(m.warnings) for m in mapped)
            with timed(report, "validate"):
                verdicts = validate(mapped)
            session.apply(verdicts)
    return report


class LoadSession:
    """One run's writes to the store for one source: skip unchanged, load, quarantine, clean up.

    Opened as a context manager; on a clean exit it drops the graphs of records that vanished
    (after a complete crawl), records the run's activity, checks links and rewrites quarantine.
    """

    def __init__(self, settings: Settings, source: Source, report: BuildReport):
        self.settings = settings
        self.source = source
        self.report = report
        self.iris = settings.iris
        self.version = f"{source.name}/{source.version}"
        self.context = RunContext(
            source, self.iris, self.iris.activity(source.name, new_run_id()), now_iso()
        )
        self.quarantine = read_quarantine(settings, source.name)
        self.seen_graphs: set[str] = set()

    def __enter__(self) -> LoadSession:
        self.store = open_store(self.settings.data_dir, base_iri=self.iris.base)
        with timed(self.report, "background"):
            ensure_background(self.store, self.iris)
        self.fingerprints = stored_fingerprints(self.store, self.source.name)
        return self

    def is_unchanged(self, record_id: str, digest: str) -> bool:
        """Whether this record was loaded (or quarantined) before with the same content."""
        graph = self.iris.record_graph(self.source.name, record_id).value
        self.seen_graphs.add(graph)
        old = self.quarantine.get(record_id)
        unchanged = self.fingerprints.get(graph) == (digest, self.version) or bool(
            old and old["content_hash"] == digest and old.get("crawler_version") == self.version
        )
        self.report.unchanged += unchanged
        return unchanged

    def apply(self, verdicts: Sequence[Verdict]) -> None:
        """Load accepted records, quarantine the rest."""
        for verdict in verdicts:
            record_id = verdict.record.record_id
            self.seen_graphs.add(verdict.record.graph.value)
            if verdict.accepted:
                self.report.accepted += 1
                self.quarantine.pop(record_id, None)
            else:
                self.report.quarantined += 1
                log_verdict(verdict)
                self.quarantine[record_id] = {
                    **quarantine_entry(verdict),
                    "crawler_version": self.version,
                }
        with timed(self.report, "load"):
            load_chunk(self.store, verdicts, self.fingerprints, self.report)

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self._finish()
        finally:
            self.store.close()
        if exc_type is None:
            write_quarantine(self.settings, self.source.name, self.quarantine)

    def _finish(self) -> None:
        report, store = self.report, self.store
        with timed(report, "load"):
            if report.complete:
                gone = [NamedNode(g) for g in self.fingerprints if g not in self.seen_graphs]
                store.drop_graphs(gone)
                report.removed = len(gone)
                self.quarantine = {
                    k: v for k, v in self.quarantine.items() if v["graph"] in self.seen_graphs
                }
            if report.written or report.quarantined:
                store.replace_graphs({self.context.activity: activity_quads(self.context, report)})
        with timed(report, "links"):
            report.unresolved_references = check_links(store, self.iris)


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


def activity_quads(context: RunContext, report: BuildReport) -> list[Quad]:
    """The crawl activity of this run, in a graph named by the activity's IRI."""
    a = context.activity
    triples = [
        Triple(a, RDF.type, PROV.Activity),
        Triple(a, RDFS.label, Literal(f"mlkg build of {context.source.name}")),
        Triple(a, PROV.startedAtTime, Literal(context.started, datatype=XSD.dateTime)),
        Triple(a, PROV.endedAtTime, Literal(now_iso(), datatype=XSD.dateTime)),
        Triple(
            a,
            MLKG.crawlerVersion,
            Literal(f"{context.source.name}/{context.source.version} mlkg/{__version__}"),
        ),
    ]
    return [Quad(t.subject, t.predicate, t.object, a) for t in triples]
