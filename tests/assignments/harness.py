"""Grade correct and wrong answers of an assignment through one real `nbgrader autograde` run.

A variants file ``tests/assignments/variants_<assignment>.py`` defines ``ASSIGNMENT``, ``CORRECT``
and ``WRONG`` (see the course conventions). For each assignment the harness

1. builds a scratch course (``nbgrader_config.py`` + ``source/<assignment>``) and runs
   ``nbgrader generate_assignment`` there;
2. writes the variants into submissions ``submitted/<student>/<assignment>/``: the release
   notebook with the reference solution in every answer cell except the variants' functions, plus
   a ``reference`` submission (all reference solutions) and a ``blank`` one (the release as is).
   Variants of *different* functions share a submission (a "pack") when nothing couples them:
   neither function's test cells or reference solution names the other, and the variants define
   no common top-level name. Each test cell is then judged against the one variant whose function
   it tests, so a pack gives the same verdicts as one submission per variant, in about a quarter
   of the kernel starts;
3. runs a single stock ``nbgrader autograde <assignment>`` over all of them;
4. reads each test cell's score from the gradebook and its error output from ``autograded/``.

Run it by hand to print the table: ``.venv/bin/python tests/assignments/harness.py [assignment ...]``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import nbformat

from calcml.jupyter_env import isolated_jupyter_env

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
TAG_RE = re.compile(r"\[tag: ([a-z0-9][a-z0-9-]*)\]")
ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
SOLUTION_RE = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)
REFERENCE, BLANK = "reference", "blank"


class VariantsError(ValueError):
    """A variants file does not follow the conventions."""


@dataclass(frozen=True)
class Variant:
    function: str
    correct: bool
    label: str  # style name for a correct variant, expected tag for a wrong one
    source: str
    student: str


@dataclass(frozen=True)
class CellResult:
    score: float
    max_score: float
    error_text: str

    @property
    def tags(self) -> list[str]:
        return TAG_RE.findall(self.error_text)


@dataclass
class AssignmentSpec:
    name: str
    variants_file: Path
    variants: list[Variant]
    functions: list[str]


@dataclass
class GradedAssignment:
    spec: AssignmentSpec
    course: Path
    returncode: int
    log: str
    seconds: float
    test_cells: dict[str, float]  # grade_id -> max points (autograded test cells only)
    results: dict[str, dict[str, CellResult]] = field(
        default_factory=dict
    )  # student -> cell -> result
    packs: dict[str, dict[str, Variant]] = field(
        default_factory=dict
    )  # student -> function -> variant

    def pack_of(self, v: Variant) -> str:
        """The submission (student) that holds variant ``v``."""
        for student, variants in self.packs.items():
            if variants.get(v.function) is v:
                return student
        raise KeyError(f"variant {v.student} is in no submission")

    def cells_of(self, function: str) -> list[str]:
        return [g for g in self.test_cells if g.startswith(f"test_{function}")]

    def total(self, student: str) -> float:
        return sum(r.score for r in self.results[student].values())

    @property
    def max_total(self) -> float:
        return sum(self.test_cells.values())


# ----------------------------------------------------------------------------- variants files


def variant_files(folder: Path = HERE) -> list[Path]:
    return sorted(folder.glob("variants_*.py"))


def load_module(path: Path) -> ModuleType:
    name = f"_calcml_variants_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise VariantsError(f"{path}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _student_id(function: str, correct: bool, index: int) -> str:
    return f"{'ok' if correct else 'bad'}-{function.replace('_', '-')}-{index}"


def load_spec(path: Path) -> AssignmentSpec:
    """Read and sanity-check one variants file; errors name the file and what is wrong."""
    module = load_module(path)
    for attr in ("ASSIGNMENT", "CORRECT", "WRONG"):
        if not hasattr(module, attr):
            raise VariantsError(f"{path.name}: missing {attr}")
    name = module.ASSIGNMENT
    if f"variants_{name}.py" != path.name:
        raise VariantsError(f"{path.name}: ASSIGNMENT = {name!r} does not match the file name")
    variants: list[Variant] = []
    functions: list[str] = []
    for correct, table in ((True, module.CORRECT), (False, module.WRONG)):
        kind = "CORRECT" if correct else "WRONG"
        if not isinstance(table, dict):
            raise VariantsError(f"{path.name}: {kind} must be a dict function -> list of pairs")
        for function, entries in table.items():
            if function not in functions:
                functions.append(function)
            for index, entry in enumerate(entries):
                if not (isinstance(entry, tuple) and len(entry) == 2):
                    raise VariantsError(f"{path.name}: {kind}[{function!r}][{index}] is not a pair")
                label, source = entry
                if not re.search(rf"^def {re.escape(function)}\(", source, re.MULTILINE):
                    raise VariantsError(
                        f"{path.name}: {kind}[{function!r}][{index}] ({label}) does not define {function}()"
                    )
                if not correct and not TAG_RE.fullmatch(f"[tag: {label}]"):
                    raise VariantsError(
                        f"{path.name}: WRONG[{function!r}][{index}]: bad tag {label!r}"
                    )
                variants.append(
                    Variant(function, correct, label, source, _student_id(function, correct, index))
                )
    return AssignmentSpec(name, path, variants, functions)


# ----------------------------------------------------------------------------- notebooks


def answer_cells(nb) -> dict[str, int]:
    """grade_id -> cell index of every autograded answer cell (solution, not graded)."""
    out = {}
    for i, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution") and not meta.get("grade"):
            out[meta["grade_id"]] = i
    return out


def autograded_test_cells(nb) -> dict[str, float]:
    """grade_id -> points of every autograder test cell."""
    out = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            out[meta["grade_id"]] = float(meta.get("points", 0))
    return out


def reference_solutions(source_nb) -> dict[str, str]:
    """The source notebook's answer cells with the solution delimiters removed."""
    return {
        gid: SOLUTION_RE.sub("", source_nb.cells[i].source).strip("\n")
        for gid, i in answer_cells(source_nb).items()
    }


