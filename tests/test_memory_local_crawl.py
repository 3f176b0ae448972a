"""What a local Hugging Face crawl keeps per repository between its walk and its records.

The walk of ``mlkg build huggingface --from FOLDER`` must see every file before it can yield the
records in id order, so what it keeps per repository is the build's memory per record (the parsed
API responses were most of it: 6.7 MB per 1,000 models). It keeps the responses as compressed
JSON text and the paths below the crawled folder; these tests check that the records made from
that are the ones the files give, read fresh or served by the re-crawl cache.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from crawlers import _stat_cache
from crawlers.huggingface import SOURCE as HF
from crawlers.huggingface._local import scan

#: An API response with what a JSON round trip could get wrong: key order, non-ASCII and
#: non-BMP text, an escaped lone surrogate, -0.0, an overflowing float (read as inf), a NaN
#: token (read as the string "NaN"), a big integer, nesting and nulls.
TRICKY = (
    '{"id": "acme/tricky", "zeta": 1, "alpha": [true, null, {"b": 2, "a": 1}],'
    ' "text": "caf\\u00e9 \u6a21\u578b \U0001f600 \\ud800", "neg_zero": -0.0, "huge": 1e999,'
    ' "nan": NaN, "big": 123456789012345678901234567890, "pi": 3.141592653589793,'
    ' "lastModified": "2024-05-01T00:00:00.000Z"}'
)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def as_read(text: str) -> str:
    """The response as the crawler parses it, spelled so that key order, -0.0 and inf show."""
    return json.dumps(json.loads(text, parse_constant=str))


@pytest.fixture
def folder(tmp_path) -> Path:
    root = tmp_path / "zoo"
    write(root / "api" / "tricky.json", TRICKY)
    # Three responses for one repository: merged key by key, newest lastModified last.
    write(root / "api" / "b-new.json", '{"id": "acme/merged", "sha": "new", "x": 1,'
          ' "lastModified": "2024-01-01T00:00:00.000Z"}')  # fmt: skip
    write(root / "api" / "a-old.json", '{"id": "acme/merged", "sha": "old", "y": 2,'
          ' "lastModified": "2020-01-01T00:00:00.000Z"}')  # fmt: skip
    write(root / "api" / "c-undated.json", '{"id": "acme/merged", "z": 3}')
    write(root / "acme" / "carded" / "README.md", "# carded\n")
    write(root / "acme" / "carded.json", '{"downloads": 7}')  # named by its path
    return root


def records(folder: str, cache_dir: Path) -> dict[str, tuple[dict, str]]:
    return {r.id: (r.data, r.location) for r in HF.crawl(folder, cache_dir=cache_dir)}


@pytest.mark.parametrize("served_from_cache", [False, True])
def test_api_responses_come_back_exactly_as_the_files_hold_them(
    folder, tmp_path, monkeypatch, served_from_cache
):
    cache_dir = tmp_path / "cache"
    if served_from_cache:
        monkeypatch.setattr(_stat_cache, "RACY_WINDOW_NS", 0)
        records(str(folder), cache_dir)  # fills the cache; the next crawl reads no response
    found = records(str(folder), cache_dir)
    tricky, location = found["models/acme/tricky"]
    assert json.dumps(tricky["info"]) == as_read(TRICKY)
    assert location == os.path.join(str(folder), "api", "tricky.json")
    merged, location = found["models/acme/merged"]
    assert merged["info"] == {
        "id": "acme/merged",
        "z": 3,
        "sha": "new",
        "y": 2,
        "lastModified": "2024-01-01T00:00:00.000Z",
        "x": 1,
    }
    assert list(merged["info"]) == ["id", "z", "sha", "y", "lastModified", "x"]
    assert location == os.path.join(str(folder), "api", "b-new.json")  # the newest response
    carded, location = found["models/acme/carded"]
    assert carded["info"] == {"downloads": 7} and carded["card"] == "# carded\n"
    assert location == os.path.join(str(folder), "acme", "carded", "README.md")


def test_locations_are_spelled_as_the_walk_found_the_files(folder, tmp_path, monkeypatch):
    monkeypatch.chdir(folder)
    found = records(".", tmp_path / "cache")
    assert found["models/acme/merged"][1] == os.path.join("api", "b-new.json")
    assert found["models/acme/carded"][1] == os.path.join("acme", "carded", "README.md")
    monkeypatch.chdir(folder.parent)
    assert records("zoo/", tmp_path / "cache2")["models/acme/tricky"][1] == os.path.join(
        "zoo", "api", "tricky.json"
    )


def test_the_walk_keeps_no_parsed_response(folder):
    """Until the records are made, a response is kept as compressed text, not as the parsed
    object (about ten times larger: the build's memory per record)."""
    repos = scan(folder)
    kept = [item for repo in repos.values() for item in repo.infos]
    assert len(kept) == 5
    assert all(isinstance(blob, bytes) for _, _, blob in kept)
    assert all(isinstance(rel, str) and not os.path.isabs(rel) for _, rel, _ in kept)
