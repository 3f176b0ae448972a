"""Query formulas: Boolean combinations of labels, parsed, flattened and classified.

A query is a formula over labels with ``&`` (AND), ``|`` (OR) and parentheses; ``&`` binds
tighter than ``|`` (so ``bus & person | bottle`` is ``(bus & person) | bottle``, as in the
authors' workloads). ``and``/``or`` are accepted as words, and a label with spaces can be
quoted (``"cell phone"``). Label names are normalised to one key: lower case, runs of spaces and
hyphens become ``_`` (``Cell Phone`` → ``cell_phone``), so the zoos' spellings meet.

Normalisation flattens nested operators of the same kind (``a & (b & c)`` → ``a & b & c``),
drops repeated operands (``a & a`` → ``a``) and classifies the result:

* **DNF**: an OR of AND-groups (a single label or a single AND-group counts as DNF);
* **CNF**: an AND of OR-groups;
* **nested**: anything deeper, e.g. ``a & (b | (c & d))``.

The estimated accuracy is computed along the flattened formula (AND multiplies, OR is
``a + b - ab``), which for DNF and CNF formulas is exactly the authors' step-by-step estimate. The
order-aware cost model needs the groups of a DNF or CNF in which every label occurs once; nested
formulas work with the selection-only cost model.

>>> f = parse_formula("(person & car) | Bus")
>>> f.form, f.groups, f.labels
('DNF', (('person', 'car'), ('bus',)), ('person', 'car', 'bus'))
>>> str(parse_formula("(bottle | tv) & chair"))
'(bottle | tv) & chair'
>>> round(f.accuracy({"person": 0.9, "car": 0.8, "bus": 0.5}), 4)
0.86
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from mlkg.errors import FormulaSyntaxError

#: Longest formula text accepted (characters) and most distinct labels in one query.
MAX_FORMULA_LENGTH = 10_000
MAX_LABELS = 64
#: Deepest parenthesis nesting accepted (bounds the recursive parser).
MAX_DEPTH = 50

Form = Literal["DNF", "CNF", "nested"]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<lparen>\() | (?P<rparen>\)) | (?P<and>&&?|∧) | (?P<or>\|\|?|∨)
      | "(?P<dq>[^"]*)" | '(?P<sq>[^']*)'
      | (?P<word>[^\s()&|"'∧∨]+)
    )""",
    re.VERBOSE,
)


def label_key(name: str) -> str:
    """The normalised key of a label name: lower case, spaces and hyphens as ``_``.

    >>> label_key(" Cell  Phone "), label_key("traffic-light"), label_key("fire_hydrant")
    ('cell_phone', 'traffic_light', 'fire_hydrant')
    """
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


@dataclass(frozen=True)
class Node:
    """A formula node: ``op`` is ``label``, ``and`` or ``or``."""

    op: Literal["label", "and", "or"]
    name: str = ""
    children: tuple[Node, ...] = ()

    def __str__(self) -> str:
        return render(self)


@dataclass(frozen=True)
class Formula:
    """A parsed, flattened query formula.

    Attributes:
        text: the text as the user wrote it.
        root: the flattened tree.
        labels: the distinct label keys, in order of first appearance.
        form: ``DNF``, ``CNF`` or ``nested``.
        groups: for DNF the AND-groups, for CNF the OR-clauses, each a tuple of labels; ``None``
            for nested formulas.
        read_once: every label occurs once in the groups (the order-aware cost needs this).
    """

    text: str
    root: Node
    labels: tuple[str, ...]
    form: Form
    groups: tuple[tuple[str, ...], ...] | None
    read_once: bool = field(default=True)

    def __str__(self) -> str:
        return render(self.root)

    def accuracy(self, values: Mapping[str, float]) -> float:
        """The estimated accuracy: per-label accuracies combined along the formula."""
        return evaluate(self.root, values)


def evaluate(node: Node, values: Mapping[str, float]) -> float:
    """AND multiplies; OR is ``1 - Π(1 - x)``, i.e. ``a + b - ab`` applied pairwise."""
    if node.op == "label":
        return values[node.name]
    parts = [evaluate(child, values) for child in node.children]
    if node.op == "and":
        return math.prod(parts)
    return 1.0 - math.prod(1.0 - p for p in parts)


def render(node: Node, parent: str | None = None) -> str:
    """Canonical text: ``&`` groups in parentheses inside an OR, ORs inside an AND."""
    if node.op == "label":
        return node.name
    sep = " & " if node.op == "and" else " | "
    text = sep.join(render(child, node.op) for child in node.children)
    return f"({text})" if parent is not None else text


