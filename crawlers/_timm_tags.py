"""timm's names for pretrained weights and its result tables, as pure rules.

A timm model name is ``{architecture}.{pretrained tag}`` (``resnet50.tv_in1k``,
``vit_base_patch16_224.augreg_in21k_ft_in1k``); older names carry the source as a prefix instead
(``tv_resnet101``, ``ig_resnext101_32x8d``). The tag lists how the weights were made, left to
right: source or recipe tokens, then the datasets, with ``ft`` separating pre-training from
fine-tuning (``mim_m38m_ft_in22k_in1k``: masked-image pre-training on Merged-38M, fine-tuned on
ImageNet-22k, then on ImageNet-1k). See https://huggingface.co/docs/timm/models and the
``results/README.md`` of https://github.com/huggingface/pytorch-image-models.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Dataset tokens of timm tags and metadata → a name the vocabulary knows. Tokens not listed
#: (``m38m``, ``webli``, ``openai``, recipe names) name no vocabulary dataset and stay in the tag.
DATASET_TOKENS = {
    "in1k": "imagenet-1k",
    "in12k": "imagenet-12k",
    "in21k": "imagenet-21k",
    "in22k": "imagenet-22k",
    "ig1b": "IG-1B-Targeted",
    "yfcc100m": "YFCC100M",
    "yfc": "YFCC100M",
    "jft300m": "JFT-300M",
    "laion2b": "LAION-2B",
    "laion400m": "LAION-400M",
}

#: Result table (``results/results-{variant}.csv``) → (vocabulary dataset, split or ``None``).
#: ``imagenet`` is ImageNet-1k's validation set (its README says so); the "clean" tables are that
#: validation set restricted to the 200 classes of ImageNet-A/-R, datasets of their own so that
#: their higher numbers are never mixed with the 1,000-class ones.
RESULT_VARIANTS: dict[str, tuple[str, str | None]] = {
    "imagenet": ("imagenet-1k", "validation"),
    "imagenet-real": ("imagenet-real", None),
    "imagenetv2-matched-frequency": ("imagenetv2-matched-frequency", None),
    "sketch": ("imagenet-sketch", None),
    "imagenet-a": ("imagenet-a", None),
    "imagenet-a-clean": ("imagenet-a-clean", None),
    "imagenet-r": ("imagenet-r", None),
    "imagenet-r-clean": ("imagenet-r-clean", None),
}

_NAME = re.compile(r"(?P<arch>[A-Za-z0-9_\-]+)(?:\.(?P<tag>[A-Za-z0-9_\-]+))?")
_PERCENT = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*%$")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


@dataclass(frozen=True)
class WeightTag:
    """What a model name says about its weights."""

    architecture: str
    tag: str | None
    pretrained_on: tuple[str, ...]
    fine_tuned_on: tuple[str, ...]


def split_name(name: str) -> WeightTag | None:
    """Architecture, tag and the dataset tokens of a timm model name; ``None`` if it is not one.

    >>> split_name("vit_base_patch16_224.augreg_in21k_ft_in1k")
    WeightTag(architecture='vit_base_patch16_224', tag='augreg_in21k_ft_in1k', \
pretrained_on=('in21k',), fine_tuned_on=('in1k',))
    >>> split_name("eva02_large_patch14_448.mim_m38m_ft_in22k_in1k").fine_tuned_on
    ('in22k', 'in1k')
    >>> split_name("resnet50.tv_in1k").pretrained_on, split_name("resnet50").tag
    (('in1k',), None)
    """
    match = _NAME.fullmatch(name.strip())
    if match is None:
        return None
    tag = match["tag"]
    if not tag:
        return WeightTag(match["arch"], None, (), ())
    before, found, after = f"_{tag}_".partition("_ft_")
    pre = tuple(t for t in before.split("_") if t in DATASET_TOKENS)
    post = tuple(t for t in after.split("_") if t in DATASET_TOKENS) if found else ()
    return WeightTag(match["arch"], tag, pre, post)


def pretrain_token(value: str) -> tuple[str | None, str | None]:
    """``model_metadata`` ``pretrain`` values: ``ig1b-swsl`` → (``ig1b``, ``swsl``).

    >>> pretrain_token("jft300m-ns"), pretrain_token("in1k"), pretrain_token("web")
    (('jft300m', 'ns'), ('in1k', None), (None, None))
    """
    token, _, technique = value.strip().partition("-")
    return (token if token in DATASET_TOKENS else None), (technique or None)


def parse_measure(value: object) -> tuple[float | None, bool]:
    """A model-index metric value: ``"79.04%"`` → (0.7904, True); ``0.5`` → (0.5, False).

    Booleans, lists and text that is not a number give ``(None, False)``.

    >>> parse_measure("79.04%"), parse_measure(" 5 % "), parse_measure("n/a"), parse_measure(True)
    ((0.7904, True), (0.05, True), (None, False), (None, False))
    """
    if isinstance(value, bool) or value is None:
        return None, False
    if isinstance(value, (int, float)):
        number = float(value)
        return (number if number == number and abs(number) != float("inf") else None), False
    if not isinstance(value, str):
        return None, False
    stripped = value.strip().replace(",", "")
    match = _PERCENT.match(stripped)
    if match:
        return round(float(match[1]) / 100, 10), True
    if _NUMBER.match(stripped):
        return float(stripped), False
    return None, False


def param_millions(value: str | None) -> int | None:
    """``param_count`` of a result table, in millions (``"1,014.45"``) → a parameter count.

    >>> param_millions("25.56"), param_millions("1,014.45"), param_millions("?")
    (25560000, 1014450000, None)
    """
    if not value:
        return None
    stripped = value.strip().replace(",", "")
    if not _NUMBER.match(stripped) or float(stripped) <= 0:
        return None
    return round(float(stripped) * 1_000_000)
