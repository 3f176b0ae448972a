"""Machinery shared by the synthetic zoo generator: counter-based randomness, weighted tables,
names, fixed timestamps, file writing and per-shard statistics.

Why counter-based randomness: every record must be a pure function of ``(seed, record index)``
so that shards can be generated in any order, by any number of processes, and still give the
same bytes; and so that a record can look at an *earlier* record (its base model) without the
generator keeping the zoo in memory. :class:`Stream` hashes ``(seed, namespace, index, slot)``
with the SplitMix64 finaliser (https://prng.di.unimi.it/splitmix64.c) for the few cheap draws
that other records need to see, and hands out one ``random.Random`` per record for the many
draws only that record's files need. Nothing here calls ``hash()`` (randomised per process) or
reads the clock.
"""

from __future__ import annotations

import hashlib
import math
import os
import random
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, TypeVar

T = TypeVar("T")

MASK64 = (1 << 64) - 1
_TO_UNIT = 2.0**-53

#: 2021-01-01T00:00:00Z: the first creation date of the synthetic Hub; all dates are fixed
#: offsets from it, so output never depends on when the generator runs.
EPOCH = 1_609_459_200
#: The synthetic Hub's models are created over 4.5 years after :data:`EPOCH`.
SPAN_SECONDS = int(4.5 * 365.25 * 86_400)


def mix64(value: int) -> int:
    """The SplitMix64 finaliser: a bijective, well-mixed 64-bit hash of ``value``.

    >>> mix64(0) != mix64(1), 0 <= mix64(12345) < 2**64
    (True, True)
    """
    value = (value + 0x9E3779B97F4A7C15) & MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & MASK64
    return value ^ (value >> 31)


def key_of(text: str) -> int:
    """A stable 64-bit key of a string (``hash()`` is salted per process, so never used)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


class Stream:
    """Uniform numbers addressed by ``(index, slot)`` under one ``(seed, namespace)``.

    >>> s = Stream(7, "hf")
    >>> s.uniform(3, 0) == Stream(7, "hf").uniform(3, 0) != s.uniform(3, 1)
    True
    """

    def __init__(self, seed: int, namespace: str) -> None:
        self.base = mix64((seed & MASK64) ^ key_of(namespace))

    def bits(self, index: int, slot: int) -> int:
        return mix64(self.base ^ mix64((index << 12) | (slot & 0xFFF)))

    def uniform(self, index: int, slot: int) -> float:
        """A float in [0, 1) for ``(index, slot)``; slots 0–4094 are free to use."""
        return (self.bits(index, slot) >> 11) * _TO_UNIT

    def rng(self, index: int) -> random.Random:
        """The private generator of record ``index`` (slot 4095 is reserved for it)."""
        return random.Random(self.bits(index, 4095))


class Table(Generic[T]):
    """A weighted choice over fixed values (weights need not sum to 1).

    >>> t = Table([("a", 3.0), ("b", 1.0)])
    >>> t.pick(0.0), t.pick(0.74), t.pick(0.76), round(t.share("a"), 2)
    ('a', 'a', 'b', 0.75)
    """

    def __init__(self, items: Iterable[tuple[T, float]]) -> None:
        pairs = [(value, float(weight)) for value, weight in items if weight > 0]
        if not pairs:
            raise ValueError("a table needs at least one positive weight")
        self.values: list[T] = [value for value, _ in pairs]
        self.cumulative: list[float] = []
        total = 0.0
        for _, weight in pairs:
            total += weight
            self.cumulative.append(total)
        self.total = total
        self._weights = dict(pairs)

    def pick(self, u: float) -> T:
        """The value at quantile ``u`` in [0, 1)."""
        at = bisect_right(self.cumulative, u * self.total)
        return self.values[min(at, len(self.values) - 1)]

    def draw(self, rng: random.Random) -> T:
        return self.pick(rng.random())

    def share(self, value: T) -> float:
        return self._weights.get(value, 0.0) / self.total


def zipf_rank(u: float, n: int, exponent: float) -> int:
    """A 0-based rank in ``[0, n)`` with P(rank r) ∝ (r + 1) ** -exponent (continuous inverse
    CDF, so it costs O(1) whatever ``n``): the few heads and the long tail of popularity.

    >>> [zipf_rank(u, 1000, 1.1) for u in (0.0, 0.5, 0.999)]
    [0, 16, 990]
    """
    if n <= 1:
        return 0
    if abs(exponent - 1.0) < 1e-9:
        rank = math.exp(u * math.log(n + 1.0)) - 1.0
    else:
        power = 1.0 - exponent
        rank = (u * ((n + 1.0) ** power - 1.0) + 1.0) ** (1.0 / power) - 1.0
    return min(max(int(rank), 0), n - 1)


_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def base36(number: int) -> str:
    """A number in base 36 (short, unique name suffixes).

    >>> base36(0), base36(35), base36(1_999_999)
    ('0', 'z', '16v7j')
    """
    digits = []
    while True:
        number, rest = divmod(number, 36)
        digits.append(_B36[rest])
        if not number:
            return "".join(reversed(digits))


_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "kr")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ou", "ea")
_CODAS = ("", "n", "r", "l", "m", "x", "s", "th")


def word(number: int, *, syllables: int = 2) -> str:
    """An invented pronounceable word, distinct for every ``number`` below 1024**syllables.

    >>> word(0), word(1), word(1023), word(1024, syllables=3)
    ('baba', 'baban', 'bakreath', 'babanba')
    """
    parts = []
    for _ in range(syllables):
        number, digit = divmod(number, 1024)
        onset, rest = divmod(digit, 64)
        vowel, coda = divmod(rest, 8)
        parts.append(_ONSETS[onset] + _VOWELS[vowel] + _CODAS[coda])
    return "".join(reversed(parts))


def iso_time(seconds: float) -> str:
    """The Hub's timestamp form, ``2022-03-04T05:06:07.000Z``."""
    moment = datetime.fromtimestamp(int(seconds), UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON string syntax is valid YAML)."""
    import json

    return json.dumps(text, ensure_ascii=False)


def fmt(value: float, digits: int = 4) -> str:
    """A metric value as card authors write it: rounded, no trailing zeros noise.

    >>> fmt(0.93456789), fmt(17.2), fmt(500.0)
    ('0.9346', '17.2', '500.0')
    """
    return repr(round(value, digits))


def write_file(path: str, data: bytes) -> None:
    """Create (or truncate) one file with ``os.open``: about half the cost of ``open()``."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(handle, data)
    finally:
        os.close(handle)