def submission(release_nb, answers: dict[str, str]):
    nb = nbformat.from_dict(json.loads(json.dumps(release_nb)))  # deep copy
    cells = answer_cells(nb)
    for function, source in answers.items():
        nb.cells[cells[function]].source = source
    return nb


# ----------------------------------------------------------------------------- running nbgrader


def jupyter_env(scratch: Path) -> dict[str, str]:
    return isolated_jupyter_env(scratch)


def nbgrader(args: list[str], course: Path, env: dict[str, str], check: bool = True):
    proc = subprocess.run(
        [str(BIN / "nbgrader"), *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
    )
    if check and proc.returncode != 0:
        raise RuntimeError(
            f"nbgrader {' '.join(args)} failed in {course} (exit {proc.returncode}):\n"
            f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    return proc


def make_course(scratch: Path, assignments: list[str], repo: Path = REPO) -> Path:
    """A scratch copy of the course holding the config and the given assignments' sources."""
    course = scratch / "course"
    course.mkdir(parents=True, exist_ok=True)
    shutil.copy2(repo / "nbgrader_config.py", course / "nbgrader_config.py")
    for name in assignments:
        src = repo / "source" / name
        if not src.is_dir():
            raise FileNotFoundError(f"source/{name} does not exist in {repo}")
        shutil.copytree(src, course / "source" / name, dirs_exist_ok=True)
    return course


def _top_level_names(source: str) -> dict[str, str]:
    """Names a cell's code binds at module level -> what binds them (imports compare equal)."""
    import ast

    names: dict[str, str] = {}
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {"<syntax error>": source}  # a broken variant shares its submission with nothing
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = ast.dump(node)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[node.name] = ast.dump(node)
        else:
            for target in ast.walk(node):
                if isinstance(target, ast.Name) and isinstance(target.ctx, ast.Store):
                    names[target.id] = ast.dump(node)
    return names


def _coupled(a: str, b: str, texts: dict[str, str]) -> bool:
    """Whether function ``a``'s tests or reference name ``b`` or the other way round."""
    return bool(
        re.search(rf"\b{re.escape(b)}\b", texts[a]) or re.search(rf"\b{re.escape(a)}\b", texts[b])
    )


def pack_variants(variants: list[Variant], texts: dict[str, str]) -> dict[str, dict[str, Variant]]:
    """Group variants of different, uncoupled functions into submissions; student -> function -> variant.

    ``texts[function]``: that function's reference solution and test cells, to find couplings.
    """
    queues: dict[str, list[Variant]] = {}
    for v in variants:
        queues.setdefault(v.function, []).append(v)
    packs: dict[str, dict[str, Variant]] = {}
    while any(queues.values()):
        pack: dict[str, Variant] = {}
        bound: dict[str, str] = {}
        for function, queue in queues.items():
            if not queue or any(_coupled(function, other, texts) for other in pack):
                continue
            names = _top_level_names(queue[0].source)
            names.pop(function, None)
            if any(name in bound and bound[name] != how for name, how in names.items()):
                continue
            v = queue.pop(0)
            pack[function] = v
            bound.update(names)
        packs[f"pack-{len(packs) + 1:02d}"] = pack
    return packs


def prepare_submissions(
    spec: AssignmentSpec, course: Path, env: dict[str, str]
) -> dict[str, dict[str, Variant]]:
    """Write the reference, blank and packed submissions; return the packs."""
    nbgrader(["generate_assignment", spec.name, "--force", "--log-level=WARN"], course, env)
    nb_name = f"{spec.name}.ipynb"
    source_nb = nbformat.read(course / "source" / spec.name / nb_name, as_version=4)
    release_nb = nbformat.read(course / "release" / spec.name / nb_name, as_version=4)
    reference = reference_solutions(source_nb)
    unknown = [f for f in spec.functions if f not in reference]
    if unknown:
        raise VariantsError(
            f"{spec.variants_file.name}: no answer cell with grade_id {unknown} in source/{spec.name}/{nb_name}"
        )
    tests = {
        cell.metadata["nbgrader"]["grade_id"]: cell.source
        for cell in source_nb.cells
        if cell.metadata.get("nbgrader", {}).get("grade")
    }
    texts = {
        f: reference[f]
        + "\n".join(src for gid, src in tests.items() if gid.startswith(f"test_{f}"))
        for f in spec.functions
    }
    packs = pack_variants(spec.variants, texts)
    submissions = {REFERENCE: submission(release_nb, reference), BLANK: release_nb}
    for student, pack in packs.items():
        answers = {f: v.source for f, v in pack.items()}
        submissions[student] = submission(release_nb, {**reference, **answers})
    for student, nb in submissions.items():
        folder = course / "submitted" / student / spec.name
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / nb_name)
    return packs


def read_results(
    spec: AssignmentSpec, course: Path, students: list[str]
) -> dict[str, dict[str, CellResult]]:
    from nbgrader.api import Gradebook, MissingEntry

    nb_name = spec.name
    results: dict[str, dict[str, CellResult]] = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in students:
            path = course / "autograded" / student / spec.name / f"{nb_name}.ipynb"
            try:
                graded = gb.find_submission_notebook(nb_name, spec.name, student)
            except MissingEntry:
                continue  # nbgrader dropped this submission; the tests report it
            outputs = _cell_outputs(path) if path.exists() else {}
            cells = {}
            for grade in graded.grades:
                score = grade.score if grade.score is not None else 0.0
                cells[grade.name] = CellResult(
                    float(score), float(grade.max_score), outputs.get(grade.name, "")
                )
            results[student] = cells
    return results


def _cell_outputs(path: Path) -> dict[str, str]:
    nb = nbformat.read(path, as_version=4)
    out = {}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if not gid or cell.cell_type != "code":
            continue
        parts = []
        for o in cell.get("outputs", []):
            if o.output_type == "stream":
                parts.append(o.text)
            elif o.output_type == "error":
                parts.append("\n".join(o.traceback))
                parts.append(f"{o.ename}: {o.evalue}")
        out[gid] = ANSI_RE.sub("", "\n".join(parts))
    return out


def grade_all(
    specs: list[AssignmentSpec], scratch: Path, repo: Path = REPO
) -> dict[str, GradedAssignment]:
    """Prepare every assignment in its own scratch course, then autograde them concurrently."""

    def run(spec: AssignmentSpec) -> GradedAssignment:
        base = scratch / spec.name
        env = jupyter_env(base / "home")
        course = make_course(base, [spec.name], repo)
        packs = prepare_submissions(spec, course, env)
        start = time.perf_counter()
        proc = nbgrader(["autograde", spec.name, "--log-level=WARN"], course, env, check=False)
        seconds = time.perf_counter() - start
        source_nb = nbformat.read(
            course / "source" / spec.name / f"{spec.name}.ipynb", as_version=4
        )
        tests = autograded_test_cells(source_nb)
        students = [REFERENCE, BLANK, *packs]
        graded = GradedAssignment(
            spec, course, proc.returncode, proc.stdout + proc.stderr, seconds, tests, packs=packs
        )
        graded.results = read_results(spec, course, students)
        return graded

    workers = max(1, min(len(specs), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return {g.spec.name: g for g in pool.map(run, specs)}


# ----------------------------------------------------------------------------- verdicts


def judge(graded: GradedAssignment, v: Variant) -> list[str]:
    """Problems with one variant's grading (an empty list means it behaved as required)."""
    student = graded.pack_of(v)
    cells = graded.results.get(student)
    if cells is None:
        return [
            f"{student} ({v.student}): no graded submission in the gradebook (nbgrader dropped it)"
        ]
    own = graded.cells_of(v.function)
    if not own:
        return [f"no test cell named test_{v.function}* in {graded.spec.name}"]
    # Cells of the other variants in the same submission are theirs to judge.
    others = {gid for f in graded.packs[student] if f != v.function for gid in graded.cells_of(f)}
    problems = []
    for gid, points in graded.test_cells.items():
        if gid in others:
            continue
        result = cells.get(gid)
        if result is None:
            problems.append(f"{gid}: no grade recorded")
        elif (v.correct or gid not in own) and result.score < points:
            why = "correct variant" if v.correct else f"wrong variant of {v.function}"
            problems.append(
                f"{gid}: {why} scored {result.score}/{points}; output:\n{result.error_text[-1500:]}"
            )
    if not v.correct:
        lost = [gid for gid in own if gid in cells and cells[gid].score < graded.test_cells[gid]]
        if not lost:
            problems.append(f"{v.function}: wrong variant {v.label!r} kept full marks on {own}")
        elif not any(v.label in cells[gid].tags for gid in lost):
            seen = sorted({t for gid in lost for t in cells[gid].tags})
            problems.append(
                f"{v.function}: expected [tag: {v.label}] in the failure output, saw tags {seen}"
            )
    return problems


def table(graded: GradedAssignment) -> str:
    rows = [("function", "wrong caught", "correct accepted")]
    for function in graded.spec.functions:
        wrong = [v for v in graded.spec.variants if v.function == function and not v.correct]
        right = [v for v in graded.spec.variants if v.function == function and v.correct]
        caught = sum(not judge(graded, v) for v in wrong)
        accepted = sum(not judge(graded, v) for v in right)
        rows.append((function, f"{caught}/{len(wrong)}", f"{accepted}/{len(right)}"))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [
        f"{graded.spec.name}: autograde of {len(graded.results)} submissions "
        f"({len(graded.spec.variants)} variants in {len(graded.packs)} packs) took {graded.seconds:.1f} s"
    ]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    import tempfile

    specs = [load_spec(p) for p in variant_files()]
    if argv:
        specs = [s for s in specs if s.name in argv]
    with tempfile.TemporaryDirectory(prefix="variants-") as tmp:
        graded = grade_all(specs, Path(tmp))
        failures = 0
        for g in graded.values():
            print(table(g))
            for v in g.spec.variants:
                for problem in judge(g, v):
                    failures += 1
                    print(f"  {v.student} ({v.label}): {problem.splitlines()[0]}")
            print()
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
