"""mlkg.http against a real local server: retries, Retry-After, typed errors."""

from __future__ import annotations

import logging

import pytest

from mlkg.errors import FetchError
from mlkg.http import RetryPolicy, new_session, request
from tests.httpserver import LocalServer, Reply


def test_retries_429_honouring_retry_after_then_succeeds(caplog):
    waits: list[float] = []
    with LocalServer() as server:
        server.route("/api/models", Reply(200, b"[]"))
        server.fail_next("/api/models", Reply(429, headers={"Retry-After": "3"}), Reply(503))
        with caplog.at_level(logging.WARNING, logger="mlkg.http"):
            response = request(
                new_session(),
                "GET",
                server.url("/api/models"),
                policy=RetryPolicy(attempts=4, backoff=0.5),
                sleep=waits.append,
            )
        assert response.status_code == 200
        assert [r.path for r in server.requests] == ["/api/models"] * 3
    assert 3.0 <= waits[0] <= 3.3  # Retry-After wins over the 0.5 s backoff (plus <=10% jitter)
    assert 1.0 <= waits[1] <= 1.1  # second backoff doubles
    assert "attempt 1/4" in caplog.text and "attempt 2/4" in caplog.text


def test_retry_after_is_capped():
    waits: list[float] = []
    with LocalServer() as server:
        server.route("/x", Reply(200, b"ok"))
        server.fail_next("/x", Reply(429, headers={"Retry-After": "86400"}))
        request(
            new_session(),
            "GET",
            server.url("/x"),
            policy=RetryPolicy(max_wait=2.0),
            sleep=waits.append,
        )
    assert waits and waits[0] <= 2.2


def test_404_raises_typed_error_with_url_and_record_id():
    with LocalServer() as server, pytest.raises(FetchError) as info:
        request(
            new_session(),
            "GET",
            server.url("/missing"),
            record_id="org/model",
            sleep=lambda _s: None,
        )
    assert info.value.status == 404
    assert info.value.url.endswith("/missing")
    assert info.value.record_id == "org/model"
    assert isinstance(info.value, OSError)


def test_gives_up_after_the_last_attempt_on_persistent_5xx():
    with LocalServer() as server:
        server.fail_next("/x", *[Reply(500)] * 3)
        with pytest.raises(FetchError) as info:
            request(
                new_session(),
                "GET",
                server.url("/x"),
                policy=RetryPolicy(attempts=3),
                sleep=lambda _s: None,
            )
        assert info.value.status == 500
        assert len(server.requests) == 3
