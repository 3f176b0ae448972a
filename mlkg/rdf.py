"""Small, total constructors for RDF terms from untrusted zoo values.

Mappers call these instead of building :class:`pyoxigraph.Literal` directly, so every value that
reaches the graph is typed the same way and cleaned the same way: control characters removed, text
capped, numbers parsed leniently. Each returns ``None`` for a value it cannot represent; the
caller records a warning and keeps the rest of the record.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from typing import Any

from pyoxigraph import Literal, NamedNode

from mlkg.namespaces import XSD

#: Longest literal kept from a card; longer text is cut and the cut is reported by the mapper.
MAX_TEXT_LENGTH = 20_000

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def clean_text(value: str, *, max_length: int = MAX_TEXT_LENGTH) -> str:
    """Drop control characters and lone surrogates, strip, and cap the length.

    >>> clean_text("  a\\x00b\\tc ")
    'ab\\tc'
    >>> len(clean_text("x" * 50, max_length=10))
    10
    """
    return _CONTROL.sub("", value).strip()[:max_length]


def text(
    value: Any, *, lang: str | None = None, max_length: int = MAX_TEXT_LENGTH
) -> Literal | None:
    """A plain string literal (or language-tagged), ``None`` when empty after cleaning."""
    if value is None or isinstance(value, (dict, list)):
        return None
    cleaned = clean_text(str(value), max_length=max_length)
    if not cleaned:
        return None
    return Literal(cleaned, language=lang) if lang else Literal(cleaned)


def parse_number(value: Any) -> float | None:
    """A finite float from an int, a float or a numeric string; ``None`` otherwise.

    Booleans are not numbers here (YAML turns ``yes`` into ``True``).

    >>> parse_number("0.91"), parse_number(3), parse_number("n/a"), parse_number(True)
    (0.91, 3.0, None, None)
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str) and _NUMBER.match(value.strip().replace(",", "")):
        number = float(value.strip().replace(",", ""))
    else:
        return None
    return number if math.isfinite(number) else None


def double(value: Any) -> Literal | None:
    """An ``xsd:double`` literal, so ``FILTER(?v >= 0.9)`` needs no cast."""
    number = parse_number(value)
    return None if number is None else Literal(repr(number), datatype=XSD.double)


def integer(value: Any) -> Literal | None:
    """An ``xsd:integer`` literal from an int or an integral number/string."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return Literal(str(value), datatype=XSD.integer)
    number = parse_number(value)
    if number is None or not number.is_integer():
        return None
    return Literal(str(int(number)), datatype=XSD.integer)


def boolean(value: Any) -> Literal | None:
    """An ``xsd:boolean`` from a bool or the strings true/false/yes/no."""
    if isinstance(value, bool):
        flag = value
    elif isinstance(value, str) and value.strip().lower() in {"true", "yes", "false", "no"}:
        flag = value.strip().lower() in {"true", "yes"}
    else:
        return None
    return Literal("true" if flag else "false", datatype=XSD.boolean)


def date_time(value: Any) -> Literal | None:
    """An ``xsd:dateTime`` in UTC from an ISO 8601 string, a datetime or a date.

    >>> date_time("2024-03-18T10:00:00.000Z").value
    '2024-03-18T10:00:00Z'
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC).replace(microsecond=0)
    return Literal(moment.strftime("%Y-%m-%dT%H:%M:%SZ"), datatype=XSD.dateTime)


def typed_value(value: Any) -> Literal | None:
    """The most specific literal for a hyperparameter-like value: boolean, integer, double, text."""
    if isinstance(value, bool):
        return boolean(value)
    if isinstance(value, int):
        return integer(value)
    if isinstance(value, float):
        return double(value)
    if isinstance(value, str):
        stripped = value.strip()
        if re.fullmatch(r"[+-]?\d+", stripped):
            return integer(stripped)
        if parse_number(stripped) is not None:
            return double(stripped)
        return boolean(stripped) or text(stripped)
    return None


def url(value: Any) -> NamedNode | None:
    """An IRI for an ``http(s)`` URL, ``None`` for anything else (``javascript:``, spaces, ...)."""
    if not isinstance(value, str):
        return None
    candidate = value.strip()
    if not re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", candidate):
        return None
    try:
        return NamedNode(candidate)
    except ValueError:
        return None
