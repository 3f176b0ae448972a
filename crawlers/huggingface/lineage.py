"""Lineage: which models a model was made from, and how.

Sources, strongest first:

1. ``base_model_relation`` in the card (``finetune``, ``adapter``, ``quantized``, ``merge``), for
   the card's ``base_model`` (a string or a list);
2. the Hub's ``base_model:<relation>:<id>`` tags (what the Hub inferred or was told);
3. for a ``base_model`` (or ``base_model:<id>`` tag) with no relation, the Hub's own inference
   (https://huggingface.co/docs/hub/model-cards#specifying-a-base-model): several base models →
   ``merge``; adapter files (``adapter_config.json``) or ``library_name: peft`` → ``adapter``;
   GGUF files or a ``quantization_config`` → ``quantized``; otherwise ``finetune``;
4. older cards with none of these: the Trainer's sentence "This model is a fine-tuned version of
   [X](https://huggingface.co/X)" → ``fineTunedFrom`` X (the id is read from the link).

Each target is a Model stub (type, id, label, hub, page). ``new_version: X`` in the card says X
is the newer version: ``X mlkg:revisionOf`` this model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pyoxigraph import NamedNode

from crawlers.huggingface.cards import MAX_BODY_LINES, is_placeholder, strings
from crawlers.huggingface.context import HUB_URL, Context, is_repo_id
from mlkg.namespaces import MLKG

RELATIONS: dict[str, NamedNode] = {
    "finetune": MLKG.fineTunedFrom,
    "adapter": MLKG.adapterOf,
    "quantized": MLKG.quantizedFrom,
    "merge": MLKG.mergedFrom,
}
MAX_BASE_MODELS = 100

_SENTENCE = re.compile(
    r"fine-?tuned version of \[[^\]\n]{1,300}\]\(\s*https?://huggingface\.co/(?P<path>[^)\s]{1,300})",
    re.I,
)


@dataclass(frozen=True)
class Hints:
    """What the repository's files say about how it was made (for relation inference)."""

    adapter: bool = False
    quantized: bool = False


def repo_id_of(written: str) -> str | None:
    """A Hub model id from an id or a ``https://huggingface.co/...`` link; ``None`` if neither.

    >>> repo_id_of("https://huggingface.co/bert-base-uncased/tree/main"), repo_id_of("a b")
    ('bert-base-uncased', None)
    """
    value = written.strip()
    if value.lower().startswith(("https://huggingface.co/", "http://huggingface.co/")):
        value = value.split("huggingface.co/", 1)[1]
        value = re.split(r"/(?:tree|blob|resolve|commit)/|[?#]", value, maxsplit=1)[0].strip("/")
    if is_placeholder(value) or not is_repo_id(value):
        return None
    return value


def infer_relation(count: int, hints: Hints) -> str:
    """The Hub's inference when no relation is given."""
    if count > 1:
        return "merge"
    if hints.adapter:
        return "adapter"
    if hints.quantized:
        return "quantized"
    return "finetune"


def base_models(
    ctx: Context, front_value: Any, relation_value: Any, tags: list[str], hints: Hints
) -> list[tuple[str, str]]:
    """``(base model id, relation)`` pairs from the card fields and the Hub's tags."""
    warn = ctx.warn
    explicit: dict[str, str] = {}
    bare: list[str] = []
    for tag in tags:
        if not tag.startswith("base_model:"):
            continue
        parts = tag.split(":", 2)
        if len(parts) == 3 and parts[1] in RELATIONS and repo_id_of(parts[2]):
            explicit.setdefault(repo_id_of(parts[2]) or "", parts[1])
        elif len(parts) == 2 and repo_id_of(parts[1]):
            bare.append(repo_id_of(parts[1]) or "")
    declared: list[str] = []
    for written in strings(front_value, "base_model", warn, limit=MAX_BASE_MODELS):
        found = repo_id_of(written)
        if found is None:
            warn(f"base_model {written[:80]!r} is not a Hub model id; ignored")
        else:
            declared.append(found)
    relation = None
    for written in strings(relation_value, "base_model_relation", warn, limit=1):
        relation = written.lower() if written.lower() in RELATIONS else None
        if relation is None:
            warn(f"base_model_relation {written[:40]!r} is not one of {', '.join(RELATIONS)}")
    ids = list(dict.fromkeys([*declared, *explicit, *bare]))[:MAX_BASE_MODELS]
    inferred = infer_relation(len(ids), hints)
    return [(i, (relation if i in declared else None) or explicit.get(i) or inferred) for i in ids]


def sentence_base_model(body: str) -> str | None:
    """The model of the Trainer's "fine-tuned version of [X](https://huggingface.co/X)".

    >>> sentence_base_model("is a fine-tuned version of [b](https://huggingface.co/org/b) on")
    'org/b'
    """
    head = "\n".join(body.split("\n", MAX_BODY_LINES)[:MAX_BODY_LINES])
    match = _SENTENCE.search(head)
    return repo_id_of(HUB_URL + match["path"]) if match else None


def map_lineage(
    ctx: Context,
    model: NamedNode,
    front: dict[str, Any],
    tags: list[str],
    body: str | None,
    hints: Hints,
) -> int:
    """Write the lineage links of ``model``; returns how many."""
    pairs = base_models(ctx, front.get("base_model"), front.get("base_model_relation"), tags, hints)
    if not pairs and body:
        found = sentence_base_model(body)
        pairs = [(found, "finetune")] if found else []
    written = 0
    for base, relation in pairs:
        if base == ctx.repo_id:
            ctx.warn(f"base_model {base!r} is the model itself; ignored")
            continue
        ctx.add(model, RELATIONS[relation], ctx.model_stub(base))
        written += 1
    for newer in strings(front.get("new_version"), "new_version", ctx.warn, limit=1):
        found = repo_id_of(newer)
        if found is None or found == ctx.repo_id:
            ctx.warn(f"new_version {newer[:80]!r} is not another Hub model id; ignored")
        else:
            ctx.add(ctx.model_stub(found), MLKG.revisionOf, model)
    return written
