"""``torch.hub.load(...)`` calls in a page's code blocks: which repository, ref and entrypoint.

A variable entrypoint is recorded as unknown, never guessed; commented-out calls list variants.
"""

from __future__ import annotations

import ast
import logging
import re
from dataclasses import dataclass
from itertools import islice

from crawlers._markdown import (
    Block,
    plain_text,
)
from crawlers.pytorch_hub._limits import MAX_CALL_CHARS, MAX_CALLS, UNKNOWN_PREFIX
from mlkg.rdf import clean_text

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadCall:
    """One ``torch.hub.load(...)``; ``entrypoint`` is ``None`` when it is not a string literal."""

    line: int
    repo: str | None
    ref: str | None
    entrypoint: str | None
    expression: str


@dataclass(frozen=True)
class Entrypoint:
    """An entrypoint of the page (``name`` ``None``: the page's model with unknown entrypoint)."""

    name: str | None
    repo: str | None
    ref: str | None


_LOAD = re.compile(r"torch\.hub\.load\s*\(")
_COMMENT_LEAD = re.compile(r"[ \t]*#")
_REPO = re.compile(r"(?!\.\.?/)[A-Za-z0-9_.-]{1,100}/(?!\.\.?$)[A-Za-z0-9_.-]{1,100}")
_REF = re.compile(r"[^\s\x00-\x1f\x7f]{1,200}")
_ENTRYPOINT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}")


def find_load_calls(code: str, first_line: int) -> tuple[list[LoadCall], list[str]]:
    """Every ``torch.hub.load(`` in a code block, commented-out ones included."""
    calls: list[LoadCall] = []
    warnings: list[str] = []
    line, counted = first_line, 0
    for match in islice(_LOAD.finditer(code), MAX_CALLS):
        line_start = code.rfind("\n", 0, match.start()) + 1
        line += code.count("\n", counted, match.start())
        counted = match.start()
        commented = "#" in code[line_start : match.start()]
        arguments = call_arguments(code, match.end() - 1, commented=commented)
        call = _parse_call(arguments, line) if arguments is not None else None
        if call is None:
            warnings.append(f"line {line}: could not read the torch.hub.load(...) call; skipped")
        elif isinstance(call, str):
            warnings.append(call)
        else:
            calls.append(call)
    return calls, warnings


def call_arguments(code: str, open_paren: int, *, commented: bool) -> str | None:
    """The text between a call's parentheses, string- and comment-aware; ``None`` if unbalanced.

    In a commented-out call the ``#`` that starts each continuation line is dropped.

    >>> call_arguments("f('a)', # x\\n 'b')", 1, commented=False)
    "'a)', \\n 'b'"
    """
    out: list[str] = []
    depth, quote_char, i = 0, "", open_paren
    end = min(len(code), open_paren + MAX_CALL_CHARS)
    while i < end:
        char = code[i]
        if quote_char:
            out.append(char)
            if char == "\\" and i + 1 < end:
                out.append(code[i + 1])
                i += 1
            elif char == quote_char:
                quote_char = ""
            elif char == "\n":
                return None
        elif char == "#":
            newline = code.find("\n", i, end)
            i = end if newline < 0 else newline
            continue
        elif char == "\n" and commented and (lead := _COMMENT_LEAD.match(code, i + 1)):
            out.append(char)
            i = lead.end()
            continue
        else:
            out.append(char)
            if char in "'\"":
                quote_char = char
            elif char in "([{":
                depth += 1
            elif char in ")]}":
                depth -= 1
                if depth == 0:
                    return "".join(out[1:-1])
        i += 1
    return None


