"""Bounded CEL rules (``specs/issuance-policy.md`` §4): a static analysis, then one compiled program.

Google's Common Expression Language is evaluated by the pinned ``common-expression-language``
package (imported as ``cel``; a Rust core, no ``eval``). That package exposes no syntax tree,
so before compiling anything this module parses the expression itself, with a small
recursive-descent parser of the CEL grammar that stops at the first bound it crosses:
source size, syntax-tree depth and comprehension (macro) nesting. The same pass lists the
evidence claims the expression reads, so a rule that reads a claim its evidence does not
declare is refused when the policy loads, not when a citizen applies.

The parser decides nothing about a value: anything it cannot read is refused
(``approval.policy_expression_invalid``), so where it and the evaluator could disagree, the
policy does not load.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from did_gov.errors import ApprovalError

__all__ = [
    "MAX_COMPREHENSION_NESTING",
    "MAX_DEPTH",
    "MAX_EXPRESSION_BYTES",
    "Activation",
    "Analysis",
    "Rule",
]

MAX_EXPRESSION_BYTES = 4096
"""Longest expression, in UTF-8 bytes."""
MAX_DEPTH = 32
"""Deepest syntax tree (a chain of one logical operator counts as one level)."""
MAX_COMPREHENSION_NESTING = 2
"""Most macros (``all``, ``exists``, ``exists_one``, ``map``, ``filter``) nested in each other."""

COST_PER_ITEM = 4
"""Work units of one macro iteration; ``map`` and ``filter`` add n² for the list they build
(the pinned evaluator copies it on every append: 2,500 items take ~1.5 s)."""
COST_UNITS_PER_MS = 250
"""Work units a policy may spend per millisecond of its time budget (≈ 4 µs a unit, measured)."""
MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+|//[^\n]*)
  | (?P<string>(?:[rR][bB]?|[bB][rR]?)?(?:\"\"\"(?:\\.|[^\\])*?\"\"\"|'''(?:\\.|[^\\])*?'''
        |"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'))
  | (?P<number>0[xX][0-9a-fA-F]+[uU]?|(?:[0-9]+\.[0-9]+|\.[0-9]+)(?:[eE][+-]?[0-9]+)?
        |[0-9]+[eE][+-]?[0-9]+|[0-9]+[uU]?)
  | (?P<ident>[_a-zA-Z][_a-zA-Z0-9]*)
  | (?P<op>&&|\|\||==|!=|<=|>=|[<>!+\-*/%?:.,()\[\]{}])
    """,
    re.VERBOSE | re.DOTALL,
)
_RESERVED = frozenset(
    [
        "as",
        "break",
        "const",
        "continue",
        "else",
        "for",
        "function",
        "if",
        "import",
        "let",
        "loop",
        "package",
        "namespace",
        "return",
        "var",
        "void",
        "while",
    ]
)
_LITERALS = frozenset({"true", "false", "null"})
_RELATIONS = frozenset({"<", "<=", ">", ">=", "==", "!=", "in"})


def _invalid(message: str, code: str = "approval.policy_expression_invalid") -> ApprovalError:
    return ApprovalError(message, code=code)


@dataclass(frozen=True)
class Analysis:
    """What the static pass learnt: depth, comprehension nesting, and the claims read.

    ``paths`` are ``(variable, member, ...)`` tuples of member selections rooted at a
    variable (``identity.residence.city``); ``optional`` those read under ``has()``.
    """

    depth: int
    comprehensions: int
    variables: frozenset[str]
    paths: frozenset[tuple[str, ...]]
    optional: frozenset[tuple[str, ...]]
    macros: tuple[Comprehension, ...] = ()

    def cost(self, size_of: Callable[[tuple[str, ...]], int]) -> int:
        """Work units of the macros, with ``size_of(path)`` the size of an evidence claim."""
        return sum(c.cost(1, size_of) for c in self.macros)


@dataclass
class _Node:
    depth: int
    comprehensions: int = 0
    path: tuple[str, ...] | None = None
    size: int | None = None  # a list or map literal's number of items


@dataclass
class Comprehension:
    """One macro and what it iterates: a literal of ``size`` items, or the claim at ``path``."""

    kind: str
    size: int | None
    path: tuple[str, ...] | None
    children: list[Comprehension] = field(default_factory=list)

    def cost(self, outer: int, size_of: Callable[[tuple[str, ...]], int]) -> int:
        """Work units of this macro run ``outer`` times (map and filter build lists: n²)."""
        n = self.size if self.size is not None else size_of(self.path or ())
        own = COST_PER_ITEM * n + (n * n if self.kind in ("map", "filter") else 0)
        return outer * own + sum(c.cost(outer * max(n, 1), size_of) for c in self.children)


