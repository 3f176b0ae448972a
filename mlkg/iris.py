"""Minting resource IRIs.

Every resource lives under one configurable base (default ``https://w3id.org/mlkg/resource/``);
a zoo's own URL is never a subject, it is linked with ``schema:url``. Ids from zoos are checked
(:func:`check_id`) and each path segment is percent-encoded, so any id a zoo accepts yields a valid,
stable IRI, and two different ids never yield the same IRI.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import quote

from pyoxigraph import NamedNode

from mlkg.errors import InvalidIdError

DEFAULT_BASE_IRI = "https://w3id.org/mlkg/resource/"
MAX_ID_LENGTH = 512
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_id(zoo_id: str) -> str:
    """Return ``zoo_id`` stripped if it can name a resource, else raise :class:`InvalidIdError`.

    Valid: ``"google/bert_uncased_L-12_H-768_A-12/1"``, ``"pytorch/vision/resnet18"``.
    Invalid: ``""``, ``"a\\x00b"`` (control character), ``"a//b"`` (empty segment), ids over 512
    characters.

    >>> check_id(" google/albert_base/3 ")
    'google/albert_base/3'
    >>> check_id("bad\\nid")
    Traceback (most recent call last):
    ...
    mlkg.errors.InvalidIdError: id contains a control character: 'bad\\nid'
    """
    if not isinstance(zoo_id, str):
        raise InvalidIdError(f"id must be a string, not {type(zoo_id).__name__}")
    stripped = zoo_id.strip()
    if not stripped:
        raise InvalidIdError("id is empty")
    if _CONTROL.search(stripped):
        raise InvalidIdError(f"id contains a control character: {stripped[:80]!r}")
    if len(stripped) > MAX_ID_LENGTH:
        raise InvalidIdError(f"id is longer than {MAX_ID_LENGTH} characters: {stripped[:80]!r}...")
    if "" in stripped.split("/") or any(part in {".", ".."} for part in stripped.split("/")):
        raise InvalidIdError(f"id has an empty or relative path segment: {stripped!r}")
    return stripped


def encode_path(zoo_id: str) -> str:
    """Percent-encode each ``/``-separated segment of a checked id (slashes are kept)."""
    return "/".join(quote(segment, safe="-._~") for segment in check_id(zoo_id).split("/"))


def slug(value: str) -> str:
    """A lowercase ``a-z0-9-`` slug for vocabulary-like names (tasks, metrics, splits).

    >>> slug("Top-1 Error (%)")
    'top-1-error'
    """
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-") or "unnamed"


def short_hash(*parts: str, length: int = 12) -> str:
    """A stable short hex digest of ``parts`` for IRIs of things without a natural id."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:length]


@dataclass(frozen=True)
class Iris:
    """IRI factory for one resource base. All methods are pure.

    >>> iris = Iris("https://example.org/r/")
    >>> iris.model("tfhub", "google/albert_base/3").value
    'https://example.org/r/model/tfhub/google/albert_base/3'
    >>> iris.record_graph("pytorch-hub", "pytorch_vision_resnet.md").value
    'https://example.org/r/graph/pytorch-hub/pytorch_vision_resnet.md'
    """

    base: str = DEFAULT_BASE_IRI

    def __post_init__(self) -> None:
        if not re.fullmatch(r"https?://[^\s<>\"]+/", self.base):
            raise InvalidIdError(
                f"resource base IRI must be an http(s) IRI ending in '/': {self.base!r}"
            )

    def _node(self, *segments: str) -> NamedNode:
        return NamedNode(self.base + "/".join(segments))

    def hub(self, hub: str) -> NamedNode:
        return self._node("hub", slug(hub))

    def model(self, hub: str, zoo_id: str) -> NamedNode:
        return self._node("model", slug(hub), encode_path(zoo_id))

    def dataset(self, name: str, hub: str | None = None) -> NamedNode:
        """A dataset: a vocabulary dataset by slug, or a zoo's own dataset by hub and id."""
        if hub is None:
            return self._node("dataset", slug(name))
        return self._node("dataset", slug(hub), encode_path(name))

    def split(self, dataset: NamedNode, split_name: str) -> NamedNode:
        return NamedNode(f"{dataset.value}/split/{quote(split_name.strip(), safe='-._~')}")

    def task(self, name: str) -> NamedNode:
        return self._node("task", slug(name))

    def metric(self, name: str) -> NamedNode:
        return self._node("metric", slug(name))

    def label(self, scheme: str, name: str) -> NamedNode:
        return self._node("label", slug(scheme), quote(name.strip(), safe="-._~"))

    def architecture(self, name: str) -> NamedNode:
        return self._node("architecture", slug(name))

    def publisher(self, hub: str, zoo_id: str) -> NamedNode:
        return self._node("publisher", slug(hub), encode_path(zoo_id))

    def collection(self, hub: str, zoo_id: str) -> NamedNode:
        return self._node("collection", slug(hub), encode_path(zoo_id))

    def evaluation(self, model: NamedNode, *key: str) -> NamedNode:
        return NamedNode(f"{model.value}/evaluation/{short_hash(*key)}")

    def training_run(self, model: NamedNode) -> NamedNode:
        return NamedNode(f"{model.value}/training")

    def configuration(self, model: NamedNode) -> NamedNode:
        return NamedNode(f"{model.value}/training/configuration")

    def setting(self, model: NamedNode, parameter: str) -> NamedNode:
        return NamedNode(
            f"{model.value}/training/configuration/{quote(parameter.strip(), safe='-._~')}"
        )

    def record_graph(self, source: str, record_id: str) -> NamedNode:
        """The named graph holding everything mapped from one source record."""
        return self._node("graph", slug(source), encode_path(record_id))

    def record_graph_or_hashed(self, source: str, record_id: object) -> NamedNode:
        """The record's graph, or, for an id that cannot name a resource, a graph named by a
        hash of it (the record is still mapped and reported, never lost)."""
        try:
            return self.record_graph(source, str(record_id))
        except InvalidIdError:
            return self.record_graph(source, "invalid-id/" + short_hash(repr(record_id)))

    def vocabulary_graph(self, name: str) -> NamedNode:
        return self._node("graph", "vocabulary", slug(name))

    def activity(self, source: str, run_id: str) -> NamedNode:
        return self._node("activity", slug(source), quote(run_id, safe="-._~"))

    def hyperparameter(self, name: str) -> NamedNode:
        return self._node("hyperparameter", quote(name.strip(), safe="-._~"))

    def license(self, name: str) -> NamedNode:
        """A licence that has no SPDX id (``other``, ``custom``, a named proprietary licence)."""
        return self._node("license", slug(name))

    def resource(self, path: str) -> NamedNode:
        """Any resource by its path below the base (``dataset/coco``)."""
        return NamedNode(self.base + path.lstrip("/"))
