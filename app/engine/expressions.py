"""Safe expressions: the only way a diagram's text is ever evaluated.

Gateway conditions, timer values, multi-instance expressions, service-task parameters and DMN
cells are checked twice: statically at upload (`problems`), and again at run time (`evaluate`),
so a diagram that reached the database some other way still cannot run code. Evaluation is
`simpleeval` over a whitelist of node types and functions; Python's `eval` is never called.
"""

from __future__ import annotations

import ast
import operator
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

import simpleeval

MAX_LENGTH = 2000
MAX_EXPONENT = 64
# Integers past this size make `*` and `int(Decimal(...))` slow enough to stall a worker
# (`int(Decimal("1e1000000"))` takes tens of seconds), so results beyond it are refused.
MAX_INT_BITS = 20_000
MAX_DECIMAL_DIGITS = 4300  # Python's own int <-> str conversion limit


class ExpressionError(Exception):
    """An expression that does not parse, is not allowed, or failed to evaluate."""


def _too_big_decimal(value: Any) -> bool:
    return (
        isinstance(value, Decimal) and value.is_finite() and value.adjusted() > MAX_DECIMAL_DIGITS
    )


def _safe_int(*args: Any) -> int:
    if args and _too_big_decimal(args[0]):
        raise ExpressionError("number too large")
    return int(*args)


def _safe_round(*args: Any) -> Any:
    if args and _too_big_decimal(args[0]):
        raise ExpressionError("number too large")
    return round(*args)


# Every value an expression builds stays small: a string of at most MAX_VALUE_SIZE characters,
# a list, tuple, set or dict of at most that many elements counting nested ones (a list of
# 5,000 references to one 5,000-element list is 25 million). Task data is small (ids of a
# department's people, a few figures), so the bound never bites a real diagram.
MAX_VALUE_SIZE = 10_000
# And every evaluation ends quickly, whatever it is given: 0.5 s of this thread's CPU time,
# not of the wall clock, so a busy or paused machine never fails a harmless expression.
MAX_SECONDS = 0.5
_deadline: ContextVar[float] = ContextVar("expression_deadline", default=float("inf"))


def _size(value: Any, limit: int = MAX_VALUE_SIZE) -> int:
    """Characters or elements in `value`, nested ones counted, up to just past `limit` (so
    the count itself never walks a huge structure)."""
    if isinstance(value, str | bytes):
        return len(value)
    if not isinstance(value, list | tuple | set | frozenset | dict):
        return 1
    total, pending = 0, [value]
    while pending and total <= limit:
        current = pending.pop()
        items = list(current.items()) if isinstance(current, dict) else current
        total += len(items)
        pending.extend(i for i in items if isinstance(i, list | tuple | set | frozenset | dict))
        total += sum(len(i) for i in items if isinstance(i, str | bytes))
    return total


def _bounded(value: Any) -> Any:
    if time.thread_time() > _deadline.get():
        raise ExpressionError(f"evaluation took longer than {MAX_SECONDS} s")
    if _size(value) > MAX_VALUE_SIZE:
        raise ExpressionError(f"value larger than {MAX_VALUE_SIZE} characters or elements")
    return value


def _checked(function: Callable[..., Any]) -> Callable[..., Any]:
    """`function` with its arguments and its result held to the size and time bounds."""

    def call(*args: Any) -> Any:
        for arg in args:
            _bounded(arg)
        return _bounded(function(*args))

    return call


def _safe_sum(*args: Any) -> Any:
    """Sums of numbers only: `sum(lists, [])` would grow quadratically."""
    items = list(args[0]) if args else []
    start = args[1] if len(args) > 1 else 0
    if any(not isinstance(v, int | float | Decimal) for v in [*items, start]):
        raise ExpressionError("sum adds numbers only")
    return sum(items, start)


def _safe_mod(a: Any, b: Any) -> Any:
    if isinstance(a, str | bytes):
        raise ExpressionError("% formatting is not allowed")
    return operator.mod(a, b)


FUNCTIONS: dict[str, Any] = {
    "abs": abs,
    "bool": bool,
    "float": float,
    "int": _safe_int,
    "len": len,
    "max": max,
    "min": min,
    "round": _safe_round,
    "str": _checked(str),
    "sum": _checked(_safe_sum),
    "Decimal": Decimal,
}

_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Expression,
    ast.BoolOp,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.IfExp,
    ast.Call,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Attribute,
    ast.Subscript,
    ast.Slice,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.Set,
    ast.operator,
    ast.boolop,
    ast.cmpop,
    ast.unaryop,
)


