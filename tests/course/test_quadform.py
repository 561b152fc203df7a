"""The quadratic-form explorer names the critical point from the signs of the eigenvalues."""

from __future__ import annotations

import numpy as np
import pytest

from calcml.widgets.quadform import (
    classify_eigenvalues,
    hessian_from_eigen,
    quadratic_form_explorer,
)

CASES = [
    (1.5, 0.5, "minimum"),
    (-1.0, -2.5, "maximum"),
    (2.0, -1.0, "saddle"),
    (-0.3, 3.0, "saddle"),
    (0.0, 2.0, "inconclusive"),
    (-1.0, 0.0, "inconclusive"),
    (0.0, 0.0, "inconclusive"),
]


@pytest.fixture(scope="module")
def app():
    return quadratic_form_explorer()


@pytest.mark.parametrize(("l1", "l2", "verdict"), CASES)
@pytest.mark.parametrize("angle", [0, 35, 90])
def test_explorer_names_the_critical_point(app, l1, l2, verdict, angle):
    app.l1_slider.value, app.l2_slider.value, app.angle_slider.value = l1, l2, angle
    assert app.verdict == verdict
    label = "test inconclusive" if verdict == "inconclusive" else verdict
    assert f"origin: {label}" == app.verdict_text.get_text()
    said = "Test inconclusive" if verdict == "inconclusive" else f"The origin is a {verdict}"
    assert said in app.last_readout
    # The readout's H really has the slider eigenvalues, and v1 is an eigenvector for λ1.
    assert np.sort(np.linalg.eigvalsh(app.H)) == pytest.approx(np.sort([l1, l2]), abs=1e-12)
    t = np.radians(angle)
    v1 = np.array([np.cos(t), np.sin(t)])
    assert app.H @ v1 == pytest.approx(l1 * v1, abs=1e-12)


def test_hessian_is_symmetric_with_the_requested_eigenvalues():
    h = hessian_from_eigen(2.0, -1.0, 60)
    assert h == pytest.approx(h.T)
    assert np.linalg.eigvalsh(h) == pytest.approx([-1.0, 2.0])


def test_classify_eigenvalues_in_more_dimensions_and_bad_input():
    assert classify_eigenvalues([1, 2, 3]) == "minimum"
    assert classify_eigenvalues([1, -2, 3]) == "saddle"
    assert classify_eigenvalues([-1, -2, 0]) == "inconclusive"
    with pytest.raises(ValueError, match="eigenvalues"):
        classify_eigenvalues([])


def test_readout_and_png_change_when_sliders_move():
    app = quadratic_form_explorer(1.0, 2.0, 30)
    png, text = app.last_png, app.last_readout
    app.angle_slider.value = 80
    assert app.last_png != png and app.last_readout != text
    png, text = app.last_png, app.last_readout
    app.l2_slider.value = -2.0
    assert app.last_png != png and "saddle" in app.last_readout


def test_static_mimebundle_carries_png():
    bundle = quadratic_form_explorer(-1.0, -1.0, 0)._repr_mimebundle_()
    assert bundle["image/png"]
    assert "maximum" in bundle["text/plain"]


@pytest.mark.parametrize(
    ("l1", "l2", "words"),
    [
        (0.0, 2.0, ["flat along v₁", "non-strict) minima", "x² − y⁴ a saddle"]),
        (-1.0, 0.0, ["flat along v₂", "non-strict) maxima", "−x² + y⁴ a saddle"]),
        (0.0, 0.0, ["H = 0"]),
    ],
)
def test_singular_readout_says_what_the_quadratic_is_and_why_the_test_cannot_decide(l1, l2, words):
    app = quadratic_form_explorer(l1, l2, 20)
    assert app.verdict == "inconclusive"
    for word in words:
        assert word in app.last_readout
