"""The Hugging Face crawl against a fake Hub on 127.0.0.1 and over local folders.

The fake Hub (:mod:`tests.hubserver`) speaks the Hub's wire format; huggingface_hub's own client
is run against it to show it is faithful. Retries never sleep: the tests hand the crawler a
function that records the waits. Nothing here reads the mapping.
"""

from __future__ import annotations

import doctest
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, get_args
from urllib.parse import parse_qsl

import pytest
import requests

from crawlers.huggingface._hub import DATASET_EXPAND, MODEL_EXPAND, HubClient, ordered_map
from crawlers.huggingface._local import flat_card_id
from crawlers.huggingface.fetch import DEFAULT_ENDPOINT, crawl, parse_options
from mlkg.config import resolve_settings
from mlkg.errors import ConfigurationError, FetchError, SourceNotFoundError
from mlkg.raw import check_options, read_raw
from mlkg.raw import crawl as raw_crawl
from mlkg.records import RawRecord
from mlkg.report import BuildReport
from tests.conftest import REPO
from tests.httpserver import Reply
from tests.hubserver import (
    HF_SNAPSHOT,
    SNAPSHOT_CARDS,
    SNAPSHOT_RENAMES,
    FakeHub,
    crawl_only_source,
    snapshot_hub,
    snapshot_responses,
)

CARDS = HF_SNAPSHOT / "model-cards-cs577" / "project" / "model_cards"
API_RESPONSES = HF_SNAPSHOT / "api-responses"
FILES = ("README.md", "config.json")


# -- helpers ---------------------------------------------------------------------------------


def run(
    hub: FakeHub,
    cache: Path,
    *,
    waits: list[float] | None = None,
    skip: frozenset[str] = frozenset(),
    limit: int | None = None,
    **options: Any,
) -> list[RawRecord]:
    """Crawl ``hub`` with the real client; retries record their waits instead of sleeping."""
    sleep = waits.append if waits is not None else (lambda _seconds: None)
    client = HubClient(hub.url, parse_options(**options), sleep=sleep)
    try:
        return list(client.records(cache_dir=cache, skip=skip, limit=limit))
    finally:
        client.close()


def add_models(hub: FakeHub, count: int) -> list[str]:
    """``count`` small models, listed in this order; every third a fill-mask model."""
    ids = []
    for number in range(count):
        repo_id = f"org{number % 2}/model-{number}"
        task = "fill-mask" if number % 3 == 0 else "text-classification"
        hub.add_model(
            repo_id,
            info={
                "pipeline_tag": task,
                "library_name": "transformers",
                "tags": ["transformers", task],
                "downloads": (number * 37) % 11,
            },
            files={
                "README.md": f"---\nlicense: mit\n---\n# Model {number}\n",
                "config.json": json.dumps({"model_type": "bert", "n": number}),
            },
        )
        ids.append(repo_id)
    return ids


def listing_queries(hub: FakeHub, path: str = "/api/models") -> list[list[tuple[str, str]]]:
    return [parse_qsl(r.query) for r in hub.requests if r.path == path]


def readme_path(hub: FakeHub, repo_id: str) -> str:
    return f"/{repo_id}/resolve/{hub.repos[('model', repo_id)].sha}/README.md"


def by_id(records: list[RawRecord]) -> dict[str, RawRecord]:
    return {record.id: record for record in records}


@pytest.fixture
def hub():
    with FakeHub() as fake:
        yield fake


# -- listing, pagination, filters ------------------------------------------------------------


def test_listing_follows_link_pages_and_limit_reads_no_extra_page(hub, tmp_path):
    ids = add_models(hub, 7)
    records = run(hub, tmp_path, limit=4, page_size="3")
    assert [r.id for r in records] == [f"models/{i}" for i in ids[:4]]
    queries = listing_queries(hub)
    assert len(queries) == 2, "page 3 is never requested: the 4th record is on page 2"
    assert ("limit", "3") in queries[0] and not any(k == "cursor" for k, _ in queries[0])
    assert any(k == "cursor" for k, _ in queries[1])
    shas = {i: hub.repos[("model", i)].sha for i in ids[:4]}
    expected = [f"/{i}/resolve/{shas[i]}/{name}" for i in ids[:4] for name in FILES]
    assert sorted(hub.file_requests()) == sorted(expected)


def test_a_limit_smaller_than_a_page_asks_for_that_page_size(hub, tmp_path):
    add_models(hub, 7)
    run(hub, tmp_path, limit=2)
    assert [dict(q)["limit"] for q in listing_queries(hub)] == ["2"]


