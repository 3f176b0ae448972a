"""The Hugging Face Hub: models and datasets, with their cards, configs and evaluations.

The crawl (:mod:`crawlers.huggingface.fetch`) talks to the Hub's HTTP API through
``huggingface_hub`` (honouring ``HF_ENDPOINT`` and ``HF_TOKEN``) or reads a local folder of API
responses and cards; the map (:mod:`crawlers.huggingface.mapping`) is pure.

The raw record both sides agree on — ``RawRecord(source="huggingface", id=..., data=...)``:

* ``id``: ``models/<repo id>`` or ``datasets/<repo id>`` (e.g. ``models/google/flan-t5-base``).
* ``data["kind"]``: ``"model"`` or ``"dataset"``; ``data["repo_id"]``: the id as requested.
* ``data["info"]``: the Hub's API JSON for the repository (``GET /api/models/{id}`` with the
  expanded fields, or a listing entry), or ``None`` when only a card is known.
* ``data["card"]``: the README.md text (front matter + body), or ``None``.
* ``data["config"]``: ``config.json`` as parsed JSON, or ``None``.
* ``data["eval_results"]``: ``{path: yaml text}`` of the repository's ``.eval_results/`` files,
  or ``None``.
* ``data["status"]``: ``"ok"``, ``"gated"``, ``"private"``, ``"missing"`` or ``"error"``, with
  ``data["status_detail"]`` saying why; such records are still yielded (and mapped: a gated model
  is recorded as gated, never retried forever).
* ``data["flags"]``: problems met reading the card (``binary``, ``too-large``, ``invalid-utf8``).
"""

from __future__ import annotations

from crawlers import Source
from crawlers.huggingface.fetch import DEFAULT_ENDPOINT, crawl
from crawlers.huggingface.mapping import CRAWLER_VERSION, map_record

SOURCE = Source(
    name="huggingface",
    hub="huggingface",
    version=CRAWLER_VERSION,
    default_location=DEFAULT_ENDPOINT,
    description="Hugging Face Hub models and datasets (API, model cards, config.json)",
    crawl=crawl,
    map_record=map_record,
)
