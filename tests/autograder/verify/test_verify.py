"""Independent verification of test verdicts (autograder.verify), with real processes.

The fixtures are a trusted source notebook with six graded functions (hidden tests included) and
two honest student versions, one right and one wrong. Hostile students are built from the right
one: each plays one known trick on top of a wrong answer, and must earn no point with it, while
the functions it left alone are still judged (and pass).
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import nbformat
import pytest

from autograder.verify import job as verify_job
from autograder.verify import launch as verify_launch
from autograder.verify.job import CellCheck, contract_functions, verify_submission

FIXTURES = Path(__file__).parents[1] / "fixtures" / "verify"
SOURCE = FIXTURES / "source.ipynb"
ALL_TESTS = [
    "test_secant_slope",
    "test_central_difference",
    "test_tangent_line",
    "test_gradient_descent",
    "test_critical_points",
    "test_poly_derivative",
]
MINI_TESTS = [t for t in ALL_TESTS if t != "test_critical_points"]


def needs_bwrap(test):
    """Marks a test that exercises bubblewrap; it never skips (see test_sandbox.py)."""
    return test


def grade_id(cell) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id", "")


def load(name: str, *, mini: bool = False):
    notebook = nbformat.read(FIXTURES / f"{name}.ipynb", as_version=4)
    if mini:  # without the sympy function: a hostile run then costs about half as much
        notebook.cells = [c for c in notebook.cells if "critical_points" not in grade_id(c)]
    return notebook


def hostile(*, prepend: tuple[str, ...] = (), replace: dict[str, str] | None = None):
    """The right student's notebook with extra cells after the set-up cell and answers replaced."""
    notebook = load("correct", mini=True)
    for cell in notebook.cells:
        if replace and grade_id(cell) in replace:
            cell.source = replace[grade_id(cell)]
    extra = [nbformat.v4.new_code_cell(source) for source in prepend]
    notebook.cells[2:2] = extra
    return notebook


def verify(
    tmp_path: Path, student, source=None, *, room: bool = False, **kwargs
) -> dict[str, CellCheck]:
    """Lay the notebooks out as a course would and verify the student's one.

    ``room=True``: the student's side is first the one a kernel's sandbox serves, as in a grading
    run (autograder/grading/kernel_launcher.py); any restart gets a sandbox of its own."""
    if room:
        from autograder.grading.kernel import SandboxedKernel

        kernel = SandboxedKernel(tmp_path, serve_verification=True)
        try:
            return verify(tmp_path, student, source, room=False, **kwargs, room_of=kernel)
        finally:
            kernel.shutdown()
    kernel = kwargs.pop("room_of", None)
    if kernel is not None:
        kwargs["room"] = kernel.verification_room()
    course = tmp_path / "course"
    source_path = course / "source" / "ps" / "ps.ipynb"
    student_path = course / "submitted" / "s01" / "ps" / "ps.ipynb"
    source_path.parent.mkdir(parents=True, exist_ok=True)
    student_path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(source if source is not None else load("source", mini=True), source_path)
    nbformat.write(student, student_path)
    return verify_submission(student_path, source_path, **kwargs)


def passed(checks: dict[str, CellCheck]) -> set[str]:
    return {name for name, check in checks.items() if check.passed}


# ---------------------------------------------------------------------------------------------
# honest students


def test_contract_functions_are_the_answer_cells():
    assert contract_functions(SOURCE) == [
        "secant_slope",
        "central_difference",
        "tangent_line",
        "gradient_descent",
        "critical_points",
        "poly_derivative",
    ]


@pytest.mark.parametrize("room", [False, True], ids=["own-sandbox", "kernel-room"])
def test_honest_correct_student_passes_every_cell(tmp_path, room):
    checks = verify(tmp_path, load("correct"), load("source"), room=room)
    assert list(checks) == ALL_TESTS
    failures = {name: check.message for name, check in checks.items() if not check.passed}
    assert failures == {}
    assert all(check.message == "" and check.tags == [] for check in checks.values())


