"""Attacks through the kernel's other channels, and state carried from one submission to the next.

One worker grades, in this order, submissions whose right answers come with one trick each:

* hooks in the kernel (an IPython event, an input transformer, ``sys.settrace``, the input
  history) that see each hidden test cell's source and carry it back into a display shown before
  the tests (``update_display_data`` rewrites an earlier cell's output), or into the prompt
  number of the test cell (a raw ``execute_input`` message), both of which nbgrader's feedback
  page would show;
* outputs in channels other than streams: displays with huge metadata, malformed messages,
  ``input()`` requests, a ``clear_output`` loop, and a kernel whose start-up file (shipped in the
  submission's ``.ipython`` folder) rewrites the kernel's language description;
* a "planter" that writes markers wherever its sandbox lets it (home, working folder, /tmp,
  /dev/shm, caches, the Python environment's ``__pycache__``) and leaves a daemon behind, followed
  by a "detector" whose answers turn wrong if any marker, daemon or module of the planter is there:
  the detector's kernel was already booted (pre-started) while the planter ran.

Every honest answer must keep its points, no grading may fail, no hidden test may reach a page a
student gets, and nothing of one submission may reach the next.
"""

from __future__ import annotations

import ast
import base64
import json
import re
import sys
from pathlib import Path

import calcml_grade_cohort as cohort  # loaded by conftest.py
import nbformat
import pytest

pytestmark = pytest.mark.nbgrader

ASSIGNMENT = "ps1_derivatives"
MARKER = "calcml-state-marker-5e1c"

CARRIER = """\
import base64
import linecache
import sys

from IPython.display import display

_plain = display("placeholder-plain", display_id="carrier-plain")
_encoded = display("placeholder-b64", display_id="carrier-b64")
_traced = display("placeholder-trace", display_id="carrier-trace")
_seen = {}


def _carry(source, handle=None):
    if "HIDDEN TESTS" in source and source not in _seen.values():
        _seen[len(_seen)] = source
        (_plain if handle is None else handle).update(source)
        _encoded.update(base64.b64encode(source.encode()).decode())


def _event(info):
    _carry(info.raw_cell or "")


def _transformer(lines):
    _carry("".join(lines))
    return lines


def _history(result):
    history = get_ipython().user_ns.get("In", [])
    if history:
        _carry(history[-1])


def _trace(frame, event, arg):
    if event == "call":
        _carry("".join(linecache.getlines(frame.f_code.co_filename)), _traced)
    return None


get_ipython().events.register("pre_run_cell", _event)
get_ipython().events.register("post_run_cell", _history)
get_ipython().input_transformers_post.append(_transformer)
sys.settrace(_trace)
"""

# The test cell's own number: a raw execute_input message (as a frontend would get) whose
# execution_count is the hidden test source.
COUNTER = """\
ip = get_ipython()
kernel = ip.kernel


def _count(info):
    source = info.raw_cell or ""
    if "HIDDEN TESTS" in source:
        kernel.session.send(
            kernel.iopub_socket,
            "execute_input",
            {"code": "", "execution_count": source},
            parent=kernel.get_parent(),
            ident=kernel._topic("execute_input"),
        )


ip.events.register("pre_run_cell", _count)
"""

HEAVY_METADATA = """\
from IPython.display import display

for index in range(30):
    display({"text/plain": str(index)}, metadata={"pad": "m" * 200_000}, raw=True)
"""

# Messages no frontend would expect: nbclient must not stop grading on them.
MALFORMED = """\
kernel = get_ipython().kernel
send = lambda kind, content: kernel.session.send(
    kernel.iopub_socket, kind, content, parent=kernel.get_parent(), ident=kernel._topic(kind)
)
send("display_data", {"data": {"text/plain": "x"}, "metadata": {}, "transient": "not-a-dict"})
send("display_data", {"data": ["not", "a", "dict"], "metadata": {}})
send("update_display_data", {"data": {"text/plain": "y"}, "metadata": {}, "transient": {"display_id": 5}})
send("stream", {"name": None, "text": 12345})
send("error", {"ename": None, "evalue": None, "traceback": "not-a-list"})
send("clear_output", {})
send("comm_open", {"comm_id": None, "target_name": None, "data": None})
send("execute_result", {"data": None, "metadata": None, "execution_count": "seven"})
print("after the malformed messages")
"""

