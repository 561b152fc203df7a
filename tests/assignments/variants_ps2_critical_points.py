"""Correct and wrong answers for ps2_critical_points, graded through nbgrader by test_variants.py.

CORRECT variants must score full marks; each WRONG variant is a real misconception that must lose
points on its function's test cells only, with the tag given here in the failure output.
"""

from textwrap import dedent

ASSIGNMENT = "ps2_critical_points"


def _src(text: str) -> str:
    return dedent(text).strip("\n")


CORRECT = {
    "critical_points": [
        (
            "solve-then-numeric-filter",
            _src(
                """
                def critical_points(expr, x):
                    found = set()
                    for root in sp.solve(sp.diff(expr, x), x):
                        z = complex(sp.N(root, 30))
                        if abs(z.imag) < 1e-9:
                            found.add(round(z.real, 12))
                    return sorted(float(v) for v in found)
                """
            ),
        ),
        (
            "numpy-roots",
            _src(
                """
                def critical_points(expr, x):
                    coeffs = [float(c) for c in sp.Poly(sp.diff(expr, x), x).all_coeffs()]
                    if len(coeffs) < 2:
                        return []
                    real = sorted(float(r.real) for r in np.roots(coeffs) if abs(r.imag) < 1e-6)
                    merged = []
                    for r in real:
                        if not merged or abs(r - merged[-1]) > 1e-6:
                            merged.append(r)
                    return merged
                """
            ),
        ),
        (
            "nroots-with-imaginary-filter",
            _src(
                """
                def critical_points(expr, x):
                    slope = sp.Poly(sp.diff(expr, x), x)
                    if slope.degree() < 1:
                        return []
                    found = []
                    for root in slope.nroots():
                        re_part, im_part = root.as_real_imag()
                        if abs(im_part) < 1e-9 and all(abs(float(re_part) - v) > 1e-7 for v in found):
                            found.append(float(re_part))
                    return sorted(found)
                """
            ),
        ),
    ],
    "classify_critical_point": [
        (
            "lambdify",
            _src(
                """
                def classify_critical_point(expr, x, x0):
                    curvature = sp.lambdify(x, sp.diff(expr, x, 2))(x0)
                    if curvature > 0:
                        return "local minimum"
                    elif curvature < 0:
                        return "local maximum"
                    return "inconclusive"
                """
            ),
        ),
        (
            "sign-lookup",
            _src(
                """
                def classify_critical_point(expr, x, x0):
                    sign = int(sp.sign(sp.diff(expr, x, 2).subs(x, x0)))
                    return {1: "local minimum", -1: "local maximum", 0: "inconclusive"}[sign]
                """
            ),
        ),
        (
            "float-with-tolerance",
            _src(
                """
                def classify_critical_point(expr, x, x0):
                    value = float(sp.diff(expr, x, 2).subs(x, sp.nsimplify(x0)))
                    if abs(value) < 1e-12:
                        return "inconclusive"
                    return "local minimum" if value > 0 else "local maximum"
                """
            ),
        ),
    ],
    "inflection_points": [
        (
            "probe-between-zeros",
            _src(
                """
                def inflection_points(expr, x):
                    d2 = sp.Poly(sp.diff(expr, x, 2), x)
                    if d2.degree() < 1:
                        return []
                    zeros = sorted({float(r) for r in d2.real_roots()})
                    if not zeros:
                        return []
                    f2 = sp.lambdify(x, d2.as_expr())
                    probes = [zeros[0] - 1.0]
                    probes += [(a + b) / 2 for a, b in zip(zeros, zeros[1:])]
                    probes.append(zeros[-1] + 1.0)
                    signs = [np.sign(f2(p)) for p in probes]
                    return [z for z, left, right in zip(zeros, signs, signs[1:]) if left != right]
                """
            ),
        ),
        (
            "odd-multiplicity-factors",
            _src(
                """
                def inflection_points(expr, x):
                    d2 = sp.diff(expr, x, 2)
                    if d2.is_number:
                        return []
                    points = set()
                    for factor, power in sp.factor_list(d2, x)[1]:
                        if power % 2 == 1:
                            points.update(float(r) for r in sp.Poly(factor, x).real_roots())
                    return sorted(points)
                """
            ),
        ),
        (
            "order-of-first-nonzero-derivative",
            _src(
                """
                def inflection_points(expr, x):
                    curvature = sp.Poly(sp.diff(expr, x, 2), x)
                    if curvature.degree() < 1:
                        return []
                    points = []
                    for r in sorted(set(curvature.real_roots()), key=float):
                        order = 3
                        while sp.diff(expr, x, order).subs(x, r) == 0:
                            order += 1
                        if order % 2 == 1:  # f'' changes sign when its first non-zero derivative is odd
                            points.append(float(r))
                    return points
                """
            ),
        ),
    ],
}