def test_honest_wrong_student_fails_the_right_cells_with_messages_and_tags(tmp_path):
    checks = verify(tmp_path, load("wrong"), load("source"))
    assert passed(checks) == {"test_tangent_line", "test_poly_derivative"}
    # These tests write their tag into the message text only: text is never read as a tag (a
    # student's own text could hold one); a tag comes from the raised error's `misconception`.
    expected = {
        "test_secant_slope": "negative-h",
        "test_central_difference": "forward-difference",
        "test_gradient_descent": "mutates-input",  # the in-place update reached the test's w0
        "test_critical_points": "float-type",  # sympy numbers crossed the wire as sympy
    }
    for name, tag in expected.items():
        assert checks[name].tags == [], checks[name]
        assert f"[tag: {tag}]" in checks[name].message
        assert checks[name].message.startswith("AssertionError: ")
    assert "got -11.41" in checks["test_secant_slope"].message
    assert "NegativeOne" in checks["test_critical_points"].message
    assert "BEGIN HIDDEN TESTS" not in "".join(c.message for c in checks.values())


def test_stub_errors_come_back_as_the_same_exception(tmp_path):
    stub = "def secant_slope(f, x, h):\n    raise NotImplementedError()"
    checks = verify(tmp_path, hostile(replace={"secant_slope": stub}))
    assert checks["test_secant_slope"].message == "NotImplementedError"
    assert checks["test_secant_slope"].not_written
    assert not any(c.not_written for name, c in checks.items() if name != "test_secant_slope")
    assert passed(checks) == set(MINI_TESTS) - {"test_secant_slope"}


def test_a_tag_comes_from_the_raised_error_never_from_its_text(tmp_path):
    """The test's own ``error.misconception`` is the tag; a student's message cannot add one."""
    source = load("source", mini=True)
    test = next(c for c in source.cells if grade_id(c) == "test_secant_slope")
    test.source = (
        "try:\n"
        "    secant_slope(lambda t: t, 1.0, 0.5)\n"
        "except Exception as exc:\n"
        "    error = AssertionError(f'the call raised {exc} [tag: from-the-text]')\n"
        "    error.misconception = 'raised-error'\n"
        "    raise error\n"
    )
    liar = "def secant_slope(f, x, h):\n    raise ValueError('[tag: student-made]')"
    check = verify(tmp_path, hostile(replace={"secant_slope": liar}), source)["test_secant_slope"]
    assert check.tags == ["raised-error"], check
    assert "[tag: student-made]" in check.message and not check.not_written


# ---------------------------------------------------------------------------------------------
# hostile students: no unearned pass

WRONG_SECANT = "def secant_slope(f, x, h):\n    return 42.0"
# Right except for a negative h, which only the test's abs(...) < tol check catches.
ABS_BUG_SECANT = (
    "import math\n\ndef secant_slope(f, x, h):\n"
    "    if h == 0:\n        raise ValueError('h == 0')\n"
    "    return (f(x + h) - f(x)) / math.fabs(h)"
)
WRONG_CENTRAL = "def central_difference(f, x, h=1e-5):\n    return 0.0 * x"
WRONG_POLY = "def poly_derivative(coeffs):\n    return np.zeros(1)"

