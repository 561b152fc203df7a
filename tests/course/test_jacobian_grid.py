"""The Jacobian grid view: J agrees with finite differences and det J with the area of a small image."""

from __future__ import annotations

import numpy as np
import pytest

from calcml.widgets.jacobian_grid import MAPS, jacobian_grid_view


def finite_difference_jacobian(F, p, h=1e-6):
    J = np.zeros((2, 2))
    for j in range(2):
        step = np.zeros(2)
        step[j] = h
        plus = np.array(F(*(np.asarray(p) + step)), dtype=float)
        minus = np.array(F(*(np.asarray(p) - step)), dtype=float)
        J[:, j] = (plus - minus) / (2 * h)
    return J


def image_area(F, p, r, n=400):
    """Area of the image of the square [p − r, p + r]² under F, by the shoelace formula."""
    s = np.linspace(-r, r, n, endpoint=False)
    xs = np.concatenate([s, np.full(n, r), -s, np.full(n, -r)]) + p[0]
    ys = np.concatenate([np.full(n, -r), s, np.full(n, r), -s]) + p[1]
    u, v = F(xs, ys)
    return 0.5 * abs(np.dot(u, np.roll(v, -1)) - np.dot(v, np.roll(u, -1)))


@pytest.fixture(scope="module")
def app():
    return jacobian_grid_view()


CASES = [(name, (1.0, 0.5)) for name in MAPS] + [
    ("polar-like", (-0.7, 1.3)),
    ("squaring", (-0.7, 1.3)),
]


@pytest.mark.parametrize(("name", "point"), CASES)
def test_jacobian_matches_finite_differences_and_det_matches_area(app, name, point):
    app.map_picker.value = name
    app.x_slider.value, app.y_slider.value = point
    app.r_slider.value = 10**-1.5
    assert app.J == pytest.approx(finite_difference_jacobian(app.mapping, point), abs=1e-6)
    r = 1e-3
    ratio = image_area(app.mapping, point, r) / (2 * r) ** 2
    assert abs(app.det) == pytest.approx(ratio, rel=1e-3)
    assert f"det J = {app.det:.4f}" in app.last_readout


def test_curved_and_linear_grids_agree_more_as_the_square_shrinks(app):
    app.map_picker.value = "squaring"
    app.r_slider.value = 0.5
    big = app.max_gap
    app.r_slider.value = 0.05
    small = app.max_gap
    assert small < big / 50  # the gap shrinks like r²: 10× smaller square, ~100× smaller gap


def test_readout_and_png_change_when_sliders_move():
    app = jacobian_grid_view("polar-like")
    png, text = app.last_png, app.last_readout
    app.x_slider.value = 0.8
    assert app.last_png != png and app.last_readout != text
    assert "det J = 0.8000" in app.last_readout  # polar map: det J = r


def test_static_mimebundle_and_bad_preset():
    bundle = jacobian_grid_view("linear map")._repr_mimebundle_()
    assert bundle["image/png"]
    assert "det J = 1.7000" in bundle["text/plain"]
    with pytest.raises(ValueError, match="unknown map 'swirl'"):
        jacobian_grid_view("swirl")
