"""The wire protocol on its own (autograder.verify.wire): two channels in one process, two threads.

Values round-trip as plain data, callables cross in both directions, exceptions and in-place
changes come back, and the decoder and the sympy parser refuse what is not plain data.
"""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest
import sympy

from autograder.verify.wire.channel import Channel
from autograder.verify.wire.common import ProtocolError
from autograder.verify.wire.srepr import parse_srepr


@pytest.fixture
def channels():
    """Two connected channels; the second serves calls in a thread."""
    a_to_b = os.pipe()
    b_to_a = os.pipe()
    caller = Channel(b_to_a[0], a_to_b[1])
    server = Channel(a_to_b[0], b_to_a[1])
    functions: dict[str, object] = {}
    server.resolve_name = functions.get

    def serve() -> None:
        while True:
            try:
                message = server.receive()
            except Exception:
                return
            if message["op"] == "call":
                server.serve(message)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield caller, functions
    os.close(a_to_b[1])  # the server reads end-of-file and stops before its fds are reused
    thread.join(timeout=10)
    assert not thread.is_alive()
    for fd in (a_to_b[0], *b_to_a):
        os.close(fd)


def test_values_round_trip_as_plain_data(channels):
    caller, functions = channels
    functions["echo"] = lambda value: value
    x = sympy.Symbol("x")
    values = [
        float("nan"),
        float("inf"),
        -float("inf"),
        2**80,
        (1, "two", [3.5, None, True]),
        {"a": 1, (1, 2): {3}},
        frozenset({1, 2}),
        1 + 2j,
        np.float64(0.1),
        np.int32(7),
        np.arange(6, dtype=np.int16).reshape(2, 3),
        np.array([[1.5, np.nan], [np.inf, -0.0]]),
        np.array([True, False]),
        np.zeros((0, 3)),
        x**3 - 3 * x + sympy.Rational(1, 2),
        sympy.sin(x) * sympy.exp(-x),
        sympy.Symbol("w", positive=True),
    ]
    for value in values:
        back = caller.call("echo", (value,), {})
        assert type(back) is type(value)
        if isinstance(value, np.ndarray):
            assert back.dtype == value.dtype and back.shape == value.shape
            np.testing.assert_array_equal(back, value)
        elif isinstance(value, float) and value != value:
            assert back != back
        else:
            assert back == value


def test_zero_dimensional_and_transposed_arrays_keep_their_shape(channels):
    caller, functions = channels
    functions["echo"] = lambda value: value
    for value in (np.asarray(12.02), np.asarray(3), np.arange(6.0).reshape(2, 3).T):
        back = caller.call("echo", (value,), {})
        assert isinstance(back, np.ndarray) and back.shape == value.shape
        np.testing.assert_array_equal(back, value)


def test_extended_precision_travels_as_double(channels):
    caller, functions = channels
    functions["echo"] = lambda value: value
    back = caller.call("echo", (np.longdouble(1.5),), {})
    assert type(back) is np.float64 and back == 1.5
    back = caller.call("echo", (np.array([1, 2], dtype=np.longdouble),), {})
    assert back.dtype == np.float64 and back.tolist() == [1.0, 2.0]
    back = caller.call("echo", (np.clongdouble(1 + 2j),), {})
    assert type(back) is np.complex128 and back == 1 + 2j


def test_callbacks_from_many_threads_take_turns(channels):
    from concurrent.futures import ThreadPoolExecutor

    caller, functions = channels

    def fan_out(f):
        with ThreadPoolExecutor(max_workers=8) as pool:
            return sum(pool.map(f, range(300)))

    functions["fan_out"] = fan_out
    for _ in range(3):
        assert caller.call("fan_out", (lambda i: i * i,), {}) == sum(i * i for i in range(300))


def test_callables_cross_in_both_directions(channels):
    caller, functions = channels
    seen = []

    def grad(w):
        seen.append(w.copy())
        return 2 * w

    def descend(g, w0, steps):
        w = w0.copy()
        for _ in range(steps):
            w = w - 0.25 * g(w)
        return w, lambda t: t * w[0]

    functions["descend"] = descend
    w, scale = caller.call("descend", (grad, np.array([4.0]), 3), {})
    assert len(seen) == 3 and seen[0].tolist() == [4.0]
    assert w.tolist() == [0.5]
    assert scale(2.0) == 1.0  # a returned function, called later, runs on the other side


def test_exceptions_and_in_place_changes_come_back(channels):
    caller, functions = channels

    class Custom(Exception):
        pass

    def fail(kind):
        if kind == "value":
            raise ValueError("h must not be zero")
        if kind == "linalg":
            raise np.linalg.LinAlgError("singular matrix")
        raise Custom("not a built-in")

    def scale_in_place(array, factor):
        array *= factor

    functions.update(fail=fail, scale_in_place=scale_in_place)
    with pytest.raises(ValueError, match="h must not be zero"):
        caller.call("fail", ("value",), {})
    with pytest.raises(np.linalg.LinAlgError, match="singular matrix"):
        caller.call("fail", ("linalg",), {})
    with pytest.raises(Exception, match="Custom: not a built-in") as raised:
        caller.call("fail", ("custom",), {})
    assert type(raised.value) is Exception  # the nearest built-in type
    functions["leave"] = lambda: exit(3)
    with pytest.raises(RuntimeError, match="SystemExit"):  # never a BaseException-only type
        caller.call("leave", (), {})
    with pytest.raises(NameError):
        caller.call("missing", (), {})
    array = np.array([1.0, 2.0])
    caller.call("scale_in_place", (array,), {"factor": 3.0})
    assert array.tolist() == [3.0, 6.0]
    functions["pop_last"] = lambda items, arrays: (items.pop(), arrays[0].fill(0.0))[0]
    items, arrays = [1.0, 2.0, 3.0], [np.ones(2)]
    inner = arrays[0]
    assert caller.call("pop_last", (items, arrays), {}) == 3.0
    assert items == [1.0, 2.0]  # a list changed in place is changed for the caller too
    assert arrays[0] is inner and inner.tolist() == [0.0, 0.0]