TRICKS = {
    "replaced-builtins-abs": (
        ("import builtins\nbuiltins.abs = lambda value: 0.0",),
        {"secant_slope": ABS_BUG_SECANT},
    ),
    "patched-comparison-helpers": (
        (
            "import math, numpy, numpy.testing\n"
            "math.isclose = lambda *a, **k: True\n"
            "numpy.allclose = lambda *a, **k: True\n"
            "numpy.array_equal = lambda *a, **k: True\n"
            "numpy.testing.assert_allclose = lambda *a, **k: None",
        ),
        {"central_difference": WRONG_CENTRAL, "poly_derivative": WRONG_POLY},
    ),
    "lying-objects": (
        (
            "class Liar:\n"
            "    def __eq__(self, other): return True\n"
            "    def __ne__(self, other): return False\n"
            "    def __sub__(self, other): return Liar()\n"
            "    __rsub__ = __sub__\n"
            "    def __abs__(self): return 0.0\n"
            "    def __lt__(self, other): return True\n"
            "    def __float__(self): return 2.5\n"
            "class LiarFloat(float):\n"
            "    def __eq__(self, other): return True\n"
            "    def __sub__(self, other): return LiarFloat(0.0)\n"
            "    def __abs__(self): return 0.0\n",
        ),
        {
            "secant_slope": "def secant_slope(f, x, h):\n"
            "    if h == 0:\n        raise ValueError('h == 0')\n"
            "    return Liar() if h < 0 else LiarFloat(0.5)",
        },
    ),
    "custom-exception-handler-and-traceback": (
        (
            "ip = get_ipython()\n"
            "ip.set_custom_exc((BaseException,), lambda *args, **kwargs: None)\n"
            "ip.showtraceback = lambda *args, **kwargs: None\n"
            "ip._showtraceback = lambda *args, **kwargs: None",
        ),
        {"secant_slope": "def secant_slope(f, x, h):\n    raise NotImplementedError()"},
    ),
    "input-transformer": (
        (
            "def _hide_tests(lines):\n"
            "    return ['pass\\n'] if any('assert' in line for line in lines) else lines\n"
            "get_ipython().input_transformers_post.append(_hide_tests)\n"
            "get_ipython().input_transformers_cleanup.append(_hide_tests)",
        ),
        {"secant_slope": WRONG_SECANT},
    ),
    "fake-protocol-messages-on-stdout": (
        (
            "import json, os, struct\n"
            "fake = json.dumps({'op': 'return', 'id': 1, 'value': 11.41}).encode()\n"
            "print(fake.decode())\n"
            "os.write(1, struct.pack('>I', len(fake)) + fake)\n"
            'print(\'{"passed": true, "grade_id": "test_secant_slope"}\')',
        ),
        {"secant_slope": WRONG_SECANT},
    ),
}


@pytest.mark.parametrize("room", [False, True], ids=["own-sandbox", "kernel-room"])
@pytest.mark.parametrize("trick", list(TRICKS))
def test_hostile_trick_earns_nothing(tmp_path, trick, room):
    prepend, replace = TRICKS[trick]
    checks = verify(tmp_path, hostile(prepend=prepend, replace=replace), room=room)
    targeted = {f"test_{name}" for name in replace}
    assert not (passed(checks) & targeted), {n: checks[n] for n in targeted}
    # The functions the trick left alone are still judged on their merits.
    assert passed(checks) == set(MINI_TESTS) - targeted, checks


def test_frames_forged_on_the_real_pipe_earn_nothing(tmp_path):
    """A cell writes a fake 'ready' frame, claiming every function is the number 11.41, to every fd."""
    forge = (
        "import json, os, struct\n"
        f"names = {contract_functions(SOURCE)!r}\n"
        "fake = {n: {'kind': 'value', 'value': 11.41} for n in names}\n"
        "frame = json.dumps({'op': 'ready', 'names': fake}).encode()\n"
        "for fd in range(3, 40):\n"
        "    try:\n"
        "        os.write(fd, struct.pack('>I', len(frame)) + frame)\n"
        "    except OSError:\n"
        "        pass\n"
    )
    checks = verify(tmp_path, hostile(prepend=(forge,)))
    assert passed(checks) == set()


@pytest.mark.parametrize("room", [False, True], ids=["own-sandbox", "kernel-room"])
def test_exit_in_a_cell_or_a_call_fails_only_that_part(tmp_path, room):
    checks = verify(
        tmp_path,
        hostile(
            replace={
                # os._exit while the cell runs: the cell is skipped on a restart
                "secant_slope": "import os\nos._exit(3)\n\ndef secant_slope(f, x, h):\n"
                "    return (f(x + h) - f(x)) / h",
                # os._exit inside a call: that test fails, the next test gets a fresh process
                "central_difference": "import os\n\ndef central_difference(f, x, h=1e-5):\n"
                "    os._exit(4)",
            }
        ),
        room=room,
    )
    assert not checks["test_secant_slope"].passed
    assert "NameError" in checks["test_secant_slope"].message
    assert not checks["test_central_difference"].passed
    assert passed(checks) == set(MINI_TESTS) - {"test_secant_slope", "test_central_difference"}


