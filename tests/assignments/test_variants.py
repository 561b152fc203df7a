"""Hidden tests accept correct answers and catch wrong ones, proved through real `nbgrader autograde`.

Generic over every ``variants_<assignment>.py`` next to this file (see harness.py). All selected
assignments are graded once per session, concurrently, one autograde call per assignment.
"""

from __future__ import annotations

import re
from pathlib import Path

import calcml_assignment_harness as harness  # loaded by conftest.py
import nbformat
import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
pytestmark = [pytest.mark.nbgrader, pytest.mark.slow]


SPECS = {}
BROKEN = {}  # variants file name -> why it could not be loaded
for _path in harness.variant_files(HERE):
    try:
        _spec = harness.load_spec(_path)
        SPECS[_spec.name] = _spec
    except Exception as exc:  # reported by test_variants_file_loads, not at collection
        BROKEN[_path.name] = f"{type(exc).__name__}: {exc}"

CASES = [
    pytest.param(name, v, id=f"{name}-{v.student}-{v.label}")
    for name, spec in SPECS.items()
    for v in spec.variants
]


def _selected_assignments(session) -> list[str]:
    names = set()
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        if item.path.resolve() == Path(__file__).resolve() and callspec is not None:
            name = callspec.params.get("assignment")
            if name in SPECS:
                names.add(name)
    return sorted(names) or sorted(SPECS)


@pytest.fixture(scope="session")
def graded(request, tmp_path_factory):
    """Grade every selected assignment's variants once (one autograde call each, run concurrently)."""
    specs = [SPECS[name] for name in _selected_assignments(request.session)]
    return harness.grade_all(specs, tmp_path_factory.mktemp("variants"), REPO)


def _normalise(code: str) -> str:
    return re.sub(r"\s+", " ", code).strip()


def test_every_variants_file_loads():
    assert SPECS or BROKEN, f"no variants_*.py file in {HERE}"
    assert not BROKEN, "\n".join(f"{name}: {why}" for name, why in BROKEN.items())