INPUT_AND_CLEAR = """\
from IPython.display import clear_output

try:
    answer = input("your name? ")
except Exception as error:
    answer = type(error).__name__
print("input() gave", answer)
for index in range(1200):
    clear_output(wait=True)
    print("step", index, "x" * 100)
"""

# Shipped in the submission's folder: IPython runs it when the kernel starts, before any cell.
STARTUP_FILE = """\
kernel = get_ipython().kernel
kernel.language_info = dict(
    kernel.language_info,
    name="<img src=x onerror=alert(1)>" + "n" * 200_000,
    version="<script>alert(2)</script>",
    codemirror_mode={"name": "<script>alert(3)</script>", "version": "v" * 100_000},
    pygments_lexer="<b>lexer</b>",
    extra={"huge": "e" * 300_000},
)
"""

PLANTER = f'''\
import os
import pathlib
import site
import subprocess
import sys
import sysconfig
import tempfile

MARK = "{MARKER}"
places = [
    pathlib.Path.home(),
    pathlib.Path.cwd(),
    pathlib.Path.cwd().parent,
    pathlib.Path("/tmp"),
    pathlib.Path("/dev/shm"),
    pathlib.Path("/var/tmp"),
    pathlib.Path(tempfile.gettempdir()),
    pathlib.Path.home() / ".cache" / "matplotlib",
    pathlib.Path.home() / ".cache" / "fontconfig",
    pathlib.Path(os.environ.get("MPLCONFIGDIR", "/nonexistent")),
    pathlib.Path(os.environ.get("IPYTHONDIR", "/nonexistent")) / "profile_default" / "startup",
    pathlib.Path(site.getusersitepackages()),
    pathlib.Path(sysconfig.get_paths()["purelib"]),
    pathlib.Path(sysconfig.get_paths()["purelib"]) / "numpy" / "__pycache__",
    pathlib.Path(sysconfig.get_paths()["stdlib"]) / "__pycache__",
    pathlib.Path(sys.prefix),
]
written = []
for place in places:
    try:
        place.mkdir(parents=True, exist_ok=True)
        (place / f"{{MARK}}.py").write_text("PLANTED = True\\n")
        (place / "sitecustomize.py").write_text(f"open({{str(place / (MARK + '-ran'))!r}}, 'w')\\n")
        written.append(str(place))
    except OSError:
        pass
# A daemon that keeps planting markers for a minute, in a session of its own.
subprocess.Popen(
    [sys.executable, "-c",
     "import pathlib, time\\n"
     "for _ in range(600):\\n"
     f"    for p in {{[str(p) for p in places]!r}}:\\n"
     "        try:\\n"
     f"            (pathlib.Path(p) / '{{MARK}}-daemon').write_text('alive')\\n"
     "        except OSError:\\n"
     "            pass\\n"
     "    time.sleep(0.1)\\n"],
    start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
)
print("PLANTED-IN", written)
'''

# First cell of the detector: it looks everywhere the planter wrote, for its daemon, and for an
# importable module of that name; every answer turns wrong when anything is found.
DETECTOR = f'''\
import importlib.util
import os
import pathlib
import site
import sys
import sysconfig
import tempfile

MARK = "{MARKER}"
_looked = [
    pathlib.Path.home(), pathlib.Path.cwd(), pathlib.Path.cwd().parent, pathlib.Path("/tmp"),
    pathlib.Path("/dev/shm"), pathlib.Path("/var/tmp"), pathlib.Path(tempfile.gettempdir()),
    pathlib.Path.home() / ".cache" / "matplotlib", pathlib.Path.home() / ".cache" / "fontconfig",
    pathlib.Path(os.environ.get("MPLCONFIGDIR", "/nonexistent")),
    pathlib.Path(os.environ.get("IPYTHONDIR", "/nonexistent")) / "profile_default" / "startup",
    pathlib.Path(site.getusersitepackages()), pathlib.Path(sysconfig.get_paths()["purelib"]),
    pathlib.Path(sysconfig.get_paths()["stdlib"]) / "__pycache__", pathlib.Path(sys.prefix),
]
_FOUND = []
for _place in _looked:
    try:
        _FOUND += [str(p) for p in _place.iterdir() if MARK in p.name or p.name == "sitecustomize.py"]
    except OSError:
        pass
if importlib.util.find_spec(MARK.replace("-", "_")) is not None or importlib.util.find_spec("sitecustomize") is not None:
    _FOUND.append("an importable module")
for _pid in os.listdir("/proc"):
    try:
        if _pid.isdigit() and MARK.encode() in pathlib.Path(f"/proc/{{_pid}}/cmdline").read_bytes():
            _FOUND.append(f"process {{_pid}}")
    except OSError:
        pass
print("FOUND", _FOUND)
'''


