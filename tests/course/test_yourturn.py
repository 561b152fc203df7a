"""'Your turn' exercises: each kind judges right, wrong, unanswered and malformed answers, and every
exercise the chapters define is well-formed, reachable from its key and solved by its own solution."""

from __future__ import annotations

import numpy as np
import pytest

from calcml.exercises import chapter_modules, exercises_of, lookup
from calcml.yourturn import (
    Case,
    ChoiceExercise,
    ClassifyExercise,
    ExerciseCard,
    FunctionExercise,
    NumberExercise,
    _choice_card,
    _classify_card,
)

NUMBER = NumberExercise(
    key="chXX.n",
    hint="Divide the rise by the run.",
    solution="(2.25 - 1) / 0.5 = 2.5",
    answer=2.5,
    slips={2.25: "That is f(1.5), not the slope."},
)
SQUARE = FunctionExercise(
    key="chXX.f",
    hint="Multiply x by itself.",
    solution="Return x times x.",
    name="square",
    cases=(Case((2.0,), 4.0), Case((-3.0,), 9.0), Case((np.array([1.0, 2.0]),), [1.0, 4.0])),
    solution_code="def square(x):\n    return x * x\n",
)
CHOICE = ChoiceExercise(
    key="chXX.c",
    hint="",
    solution="η = 0.6 overshoots.",
    prompt="What will the path do?",
    options=("converge", "oscillate"),
    answer=1,
    feedback=(
        "Each step overshoots the minimum, so it cannot settle.",
        "Right: each step overshoots.",
    ),
)
CLASSIFY = ClassifyExercise(
    key="chXX.k",
    hint="",
    solution="x^(1/3): vertical tangent; |x|: corner.",
    prompt="At 0:",
    labels=("corner", "vertical tangent"),
    items={"|x|": "corner", "x^(1/3)": "vertical tangent"},
    why={"|x|": "Its one-sided slopes are −1 and 1.", "x^(1/3)": "Its slope grows without bound."},
)


@pytest.mark.parametrize(
    "value, status",
    [
        (2.5, "correct"),
        (2.5000000001, "correct"),
        (np.float64(2.5), "correct"),
        (2.6, "wrong"),
        (float("nan"), "wrong"),
        (..., "unanswered"),
        (None, "unanswered"),
        ("2.5", "error"),
        ([2.5, 1.0], "error"),
        (object(), "error"),
    ],
)
def test_number_exercise_judges_each_kind_of_answer(value, status):
    assert NUMBER.judge(value).status == status


def test_a_known_slip_gets_its_own_hint_and_any_wrong_answer_the_general_one():
    slip = NUMBER.judge(2.25)
    assert slip.status == "wrong" and "f(1.5)" in slip.message
    card = ExerciseCard(NUMBER, NUMBER.judge(3.0))
    assert "Divide the rise" in card.verdict_html.value
    assert "Divide the rise" not in ExerciseCard(NUMBER, NUMBER.judge(2.5)).verdict_html.value


def test_function_exercise_names_the_failing_call_and_survives_a_crash():
    assert SQUARE.judge(lambda x: x * x).correct
    wrong = SQUARE.judge(lambda x: 2 * x)
    assert wrong.status == "wrong" and "square(-3.0)" in wrong.message
    crash = SQUARE.judge(lambda x: 1 / 0)
    assert crash.status == "error" and "ZeroDivisionError" in crash.message

    def stub(x): ...

    assert SQUARE.judge(stub).status == "unanswered"
    assert SQUARE.judge(4).status == "error"


def test_choice_and_classification_give_feedback_for_the_option_chosen():
    assert CHOICE.judge("oscillate").correct and CHOICE.judge(1).correct
    assert "overshoots" in CHOICE.judge(0).message and not CHOICE.judge(0).correct
    assert CHOICE.judge("explode").status == "error"
    assert CLASSIFY.judge({"|x|": "corner", "x^(1/3)": "vertical tangent"}).correct
    wrong = CLASSIFY.judge({"|x|": "vertical tangent", "x^(1/3)": "vertical tangent"})
    assert wrong.status == "wrong" and "one-sided" in wrong.message and "grows" not in wrong.message
    assert CLASSIFY.judge({"|x|": "corner"}).status == "unanswered"


def test_malformed_exercises_are_refused_with_their_key():
    with pytest.raises(ValueError, match="chXX.bad"):
        ChoiceExercise(
            "chXX.bad", "", "", prompt="p", options=("a", "b"), answer=0, feedback=("x",)
        )
    with pytest.raises(ValueError, match="chXX.bad"):
        ClassifyExercise("chXX.bad", "", "", labels=("a",), items={"i": "b"}, why={"i": "?"})


def test_the_solution_stays_hidden_until_asked_and_the_buttons_work():
    card = _choice_card(CHOICE)
    assert card.verdict.status == "unanswered" and card.solution_html.value == ""
    card.option_buttons[0].click()
    assert card.verdict.status == "wrong" and card.option_buttons[0].button_style == "danger"
    card.option_buttons[1].click()
    assert card.verdict.correct
    card.solution_button.click()
    assert "overshoots" in card.solution_html.value
    card.solution_button.click()
    assert card.solution_html.value == ""

    picker_card = _classify_card(CLASSIFY)
    picker_card.pickers["|x|"].value = "corner"
    picker_card.pickers["x^(1/3)"].value = "vertical tangent"
    picker_card.judge_now()
    assert picker_card.verdict.correct


def test_without_widgets_the_card_is_text_with_the_solution_folded_away():
    bundle = ExerciseCard(NUMBER, NUMBER.judge(3.0))._repr_mimebundle_()
    assert bundle["text/plain"].startswith("✘") and 'solution("chXX.n")' in bundle["text/plain"]
    assert "<details>" in bundle["text/html"] and "2.25 - 1" in bundle["text/html"]


def test_an_unknown_key_names_the_key():
    with pytest.raises(KeyError, match="nope"):
        lookup("nope")


def _all_exercises():
    for chapter in chapter_modules():
        yield from exercises_of(chapter).values()


@pytest.mark.parametrize("ex", list(_all_exercises()), ids=lambda ex: ex.key)
def test_every_chapter_exercise_is_solved_by_its_own_answer(ex):
    assert ex.solution.strip(), f"{ex.key}: no worked solution"
    if isinstance(ex, NumberExercise):
        assert ex.judge(ex.answer).correct
        for slip in ex.slips:
            assert not ex.judge(slip).correct, f"{ex.key}: the slip {slip} is the answer"
    elif isinstance(ex, FunctionExercise):
        namespace: dict = {}
        exec(ex.solution_code, namespace)
        assert ex.judge(namespace[ex.name]).correct, f"{ex.key}: its solution_code fails"
        assert len(ex.cases) >= 2
    elif isinstance(ex, ChoiceExercise):
        assert ex.judge(ex.answer).correct
    elif isinstance(ex, ClassifyExercise):
        assert ex.judge(dict(ex.items)).correct
