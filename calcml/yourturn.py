"""'Your turn' exercises: the student works a problem in a code cell and the cell checks it at once.

A chapter places an exercise where the idea is taught, under a markdown heading that starts with
"Your turn", followed by one code cell::

    answer = ...  # replace ... with your number
    check("ch02.secant-by-hand", answer)

or, for a choice, a classification or a prediction made before a widget is dragged::

    ask("ch01.classify-corners")

The exercises themselves (answer, tolerance, hints, worked solution) are defined in
``calcml/exercises/chNN.py``, so a casual read of the notebook shows the task, never the answer.
A wrong answer shows a hint written for that mistake where one is known; the worked solution
appears only when asked for (the button, or ``solution(key)`` in a notebook without widgets).

Front-end conventions the browser tests rely on: the card carries ``calcml-yourturn``; its verdict
is an ``HTMLMath`` with ``calcml-yourturn-verdict`` inside a ``role="status"`` element; the
solution button carries ``calcml-yourturn-solution-button`` and the solution, empty until
requested, ``calcml-yourturn-solution``; choice buttons carry ``calcml-yourturn-option``.
Everything is a native button or select, so Tab moves between them and Space or Enter presses.
"""

from __future__ import annotations

import html
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as widgets
import numpy as np

CORRECT, WRONG, UNANSWERED, ERROR = "correct", "wrong", "unanswered", "error"
_ICON = {CORRECT: "✔", WRONG: "✘", UNANSWERED: "…", ERROR: "⚠"}


@dataclass(frozen=True)
class Verdict:
    """What a check found: one of ``correct``, ``wrong``, ``unanswered``, ``error``, and why."""

    status: str
    message: str

    @property
    def correct(self) -> bool:
        return self.status == CORRECT


def _unanswered(value) -> bool:
    return value is ... or value is None


@dataclass(frozen=True)
class Exercise:
    """The common part of every exercise; subclasses say how an answer is judged."""

    key: str
    hint: str
    solution: str

    def judge(self, value) -> Verdict:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    def hint_for(self, verdict: Verdict) -> str:
        return self.hint if verdict.status in (WRONG, ERROR) else ""


def _as_array(value) -> np.ndarray | None:
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    return array


def _close(got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> bool:
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=rtol, atol=atol))


@dataclass(frozen=True)
class NumberExercise(Exercise):
    """A number (or a small array of numbers) worked by hand.

    ``slips`` maps the value a known mistake produces to a hint about that mistake
    (a forward instead of a central difference, a sign lost in the chain rule, ...).
    """

    answer: float | Sequence[float] = 0.0
    rtol: float = 1e-6
    atol: float = 1e-9
    slips: Mapping[float, str] = field(default_factory=dict)

    def judge(self, value) -> Verdict:
        if _unanswered(value):
            return Verdict(
                UNANSWERED, "Not answered yet: replace `...` with your answer and run the cell."
            )
        if isinstance(value, (str, bytes)):
            return Verdict(ERROR, f"Expected a number, got the text {value!r}: remove the quotes.")
        got, want = _as_array(value), np.asarray(self.answer, dtype=float)
        if got is None:
            return Verdict(ERROR, f"Expected a number, got a {type(value).__name__}.")
        if got.shape != want.shape:
            shape = "a single number" if want.shape == () else f"an array of shape {want.shape}"
            return Verdict(ERROR, f"Expected {shape}, got shape {got.shape}.")
        if not np.all(np.isfinite(got)):
            return Verdict(WRONG, "Your answer is not a finite number (nan or inf).")
        if _close(got, want, self.rtol, self.atol):
            return Verdict(CORRECT, "Correct.")
        for slip, why in self.slips.items():
            if _close(got, np.asarray(slip, dtype=float), self.rtol, self.atol):
                return Verdict(WRONG, f"Not quite. {why}")
        return Verdict(WRONG, "Not quite.")