WRONG = {
    "critical_points": [
        (
            "complex-roots-kept",
            _src(
                """
                def critical_points(expr, x):
                    roots = sp.solve(sp.diff(expr, x), x)
                    return sorted({float(sp.re(sp.N(r))) for r in roots})
                """
            ),
        ),
        (
            "missed-real-roots",
            _src(
                """
                def critical_points(expr, x):
                    roots = sp.solve(sp.diff(expr, x), x)
                    return sorted(float(r) for r in roots if r.is_real)
                """
            ),
        ),
        (
            "sympy-objects-not-floats",
            _src(
                """
                def critical_points(expr, x):
                    slope = sp.Poly(sp.diff(expr, x), x)
                    return sorted(set(slope.real_roots()))
                """
            ),
        ),
        (
            "solved-expr-not-derivative",
            _src(
                """
                def critical_points(expr, x):
                    return sorted({float(r) for r in sp.Poly(expr, x).real_roots()})
                """
            ),
        ),
        (
            "duplicates",
            _src(
                """
                def critical_points(expr, x):
                    return [float(r) for r in sp.Poly(sp.diff(expr, x), x).real_roots()]
                """
            ),
        ),
        (
            "unsorted",
            _src(
                """
                def critical_points(expr, x):
                    return list({float(r) for r in sp.Poly(sp.diff(expr, x), x).real_roots()})
                """
            ),
        ),
        (
            "ignores-symbol-argument",
            _src(
                """
                def critical_points(expr, x):
                    s = sp.Symbol("x")
                    slope = sp.Poly(sp.diff(expr, s), s)
                    if slope.is_zero:
                        return []
                    return sorted({float(r) for r in slope.real_roots()})
                """
            ),
        ),
    ],
    "classify_critical_point": [
        (
            "zero-second-derivative-as-minimum",
            _src(
                """
                def classify_critical_point(expr, x, x0):
                    curvature = sp.diff(expr, x, 2).subs(x, x0)
                    return "local minimum" if curvature >= 0 else "local maximum"
                """
            ),
        ),
        (
            "zero-second-derivative-as-maximum",
            _src(
                """
                def classify_critical_point(expr, x, x0):
                    curvature = sp.diff(expr, x, 2).subs(x, x0)
                    return "local minimum" if curvature > 0 else "local maximum"
                """
            ),
        ),
        (
            "swapped-min-max",
            _src(
                """
                def classify_critical_point(expr, x, x0):
                    curvature = sp.diff(expr, x, 2).subs(x, x0)
                    if curvature > 0:
                        return "local maximum"
                    if curvature < 0:
                        return "local minimum"
                    return "inconclusive"
                """
            ),
        ),
        (
            "used-first-derivative",
            _src(
                """
                def classify_critical_point(expr, x, x0):
                    slope = sp.diff(expr, x).subs(x, x0)
                    if slope > 0:
                        return "local minimum"
                    if slope < 0:
                        return "local maximum"
                    return "inconclusive"
                """
            ),
        ),
        (
            "wrong-label",
            _src(
                """
                def classify_critical_point(expr, x, x0):
                    curvature = sp.diff(expr, x, 2).subs(x, x0)
                    if curvature > 0:
                        return "minimum"
                    if curvature < 0:
                        return "maximum"
                    return "inconclusive"
                """
            ),
        ),
        (
            "x0-truncated",
            _src(
                """
                def classify_critical_point(expr, x, x0):
                    curvature = sp.diff(expr, x, 2).subs(x, int(x0))
                    if curvature > 0:
                        return "local minimum"
                    if curvature < 0:
                        return "local maximum"
                    return "inconclusive"
                """
            ),
        ),
    ],
    "inflection_points": [
        (
            "no-sign-change-included",
            _src(
                """
                def inflection_points(expr, x):
                    d2 = sp.Poly(sp.diff(expr, x, 2), x)
                    if d2.is_zero:
                        return []
                    return sorted({float(r) for r in d2.real_roots()})
                """
            ),
        ),
        (
            "used-first-derivative",
            _src(
                """
                def inflection_points(expr, x):
                    d1 = sp.Poly(sp.diff(expr, x), x)
                    if d1.is_zero:
                        return []
                    roots = d1.real_roots()
                    return sorted({float(r) for r in roots if roots.count(r) % 2 == 1})
                """
            ),
        ),
        (
            "complex-roots-kept",
            _src(
                """
                def inflection_points(expr, x):
                    d2 = sp.diff(expr, x, 2)
                    if d2.is_number:
                        return []
                    found = sp.roots(sp.Poly(d2, x))
                    return sorted({float(sp.re(r)) for r, m in found.items() if m % 2 == 1})
                """
            ),
        ),
        (
            "unsorted",
            _src(
                """
                def inflection_points(expr, x):
                    d2 = sp.Poly(sp.diff(expr, x, 2), x)
                    if d2.is_zero:
                        return []
                    roots = d2.real_roots()
                    return list({float(r) for r in roots if roots.count(r) % 2 == 1})
                """
            ),
        ),
        (
            "missed-inflection-points",
            _src(
                """
                def inflection_points(expr, x):
                    d2 = sp.diff(expr, x, 2)
                    if d2.is_number:
                        return []
                    f2 = sp.lambdify(x, d2)
                    zeros = sorted({float(r) for r in sp.Poly(d2, x).real_roots()})
                    return [z for z in zeros if f2(z - 0.1) * f2(z + 0.1) < 0]
                """
            ),
        ),
        (
            "missed-real-roots",
            _src(
                """
                def inflection_points(expr, x):
                    curvature = sp.diff(expr, x, 2)
                    if curvature.is_number:
                        return []
                    points = []
                    for r, mult in sp.roots(sp.Poly(curvature, x)).items():
                        if r.is_real and mult % 2 == 1:  # is_real is None for roots written with I
                            points.append(float(r))
                    return sorted(points)
                """
            ),
        ),
    ],
}