@dataclass
class ShardStats:
    """What one shard wrote: counters by topic (``"hf.tasks"`` → Counter), ids by topic, and
    files/bytes. Merged in shard order, so the manifest is the same however shards ran."""

    counts: dict[str, Counter] = field(default_factory=dict)
    ids: dict[str, list[str]] = field(default_factory=dict)
    files: int = 0
    bytes: int = 0

    def add(self, topic: str, key: str, amount: int = 1) -> None:
        counter = self.counts.get(topic)
        if counter is None:
            counter = self.counts[topic] = Counter()
        counter[key] += amount

    def note(self, topic: str, value: str) -> None:
        self.ids.setdefault(topic, []).append(value)

    def merge(self, other: ShardStats) -> None:
        for topic, counter in other.counts.items():
            self.counts.setdefault(topic, Counter()).update(counter)
        for topic, values in other.ids.items():
            self.ids.setdefault(topic, []).extend(values)
        self.files += other.files
        self.bytes += other.bytes


class Writer:
    """Writes one shard's files below ``root`` and counts them; creates each folder once."""

    def __init__(self, root: str, stats: ShardStats) -> None:
        self.root = root.rstrip("/") + "/"
        self.stats = stats
        self._made: set[str] = set()

    def folder(self, relative: str) -> str:
        path = self.root + relative
        if path not in self._made:
            try:
                os.mkdir(path)  # the common case: the parent exists, the folder does not
            except FileExistsError:
                pass
            except FileNotFoundError:
                os.makedirs(path, exist_ok=True)
            if len(self._made) > 100_000:  # bound memory on huge shards
                self._made.clear()
            self._made.add(path)
        return path

    def write(self, folder: str, name: str, data: bytes) -> None:
        write_file(f"{self.folder(folder)}/{name}", data)
        self.stats.files += 1
        self.stats.bytes += len(data)


def lognormal_count(rng: random.Random, mu: float, sigma: float) -> int:
    """A zero-inflated heavy-tailed count: ``floor(exp(y))`` for ``y ~ N(mu, sigma)`` when
    ``y >= 0``, else 0 (a censored log-normal, fitted in mlkg.generate's docstring)."""
    y = rng.gauss(mu, sigma)
    return 0 if y < 0 else int(math.exp(min(y, 40.0)))


def correlated_counts(
    rng: random.Random, first: tuple[float, float], second: tuple[float, float], rho: float
) -> tuple[int, int]:
    """Two censored log-normal counts whose latent normals correlate with ``rho`` (downloads and
    likes move together)."""
    z1 = rng.gauss(0.0, 1.0)
    z2 = rho * z1 + math.sqrt(1.0 - rho * rho) * rng.gauss(0.0, 1.0)
    y1 = first[0] + first[1] * z1
    y2 = second[0] + second[1] * z2
    return (
        0 if y1 < 0 else int(math.exp(min(y1, 40.0))),
        0 if y2 < 0 else int(math.exp(min(y2, 40.0))),
    )


def pick_distinct(rng: random.Random, table: Table[T], count: int, tries: int = 20) -> list[T]:
    """Up to ``count`` distinct draws from ``table``."""
    found: list[T] = []
    for _ in range(tries):
        if len(found) >= count:
            break
        value = table.draw(rng)
        if value not in found:
            found.append(value)
    return found


def choose(rng: random.Random, values: Sequence[T]) -> T:
    return values[int(rng.random() * len(values))]
