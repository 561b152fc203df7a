"""Small, readable automatic differentiation for chapter 6: computational graphs and cost counting.

Two things live here, both written for reading rather than speed:

* :class:`Graph`, a scalar computational graph whose nodes hold values and whose edges hold local
  derivatives. :meth:`Graph.forward` fills in the values in topological order, and
  :meth:`Graph.backward` fills in the adjoints (∂output/∂node) in reverse order, adding the
  contributions of every path. The graph stepper widget and the chapter's static figures draw it.
* A tanh network given as a list of layers ``[(W, b), ...]`` with three ways to differentiate its
  mean-squared-error loss: :func:`network_jvp` (forward mode, one direction per pass),
  :func:`network_vjp` (reverse mode, every weight in one backward pass), and an
  :class:`OpCounter` that counts the multiply-adds each of them actually performs, so the
  chapter can *measure* why reverse mode wins when there are many weights and one loss.

The graded problem set asks students to write their own versions of these ideas, so no function
here carries a graded name.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

# ----------------------------------------------------------------------------- scalar graphs


@dataclass(frozen=True)
class Node:
    """One node: ``op`` combines the parents' values; ``local[i]`` is ∂node/∂parents[i].

    ``label`` is how the node's operation is written in figures (e.g. ``"w · x"``), and
    ``local_text[i]`` how its local derivative with respect to parent ``i`` is written.
    """

    name: str
    label: str
    parents: tuple[str, ...] = ()
    op: Callable[..., float] | None = None
    local: tuple[Callable[..., float], ...] = ()
    local_text: tuple[str, ...] = ()

    @property
    def is_input(self) -> bool:
        return not self.parents


@dataclass
class Graph:
    """A scalar computational graph; nodes are listed in an order where parents come first."""

    nodes: list[Node]
    inputs: dict[str, float]
    positions: dict[str, tuple[float, float]] = field(default_factory=dict)
    title: str = ""

    def __post_init__(self):
        seen: set[str] = set()
        for node in self.nodes:
            missing = [p for p in node.parents if p not in seen]
            if missing:
                raise ValueError(f"node {node.name!r} uses {missing} before they are defined")
            if node.is_input and node.name not in self.inputs:
                raise ValueError(f"input node {node.name!r} has no value in inputs")
            if not node.is_input and len(node.local) != len(node.parents):
                raise ValueError(f"node {node.name!r} needs one local derivative per parent")
            seen.add(node.name)

    @property
    def output(self) -> str:
        return self.nodes[-1].name

    def node(self, name: str) -> Node:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)

    def children(self, name: str) -> list[Node]:
        return [n for n in self.nodes if name in n.parents]

    def forward(self) -> dict[str, float]:
        """Every node's value, computed in order from the inputs."""
        values: dict[str, float] = {}
        for node in self.nodes:
            if node.is_input:
                values[node.name] = float(self.inputs[node.name])
            else:
                values[node.name] = float(node.op(*(values[p] for p in node.parents)))
        return values

    def local_derivatives(self, values: dict[str, float]) -> dict[tuple[str, str], float]:
        """∂child/∂parent for every edge (parent, child), evaluated at the forward values."""
        out = {}
        for node in self.nodes:
            args = [values[p] for p in node.parents]
            for parent, d in zip(node.parents, node.local, strict=True):
                out[(parent, node.name)] = float(d(*args))
        return out

    def backward(self, values: dict[str, float]) -> dict[str, float]:
        """Adjoints ∂output/∂node, from the output back, summing over every child (every path)."""
        local = self.local_derivatives(values)
        adjoint = {self.output: 1.0}
        for node in reversed(self.nodes[:-1]):
            adjoint[node.name] = sum(
                adjoint[child.name] * local[(node.name, child.name)]
                for child in self.children(node.name)
            )
        return adjoint

    def steps(self) -> list[tuple[str, str]]:
        """The stepper's sequence: ("forward", node) in order, then ("backward", node) reversed."""
        forward = [("forward", n.name) for n in self.nodes]
        backward = [("backward", n.name) for n in reversed(self.nodes)]
        return forward + backward


