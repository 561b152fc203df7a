"""Hints of ps5's hidden tests: backpropagation (chapter 6).

Each row: (tag, chapter, section, sentence for the student); see :mod:`autograder.reports.misconceptions`.
"""

from __future__ import annotations

from .sections import ADJOINTS, BYHAND, GCHECK, LAYER, TRAIN, B

ROWS = [
    # ps5: backpropagation (chapter 6).
    (
        "missing-bias",
        B,
        LAYER,
        "The layer must add the bias: Z = X @ W + b.",
    ),
    (
        "transposed-weights",
        B,
        LAYER,
        "W has shape (d_in, d_out), so multiply by W itself, not by W.T.",
    ),
    (
        "reversed-product",
        B,
        LAYER,
        "With one example per row the product is X @ W, not W @ X.",
    ),
    (
        "bias-per-row",
        B,
        LAYER,
        "The bias b has one entry per output unit and is added to every row, not as a column.",
    ),
    (
        "forgot-transpose",
        B,
        LAYER,
        "Going back through W needs its transpose (dX = dZ @ W.T), and the weight gradient needs X.T (dW = X.T @ dZ).",
    ),
    (
        "transposed-weight-gradient",
        B,
        LAYER,
        "The product dZ.T @ X is dW transposed: dW = X.T @ dZ has the shape of W.",
    ),
    (
        "db-wrong-axis",
        B,
        LAYER,
        "The bias gradient sums dZ over the examples (axis=0), not over the output units.",
    ),
    (
        "db-mean-not-sum",
        B,
        LAYER,
        "Every example uses b, so their gradients add up: take the sum over the examples, not the mean.",
    ),
    (
        "db-summed-everything",
        B,
        LAYER,
        "Sum over the examples only: db keeps one entry per output unit.",
    ),
    (
        "db-first-row-only",
        B,
        LAYER,
        "The bias gradient adds up the contributions of every row of dZ, not only the first.",
    ),
    (
        "averaged-over-batch",
        B,
        LAYER,
        "Do not divide dW by n: the 1/n of the loss is already inside dZ.",
    ),
    (
        "wrong-order",
        B,
        LAYER,
        "Return the three gradients in the order (dX, dW, db).",
    ),
    (
        "tanh-not-derivative",
        B,
        BYHAND,
        "The local derivative of tanh is 1 - tanh(Z)², not tanh(Z) itself.",
    ),
    (
        "used-z-as-activation",
        B,
        BYHAND,
        "Z is the input of tanh: the derivative is 1 - tanh(Z)², not 1 - Z².",
    ),
    (
        "square-misplaced",
        B,
        BYHAND,
        "Square tanh(Z) first, then subtract it from 1: 1 - tanh(Z)², not (1 - tanh(Z))².",
    ),
    (
        "plus-not-minus",
        B,
        BYHAND,
        "The sign inside is wrong: the derivative is 1 - tanh(Z)², not 1 + tanh(Z)².",
    ),
    (
        "forgot-upstream-gradient",
        B,
        ADJOINTS,
        "By the chain rule the local derivative is multiplied by the gradient arriving from above, dA.",
    ),
    (
        "swapped-arguments",
        B,
        BYHAND,
        "The call is tanh_backward(dA, Z): dA is the incoming gradient and Z the pre-activation.",
    ),
    (
        "wrong-derivative",
        B,
        BYHAND,
        "An extra factor crept into the local derivative: it is exactly 1 - tanh(Z)².",
    ),
    (
        "broadcast-yhat-minus-y",
        B,
        BYHAND,
        "A prediction of shape (n, 1) minus y of shape (n,) broadcasts to an n × n table: take (H @ W2 + b2)[:, 0].",
    ),
    (
        "loss-not-scalar",
        B,
        BYHAND,
        "Return the loss as one float, not as an array.",
    ),
    (
        "missing-keys",
        B,
        BYHAND,
        "The gradients must come as a dict with the same keys as params: W1, b1, W2 and b2.",
    ),
    (
        "skipped-tanh-derivative",
        B,
        BYHAND,
        "On the way back through the hidden layer, multiply by the local derivative 1 - H².",
    ),
    (
        "wrong-loss",
        B,
        BYHAND,
        "The loss does not match mean((ŷ - y)²): redo the forward pass step by step.",
    ),
    (
        "wrong-gradient",
        B,
        BYHAND,
        "A gradient matches no known mistake: redo the backward pass one layer at a time and check it against central differences.",
    ),
    (
        "params-modified-in-place",
        B,
        TRAIN,
        "Updating with -= changes the caller's arrays: build new arrays, starting from a copy of params.",
    ),
    (
        "absolute-not-relative",
        B,
        GCHECK,
        "Divide the norm of the difference by max(‖g‖ + ‖n‖, 1e-12) to get the relative error.",
    ),
    (
        "missing-floor",
        B,
        GCHECK,
        "When both gradients are zero the 1e-12 floor keeps 0/0 away: the answer is then 0.",
    ),
    (
        "losses-not-array",
        B,
        TRAIN,
        "Return the losses as a NumPy float array, not as a list.",
    ),
    (
        "wrong-params",
        B,
        TRAIN,
        "The final parameters are not those of gradient descent with your mlp_loss_and_grads.",
    ),
    (
        "stale-final-params",
        B,
        TRAIN,
        "Return the parameters after the last step: the ones whose loss is losses[-1].",
    ),
    (
        "mlp-loss-and-grads-unusable",
        B,
        BYHAND,
        "Your mlp_loss_and_grads fails on these inputs, so training cannot run: fix it first.",
    ),
    (
        "losses-off-by-one",
        B,
        TRAIN,
        "Taking n_steps steps gives n_steps + 1 losses: one before each step and one after the last.",
    ),
    (
        "wrong-losses",
        B,
        TRAIN,
        "The losses are not those of gradient descent with your mlp_loss_and_grads: check the update and the order of loss and step.",
    ),
]
