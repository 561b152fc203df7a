"""Every assignment under source/ goes through nbgrader cleanly, and release/ is what nbgrader makes.

For each ``source/<a>/<a>.ipynb``: ``nbgrader validate`` passes on the source, ``nbgrader validate
--invert`` passes on the committed release, regenerating the release in a scratch copy of the course
reproduces the committed files byte for byte, and the release holds no solution or hidden-test text.
"""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import calcml_assignment_harness as harness  # loaded by conftest.py
import nbformat
import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
pytestmark = pytest.mark.nbgrader

ASSIGNMENTS = sorted(
    p.name for p in (REPO / "source").iterdir() if p.is_dir() and (p / f"{p.name}.ipynb").is_file()
)
MARKERS = (
    "### BEGIN SOLUTION",
    "### END SOLUTION",
    "### BEGIN HIDDEN TESTS",
    "### END HIDDEN TESTS",
)


def _selected(session) -> list[str]:
    """The assignments whose pipeline tests were selected (all of them when none is named)."""
    here = Path(__file__).resolve()
    names = {
        item.callspec.params["name"]
        for item in session.items
        if item.path.resolve() == here
        and "name" in getattr(getattr(item, "callspec", None), "params", {})
    }
    return sorted(names) or ASSIGNMENTS


@pytest.fixture(scope="session")
def pipeline(request, tmp_path_factory):
    """Run validate / validate --invert / generate_assignment for the selected assignments."""
    names = _selected(request.session)
    scratch = tmp_path_factory.mktemp("pipeline")
    env = harness.jupyter_env(scratch / "home")
    course = harness.make_course(scratch, names, REPO)
    committed = scratch / "committed-release"
    for name in names:
        if (REPO / "release" / name).is_dir():
            shutil.copytree(REPO / "release" / name, committed / name)

    def validate_source(name):
        return harness.nbgrader(
            ["validate", f"source/{name}/{name}.ipynb"], course, env, check=False
        )

    def validate_release(name):
        path = committed / name / f"{name}.ipynb"
        if not path.exists():
            return None
        return harness.nbgrader(["validate", "--invert", str(path)], course, env, check=False)

    def generate_all():  # sequential: the assignments share one gradebook
        return {
            name: harness.nbgrader(
                ["generate_assignment", name, "--force", "--log-level=WARN"],
                course,
                env,
                check=False,
            )
            for name in names
        }

    with ThreadPoolExecutor(max_workers=2) as pool:
        generated = pool.submit(generate_all)
        sources = {name: pool.submit(validate_source, name) for name in names}
        releases = {name: pool.submit(validate_release, name) for name in names}
        return {
            "course": course,
            "generate": generated.result(),
            "source": {k: f.result() for k, f in sources.items()},
            "release": {k: f.result() for k, f in releases.items()},
        }


def _output(proc) -> str:
    return (proc.stdout + proc.stderr)[-4000:]


def test_there_are_assignments():
    assert ASSIGNMENTS, "no source/<assignment>/<assignment>.ipynb found"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_source_passes_its_own_tests(pipeline, name):
    proc = pipeline["source"][name]
    assert proc.returncode == 0, (
        f"nbgrader validate source/{name} exited {proc.returncode}:\n{_output(proc)}"
    )
    assert "Success! Your notebook passes all the tests." in proc.stdout, (
        f"nbgrader validate source/{name}/{name}.ipynb did not pass:\n{_output(proc)}"
    )


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_release_fails_every_test(pipeline, name):
    proc = pipeline["release"][name]
    assert proc is not None, f"release/{name}/{name}.ipynb is missing: run `make release`"
    assert proc.returncode == 0, (
        f"nbgrader validate --invert release/{name} exited {proc.returncode}:\n{_output(proc)}"
    )
    assert "Success! The notebook does not pass any tests." in proc.stdout, (
        f"nbgrader validate --invert release/{name}/{name}.ipynb: some test passes on the blank notebook:\n"
        f"{_output(proc)}"
    )


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_release_is_regenerated_exactly(pipeline, name):
    proc = pipeline["generate"][name]
    assert proc.returncode == 0, f"nbgrader generate_assignment {name} failed:\n{_output(proc)}"
    fresh = pipeline["course"] / "release" / name
    committed = REPO / "release" / name
    assert committed.is_dir(), f"release/{name} is missing: run `make release`"
    fresh_files = sorted(p.relative_to(fresh).as_posix() for p in fresh.rglob("*") if p.is_file())
    committed_files = sorted(
        p.relative_to(committed).as_posix() for p in committed.rglob("*") if p.is_file()
    )
    assert committed_files == fresh_files, (
        f"release/{name} holds {committed_files}, nbgrader makes {fresh_files}"
    )
    for rel in fresh_files:
        assert (committed / rel).read_bytes() == (fresh / rel).read_bytes(), (
            f"release/{name}/{rel} differs from what `nbgrader generate_assignment {name}` makes "
            "from source/: run `make release` (after nbstripout on the source)"
        )


def _secret_lines(source_nb) -> set[str]:
    """Lines that live only inside solution regions, hidden-test regions or model written answers."""
    secret, public = set(), set()
    for cell in source_nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        lines = cell.source.splitlines()
        if (
            cell.cell_type == "markdown"
            and meta.get("solution")
            and "### BEGIN SOLUTION" not in cell.source
        ):
            secret.update(line.strip() for line in lines)
            continue
        inside = False
        for line in lines:
            if any(m in line for m in ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS")):
                inside = True
            elif any(m in line for m in ("### END SOLUTION", "### END HIDDEN TESTS")):
                inside = False
            else:
                (secret if inside else public).add(line.strip())
    # Short or shared lines ("return out", "pass") say nothing about the solution.
    return {line for line in secret - public if len(line) >= 25}


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_release_holds_no_solution_or_hidden_test(name):
    path = REPO / "release" / name / f"{name}.ipynb"
    assert path.exists(), f"release/{name}/{name}.ipynb is missing: run `make release`"
    release_text = "\n".join(
        "".join(cell["source"]) for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]
    )
    for marker in MARKERS:
        assert marker not in release_text, f"release/{name}/{name}.ipynb contains {marker!r}"
    source_nb = nbformat.read(REPO / "source" / name / f"{name}.ipynb", as_version=4)
    secret = _secret_lines(source_nb)
    assert secret, f"source/{name} has no solution or hidden-test lines to protect"
    release_lines = {line.strip() for line in release_text.splitlines()}
    leaked = sorted(secret & release_lines)
    assert not leaked, (
        f"release/{name}/{name}.ipynb shows solution or hidden-test lines: {leaked[:5]}"
    )