def _tanh_prime(z: float) -> float:
    return 1.0 - math.tanh(z) ** 2


def neuron_graph(x: float = 1.5, w: float = 0.8, b: float = -0.5, y: float = 0.2) -> Graph:
    """The loss of one tanh neuron on one example: L = (tanh(w·x + b) − y)²."""
    nodes = [
        Node("x", "input x"),
        Node("w", "weight w"),
        Node("b", "bias b"),
        Node("y", "target y"),
        Node("u", "u = w · x", ("w", "x"), lambda w_, x_: w_ * x_,
             (lambda w_, x_: x_, lambda w_, x_: w_), ("∂u/∂w = x", "∂u/∂x = w")),
        Node("z", "z = u + b", ("u", "b"), lambda u, b_: u + b_,
             (lambda u, b_: 1.0, lambda u, b_: 1.0), ("∂z/∂u = 1", "∂z/∂b = 1")),
        Node("a", "a = tanh z", ("z",), math.tanh, (_tanh_prime,), ("∂a/∂z = 1 − tanh²z",)),
        Node("r", "r = a − y", ("a", "y"), lambda a, y_: a - y_,
             (lambda a, y_: 1.0, lambda a, y_: -1.0), ("∂r/∂a = 1", "∂r/∂y = −1")),
        Node("L", "L = r²", ("r",), lambda r: r * r, (lambda r: 2.0 * r,), ("∂L/∂r = 2r",)),
    ]  # fmt: skip
    positions = {
        "x": (0.0, 3.0), "w": (0.0, 2.0), "b": (0.0, 1.0), "y": (0.0, 0.0),
        "u": (2.0, 2.6), "z": (4.0, 1.8), "a": (6.5, 1.8), "r": (8.5, 0.8), "L": (10.5, 0.8),
    }  # fmt: skip
    return Graph(nodes, {"x": x, "w": w, "b": b, "y": y}, positions, "one neuron, squared error")


def two_paths_graph(x: float = 0.5, y: float = 2.0) -> Graph:
    """f(x, y) = x·y + sin x: x reaches f along two paths, so its adjoint is a sum of two terms."""
    nodes = [
        Node("x", "input x"),
        Node("y", "input y"),
        Node("p", "p = x · y", ("x", "y"), lambda a, b: a * b,
             (lambda a, b: b, lambda a, b: a), ("∂p/∂x = y", "∂p/∂y = x")),
        Node("s", "s = sin x", ("x",), math.sin, (math.cos,), ("∂s/∂x = cos x",)),
        Node("f", "f = p + s", ("p", "s"), lambda p, s: p + s,
             (lambda p, s: 1.0, lambda p, s: 1.0), ("∂f/∂p = 1", "∂f/∂s = 1")),
    ]  # fmt: skip
    positions = {
        "x": (0.0, 2.0),
        "y": (0.0, 0.0),
        "p": (2.5, 0.6),
        "s": (2.5, 2.8),
        "f": (5.0, 1.7),
    }
    return Graph(nodes, {"x": x, "y": y}, positions, "two paths from x to f")


GRAPHS: dict[str, Callable[[], Graph]] = {
    "one neuron": neuron_graph,
    "two paths": two_paths_graph,
}


