"""A submission may hold anything a file system can: the grader never blocks, never reads without
end, never turns a small file into a large one, and refuses a bad submission by name.

One scratch course of the ``mini_data`` fixture assignment (its ``source/`` ships a data file that
the student's function reads) holds every attack of ``fixtures/grade/file_attacks.py`` beside
honest submissions, graded once through the real ``python -m autograder grade``.
"""

from __future__ import annotations

import json
import os
import stat

import calcml_file_attacks as attacks  # loaded by conftest.py
import calcml_grade_cohort as cohort  # loaded by conftest.py
import pytest

from autograder import files

pytestmark = pytest.mark.nbgrader


@pytest.fixture(scope="module")
def graded(tmp_path_factory, jupyter_env):
    course = cohort.make_course(
        tmp_path_factory.mktemp("file-attacks"), attacks.ASSIGNMENT, jupyter_env
    )
    builder = cohort.Builder(course, attacks.ASSIGNMENT)
    kinds = attacks.build_file_attacks(builder)
    command = cohort.grade_command(
        course,
        attacks.ASSIGNMENT,
        "--cell-timeout",
        cohort.CELL_TIMEOUT,
        "--notebook-timeout",
        cohort.NOTEBOOK_TIMEOUT,
        "--disk-quota",
        str(attacks.DISK_QUOTA_MIB),
    )
    done = cohort.run(command, course, jupyter_env, timeout=600)
    results = {}
    for path in sorted((course / "reports" / attacks.ASSIGNMENT / "results").glob("*.json")):
        results[path.stem] = json.loads(path.read_text())
    yield {"course": course, "kinds": kinds, "process": done, "results": results}
    # Deeper than shutil.rmtree (and so pytest's clean-up of old runs) can go.
    files.remove_tree(course / "submitted" / "files-deep")


def _autograded(graded, student):
    return graded["course"] / "autograded" / student / attacks.ASSIGNMENT


@pytest.mark.parametrize("student", sorted(attacks.REFUSED))
def test_bad_submission_is_refused_by_name(graded, student):
    result = graded["results"][student]
    assert result["status"] == "broken-notebook", result
    error = result["error"]
    assert error.startswith(f"{student}: ") and attacks.REFUSED[student] in error
    assert error.isprintable() and "\x1b" not in error  # one line, no escape sequences
    assert f"error: {error}" in graded["process"].stderr.splitlines()
    assert not _autograded(graded, student).exists()  # nothing of it was copied


@pytest.mark.parametrize("student", attacks.ACCEPTED)
def test_everyone_else_is_graded_with_full_marks(graded, student):
    result = graded["results"][student]
    assert result["status"] == "graded", result["error"]
    assert result["cells"]
    for cell in result["cells"]:
        # The verification got the assignment's data file too: it agrees with the kernel.
        assert cell["kernel_passed"] and cell["verified_passed"], (student, cell)
        assert cell["points"] == cell["max_points"] > 0
    assert set(graded["results"]) == set(graded["kinds"])


def test_the_assignment_files_win_over_a_submission_in_their_way(graded):
    shipped = (
        graded["course"] / "source" / attacks.ASSIGNMENT / "data" / "samples.csv"
    ).read_bytes()
    for student in ("files-shadow-dir", "files-shadow-file", "files-fake-data"):
        copied = _autograded(graded, student) / "data" / "samples.csv"
        assert copied.is_file() and copied.read_bytes() == shipped, student


def test_sparse_file_stays_sparse(graded):
    copied = _autograded(graded, "files-sparse-small") / "scratch.bin"
    info = copied.stat()
    assert info.st_size == attacks.SPARSE_SMALL
    assert info.st_blocks * 512 < 1024**2, f"{info.st_blocks * 512} bytes on disk"
    with open(copied, "rb") as handle:
        handle.seek(attacks.SPARSE_SMALL - 3)
        assert handle.read() == b"end"


def test_odd_names_are_copied_byte_for_byte(graded):
    folder = os.path.join(os.fsencode(_autograded(graded, "files-odd-names")), attacks.ODD_DIR)
    with open(os.path.join(folder, attacks.ODD_FILE), "rb") as handle:
        assert handle.read() == b"odd but harmless"


def test_copies_carry_no_special_modes(graded):
    folder = _autograded(graded, "files-modes")
    assert (folder / "private.txt").read_text() == "mode 000"
    assert not (folder / "tool.sh").stat().st_mode & (stat.S_ISUID | stat.S_ISGID)


def test_the_run_ends_and_says_something_failed(graded):
    assert graded["process"].returncode == 1, graded["process"].stderr[-3000:]


def test_verification_gets_the_files_the_kernel_gets(graded):
    """mini_data's function reads data/samples.csv, shipped in source/: both sides must have it."""
    for student in ("honest-a", "honest-b", "honest-c"):
        result = graded["results"][student]
        assert not result["flagged"], result["cells"]
        assert all(c["verified_passed"] and not c["flagged"] for c in result["cells"])


def test_files_copied_in_count_against_the_disk_quota(graded):
    result = graded["results"][attacks.BALLAST]
    assert result["status"] == "disk-limit", result["error"]
    assert result["error"].startswith(f"{attacks.BALLAST}: ")
    assert all(not c["verified_passed"] and c["points"] == 0 for c in result["cells"])
