"""Read-only snapshots of the store, so readers never wait for (or see half of) a build.

Oxigraph's on-disk store is RocksDB: the process that writes holds its lock, and opening the
same folder read-only while it writes is undefined behaviour. So readers (the SPARQL server's
worker processes) never open the live store. After each consistent state — the end of a load
run, or one SPARQL Update — the writer calls :func:`publish_snapshot`, which makes a RocksDB
checkpoint (``pyoxigraph.Store.backup``: hard links to the immutable table files, so it is
cheap in time and disk) and then atomically switches the ``CURRENT`` pointer to it::

    DATA_DIR/snapshots/
        CURRENT            "000042\\n", replaced with os.replace (atomic)
        000042/store/      the checkpoint, opened with pyoxigraph.Store.read_only
        000042/store.json  the store's metadata (base IRI), so EmbeddedStore can open it too
        000042/lease       readers hold a shared flock(2) on it while they use the snapshot

A snapshot other than the current one is deleted as soon as no reader holds its lease (the
publisher tries an exclusive non-blocking lock). The kernel drops a dead reader's lock, so a
crashed worker never pins a snapshot.

>>> import tempfile, pyoxigraph
>>> from mlkg.config import resolve_settings
>>> settings = resolve_settings(environ={}, data_dir=tempfile.mkdtemp())
>>> live = pyoxigraph.Store(str(settings.store_path))
>>> live.update("INSERT DATA { <http://e/s> <http://e/p> 1 }")
>>> first = publish_snapshot(settings, live)
>>> current_snapshot(settings) == first
True
>>> with SnapshotLease.acquire(settings) as lease:
...     len(pyoxigraph.Store.read_only(str(lease.store_path)))
1
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import Store

from mlkg.config import Settings
from mlkg.errors import StoreError
from mlkg.store import EmbeddedStore

logger = logging.getLogger(__name__)

SNAPSHOTS_DIR = "snapshots"
CURRENT_FILE = "CURRENT"
LEASE_FILE = "lease"
_PUBLISH_LOCK = ".publish.lock"
#: Tries to take a lease while publishers keep switching snapshots under us.
_LEASE_ATTEMPTS = 20


def snapshots_dir(settings: Settings) -> Path:
    return settings.data_dir / SNAPSHOTS_DIR


def _checkpoint(store: EmbeddedStore | Store, target: Path) -> None:
    """Write a checkpoint of an :class:`~mlkg.store.EmbeddedStore` or a bare pyoxigraph Store."""
    store.backup(target) if isinstance(store, EmbeddedStore) else store.backup(str(target))


def current_sequence(settings: Settings) -> int | None:
    """The sequence number CURRENT points at, or None when nothing was published yet."""
    try:
        text = (snapshots_dir(settings) / CURRENT_FILE).read_text().strip()
    except FileNotFoundError:
        return None
    return int(text) if text.isdigit() else None


def current_snapshot(settings: Settings) -> Path | None:
    """The folder of the current snapshot (holding ``store/``), or None if there is none."""
    sequence = current_sequence(settings)
    return None if sequence is None else snapshots_dir(settings) / _name(sequence)


def _name(sequence: int) -> str:
    return f"{sequence:06d}"


def _sequences(root: Path) -> list[int]:
    return sorted(int(p.name) for p in root.iterdir() if p.name.isdigit() and p.is_dir())


def publish_snapshot(settings: Settings, store: EmbeddedStore | Store | object) -> Path | None:
    """Checkpoint ``store`` into a new snapshot, make it current, and delete unused old ones.

    An external store (:class:`mlkg.remote_store.RemoteStore`) has no local checkpoint: readers
    query it directly (``mlkg serve`` proxies to it), so nothing is published and the result is
    None.

    Readers that hold a lease on an older snapshot keep reading it until they switch; new
    readers see the new one. Only the writer of the store calls this (it owns the store), and a
    lock file serialises publishers anyway.

    Args:
        settings: where the data directory is.
        store: the live store, an :class:`mlkg.store.EmbeddedStore` or a pyoxigraph ``Store``
            opened read-write (a checkpoint flushes its memtable first, so it holds every
            committed write).

    Returns:
        The new snapshot's folder; None for an external store.

    Raises:
        StoreError: the checkpoint could not be written (disk full, permissions).
    """
    if not isinstance(store, EmbeddedStore | Store):
        return None
    root = snapshots_dir(settings)
    root.mkdir(parents=True, exist_ok=True)
    with _exclusive(root / _PUBLISH_LOCK):
        for stray in root.glob(".building-*"):  # left by a publisher that crashed
            shutil.rmtree(stray, ignore_errors=True)
        existing = _sequences(root)
        sequence = (max(existing) + 1) if existing else 1
        building = root / f".building-{_name(sequence)}"
        building.mkdir()
        started = time.perf_counter()
        try:
            _checkpoint(store, building / "store")
        except OSError as exc:
            shutil.rmtree(building, ignore_errors=True)
            raise StoreError(f"cannot write a snapshot of the store in {root}: {exc}") from exc
        meta = settings.data_dir / "store.json"
        if meta.exists():
            shutil.copyfile(meta, building / "store.json")
        (building / LEASE_FILE).touch()
        target = root / _name(sequence)
        os.rename(building, target)
        _write_atomically(root / CURRENT_FILE, f"{_name(sequence)}\n")
        logger.info(
            "published snapshot %s in %.3fs", _name(sequence), time.perf_counter() - started
        )
        remove_unused_snapshots(settings)
    return target


def remove_unused_snapshots(settings: Settings) -> list[int]:
    """Delete the snapshots older than the current one that no reader holds a lease on.

    Only older ones: a newer one may be about to become current. Called by publishers and by
    readers when they let go of a snapshot.
    """
    root = snapshots_dir(settings)
    current = current_sequence(settings)
    removed: list[int] = []
    if current is None or not root.is_dir():
        return removed
    for sequence in _sequences(root):
        if sequence >= current:
            continue
        folder = root / _name(sequence)
        try:
            handle = os.open(folder / LEASE_FILE, os.O_RDONLY)
        except FileNotFoundError:
            handle = None
        try:
            if handle is not None:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a reader still uses it; a later publish retries
            # Renamed while we hold the lock, so a reader who locks after us sees it is gone.
            trash = root / f".trash-{_name(sequence)}-{os.getpid()}"
            try:
                os.rename(folder, trash)
            except FileNotFoundError:
                continue  # another publisher removed it first
        finally:
            if handle is not None:
                os.close(handle)
        shutil.rmtree(trash, ignore_errors=True)
        removed.append(sequence)
    return removed


@dataclass
class SnapshotLease:
    """A reader's hold on one snapshot: it will not be deleted until :meth:`release`."""

    sequence: int
    path: Path
    _handle: int | None

    @property
    def store_path(self) -> Path:
        return self.path / "store"

    @classmethod
    def acquire(cls, settings: Settings) -> SnapshotLease:
        """Lease the current snapshot.

        Raises:
            StoreError: nothing was published yet (no build finished), or publishers kept
                replacing the snapshot faster than we could lease it.
        """
        root = snapshots_dir(settings)
        for _ in range(_LEASE_ATTEMPTS):
            sequence = current_sequence(settings)
            if sequence is None:
                raise StoreError(
                    f"no snapshot of the store in {root} yet: run `mlkg build` (a running "
                    "build publishes one when it finishes)"
                )
            lease = cls._try(root / _name(sequence), sequence)
            if lease is not None:
                return lease
        raise StoreError(f"could not lease a snapshot in {root}: it changed too often")

    @classmethod
    def _try(cls, folder: Path, sequence: int) -> SnapshotLease | None:
        lease_path = folder / LEASE_FILE
        try:
            handle = os.open(lease_path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        fcntl.flock(handle, fcntl.LOCK_SH)
        try:
            still_there = os.stat(lease_path).st_ino == os.fstat(handle).st_ino
        except FileNotFoundError:
            still_there = False
        if not still_there:  # removed between our read of CURRENT and our lock
            os.close(handle)
            return None
        return cls(sequence, folder, handle)

    def release(self) -> None:
        if self._handle is not None:
            os.close(self._handle)  # closing the descriptor drops the flock
            self._handle = None

    def __enter__(self) -> SnapshotLease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    with contextlib.suppress(OSError):  # make the rename durable where the platform allows
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


@contextlib.contextmanager
def _exclusive(path: Path):
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


def ensure_snapshot(settings: Settings) -> Path | None:
    """Publish a first snapshot when there is none (a store built before snapshots existed, or
    an empty data directory, which gets an empty store). Returns the current snapshot, or None
    when a build holds the store (it publishes one when it finishes) or the store is external."""
    if settings.remote:
        return None  # an external store is queried directly, never through snapshots
    existing = current_snapshot(settings)
    if existing is not None:
        return existing
    from mlkg.store import open_store

    try:
        with open_store(settings.data_dir, base_iri=settings.base_iri) as store:
            return publish_snapshot(settings, store)
    except StoreError as exc:
        logger.warning("no snapshot to serve yet: %s", exc)
        return None