@dataclass(frozen=True)
class Case:
    """One call of a student's function: its arguments and the value it should return."""

    args: tuple = ()
    expected: Any = None
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    rtol: float = 1e-6
    atol: float = 1e-9

    def call_text(self, name: str) -> str:
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"{name}({', '.join(parts)})"


@dataclass(frozen=True)
class FunctionExercise(Exercise):
    """A short function the student writes; it is called on ``cases`` and compared.

    ``solution_code`` is the worked solution as code: it is shown with the solution and the tests
    run it against the same cases, so the solution a student is shown is known to pass.
    """

    name: str = "f"
    cases: Sequence[Case] = ()
    solution_code: str = ""

    def judge(self, value) -> Verdict:
        if _unanswered(value):
            return Verdict(UNANSWERED, f"Not answered yet: write `{self.name}` and run the cell.")
        if not callable(value):
            return Verdict(
                ERROR, f"Expected the function `{self.name}`, got a {type(value).__name__}."
            )
        for number, case in enumerate(self.cases):
            call = case.call_text(self.name)
            try:
                got = value(*case.args, **dict(case.kwargs))
            except Exception as exc:  # the student's code: report it, never crash the notebook
                last = traceback.extract_tb(exc.__traceback__)[-1]
                return Verdict(
                    ERROR,
                    f"`{call}` raised {type(exc).__name__}: {exc} (line {last.lineno}).",
                )
            if got is None:
                return Verdict(
                    WRONG if number else UNANSWERED,
                    f"`{call}` returned None: is a `return` missing, or is the body still `...`?",
                )
            got_array, want = _as_array(got), np.asarray(case.expected, dtype=float)
            if got_array is None or not _close(got_array, want, case.rtol, case.atol):
                shown = (
                    np.array2string(np.asarray(got), precision=6)
                    if got_array is not None
                    else repr(got)
                )
                return Verdict(
                    WRONG,
                    f"`{call}` returned {shown}; expected {np.array2string(want, precision=6)}.",
                )
        return Verdict(CORRECT, f"Correct: `{self.name}` passes all {len(self.cases)} checks.")


def _option_index(options: Sequence[str], value) -> int | None:
    if isinstance(value, (bool, np.bool_)):
        value = "True" if value else "False"
    if isinstance(value, int) and 0 <= value < len(options):
        return value
    if isinstance(value, str):
        wanted = value.strip().casefold()
        for i, option in enumerate(options):
            if option.casefold() == wanted:
                return i
    return None


@dataclass(frozen=True)
class ChoiceExercise(Exercise):
    """One question with options; also a prediction asked before a widget is dragged.

    ``feedback`` holds one sentence per option, said when that option is chosen.
    """

    prompt: str = ""
    options: tuple[str, ...] = ()
    answer: int = 0
    feedback: tuple[str, ...] = ()

    def __post_init__(self):
        if len(self.options) < 2 or not 0 <= self.answer < len(self.options):
            raise ValueError(f"exercise {self.key!r}: needs two or more options and a valid answer")
        if len(self.feedback) != len(self.options):
            raise ValueError(f"exercise {self.key!r}: give one feedback sentence per option")

    def judge(self, value) -> Verdict:
        if _unanswered(value):
            return Verdict(UNANSWERED, "Choose an option.")
        index = _option_index(self.options, value)
        if index is None:
            choices = ", ".join(repr(o) for o in self.options)
            return Verdict(ERROR, f"{value!r} is not one of the options: {choices}.")
        status = CORRECT if index == self.answer else WRONG
        lead = "Correct." if status == CORRECT else "Not quite."
        return Verdict(status, f"{lead} {self.feedback[index]}")

    def hint_for(self, verdict: Verdict) -> str:
        return ""  # the per-option feedback is the hint