def test_a_full_crawl_reads_every_page_in_listing_order(hub, tmp_path):
    ids = add_models(hub, 7)
    records = run(hub, tmp_path, page_size="3")
    assert [r.id for r in records] == [f"models/{i}" for i in ids]
    assert len(listing_queries(hub)) == 3
    first = records[0].data
    assert first["status"] == "ok" and first["kind"] == "model" and first["repo_id"] == ids[0]
    assert first["card"] == "---\nlicense: mit\n---\n# Model 0\n"
    assert first["config"] == {"model_type": "bert", "n": 0}
    assert first["info"]["sha"] == hub.repos[("model", ids[0])].sha
    assert records[0].location == f"{hub.url}/{ids[0]}"


def test_a_repository_listed_twice_is_one_record(hub, tmp_path):
    ids = add_models(hub, 4)
    options = parse_options(page_size="2", workers="1")
    records = HubClient(hub.url, options, sleep=lambda _s: None).records(cache_dir=tmp_path)
    got = [next(records).data["repo_id"]]
    # Between pages 1 and 2, model-0 moves down the order (as with sort=downloads).
    hub.repos[("model", ids[0])] = hub.repos.pop(("model", ids[0]))
    got += [record.data["repo_id"] for record in records]
    assert got == [ids[0], ids[1], ids[3]], "model-2 slid onto page 1; model-0 is not repeated"


def test_filters_are_sent_as_the_hubs_query_parameters(hub, tmp_path):
    add_models(hub, 12)
    records = run(
        hub,
        tmp_path,
        author="org1",
        task="fill-mask",
        library="transformers",
        search="model",
        sort="downloads",
    )
    query = listing_queries(hub)[0]
    assert {k: v for k, v in query if k != "expand"} == {
        "author": "org1",
        "pipeline_tag": "fill-mask",
        "filter": "transformers",
        "search": "model",
        "sort": "downloads",
        "limit": "100",
    }
    assert [v for k, v in query if k == "expand"] == list(MODEL_EXPAND)
    # An independent filter of the hub's own data gives the same repositories, same order.
    expected = [
        repo
        for (kind, repo_id), repo in hub.repos.items()
        if repo_id.startswith("org1/") and repo.info["pipeline_tag"] == "fill-mask"
    ]
    expected.sort(key=lambda repo: -repo.info["downloads"])
    assert [r.data["repo_id"] for r in records] == [repo.repo_id for repo in expected]
    assert expected, "the filter keeps something"


def test_datasets_use_the_dataset_routes_and_fetch_no_config(tmp_path, shared_dir):
    with snapshot_hub(shared_dir) as hub:
        records = run(hub, tmp_path, kind="datasets", task="image-segmentation")
        assert [r.id for r in records] == ["datasets/mlkg-test/sample-segmentation"]
        query = listing_queries(hub, "/api/datasets")[0]
        assert ("filter", "task_categories:image-segmentation") in query
        assert [v for k, v in query if k == "expand"] == list(DATASET_EXPAND)
        sha = hub.repos[("dataset", "mlkg-test/sample-segmentation")].sha
        assert hub.file_requests() == [
            f"/datasets/mlkg-test/sample-segmentation/resolve/{sha}/README.md"
        ]
    data = records[0].data
    assert data["kind"] == "dataset" and data["config"] is None
    assert "task_categories:\n- image-segmentation" in data["card"]


def test_kind_all_lists_models_then_datasets(tmp_path, shared_dir):
    with snapshot_hub(shared_dir) as hub:
        records = run(hub, tmp_path, kind="all", page_size="1000")
    kinds = [r.data["kind"] for r in records]
    assert kinds == sorted(kinds, key=["model", "dataset"].index)
    assert kinds.count("dataset") == 2
    no_card = by_id(records)["datasets/mlkg-test/no-card"].data
    assert (no_card["status"], no_card["card"]) == ("ok", None), "no README: not an error"


@pytest.mark.parametrize(
    "options",
    [
        {"sort": "stars"},
        {"kind": "spaces"},
        {"workers": "0"},
        {"workers": "many"},
        {"page_size": "5000"},
        {"timeout": "-1"},
        {"retries": "0"},
        {"author": "a/b"},
        {"task": " "},
        {"repos": "a/b/c"},
        {"repos": "org/x", "author": "org"},
        {"repos": "org/x", "kind": "all"},
    ],
)
def test_unusable_options_raise_configuration_errors(tmp_path, options):
    with pytest.raises(ConfigurationError, match="huggingface: "):
        crawl("http://127.0.0.1:9", cache_dir=tmp_path, **options)  # fails before any request


