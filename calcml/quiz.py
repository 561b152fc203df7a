"""'Check your understanding' quizzes built from ipywidgets: answer first, then the explanation.

Front-end conventions the browser tests rely on: each option is a ``Button`` with the CSS class
``calcml-quiz-option``; the feedback for a question is an ``HTMLMath`` with the class
``calcml-quiz-feedback`` that is empty until the learner answers.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import ipywidgets as widgets


@dataclass(frozen=True)
class Question:
    """One multiple-choice question; ``answer`` is the index of the correct option.

    ``why_not`` holds, for each option, what to tell a learner who chose it when it is wrong
    (empty for the right option): feedback about *that* mistake, before the explanation.
    """

    prompt: str
    options: tuple[str, ...]
    answer: int
    explanation: str
    why_not: tuple[str, ...] = ()

    def __post_init__(self):
        if len(self.options) < 2:
            raise ValueError(f"question {self.prompt!r} needs at least two options")
        if not 0 <= self.answer < len(self.options):
            raise ValueError(
                f"question {self.prompt!r}: answer index {self.answer} is out of range"
            )
        if self.why_not and len(self.why_not) != len(self.options):
            raise ValueError(
                f"question {self.prompt!r}: why_not needs one entry per option "
                f"({len(self.options)}), got {len(self.why_not)}"
            )
        if self.why_not and any(
            not text.strip() for i, text in enumerate(self.why_not) if i != self.answer
        ):
            raise ValueError(f"question {self.prompt!r}: every wrong option needs its feedback")

    def feedback_for(self, option: int) -> str:
        """The sentence said to a learner who chose ``option`` (empty when it is right)."""
        if option == self.answer or not self.why_not:
            return ""
        return self.why_not[option]


def multiple_choice(
    prompt: str,
    options: Sequence[str],
    answer: int,
    explanation: str,
    why_not: Sequence[str] = (),
) -> Question:
    """``why_not[i]``: what to say to someone who picked wrong option ``i`` ("" at the answer)."""
    return Question(prompt, tuple(options), answer, explanation, tuple(why_not))


def true_false(prompt: str, answer: bool, explanation: str, why_not: str = "") -> Question:
    """``why_not``: what to say to someone who picked the wrong one of True/False."""
    feedback = ("", why_not) if answer else (why_not, "")
    return Question(
        prompt, ("True", "False"), 0 if answer else 1, explanation, feedback if why_not else ()
    )


class Quiz(widgets.VBox):
    """A list of questions; clicking an option reveals whether it is right and why."""

    def __init__(self, questions: Sequence[Question], title: str = ""):
        """``title``: a heading inside the widget; chapters put theirs in markdown instead
        ("## Check your understanding"), so it shows in the table of contents."""
        self.questions = list(questions)
        self.chosen: list[int | None] = [None] * len(self.questions)
        self.feedback: list[widgets.HTMLMath] = []
        self.option_buttons: list[list[widgets.Button]] = []
        boxes = [widgets.HTML(f"<h4>{html.escape(title)}</h4>")] if title else []
        for q_index, question in enumerate(self.questions):
            prompt = widgets.HTMLMath(f"<b>{q_index + 1}.</b> {question.prompt}")
            buttons = []
            for o_index, option in enumerate(question.options):
                button = widgets.Button(
                    description=option,
                    tooltip=option,
                    layout=widgets.Layout(width="auto", max_width="100%"),
                )
                button.add_class("calcml-quiz-option")
                button.on_click(lambda _b, q=q_index, o=o_index: self.answer(q, o))
                buttons.append(button)
            feedback = widgets.HTMLMath("")
            feedback.add_class("calcml-quiz-feedback")
            self.feedback.append(feedback)
            self.option_buttons.append(buttons)
            boxes.append(
                widgets.VBox(
                    [
                        prompt,
                        widgets.HBox(buttons, layout=widgets.Layout(flex_flow="row wrap")),
                        feedback,
                    ]
                )
            )
        super().__init__(boxes)
        self.add_class("calcml-quiz")

    def answer(self, question: int, option: int) -> bool:
        """Record an answer (as a click does), show the explanation, return whether it was right."""
        q = self.questions[question]
        if not 0 <= option < len(q.options):
            raise ValueError(f"question {question + 1} has no option {option}")
        self.chosen[question] = option
        correct = option == q.answer
        for i, button in enumerate(self.option_buttons[question]):
            button.button_style = ("success" if i == q.answer else "danger") if i == option else ""
        verdict = (
            "✔ Correct."
            if correct
            else f"✘ Not quite: the answer is “{html.escape(q.options[q.answer])}”."
        )
        specific = q.feedback_for(option)
        specific = f" {specific}" if specific else ""
        self.feedback[
            question
        ].value = f'<div role="status" aria-live="polite"><b>{verdict}</b>{specific} {q.explanation}</div>'
        return correct

    @property
    def score(self) -> int:
        return sum(c == q.answer for c, q in zip(self.chosen, self.questions, strict=True))

    def static_html(self) -> str:
        parts = []
        for i, q in enumerate(self.questions):
            options = "".join(f"<li>{html.escape(o)}</li>" for o in q.options)
            parts.append(
                f"<p><b>{i + 1}.</b> {q.prompt}</p><ol type='a'>{options}</ol>"
                f"<details><summary>Show the answer</summary><p><b>{html.escape(q.options[q.answer])}</b>. "
                f"{q.explanation}</p></details>"
            )
        return '<div class="calcml-static-quiz">' + "".join(parts) + "</div>"

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs) or {}
        if isinstance(data, tuple):
            data = data[0]
        data = dict(data)
        data["text/html"] = self.static_html()
        lines = []
        for i, q in enumerate(self.questions):
            lines.append(f"{i + 1}. {q.prompt}")
            lines += [f"   ({chr(97 + j)}) {o}" for j, o in enumerate(q.options)]
        data["text/plain"] = "\n".join(lines)
        return data