@pytest.mark.parametrize("room", [False, True], ids=["own-sandbox", "kernel-room"])
def test_endless_loops_fail_only_their_cells(tmp_path, room):
    checks = verify(
        tmp_path,
        hostile(
            replace={
                # a plain endless loop in a cell: stopped by the cell's time limit
                "secant_slope": "while True:\n    pass\n\ndef secant_slope(f, x, h):\n"
                "    return (f(x + h) - f(x)) / h",
                # a loop that swallows the time-limit exception: the process is killed
                "central_difference": "while True:\n    try:\n        while True:\n"
                "            pass\n    except BaseException:\n        pass\n\n"
                "def central_difference(f, x, h=1e-5):\n    return (f(x + h) - f(x - h)) / (2 * h)",
                # an endless loop inside a call
                "poly_derivative": "def poly_derivative(coeffs):\n    while True:\n        pass",
            }
        ),
        cell_timeout=1.0,
        room=room,
    )
    for name in ("test_secant_slope", "test_central_difference", "test_poly_derivative"):
        assert not checks[name].passed, checks[name]
    assert "Timeout" in checks["test_poly_derivative"].message
    assert passed(checks) == {"test_tangent_line", "test_gradient_descent"}


@needs_bwrap
def test_expected_values_cannot_be_read_from_the_course(tmp_path):
    course_source = tmp_path / "course" / "source" / "ps" / "ps.ipynb"
    candidates = [str(SOURCE.resolve()), str(course_source), "../../../source/ps/ps.ipynb"]
    cheat = (
        f"CANDIDATES = {candidates!r}\n\n"
        "def secant_slope(f, x, h):\n"
        "    # Answer right only when the hidden tests can be read (that is, when graded).\n"
        "    for path in CANDIDATES:\n"
        "        try:\n"
        "            if 'BEGIN HIDDEN TESTS' in open(path).read():\n"
        "                if h == 0:\n"
        "                    raise ValueError('h == 0')\n"
        "                return (f(x + h) - f(x)) / h\n"
        "        except OSError:\n"
        "            pass\n"
        "    return 0.0\n"
    )
    checks = verify(tmp_path, hostile(replace={"secant_slope": cheat}))
    assert course_source.exists() and SOURCE.exists()
    assert not checks["test_secant_slope"].passed
    assert passed(checks) == set(MINI_TESTS) - {"test_secant_slope"}


def test_the_proxy_is_no_way_into_the_test_process(tmp_path):
    marks = {name: tmp_path / f"pwned-{name}" for name in ("eval", "exec", "handle", "srepr")}
    attack = (
        f"MARKS = { ({k: str(v) for k, v in marks.items()})!r}\n\n"
        "def gradient_descent(grad, w0, lr=0.1, n_steps=100, tol=1e-8):\n"
        "    import sympy\n"
        "    channel = grad._channel  # the student's end of the pipe\n"
        "    write = \"__import__('pathlib').Path({!r}).write_text('x')\"\n"
        "    for name in ('eval', 'exec'):\n"
        "        try:\n"
        "            channel.call(name, (write.format(MARKS[name]),), {})\n"
        "        except Exception:\n"
        "            pass\n"
        "    for handle in range(50):\n"
        "        try:\n"
        "            channel.call(handle, (write.format(MARKS['handle']),), {})\n"
        "        except Exception:\n"
        "            pass\n"
        "    class Evil(sympy.Symbol):\n"
        "        def _sympyrepr(self, printer):\n"
        "            return write.format(MARKS['srepr'])\n"
        "    return Evil('w'), Evil('h')\n"
    )
    checks = verify(tmp_path, hostile(replace={"gradient_descent": attack}))
    assert not checks["test_gradient_descent"].passed
    assert "invalid data" in checks["test_gradient_descent"].message
    assert [name for name, path in marks.items() if path.exists()] == []
    assert passed(checks) == set(MINI_TESTS) - {"test_gradient_descent"}


