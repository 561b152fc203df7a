"""Chapter 6 (the chain rule and backpropagation): the 'Your turn' exercises, in chapter order."""

from __future__ import annotations

import math

import numpy as np

from calcml.regression import AREA, RENT, design_matrix
from calcml.yourturn import Case, ChoiceExercise, ClassifyExercise, FunctionExercise, NumberExercise

# the neuron of the chapter: L = (tanh(w x + b) − y)² at x = 1.5, w = 0.8, b = −0.5, y = 0.2
_X, _W, _B, _Y = 1.5, 0.8, -0.5, 0.2
_A = math.tanh(_W * _X + _B)
_DZ = 2 * (_A - _Y) * (1 - _A * _A)


def _jacobian_vjp(v, W, x):
    """vᵀJ with the Jacobian J = diag(1 − tanh²(Wx)) W built in full: the slow, obvious route."""
    W, x, v = (np.asarray(t, dtype=float) for t in (W, x, v))
    J = np.diag(1 - np.tanh(W @ x) ** 2) @ W
    return v @ J


_VJP_CASES = [
    (np.array([1.0, 0.0]), np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([0.0, 0.0])),
    (np.array([0.3, -0.7]), np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([0.4, -0.2])),
    (
        np.array([1.0, 2.0, -1.0]),
        np.array([[0.2, -0.4], [1.5, 0.3], [-0.8, 0.9]]),
        np.array([1.0, -2.0]),
    ),
]

# the running example as a one-neuron network: ŷ = b + w·x, gradient at (b, w) = (0, 1)
_X_DESIGN = design_matrix(AREA)
_THREAD_W = np.array([0.0, 1.0])
_THREAD_GRAD = (2 / len(RENT)) * _X_DESIGN.T @ (_X_DESIGN @ _THREAD_W - RENT)

