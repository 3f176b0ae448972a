"""The one HTTP helper every crawler uses.

Every call has a timeout. Connection errors, timeouts, bodies cut short and HTTP 408/429/5xx
are retried with doubling backoff plus jitter; a ``Retry-After`` header (seconds or an HTTP
date) is honoured, capped at :data:`MAX_WAIT` seconds so a hostile server cannot park the crawl.
Each retry is logged as "attempt n/max". Other errors become a
:class:`~mlkg.errors.FetchError` carrying the URL.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests
from requests.exceptions import ChunkedEncodingError

from mlkg import __version__
from mlkg.errors import FetchError

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MAX_WAIT = 60.0
USER_AGENT = f"mlkg/{__version__} (+https://w3id.org/mlkg)"


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts in all, first backoff, cap on any single wait, per-call timeout."""

    attempts: int = 5
    backoff: float = 1.0
    max_wait: float = MAX_WAIT
    timeout: float = 30.0


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP date.

    >>> retry_after_seconds("7")
    7.0
    >>> retry_after_seconds("Wed, 21 Oct 2015 07:28:10 GMT",
    ...                     now=datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC))
    10.0
    >>> retry_after_seconds("soon") is None
    True
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


def new_session(token: str | None = None) -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    return session


def request(
    session: requests.Session,
    method: str,
    url: str,
    *,
    policy: RetryPolicy = RetryPolicy(),
    record_id: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
    **kwargs,
) -> requests.Response:
    """Send a request, retrying what is transient; raise :class:`FetchError` for the rest.

    Returns the final response when it is 2xx or 3xx; 404 and other 4xx raise at once.
    """
    kwargs.setdefault("timeout", policy.timeout)
    for attempt in range(1, policy.attempts + 1):
        wait = min(policy.max_wait, policy.backoff * 2 ** (attempt - 1))
        try:
            response = session.request(method, url, **kwargs)
        except (requests.ConnectionError, requests.Timeout, ChunkedEncodingError) as exc:
            if attempt == policy.attempts:
                raise FetchError(
                    f"{url}: {exc.__class__.__name__} after {attempt} attempts",
                    url=url,
                    record_id=record_id,
                ) from exc
            reason = exc.__class__.__name__
        else:
            if response.status_code < 400:
                return response
            if response.status_code not in RETRY_STATUSES or attempt == policy.attempts:
                raise_for_status(response, record_id=record_id)
            reason = f"HTTP {response.status_code}"
            advised = retry_after_seconds(response.headers.get("Retry-After"))
            if advised is not None:
                wait = min(policy.max_wait, advised)
            response.close()
        wait += random.uniform(0, wait * 0.1)
        logger.warning(
            "%s %s: %s; retrying in %.1fs (attempt %d/%d)",
            method,
            url,
            reason,
            wait,
            attempt,
            policy.attempts,
        )
        sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


def raise_for_status(response: requests.Response, *, record_id: str | None = None) -> None:
    """Turn an error response into a :class:`FetchError` with URL, status and a short body."""
    if response.status_code < 400:
        return
    body = response.text[:200].strip().replace("\n", " ") if response.content else ""
    what = {
        401: "authentication required",
        403: "access refused (gated or private?)",
        404: "not found",
        429: "rate limited",
    }.get(response.status_code, response.reason or "")
    raise FetchError(
        f"{response.url}: HTTP {response.status_code} {what}".strip()
        + (f" — {body}" if body else ""),
        url=response.url,
        status=response.status_code,
        record_id=record_id,
    )