@dataclass(frozen=True)
class ClassifyExercise(Exercise):
    """Put each item in one of the ``labels`` (e.g. each function at 0: smooth, corner, cusp).

    ``why`` gives, per item, the sentence shown when that item is misplaced.
    """

    prompt: str = ""
    labels: tuple[str, ...] = ()
    items: Mapping[str, str] = field(default_factory=dict)
    why: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self):
        unknown = {label for label in self.items.values() if label not in self.labels}
        if unknown or set(self.why) != set(self.items):
            raise ValueError(f"exercise {self.key!r}: every item needs a known label and a reason")

    def judge(self, value) -> Verdict:
        if _unanswered(value) or not isinstance(value, Mapping):
            if _unanswered(value):
                return Verdict(UNANSWERED, "Choose a label for every item.")
            return Verdict(ERROR, "Expected a dict mapping each item to a label.")
        missing = [item for item in self.items if value.get(item) in (None, "")]
        if missing:
            return Verdict(UNANSWERED, "Still to label: " + ", ".join(missing) + ".")
        wrong = [item for item, label in self.items.items() if value[item] != label]
        if not wrong:
            return Verdict(CORRECT, f"Correct: all {len(self.items)} placed right.")
        reasons = " ".join(f"{item}: {self.why[item]}" for item in wrong)
        return Verdict(WRONG, f"{len(wrong)} of {len(self.items)} misplaced. {reasons}")

    def hint_for(self, verdict: Verdict) -> str:
        return ""


class ExerciseCard(widgets.VBox):
    """The verdict of one exercise, its hint, and its worked solution behind a button."""

    def __init__(self, exercise: Exercise, verdict: Verdict, inputs: Sequence[widgets.Widget] = ()):
        self.exercise = exercise
        self.verdict_html = widgets.HTMLMath()
        self.verdict_html.add_class("calcml-yourturn-verdict")
        self.solution_button = widgets.Button(
            description="Show the worked solution",
            tooltip="Show the worked solution",
            layout=widgets.Layout(width="auto"),
        )
        self.solution_button.add_class("calcml-yourturn-solution-button")
        self.solution_html = widgets.HTMLMath()
        self.solution_html.add_class("calcml-yourturn-solution")
        self.solution_button.on_click(lambda _b: self.toggle_solution())
        super().__init__([*inputs, self.verdict_html, self.solution_button, self.solution_html])
        self.add_class("calcml-yourturn")
        self.show(verdict)

    def show(self, verdict: Verdict) -> None:
        self.verdict = verdict
        self.verdict_html.value = (
            f'<div role="status" aria-live="polite">{_verdict_html(self.exercise, verdict)}</div>'
        )

    @property
    def solution_shown(self) -> bool:
        return bool(self.solution_html.value)

    def toggle_solution(self) -> None:
        if self.solution_shown:
            self.solution_html.value = ""
            self.solution_button.description = "Show the worked solution"
        else:
            self.solution_html.value = _solution_html(self.exercise)
            self.solution_button.description = "Hide the worked solution"
        self.solution_button.tooltip = self.solution_button.description

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs) or {}
        if isinstance(data, tuple):
            data = data[0]
        data = dict(data)
        data["text/plain"] = _verdict_text(self.exercise, self.verdict)
        data["text/html"] = (
            f'<div class="calcml-yourturn">{_verdict_html(self.exercise, self.verdict)}'
            f"<details><summary>Show the worked solution</summary>{_solution_html(self.exercise)}"
            "</details></div>"
        )
        return data


def _verdict_html(exercise: Exercise, verdict: Verdict) -> str:
    hint = exercise.hint_for(verdict)
    hint_html = f"<br><b>Hint:</b> {hint}" if hint else ""
    return f"<b>{_ICON[verdict.status]}</b> {_md_code(verdict.message)}{hint_html}"


def _verdict_text(exercise: Exercise, verdict: Verdict) -> str:
    lines = [f"{_ICON[verdict.status]} {verdict.message}"]
    hint = exercise.hint_for(verdict)
    if hint:
        lines.append(f"Hint: {hint}")
    lines.append(f'The worked solution: run solution("{exercise.key}").')
    return "\n".join(lines)