def test_a_folder_refuses_hub_only_filters_and_a_missing_folder_is_reported(tmp_path):
    with pytest.raises(ConfigurationError, match="need the Hub API"):
        crawl(str(tmp_path), cache_dir=tmp_path, sort="likes")
    with pytest.raises(SourceNotFoundError):
        crawl(str(tmp_path / "absent"), cache_dir=tmp_path)


def test_the_pipeline_accepts_these_options_and_names_them_for_unknown_ones():
    source = crawl_only_source()
    check_options(source, {"author": "google", "kind": "all", "workers": "2"})
    with pytest.raises(ConfigurationError, match="its options: author, kind, library"):
        check_options(source, {"colour": "red"})


def test_expand_fields_are_ones_huggingface_hub_documents_for_the_hub():
    from huggingface_hub.hf_api import ExpandDatasetProperty_T, ExpandModelProperty_T

    assert set(MODEL_EXPAND) <= set(get_args(ExpandModelProperty_T))
    assert set(DATASET_EXPAND) <= set(get_args(ExpandDatasetProperty_T))


# -- rate limits, server errors, truncated and slow answers ----------------------------------


def test_a_429_waits_for_retry_after_then_goes_on(hub, tmp_path):
    add_models(hub, 2)
    hub.rate_limit_next("/api/models", 7)
    waits: list[float] = []
    records = run(hub, tmp_path, waits=waits)
    assert [r.data["status"] for r in records] == ["ok", "ok"]
    assert len(listing_queries(hub)) == 2
    assert len(waits) == 1 and 7.0 <= waits[0] <= 7.7  # Retry-After plus at most 10% jitter


def test_a_429_with_only_the_hubs_ratelimit_header_waits_for_its_reset(hub, tmp_path):
    ids = add_models(hub, 1)
    hub.rate_limit_next(readme_path(hub, ids[0]), 5, retry_after=False)
    waits: list[float] = []
    records = run(hub, tmp_path, waits=waits)
    assert records[0].data["status"] == "ok"
    assert len(waits) == 1 and 5.0 <= waits[0] <= 5.5


def test_a_huge_retry_after_is_capped(hub, tmp_path):
    add_models(hub, 1)
    hub.rate_limit_next("/api/models", 86400)
    waits: list[float] = []
    run(hub, tmp_path, waits=waits)
    assert len(waits) == 1 and 300.0 <= waits[0] <= 330.0  # DEFAULT_POLICY.max_wait + jitter


def test_5xx_answers_are_retried_with_backoff(hub, tmp_path):
    ids = add_models(hub, 2)
    path = readme_path(hub, ids[1])
    hub.fail_next(path, Reply(500, b"oops"), Reply(503, b"busy"))
    waits: list[float] = []
    records = run(hub, tmp_path, waits=waits)
    assert [r.data["status"] for r in records] == ["ok", "ok"]
    assert records[1].data["card"].endswith("# Model 1\n")
    assert hub.paths(path) == [path] * 3
    assert len(waits) == 2 and 1.0 <= waits[0] <= 1.1 and 2.0 <= waits[1] <= 2.2


def test_a_file_that_keeps_failing_is_an_error_record_and_the_crawl_goes_on(hub, tmp_path):
    ids = add_models(hub, 3)
    path = readme_path(hub, ids[1])
    hub.fail_next(path, *[Reply(503, b"down")] * 3)
    records = run(hub, tmp_path, retries="3")
    assert [r.data["status"] for r in records] == ["ok", "error", "ok"]
    failed = records[1].data
    assert "HTTP 503" in failed["status_detail"] and failed["info"]["id"] == ids[1]
    # An error is not cached: the next crawl fetches exactly that repository again.
    before = len(hub.file_requests())
    again = run(hub, tmp_path)
    assert again[1].data["status"] == "ok"
    assert sorted(hub.file_requests()[before:]) == sorted(
        [path, path.replace("README.md", "config.json")]
    )


def test_a_listing_page_that_keeps_failing_stops_the_crawl_after_earlier_records(hub, tmp_path):
    add_models(hub, 5)
    options = parse_options(page_size="3", workers="1", retries="2")
    client = HubClient(hub.url, options, sleep=lambda _seconds: None)
    records = client.records(cache_dir=tmp_path)
    got = [next(records)]  # page 1 is read; page 2 not yet
    hub.fail_next("/api/models", Reply(502), Reply(502))
    with pytest.raises(FetchError, match="HTTP 502"):
        got.extend(records)
    assert len(got) == 3, "every record of page 1 was yielded before the failure"


