"""Full-text search over the graph: an SQLite FTS5 index beside the store.

Oxigraph has no text index, and ``FILTER(CONTAINS(...))`` scans every literal, which is far too
slow at millions of models. So each load also writes the searchable text of the resources it
touched into ``data_dir/search.sqlite``:

* one row per (record graph, resource) in ``resources`` — the resource's IRI, kind (``model``,
  ``dataset``, ``publisher`` ...), display label and the graph it came from;
* the row's text in the FTS5 table ``resources_fts`` (same rowid), in weighted columns: label,
  identifier, tags, facts (task, licence, architecture, publisher and hub labels) and description;
* its label and identifier again in ``names_fts``, so "matches in names" is a search of its own
  (a column filter on ``resources_fts`` would walk a common word's whole posting list);
* its exact names (labels, identifiers, alternative labels; case-folded) in ``resource_names``,
  a B-tree lookup that puts "the thing called X" first whatever BM25 says.

Rows are keyed by graph, so replacing a record graph replaces exactly its rows (one transaction
per chunk: a search sees the old rows or the new ones) and dropping a graph drops them. The SKOS
vocabularies (well-known datasets, tasks, metrics, licences) are indexed from the shipped files
under their vocabulary graphs. Ranking is FTS5's BM25 with column weights; user text is reduced
to quoted word tokens, so it can never be FTS5 syntax (see :func:`match_expression`). Prefix
matching of the last word (type-ahead) uses FTS5 prefix indexes of 2-4 characters.

See https://www.sqlite.org/fts5.html for FTS5, its query syntax and ``bm25()``.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Triple, parse

from mlkg.config import Settings
from mlkg.iris import Iris
from mlkg.namespaces import DCTERMS, FOAF, MLKG, RDF, RDFS, SKOS
from mlkg.records import MappedRecord, content_hash
from mlkg.resources import data_dir
from mlkg.vocabulary import load_vocabulary, rebase

logger = logging.getLogger(__name__)

INDEX_FILE = "search.sqlite"
#: Bump when the table layout or the text extraction changes; an older index is rebuilt.
SCHEMA_VERSION = 4
#: Most word tokens taken from a query; the rest are ignored (bounds the FTS5 expression).
MAX_QUERY_TERMS = 16
#: Longest text kept per column, so one huge card cannot bloat the index.
MAX_COLUMN_CHARS = 4_000
#: Most hits a caller can ask for at once.
MAX_LIMIT = 200

#: rdf:type → the kind a hit reports; resources of other types are not indexed.
KINDS: dict[str, str] = {
    MLKG.Model.value: "model",
    MLKG.Dataset.value: "dataset",
    MLKG.Publisher.value: "publisher",
    MLKG.ModelCollection.value: "collection",
    MLKG.Task.value: "task",
    MLKG.Metric.value: "metric",
    MLKG.Architecture.value: "architecture",
    MLKG.ModelZoo.value: "hub",
    MLKG.Label.value: "label",
    DCTERMS.LicenseDocument.value: "license",
    MLKG.CustomLicense.value: "license",
}
_KIND_NAMES = frozenset(KINDS.values())
#: Kinds in the order a resource with several types takes them (a Model that is also a Dataset
#: is listed as a model).
_KIND_ORDER = ("model", "dataset", "publisher", "collection", "task", "metric", "architecture")

#: BM25 weights of the FTS5 columns, in column order.
_COLUMNS = ("label", "identifier", "tags", "facts", "description")
_WEIGHTS = (10.0, 8.0, 3.0, 2.0, 1.0)

_LABELS = {RDFS.label, SKOS.prefLabel, DCTERMS.title}
_IDENTIFIERS = {DCTERMS.identifier, SKOS.notation, MLKG.modelName, MLKG.entrypoint}
_TAGS = {MLKG.tag, SKOS.altLabel, MLKG.library, MLKG.language, MLKG.format}
_DESCRIPTIONS = {DCTERMS.description, RDFS.comment, SKOS.definition, SKOS.scopeNote}
#: Links whose target's label goes into the ``facts`` column.
_FACT_LINKS = {
    MLKG.task,
    DCTERMS.license,
    MLKG.architecture,
    DCTERMS.publisher,
    MLKG.hub,
    MLKG.trainedOn,
}

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS resources(
    id INTEGER PRIMARY KEY,
    graph TEXT NOT NULL,
    iri TEXT NOT NULL,
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    UNIQUE(graph, iri)
);
CREATE INDEX IF NOT EXISTS resources_iri ON resources(iri);
CREATE TABLE IF NOT EXISTS resource_names(name TEXT NOT NULL, id INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS resource_names_name ON resource_names(name);
CREATE INDEX IF NOT EXISTS resource_names_id ON resource_names(id);
CREATE INDEX IF NOT EXISTS resources_kind_label ON resources(kind, label);
CREATE VIRTUAL TABLE IF NOT EXISTS resources_fts USING fts5(
    {", ".join(_COLUMNS)}, kind,
    tokenize = "unicode61 remove_diacritics 2",
    prefix = '2 3 4'
);
CREATE VIRTUAL TABLE IF NOT EXISTS names_fts USING fts5(
    label, identifier, kind,
    tokenize = "unicode61 remove_diacritics 2",
    prefix = '2 3 4'
);
"""

