"""sympy objects off the wire: ``srepr`` text rebuilt through a whitelist, never ``eval``."""

from __future__ import annotations

import ast
import re

from .common import MAX_SREPR_NODES, MAX_STRING, ProtocolError

# The numerals srepr writes for a Float, and the symbol names a course may use (x_1, x_{1}, \\theta).
_SYMBOL_NAME = re.compile(r"[\w{}^\\.,\[\] ]{1,200}")
_FLOAT_TEXT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,6})?|[+-]?inf|nan")


def _sympy_names() -> dict[str, object]:
    import sympy
    from sympy.core.function import FunctionClass

    allowed: dict[str, object] = {}
    for name in dir(sympy):
        if name.startswith("_"):
            continue
        value = getattr(sympy, name)
        if isinstance(value, type) and (
            issubclass(value, sympy.Basic) or issubclass(value, sympy.MatrixBase)
        ):
            allowed[name] = value
        elif isinstance(value, (FunctionClass, sympy.Basic)):
            allowed[name] = value
    for name in ("MutableDenseMatrix", "ImmutableDenseMatrix", "Dummy", "Wild"):
        if hasattr(sympy, name):
            allowed[name] = getattr(sympy, name)
    allowed["Str"] = sympy.core.symbol.Str  # srepr names a MatrixSymbol with it
    for name in ("var", "symbols", "sympify", "S", "Lambda", "lambdify", "parse_expr"):
        allowed.pop(name, None)
    return allowed


_SYMPY_NAMES: dict[str, object] | None = None


def parse_srepr(text: str) -> object:
    """Rebuild a sympy object from ``srepr`` text, allowing only sympy constructors and literals."""
    global _SYMPY_NAMES
    if not isinstance(text, str) or len(text) > MAX_STRING:
        raise ProtocolError("sympy payload is not a string of acceptable size")
    if _SYMPY_NAMES is None:
        _SYMPY_NAMES = _sympy_names()
    names = _SYMPY_NAMES
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        raise ProtocolError(f"sympy payload does not parse: {error}") from None
    count = sum(1 for _ in ast.walk(tree))
    if count > MAX_SREPR_NODES:
        raise ProtocolError("sympy payload is too large")

    import sympy
    from sympy.core.function import FunctionClass

    def string_argument(func: object, index: int, text: str) -> str:
        # Most sympy constructors hand a string to sympify(), which evaluates it as Python. A
        # string may only stand where srepr writes one: the name of a symbol or an undefined
        # function (stored as it is), or the numeral of a Float (checked to be a numeral).
        # Names are kept free of quotes and brackets, so that even code that prints an
        # expression back to Python (lambdify does) can never meet one that reads as code.
        if index == 0:
            if func is sympy.Function and text.isidentifier() and len(text) <= 200:
                return text
            if func in name_classes and _SYMBOL_NAME.fullmatch(text):
                return text
            if func is sympy.Float and _FLOAT_TEXT.fullmatch(text):
                return text
        raise ProtocolError(
            f"sympy payload passes the string {text[:40]!r} to {getattr(func, '__name__', func)}"
        )

    name_classes = (sympy.Symbol, sympy.Dummy, sympy.Wild, sympy.core.symbol.Str)

    def value(node: ast.AST, depth: int) -> object:
        if depth > 200:
            raise ProtocolError("sympy payload is nested too deeply")
        if isinstance(node, ast.Constant) and type(node.value) is str:
            raise ProtocolError("sympy payload holds a string outside a name or a numeral")
        if isinstance(node, ast.Constant) and type(node.value) in (int, float, bool):
            return node.value
        if isinstance(node, ast.Constant) and node.value is None:
            return None
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = value(node.operand, depth + 1)
            if type(operand) not in (int, float) and not isinstance(operand, sympy.Basic):
                raise ProtocolError("sympy payload negates something that is not a number")
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, (ast.Tuple, ast.List)):
            items = [value(item, depth + 1) for item in node.elts]
            return tuple(items) if isinstance(node, ast.Tuple) else items
        if isinstance(node, ast.Name):
            if node.id not in names:
                raise ProtocolError(f"sympy payload uses a name that is not allowed: {node.id}")
            return names[node.id]
        if isinstance(node, ast.Call):
            func = value(node.func, depth + 1)
            if not (isinstance(func, type) or isinstance(func, FunctionClass)):
                raise ProtocolError("sympy payload calls something that is not a sympy class")
            if isinstance(node.func, ast.Call) and not isinstance(func, FunctionClass):
                raise ProtocolError("sympy payload calls a result that is not a function class")
            args = []
            for index, arg in enumerate(node.args):
                if isinstance(arg, ast.Starred):
                    raise ProtocolError("sympy payload uses *args")
                if isinstance(arg, ast.Constant) and type(arg.value) is str:
                    args.append(string_argument(func, index, arg.value))
                else:
                    args.append(value(arg, depth + 1))
            kwargs = {}
            for keyword in node.keywords:
                if keyword.arg is None:
                    raise ProtocolError("sympy payload uses **kwargs")
                # Keyword values are flags and sizes (real=True, precision=53), never text.
                kwargs[keyword.arg] = value(keyword.value, depth + 1)
            try:
                return func(*args, **kwargs)
            except Exception as error:
                raise ProtocolError(f"sympy payload does not build: {error}") from None
        raise ProtocolError(f"sympy payload contains a {type(node).__name__}, which is not allowed")

    return value(tree.body, 0)