@pytest.mark.parametrize("assignment", sorted(SPECS))
def test_variants_file_covers_the_contract(assignment):
    spec = SPECS[assignment]
    source_nb = nbformat.read(REPO / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    reference = harness.reference_solutions(source_nb)
    assert sorted(spec.functions) == sorted(reference), (
        f"{spec.variants_file.name} covers {sorted(spec.functions)}, "
        f"but the answer cells of source/{assignment} are {sorted(reference)}"
    )
    for function in spec.functions:
        right = [v for v in spec.variants if v.function == function and v.correct]
        wrong = [v for v in spec.variants if v.function == function and not v.correct]
        assert len(right) >= 2, (
            f"{spec.variants_file.name}: {function} has {len(right)} correct variants (need 2)"
        )
        assert len(wrong) >= 4, (
            f"{spec.variants_file.name}: {function} has {len(wrong)} wrong variants (need 4)"
        )
        for v in right:
            assert _normalise(v.source) != _normalise(reference[function]), (
                f"{spec.variants_file.name}: correct variant {v.label!r} of {function} is the reference solution"
            )
        sources = [_normalise(v.source) for v in right + wrong]
        assert len(set(sources)) == len(sources), (
            f"{spec.variants_file.name}: {function} has duplicate variants"
        )


@pytest.mark.parametrize("assignment", sorted(SPECS))
def test_autograde_graded_every_submission(graded, assignment):
    g = graded[assignment]
    expected = {harness.REFERENCE, harness.BLANK, *g.packs}
    packed = sorted(v.student for pack in g.packs.values() for v in pack.values())
    assert packed == sorted(v.student for v in g.spec.variants), "a variant is in no submission"
    missing = sorted(expected - set(g.results))
    assert g.returncode == 0, (
        f"nbgrader autograde {assignment} exited {g.returncode}:\n{g.log[-3000:]}"
    )
    assert not missing, f"nbgrader autograde {assignment} dropped {missing}:\n{g.log[-3000:]}"
    assert g.test_cells, f"source/{assignment} has no autograder test cells"


@pytest.mark.parametrize("assignment", sorted(SPECS))
def test_reference_scores_full_marks(graded, assignment):
    g = graded[assignment]
    cells = g.results[harness.REFERENCE]
    lost = {
        gid: cells[gid].error_text[-800:]
        for gid, pts in g.test_cells.items()
        if cells[gid].score < pts
    }
    assert not lost, f"the reference solution of {assignment} loses points: {lost}"
    assert g.total(harness.REFERENCE) == pytest.approx(g.max_total)


@pytest.mark.parametrize("assignment", sorted(SPECS))
def test_blank_release_scores_zero(graded, assignment):
    g = graded[assignment]
    cells = g.results[harness.BLANK]
    scored = {gid: cells[gid].score for gid in g.test_cells if cells[gid].score != 0}
    assert not scored, f"the blank release notebook of {assignment} scores points: {scored}"
    assert all("NotImplementedError" in cells[gid].error_text for gid in g.test_cells), (
        "every test cell of the blank notebook should fail on the unimplemented stub"
    )


@pytest.mark.parametrize(("assignment", "variant"), CASES)
def test_variant(graded, assignment, variant):
    problems = harness.judge(graded[assignment], variant)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("assignment", sorted(SPECS))
def test_variant_table(graded, assignment, capsys):
    g = graded[assignment]
    text = harness.table(g)
    with capsys.disabled():
        print("\n" + text)
    failing = [v.student for v in g.spec.variants if harness.judge(g, v)]
    assert not failing, f"{assignment}: variants not handled as required: {failing}\n{text}"


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("CORRECT = {}\nWRONG = {}\n", "missing ASSIGNMENT"),
        ("ASSIGNMENT = 'other'\nCORRECT = {}\nWRONG = {}\n", "does not match the file name"),
        (
            "ASSIGNMENT = 'psx'\nCORRECT = {'f': [('a', 'def g():\\n    pass')]}\nWRONG = {}\n",
            "does not define f()",
        ),
        (
            "ASSIGNMENT = 'psx'\nCORRECT = {}\nWRONG = {'f': [('Bad Tag', 'def f():\\n    pass')]}\n",
            "bad tag",
        ),
        (
            "ASSIGNMENT = 'psx'\nCORRECT = {'f': ['def f():\\n    pass']}\nWRONG = {}\n",
            "is not a pair",
        ),
    ],
)
def test_bad_variants_file_is_reported(tmp_path, text, complaint):
    path = tmp_path / "variants_psx.py"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(harness.VariantsError) as info:
        harness.load_spec(path)
    assert "variants_psx.py" in str(info.value)
    assert complaint in str(info.value)


def _v(function: str, source: str, n: int = 0) -> harness.Variant:
    return harness.Variant(function, False, "x", source, f"bad-{function}-{n}")


def test_packs_hold_one_variant_per_function_and_keep_coupled_or_clashing_ones_apart():
    variants = [
        _v("f", "def f(x):\n    return x", 0),
        _v("f", "def f(x):\n    return -x", 1),
        _v("g", "def g(x):\n    return f(x)", 0),  # coupled to f through its reference
        _v("h", "import numpy as np\nK = 2\ndef h(x):\n    return K * x", 0),
        _v("k", "import numpy as np\nK = 3\ndef k(x):\n    return K * x", 0),  # K clashes with h's
        _v("m", "import numpy as np\ndef m(x):\n    return np.sum(x)", 0),  # same import: fine
    ]
    texts = {"f": "def f(x): ...", "g": "def g(x): return f(x)", "h": "", "k": "", "m": ""}
    packs = harness.pack_variants(variants, texts)
    placed = [v for pack in packs.values() for v in pack.values()]
    assert sorted(v.student for v in placed) == sorted(v.student for v in variants)
    for pack in packs.values():
        assert not ({"f", "g"} <= set(pack)), pack
        assert not ({"h", "k"} <= set(pack)), pack
        assert all(v.function == f for f, v in pack.items())
    assert any({"h", "m"} <= set(pack) for pack in packs.values())
    assert len(packs) < len(variants)
