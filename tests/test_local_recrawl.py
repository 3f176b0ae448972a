"""Re-crawling a local zoo folder reads only what changed (crawlers/_stat_cache.py).

Real files in tmp_path (a generated zoo plus hand-made odd files), the real crawlers and a real
SQLite cache. "Opens no file" is checked by recording every ``open`` of a path below the zoo
(``builtins.open`` and ``io.open``, which pathlib uses), and every test compares the records with
a fresh crawl that has no cache at all.
"""

from __future__ import annotations

import builtins
import io
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crawlers import _stat_cache
from crawlers.huggingface import SOURCE as HF
from crawlers.huggingface._local import CACHE_FILE
from crawlers.tfhub import SOURCE as TFHUB
from mlkg.config import resolve_settings
from mlkg.generate import generate_zoo
from mlkg.pipeline import build
from mlkg.sample_zoo import SAMPLE_DIR
from tests.conftest import REPO
from tests.test_pipeline import dataset, knowledge

HOUR_AGO = 3600


@pytest.fixture
def quiet_files(monkeypatch):
    """Files count as settled as soon as they are cached (the racy window is tested alone):
    files written by a test are seconds old, and their ctime cannot be set back."""
    monkeypatch.setattr(_stat_cache, "RACY_WINDOW_NS", 0)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    zoo = tmp_path_factory.mktemp("gen") / "zoo"
    generate_zoo(zoo, models=60, seed=7, workers=1)
    return zoo


@pytest.fixture
def hf(generated, tmp_path) -> Path:
    """A writable Hugging Face folder: the generated one plus every other layout the local
    crawler reads (eval results, a flat card, odd JSON files)."""
    folder = tmp_path / "hf"
    shutil.copytree(generated / "huggingface", folder)
    repo = folder / "extra" / "acme" / "evalmodel"
    (repo / ".eval_results").mkdir(parents=True)
    (repo / "README.md").write_text("---\nlicense: mit\n---\n# evalmodel\n")
    (repo / ".eval_results" / "gpqa.yaml").write_text("- task: gpqa\n  value: 0.5\n")
    (repo / "config.json").write_text('{"model_type": "bert", "x": NaN}')
    (folder / "cards").mkdir()
    (folder / "cards" / "acme_flat-model_README.md").write_bytes(b"# flat \xff card\n")
    (folder / "cards" / "acme_binary_README.md").write_bytes(b"\x89PNG\x00\x00")
    (folder / "broken.json").write_text("{not json")
    (folder / "index.json").write_text("[1, 2, 3]")
    (folder / "acme").mkdir()
    (folder / "acme" / "api-only.json").write_text('{"downloads": 3}')
    return folder


def crawl(folder: Path, cache: Path | None, **options) -> dict[str, tuple]:
    """{id: (data, location)} of a Hugging Face crawl, ``cache=None`` meaning a fresh read."""
    cache_dir = cache if cache is not None else folder.parent / "no-cache"
    shutil.rmtree(folder.parent / "no-cache", ignore_errors=True)
    records = list(HF.crawl(str(folder), cache_dir=cache_dir, **options))
    assert all(r.fetched_at and r.source == "huggingface" for r in records)
    return {r.id: (r.data, r.location) for r in records}


@pytest.fixture
def opened(monkeypatch):
    """The files opened through Python while the test runs, as resolved paths."""
    seen: list[Path] = []
    real_open = builtins.open

    def spy(file, *args, **kwargs):
        if isinstance(file, str | bytes | os.PathLike):
            seen.append(Path(os.fsdecode(file)).resolve())
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy)
    monkeypatch.setattr(io, "open", spy)
    return seen


def below(paths: list[Path], folder: Path) -> set[Path]:
    root = folder.resolve()
    return {p for p in paths if p.is_relative_to(root)}