def test_a_dict_of_arrays_changed_in_place_is_changed_for_the_caller(channels):
    """ps5's train_mlp takes a parameter dict: an update with -= must reach the test's dict."""
    caller, functions = channels

    def step(params, lr):
        params["W"] -= lr * np.ones_like(params["W"])  # the array itself
        params["b"] = params["b"] + 1.0  # a new array under the old key
        params.pop("gone")
        params["new"] = 7
        return None

    functions["step"] = step
    weights = np.zeros((2, 2))
    params = {"W": weights, "b": np.zeros(2), "gone": 1, "nested": {"v": [np.zeros(1)]}}
    caller.call("step", (params,), {"lr": 0.5})
    assert params["W"] is weights and weights.tolist() == [[-0.5, -0.5], [-0.5, -0.5]]
    assert params["b"].tolist() == [1.0, 1.0]
    assert "gone" not in params and params["new"] == 7
    functions["deep"] = lambda params: params["nested"]["v"][0].fill(2.0)
    inner = params["nested"]["v"][0]
    caller.call("deep", (params,), {})
    assert params["nested"]["v"][0] is inner and inner.tolist() == [2.0]
    untouched = {"W": np.ones(3)}
    functions["read"] = lambda params: float(params["W"].sum())
    assert caller.call("read", (untouched,), {}) == 3.0
    assert untouched["W"].tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    "payload",
    [
        "__import__('os').system('true')",
        "Symbol('x').__class__",
        "sympify('x')",
        "Add(Symbol('x'), eval('1'))",
        "Integer(1)(2)",
        "(lambda: 1)()",
        # Strings that sympy constructors would hand to sympify (which evaluates Python).
        "MutableDenseMatrix([[\"__import__('os').system('true')\"]])",
        "sin(\"__import__('os').system('true')\")",
        "Tuple('x + 1')",
        "Rational('1/2')",
        "Float('__import__(1)')",
        "Float(Integer(1), '53')",
        "Symbol('x', commutative='__import__(1)')",
        "Poly(Symbol('x'), Symbol('x'), domain='ZZ[x]')",
        "Max(Integer(1), ['x'])",
        "Function('os.system')(Symbol('x'))",
        "Symbol('a(b)')",
        "-Tuple",
    ],
)
def test_srepr_parser_rejects_code(payload):
    with pytest.raises(ProtocolError):
        parse_srepr(payload)


def test_srepr_parser_never_evaluates_a_string(tmp_path, monkeypatch):
    """Every allowed constructor gets a string that would leave a mark if sympy evaluated it."""
    import sympy

    from autograder.verify.wire import srepr

    mark = tmp_path / "evaluated"
    code = f"__import__('pathlib').Path({str(mark)!r}).touch()"
    names = srepr._sympy_names()
    for name in sorted(names):
        for payload in (
            f"{name}({code!r})",
            f"{name}(Integer(1), {code!r})",
            f"{name}([{code!r}])",
        ):
            with pytest.raises(ProtocolError):
                parse_srepr(payload)
    assert not mark.exists()
    assert sympy.Symbol("x")  # sympy itself is untouched


@pytest.mark.parametrize(
    "build",
    [
        lambda sp: sp.sin(sp.Symbol("x", real=True)) ** 2 + sp.Rational(1, 3),
        lambda sp: sp.Float("1.25") * sp.Symbol("t"),
        lambda sp: sp.Matrix([[sp.Symbol("a"), 1], [2, sp.exp(sp.Symbol("b"))]]),
        lambda sp: sp.Function("f")(sp.Symbol("x")).diff(sp.Symbol("x")),
        lambda sp: sp.MatrixSymbol("A", 2, 2),
        lambda sp: sp.Symbol("x_{1}") + sp.Symbol("\\theta"),
        lambda sp: -sp.oo,
        lambda sp: -sp.pi,
        lambda sp: sp.Float("1e-300"),
        lambda sp: sp.Interval(0, 1),
        lambda sp: sp.Poly(sp.Symbol("x") ** 2 + 1, sp.Symbol("x")),
    ],
)
def test_srepr_parser_rebuilds_ordinary_expressions(build):
    import sympy

    expression = build(sympy)
    assert parse_srepr(sympy.srepr(expression)) == expression


@pytest.mark.parametrize(
    "data",
    [
        {"$t": "ndarray", "dtype": "|O", "shape": [1], "data": ""},
        {"$t": "ndarray", "dtype": "<f8", "shape": [3], "data": "AAAAAAAAAAA="},
        {"$t": "ndarray", "dtype": "<f8", "shape": [-1], "data": ""},
        {"$t": "ndarray", "dtype": "<f8", "shape": [10**6, 10**6], "data": ""},
        {"$t": "pickle", "v": "gASVAAAAAAAAAA=="},
        {"$t": "ref", "id": 12345},
        {"$t": "float", "v": "1e309"},
    ],
)
def test_decoder_rejects_bad_data(data):
    with pytest.raises(ProtocolError):
        Channel(0, 1).decode(data)


def test_decoder_limits_nesting():
    data: object = 1.0
    for _ in range(200):
        data = [data]
    with pytest.raises(ProtocolError):
        Channel(0, 1).decode(data)
