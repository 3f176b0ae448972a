"""Reading a Hugging Face card (README.md): YAML front matter, then markdown written by anyone.

The front matter is found by a regex and read with the safe YAML loader, then checked to be a
mapping, as ``huggingface_hub.repocard`` does; a YAML error becomes a warning with the card's line
and column and the body is still used. Card values are never trusted to have the documented type:
:func:`strings` turns "a string or a list of strings" into a list and reports everything else.

Spec: https://github.com/huggingface/hub-docs/blob/main/modelcard.md
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import yaml

from mlkg.rdf import clean_text

Warn = Callable[[str], None]

#: Card text read at most (real cards are under 100 kB; a few MTEB cards reach ~500 kB).
MAX_CARD_CHARS = 1_000_000
#: Front matter parsed at most; a larger one is ignored (YAML parsing is the slow part).
MAX_FRONT_MATTER_CHARS = 600_000
#: Items read from one list-valued field (tags, datasets, languages, ...).
MAX_ITEMS = 500
MAX_ITEM_CHARS = 300
MAX_DESCRIPTION = 2000
MAX_TITLE = 300
#: Body lines scanned for the description and title.
MAX_BODY_LINES = 5000

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_FRONT_MATTER = re.compile(r"\A\s*---[ \t]*\n(.*?)^---[ \t]*$", re.S | re.M)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t#]*$")
_LIST_OR_QUOTE = re.compile(r"^\s*(?:[-*+>|]|\d+[.)])(?:\s|$)")
_LINK = re.compile(r"\[([^\]\n]{0,300})\]\([^)\s]{0,1000}(?:\s+\"[^\"\n]{0,200}\")?\)")
_IMAGE = re.compile(r"!\[[^\]\n]{0,300}\]\([^)\s]{0,1000}(?:\s+\"[^\"\n]{0,200}\")?\)")
_ARXIV = re.compile(
    r"(?:arxiv\.org/(?:abs|pdf)/|huggingface\.co/papers/)(\d{4}\.\d{4,5})(?:v\d+)?", re.I
)
_PLACEHOLDERS = frozenset({"", "none", "null", "n/a", "na", "-", "unknown", "tbd", "todo"})


def card_text(card: Any, flags: Any, warn: Warn) -> str | None:
    """The card's text if it can be read, cut to :data:`MAX_CARD_CHARS`; flags are reported.

    >>> card_text("---\\nlicense: mit\\n---\\r\\nHi", None, print)
    '---\\nlicense: mit\\n---\\nHi'
    """
    flags = [str(f) for f in flags] if isinstance(flags, list) else []
    if "binary" in flags:
        warn("card (README.md) is a binary file; it was not read")
        return None
    if card is None:
        return None
    if not isinstance(card, str):
        warn(f"card is a {type(card).__name__}, not text; it was not read")
        return None
    if "\x00" in card[:MAX_CARD_CHARS]:
        warn("card contains NUL characters (binary content); it was not read")
        return None
    if "too-large" in flags:
        warn("card was over the crawler's size limit: only its beginning was read")
    if "invalid-utf8" in flags:
        warn("card is not valid UTF-8; undecodable bytes were replaced")
    if len(card) > MAX_CARD_CHARS:
        warn(f"card is {len(card)} characters; only the first {MAX_CARD_CHARS} were read")
        card = card[:MAX_CARD_CHARS]
    return card.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def split_card(text: str) -> tuple[str | None, str, int]:
    """``(front matter or None, body, number of lines before the front matter's first line)``.

    >>> split_card("---\\nlicense: mit\\n---\\n# Title")
    ('license: mit\\n', '# Title', 1)
    >>> split_card("# No metadata")
    (None, '# No metadata', 0)
    """
    match = _FRONT_MATTER.match(text)
    if match is None:
        return None, text, 0
    before = text[: match.start(1)].count("\n")
    return match.group(1), text[match.end() :].removeprefix("\n"), before


def parse_front_matter(front: str | None, first_line: int, warn: Warn) -> dict[str, Any]:
    """The front matter as a dict (``{}`` when absent or unusable, with a warning saying why).

    A YAML error is reported with the card's line and column. Tab characters, which YAML forbids
    in indentation but card authors paste in, are replaced by spaces and the parse retried.
    """
    if front is None or not front.strip():
        return {}
    if len(front) > MAX_FRONT_MATTER_CHARS:
        warn(f"front matter is over {MAX_FRONT_MATTER_CHARS} characters; card metadata ignored")
        return {}
    try:
        value = _load_yaml(front)
    except yaml.MarkedYAMLError as exc:
        where = _where(exc, first_line)
        if "\t" in front:
            try:
                value = _load_yaml(front.replace("\t", "  "))
            except Exception:
                value = None
            else:
                warn(
                    f"front matter is not valid YAML ({where}{exc.problem}); read again with "
                    "its tab characters replaced by spaces"
                )
                return _as_mapping(value, warn)
        warn(f"front matter is not valid YAML ({where}{exc.problem}); card metadata ignored")
        return {}
    except Exception as exc:  # the YAML library on hostile input (recursion depth, dates, ...)
        warn(f"front matter could not be read ({type(exc).__name__}); card metadata ignored")
        return {}
    return _as_mapping(value, warn)


def load_yaml_document(text: str, what: str, warn: Warn) -> Any:
    """Any YAML document (an ``.eval_results`` file), ``None`` with a warning when unreadable."""
    try:
        return _load_yaml(text)
    except yaml.MarkedYAMLError as exc:
        warn(f"{what} is not valid YAML ({_where(exc, 0)}{exc.problem}); ignored")
    except Exception as exc:
        warn(f"{what} could not be read ({type(exc).__name__}); ignored")
    return None


def _load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_LOADER)  # a safe loader: CSafeLoader or SafeLoader


def _where(exc: yaml.MarkedYAMLError, first_line: int) -> str:
    mark = exc.problem_mark
    return f"line {mark.line + 1 + first_line}, column {mark.column + 1}: " if mark else ""


def _as_mapping(value: Any, warn: Warn) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        warn(f"front matter is a YAML {type(value).__name__}, not a mapping; card metadata ignored")
        return {}
    return {str(key): item for key, item in value.items() if isinstance(key, (str, int, float))}


def field(front: dict[str, Any], name: str, warn: Warn, misspellings: tuple[str, ...] = ()) -> Any:
    """``front[name]``, or a common misspelling of it (read with a warning).

    >>> field({"licence": "mit"}, "license", print, ("licence",))
    card field 'licence' read as 'license' (misspelt or older name)
    'mit'
    """
    if front.get(name) is not None:
        for alias in misspellings:
            if front.get(alias) is not None:
                warn(f"card has both '{name}' and '{alias}'; '{alias}' ignored")
        return front[name]
    for alias in misspellings:
        if front.get(alias) is not None:
            warn(f"card field '{alias}' read as '{name}' (misspelt or older name)")
            return front[alias]
    return None


def strings(value: Any, what: str, warn: Warn, *, limit: int = MAX_ITEMS) -> list[str]:
    """A string or a list of strings as a list of cleaned strings; other values are reported.

    Numbers are read as their text; booleans, mappings and nested lists are dropped.

    >>> strings(["en", 3, {"x": 1}, " "], "language", print)
    language: a dict value ignored
    ['en', '3']
    """
    items = value if isinstance(value, list) else [value]
    if len(items) > limit:
        warn(f"{what}: {len(items)} values; only the first {limit} were read")
        items = items[:limit]
    found: list[str] = []
    for item in items:
        if item is None:
            continue
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            warn(f"{what}: a {type(item).__name__} value ignored")
            continue
        cleaned = clean_text(str(item), max_length=MAX_ITEM_CHARS)
        if cleaned:
            found.append(cleaned)
    return list(dict.fromkeys(found))


def mapping(value: Any, what: str, warn: Warn) -> dict[str, Any]:
    """``value`` if it is a mapping, else ``{}`` (reported unless absent)."""
    if isinstance(value, dict):
        return value
    if value is not None:
        warn(f"{what}: expected a mapping, got a {type(value).__name__}; ignored")
    return {}


def is_placeholder(value: str) -> bool:
    """``None``, ``unknown``, ``n/a``... written where an id should be."""
    return value.strip().lower() in _PLACEHOLDERS


# -- the markdown body -------------------------------------------------------------------------


def blocks(body: str) -> Iterator[tuple[str, str]]:
    """``("heading", text)`` and ``("paragraph", text)`` blocks; code fences and HTML comments
    are skipped. Lines are joined with spaces; at most :data:`MAX_BODY_LINES` lines are read."""
    paragraph: list[str] = []
    fence: str | None = None
    in_comment = False
    for line in body.split("\n", MAX_BODY_LINES)[:MAX_BODY_LINES]:
        stripped = line.strip()
        if fence is not None:
            if stripped.startswith(fence):
                fence = None
            continue
        if in_comment:
            in_comment = "-->" not in stripped
            continue
        opening = _FENCE.match(line)
        heading = _HEADING.match(line)
        if opening or heading or not stripped or stripped.startswith("<!--"):
            if paragraph:
                yield "paragraph", " ".join(paragraph)
                paragraph = []
            if opening:
                fence = opening.group(1)[:3]
            elif heading:
                yield "heading", (heading.group(2) or "").strip()
            elif stripped.startswith("<!--"):
                in_comment = "-->" not in stripped
            continue
        paragraph.append(stripped)
    if paragraph:
        yield "paragraph", " ".join(paragraph)


def description(body: str) -> str | None:
    """The first prose paragraph: not a list, table, quote, image, badge line or HTML block.

    Markdown links keep their text. HTML inside the paragraph is kept as text (it is escaped on
    output, never interpreted).

    >>> description("# T\\n\\n![img](x.png)\\n\\nA *small* [model](https://a.b).\\nSecond line.")
    'A *small* model. Second line.'
    """
    for kind, content in blocks(body):
        if kind != "paragraph" or _LIST_OR_QUOTE.match(content) or content.startswith("<"):
            continue
        prose = clean_text(_inline(content), max_length=MAX_DESCRIPTION)
        if len(re.sub(r"\W", "", prose)) >= 3:
            return prose
    return None


def title(body: str) -> str | None:
    """The text of the first level-1 heading, links reduced to their text."""
    for line in body.split("\n", MAX_BODY_LINES)[:MAX_BODY_LINES]:
        match = _HEADING.match(line)
        if match and len(match.group(1)) == 1 and match.group(2):
            cleaned = clean_text(_inline(match.group(2)), max_length=MAX_TITLE)
            return cleaned or None
    return None


def _inline(markdown: str) -> str:
    """Images removed, links reduced to their text (badges ``[![x](img)](url)`` vanish)."""
    return _LINK.sub(lambda m: m.group(1), _IMAGE.sub("", markdown)).strip()


def arxiv_ids(body: str, limit: int = 50) -> list[str]:
    """arXiv ids linked from the body (abs/pdf links, Hub paper pages), as the Hub tags them.

    >>> arxiv_ids("see https://arxiv.org/abs/1810.04805v2 and https://arxiv.org/pdf/2106.09685")
    ['1810.04805', '2106.09685']
    """
    found = dict.fromkeys(match.group(1) for match in _ARXIV.finditer(body[:MAX_CARD_CHARS]))
    return list(found)[:limit]