def age(folder: Path, seconds: int = HOUR_AGO) -> None:
    """Set every file's mtime back (as if the zoo was written long ago)."""
    for path in folder.rglob("*"):
        if path.is_file():
            stat = path.stat()
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - seconds * 10**9))


# -- an unchanged folder ---------------------------------------------------------------------------


def test_an_unchanged_folder_is_served_from_the_cache_without_opening_a_file(
    hf, tmp_path, opened, quiet_files
):
    cache = tmp_path / "cache"
    first = crawl(hf, cache, kind="all")
    assert below(opened, hf), "the first crawl reads the folder"
    assert (cache / CACHE_FILE).is_file()
    opened.clear()
    again = crawl(hf, cache, kind="all")
    assert below(opened, hf) == set()
    fresh = crawl(hf, None, kind="all")
    assert again == first == fresh
    # Every layout is in there, odd files included, so each kind of cached value was served.
    assert {"models/acme/evalmodel", "models/acme/flat-model", "models/acme/binary"} <= set(again)
    evalmodel = again["models/acme/evalmodel"][0]
    assert evalmodel["eval_results"] == {".eval_results/gpqa.yaml": "- task: gpqa\n  value: 0.5\n"}
    assert evalmodel["config"] == {"model_type": "bert", "x": "NaN"}
    assert again["models/acme/flat-model"][0]["flags"] == ["invalid-utf8"]
    assert again["models/acme/binary"][0]["flags"] == ["binary"]
    assert again["models/acme/api-only"][0]["info"] == {"downloads": 3}
    assert sum(1 for rid in again if rid.startswith("datasets/")) > 0


def test_filters_skip_and_limit_work_on_the_cached_folder(hf, tmp_path, quiet_files):
    cache = tmp_path / "cache"
    everything = crawl(hf, cache, kind="all")
    models = sorted(rid for rid in everything if rid.startswith("models/"))
    limited = list(
        HF.crawl(str(hf), cache_dir=cache, kind="models", skip=frozenset(models[:3]), limit=4)
    )
    assert [r.id for r in limited] == models[3:7]
    assert all(r.data == everything[r.id][0] for r in limited)
    # The filtered crawl kept the other entries: a full crawl still opens nothing.
    assert crawl(hf, cache, kind="all") == everything


def test_fresh_files_are_read_again_until_they_are_older_than_the_racy_window(hf, tmp_path, opened):
    """A file changed within RACY_WINDOW_NS of being cached may have changed again within the
    same timestamp tick; it is not trusted (git's racy-clean rule)."""
    cache = tmp_path / "cache"
    first = crawl(hf, cache)
    read_first = below(opened, hf)
    opened.clear()
    # Files written seconds ago, including their ctime: nothing is trusted yet.
    assert crawl(hf, cache) == first
    assert below(opened, hf) == read_first


# -- changes ---------------------------------------------------------------------------------------


def test_an_edited_card_changes_that_record_only(hf, tmp_path, opened, quiet_files):
    cache = tmp_path / "cache"
    age(hf)
    before = crawl(hf, cache)
    card = sorted(hf.glob("models/*/*/*/README.md"))[0]
    rid = "models/" + "/".join(card.parent.parts[-2:])
    assert before[rid][0]["card"] == card.read_text()
    card.write_text(card.read_text() + "\nEdited.\n")
    opened.clear()
    after = crawl(hf, cache)
    assert below(opened, hf) == {card.resolve()}
    assert after[rid][0]["card"].endswith("\nEdited.\n")
    assert {k: v for k, v in after.items() if k != rid} == {
        k: v for k, v in before.items() if k != rid
    }
    assert after == crawl(hf, None)