@dataclass
class _Parser:
    tokens: list[tuple[str, str]]
    where: str
    pos: int = 0
    nesting: int = 0
    scopes: list[str] = field(default_factory=list)
    variables: set[str] = field(default_factory=set)
    paths: Counter[tuple[str, ...]] = field(default_factory=Counter)
    optional: set[tuple[str, ...]] = field(default_factory=set)
    comprehensions: list[Comprehension] = field(default_factory=list)
    open_comprehensions: list[Comprehension] = field(default_factory=list)

    # -- tokens ------------------------------------------------------------------------

    def peek(self, offset: int = 0) -> tuple[str, str]:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else ("end", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.pos += 1
        return token

    def expect(self, text: str) -> None:
        kind, value = self.take()
        if value != text or kind not in ("op", "ident"):
            raise _invalid(f"{self.where}: expected {text!r}, found {value or 'the end'!r}")

    def at(self, *texts: str) -> bool:
        kind, value = self.peek()
        return kind in ("op", "ident") and value in texts

    def enter(self) -> None:
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise _invalid(
                f"{self.where}: the expression nests deeper than {MAX_DEPTH} levels",
                "approval.policy_expression_too_deep",
            )

    def leave(self) -> None:
        self.nesting -= 1

    def selected(self, node: _Node, previous: tuple[str, ...] | None) -> _Node:
        """A member selection rooted at a variable: remember the claim it reads (not its prefix)."""
        if node.path is not None and len(node.path) > 1:
            self.paths[node.path] += 1
            if previous is not None and len(previous) > 1:
                self.paths[previous] -= 1
        return node

    @staticmethod
    def record(node: _Node) -> _Node:
        """A member chain ends here: what follows reads a value, not a claim path."""
        return _Node(node.depth, node.comprehensions)

    # -- grammar (cel-spec langdef.md) -----------------------------------------------

    def expr(self) -> _Node:
        self.enter()
        node = self.logical("||", self.conjunction)
        if self.at("?"):
            self.take()
            then = self.expr()
            self.expect(":")
            other = self.expr()
            node = _combine(node, then, other)
        self.leave()
        return node

    def conjunction(self) -> _Node:
        return self.logical("&&", self.relation)

    def logical(self, op: str, operand: Callable[[], _Node]) -> _Node:
        nodes = [operand()]
        while self.at(op):
            self.take()
            nodes.append(operand())
        if len(nodes) == 1:
            return nodes[0]
        return _combine(*nodes)  # CEL parsers balance a chain of one logical operator

    def relation(self) -> _Node:
        node = self.binary(("+", "-"), self.binary_mul)
        while self.at(*_RELATIONS):
            self.take()
            node = _combine(node, self.binary(("+", "-"), self.binary_mul))
        return node

    def binary_mul(self) -> _Node:
        return self.binary(("*", "/", "%"), self.unary)

    def binary(self, ops: tuple[str, ...], operand: Callable[[], _Node]) -> _Node:
        node = operand()
        while self.at(*ops):
            self.take()
            node = _combine(node, operand())
        return node

    def unary(self) -> _Node:
        count = 0
        while self.at("!", "-"):
            self.take()
            count += 1
        node = self.member()
        if count:
            node = _Node(node.depth + count, node.comprehensions)
        return node

    def member(self) -> _Node:
        node = self.primary()
        while True:
            if self.at("."):
                self.take()
                kind, name = self.take()
                if kind != "ident":
                    raise _invalid(f"{self.where}: expected a field name after '.'")
                if self.at("("):
                    node = self.call(node, name)
                else:
                    path = (*node.path, name) if node.path is not None else None
                    node = self.selected(
                        _Node(node.depth + 1, node.comprehensions, path), node.path
                    )
            elif self.at("["):
                self.take()
                self.enter()
                index = self.expr()
                self.leave()
                self.expect("]")
                key = self.tokens[self.pos - 2]
                literal = key[0] == "string" and self.tokens[self.pos - 3] == ("op", "[")
                path = (*node.path, _unquote(key[1])) if node.path is not None and literal else None
                if path is None:
                    node = self.record(node)
                node = self.selected(
                    _Node(max(node.depth, index.depth) + 1, _most(node, index), path), node.path
                )
            elif self.at("{"):
                node = self.fields(self.record(node))
            else:
                return node

    def call(self, receiver: _Node, name: str) -> _Node:
        self.expect("(")
        self.enter()
        if name in MACROS and self.peek()[0] == "ident" and self.peek(1) == ("op", ","):
            if receiver.size is None and receiver.path is None:
                raise _invalid(
                    f"{self.where}: {name}() ranges over a computed value: a macro's range is a"
                    " list or map literal, or an evidence claim (its size is then known first)",
                    "approval.policy_comprehension_unbounded",
                )
            comprehension = Comprehension(name, receiver.size, receiver.path)
            parent = self.open_comprehensions[-1] if self.open_comprehensions else None
            (parent.children if parent else self.comprehensions).append(comprehension)
            self.open_comprehensions.append(comprehension)
            receiver = self.record(receiver)
            variable = self.take()[1]
            self.take()
            self.scopes.append(variable)
            body = [self.expr()]
            while self.at(","):
                self.take()
                body.append(self.expr())
            self.scopes.pop()
            self.open_comprehensions.pop()
            self.expect(")")
            self.leave()
            nested = max(n.comprehensions for n in body) + 1
            if nested > MAX_COMPREHENSION_NESTING:
                raise _invalid(
                    f"{self.where}: comprehensions nest deeper than {MAX_COMPREHENSION_NESTING}",
                    "approval.policy_comprehension_too_deep",
                )
            depth = max(n.depth for n in (*body, receiver)) + 1
            return _Node(depth, max(nested, receiver.comprehensions))
        args = [self.record(receiver), *self.arguments(")")]
        self.leave()
        return _combine(*args)

    def arguments(self, close: str) -> list[_Node]:
        args: list[_Node] = []
        while not self.at(close):
            args.append(self.record(self.expr()))
            if not self.at(","):
                break
            self.take()
        self.expect(close)
        return args

    def fields(self, receiver: _Node) -> _Node:
        self.expect("{")
        self.enter()
        nodes = [receiver]
        while not self.at("}"):
            key = self.expr() if self.peek()[0] != "ident" else _Node(1)
            if self.peek()[0] == "ident":
                self.take()
            self.expect(":")
            nodes += [key, self.record(self.expr())]
            if not self.at(","):
                break
            self.take()
        self.expect("}")
        self.leave()
        return _combine(*nodes)

    def primary(self) -> _Node:
        kind, value = self.take()
        if kind in ("string", "number"):
            return _Node(1)
        if kind == "ident":
            return self.identifier(value)
        if value == ".":
            kind, value = self.take()
            if kind == "ident":
                return self.identifier(value)
        elif value == "(":
            self.enter()
            node = self.record(self.expr())
            self.leave()
            self.expect(")")
            return node
        elif value == "[":
            self.enter()
            items = self.arguments("]")
            self.leave()
            node = _combine(_Node(0), *items)
            node.size = len(items)
            return node
        elif value == "{":
            return self.map_literal()
        raise _invalid(f"{self.where}: unexpected {value or 'end of expression'!r}")

    def map_literal(self) -> _Node:
        self.enter()
        nodes = [_Node(0)]
        while not self.at("}"):
            key = self.record(self.expr())
            self.expect(":")
            nodes += [key, self.record(self.expr())]
            if not self.at(","):
                break
            self.take()
        self.expect("}")
        self.leave()
        node = _combine(*nodes)
        node.size = (len(nodes) - 1) // 2
        return node

    def identifier(self, name: str) -> _Node:
        if name in _RESERVED:
            raise _invalid(f"{self.where}: {name!r} is a reserved word")
        if name in _LITERALS:
            return _Node(1)
        if self.at("("):
            if name == "has":
                return self.has()
            return self.call(_Node(0), name)
        if name in self.scopes:
            return _Node(1)
        self.variables.add(name)
        return _Node(1, 0, (name,))

    def has(self) -> _Node:
        self.expect("(")
        self.enter()
        node = self.expr()
        self.leave()
        self.expect(")")
        if node.path is None or len(node.path) < 2:
            raise _invalid(f"{self.where}: has() takes a field selection such as has(a.b)")
        self.optional.add(node.path)
        self.paths[node.path] -= 1
        return _Node(node.depth + 1, node.comprehensions)


def _most(*nodes: _Node) -> int:
    return max(n.comprehensions for n in nodes)


def _combine(*nodes: _Node) -> _Node:
    return _Node(max(n.depth for n in nodes) + 1, _most(*nodes))


def _unquote(literal: str) -> str:
    body = literal.lstrip("rRbB")
    quote = 3 if body[:3] in ('"""', "'''") else 1
    return body[quote:-quote]


def _tokens(source: str, where: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if match is None:
            raise _invalid(f"{where}: cannot read {source[pos : pos + 10]!r}")
        kind = match.lastgroup or "op"
        if kind != "ws":
            tokens.append((kind, match.group()))
        pos = match.end()
    return tokens


def analyse(source: str, where: str = "expression") -> Analysis:
    """Parse ``source`` within the bounds and say what it reads; raise ``approval.policy_*``."""
    if not isinstance(source, str) or not source.strip():
        raise _invalid(f"{where}: an expression is a non-empty string")
    size = len(source.encode("utf-8"))
    if size > MAX_EXPRESSION_BYTES:
        raise _invalid(
            f"{where}: the expression is {size} bytes, more than {MAX_EXPRESSION_BYTES}",
            "approval.policy_expression_too_large",
        )
    parser = _Parser(_tokens(source, where), where)
    node = parser.record(parser.expr())
    if parser.peek()[0] != "end":
        raise _invalid(f"{where}: unexpected {parser.peek()[1]!r}")
    if node.depth > MAX_DEPTH:
        raise _invalid(
            f"{where}: the syntax tree is {node.depth} levels deep, more than {MAX_DEPTH}",
            "approval.policy_expression_too_deep",
        )
    return Analysis(
        node.depth,
        node.comprehensions,
        frozenset(parser.variables),
        frozenset(p for p, n in parser.paths.items() if n > 0),
        frozenset(parser.optional),
        tuple(parser.comprehensions),
    )


class Activation:
    """Variables converted to CEL values once, for every clause of one evaluation."""

    def __init__(self, variables: Mapping[str, Any]) -> None:
        import cel

        try:
            self.context = cel.Context(dict(variables))
        except (TypeError, ValueError, OverflowError, RuntimeError) as exc:
            raise _invalid(
                f"the evidence cannot be given to the rule: {_first_line(exc)}",
                "approval.policy_rule_error",
            ) from None


class Rule:
    """One CEL expression, analysed and compiled once; :meth:`run` evaluates it under a budget."""

    def __init__(
        self, source: str, where: str = "expression", *, max_cost: int = 50 * COST_UNITS_PER_MS
    ) -> None:
        self.source = source
        self.analysis = analyse(source, where)
        self.where = where
        self.max_cost = max_cost
        literal_cost = self.analysis.cost(lambda path: 0)  # evidence sizes come later
        if literal_cost > max_cost:
            raise _invalid(
                f"{where}: its macros over literals cost {literal_cost} work units, more than the"
                f" {max_cost} its time budget allows",
                "approval.policy_cost_exceeded",
            )
        import cel

        try:
            self._program = cel.compile(source)
        except (ValueError, RuntimeError) as exc:
            raise _invalid(f"{where}: {_first_line(exc)}") from None

    def cost(self, variables: Mapping[str, Any]) -> int:
        """Work units of this rule's macros over ``variables`` (known before it runs)."""

        def size_of(path: tuple[str, ...]) -> int:
            node: Any = variables
            for part in path:
                if not isinstance(node, Mapping) or part not in node:
                    return 0
                node = node[part]
            return len(node) if isinstance(node, list | Mapping | str) else 0

        return self.analysis.cost(size_of)

    def run(self, variables: Mapping[str, Any] | Activation, deadline: float) -> Any:
        """The expression's value over ``variables``; raise ``approval.policy_*`` on an error.

        ``variables`` is a mapping, or an :class:`Activation` made once for several rules
        (converting the evidence to CEL values costs more than evaluating a clause).
        ``deadline`` is a ``time.perf_counter()`` value: a result obtained after it is refused
        (``approval.policy_time_budget``), so a slow rule never decides.
        """
        context = variables.context if isinstance(variables, Activation) else dict(variables)
        try:
            value = self._program.execute(context)
        except KeyError as exc:
            raise _invalid(
                f"{self.where}: reads {exc.args[0]!r}, which the evidence does not carry",
                "approval.policy_claim_missing",
            ) from None
        except (TypeError, ValueError, ArithmeticError, RuntimeError, OverflowError) as exc:
            raise _invalid(
                f"{self.where}: {_first_line(exc)}", "approval.policy_rule_error"
            ) from None
        if time.perf_counter() > deadline:
            raise _invalid(
                f"{self.where}: evaluation ran past the policy's time budget",
                "approval.policy_time_budget",
            )
        return value


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
