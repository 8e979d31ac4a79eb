"""Safe expressions: the only way a diagram's text is ever evaluated.

Gateway conditions, timer values, multi-instance expressions, service-task parameters and DMN
cells are checked twice: statically at upload (`problems`), and again at run time (`evaluate`),
so a diagram that reached the database some other way still cannot run code. Evaluation is
`simpleeval` over a whitelist of node types and functions; Python's `eval` is never called.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Mapping
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


FUNCTIONS: dict[str, Any] = {
    "abs": abs,
    "bool": bool,
    "float": float,
    "int": _safe_int,
    "len": len,
    "max": max,
    "min": min,
    "round": _safe_round,
    "str": str,
    "sum": sum,
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
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            exponent = node.right
            if not (
                isinstance(exponent, ast.Constant)
                and isinstance(exponent.value, int | float)
                and abs(exponent.value) <= MAX_EXPONENT
            ):
                found.append(f"exponent must be a number of at most {MAX_EXPONENT}")
    return found


def _safe_pow(base: Any, exponent: Any) -> Any:
    if abs(exponent) > MAX_EXPONENT or abs(base) > 10**6:
        raise ExpressionError("exponentiation too large")
    return operator.pow(base, exponent)


def _safe_mult(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b.bit_length() > MAX_INT_BITS:
        raise ExpressionError("multiplication too large")
    return simpleeval.safe_mult(a, b)


_OPERATORS = {**simpleeval.DEFAULT_OPERATORS, ast.Pow: _safe_pow, ast.Mult: _safe_mult}


def evaluate(expression: str, names: Mapping[str, Any]) -> Any:
    """Evaluate `expression` over `names` (task data), refusing anything `problems` refuses."""
    refused = problems(expression)
    if refused:
        raise ExpressionError(f"{expression!r}: {'; '.join(refused)}")
    evaluator = simpleeval.EvalWithCompoundTypes(
        operators=_OPERATORS, functions=FUNCTIONS, names=dict(names)
    )
    try:
        return evaluator.eval(expression.strip())
    except ExpressionError as exc:
        raise ExpressionError(f"{expression!r}: {exc}") from exc
    except simpleeval.NameNotDefined as exc:
        raise ExpressionError(f"{expression!r}: name {exc.name!r} is not defined") from exc
    except (simpleeval.InvalidExpression, ArithmeticError, TypeError, ValueError) as exc:
        raise ExpressionError(f"{expression!r}: {exc}") from exc
    except (KeyError, IndexError, AttributeError) as exc:
        raise ExpressionError(f"{expression!r}: {type(exc).__name__}: {exc}") from exc