def test_whole_verification_time_limit(tmp_path):
    slow = "import time\n\ndef secant_slope(f, x, h):\n    time.sleep(30)"
    checks = verify(tmp_path, hostile(replace={"secant_slope": slow}), timeout=4, cell_timeout=20)
    assert list(checks) == MINI_TESTS
    assert not any(check.passed for check in checks.values())
    assert "did not reach this cell" in checks["test_poly_derivative"].message


def test_answers_may_come_from_a_module_beside_the_notebook(tmp_path):
    """As in the kernel, the student's folder is importable (a helper module, or %%writefile)."""
    student = hostile(
        prepend=(
            "%%writefile helpers_written.py\ndef slope(f, x, h):\n    return (f(x + h) - f(x)) / h\n",
        ),
        replace={
            "secant_slope": (
                "from helpers_written import slope\n\n"
                "def secant_slope(f, x, h):\n"
                "    if h == 0:\n"
                "        raise ValueError('h must not be zero')\n"
                "    return slope(f, x, h)\n"
            ),
            "central_difference": "from helpers_shipped import central as central_difference\n",
        },
    )
    folder = tmp_path / "course" / "submitted" / "s01" / "ps"
    folder.mkdir(parents=True)
    (folder / "helpers_shipped.py").write_text(
        "def central(f, x, h=1e-5):\n    return (f(x + h) - f(x - h)) / (2 * h)\n"
    )
    checks = verify(tmp_path, student)
    assert passed(checks) == set(MINI_TESTS), {k: c.message for k, c in checks.items()}


def test_each_test_sees_the_notebook_as_it_stood_at_that_test(tmp_path):
    """As nbgrader runs cells in order, so does verification: later cells cannot change a verdict.

    A helper name reused further down, and a function redefined after its test (both pass in the
    kernel), pass here too; a test still sees every definition made above it.
    """
    student = hostile(
        replace={
            "central_difference": (
                "def step(f, x, h):\n"
                "    return (f(x + h) - f(x - h)) / (2 * h)\n\n\n"
                "def central_difference(f, x, h=1e-5):\n"
                "    return step(f, x, h)\n"
            ),
        }
    )
    index = next(i for i, c in enumerate(student.cells) if grade_id(c) == "tangent_line")
    student.cells[index].source = (
        "step = 'a name reused for something else'\n\n" + student.cells[index].source
    )
    student.cells.append(
        nbformat.v4.new_code_cell(
            "def secant_slope(f, x, h):\n    return 0.0  # scribbled over after its test\n"
        )
    )
    checks = verify(tmp_path, student)
    assert passed(checks) == set(MINI_TESTS), {k: c.message for k, c in checks.items()}

    # A test before the answer it needs sees no answer at all (NameError), as in the kernel.
    late = hostile()
    answer = next(i for i, c in enumerate(late.cells) if grade_id(c) == "poly_derivative")
    late.cells.append(late.cells.pop(answer))
    checks = verify(tmp_path / "late", late)
    assert not checks["test_poly_derivative"].passed
    assert "NameError" in checks["test_poly_derivative"].message
    assert passed(checks) == set(MINI_TESTS) - {"test_poly_derivative"}


def test_notebook_magics_work_as_in_a_kernel(tmp_path):
    """`%matplotlib inline`, `%pylab`, `%config` and `get_ipython().kernel` at the top of a cell."""
    student = hostile(
        prepend=(
            "%matplotlib inline\n%config InlineBackend.figure_format = 'retina'\nimport math\n",
            "%pylab inline\nuses_pylab = mean([1.0, 3.0])\n",
        ),
    )
    cell = next(c for c in student.cells if grade_id(c) == "secant_slope")
    cell.source = (
        "%matplotlib inline\nimport matplotlib.pyplot as plt\n"
        "if get_ipython().kernel is not None:\n    pass\n\n" + cell.source
    )
    checks = verify(tmp_path, student)
    assert passed(checks) == set(MINI_TESTS), {k: c.message for k, c in checks.items()}