def parse_formula(text: str) -> Formula:
    """Parse, flatten and classify a query formula.

    Raises:
        FormulaSyntaxError: empty text, an unknown character sequence, unbalanced parentheses,
            a missing operand, too long or too deeply nested.
    """
    if not isinstance(text, str) or not text.strip():
        raise FormulaSyntaxError("the formula is empty", text=str(text or ""), position=0)
    if len(text) > MAX_FORMULA_LENGTH:
        raise FormulaSyntaxError(
            f"the formula is longer than {MAX_FORMULA_LENGTH} characters", text="", position=0
        )
    root = flatten(_Parser(text).parse())
    labels = tuple(dict.fromkeys(_leaves(root)))
    if len(labels) > MAX_LABELS:
        raise FormulaSyntaxError(
            f"the formula has {len(labels)} labels; at most {MAX_LABELS} are supported",
            text="",
            position=0,
        )
    form, groups = classify(root)
    read_once = groups is not None and sum(len(g) for g in groups) == len(labels)
    return Formula(text, root, labels, form, groups, read_once)


def _leaves(node: Node) -> list[str]:
    if node.op == "label":
        return [node.name]
    return [name for child in node.children for name in _leaves(child)]


def flatten(node: Node) -> Node:
    """Merge nested operators of the same kind, drop repeated operands, unwrap singletons."""
    if node.op == "label":
        return node
    children: list[Node] = []
    for child in (flatten(c) for c in node.children):
        merged = child.children if child.op == node.op else (child,)
        children.extend(c for c in merged if c not in children)
    if len(children) == 1:
        return children[0]
    return Node(node.op, children=tuple(children))


def classify(root: Node) -> tuple[Form, tuple[tuple[str, ...], ...] | None]:
    """The normal form of a flattened formula and its groups (see the module docstring)."""
    if root.op == "label":
        return "DNF", ((root.name,),)
    if all(child.op == "label" for child in root.children):
        names = tuple(child.name for child in root.children)
        return "DNF", ((names,) if root.op == "and" else tuple((n,) for n in names))
    inner = "and" if root.op == "or" else "or"
    if all(c.op == "label" or (c.op == inner and _all_labels(c)) for c in root.children):
        groups = tuple(
            (c.name,) if c.op == "label" else tuple(g.name for g in c.children)
            for c in root.children
        )
        return ("DNF" if root.op == "or" else "CNF"), groups
    return "nested", None


def _all_labels(node: Node) -> bool:
    return all(child.op == "label" for child in node.children)


class _Parser:
    """Recursive descent: ``expr := term ('|' term)*``, ``term := factor ('&' factor)*``."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = self._tokenize(text)
        self.pos = 0
        self.depth = 0

    def _tokenize(self, text: str) -> list[tuple[str, str, int]]:
        tokens: list[tuple[str, str, int]] = []
        index = 0
        while index < len(text):
            if text[index].isspace():
                index += 1
                continue
            match = _TOKEN.match(text, index)
            if match is None or match.end() == index:
                raise FormulaSyntaxError(
                    f"unexpected character {text[index]!r}", text=text, position=index
                )
            kind = match.lastgroup or ""
            value = match.group(kind) if kind else ""
            start = match.start(kind) if kind else index
            if kind == "word" and value.lower() in ("and", "or"):
                kind = value.lower()
            if kind in ("dq", "sq"):
                kind = "word"
            tokens.append((kind, value, start))
            index = match.end()
        return tokens

    def _peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _fail(self, message: str) -> FormulaSyntaxError:
        token = self._peek()
        position = token[2] if token else len(self.text.rstrip())
        return FormulaSyntaxError(message, text=self.text, position=position)

    def parse(self) -> Node:
        node = self._expr()
        if self._peek() is not None:
            kind = self._peek()[0]
            if kind == "rparen":
                raise self._fail("unbalanced ')'")
            raise self._fail("expected '&' or '|' between labels")
        return node

    def _expr(self) -> Node:
        return self._sequence("or", self._term)

    def _term(self) -> Node:
        return self._sequence("and", self._factor)

    def _sequence(self, op: Literal["and", "or"], operand: Callable[[], Node]) -> Node:
        """``operand (op operand)*`` as one node (or the operand alone)."""
        parts = [operand()]
        while (token := self._peek()) is not None and token[0] == op:
            self.pos += 1
            parts.append(operand())
        return parts[0] if len(parts) == 1 else Node(op, children=tuple(parts))

    def _factor(self) -> Node:
        token = self._peek()
        if token is None:
            raise self._fail("expected a label or '(' but the formula ended")
        kind, value, _ = token
        if kind == "lparen":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self._fail(f"parentheses nested deeper than {MAX_DEPTH}")
            self.pos += 1
            node = self._expr()
            if (closing := self._peek()) is None or closing[0] != "rparen":
                raise self._fail("missing ')'")
            self.pos += 1
            self.depth -= 1
            return node
        if kind == "word":
            if value.lower() == "not" or value[:1] in "!~¬":
                raise self._fail("negation is not supported: a query combines labels with & and |")
            key = label_key(value)
            if not key or not re.fullmatch(r"[\w.:/+_]+", key):
                raise self._fail(f"{value!r} is not a label name")
            self.pos += 1
            return Node("label", name=key)
        raise self._fail(f"expected a label or '(' but found {value!r}")
