"""Gradebook writes that survive a database restart.

A long grading run on PostgreSQL outlives a database restart (maintenance, fail-over). Every
write of the run's coordinator goes through :func:`retrying`: when the connection is lost (the
server was restarted or is down), the session is rolled back and the whole write (registering a
submission, or saving one student's result) is tried again with a growing pause, for up to
``CALCML_DB_RETRY_SECONDS`` (default 120 s). Each of those writes is idempotent (nbgrader's
``update_or_create`` calls, scores overwritten), so trying one again cannot record a student
twice. When the database stays away longer, the run stops with :class:`GradebookUnavailable`,
a :class:`~autograder.grading.gradebook.CourseError`: what was saved stays saved, and the same command
resumes.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from typing import TypeVar

from nbgrader.api import Gradebook
from sqlalchemy import exc as sa_exc

from autograder.grading.gradebook import CourseError

ENV_RETRY = "CALCML_DB_RETRY_SECONDS"
DEFAULT_RETRY_SECONDS = 120.0
FIRST_PAUSE = 0.25
LONGEST_PAUSE = 5.0

T = TypeVar("T")


class GradebookUnavailable(CourseError):
    """The gradebook database did not answer for the whole retry period."""


def retry_seconds() -> float:
    text = os.environ.get(ENV_RETRY, "").strip()
    if not text:
        return DEFAULT_RETRY_SECONDS
    try:
        value = float(text)
    except ValueError:
        raise CourseError(f"{ENV_RETRY}={text!r} is not a number of seconds") from None
    if value < 0:
        raise CourseError(f"{ENV_RETRY}={text!r} must not be negative")
    return value


def shown_url(db_url: str) -> str:
    """The database URL without its password (it is printed in error messages)."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", str(db_url))


def _lost(error: BaseException) -> bool:
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        return True
    # A session whose connection died mid-transaction refuses further work until rolled back.
    return isinstance(error, sa_exc.PendingRollbackError)


def _chain(error: BaseException | None):
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def connection_lost(error: BaseException) -> bool:
    """Whether ``error`` means the database went away (rather than a bug or a constraint).

    nbgrader turns database errors into its own ``InvalidEntry``; the cause is in the chain.
    """
    return any(_lost(e) for e in _chain(error))


def _cause(error: BaseException) -> str:
    for link in _chain(error):
        if _lost(link):
            text = str(getattr(link, "orig", None) or link).strip().splitlines()
            return text[0] if text else type(link).__name__
    return type(error).__name__


class _QuietLostConnections(logging.Filter):
    """nbgrader logs a traceback for every failed commit: not for the ones retried here."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            return not connection_lost(record.exc_info[1])
        return True


_QUIET = _QuietLostConnections()
logging.getLogger("tornado.application").addFilter(_QUIET)


def _reset(gb: Gradebook) -> None:
    try:
        gb.db.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone: the pool replaces it
        pass
    try:
        gb.db.remove()
    except Exception:  # noqa: BLE001
        pass


def retrying(
    gb: Gradebook,
    action: Callable[[], T],
    what: str,
    warn: Callable[[str], None] | None = None,
    db_url: str = "",
) -> T:
    """``action()``, tried again while the database is unreachable (see the module docstring)."""
    limit = retry_seconds()
    started = time.monotonic()
    pause = FIRST_PAUSE
    warned = False
    while True:
        try:
            return action()
        except Exception as error:  # noqa: BLE001 - sorted just below
            if not connection_lost(error):
                raise
            _reset(gb)
            waited = time.monotonic() - started
            detail = _cause(error)
            if waited >= limit:
                raise GradebookUnavailable(
                    f"the gradebook database {shown_url(db_url)} did not answer for {waited:.0f} s "
                    f"while {what} ({detail}); every result saved before is kept: run the same "
                    "command again to resume"
                ) from None
            if not warned and warn is not None:
                warn(
                    f"the gradebook database {shown_url(db_url)} is not answering while {what} "
                    f"({detail}); retrying for up to {limit:g} s"
                )
                warned = True
            time.sleep(min(pause, max(0.0, limit - waited)))
            pause = min(pause * 2, LONGEST_PAUSE)


class Retrying:
    """``write(what, action, *args)``: :func:`retrying` bound to one run's gradebook and warnings."""

    def __init__(self, gb: Gradebook, warn: Callable[[str], None] | None, db_url: str) -> None:
        self.gb, self.warn, self.db_url = gb, warn, db_url

    def __call__(self, what: str, action: Callable[..., T], *args) -> T:
        return retrying(self.gb, lambda: action(*args), what, self.warn, self.db_url)