def test_work_under_way_is_yielded_before_a_listing_error_is_raised():
    def items():
        yield from range(5)
        raise FetchError("page 2 failed", url="http://x/api/models")

    results: list[int] = []
    with pytest.raises(FetchError):
        for value in ordered_map(lambda n: n * 10, items(), workers=4):
            results.append(value)
    assert results == [0, 10, 20, 30, 40]


def test_a_truncated_body_is_retried(hub, tmp_path):
    ids = add_models(hub, 2)
    path = readme_path(hub, ids[0])
    hub.truncate_next(path)
    hub.truncate_next("/api/models")
    records = run(hub, tmp_path)
    assert [r.data["status"] for r in records] == ["ok", "ok"]
    assert records[0].data["card"] == "---\nlicense: mit\n---\n# Model 0\n"
    assert hub.paths(path) == [path] * 2 and len(listing_queries(hub)) == 2


def test_a_slow_answer_times_out_and_is_retried(hub, tmp_path):
    ids = add_models(hub, 1)
    path = readme_path(hub, ids[0])
    hub.slow_next(path, 2.0)
    records = run(hub, tmp_path, timeout="0.2")
    assert records[0].data["status"] == "ok" and records[0].data["card"]
    assert hub.paths(path) == [path] * 2


# -- gated, private, missing, renamed --------------------------------------------------------


def test_a_gated_repository_is_recorded_as_gated_and_not_retried(hub, tmp_path):
    hub.add_model(
        "org/gated",
        gated="manual",
        readers={"granted"},
        files={"README.md": "# Gated\n", "config.json": "{}"},
    )
    (record,) = run(hub, tmp_path / "a")
    assert record.data["status"] == "gated"
    assert "restricted" in record.data["status_detail"] and "401" in record.data["status_detail"]
    assert record.data["info"]["gated"] == "manual" and record.data["card"] is None
    assert hub.file_requests() == [readme_path(hub, "org/gated")], "one try, no config"
    (refused,) = run(hub, tmp_path / "b", token="not-granted")
    assert refused.data["status"] == "gated" and "403" in refused.data["status_detail"]
    (granted,) = run(hub, tmp_path / "c", token="granted")
    assert (granted.data["status"], granted.data["card"]) == ("ok", "# Gated\n")


def test_a_private_repository_is_recorded_as_private(tmp_path):
    with FakeHub(tokens={"member"}) as hub:
        hub.add_model("org/secret", private=True, readers={"reader"}, files={"README.md": "#"})
        assert run(hub, tmp_path / "a") == [], "not listed without a token"
        (record,) = run(hub, tmp_path / "b", token="member")
        assert record.data["status"] == "private" and record.data["info"]["private"] is True
        (readable,) = run(hub, tmp_path / "c", token="reader")
        assert readable.data["status"] == "ok"


def test_a_repository_that_does_not_exist_is_missing(hub, tmp_path):
    add_models(hub, 1)
    (record,) = run(hub, tmp_path, repos="org/absent")
    assert record.id == "models/org/absent"
    assert (record.data["status"], record.data["info"]) == ("missing", None)
    assert "Repository not found" in record.data["status_detail"]


def test_a_file_the_repository_lacks_is_not_an_error(hub, tmp_path):
    hub.add_model(
        "org/listed-but-absent",
        info={"siblings": [{"rfilename": "README.md"}, {"rfilename": "config.json"}]},
        files={"config.json": '{"model_type": "gpt2"}'},
    )
    hub.add_model("org/config-only", files={"config.json": '{"model_type": "t5"}'})
    first, second = run(hub, tmp_path)
    assert (first.data["status"], first.data["card"]) == ("ok", None)
    assert first.data["config"] == {"model_type": "gpt2"}
    assert second.data["status"] == "ok" and second.data["config"] == {"model_type": "t5"}
    assert not any("config-only" in p and "README" in p for p in hub.file_requests())