def _md_code(text: str) -> str:
    """Escape HTML and turn `code` spans into <code> (messages quote the student's calls)."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _solution_html(exercise: Exercise) -> str:
    body = "".join(f"<p>{paragraph}</p>" for paragraph in exercise.solution.strip().split("\n\n"))
    code = getattr(exercise, "solution_code", "")
    if code:
        body += f"<pre><code>{html.escape(code.strip())}</code></pre>"
    return body


class SolutionText:
    """A worked solution for a front end without widgets (plain text and HTML)."""

    def __init__(self, exercise: Exercise):
        self.exercise = exercise

    def _repr_html_(self) -> str:
        return _solution_html(self.exercise)

    def __repr__(self) -> str:
        code = getattr(self.exercise, "solution_code", "")
        return self.exercise.solution.strip() + (f"\n\n{code.strip()}" if code else "")


def exercise(key: str) -> Exercise:
    """The exercise called ``key`` (``chNN.slug``), from ``calcml/exercises/chNN.py``."""
    from calcml.exercises import lookup

    return lookup(key)


def check(key: str, value) -> ExerciseCard:
    """Judge ``value`` (a number, an array, a function, an option, a dict of labels) for ``key``."""
    ex = exercise(key)
    return ExerciseCard(ex, ex.judge(value))


def solution(key: str) -> SolutionText:
    """The worked solution of ``key``, for a notebook without a widget front end."""
    return SolutionText(exercise(key))


def ask(key: str) -> ExerciseCard:
    """A card with buttons (a choice or a prediction) or one dropdown per item (a classification)."""
    ex = exercise(key)
    if isinstance(ex, ChoiceExercise):
        return _choice_card(ex)
    if isinstance(ex, ClassifyExercise):
        return _classify_card(ex)
    raise TypeError(f"exercise {key!r} is answered in code: use check({key!r}, your_answer)")


def _choice_card(ex: ChoiceExercise) -> ExerciseCard:
    prompt = widgets.HTMLMath(ex.prompt)
    buttons = []
    for option in ex.options:
        button = widgets.Button(
            description=option,
            tooltip=option,
            layout=widgets.Layout(width="auto", max_width="100%"),
        )
        button.add_class("calcml-yourturn-option")
        buttons.append(button)
    row = widgets.HBox(buttons, layout=widgets.Layout(flex_flow="row wrap"))
    card = ExerciseCard(ex, ex.judge(...), inputs=[prompt, row])
    card.option_buttons = buttons

    def choose(index: int) -> None:
        verdict = ex.judge(index)
        for i, button in enumerate(buttons):
            button.button_style = ("success" if verdict.correct else "danger") if i == index else ""
        card.show(verdict)

    for i, button in enumerate(buttons):
        button.on_click(lambda _b, i=i: choose(i))
    card.choose = choose
    return card


def _classify_card(ex: ClassifyExercise) -> ExerciseCard:
    prompt = widgets.HTMLMath(ex.prompt)
    pickers = {}
    for item in ex.items:
        picker = widgets.Dropdown(
            options=[("choose…", "")] + [(label, label) for label in ex.labels],
            value="",
            description=item,
            style={"description_width": "initial"},
            layout=widgets.Layout(width="auto"),
        )
        picker.add_class("calcml-yourturn-picker")
        pickers[item] = picker
    button = widgets.Button(description="Check", tooltip="Check my labels")
    button.add_class("calcml-yourturn-check")
    card = ExerciseCard(ex, ex.judge(...), inputs=[prompt, *pickers.values(), button])
    card.pickers = pickers

    def judge_now(_b=None) -> None:
        card.show(ex.judge({item: picker.value for item, picker in pickers.items()}))

    button.on_click(judge_now)
    card.judge_now = judge_now
    return card


__all__ = [
    "Case",
    "ChoiceExercise",
    "ClassifyExercise",
    "ExerciseCard",
    "FunctionExercise",
    "NumberExercise",
    "Verdict",
    "ask",
    "check",
    "exercise",
    "solution",
]
