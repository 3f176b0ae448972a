"""The shared markdown helpers of the crawlers (crawlers/_markdown.py), on tiny hand-written pages.

The crawler tests check what the mappers make of real pages; these pin the markdown rules
themselves: where blocks start and end, how table rows split, what counts as a number.
"""

from __future__ import annotations

import doctest

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawlers import _markdown
from crawlers._markdown import (
    MAX_PLAIN_CHARS,
    MAX_TABLE_ROWS,
    Block,
    parse_blocks,
    parse_number,
    plain_text,
    split_front_matter,
    split_table_row,
    strip_quotes,
    text_blocks_before,
    without_html_comments,
)


def kinds(blocks: list[Block]) -> list[str]:
    return [block.kind for block in blocks]


def test_docstring_examples_run():
    result = doctest.testmod(_markdown)
    assert result.attempted > 0
    assert result.failed == 0


# -- front matter ----------------------------------------------------------------------------


def test_front_matter_is_split_off_with_the_body_line_number():
    front, body, line = split_front_matter("---\ntitle: A\ntags: [x]\n---\n\n# Body\n")
    assert front == "title: A\ntags: [x]\n"
    assert body == "\n# Body\n"
    assert line == 5


def test_front_matter_with_crlf_line_ends():
    front, body, line = split_front_matter("---\r\ntitle: A\r\n---\r\nbody")
    assert front == "title: A\r\n"
    assert body == "body"
    assert line == 4


@pytest.mark.parametrize(
    "page",
    [
        "no front matter\n---\n",
        "\n---\ntitle: A\n---\nbody",  # not on the first line
        "---\ntitle: A\nnever closed\n",
    ],
)
def test_no_front_matter_leaves_the_page_whole(page):
    assert split_front_matter(page) == (None, page, 1)


# -- blocks ----------------------------------------------------------------------------------


def test_headings_paragraphs_and_line_numbers():
    blocks = parse_blocks("## Model\nfirst line\n  second line\n\nnext\n#hashtag text", 10)
    assert blocks == [
        Block("heading", 10, "Model"),
        Block("paragraph", 11, "first line second line"),
        Block("paragraph", 14, "next #hashtag text"),
    ]


def test_heading_may_be_empty_and_closing_hashes_are_not_stripped():
    assert parse_blocks("#\n### Title ###") == [
        Block("heading", 1, ""),
        Block("heading", 2, "Title ###"),
    ]


def test_code_fence_with_and_without_language():
    body = "```python\nimport torch\n```\ntext\n```\nplain\n```"
    assert parse_blocks(body) == [
        Block("code", 1, "import torch"),
        Block("paragraph", 4, "text"),
        Block("code", 5, "plain"),
    ]


def test_tilde_fence_and_a_longer_closing_fence():
    assert parse_blocks("~~~ bash\nls\n~~~~\nafter") == [
        Block("code", 1, "ls"),
        Block("paragraph", 4, "after"),
    ]


def test_fence_closes_only_with_its_own_character_and_at_least_its_length():
    body = "````\n```\n~~~~\n````\nafter"
    assert parse_blocks(body) == [Block("code", 1, "```\n~~~~"), Block("paragraph", 5, "after")]


def test_unclosed_fence_runs_to_the_end_of_the_body():
    assert parse_blocks("text\n```\ncode\n| a | b |\n|---|---|") == [
        Block("paragraph", 1, "text"),
        Block("code", 2, "code\n| a | b |\n|---|---|"),
    ]


def test_fence_indented_four_spaces_is_not_a_fence():
    assert kinds(parse_blocks("    ```\n    code")) == ["paragraph"]


def test_code_keeps_its_lines_as_written():
    code = "model = torch.hub.load(\n    'pytorch/vision',  # comment\n\n    'resnet18')"
    assert parse_blocks(f"```py\n{code}\n```")[0].text == code


def test_table_with_alignment_row_ends_at_a_blank_line():
    body = "| model | top-1 |\n| :--- | ---: |\n| a | 76.1 |\n| b | 77.2 |\n\nafter"
    assert parse_blocks(body) == [
        Block("table", 1, rows=(("model", "top-1"), ("a", "76.1"), ("b", "77.2"))),
        Block("paragraph", 6, "after"),
    ]


def test_table_without_outer_pipes_ends_at_a_line_without_a_pipe():
    body = "model | top-1\n--- | ---\na | 76.1\nnot a row"
    blocks = parse_blocks(body)
    assert blocks[0].rows == (("model", "top-1"), ("a", "76.1"))
    assert blocks[1] == Block("paragraph", 4, "not a row")


def test_table_rows_may_be_ragged():
    body = "| a | b | c |\n|---|---|---|\n| 1 |\n| 1 | 2 | 3 | 4 |\n| |"
    assert parse_blocks(body)[0].rows == (("a", "b", "c"), ("1",), ("1", "2", "3", "4"), ("",))


@pytest.mark.parametrize(
    "body",
    [
        "| a | b |\nno delimiter row",
        "| a | b |\n| x | y |",
        "a | b\n|===|===|",
    ],
)
def test_pipes_without_a_delimiter_row_are_a_paragraph(body):
    assert kinds(parse_blocks(body)) == ["paragraph"]