class Dual:
    """A dual number a + b·ε with ε² = 0: carrying b through arithmetic is forward-mode autodiff."""

    __slots__ = ("value", "tangent")

    def __init__(self, value: float, tangent: float = 0.0):
        self.value, self.tangent = float(value), float(tangent)

    @staticmethod
    def lift(other) -> Dual:
        return other if isinstance(other, Dual) else Dual(other, 0.0)

    def __add__(self, other):
        o = Dual.lift(other)
        return Dual(self.value + o.value, self.tangent + o.tangent)

    __radd__ = __add__

    def __sub__(self, other):
        o = Dual.lift(other)
        return Dual(self.value - o.value, self.tangent - o.tangent)

    def __rsub__(self, other):
        return Dual.lift(other) - self

    def __mul__(self, other):
        o = Dual.lift(other)
        return Dual(self.value * o.value, self.tangent * o.value + self.value * o.tangent)

    __rmul__ = __mul__

    def __pow__(self, k: int):
        return Dual(self.value**k, k * self.value ** (k - 1) * self.tangent)

    def tanh(self) -> Dual:
        t = math.tanh(self.value)
        return Dual(t, (1.0 - t * t) * self.tangent)

    def __repr__(self) -> str:
        return f"Dual({self.value:.6g}, {self.tangent:.6g})"


# ----------------------------------------------------------------------------- tanh networks

Layers = list[tuple[np.ndarray, np.ndarray]]