def problems(expression: str, extra_names: frozenset[str] = frozenset()) -> list[str]:
    """Every reason `expression` is refused; empty when it is acceptable."""
    if not isinstance(expression, str):
        return ["expression must be text"]
    if len(expression) > MAX_LENGTH:
        return [f"expression longer than {MAX_LENGTH} characters"]
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        return [f"does not parse: {exc.msg}"]
    found: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            found.append(f"{type(node).__name__} is not allowed")
        elif isinstance(node, ast.Name) and node.id.startswith("_"):
            found.append(f"name {node.id!r} is not allowed")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            found.append(f"attribute {node.attr!r} is not allowed")
        elif isinstance(node, ast.Call):
            if not (isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS):
                found.append(f"call of {ast.unparse(node.func)!r} is not allowed")
            elif node.keywords:
                found.append("keyword arguments are not allowed")
            elif node.func.id == "sum" and len(node.args) > 1 and not _is_number(node.args[1]):
                found.append("sum adds numbers only")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and _is_text(node.left):
            found.append("% formatting is not allowed")
        elif (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Mult)
            and _repeats_too_much(node)
        ):
            found.append(f"repetition beyond {MAX_VALUE_SIZE} characters or elements")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            exponent = node.right
            if not (
                isinstance(exponent, ast.Constant)
                and isinstance(exponent.value, int | float)
                and abs(exponent.value) <= MAX_EXPONENT
            ):
                found.append(f"exponent must be a number of at most {MAX_EXPONENT}")
    return found


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str | bytes)


def _is_number(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, int | float)


def _literal_size(node: ast.AST) -> int | None:
    """The size of a string, list or tuple literal (nested literals counted), else None."""
    if _is_text(node):
        return len(node.value)
    if isinstance(node, ast.List | ast.Tuple):
        return len(node.elts) + sum(_literal_size(e) or 0 for e in node.elts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        left, right = _literal_size(node.left), _literal_size(node.right)
        for size, count in ((left, node.right), (right, node.left)):
            if size is not None and _is_number(count):
                return size * int(count.value)
    return None


def _repeats_too_much(node: ast.BinOp) -> bool:
    size = _literal_size(node)
    return size is not None and size > MAX_VALUE_SIZE


def _safe_pow(base: Any, exponent: Any) -> Any:
    if abs(exponent) > MAX_EXPONENT or abs(base) > 10**6:
        raise ExpressionError("exponentiation too large")
    return operator.pow(base, exponent)


def _safe_mult(a: Any, b: Any) -> Any:
    for seq, count in ((a, b), (b, a)):
        sequence = isinstance(seq, str | bytes | list | tuple) and isinstance(count, int)
        if sequence and _size(seq) * count > MAX_VALUE_SIZE:  # refused before it is built
            raise ExpressionError(f"repetition beyond {MAX_VALUE_SIZE} characters or elements")
    if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b.bit_length() > MAX_INT_BITS:
        raise ExpressionError("multiplication too large")
    return simpleeval.safe_mult(a, b)


_OPERATORS = {
    **{op: _checked(fn) for op, fn in simpleeval.DEFAULT_OPERATORS.items()},
    ast.Pow: _checked(_safe_pow),
    ast.Mult: _checked(_safe_mult),
    ast.Mod: _checked(_safe_mod),
}


def evaluate(expression: str, names: Mapping[str, Any]) -> Any:
    """Evaluate `expression` over `names` (task data), refusing anything `problems` refuses."""
    refused = problems(expression)
    if refused:
        raise ExpressionError(f"{expression!r}: {'; '.join(refused)}")
    evaluator = simpleeval.EvalWithCompoundTypes(
        operators=_OPERATORS, functions=FUNCTIONS, names=dict(names)
    )
    token = _deadline.set(time.thread_time() + MAX_SECONDS)
    try:
        return _bounded(evaluator.eval(expression.strip()))
    except ExpressionError as exc:
        raise ExpressionError(f"{expression!r}: {exc}") from exc
    except simpleeval.NameNotDefined as exc:
        raise ExpressionError(f"{expression!r}: name {exc.name!r} is not defined") from exc
    except (simpleeval.InvalidExpression, ArithmeticError, TypeError, ValueError) as exc:
        raise ExpressionError(f"{expression!r}: {exc}") from exc
    except (KeyError, IndexError, AttributeError, MemoryError, RecursionError) as exc:
        raise ExpressionError(f"{expression!r}: {type(exc).__name__}: {exc}") from exc
    finally:
        _deadline.reset(token)