def test_a_renamed_repository_keeps_the_requested_id_and_the_new_one(hub, tmp_path):
    hub.add_model("openai-community/gpt2", files={"README.md": "# GPT-2\n", "config.json": "{}"})
    hub.rename("gpt2", "openai-community/gpt2")
    (record,) = run(hub, tmp_path, repos="gpt2")
    assert record.id == "models/gpt2" and record.data["repo_id"] == "gpt2"
    assert record.data["info"]["id"] == "openai-community/gpt2"
    assert record.data["card"] == "# GPT-2\n"
    assert hub.paths("/api/models/") == ["/api/models/gpt2", "/api/models/openai-community/gpt2"]
    assert all(p.startswith("/openai-community/gpt2/") for p in hub.file_requests())


# -- concurrency, resume, incremental re-crawl -----------------------------------------------


def test_workers_bound_concurrency_and_records_keep_listing_order(hub, tmp_path):
    ids = add_models(hub, 12)
    hub.delay = 0.01
    records = run(hub, tmp_path / "a", workers="3", page_size="5")
    assert [r.data["repo_id"] for r in records] == ids
    assert 2 <= hub.peak_in_flight <= 3 + 1  # three workers and the listing reader
    hub.peak_in_flight = 0
    run(hub, tmp_path / "b", workers="1")
    assert hub.peak_in_flight == 1


def test_resumed_crawl_fetches_nothing_for_records_already_written(hub, tmp_path):
    ids = add_models(hub, 6)
    done = frozenset(f"models/{i}" for i in ids[:3])
    records = run(hub, tmp_path, skip=done, limit=2)
    assert [r.data["repo_id"] for r in records] == ids[3:5]
    assert not any(f"/{i}/" in p for i in ids[:3] for p in hub.file_requests())


def test_a_recrawl_with_nothing_changed_fetches_no_file(hub, tmp_path):
    add_models(hub, 5)
    first = run(hub, tmp_path)
    before = len(hub.requests)
    second = run(hub, tmp_path)
    assert hub.paths()[before:] == ["/api/models"], "only the listing is read again"
    assert [r.data for r in second] == [r.data for r in first]


def test_a_recrawl_fetches_exactly_the_changed_repository(hub, tmp_path):
    ids = add_models(hub, 5)
    run(hub, tmp_path)
    sha = hub.update(ids[2], {"README.md": "---\nlicense: apache-2.0\n---\n# Changed\n"})
    before = len(hub.requests)
    records = run(hub, tmp_path)
    fetched = [p for p in hub.paths()[before:] if "/resolve/" in p]
    assert sorted(fetched) == sorted(f"/{ids[2]}/resolve/{sha}/{name}" for name in FILES)
    assert records[2].data["card"].endswith("# Changed\n")
    assert records[2].data["info"]["sha"] == sha


# -- what a record holds ---------------------------------------------------------------------


def test_eval_results_files_are_fetched_when_the_repository_lists_them(tmp_path, shared_dir):
    with snapshot_hub(shared_dir) as hub:
        (record,) = run(hub, tmp_path, repos="mlkg-test/with-eval-results")
    results = record.data["eval_results"]
    assert list(results) == [".eval_results/gpqa.yaml"]
    assert "id: Idavidrein/gpqa" in results[".eval_results/gpqa.yaml"]


def test_bad_cards_are_still_yielded_with_flags(hub, tmp_path):
    hub.add_model("org/binary", files={"README.md": b"\x89PNG\r\n\x1a\n\x00\x00"})
    hub.add_model("org/latin1", files={"README.md": "# Caf\xe9 na\xefve\n".encode("latin-1")})
    hub.add_model("org/huge", files={"README.md": b"# Big\n" + b"x" * (6 * 1024 * 1024)})
    hub.add_model("org/bad-config", files={"config.json": b'{"model_type": '})
    records = by_id(run(hub, tmp_path))
    assert records["models/org/binary"].data["flags"] == ["binary"]
    assert records["models/org/binary"].data["card"] is None
    assert records["models/org/latin1"].data["flags"] == ["invalid-utf8"]
    huge = records["models/org/huge"].data
    assert huge["flags"] == ["too-large"] and len(huge["card"]) == 5 * 1024 * 1024
    assert records["models/org/bad-config"].data["flags"] == ["config-invalid"]
    assert all(r.data["status"] == "ok" for r in records.values())


def test_hf_endpoint_and_hf_token_are_used_for_the_default_location_only(
    hub, tmp_path, monkeypatch
):
    hub.add_model("org/gated", gated="auto", readers={"hf_secret"}, files={"README.md": "# G\n"})
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    (record,) = list(crawl(DEFAULT_ENDPOINT, cache_dir=tmp_path / "a"))
    assert record.data["status"] == "ok" and record.location == f"{hub.url}/org/gated"
    assert {r.headers.get("authorization") for r in hub.requests} == {"Bearer hf_secret"}
    assert all(r.headers["user-agent"].startswith("mlkg/") for r in hub.requests)
    before = len(hub.requests)
    (other,) = list(crawl(hub.url, cache_dir=tmp_path / "b"))  # an explicit location: no token
    assert other.data["status"] == "gated"
    assert all("authorization" not in r.headers for r in hub.requests[before:])