def test_table_keeps_its_header_and_at_most_max_table_rows():
    body = "| a |\n|---|\n" + "| 1 |\n" * (MAX_TABLE_ROWS + 5)
    rows = parse_blocks(body)[0].rows
    assert len(rows) == MAX_TABLE_ROWS + 1
    assert rows[0] == ("a",)


def test_html_comments_are_dropped_and_line_numbers_kept():
    body = "<!-- a\nmulti-line\ncomment -->\n# Heading <!-- inline -->\ntext"
    assert parse_blocks(body) == [Block("heading", 4, "Heading"), Block("paragraph", 5, "text")]


def test_without_html_comments_keeps_an_unclosed_comment():
    assert without_html_comments("a <!-- b --> c <!-- d") == "a  c <!-- d"


# -- table rows ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "cells"),
    [
        ("| a | b |", ("a", "b")),
        ("a | b", ("a", "b")),
        ("|a|", ("a",)),
        ("| a || c |", ("a", "", "c")),
        ("| `x` | [y](z) |", ("`x`", "[y](z)")),
        (r"| a \| b | c |", (r"a \| b", "c")),
        (r"| a | b \|", ("a", r"b \|")),
        ("|", ("",)),
        ("", ("",)),
    ],
)
def test_split_table_row(line, cells):
    assert split_table_row(line) == cells


# -- sections --------------------------------------------------------------------------------


SECTIONED = parse_blocks(
    "# Models\nTrained on ImageNet.\n## Results\nOn COCO:\n\n```\ncode\n```\n"
    "| model | mAP |\n|---|---|\n| a | 0.5 |\n"
)


def test_text_before_a_block_stops_at_its_section_heading():
    table = kinds(SECTIONED).index("table")
    assert [b.text for b in text_blocks_before(SECTIONED, table, max_blocks=10)] == [
        "On COCO:",
        "Results",
    ]


def test_text_before_a_block_looks_back_at_most_max_blocks():
    table = kinds(SECTIONED).index("table")
    assert [b.text for b in text_blocks_before(SECTIONED, table, max_blocks=1)] == []
    assert [b.text for b in text_blocks_before(SECTIONED, table, max_blocks=2)] == ["On COCO:"]


def test_text_before_the_first_block_is_empty():
    assert list(text_blocks_before(SECTIONED, 0, max_blocks=10)) == []


def test_text_before_without_a_heading_reaches_the_start():
    blocks = parse_blocks("one\n\ntwo\n\n| t |\n|---|")
    assert [b.text for b in text_blocks_before(blocks, 2, max_blocks=10)] == ["two", "one"]


# -- inline text -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "text"),
    [
        ("[**ResNet-50**](https://x.y/r50)", "ResNet-50"),
        ("![arch](a.png) text", "text"),
        ("a<br/>b <sup>1</sup>", "a b 1"),
        ("`resnet18` *and* **bold**", "resnet18 and bold"),
        ("snake_case_name _emphasis_", "snake_case_name emphasis"),
        ("  spread \t over\nlines  ", "spread over lines"),
        ("", ""),
    ],
)
def test_plain_text(markdown, text):
    assert plain_text(markdown) == text


def test_plain_text_cuts_long_input_first():
    assert plain_text("a" * (MAX_PLAIN_CHARS + 100)) == "a" * MAX_PLAIN_CHARS


@pytest.mark.parametrize(
    ("value", "stripped"),
    [
        ("“cuda-optional”", "cuda-optional"),
        ('" spaced "', "spaced"),
        ("'single'", "single"),
        ("«guillemets»", "guillemets"),
        ("The “best” model", "The “best” model"),
        ('"', '"'),
        ("plain", "plain"),
    ],
)
def test_strip_quotes(value, stripped):
    assert strip_quotes(value) == stripped


# -- numbers in cells ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "parsed"),
    [
        ("76.1", (76.1, False)),
        ("76.1%", (76.1, True)),
        ("76.1 %", (76.1, True)),
        ("**76.1%**", (76.1, True)),
        ("<b>0.5</b>", (0.5, False)),
        (".5", (0.5, False)),
        ("76.", (76.0, False)),
        ("-3", (-3.0, False)),
        ("+3", (3.0, False)),
        ("  42  ", (42.0, False)),
        ("76.1 ± 0.2", (None, False)),
        ("1,000", (None, False)),
        ("76.1 (ours)", (None, False)),
        ("%", (None, False)),
        ("-", (None, False)),
        ("n/a", (None, False)),
        ("", (None, False)),
    ],
)
def test_parse_number(cell, parsed):
    assert parse_number(cell) == parsed


# -- totality --------------------------------------------------------------------------------

MARKDOWN_PIECES = st.sampled_from(
    ["|", " | ", "---", ":-:", "\n", "```", "~~~", "#", "# ", "<!--", "-->", "\\|", "*", "_", "`"]
)


@given(st.lists(st.one_of(MARKDOWN_PIECES, st.text(max_size=4)), max_size=40).map("".join))
def test_any_text_parses_into_blocks_within_the_body(body):
    blocks = parse_blocks(body, 7)
    last_line = 7 + max(len(body.splitlines()) - 1, 0)
    assert all(7 <= block.line <= last_line for block in blocks)
    assert all(block.rows for block in blocks if block.kind == "table")
    assert split_front_matter(body)[1] in body
    plain_text(body)
    parse_number(body)