# A thread pool over the test's function; and a thread left calling it after the answer
# returned, which must be served in turn while later calls still reach the student's main thread
# (where time limits work).
THREADED_ANSWERS = {
    "thread-pool": (
        "from concurrent.futures import ThreadPoolExecutor\n\n\n"
        "def central_difference(f, x, h=1e-5):\n"
        "    with ThreadPoolExecutor(max_workers=4) as pool:\n"
        "        upper, lower = pool.map(f, [x + h, x - h])\n"
        "    return (upper - lower) / (2 * h)\n"
    ),
    "lingering-thread": (
        "import threading\nimport time\n\n\n"
        "def central_difference(f, x, h=1e-5):\n"
        "    def poke():\n"
        "        for _ in range(300):\n"
        "            try:\n"
        "                f(x)\n"
        "            except Exception:\n"
        "                pass\n"
        "            time.sleep(0.002)\n\n"
        "    threading.Thread(target=poke, daemon=True).start()\n"
        "    return (f(x + h) - f(x - h)) / (2 * h)\n"
    ),
}


@pytest.mark.parametrize("style", sorted(THREADED_ANSWERS))
def test_answers_may_call_the_tests_functions_from_other_threads(tmp_path, style):
    student = hostile(replace={"central_difference": THREADED_ANSWERS[style]})
    checks = verify(tmp_path, student)
    assert passed(checks) == set(MINI_TESTS), {k: c.message for k, c in checks.items()}


def test_the_student_process_sees_none_of_the_graders_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CALCML_SECRET_TOKEN", "instructor-only-value")
    # The answer is right only when the variable is missing (it is in the grader's process).
    guard = (
        "import os\n\n"
        "def secant_slope(f, x, h):\n"
        "    if 'CALCML_SECRET_TOKEN' in os.environ or 'VIRTUAL_ENV' in os.environ:\n"
        "        return 0.0\n"
        "    if h == 0:\n"
        "        raise ValueError('h must not be zero')\n"
        "    return (f(x + h) - f(x)) / h\n"
    )
    monkeypatch.setenv("VIRTUAL_ENV", "/somewhere/private")
    checks = verify(tmp_path, hostile(replace={"secant_slope": guard}))
    assert checks["test_secant_slope"].passed, checks["test_secant_slope"].message


