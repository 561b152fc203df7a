"""The class roster: a CSV file with columns ``username,role`` (role ``instructor`` or ``student``)."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

ROLES = ("instructor", "student")
# A name that is at once a valid Linux account, JupyterHub user and nbgrader student id (nbgrader
# splits exchange folder names on "+", so it must never appear in one).
USERNAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
DEFAULT_ROSTER = (
    "username,role\ninstructor,instructor\nstudent1,student\nstudent2,student\nstudent3,student\n"
)


class RosterError(ValueError):
    """A roster file that cannot be used; the message names the file and the line."""


@dataclass(frozen=True)
class Member:
    username: str
    role: str

    @property
    def is_instructor(self) -> bool:
        return self.role == "instructor"


def parse_roster(text: str, source: str = "roster") -> list[Member]:
    """Members in file order; every problem is reported at once, with its line number."""
    reader = csv.DictReader(text.splitlines())
    header = [name.strip() for name in (reader.fieldnames or [])]
    if header[:2] != ["username", "role"]:
        raise RosterError(f"{source}: the first line must be 'username,role', not {header!r}")
    members: list[Member] = []
    problems: list[str] = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        name = (row.get("username") or "").strip()
        role = (row.get("role") or "").strip().lower()
        if not name and not role:
            continue
        if not USERNAME.match(name):
            problems.append(
                f"line {line}: {name!r} is not a usable account name ({USERNAME.pattern})"
            )
        elif role not in ROLES:
            problems.append(f"line {line}: {name}: role {role!r} is not one of {', '.join(ROLES)}")
        elif name in seen:
            problems.append(f"line {line}: {name} is listed twice")
        else:
            seen.add(name)
            members.append(Member(name, role))
    if problems:
        raise RosterError(f"{source}:\n  " + "\n  ".join(problems))
    if not any(m.is_instructor for m in members):
        raise RosterError(f"{source}: no instructor (at least one row needs role 'instructor')")
    return members


def load_roster(path: Path | None) -> list[Member]:
    """The roster in ``path``, or the default class when ``path`` is None."""
    if path is None:
        return parse_roster(DEFAULT_ROSTER, "the default roster")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"{path}: cannot read the roster ({exc})") from exc
    return parse_roster(text, str(path))
