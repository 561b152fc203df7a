"""The quiz widget: answers are judged against the key, and the explanation appears only after one."""

from __future__ import annotations

import pytest

from calcml.quiz import Question, Quiz, multiple_choice, true_false


def _quiz():
    return Quiz(
        [
            true_false(
                "Every differentiable function is continuous.", True, "A jump breaks the limit."
            ),
            multiple_choice("d/dx x² at 3?", ["3", "6", "9"], 1, "2x at 3 is 6."),
        ]
    )


def test_feedback_is_empty_until_answered():
    quiz = _quiz()
    assert all(f.value == "" for f in quiz.feedback)


def test_right_answer_is_judged_right_and_explained():
    quiz = _quiz()
    assert quiz.answer(1, 1) is True
    assert "Correct" in quiz.feedback[1].value and "2x at 3 is 6." in quiz.feedback[1].value
    assert quiz.feedback[0].value == "", "answering one question must not reveal another"


def test_wrong_answer_is_judged_wrong_names_the_answer_and_explains():
    quiz = _quiz()
    assert quiz.answer(1, 2) is False
    text = quiz.feedback[1].value
    assert "Not quite" in text and "“6”" in text and "2x at 3 is 6." in text
    assert quiz.option_buttons[1][2].button_style == "danger"


def test_true_false_maps_the_boolean_to_the_right_option():
    assert true_false("p", True, "e").answer == 0
    assert true_false("p", False, "e").answer == 1


def test_score_counts_right_answers_and_a_click_does_what_answer_does():
    quiz = _quiz()
    quiz.option_buttons[0][0].click()  # True: right
    quiz.answer(1, 0)  # wrong
    assert quiz.score == 1


@pytest.mark.parametrize("options, answer", [(["only one"], 0), (["a", "b"], 2), (["a", "b"], -1)])
def test_malformed_questions_are_refused_with_a_clear_error(options, answer):
    with pytest.raises(ValueError, match="question"):
        Question("prompt", tuple(options), answer, "why")


def test_answer_outside_the_options_is_refused():
    with pytest.raises(ValueError, match="no option 5"):
        _quiz().answer(1, 5)


def test_static_html_shows_questions_with_answers_folded_away():
    bundle = _quiz()._repr_mimebundle_()
    html = bundle["text/html"]
    assert html.count("<details>") == 2 and "2x at 3 is 6." in html
    assert "d/dx x² at 3?" in bundle["text/plain"]


def test_a_wrong_option_gets_its_own_feedback_before_the_explanation():
    from calcml.quiz import Quiz, multiple_choice, true_false

    quiz = Quiz(
        [
            multiple_choice(
                "2 + 2?",
                ["3", "4", "22"],
                1,
                "Add.",
                why_not=["One short.", "", "That joins digits."],
            ),
            true_false(
                "Smaller h always helps.",
                False,
                "Rounding grows.",
                why_not="Rounding error grows as h shrinks.",
            ),
        ]
    )
    quiz.answer(0, 2)
    assert (
        "That joins digits." in quiz.feedback[0].value
        and "One short." not in quiz.feedback[0].value
    )
    quiz.answer(0, 1)
    assert "joins" not in quiz.feedback[0].value
    quiz.answer(1, 0)
    assert "Rounding error grows" in quiz.feedback[1].value


def test_feedback_is_required_for_every_wrong_option_once_given():
    from calcml.quiz import multiple_choice

    with pytest.raises(ValueError, match="every wrong option"):
        multiple_choice("p", ["a", "b", "c"], 0, "e", why_not=["", "b is off", " "])
    with pytest.raises(ValueError, match="one entry per option"):
        multiple_choice("p", ["a", "b", "c"], 0, "e", why_not=["", "b is off"])