# -- the fake Hub is faithful ----------------------------------------------------------------


def test_huggingface_hubs_own_client_runs_against_the_fake_hub(tmp_path, shared_dir):
    from huggingface_hub import HfApi, hf_hub_download
    from huggingface_hub.errors import (
        EntryNotFoundError,
        GatedRepoError,
        RepositoryNotFoundError,
    )

    with snapshot_hub(shared_dir, page_size=4) as hub:
        api = HfApi(endpoint=hub.url, token=False)
        listed = list(api.list_models(expand=["sha", "cardData", "siblings", "gated"]))
        public = [r.repo_id for r in hub.repos.values() if r.kind == "model" and not r.private]
        assert [m.id for m in listed] == public
        assert len(hub.paths("/api/models")) == -(-len(listed) // 4), "followed Link pages"
        assert api.model_info("gpt2").id == "openai-community/gpt2"  # through the 307
        path = hf_hub_download(
            "google/flan-t5-large", "config.json", endpoint=hub.url, cache_dir=tmp_path
        )
        assert json.loads(Path(path).read_text())["model_type"] == "t5"
        with pytest.raises(GatedRepoError):
            hf_hub_download(
                "meta-llama/Llama-3.1-8B-Instruct",
                "config.json",
                endpoint=hub.url,
                cache_dir=tmp_path,
            )
        with pytest.raises(RepositoryNotFoundError):
            api.model_info("org/absent")
        with pytest.raises(EntryNotFoundError):
            hf_hub_download(
                "google/flan-t5-large", "nope.txt", endpoint=hub.url, cache_dir=tmp_path
            )
        # The JavaScript client's spelling, expand[]=, is understood too.
        bracketed = requests.get(f"{hub.url}/api/models?expand[]=sha&limit=1", timeout=5).json()
        assert set(bracketed[0]) == {"_id", "id", "sha"}
        datasets = list(api.list_datasets(full=True))
        assert {d.id for d in datasets} == {"mlkg-test/sample-segmentation", "mlkg-test/no-card"}


def test_a_crawl_of_the_snapshot_hub_matches_the_snapshot(tmp_path, shared_dir):
    responses = snapshot_responses(shared_dir)
    with snapshot_hub(shared_dir) as hub:
        records = by_id(run(hub, tmp_path, page_size="7"))
    served = {i for i in responses if i not in SNAPSHOT_RENAMES}
    cards = {flat_card_id(Path(name).name) for name in SNAPSHOT_CARDS}
    extra = {"mlkg-test/with-eval-results"}  # the private model is not listed without a token
    assert set(records) == {f"models/{i}" for i in served | cards | extra}
    for repo_id in served:
        data, response = records[f"models/{repo_id}"].data, responses[repo_id]
        assert data["info"]["sha"] == response["sha"]
        assert data["info"].get("cardData") == response.get("cardData")
        assert data["info"]["siblings"] == response["siblings"]
        assert data["status"] == ("gated" if response.get("gated") else "ok"), repo_id
    assert records["models/google/flan-t5-large"].data["config"]["model_type"] == "t5"
    for name in SNAPSHOT_CARDS:
        card = (shared_dir / CARDS / name).read_bytes().decode("utf-8")
        assert records[f"models/{flat_card_id(Path(name).name)}"].data["card"] == card


def test_docstring_examples_run():
    from crawlers.huggingface import _local, _records, fetch

    for module in (_records, _local, fetch):
        assert doctest.testmod(module).failed == 0, module.__name__


# -- local folders ---------------------------------------------------------------------------


def write(path: Path, content: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def test_a_folder_reads_all_three_layouts_into_one_record_per_repository(tmp_path):
    root = tmp_path / "snapshot"
    write(root / "acme/folder-model/README.md", "---\nlicense: mit\n---\n# Folder\n")
    write(root / "acme/folder-model/config.json", '{"model_type": "bert", "eps": Infinity}')
    write(root / "acme/folder-model/.eval_results/hle.yaml", "- value: 0.2\n")
    write(root / "acme/folder-model.json", '{"downloads": 5}')  # named by its path
    write(root / "legacy-model/README.md", "# Legacy\n")
    write(root / "cards/arch/acme_flat_model_v2_README.md", "# Flat\n")
    write(
        root / "api/models/acme__flat_model_v2__2025.json",
        '{"id": "acme/flat_model_v2", "sha": "a"}',
    )
    write(root / "api/models/partial.json", '{"id": "acme/flat_model_v2", "extra": 1}')
    write(root / "api/models/older.json", '{"id": "acme/flat_model_v2", "sha": "old", '
          '"lastModified": "2020-01-01T00:00:00.000Z"}')  # fmt: skip
    write(root / "api/models/newer.json", '{"id": "acme/flat_model_v2", "sha": "new", '
          '"lastModified": "2024-01-01T00:00:00.000Z"}')  # fmt: skip
    write(root / "api/models/json-only.json", '{"id": "acme/json-only", "pipeline_tag": "x"}')
    write(root / "api/INDEX.json", '[{"file": "models/x.json"}]')  # not a response
    write(root / "api/spaces/acme__space.json", '{"id": "acme/space"}')  # a Space: not read
    write(root / "datasets/acme/corpus/README.md", "---\ntask_categories: [translation]\n---\n")
    write(root / "README.md", "# About this snapshot\n")  # the folder's own readme
    records = list(crawl(str(root), cache_dir=tmp_path / "cache", kind="all"))
    assert [r.id for r in records] == [
        "datasets/acme/corpus",
        "models/acme/flat_model_v2",
        "models/acme/folder-model",
        "models/acme/json-only",
        "models/legacy-model",
    ]
    found = by_id(records)
    folder = found["models/acme/folder-model"].data
    assert folder["card"].endswith("# Folder\n") and folder["info"] == {"downloads": 5}
    assert folder["config"] == {"model_type": "bert", "eps": "Infinity"}
    assert folder["eval_results"] == {".eval_results/hle.yaml": "- value: 0.2\n"}
    flat = found["models/acme/flat_model_v2"]
    assert flat.data["card"] == "# Flat\n" and flat.data["info"]["sha"] == "new"
    assert flat.data["info"]["extra"] == 1
    assert flat.location.endswith("acme_flat_model_v2_README.md")
    assert found["models/acme/json-only"].data["card"] is None
    assert found["datasets/acme/corpus"].data["kind"] == "dataset"
    assert all(r.data["status"] == "ok" and r.data["flags"] == [] for r in records)


def test_a_folder_crawl_filters_skips_and_limits(tmp_path):
    for name in ("acme_a", "acme_b", "other_c", "other_d"):
        write(tmp_path / "cards" / f"{name}_README.md", f"# {name}\n")
    folder = str(tmp_path / "cards")
    ids = [r.id for r in crawl(folder, cache_dir=tmp_path, author="ACME")]
    assert ids == ["models/acme/a", "models/acme/b"]
    assert [r.id for r in crawl(folder, cache_dir=tmp_path, search="R/C")] == ["models/other/c"]
    assert [r.id for r in crawl(folder, cache_dir=tmp_path, kind="datasets")] == []
    skipped = crawl(folder, cache_dir=tmp_path, skip={"models/acme/a"}, limit=2)
    assert [r.id for r in skipped] == ["models/acme/b", "models/other/c"]
    assert [r.id for r in crawl(folder, cache_dir=tmp_path, repos="other/d")] == ["models/other/d"]


def test_bad_files_in_a_folder_are_still_yielded_with_flags(tmp_path):
    write(tmp_path / "x_binary_README.md", b"\x00\x01\x02 not text")
    write(tmp_path / "x_latin1_README.md", "# Caf\xe9\n".encode("latin-1"))
    write(tmp_path / "x_huge_README.md", b"# " + b"y" * (5 * 1024 * 1024 + 10))
    write(tmp_path / "x_bad-config/config.json", b"{not json")
    write(tmp_path / "bad id!_README.md", "# ?\n")
    found = by_id(list(crawl(str(tmp_path), cache_dir=tmp_path)))
    assert found["models/x/binary"].data["flags"] == ["binary"]
    assert found["models/x/latin1"].data["flags"] == ["invalid-utf8"]
    assert found["models/x/huge"].data["flags"] == ["too-large"]
    assert found["models/x_bad-config"].data["flags"] == ["config-invalid"]
    bad = found["models/bad id!"].data
    assert bad["status"] == "error" and "not 'name' or 'namespace/name'" in bad["status_detail"]


def test_every_card_of_the_cs577_corpus_is_exactly_one_record(shared_dir, tmp_path):
    folder = shared_dir / CARDS.parent
    files = sorted(folder.glob("**/*_README.md"))
    # Independent of the crawler: the first "_" of the file name is the namespace separator.
    expected = {"models/" + f.name[: -len("_README.md")].replace("_", "/", 1): f for f in files}
    records = list(crawl(str(folder), cache_dir=tmp_path))
    assert len(files) == len(expected) == len(records) == 4786
    assert {r.id for r in records} == set(expected)
    for record in records:
        assert record.data["card"] == expected[record.id].read_bytes().decode("utf-8")
        assert record.data["info"] is None and record.data["status"] == "ok"


def test_the_api_responses_folder_gives_one_record_per_repository(shared_dir, tmp_path):
    folder = shared_dir / API_RESPONSES
    ids: dict[str, list[dict]] = {}
    for path in folder.glob("**/*.json"):
        response = json.loads(path.read_text())
        if "spaces" not in path.parts and isinstance(response, dict) and "id" in response:
            ids.setdefault(response["id"], []).append(response)
    records = by_id(list(crawl(str(folder), cache_dir=tmp_path)))
    assert set(records) == {f"models/{i}" for i in ids}
    llama = records["models/meta-llama/Llama-3.1-8B-Instruct"].data["info"]
    newest = max(
        (r for r in ids["meta-llama/Llama-3.1-8B-Instruct"] if "sha" in r),
        key=lambda r: r["lastModified"],
    )
    assert llama["sha"] == newest["sha"] and "inferenceProviderMapping" in llama
    corrupted = records["models/Waynehillsdev/Waynehills-STT-doogie-server"].data["info"]
    assert corrupted["cardData"]["model-index"] == {"name": "Waynehills-STT-doogie-server"}


# -- the crawl stage end to end: killed and resumed ------------------------------------------

CHILD = """
import json, sys
from pathlib import Path
from mlkg.config import resolve_settings
from mlkg.raw import crawl
from tests.hubserver import crawl_only_source
settings = resolve_settings(environ={}, data_dir=Path(sys.argv[1]))
crawl(settings, crawl_only_source(), sys.argv[2], options=json.loads(sys.argv[3]))
"""


def raw_records(path: Path) -> list[tuple[str, dict]]:
    return [(record.id, record.data) for record in read_raw(path)]


@pytest.mark.slow
def test_a_crawl_killed_mid_way_resumes_to_the_records_of_a_clean_one(tmp_path, shared_dir):
    """SIGKILL `mlkg.raw.crawl` in a subprocess while the fake Hub holds its requests, then
    resume it through 429s and 5xx: the raw records equal an uninterrupted crawl's."""
    options = {"page_size": "5", "workers": "2"}
    source = crawl_only_source()
    clean = resolve_settings(environ={}, data_dir=tmp_path / "clean")
    killed = resolve_settings(environ={}, data_dir=tmp_path / "killed")
    with snapshot_hub(shared_dir) as hub:
        expected = raw_records(raw_crawl(clean, source, hub.url, options=options))
        assert len(expected) > 30
        first_readme = readme_path(hub, expected[1][1]["repo_id"])
        hub.rate_limit_next("/api/models", 0)
        hub.fail_next(first_readme, Reply(503, b"busy", {"Retry-After": "0"}))
        hub.hold_after(30)
        command = [sys.executable, "-c", CHILD, str(killed.data_dir), hub.url, json.dumps(options)]
        process = subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE)
        partial = killed.raw_dir / "huggingface.partial.jsonl"
        while not (partial.exists() and partial.read_bytes().count(b"\n") >= 5):
            assert process.poll() is None, process.stderr.read().decode()
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        assert process.wait() == -signal.SIGKILL
        written = partial.read_bytes().count(b"\n")
        assert written < len(expected), "the kill landed mid-crawl"
        hub.release()
        later_readme = readme_path(hub, expected[-3][1]["repo_id"])
        hub.fail_next(later_readme, Reply(500, b"oops", {"Retry-After": "0"}))
        hub.rate_limit_next("/api/models", 0)
        before = len(hub.requests)
        report = BuildReport("huggingface")
        resumed = raw_crawl(killed, source, hub.url, options=options, report=report)
        assert hub.paths()[before:].count(later_readme) == 2, "the 500 was retried"
    assert report.resumed == written and report.crawled == len(expected) - written
    assert raw_records(resumed) == expected
