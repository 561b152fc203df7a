"""What a student writes besides their notebook cannot stop collecting or Formgrader for the class.

A student owns their submission folder in ``inbound/``: its name (``student+assignment+time+random``)
and its ``timestamp.txt``. Stock nbgrader stops ``collect`` for everyone on a name without a time,
and its API (Formgrader's pages) fails for the whole course on one collected ``timestamp.txt`` that
is not a date. These tests run nbgrader's real exchange in a scratch root (no hub, no accounts:
``check_owner`` is off, the owner check is the hub tests' job).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.utils import parse_utc
from traitlets.config import Config

from calcml.hub.exchange import OwnerCheckedCollect

ASSIGNMENT = "ps1_derivatives"


@pytest.fixture(autouse=True)
def _venv_on_path(venv_on_path):
    """nbgrader runs ``alembic`` by name when it makes a gradebook (tests/conftest.py)."""


def _inbound(root: Path, folder: str, stamp: str) -> Path:
    path = root / "exchange" / "course101" / "inbound" / folder
    path.mkdir(parents=True)
    (path / f"{ASSIGNMENT}.ipynb").write_text("{}")
    (path / "timestamp.txt").write_text(stamp)
    return path


def _collect(root: Path, caplog) -> OwnerCheckedCollect:
    config = Config()
    config.CourseDirectory.root = str(root / "course")
    config.CourseDirectory.course_id = "course101"
    config.Exchange.root = str(root / "exchange")
    config.ExchangeCollect.check_owner = False
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = ASSIGNMENT
    (root / "course").mkdir(exist_ok=True)
    with Gradebook(coursedir.db_url, "course101") as gb:
        gb.update_or_create_assignment(ASSIGNMENT)
    collect = OwnerCheckedCollect(
        coursedir=coursedir, authenticator=Authenticator(config=config), config=config
    )
    with caplog.at_level(logging.WARNING):
        collect.start()
    return collect


def test_a_name_without_a_time_is_refused_and_the_others_are_collected(tmp_path, caplog):
    _inbound(
        tmp_path,
        f"alice+{ASSIGNMENT}+2026-12-01 10:00:00.000000 UTC+abc",
        "2026-12-01 10:00:00.000000 UTC",
    )
    _inbound(tmp_path, f"mallory+{ASSIGNMENT}+not a time+xyz", "2026-12-01 11:00:00.000000 UTC")
    collect = _collect(tmp_path, caplog)
    submitted = tmp_path / "course" / "submitted"
    assert (submitted / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
    assert not (submitted / "mallory").exists()
    assert [(claimed, why) for _name, claimed, why in collect.refused] == [
        ("mallory", "named with no valid time ('not a time')")
    ]


def test_a_timestamp_that_is_not_a_date_is_rewritten_from_the_folder_name(tmp_path, caplog):
    when = "2026-12-02 09:30:15.250000 UTC"
    _inbound(tmp_path, f"bob+{ASSIGNMENT}+{when}+r1", "<script>not a date</script>")
    _inbound(tmp_path, f"carol+{ASSIGNMENT}+{when}+r2", "2026-12-02 08:00:00.000000 UTC")
    _collect(tmp_path, caplog)
    submitted = tmp_path / "course" / "submitted"
    repaired = (submitted / "bob" / ASSIGNMENT / "timestamp.txt").read_text()
    assert parse_utc(repaired) == parse_utc(when)
    kept = (submitted / "carol" / ASSIGNMENT / "timestamp.txt").read_text()
    assert kept == "2026-12-02 08:00:00.000000 UTC"  # a readable time is never touched
    assert any("bob's collected timestamp.txt" in r.getMessage() for r in caplog.records)
    assert not any(
        "carol" in r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING
    )
