"""A zoo that lives in a Git repository: a local checkout, or its archive over HTTPS.

TF Hub's catalogue (``tensorflow/tfhub.dev``) and PyTorch Hub's pages (``pytorch/hub``) are both
markdown in a GitHub repository. :func:`open_repository` turns ``--from`` (a folder, a ``.tar.gz`` /
``.zip`` file, or an archive URL such as
``https://codeload.github.com/tensorflow/tfhub.dev/tar.gz/refs/heads/master``) into a local folder.

Downloads are cached under ``cache_dir`` by URL with their ``ETag``; a re-crawl sends
``If-None-Match`` and reuses the extracted tree on ``304 Not Modified``. Extraction refuses
members that would escape the target (absolute paths, ``..``, links) and stops past
:data:`MAX_ARCHIVE_BYTES`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tarfile
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

import requests

from mlkg.errors import FetchError, SourceNotFoundError
from mlkg.http import new_session, request

logger = logging.getLogger(__name__)

MAX_ARCHIVE_BYTES = 2 * 1024**3
_CHUNK = 1 << 20


def is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def open_repository(location: str, *, cache_dir: Path, source: str = "") -> Path:
    """A local folder holding the repository's files (the archive's single top folder stripped)."""
    if is_url(location):
        return _download(location, cache_dir=cache_dir, source=source)
    path = Path(location).expanduser()
    if path.is_dir():
        return path
    if path.is_file():
        target = cache_dir / "archives" / _key(str(path.resolve()) + str(path.stat().st_mtime_ns))
        if not (target / ".complete").exists():
            _extract(path, target)
        return _single_top(target)
    raise SourceNotFoundError(location, source=source or None)


def _key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _download(url: str, *, cache_dir: Path, source: str) -> Path:
    target = cache_dir / "archives" / _key(url)
    meta_path = target.with_suffix(".json")
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    headers = {}
    if (target / ".complete").exists() and meta.get("etag"):
        headers["If-None-Match"] = meta["etag"]
    session = new_session()
    with request(session, "GET", url, headers=headers, stream=True) as response:
        if response.status_code == 304:
            logger.info("%s not modified; using the cached copy", url)
            return _single_top(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            dir=target.parent, suffix=_suffix(url, response), delete=False
        ) as handle:
            archive = Path(handle.name)
            try:
                _save(response, handle, url)
            except BaseException:
                handle.close()
                archive.unlink(missing_ok=True)
                raise
        etag = response.headers.get("ETag")
    try:
        _extract(archive, target)
    finally:
        archive.unlink(missing_ok=True)
    meta_path.write_text(json.dumps({"url": url, "etag": etag}))
    return _single_top(target)


def _save(response, handle, url: str) -> None:
    """Stream the body into ``handle``; a broken transfer or an oversized body is a FetchError."""
    size = 0
    try:
        for chunk in response.iter_content(_CHUNK):
            size += len(chunk)
            if size > MAX_ARCHIVE_BYTES:
                raise FetchError(f"{url}: archive larger than {MAX_ARCHIVE_BYTES} bytes", url=url)
            handle.write(chunk)
    except requests.RequestException as exc:
        raise FetchError(
            f"{url}: download broken after {size} bytes ({exc.__class__.__name__})", url=url
        ) from exc


def _suffix(url: str, response) -> str:
    kind = response.headers.get("Content-Type", "")
    if url.endswith(".zip") or ("zip" in kind and "gzip" not in kind):
        return ".zip"
    return ".tar.gz"


def _safe_member(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts


def _extract(archive: Path, target: Path) -> None:
    """Extract into a fresh ``target`` atomically (temp folder, then rename).

    Members that are not plain files or folders, or whose path escapes the target, are skipped.
    """
    # Stage beside the target: a staging folder in the system temp dir may sit on another
    # filesystem, where the final rename fails (EXDEV).
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent))
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zipped:
                members = []
                for info in zipped.infolist():
                    if _safe_member(info.filename):
                        members.append(info)
                    else:
                        logger.warning(
                            "%s: skipping unsafe archive member %r", archive, info.filename
                        )
                _check_size(archive, sum(info.file_size for info in members))
                for info in members:
                    zipped.extract(info, staging)
        else:
            try:
                with tarfile.open(archive) as tarred:
                    members = [
                        m
                        for m in tarred.getmembers()
                        if (m.isfile() or m.isdir()) and _safe_member(m.name)
                    ]
                    _check_size(archive, sum(m.size for m in members))
                    tarred.extractall(staging, members=members, filter="data")
            except tarfile.TarError as exc:
                raise FetchError(
                    f"{archive}: not a tar or zip archive ({exc})", url=str(archive)
                ) from exc
        (staging / ".complete").touch()
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _check_size(archive: Path, total: int) -> None:
    """Refuse to unpack more than :data:`MAX_ARCHIVE_BYTES` (an archive bomb)."""
    if total > MAX_ARCHIVE_BYTES:
        raise FetchError(
            f"{archive}: unpacks to {total} bytes, over the {MAX_ARCHIVE_BYTES}-byte limit",
            url=str(archive),
        )


def _single_top(folder: Path) -> Path:
    """GitHub archives wrap the tree in ``<repo>-<ref>/``; step into it when it is alone."""
    entries = [p for p in folder.iterdir() if p.name != ".complete"]
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else folder
