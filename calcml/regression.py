"""The course's running example: one small regression that every chapter comes back to.

Six flats, their floor area ``x`` (in 100 m²) and monthly rent ``y`` (in 1 000 €). Chapter by
chapter the course fits them: the loss of the line through the origin, ŷ = w·x, as a function of
one number w (its limit quotient, its derivative by the chain rule, its minimum, a descent on it);
then the line with an intercept, ŷ = Xw with X = [1, x], whose loss has a gradient and a Hessian;
then the same model as a one-neuron network trained by backpropagation.

Only the data and the losses live here: the derivatives are what the chapters and their exercises
work out.
"""

from __future__ import annotations

import numpy as np

AREA = np.array([0.5, 0.8, 1.0, 1.2, 1.5, 2.0])
RENT = np.array([0.9, 1.3, 1.8, 2.0, 2.7, 3.5])


def slope_loss(w, x=AREA, y=RENT):
    """Mean squared error of ŷ = w·x: L(w) = mean((w·x − y)²). Works on an array of w too."""
    w = np.asarray(w, dtype=float)
    residuals = w[..., None] * x - y
    return np.mean(residuals**2, axis=-1)


def design_matrix(x=AREA) -> np.ndarray:
    """X = [1, x]: the first column multiplies the intercept, the second the slope."""
    return np.column_stack([np.ones_like(x), x])


def line_loss(w, x=AREA, y=RENT):
    """Mean squared error of ŷ = Xw with w = (intercept, slope): L(w) = ‖Xw − y‖² / n."""
    residuals = design_matrix(x) @ np.asarray(w, dtype=float) - y
    return float(residuals @ residuals) / len(y)