class OpCounter:
    """Counts multiply-adds: a matrix product (n, k) @ (k, m) costs n·k·m, an entrywise op one per entry."""

    def __init__(self):
        self.madds = 0

    def matmul(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        A, B = np.asarray(A), np.asarray(B)
        self.madds += A.shape[0] * A.shape[1] * (B.shape[1] if B.ndim == 2 else 1)
        return A @ B

    def entrywise(self, result: np.ndarray, per_entry: int = 1) -> np.ndarray:
        self.madds += int(np.size(result)) * per_entry
        return result


def random_network(sizes: Sequence[int], seed: int = 0, scale: float = 1.0) -> Layers:
    """Layers with weights ~ N(0, scale²/fan_in) and zero biases, for sizes [d_in, h1, ..., d_out]."""
    rng = np.random.default_rng(seed)
    return [
        (rng.normal(scale=scale / math.sqrt(a), size=(a, b)), np.zeros(b))
        for a, b in zip(sizes[:-1], sizes[1:], strict=True)
    ]


def count_weights(layers: Layers) -> int:
    return sum(W.size + b.size for W, b in layers)


def network_loss(layers: Layers, X, y, counter: OpCounter | None = None) -> float:
    """Mean squared error of a tanh network (linear last layer) on the batch X, y."""
    c = counter or OpCounter()
    A = np.asarray(X, dtype=float)
    for i, (W, b) in enumerate(layers):
        Z = c.entrywise(c.matmul(A, W) + b)
        A = c.entrywise(np.tanh(Z)) if i < len(layers) - 1 else Z
    r = c.entrywise(A[:, 0] - np.asarray(y, dtype=float))
    return float(np.mean(c.entrywise(r**2)))


def network_jvp(layers: Layers, tangents: Layers, X, y, counter: OpCounter | None = None) -> float:
    """Forward mode: the directional derivative of the loss along ``tangents`` in one pass.

    Every intermediate array travels with its tangent (its derivative along the direction), just
    as a dual number does, so one pass gives one number: the gradient dotted with the direction.
    """
    c = counter or OpCounter()
    A = np.asarray(X, dtype=float)
    dA = np.zeros_like(A)
    for i, ((W, b), (dW, db)) in enumerate(zip(layers, tangents, strict=True)):
        Z = c.entrywise(c.matmul(A, W) + b)
        dZ = c.entrywise(c.matmul(dA, W) + c.matmul(A, dW) + db, 2)
        if i < len(layers) - 1:
            A = c.entrywise(np.tanh(Z))
            dA = c.entrywise(dZ * (1.0 - A**2), 2)
        else:
            A, dA = Z, dZ
    r = c.entrywise(A[:, 0] - np.asarray(y, dtype=float))
    return float(np.mean(c.entrywise(2.0 * r * dA[:, 0], 2)))


def network_vjp(layers: Layers, X, y, counter: OpCounter | None = None) -> tuple[float, Layers]:
    """Reverse mode: the loss and its gradient for every layer's (W, b), one forward + one backward pass."""
    c = counter or OpCounter()
    X = np.asarray(X, dtype=float)
    activations = [X]  # stored on the way forward: the backward pass needs them
    A = X
    for i, (W, b) in enumerate(layers):
        Z = c.entrywise(c.matmul(A, W) + b)
        A = c.entrywise(np.tanh(Z)) if i < len(layers) - 1 else Z
        activations.append(A)
    r = c.entrywise(A[:, 0] - np.asarray(y, dtype=float))
    loss = float(np.mean(r**2))
    delta = c.entrywise((2.0 / len(r)) * r[:, None])  # ∂L/∂(output), an (n, 1) column
    grads: Layers = []
    for i in reversed(range(len(layers))):
        W, _ = layers[i]
        if i < len(layers) - 1:  # back through tanh: multiply by 1 − A² entry by entry
            delta = c.entrywise(delta * (1.0 - activations[i + 1] ** 2), 2)
        grads.append((c.matmul(activations[i].T, delta), c.entrywise(delta.sum(axis=0))))
        if i > 0:
            delta = c.matmul(delta, W.T)
    return loss, grads[::-1]


def unit_directions(layers: Layers):
    """Every one-hot direction in weight space, in the order of the flattened parameters."""
    shapes = [(W.shape, b.shape) for W, b in layers]
    for li, (ws, bs) in enumerate(shapes):
        for which, shape in ((0, ws), (1, bs)):
            for flat in range(int(np.prod(shape))):
                direction = [(np.zeros(a), np.zeros(b)) for a, b in shapes]
                direction[li][which].flat[flat] = 1.0
                yield direction


def flatten(layers: Layers) -> np.ndarray:
    return np.concatenate([np.concatenate([W.ravel(), b.ravel()]) for W, b in layers])


def forward_mode_gradient(layers: Layers, X, y) -> tuple[np.ndarray, int]:
    """The whole gradient by forward mode: one JVP per weight. Returns (flat gradient, multiply-adds)."""
    c = OpCounter()
    grad = np.array([network_jvp(layers, d, X, y, c) for d in unit_directions(layers)])
    return grad, c.madds


def reverse_mode_gradient(layers: Layers, X, y) -> tuple[np.ndarray, int]:
    """The whole gradient by reverse mode: one VJP. Returns (flat gradient, multiply-adds)."""
    c = OpCounter()
    _, grads = network_vjp(layers, X, y, c)
    return flatten(grads), c.madds


def forward_pass_cost(layers: Layers, X, y) -> int:
    c = OpCounter()
    network_loss(layers, X, y, c)
    return c.madds


def central_difference_gradient(layers: Layers, X, y, h: float = 1e-6) -> np.ndarray:
    """Central differences of the loss along every weight (2 loss evaluations per weight)."""
    out = []
    for d in unit_directions(layers):
        up = [(W + h * dW, b + h * db) for (W, b), (dW, db) in zip(layers, d, strict=True)]
        down = [(W - h * dW, b - h * db) for (W, b), (dW, db) in zip(layers, d, strict=True)]
        out.append((network_loss(up, X, y) - network_loss(down, X, y)) / (2 * h))
    return np.array(out)


def relative_error(a, b) -> float:
    a, b = np.ravel(a), np.ravel(b)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12))


def input_gradient_norms(depth: int, width: int, scale: float, seed: int = 0) -> np.ndarray:
    """‖∂h_L/∂x · v‖ after 1..depth tanh layers: the product of Jacobians applied to a unit vector.

    Each layer h ← tanh(W h) with W ~ N(0, scale²/width) contributes the Jacobian diag(1 − h²) W;
    the norms show the product shrinking (scale < 1) or growing (scale > 1) geometrically.
    """
    rng = np.random.default_rng(seed)
    h = rng.normal(size=width)
    v = rng.normal(size=width)
    v /= np.linalg.norm(v)
    norms = []
    for _ in range(depth):
        W = rng.normal(scale=scale / math.sqrt(width), size=(width, width))
        h = np.tanh(W @ h)
        v = (1.0 - h**2) * (W @ v)
        norms.append(float(np.linalg.norm(v)))
    return np.array(norms)
