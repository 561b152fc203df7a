"""Settings of one grading run, and what the main process and its workers hand each other."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_NOTEBOOK_TIMEOUT = 300.0
VERIFY_TIMEOUT = 120.0
# "0": the verification's student side gets a sandbox of its own instead of the kernel's.
ENV_ROOM = "CALCML_VERIFY_ROOM"
# "0": every kernel starts as its own Python in its sandbox, not forked from the worker's zygote.
ENV_ZYGOTE = "CALCML_ZYGOTE"


@dataclass
class GradeOptions:
    """Settings of one grading run (the same in every worker)."""

    cell_timeout: int | None = None  # None: Execute.timeout from nbgrader_config.py
    notebook_timeout: float = DEFAULT_NOTEBOOK_TIMEOUT
    verify: bool = True
    prestart: bool = True


@dataclass
class Task:
    student: str
    assignment: str
    notebooks: dict[str, str]  # name -> submitted path
    sources: dict[str, str]  # name -> source (instructor) notebook path
    dest: str  # autograded/<student>/<assignment>
    digest: str
    prestart_next: bool = True  # more work will follow: boot the next kernel ahead of time


@dataclass
class NotebookOutcome:
    name: str
    notebook_json: str
    cells: list[dict] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)
    manual: list[dict] = field(default_factory=list)
