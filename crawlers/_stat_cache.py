"""A cache of values derived from local files, trusted while the files' ``stat`` is unchanged.

A local re-crawl (``mlkg build huggingface --from FOLDER``, ``mlkg build tfhub --from CHECKOUT``)
walks the whole folder again but should not read again what did not change. A crawler asks
:meth:`StatCache.get` with a file's key (its path relative to the crawled folder, prefixed by
what is derived from it) and its ``lstat``; the answer is the value it stored with
:meth:`StatCache.put` after the last read, or :data:`MISS`. The value must be JSON data and a
pure function of the file's bytes and of the code deriving it, which the cache's ``namespace``
names (a version and :func:`code_fingerprint` of the deriving functions).

Trust rules, the ones git uses for its index:

* **Signature.** A value is served only while the file's size, ``st_mtime_ns``,
  ``st_ctime_ns`` and inode are those seen when it was read (``fstat`` of the open file, taken
  before reading, so a write during the read changes the signature). ``ctime`` cannot be set
  back by ``touch``/``os.utime``, so a same-size edit with its mtime restored is still seen.
* **Racy entries.** Timestamps are coarse (a kernel tick; 2 s on FAT), so a file written again
  within the same tick as the read keeps its signature. A value whose file changed (mtime or
  ctime) less than :data:`RACY_WINDOW_NS` before the value was stored is not trusted: the file is
  read again next time, and cached for good once it has been quiet for that long. (The file
  times are compared with this machine's clock: a file server whose clock runs more than the
  window behind it weakens this rule; one ahead of it only costs re-reads.)
* **Scope.** One SQLite file per crawler under the crawl's ``cache_dir``, for one crawled folder
  (``root``) and one ``namespace``: another folder or another crawler version starts it afresh.
  :meth:`StatCache.retain` drops the entries of files the walk no longer found, so it holds only
  what the folder holds.

Crash safety: entries are written in SQLite transactions (committed every
:data:`COMMIT_EVERY` entries and on close), and an entry's signature predates its read, so a
killed crawl leaves only entries that match their files or that the next crawl re-reads. A cache
that cannot be read (not SQLite, malformed) is logged, deleted and rebuilt; one that cannot be
written (locked, disk full, read-only) is logged and the crawl goes on reading the files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import sys
import time
import types
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple

logger = logging.getLogger(__name__)

#: Bumped when the table layout changes.
SCHEMA = 1

#: A value whose file changed less than this long before it was stored is read again.
RACY_WINDOW_NS = 2_000_000_000

#: Entries written per transaction.
COMMIT_EVERY = 2000


class _Miss:
    def __repr__(self) -> str:
        return "MISS"


#: What :meth:`StatCache.get` returns when the file must be read.
MISS: Any = _Miss()

Signature = tuple[int, int, int, int]


def signature(stat: os.stat_result | FileStat) -> Signature:
    """What must not change for a cached value to stay valid."""
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


class FileStat(NamedTuple):
    """The part of an ``os.stat_result`` the cache compares, for a crawler that keeps the stat
    of every file it found until it reads them: a fraction of the size of the whole result."""

    st_size: int
    st_mtime_ns: int
    st_ctime_ns: int
    st_ino: int

    @classmethod
    def of(cls, stat: os.stat_result) -> FileStat:
        return cls(*signature(stat))


class StatCache:
    """``StatCache(cache_dir / "local.sqlite3", root=folder, namespace="...")``, used as a
    context manager; ``path=None`` gives a cache that stores nothing."""

    def __init__(self, path: Path | None, *, root: str, namespace: str) -> None:
        self.path = path
        self.root = root
        self.namespace = namespace
        self.hits = 0
        self.misses = 0
        self._conn: sqlite3.Connection | None = None
        self._pending: list[tuple[Any, ...]] = []
        self._empty = False  # nothing stored yet: no need to look anything up
        if path is not None:
            self._open()

    # -- lifecycle ------------------------------------------------------------------------------

    def _open(self) -> None:
        assert self.path is not None
        for attempt in (1, 2):
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._conn = self._connect()
                return
            except sqlite3.OperationalError as exc:
                self._disable(f"cannot open ({exc})")
                return
            except sqlite3.DatabaseError as exc:
                self._discard(f"unreadable ({exc})")
                if attempt == 2:
                    self._disable("cannot be rebuilt")
            except OSError as exc:
                self._disable(f"cannot open ({exc})")
                return

    def _connect(self) -> sqlite3.Connection:
        assert self.path is not None
        conn = sqlite3.connect(str(self.path), timeout=5, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS files (key TEXT PRIMARY KEY, size INTEGER,"
                " mtime INTEGER, ctime INTEGER, ino INTEGER, stored INTEGER, value TEXT)"
            )
            wanted = {"schema": str(SCHEMA), "root": self.root, "namespace": self.namespace}
            found = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            self._empty = (
                found != wanted or not conn.execute("SELECT 1 FROM files LIMIT 1").fetchone()
            )
            if found != wanted:
                if found:
                    logger.info("%s: made for another folder or version; started afresh", self.path)
                conn.execute("DELETE FROM files")
                conn.execute("DELETE FROM meta")
                conn.executemany("INSERT INTO meta VALUES (?, ?)", sorted(wanted.items()))
                conn.commit()
        except BaseException:
            conn.close()
            raise
        return conn

    def _discard(self, why: str) -> None:
        """Log, close and delete a cache that cannot be read; the next open rebuilds it."""
        assert self.path is not None
        logger.warning("%s: crawl cache %s; rebuilding it", self.path, why)
        self._close_quietly()
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            except OSError as exc:
                logger.warning("%s%s: cannot delete (%s)", self.path, suffix, exc)

    def _disable(self, why: str) -> None:
        logger.warning("%s: crawl cache %s; reading every file this time", self.path, why)
        self._close_quietly()
        self.path = None

    def _close_quietly(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None

    def _failed(self, exc: sqlite3.Error) -> None:
        """An error in use: a broken file is deleted and started afresh, else caching stops."""
        if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
            self._discard(f"unreadable ({exc})")
            self._open()
        else:
            self._disable(f"failed ({exc})")

    def _flush(self) -> None:
        """Write the pending entries in one transaction."""
        if self._conn is None or not self._pending:
            return
        rows, self._pending = self._pending, []
        try:
            with self._conn:
                self._conn.executemany(
                    "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?)", rows
                )
        except sqlite3.Error as exc:
            self._failed(exc)

    def close(self) -> None:
        """Write what was stored and close the file."""
        self._flush()
        self._close_quietly()

    def __enter__(self) -> StatCache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- entries --------------------------------------------------------------------------------

    @property
    def keeps_entries(self) -> bool:
        """Whether :meth:`retain` can drop anything: the cache is open and holds entries from
        an earlier crawl (a crawler need not collect the keys it found otherwise)."""
        return self._conn is not None and not self._empty

    def get(self, key: str, stat: os.stat_result | FileStat | None) -> Any:
        """The value stored for ``key`` if ``stat`` still matches and is not racy, else MISS."""
        if self._conn is None or stat is None or self._empty:
            self.misses += 1
            return MISS
        size, mtime, ctime, ino = signature(stat)
        try:
            row = self._conn.execute(
                "SELECT value FROM files WHERE key = ? AND size = ? AND mtime = ? AND ctime = ?"
                " AND ino = ? AND stored > ?",
                (key, size, mtime, ctime, ino, max(mtime, ctime) + RACY_WINDOW_NS),
            ).fetchone()
        except sqlite3.Error as exc:
            self._failed(exc)
            row = None
        if row is not None:
            try:
                value = json.loads(row[0])
            except (TypeError, ValueError, RecursionError):
                logger.warning("%s: unreadable crawl cache entry %s ignored", self.path, key)
            else:
                self.hits += 1
                return value
        self.misses += 1
        return MISS

    def put(self, key: str, stat: os.stat_result, value: Any) -> None:
        """Store ``value`` as read from the file whose ``fstat`` (taken before reading) is
        ``stat``."""
        if self._conn is None:
            return
        try:
            text = json.dumps(value)
        except (TypeError, ValueError, RecursionError):
            return
        self._pending.append((key, *signature(stat), time.time_ns(), text))
        if len(self._pending) >= COMMIT_EVERY:
            self._flush()

    def retain(self, keys: Iterable[str]) -> None:
        """Drop every entry whose key is not in ``keys`` (the files the walk found)."""
        if self._conn is None or self._empty:
            return
        keep = keys if isinstance(keys, set | frozenset) else set(keys)
        try:
            gone = [(k,) for (k,) in self._conn.execute("SELECT key FROM files") if k not in keep]
            if gone:
                with self._conn:
                    self._conn.executemany("DELETE FROM files WHERE key = ?", gone)
        except sqlite3.Error as exc:
            self._failed(exc)


def code_fingerprint(*functions: Callable[..., Any]) -> str:
    """A short digest of the functions' bytecode, for a cache ``namespace``: a change to how
    values are derived from files then starts the cache afresh instead of serving old values.
    (It covers the functions given, not what they call; a version number covers the rest.)"""
    digest = hashlib.sha256(sys.version.encode())
    for function in functions:
        _digest_code(digest, function.__code__)
    return digest.hexdigest()[:16]


def _digest_code(digest: Any, code: types.CodeType) -> None:
    digest.update(code.co_code)
    digest.update(repr(code.co_names).encode())
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _digest_code(digest, const)
        else:
            digest.update(repr(const).encode())


def read_head(path: str | os.PathLike[str], limit: int) -> tuple[bytes, os.stat_result]:
    """The first ``limit`` bytes of a file and its ``fstat``, taken before reading (what
    :meth:`StatCache.put` wants). ``OSError`` when the file cannot be read."""
    with open(path, "rb") as handle:
        stat = os.fstat(handle.fileno())
        return handle.read(limit), stat
