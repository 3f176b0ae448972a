"""Markdown as model zoos write it: front matter, top-level blocks, pipe tables, inline text.

The crawlers need a small, predictable part of markdown, not a renderer: split off the YAML front
matter, cut the body into headings, paragraphs, pipe tables and fenced code, read table cells, and
turn inline markdown into plain text. The rules follow CommonMark (https://spec.commonmark.org/)
and GitHub's table extension (https://github.github.com/gfm/#tables-extension-) closely enough
for the pages the zoos publish; where they differ it is said in the function's docstring.

Every function here is pure and total: any string in, a value out, never an exception. Work is
bounded for hostile input: lines are read up to :data:`MAX_LINE_CHARS`, tables up to
:data:`MAX_TABLE_ROWS` rows, and :func:`plain_text` cuts its input at :data:`MAX_PLAIN_CHARS`
before its regular expressions run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

#: Longer lines are cut to this many characters before they are read as markdown.
MAX_LINE_CHARS = 10_000
#: A table keeps its header row and at most this many rows after it.
MAX_TABLE_ROWS = 1_000
#: Text longer than this is cut before inline markdown is stripped (keeps the regexes linear).
MAX_PLAIN_CHARS = 20_000

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?$", re.S | re.M)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}#{1,6}(?:\s|$)")
_TABLE_DELIMITER = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
_NUMBER = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(%?)$")
_OPEN_QUOTES = "\"'“”‘’«„"
_CLOSE_QUOTES = "\"'“”‘’»"

BlockKind = Literal["heading", "paragraph", "table", "code"]


@dataclass(frozen=True)
class Block:
    """A top-level markdown block.

    ``line`` is the page line the block starts on (for a code block: its opening fence).
    ``text`` is a heading's text without its ``#`` marks, a paragraph's lines joined by single
    spaces, or a code block's content (the fence's info string, e.g. ``python``, is not kept).
    ``rows`` holds a table's rows as returned by :func:`split_table_row`, header row first and
    the delimiter row left out; rows may have different numbers of cells.
    """

    kind: BlockKind
    line: int
    text: str = ""
    rows: tuple[tuple[str, ...], ...] = ()


def split_front_matter(page: str) -> tuple[str | None, str, int]:
    """Split a page into its front matter, its body and the line number the body starts on.

    The front matter is the text between a ``---`` first line and the next ``---`` line; it is
    returned as written (parse it with ``yaml.safe_load``). A page without one gives
    ``(None, page, 1)``.

    Returns:
        ``(front matter text or None, body, line number of the body's first line)``.

    >>> split_front_matter("---\\ntitle: A\\n---\\nbody")
    ('title: A\\n', 'body', 4)
    >>> split_front_matter("no front matter")
    (None, 'no front matter', 1)
    """
    match = _FRONT_MATTER.match(page)
    if match is None:
        return None, page, 1
    body = page[match.end() :].removeprefix("\r").removeprefix("\n")
    return match.group(1), body, page[: len(page) - len(body)].count("\n") + 1


def parse_blocks(body: str, first_line: int = 1) -> list[Block]:
    """Split a markdown body into headings, paragraphs, pipe tables and fenced code blocks.

    HTML comments are removed first (:func:`without_html_comments`). A fence opens with three or
    more backticks or tildes, indented by up to three spaces, and closes with a line of at least
    as many of the same character; an unclosed fence runs to the end of the body. A table is a
    line holding ``|`` followed by a delimiter row (``| --- | :-: |``) and runs while lines hold
    ``|`` and are not blank. Lists, quotes and indented code are read as paragraphs.

    Args:
        body: the markdown, without front matter.
        first_line: the page line number of the body's first line, so blocks carry page lines.

    >>> body = "# Results\\nOn ImageNet:\\n\\n| model | top-1 |\\n|---|---|\\n| a | 76.1 |\\n"
    >>> for block in parse_blocks(body, 5):
    ...     print(block.kind, block.line, repr(block.text), block.rows)
    heading 5 'Results' ()
    paragraph 6 'On ImageNet:' ()
    table 8 '' (('model', 'top-1'), ('a', '76.1'))
    >>> parse_blocks("```python\\nimport torch\\n```")
    [Block(kind='code', line=1, text='import torch', rows=())]
    """
    lines = without_html_comments(body).splitlines()
    blocks: list[Block] = []
    paragraph: list[str] = []

    def flush(end: int) -> None:
        if paragraph:
            start = first_line + end - len(paragraph)
            blocks.append(Block("paragraph", start, " ".join(s.strip() for s in paragraph)))
            paragraph.clear()

    i = 0
    while i < len(lines):
        line = lines[i][:MAX_LINE_CHARS]
        fence = _FENCE.match(line)
        if fence:
            flush(i)
            end = _closing_fence(lines, i + 1, fence.group(1))
            blocks.append(Block("code", first_line + i, "\n".join(lines[i + 1 : end])))
            i = end + 1
        elif _HEADING.match(line):
            flush(i)
            blocks.append(Block("heading", first_line + i, line.strip().lstrip("#").strip()))
            i += 1
        elif _is_table_start(lines, i):
            flush(i)
            end = i + 2
            while end < len(lines) and "|" in lines[end] and lines[end].strip():
                end += 1
            rows = [split_table_row(lines[i]), *(split_table_row(r) for r in lines[i + 2 : end])]
            blocks.append(Block("table", first_line + i, rows=tuple(rows[: MAX_TABLE_ROWS + 1])))
            i = end
        else:
            if line.strip():
                paragraph.append(line)
            else:
                flush(i)
            i += 1
    flush(len(lines))
    return blocks


def without_html_comments(body: str) -> str:
    """``<!-- ... -->`` removed, keeping its line breaks so line numbers stay right.

    An unclosed ``<!--`` is kept as text, with everything after it.

    >>> without_html_comments("a<!-- x\\ny -->b <!-- open")
    'a\\nb <!-- open'
    """
    parts: list[str] = []
    position = 0
    while (start := body.find("<!--", position)) >= 0:
        end = body.find("-->", start + 4)
        if end < 0:
            break
        parts += [body[position:start], "\n" * body.count("\n", start, end)]
        position = end + 3
    return "".join(parts) + body[position:]


def _closing_fence(lines: list[str], start: int, opening: str) -> int:
    """Index of the line closing a fence opened with ``opening`` (end of page if unclosed)."""
    closing = re.compile(rf"^ {{0,3}}{re.escape(opening[0])}{{{len(opening)},}}\s*$")
    for index in range(start, len(lines)):
        if closing.match(lines[index]):
            return index
    return len(lines)


def _is_table_start(lines: list[str], i: int) -> bool:
    """Whether ``lines[i]`` is a table's header row, followed by a delimiter row."""
    if i + 1 >= len(lines) or "|" not in lines[i] or "|" not in lines[i + 1]:
        return False
    delimiter = lines[i + 1]
    if len(delimiter) > MAX_LINE_CHARS or "-" not in delimiter:
        return False
    return bool(_TABLE_DELIMITER.match(delimiter))


def split_table_row(line: str) -> tuple[str, ...]:
    """The cells of a pipe-table row, stripped, outer pipes removed.

    An escaped pipe (``\\|``) stays inside its cell, backslash included. Cells are not padded or
    cut to the header's width: callers check a column index against the row's length.

    >>> split_table_row("| a | `b` |c|")
    ('a', '`b`', 'c')
    >>> split_table_row(r"| a \\| b | c \\|")
    ('a \\\\| b', 'c \\\\|')
    """
    stripped = line[:MAX_LINE_CHARS].strip()
    stripped = stripped.removeprefix("|")
    if stripped.endswith("|") and not stripped.endswith("\\|"):
        stripped = stripped[:-1]
    return tuple(cell.strip() for cell in _UNESCAPED_PIPE.split(stripped))


def text_blocks_before(blocks: Sequence[Block], index: int, *, max_blocks: int) -> Iterator[Block]:
    """The paragraphs and headings before ``blocks[index]`` in its section, nearest first.

    Walks back at most ``max_blocks`` blocks; tables and code are passed over. The heading that
    opens the section is the last block yielded, so text from an earlier section never counts.

    >>> blocks = parse_blocks("# A\\nfar\\n## B\\nnear\\n\\n```\\ncode\\n```\\n\\n| t |\\n|---|")
    >>> [block.text for block in text_blocks_before(blocks, 5, max_blocks=10)]
    ['near', 'B']
    """
    for block in reversed(blocks[max(0, index - max_blocks) : index]):
        if block.kind in {"paragraph", "heading"}:
            yield block
            if block.kind == "heading":
                return


def plain_text(markdown: str) -> str:
    """Inline markdown/HTML to plain text: links keep their text, images, tags and emphasis go.

    Whitespace runs become one space. Input past :data:`MAX_PLAIN_CHARS` is cut first. An
    underscore goes only at a word's edge, one per edge: ``snake_case`` stays, ``__x__`` gives
    ``_x_``.

    >>> plain_text("[**YOLOv5s**](https://x.y/a.pt)<br>`b`")
    'YOLOv5s b'
    >>> plain_text("![logo](a.png) _snake_case_ stays")
    'snake_case stays'
    """
    value = re.sub(r"!\[[^\]]{0,500}\]\([^)]{0,2000}\)", "", markdown[:MAX_PLAIN_CHARS])
    value = re.sub(r"\[([^\]]{0,500})\]\([^)]{0,2000}\)", r"\1", value)
    value = re.sub(r"<[^>]{0,200}>", " ", value)
    value = re.sub(r"[`*]|(?<!\w)_|_(?!\w)", "", value)
    return re.sub(r"\s+", " ", value).strip()


def strip_quotes(value: str) -> str:
    """Drop one pair of quotes around a whole value (``“cuda-optional”`` → ``cuda-optional``).

    Straight, curly and guillemet quotes count; quotes inside the value are kept.

    >>> strip_quotes("“cuda-optional”"), strip_quotes('The “best” model')
    ('cuda-optional', 'The “best” model')
    """
    if len(value) >= 2 and value[0] in _OPEN_QUOTES and value[-1] in _CLOSE_QUOTES:
        return value[1:-1].strip()
    return value


def parse_number(cell: str) -> tuple[float | None, bool]:
    """The number in a table cell, and whether it carried a ``%`` sign.

    The cell is read as :func:`plain_text` first, so ``**76.1**`` is a number; anything more
    than one number (``76.1 ± 0.2``, ``n/a``, ``1,000``) gives ``(None, False)``. The value is
    returned as written: dividing a percent by 100 is the caller's decision.

    >>> parse_number("**76.1%**"), parse_number(" .5 "), parse_number("76.1 (ours)")
    ((76.1, True), (0.5, False), (None, False))
    """
    match = _NUMBER.match(plain_text(cell))
    return (float(match.group(1)), bool(match.group(2))) if match else (None, False)