def test_broken_student_notebook_is_a_clear_error(tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    with pytest.raises(ValueError, match="broken.ipynb"):
        verify_submission(broken, SOURCE)


# ---------------------------------------------------------------------------------------------
# the fork server (autograder.verify.forkserver): same verdicts, same process rules, cheaper starts


def probe_source(record: Path):
    """The mini source notebook with a set-up cell that records facts about the test process."""
    source = load("source", mini=True)
    probe = (
        "import json as _json, os as _os, resource as _resource, numpy as _np\n"
        f"with open({str(record)!r}, 'a') as _handle:\n"
        "    _handle.write(_json.dumps({\n"
        "        'pid': _os.getpid(), 'pgid': _os.getpgid(0), 'sid': _os.getsid(0),\n"
        "        'ppid': _os.getppid(),\n"
        "        'random': float(_np.random.rand()),\n"
        "        'marker': _os.environ.get('CALCML_TEST_MARKER'),\n"
        "        'memory': _resource.getrlimit(_resource.RLIMIT_AS)[0],\n"
        "        'cwd': _os.getcwd(),\n"
        "    }) + '\\n')\n"
    )
    source.cells.insert(1, nbformat.v4.new_code_cell(probe))
    return source


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_fork_server_runs_jobs_like_fresh_processes(tmp_path, monkeypatch):
    record = tmp_path / "record.jsonl"
    source = probe_source(record)
    verdicts = []
    for index, (mode, marker) in enumerate([("1", "a"), ("1", "b"), ("0", "c")]):
        monkeypatch.setenv(verify_launch.ENV_FORKSERVER, mode)
        monkeypatch.setenv("CALCML_TEST_MARKER", marker)  # changed after the server started
        verdicts.append(verify(tmp_path / str(index), load("wrong", mini=True), source))
    assert verdicts[0] == verdicts[1] == verdicts[2]
    assert passed(verdicts[0]) == {"test_tangent_line", "test_poly_derivative"}
    forked, forked_again, fresh = records(record)
    # Each job is a new process leading its own session, so its whole group can be killed.
    for entry in (forked, forked_again, fresh):
        assert entry["pid"] == entry["pgid"] == entry["sid"]
        assert entry["memory"] == verify_job.TEST_PROCESS_MEMORY
        assert Path(entry["cwd"]).name == "trusted"
    assert forked["pid"] != forked_again["pid"]
    assert forked["ppid"] == forked_again["ppid"] != os.getpid()  # one warm server, reused
    assert fresh["ppid"] == os.getpid()
    assert [forked["marker"], forked_again["marker"], fresh["marker"]] == ["a", "b", "c"]
    assert forked["random"] != forked_again["random"]  # NumPy is reseeded in every child


def test_fork_server_time_limit_kills_the_job_and_server_survives(tmp_path):
    record = tmp_path / "record.jsonl"
    slow = "import time\n\ndef secant_slope(f, x, h):\n    time.sleep(30)"
    source = probe_source(record)
    checks = verify(tmp_path / "slow", hostile(replace={"secant_slope": slow}), source, timeout=4)
    assert not any(check.passed for check in checks.values())
    assert "ran out of its 4 s" in checks["test_poly_derivative"].message
    job = records(record)[0]
    deadline = time.monotonic() + 10
    while process_group_alive(job["pgid"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not process_group_alive(job["pgid"])  # the job, the student's sandbox, all gone
    checks = verify(tmp_path / "after", load("correct", mini=True), source)
    assert passed(checks) == set(MINI_TESTS)
    assert records(record)[1]["ppid"] == job["ppid"]  # the same server took the next job


def process_group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def test_threads_share_the_fork_servers_safely(tmp_path):
    students = [load("correct", mini=True), load("wrong", mini=True)] * 2
    results: dict[int, dict] = {}

    def work(index: int) -> None:
        results[index] = verify(tmp_path / str(index), students[index])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(students))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(results) == [0, 1, 2, 3]
    for index, checks in results.items():
        expected = (
            set(MINI_TESTS) if index % 2 == 0 else {"test_tangent_line", "test_poly_derivative"}
        )
        assert passed(checks) == expected, index


def test_without_a_fork_server_each_job_starts_afresh(tmp_path, monkeypatch, capfd):
    def cannot_start():
        raise verify_launch._ServerFailed("could not start (test)")

    record = tmp_path / "record.jsonl"
    monkeypatch.setattr(verify_launch, "_ForkServer", cannot_start)
    monkeypatch.setattr(verify_launch, "_idle_servers", [])
    monkeypatch.setattr(verify_launch, "_server_disabled", False)
    checks = verify(tmp_path, load("correct", mini=True), probe_source(record))
    assert passed(checks) == set(MINI_TESTS)
    assert records(record)[0]["ppid"] == os.getpid()
    assert "starting each test process afresh" in capfd.readouterr().err


HELPER = """
import os, sys, time
from pathlib import Path
import nbformat
sys.path.insert(0, {tests!r})
from test_verify import load, probe_source, records, verify
record = Path({record!r})
verify(Path({scratch!r}), load("correct", mini=True), probe_source(record))
child = os.fork()
if child == 0:  # keeps a copy of everything this process had, and outlives it
    time.sleep(60)
    os._exit(0)
print(records(record)[0]["ppid"], child, flush=True)
time.sleep(60)
"""


def test_fork_server_ends_with_its_grading_process(tmp_path):
    import signal
    import subprocess
    import sys

    record = tmp_path / "record.jsonl"
    code = HELPER.format(
        tests=str(Path(__file__).parent), record=str(record), scratch=str(tmp_path / "s")
    )
    helper = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        server, orphan = map(int, helper.stdout.readline().split())
        assert process_alive(server)
        helper.kill()  # no clean-up code runs; the forked copy lives on
        helper.wait(timeout=10)
        deadline = time.monotonic() + 10
        while process_alive(server) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not process_alive(server)
        assert process_alive(orphan)
    finally:
        try:
            os.killpg(helper.pid, signal.SIGKILL)
        except OSError:
            pass
        helper.wait(timeout=10)


def process_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, dead but not yet reaped, counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False