def _parse_call(arguments: str, line: int) -> LoadCall | str | None:
    """A :class:`LoadCall`, a warning (str) for an unusable repository, or ``None`` (unparsable)."""
    try:
        call = ast.parse(f"_({arguments})", mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if not isinstance(call, ast.Call):
        return None
    repo_node = _argument(call, 0, "repo_or_dir")
    model_node = _argument(call, 1, "model")
    repo, ref = _split_repo(_literal(repo_node))
    if repo is None and _literal(repo_node) is not None:
        where = f"line {line}: torch.hub.load repository {_literal(repo_node)!r}"
        return f"{where} is not a GitHub owner/name[:ref]; call skipped"
    if model_node is None:
        return f"line {line}: torch.hub.load call names no entrypoint; skipped"
    expression = clean_text(ast.unparse(model_node), max_length=80)
    return LoadCall(line, repo, ref, _literal(model_node), expression)


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    for item in call.keywords:
        if item.arg == keyword:
            return item.value
    positional = []
    for arg in call.args:
        if isinstance(arg, ast.Starred):
            break
        positional.append(arg)
    return positional[position] if len(positional) > position else None


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _split_repo(value: str | None) -> tuple[str | None, str | None]:
    """``'pytorch/vision:v0.10.0'`` → ``('pytorch/vision', 'v0.10.0')``; invalid → ``(None, None)``.

    >>> _split_repo("pytorch/vision:v0.10.0"), _split_repo("./local/dir")
    (('pytorch/vision', 'v0.10.0'), (None, None))
    """
    if value is None:
        return None, None
    repo, _, ref = value.strip().partition(":")
    if not _REPO.fullmatch(repo) or (ref and not _REF.fullmatch(ref)):
        return None, None
    return repo, ref or None


def collect_entrypoints(
    blocks: list[Block], github_id: str | None, stem: str
) -> tuple[list[Entrypoint], list[str]]:
    """The page's entrypoints in order of first appearance (``None`` name: the unknown one)."""
    warnings: list[str] = []
    calls: list[LoadCall] = []
    for block in blocks:
        if block.kind == "code":
            found, notes = find_load_calls(block.text, block.line + 1)
            calls.extend(found)
            warnings.extend(notes)
    found_entrypoints: dict[str | None, Entrypoint] = {}
    for call in calls:
        warning = _add_call(call, call.repo or github_id, stem, found_entrypoints)
        if warning:
            warnings.append(warning)
    _add_table_entrypoints(blocks, calls, github_id, found_entrypoints, warnings)
    if github_id and any(c.repo and c.repo.lower() != github_id.lower() for c in calls):
        others = sorted({c.repo for c in calls if c.repo and c.repo.lower() != github_id.lower()})
        warnings.append(
            f"load calls name {', '.join(others)} but github-id is {github_id}; "
            "model ids use github-id"
        )
    if not found_entrypoints:
        warnings.append(
            "no torch.hub.load call in the page's code blocks; recorded the page as one model "
            f"with unknown entrypoint ({UNKNOWN_PREFIX}{stem})"
        )
        found_entrypoints[None] = Entrypoint(None, github_id, None)
    return list(found_entrypoints.values()), warnings


def _add_call(
    call: LoadCall, repo: str | None, stem: str, found: dict[str | None, Entrypoint]
) -> str | None:
    """Record one call's entrypoint in ``found``; return a warning if there is something to say."""
    name = call.entrypoint
    if name is None:
        found.setdefault(None, Entrypoint(None, repo, call.ref))
        return (
            f"line {call.line}: entrypoint is {call.expression!r}, not a string literal; "
            f"recorded as the page's model with unknown entrypoint ({UNKNOWN_PREFIX}{stem})"
        )
    if (problem := entrypoint_problem(name)) is not None:
        return f"line {call.line}: entrypoint {name[:80]!r} {problem}"
    first = found.setdefault(name, Entrypoint(name, repo, call.ref))
    if (first.repo, first.ref) != (repo, call.ref):
        return (
            f"line {call.line}: {name} is also loaded from {repo}:{call.ref}; "
            "kept the first repository and ref"
        )
    return None


def entrypoint_problem(name: str) -> str | None:
    """Why ``name`` cannot be an entrypoint (control characters, spaces, slashes...), or None."""
    if _ENTRYPOINT.fullmatch(name):
        return None
    if re.search(r"[\x00-\x1f\x7f]", name):
        return "contains control characters; skipped"
    return "is not a valid entrypoint name (letters, digits, _ . - only); skipped"


def _add_table_entrypoints(
    blocks: list[Block],
    calls: list[LoadCall],
    github_id: str | None,
    named: dict[str | None, Entrypoint],
    warnings: list[str],
) -> None:
    """Entrypoints listed in a table whose first column is headed "entrypoint"."""
    sources = {(c.repo, c.ref) for c in calls if c.repo}
    repo, ref = sources.pop() if len(sources) == 1 else (github_id, None)
    for block in blocks:
        if block.kind != "table" or not is_entrypoint_table(block):
            continue
        for row in block.rows[1:]:
            name = plain_text(row[0]) if row else ""
            if name and entrypoint_problem(name) is None:
                named.setdefault(name, Entrypoint(name, repo, ref))
            elif name:
                warnings.append(f"table at line {block.line}: {name[:80]!r} is not an entrypoint")


def is_entrypoint_table(table: Block) -> bool:
    """Whether a table lists entrypoints (its first column is headed "entrypoint")."""
    return re.search(r"entry ?point", plain_text(table.rows[0][0]), re.I) is not None