def test_an_edited_api_response_changes_that_record_only(hf, tmp_path, opened, quiet_files):
    cache = tmp_path / "cache"
    age(hf)
    before = crawl(hf, cache)
    response = sorted(hf.glob("models/*/*/*.json"))[0]
    info = json.loads(response.read_text())
    rid = f"models/{info['id']}"
    response.write_text(json.dumps({**info, "downloads": info.get("downloads", 0) + 1}))
    opened.clear()
    after = crawl(hf, cache)
    assert below(opened, hf) == {response.resolve()}
    assert after[rid][0]["info"]["downloads"] == info.get("downloads", 0) + 1
    assert after[rid][0]["card"] == before[rid][0]["card"]
    assert {k: v for k, v in after.items() if k != rid} == {
        k: v for k, v in before.items() if k != rid
    }
    assert after == crawl(hf, None)


def test_a_same_size_edit_with_its_mtime_put_back_is_still_seen(hf, tmp_path, quiet_files):
    """``touch -r``/``os.utime`` can restore an mtime but not a ctime."""
    cache = tmp_path / "cache"
    age(hf)
    before = crawl(hf, cache)
    card = hf / "extra" / "acme" / "evalmodel" / "README.md"
    stat = card.stat()
    card.write_text(card.read_text().replace("mit", "MIT"))
    os.utime(card, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    edited = card.stat()
    assert (edited.st_size, edited.st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    # The crawl took more than one timestamp tick (an edit within the tick of the read is the
    # racy window's job, switched off here).
    assert edited.st_ctime_ns != stat.st_ctime_ns
    after = crawl(hf, cache)
    assert "license: MIT" in after["models/acme/evalmodel"][0]["card"]
    assert "license: mit" in before["models/acme/evalmodel"][0]["card"]


def test_a_removed_folder_disappears_and_its_entries_are_dropped(hf, tmp_path, quiet_files):
    cache = tmp_path / "cache"
    before = crawl(hf, cache)
    card = sorted(hf.glob("models/*/*/*/README.md"))[0]
    rid = "models/" + "/".join(card.parent.parts[-2:])
    shutil.rmtree(card.parent)
    card.parent.with_name(card.parent.name + ".json").unlink()
    shutil.rmtree(hf / "extra")
    after = crawl(hf, cache)
    assert set(before) - set(after) == {rid, "models/acme/evalmodel"}
    assert after == crawl(hf, None)
    with sqlite3.connect(cache / CACHE_FILE) as db:
        keys = {key for (key,) in db.execute("SELECT key FROM files")}
    gone = card.parent.relative_to(hf).as_posix()
    assert keys and not any(gone in key or "extra/" in key for key in keys)


def test_another_folder_does_not_use_the_first_folders_entries(hf, tmp_path, quiet_files):
    cache = tmp_path / "cache"
    crawl(hf, cache)
    other = tmp_path / "other"
    shutil.copytree(hf, other)
    card = other / "extra" / "acme" / "evalmodel" / "README.md"
    card.write_text("# another card\n")
    assert crawl(other, cache)["models/acme/evalmodel"][0]["card"] == "# another card\n"
    assert crawl(other, cache) == crawl(other, None)


# -- a damaged cache and a killed crawl ------------------------------------------------------------


def _garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database\n" * 500)


def _malformed(path: Path) -> None:
    """A real SQLite header with junk pages after it."""
    data = bytearray(path.read_bytes())
    data[4096:] = b"\xa5" * (len(data) - 4096)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_garbage, _malformed], ids=["not-sqlite", "malformed"])
def test_a_damaged_cache_is_ignored_and_rebuilt(hf, tmp_path, caplog, opened, quiet_files, damage):
    cache = tmp_path / "cache"
    age(hf)
    first = crawl(hf, cache)
    assert (cache / CACHE_FILE).stat().st_size > 8192
    damage(cache / CACHE_FILE)
    with caplog.at_level(logging.WARNING, logger="crawlers._stat_cache"):
        assert crawl(hf, cache) == first
    assert any("rebuilding" in r.getMessage() for r in caplog.records)
    opened.clear()
    assert crawl(hf, cache) == first
    assert below(opened, hf) == set(), "the rebuilt cache serves the next crawl"


