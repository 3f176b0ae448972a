"""The crawl stage and its on-disk output: raw records as JSON Lines, resumable.

``crawl`` appends raw records to ``raw/<source>.partial.jsonl`` as they arrive (flushed per
record) and renames it to ``raw/<source>.jsonl`` when the crawl completes. A killed crawl resumes:
the ids already written are passed to the crawler as ``skip``, a line the kill cut short is
dropped. ``raw/<source>.crawl.json`` says what the file holds (location, limit, completeness).
"""

from __future__ import annotations

import inspect
import json
import logging
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from crawlers import Source
from mlkg.config import Settings
from mlkg.errors import ConfigurationError
from mlkg.progress import progress
from mlkg.provenance import now_iso
from mlkg.records import RawRecord, content_hash
from mlkg.report import BuildReport, timed

logger = logging.getLogger(__name__)


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
    options: Mapping[str, str] | None = None,
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
    options = dict(options or {})
    check_options(source, options)
    wanted = {
        "location": location,
        "limit": limit,
        "crawler": source.version,
        "options": redact(options),
    }
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
            location, cache_dir=cache_dir, skip=frozenset(done_ids), limit=remaining, **options
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
    """Whether the raw file holds a whole crawl (no ``--limit``, no filter options): only then
    are deletions safe."""
    meta_path = _crawl_meta_path(settings, source)
    if not meta_path.exists():
        return False
    meta = json.loads(meta_path.read_text())
    return bool(meta.get("complete")) and meta.get("limit") is None and not meta.get("options")


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


def check_options(source: Source, options: Mapping[str, str]) -> None:
    """Refuse options the source's crawler does not take, naming the ones it does."""
    parameters = inspect.signature(source.crawl).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return
    known = sorted(
        name
        for name, p in parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and name not in {"cache_dir", "skip", "limit"}
    )
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ConfigurationError(
            f"{source.name} takes no option {', '.join(unknown)}; "
            + (f"its options: {', '.join(known)}" if known else "it takes no options")
        )


#: Option names whose values are secrets: kept out of raw/<source>.crawl.json.
SECRET_OPTIONS = frozenset({"token", "password", "api_key"})


def redact(options: Mapping[str, str]) -> dict[str, str]:
    """Options as written to the crawl's metadata: secrets replaced by a digest, so a resumed
    crawl still recognises the same settings without the secret ever reaching the disk.

    >>> redact({"author": "google", "token": "hf_abc"})["token"].startswith("sha256:")
    True
    """
    return {
        key: content_hash(value) if key in SECRET_OPTIONS else value
        for key, value in options.items()
    }
