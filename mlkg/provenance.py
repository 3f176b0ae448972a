"""Provenance: each record graph says where it came from, and each run is a PROV activity.

The map stage wrapper lives here too (:func:`map_one`), since it is where a mapper's output
meets its provenance.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from pyoxigraph import Literal, NamedNode, Quad, Triple

from crawlers import Source
from mlkg import __version__
from mlkg.iris import Iris
from mlkg.namespaces import FOAF, MLKG, PROV, RDF, RDFS, XSD
from mlkg.rdf import text
from mlkg.records import MappedRecord, RawRecord
from mlkg.report import BuildReport

logger = logging.getLogger(__name__)

#: Most warnings kept in a record graph's provenance.
MAX_WARNINGS_PER_RECORD = 20


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


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
        Triple(g, MLKG.contentHash, Literal(mapped.content_hash or raw.content_hash)),
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