KILLED_CRAWL = """
import os, sys
from pathlib import Path
from crawlers import _stat_cache
from crawlers.huggingface import SOURCE
_stat_cache.RACY_WINDOW_NS = 0
_stat_cache.COMMIT_EVERY = 3
folder, cache = sys.argv[1], Path(sys.argv[2])
for n, record in enumerate(SOURCE.crawl(folder, cache_dir=cache), 1):
    if n == 25:
        os._exit(9)  # no cleanup, no last commit: what a kill leaves
"""


def test_a_killed_crawl_leaves_a_cache_that_gives_the_right_records(hf, tmp_path, quiet_files):
    cache = tmp_path / "cache"
    age(hf)
    result = subprocess.run(
        [sys.executable, "-c", KILLED_CRAWL, str(hf), str(cache)], cwd=REPO, check=False
    )
    assert result.returncode == 9
    with sqlite3.connect(cache / CACHE_FILE) as db:
        (stored,) = db.execute("SELECT count(*) FROM files").fetchone()
    assert stored > 0, "some batches were committed before the kill"
    # One file of a cached record changes after the kill: it is read again.
    response = sorted(hf.glob("models/*/*/*.json"))[0]
    info = json.loads(response.read_text())
    response.write_text(json.dumps({**info, "likes": 123456}))
    after = crawl(hf, cache)
    assert after == crawl(hf, None)
    assert after[f"models/{info['id']}"][0]["info"]["likes"] == 123456


# -- TF Hub ----------------------------------------------------------------------------------------


def test_a_tfhub_checkout_is_re_read_only_where_it_changed(tmp_path, opened, quiet_files):
    checkout = tmp_path / "tfhub"
    shutil.copytree(SAMPLE_DIR / "tfhub", checkout)
    age(checkout)
    cache = tmp_path / "cache"

    def records(cache_dir: Path) -> dict[str, tuple]:
        found = TFHUB.crawl(str(checkout), cache_dir=cache_dir)
        return {r.id: (r.data, r.location) for r in found}

    first = records(cache)
    opened.clear()
    assert records(cache) == first
    assert below(opened, checkout) == set()
    page = sorted((checkout / "assets" / "docs").rglob("*.md"))[0]
    page.write_text(page.read_text() + "\nMore text.\n")
    opened.clear()
    after = records(cache)
    assert below(opened, checkout) == {page.resolve()}
    assert after == records(tmp_path / "empty")
    assert sum(after[k] != first[k] for k in first) == 1


# -- the pipeline end to end -----------------------------------------------------------------------


def test_a_refresh_build_from_the_cache_equals_a_build_from_scratch(tmp_path, opened, quiet_files):
    zoo = tmp_path / "zoo"
    generate_zoo(zoo, models=80, seed=12, workers=1)
    age(zoo)
    folder = str(zoo / "huggingface")
    incremental = resolve_settings(environ={}, data_dir=tmp_path / "incremental")
    first = build(incremental, "huggingface", location=folder)
    assert first.added > 0

    generate_zoo(zoo, models=80, seed=12, workers=1, refresh=0.05, revision=1)
    changed = json.loads((zoo / "refresh-1.json").read_text())["ids"]
    assert changed
    opened.clear()
    refresh = build(incremental, "huggingface", location=folder)
    read = below(opened, zoo)
    assert len(read) == len(changed)
    assert all(path.suffix == ".json" for path in read), "only the rewritten API responses"
    assert refresh.replaced == len(changed)
    assert refresh.unchanged == first.crawled - len(changed)

    scratch = resolve_settings(environ={}, data_dir=tmp_path / "scratch")
    shutil.rmtree(tmp_path / "scratch", ignore_errors=True)
    build(scratch, "huggingface", location=folder)
    assert knowledge(dataset(incremental)) == knowledge(dataset(scratch))