EXERCISES = (
    NumberExercise(
        key="ch06.chain-by-hand",
        hint="Inner function u = 3x + 1 with du/dx = 3; outer y = u² with dy/du = 2u. Evaluate u at "
        "x = 1 first, then multiply the two rates.",
        solution=r"""With $u = 3x + 1$ and $y = u^2$: $\frac{dy}{du} = 2u$ and $\frac{du}{dx} = 3$, so

$$\frac{dy}{dx} = 2u \cdot 3 = 6(3x + 1).$$

At $x = 1$, $u = 4$ and $\frac{dy}{dx} = 2 \cdot 4 \cdot 3 = 24$. (Check by expanding:
$y = 9x^2 + 6x + 1$, $y' = 18x + 6 = 24$ at $x = 1$.)""",
        answer=24.0,
        slips={
            8.0: "That is only the outer rate dy/du = 2u = 8; multiply by the inner rate du/dx = 3.",
            6.0: "The outer derivative 2u must be evaluated at u = 3·1 + 1 = 4, not left as 2.",
            16.0: "That is u² = 16, the value of y, not its rate of change.",
        },
    ),
    NumberExercise(
        key="ch06.two-paths",
        hint="x reaches f = u·v along two paths. Path through u: (∂f/∂u)(du/dx) = v · 2x. Path "
        "through v: (∂f/∂v)(dv/dx) = u · eˣ. Add the two at x = 1.",
        solution=r"""With $u = x^2$ and $v = e^x$, $f = u v$:

- path through $u$: $\frac{\partial f}{\partial u}\frac{du}{dx} = v \cdot 2x = 2e$ at $x = 1$;
- path through $v$: $\frac{\partial f}{\partial v}\frac{dv}{dx} = u \cdot e^x = e$ at $x = 1$.

The contributions add: $\frac{df}{dx} = 2e + e = 3e \approx 8.154845$, which is also what the
product rule gives for $(x^2 e^x)' = (2x + x^2)e^x$.""",
        answer=3 * math.e,
        rtol=1e-5,
        slips={
            2 * math.e: "That is the path through u alone; x also reaches f through v = eˣ. Add "
            "that path's product u · eˣ = e.",
            math.e: "That is the path through v alone; add the path through u, v · 2x = 2e.",
            2 * math.e * math.e: "The paths add, they do not multiply: 2e + e, not 2e · e.",
        },
    ),
    NumberExercise(
        key="ch06.backprop-by-hand",
        hint="Go backwards: ∂L/∂r = 2r, ∂L/∂a = ∂L/∂r · 1, ∂L/∂z = ∂L/∂a · (1 − a²), "
        "∂L/∂u = ∂L/∂z · 1, and finally ∂L/∂w = ∂L/∂u · x. Take a and r from the forward table.",
        solution=rf"""From the forward pass, $a = \tanh(0.7) = {_A:.6f}$ and $r = a - y = {_A - _Y:.6f}$.
Backwards, one local derivative at a time:

- $\bar r = 2r = {2 * (_A - _Y):.6f}$ and $\bar a = \bar r \cdot 1$;
- $\bar z = \bar a \cdot (1 - a^2) = {2 * (_A - _Y):.6f} \cdot {1 - _A * _A:.6f} = {_DZ:.6f}$;
- $\bar u = \bar z \cdot 1$, and since $u = w x$, $\bar w = \bar u \cdot x = {_DZ:.6f} \cdot 1.5 = {_DZ * _X:.6f}$.

The stepper's last backward steps show the same numbers.""",
        answer=_DZ * _X,
        rtol=1e-3,
        slips={
            _DZ: "That is ∂L/∂z (and ∂L/∂u). One more edge: u = w·x, so multiply by ∂u/∂w = x = 1.5.",
            2 * (_A - _Y) * _X: "The factor 1 − tanh²z of the tanh node is missing: a = tanh z "
            "has the local derivative 1 − a².",
            _DZ * _W: "That is ∂L/∂x: on the edge from w to u the local derivative is ∂u/∂w = x, "
            "not w.",
        },
    ),
    ClassifyExercise(
        key="ch06.forward-or-reverse",
        hint="",
        solution=r"""Forward mode costs one pass per **input** direction, reverse mode one backward pass
per **output**. So:

- the gradient of one loss with respect to a million weights: **reverse mode** (one backward pass
  instead of a million forward ones);
- the derivatives of a thousand outputs of a simulation with respect to its one input parameter:
  **forward mode** (one pass with the input seeded);
- the derivative of the loss along one chosen direction in weight space (a Jacobian–vector
  product): **forward mode**, one pass with that direction as the seed;
- one vector–Jacobian product $v^\top J$: **reverse mode**, since that is exactly what one
  backward pass computes when it is seeded with $v$.""",
        prompt="Which mode of automatic differentiation does each job in the fewest passes?",
        labels=("forward mode", "reverse mode"),
        items={
            "the gradient of one loss with respect to 10⁶ weights": "reverse mode",
            "1000 outputs of a simulation, differentiated by its 1 input": "forward mode",
            "the loss's derivative along one direction in weight space": "forward mode",
            "one vector–Jacobian product vᵀJ": "reverse mode",
        },
        why={
            "the gradient of one loss with respect to 10⁶ weights": "One output, many inputs: "
            "reverse mode gets every weight's derivative in one backward pass; forward mode "
            "would need 10⁶ passes.",
            "1000 outputs of a simulation, differentiated by its 1 input": "One input, many "
            "outputs: a single forward pass with the input seeded carries all 1000 derivatives.",
            "the loss's derivative along one direction in weight space": "A derivative along one "
            "direction is a Jacobian–vector product: one forward pass with that direction as "
            "the seed.",
            "one vector–Jacobian product vᵀJ": "vᵀJ is what one backward pass computes, seeded "
            "with v; forward mode would need one pass per input.",
        },
    ),
    FunctionExercise(
        key="ch06.layer-vjp",
        hint="For y = tanh(W x) the Jacobian is diag(1 − y²) W. So vᵀJ = Wᵀ(v ⊙ (1 − y²)): "
        "multiply v entry by entry by 1 − y², then by Wᵀ. No need to build J.",
        solution=r"""Write $z = Wx$ and $y = \tanh z$. The Jacobian of $y$ in $x$ is
$J = \operatorname{diag}(1 - y^2)\,W$ (the tanh acts entry by entry, the matrix product mixes). A
vector–Jacobian product never builds it:

$$v^\top J = \bigl(v \odot (1 - y^2)\bigr)^\top W, \quad\text{as a vector } W^\top\bigl(v \odot (1 - y^2)\bigr).$$

That is one entrywise product and one matrix–vector product, the two steps of backpropagating
through a tanh layer: $\delta = v \odot (1 - y^2)$, then $\delta$ times $W$.""",
        name="layer_vjp",
        cases=tuple(Case((v, W, x), _jacobian_vjp(v, W, x)) for v, W, x in _VJP_CASES),
        solution_code="""import numpy as np


def layer_vjp(v, W, x):
    y = np.tanh(W @ x)
    return W.T @ (v * (1 - y**2))
""",
    ),
    ChoiceExercise(
        key="ch06.predict-one-unit",
        hint="",
        solution=r"""With one hidden unit the network is $\hat y = w_2 \tanh(w_1 x + b_1) + b_2$: a single
S-shaped step, stretched and shifted. $\tanh$ is monotone, so $\hat y$ is monotone in $x$ (rising or
falling everywhere) whatever the weights, and it cannot turn round to follow a wave with two
bends. More training only finds the best single step. With two or more units the steps can be
stacked with opposite signs, and the fit can bend.""",
        prompt="Before you drag: with 1 hidden unit and as many steps as you like, can the "
        "network's curve follow both bends of the wave?",
        options=(
            "yes, given enough steps",
            "no: one tanh unit can only make a curve that rises (or falls) all the way",
            "only with a large learning rate",
        ),
        answer=1,
        feedback=(
            "Training cannot add shape the model does not have: ŷ = w₂·tanh(w₁x + b₁) + b₂ is "
            "monotone in x for every choice of weights, so it cannot go up, down and up again.",
            "Right: w₂·tanh(w₁x + b₁) + b₂ is one stretched S-curve, monotone in x. Check it "
            "with the trainer, then try 2 and 3 units.",
            "A larger learning rate changes how fast (or whether) training settles, not which "
            "curves one tanh unit can draw: they are all monotone.",
        ),
    ),
    NumberExercise(
        key="ch06.thread-gradient",
        hint="The output node is ŷᵢ = b + w·xᵢ, so δᵢ = ∂L/∂ŷᵢ = (2/n)(ŷᵢ − yᵢ). Then ∂L/∂b = Σ δᵢ "
        "and ∂L/∂w = Σ xᵢ δᵢ. At (b, w) = (0, 1), ŷᵢ = xᵢ.",
        solution=rf"""At $b = 0$, $w = 1$ the predictions are $\hat y_i = x_i$ and the residuals
$\hat y_i - y_i$ are the areas minus the rents. Backpropagation starts at the loss with
$\delta_i = \frac{{2}}{{n}}(\hat y_i - y_i)$ and follows the two edges into $\hat y_i = b + w x_i$,
whose local derivatives are $1$ (for $b$) and $x_i$ (for $w$); summing over the six flats,

$$\frac{{\partial L}}{{\partial b}} = \sum_i \delta_i = {_THREAD_GRAD[0]:.6f}, \qquad
\frac{{\partial L}}{{\partial w}} = \sum_i x_i\,\delta_i = {_THREAD_GRAD[1]:.6f}.$$

That is chapter 4's $\frac{{2}}{{n}}X^\top(Xw - y)$, and its second entry is chapter 2's $L'(1)$.""",
        answer=tuple(float(g) for g in _THREAD_GRAD),
        rtol=1e-4,
        slips={
            tuple(float(g) for g in _THREAD_GRAD * len(RENT) / 2): "The factor 2/n is missing: "
            "the loss is a mean of squares, so δᵢ = (2/n)(ŷᵢ − yᵢ).",
            tuple(float(g) for g in _THREAD_GRAD / 2): "The 2 from differentiating the square is "
            "missing: δᵢ = (2/n)(ŷᵢ − yᵢ), not (1/n)(ŷᵢ − yᵢ).",
            tuple(float(-g) for g in _THREAD_GRAD): "The signs are flipped: use ŷ − y (prediction "
            "minus target), which is negative here because the line x predicts too little rent.",
            (float(_THREAD_GRAD[1]), float(_THREAD_GRAD[0])): "Right numbers, wrong order: the "
            "pair is (∂L/∂b, ∂L/∂w), intercept first as in X = [1, x].",
        },
    ),
)