def _prepend(nb, code: str):
    nb.cells.insert(0, nbformat.v4.new_code_cell(code))
    return nb


def _detector(builder):
    nb = _prepend(builder.notebook("honest"), DETECTOR)
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution") and meta.get("grade_id"):
            name = meta["grade_id"]
            cell.source += f"\n\nif _FOUND:\n    {name} = lambda *args, **kwargs: 0.5\n"
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory, jupyter_env):
    root = tmp_path_factory.mktemp("kernel-channels")
    course = cohort.make_course(root, ASSIGNMENT, jupyter_env)
    builder = cohort.Builder(course, ASSIGNMENT)
    honest = builder.notebook
    before = builder.insert_before_tests
    builder.submit("a-carrier", before(honest("honest"), CARRIER))
    builder.submit("b-counter", before(honest("honest"), COUNTER))
    builder.submit("c-metadata", before(honest("honest"), HEAVY_METADATA))
    builder.submit("d-malformed", before(honest("honest"), MALFORMED))
    builder.submit("e-input", before(honest("honest"), INPUT_AND_CLEAR))
    path = builder.submit("f-startup", honest("honest"))
    startup = path.parent / ".ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-language.py").write_text(STARTUP_FILE)
    builder.submit("g-planter", _prepend(honest("honest"), PLANTER))
    builder.submit("h-detector", _detector(builder))
    done = cohort.run(
        cohort.grade_command(
            course, ASSIGNMENT, "--workers", "1", "--cell-timeout", "30", "--no-progress"
        ),
        course,
        jupyter_env,
        timeout=900,
    )
    stock = cohort.run(
        [str(cohort.BIN / "nbgrader"), "generate_feedback", ASSIGNMENT, "--force"],
        course,
        jupyter_env,
    )
    assert stock.returncode == 0, stock.stderr[-3000:]
    stock_pages = {
        s: (course / "feedback" / s / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
        for s in ("a-carrier", "b-counter")
    }
    ours = cohort.run(
        [sys.executable, "-m", "autograder", "--course-dir", str(course), "feedback", ASSIGNMENT],
        course,
        jupyter_env,
    )
    report = cohort.run(
        [sys.executable, "-m", "autograder", "--course-dir", str(course), "report", ASSIGNMENT],
        course,
        jupyter_env,
    )
    assert report.returncode == 0, report.stderr
    results = {
        p.stem: json.loads(p.read_text())
        for p in (course / "reports" / ASSIGNMENT / "results").glob("*.json")
    }
    return {
        "course": course,
        "process": done,
        "results": results,
        "ours": ours,
        "stock_pages": stock_pages,
    }


def _autograded(graded, student) -> nbformat.NotebookNode:
    path = graded["course"] / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    return nbformat.read(path, 4)


def _leaks(text: str, course: Path) -> list[str]:
    """Hidden-test material in ``text``: the markers, distinctive lines, or base64 of a cell."""
    source = nbformat.read(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    found = [m for m in ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS") if m in text]
    for cell in source.cells:
        if "HIDDEN TESTS" not in cell.source:
            continue
        if base64.b64encode(cell.source.encode()).decode()[:40] in text:
            found.append("base64 of a hidden test cell")
        hidden = cell.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
        found += [
            line.strip()
            for line in hidden.splitlines()
            if len(line.strip()) >= 30 and line.strip() in text
        ]
    return found


def _pages(graded, student) -> list[Path]:
    course = graded["course"]
    return [
        course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html",
        course / "reports" / ASSIGNMENT / "report.html",
        course / "reports" / ASSIGNMENT / "results" / f"{student}.json",
    ]


def test_no_submission_stops_the_run(graded):
    done = graded["process"]
    assert done.returncode == 0, done.stderr[-3000:]
    assert "grading failed" not in done.stderr


@pytest.mark.parametrize(
    "student",
    ["a-carrier", "b-counter", "c-metadata", "d-malformed", "e-input", "f-startup", "g-planter"],
)
def test_every_trick_is_graded_and_honest_answers_keep_their_points(graded, student):
    result = graded["results"][student]
    assert result["status"] == "graded", result["error"]
    assert result["cells"]
    for cell in result["cells"]:  # (the written answer is graded by hand)
        assert cell["points"] == cell["max_points"] > 0 and not cell["flagged"], cell


def test_hooks_cannot_carry_hidden_tests_into_an_earlier_display(graded):
    nb = _autograded(graded, "a-carrier")
    first_test = next(
        i for i, c in enumerate(nb.cells) if c.get("metadata", {}).get("nbgrader", {}).get("grade")
    )
    earlier = json.dumps([c.get("outputs", []) for c in nb.cells[:first_test]])
    assert _leaks(earlier, graded["course"]) == []
    for name in ("plain", "b64", "trace"):
        assert f"placeholder-{name}" in earlier  # the displays are there, as first shown


@pytest.mark.parametrize("student", ["a-carrier", "b-counter"])
def test_no_page_a_student_gets_holds_a_hidden_test(graded, student):
    for path in _pages(graded, student):
        assert _leaks(path.read_text(), graded["course"]) == [], path


def test_a_prompt_number_is_a_number(graded):
    for student in ("b-counter", "d-malformed"):
        for cell in _autograded(graded, student).cells:
            count = cell.get("execution_count")
            assert count is None or type(count) is int, (student, str(count)[:80])


@pytest.mark.parametrize("student", ["a-carrier", "b-counter"])
def test_nbgraders_own_feedback_page_holds_no_hidden_test(graded, student):
    assert _leaks(graded["stock_pages"][student], graded["course"]) == []


def test_metadata_counts_against_the_output_budget(graded):
    nb = _autograded(graded, "c-metadata")
    cell = next(c for c in nb.cells if c.cell_type == "code" and "metadata={" in c.source)
    texts = json.dumps(cell.outputs)
    assert "output truncated by the grader" in texts
    assert len(cell.outputs) < 30


def test_a_clear_output_loop_and_input_leave_a_bounded_cell(graded):
    nb = _autograded(graded, "e-input")
    cell = next(c for c in nb.cells if c.cell_type == "code" and "clear_output" in c.source)
    assert len(json.dumps(cell.outputs)) < 120_000


def test_a_start_up_file_cannot_rewrite_the_language_description(graded):
    info = _autograded(graded, "f-startup").metadata.get("language_info", {})
    text = json.dumps(info)
    assert "<" not in text and len(text) < 2000, text[:300]
    assert info.get("name") == "python"


def test_nothing_of_one_submission_reaches_the_next(graded):
    planted = next(
        c
        for c in _autograded(graded, "g-planter").cells
        if c.cell_type == "code" and "MARK" in c.source
    )
    said = json.dumps(planted.outputs)
    assert "PLANTED-IN" in said
    # It could write only into its own folders and private tmpfs, never the Python environment.
    written = re.search(r"PLANTED-IN (\[.*?\])", said.replace('\\"', '"').replace("\\\\", "\\"))
    assert written, said[:500]
    for place in ast.literal_eval(written.group(1)):  # the list the planter printed
        assert not place.startswith(sys.prefix), place
    detector = graded["results"]["h-detector"]
    assert detector["status"] == "graded", detector["error"]
    assert all(c["points"] == c["max_points"] for c in detector["cells"]), detector["cells"]
    found = next(
        c
        for c in _autograded(graded, "h-detector").cells
        if c.cell_type == "code" and "_FOUND" in c.source
    )
    assert "FOUND []" in json.dumps(found.outputs), found.outputs
    # And nothing landed on the grader's side of the sandbox walls.
    for folder in (Path("/tmp"), Path("/dev/shm"), graded["course"]):
        assert not [p for p in folder.iterdir() if MARKER in p.name], folder