_SNIPPET_START, _SNIPPET_END = "\x02", "\x03"


@dataclass(frozen=True)
class SearchHit:
    """One ranked result.

    ``snippet`` is plain text from the best-matching column; ``snippet_parts`` is the same text
    as (text, matched) pairs, so a page can highlight matches without ever marking text safe.
    ``score`` is BM25 (lower is better, as FTS5 reports it).
    """

    iri: str
    label: str
    kind: str
    snippet: str
    snippet_parts: tuple[tuple[str, bool], ...]
    score: float


@dataclass(frozen=True)
class Document:
    """The searchable text of one resource as described in one graph."""

    graph: str
    iri: str
    kind: str
    label: str
    names: tuple[str, ...]
    identifier: str
    tags: str
    facts: str
    description: str


# -- connecting ------------------------------------------------------------------------------


def index_path(settings: Settings) -> Path:
    return Path(settings.data_dir) / INDEX_FILE


def connect(path: Path) -> sqlite3.Connection:
    """Open (and create) the index; WAL mode lets the server read while a build writes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    version = _schema_version(conn)
    if version not in (None, SCHEMA_VERSION):
        logger.warning(
            "search index %s has layout %s; recreating it empty: run `mlkg reindex`", path, version
        )
        conn.executescript(
            "DROP TABLE IF EXISTS resources_fts; DROP TABLE IF EXISTS resources;"
            "DROP TABLE IF EXISTS names_fts; DROP TABLE IF EXISTS resource_names;"
            "DROP TABLE IF EXISTS meta;"
        )
        path.with_name(path.name + ".stale").write_text("recreated with a new layout\n")
    conn.executescript(_SCHEMA)
    conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
    return conn


def _schema_version(conn: sqlite3.Connection) -> int | None:
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    except sqlite3.OperationalError:
        return None
    return int(row[0]) if row else None


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: readers see all of it or none of it."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


# -- extracting documents --------------------------------------------------------------------


def _join(values: Iterable[str]) -> str:
    text = " ".join(dict.fromkeys(v.strip() for v in values if v and v.strip()))
    return text[:MAX_COLUMN_CHARS]


def _kind(types: set[str]) -> str | None:
    kinds = {KINDS[t] for t in types if t in KINDS}
    if not kinds:
        return None
    return next((k for k in _KIND_ORDER if k in kinds), sorted(kinds)[0])


def _link_label(target: NamedNode, labels: dict[str, str], iris: Iris) -> str:
    """A linked node's label: from the same graph, the vocabulary, or the IRI's last segment."""
    if target.value in labels:
        return labels[target.value]
    default_base = Iris().base
    vocabulary_iri = (
        default_base + target.value[len(iris.base) :]
        if target.value.startswith(iris.base)
        else target.value
    )
    label = load_vocabulary().label(vocabulary_iri)
    return label or target.value.rstrip("/").rsplit("/", 1)[-1]


def documents(
    graph: NamedNode, topics: Sequence[NamedNode], triples: Iterable[Triple], iris: Iris
) -> list[Document]:
    """The documents of one graph: its topics of an indexed kind, plus dataset stubs.

    Dataset stubs (a dataset a model was trained on, described by no record of its own) are
    indexed too, so every dataset name in the graph is findable; the same stub in many graphs
    gives one hit, since :func:`search` keeps each IRI once.
    """
    by_subject: dict[str, list[Triple]] = {}
    labels: dict[str, str] = {}
    for triple in triples:
        if not isinstance(triple.subject, NamedNode):
            continue
        by_subject.setdefault(triple.subject.value, []).append(triple)
        if triple.predicate in _LABELS and isinstance(triple.object, Literal):
            labels.setdefault(triple.subject.value, triple.object.value)
    wanted = dict.fromkeys(t.value for t in topics)
    for subject, subject_triples in by_subject.items():
        if subject not in wanted and any(
            t.predicate == RDF.type and t.object == MLKG.Dataset for t in subject_triples
        ):
            wanted[subject] = None
    result = []
    for iri in wanted:
        document = _document(graph.value, iri, by_subject.get(iri, []), labels, iris)
        if document is not None:
            result.append(document)
    return result


def _document(
    graph: str, iri: str, triples: list[Triple], labels: dict[str, str], iris: Iris
) -> Document | None:
    types = {t.object.value for t in triples if t.predicate == RDF.type}
    kind = _kind(types)
    if kind is None:
        return None
    columns: dict[str, list[str]] = {name: [] for name in _COLUMNS}
    for triple in triples:
        predicate, obj = triple.predicate, triple.object
        if isinstance(obj, Literal):
            if predicate in _LABELS:
                columns["label"].append(obj.value)
            elif predicate in _IDENTIFIERS:
                columns["identifier"].append(obj.value)
            elif predicate in _TAGS:
                columns["tags"].append(obj.value)
            elif predicate in _DESCRIPTIONS:
                columns["description"].append(obj.value)
        elif isinstance(obj, NamedNode) and predicate in _FACT_LINKS:
            columns["facts"].append(_link_label(obj, labels, iris))
    alt_labels = [
        t.object.value
        for t in triples
        if t.predicate == SKOS.altLabel and isinstance(t.object, Literal)
    ]
    label = _display_label(triples) or (columns["identifier"] or [iri.rsplit("/", 1)[-1]])[0]
    return Document(
        graph=graph,
        iri=iri,
        kind=kind,
        label=label[:500],
        names=_names(columns["label"], columns["identifier"], alt_labels),
        identifier=_join(columns["identifier"]),
        tags=_join(columns["tags"]),
        facts=_join(columns["facts"]),
        description=_join(columns["description"]),
    )


def normalise_name(text: str) -> str:
    """How exact names are compared: case folded, runs of white space as one space.

    >>> normalise_name("  ImageNet   (ILSVRC 2012) ")
    'imagenet (ilsvrc 2012)'
    """
    return " ".join(text.casefold().split())[:500]


def _names(*groups: list[str]) -> tuple[str, ...]:
    """The exact names of a resource (labels, identifiers, alternative labels), normalised."""
    names = dict.fromkeys(normalise_name(n) for group in groups for n in group)
    return tuple(n for n in names if n)[:50]


def _display_label(triples: list[Triple]) -> str | None:
    """``rdfs:label``, else ``skos:prefLabel``, else ``dcterms:title`` (a page's shared title
    would make the entry points of one PyTorch Hub page look alike)."""
    for predicate in (RDFS.label, SKOS.prefLabel, DCTERMS.title):
        for triple in triples:
            if triple.predicate == predicate and isinstance(triple.object, Literal):
                return triple.object.value
    return None


def record_documents(record: MappedRecord, iris: Iris) -> list[Document]:
    """The documents of a mapped record (topics as the pipeline records them)."""
    if record.documents is not None:
        return record.documents
    topics = record.topics or ([record.subject] if record.subject is not None else [])
    return documents(record.graph, topics, record.triples, iris)


# -- writing ---------------------------------------------------------------------------------


def _delete_graphs(conn: sqlite3.Connection, graphs: Iterable[str]) -> None:
    for graph in graphs:
        for table, column in (
            ("resources_fts", "rowid"),
            ("names_fts", "rowid"),
            ("resource_names", "id"),
        ):
            conn.execute(
                f"DELETE FROM {table} WHERE {column} IN (SELECT id FROM resources WHERE graph = ?)",
                (graph,),
            )
        conn.execute("DELETE FROM resources WHERE graph = ?", (graph,))


def _insert(conn: sqlite3.Connection, docs: Iterable[Document]) -> None:
    for doc in docs:
        cursor = conn.execute(
            "INSERT INTO resources(graph, iri, kind, label) VALUES (?, ?, ?, ?)",
            (doc.graph, doc.iri, doc.kind, doc.label),
        )
        conn.executemany(
            "INSERT INTO resource_names(name, id) VALUES (?, ?)",
            [(name, cursor.lastrowid) for name in doc.names],
        )
        conn.execute(
            "INSERT INTO resources_fts(rowid, label, identifier, tags, facts, description, kind) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                cursor.lastrowid,
                doc.label,
                doc.identifier,
                doc.tags,
                doc.facts,
                doc.description,
                doc.kind,
            ),
        )
        conn.execute(
            "INSERT INTO names_fts(rowid, label, identifier, kind) VALUES (?, ?, ?, ?)",
            (cursor.lastrowid, doc.label, doc.identifier, doc.kind),
        )


def replace_documents(
    conn: sqlite3.Connection, graphs: Iterable[str], docs: Iterable[Document]
) -> None:
    """Replace the rows of ``graphs`` with ``docs``, in one transaction."""
    with transaction(conn):
        _delete_graphs(conn, graphs)
        _insert(conn, docs)


def index_records(
    settings: Settings, records: Sequence[MappedRecord], *, check_vocabulary: bool = True
) -> int:
    """Index the record graphs just written (replacing their rows); returns documents written.

    One connection and one transaction per call: a load calls this once per chunk.
    """
    iris = settings.iris
    docs = [doc for record in records for doc in record_documents(record, iris)]
    with closing(connect(index_path(settings))) as conn:
        if check_vocabulary:
            ensure_vocabulary(conn, iris)
        replace_documents(conn, [r.graph.value for r in records], docs)
    return len(docs)


def remove_graphs(settings: Settings, graphs: Sequence[NamedNode]) -> None:
    """Drop the rows of record graphs that left the store."""
    if not graphs:
        return
    with closing(connect(index_path(settings))) as conn, transaction(conn):
        _delete_graphs(conn, [g.value for g in graphs])


def stale_marker(settings: Settings) -> Path:
    return index_path(settings).with_name(INDEX_FILE + ".stale")


def mark_stale(settings: Settings) -> None:
    """Flag the index as behind the store after a failed index write; only
    :func:`rebuild_index` clears the flag, since later good chunks do not repair a missed one.

    A flag file rather than a row, since the failure may be the database itself.
    """
    marker = stale_marker(settings)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("the search index missed a load; run `mlkg reindex`\n")


def is_stale(settings: Settings) -> bool:
    return stale_marker(settings).exists()


def _vocabulary_files() -> list[Path]:
    return sorted((data_dir("ontology") / "vocab").glob("*.ttl"))


def ensure_vocabulary(conn: sqlite3.Connection, iris: Iris) -> bool:
    """Index the shipped SKOS vocabularies when they (or the base IRI) changed since last time.

    The loader puts each vocabulary file in its own graph without telling the publisher, so
    the index reads the same files itself. Returns whether it re-indexed them.
    """
    files = _vocabulary_files()
    digest = content_hash({"base": iris.base, "files": [p.read_text("utf-8") for p in files]})
    row = conn.execute("SELECT value FROM meta WHERE key = 'vocabulary'").fetchone()
    if row and row[0] == digest:
        return False
    graphs, docs = [], []
    for path in files:
        graph = iris.vocabulary_graph(path.stem)
        triples = [
            Triple(_rebased(t.subject, iris), t.predicate, _rebased(t.object, iris))
            for t in parse(path=str(path))
        ]
        concepts = [
            t.subject for t in triples if t.predicate == SKOS.inScheme and t.subject is not None
        ]
        graphs.append(graph.value)
        docs.extend(documents(graph, concepts, triples, iris))
    with transaction(conn):
        _delete_graphs(conn, graphs)
        _insert(conn, docs)
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('vocabulary', ?)", (digest,))
    return True


def _rebased(term, iris: Iris):
    return rebase(term.value, iris) if isinstance(term, NamedNode) else term


def rebuild_index(settings: Settings, store=None) -> int:
    """Rebuild the whole index from the store (for stores built before the index existed, or
    after a crash between a store write and its index update). Returns documents written.

    Reads each record graph's quads directly (an index lookup per graph, no SPARQL), and
    writes in batches of a few thousand graphs so memory stays flat.
    """
    from mlkg.store import connect as connect_store

    iris = settings.iris
    path = index_path(settings)
    fresh = path.with_name(path.name + ".new")
    for stale in (fresh, Path(f"{fresh}-wal"), Path(f"{fresh}-shm")):
        stale.unlink(missing_ok=True)
    owned = store is None
    if owned:
        store = connect_store(settings, read_only=True)
    written = 0
    try:
        with closing(connect(fresh)) as conn:
            ensure_vocabulary(conn, iris)
            batch: list[Document] = []
            for graph in _record_graphs(store):
                batch.extend(_graph_documents(store, graph, iris))
                if len(batch) >= 5_000:
                    written += _flush(conn, batch)
            written += _flush(conn, batch)
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        if owned:
            store.close()
    fresh.replace(path)
    stale_marker(settings).unlink(missing_ok=True)
    for leftover in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    return written


def _flush(conn: sqlite3.Connection, batch: list[Document]) -> int:
    count = len(batch)
    with transaction(conn):
        _insert(conn, batch)
    batch.clear()
    return count


def _record_graphs(store) -> Iterator[NamedNode]:
    for row in store.query(
        "SELECT ?g WHERE { GRAPH ?g { ?g a mlkg:RecordGraph ; foaf:topic ?any } } GROUP BY ?g",
        union_default_graph=False,
    ):
        yield row["g"]


def _graph_documents(store, graph: NamedNode, iris: Iris) -> list[Document]:
    triples = [Triple(q.subject, q.predicate, q.object) for q in store.quads(graph)]
    topics = [
        t.object
        for t in triples
        if t.subject == graph and t.predicate == FOAF.topic and isinstance(t.object, NamedNode)
    ]
    return documents(graph, topics, triples, iris)


# -- searching -------------------------------------------------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)


def match_expression(text: str, *, prefix: bool = True) -> str | None:
    """An FTS5 query for user text: every word token must match, each quoted.

    Quoting makes each token a string, so operators (``AND``, ``NEAR``), column filters
    (``label:``), ``*``, ``^`` and stray quotes in user text are just words. With ``prefix``,
    the last token also matches as a prefix (type-ahead). ``None`` when the text has no words.

    >>> match_expression('bert" OR label:x*')
    '"bert" "or" "label" "x"*'
    >>> match_expression("  ") is None
    True
    >>> match_expression("albert_base", prefix=False)
    '"albert_base"'
    """
    words = [w.lower() for w in _WORD.findall(text)][:MAX_QUERY_TERMS]
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    if prefix:
        quoted[-1] += "*"
    return " ".join(quoted)


def search(
    settings: Settings,
    text: str,
    *,
    limit: int = 20,
    kind: str | None = None,
    prefix: bool = True,
) -> list[SearchHit]:
    """Ranked hits for ``text`` (best first), each IRI once; ``kind`` filters (``model``...).

    Ranking: resources *named* exactly by the text (label, identifier or alternative label)
    first; then matches in names (label and identifier) by BM25, where the last word also
    matches as a prefix (``prefix``, for type-ahead; words of 2 characters or more); then whole
    words anywhere (tags, facts, descriptions) by BM25. Each BM25 phase ranks at most
    :data:`CANDIDATES` matches, and prefixes are only looked up among names, so a word found
    in a million descriptions still answers in milliseconds. An absent or empty index gives no
    hits rather than an error, so a fresh server works.

    Example::

        search(settings, "pinenet imagenet", limit=5, kind="model")
    """
    words = match_expression(text, prefix=False)
    path = index_path(settings)
    if words is None or not path.exists() or (kind is not None and kind not in _KIND_NAMES):
        return []
    last = _WORD.findall(text)[:MAX_QUERY_TERMS][-1]
    names = match_expression(text, prefix=prefix and len(last) >= 2) or words
    limit = max(1, min(int(limit), MAX_LIMIT))
    with closing(_reader(path)) as conn:
        try:
            return _search(conn, text, names, words, kind, limit)
        except sqlite3.OperationalError as exc:
            # Only a missing or corrupt index gets here: match_expression output always parses.
            logger.warning("search failed: %s", exc)
            return []


#: Most full-text matches one ranking phase scores. FTS5 computes BM25 for every match it
#: orders, which for a word in every description (``apache``) takes seconds at 2M models;
#: scoring the first matches only keeps every query fast. Exact names never depend on it.
CANDIDATES = 5_000


def _reader(path: Path) -> sqlite3.Connection:
    """A connection for reading (not ``mode=ro``: WAL readers need the shared-memory file)."""
    return sqlite3.connect(str(path), timeout=30)


def _search(
    conn: sqlite3.Connection, text: str, names: str, words: str, kind: str | None, limit: int
) -> list[SearchHit]:
    wanted = limit * 3  # rows per IRI can repeat (a stub in many graphs)
    rowids = _exact_names(conn, normalise_name(text), kind, wanted)
    seen = {rowid for rowid, _ in rowids}
    for table, expression in (("names_fts", names), ("resources_fts", words)):
        if len(rowids) >= wanted:
            break
        for rowid, score in _ranked(conn, table, expression, kind, wanted):
            if rowid not in seen:
                seen.add(rowid)
                rowids.append((rowid, score))
    hits: dict[str, SearchHit] = {}
    for rowid, score in rowids:
        hit = _hit(conn, rowid, words, score)
        if hit is not None and hit.iri not in hits:
            hits[hit.iri] = hit
            if len(hits) == limit:
                break
    return list(hits.values())


def _exact_names(
    conn: sqlite3.Connection, name: str, kind: str | None, wanted: int
) -> list[tuple[int, float]]:
    rows = conn.execute(  # CROSS JOIN: names first, whatever the planner thinks of kinds
        "SELECT n.id FROM resource_names n CROSS JOIN resources r ON r.id = n.id "
        "WHERE n.name = ?" + (" AND r.kind = ?" if kind else "") + " ORDER BY n.id LIMIT ?",
        [name, *([kind] if kind else []), wanted],
    ).fetchall()
    return list(dict.fromkeys((row[0], float("-inf")) for row in rows))


def _ranked(
    conn: sqlite3.Connection, table: str, expression: str, kind: str | None, wanted: int
) -> list[tuple[int, float]]:
    """(rowid, BM25) of the best ``wanted`` among the first :data:`CANDIDATES` matches in
    ``table``: ``names_fts`` (label, identifier) or ``resources_fts`` (all columns).

    The kind is a column of the full-text tables, so filtering by it is one more term of the
    FTS5 query (doclists intersected in the index) rather than a join that the planner could
    run the wrong way round (every model, then a full-text test on each).
    """
    weights = _WEIGHTS[:2] if table == "names_fts" else _WEIGHTS
    if kind is not None:
        expression = f'({expression}) AND kind : "{kind}"'
    sql = (
        "SELECT rowid, score FROM ("
        f"SELECT rowid, bm25({table}, {', '.join(map(str, weights))}, 0.0) AS score "
        f"FROM {table} WHERE {table} MATCH ? LIMIT ?) ORDER BY score LIMIT ?"
    )
    return [(row[0], float(row[1])) for row in conn.execute(sql, (expression, CANDIDATES, wanted))]


def _hit(conn: sqlite3.Connection, rowid: int, expression: str, score: float) -> SearchHit | None:
    """One hit with its snippets (computed for the shown hits only: snippets are costly)."""
    row = conn.execute(
        "SELECT r.iri, r.label, r.kind, "
        f"snippet(resources_fts, -1, '{_SNIPPET_START}', '{_SNIPPET_END}', '…', 16), "
        f"snippet(resources_fts, 4, '{_SNIPPET_START}', '{_SNIPPET_END}', '…', 16) "
        "FROM resources_fts JOIN resources r ON r.id = resources_fts.rowid "
        "WHERE resources_fts MATCH ? AND resources_fts.rowid = ?",
        (expression, rowid),
    ).fetchone()
    if row is None:  # matched by a prefix of its name, or a name of symbols only
        row = conn.execute(
            "SELECT r.iri, r.label, r.kind, f.label, f.description FROM resources r "
            "JOIN resources_fts f ON f.rowid = r.id WHERE r.id = ?",
            (rowid,),
        ).fetchone()
    if row is None:
        return None
    iri, label, kind, best, description = row
    parts = _snippet_parts(_pick_snippet(description or "", best or ""))
    return SearchHit(
        iri=iri,
        label=label,
        kind=kind,
        snippet="".join(text for text, _ in parts),
        snippet_parts=parts,
        score=score,
    )


def _pick_snippet(description: str, best: str) -> str:
    """The description's snippet when the match is in it (it reads best), else the snippet of
    the best-matching column, else the start of the description."""
    if _SNIPPET_START in description:
        return description
    return best if _SNIPPET_START in best else description or best


def _snippet_parts(snippet: str) -> tuple[tuple[str, bool], ...]:
    """Split FTS5's marked snippet into (text, matched) pairs; markers never reach output.

    >>> _snippet_parts("a \\x02b\\x03 c")
    (('a ', False), ('b', True), (' c', False))
    """
    parts: list[tuple[str, bool]] = []
    for index, piece in enumerate(re.split(f"[{_SNIPPET_START}{_SNIPPET_END}]", snippet)):
        if piece:
            parts.append((piece, index % 2 == 1))
    return tuple(parts)


def browse(settings: Settings, kind: str, *, limit: int = 50, offset: int = 0) -> list[SearchHit]:
    """Resources of one kind in label order, each IRI once (the search page without words)."""
    path = index_path(settings)
    if not path.exists():
        return []
    limit = max(1, min(int(limit), MAX_LIMIT))
    with closing(_reader(path)) as conn:
        rows = conn.execute(
            "SELECT iri, MIN(label) AS label FROM resources WHERE kind = ? "
            "GROUP BY iri ORDER BY label, iri LIMIT ? OFFSET ?",
            (kind, limit, max(0, int(offset))),
        ).fetchall()
    return [SearchHit(iri, label, kind, "", (), 0.0) for iri, label in rows]


def index_stats(settings: Settings) -> dict[str, int]:
    """Indexed resources per kind (for the home page and ``mlkg stats``)."""
    path = index_path(settings)
    if not path.exists():
        return {}
    with closing(_reader(path)) as conn:
        try:
            rows = conn.execute(
                "SELECT kind, COUNT(DISTINCT iri) FROM resources GROUP BY kind ORDER BY kind"
            ).fetchall()
        except sqlite3.OperationalError:
            return {}
    return dict(rows)
