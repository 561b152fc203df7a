"""nbgrader exchange classes for a class server where every student is a real account.

Stock nbgrader trusts names: a submission folder in ``inbound/`` is called
``<student>+<assignment>+<time>+<random>`` and ``nbgrader collect`` takes the newest folder per
name, whoever wrote it (it only logs a warning when the owner differs), so ``nbgrader submit
--student student1`` run by student2 replaces student1's work. :class:`OwnerCheckedCollect` (the
instructor's side, where the check can be trusted) refuses every folder whose owner account is not
the student it names, and says so. :class:`PrivateSubmit` (the students' side) makes a submission
readable by its owner and the instructors' group only, instead of by everyone who learns its name.

A student also writes the submission folder's name and its ``timestamp.txt``. Stock collect stops
for the whole class on a folder whose name holds no time, and Formgrader (its submission list,
nbgrader's API) fails for the whole course on one collected ``timestamp.txt`` that is not a date.
So :class:`OwnerCheckedCollect` refuses a folder whose name holds no time (naming it), and after
copying writes a collected ``timestamp.txt`` that cannot be read again from the time in the
folder's name (the time stock ``submit`` writes into both), saying so.

Both are selected in nbgrader's configuration (``c.ExchangeFactory.collect`` /
``c.ExchangeFactory.submit``), so formgrader's Collect button and the Assignments tab use them.
"""

from __future__ import annotations

import glob
import os
import pwd
from collections import defaultdict

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.exchange.default.submit import ExchangeSubmit
from nbgrader.utils import check_mode, parse_utc

# The folder gets the instructors' group when it is made (inbound/ is set-gid); 0750 keeps everyone
# else out of it. The files inside may then be 0644: a student cannot give a file to a group they
# are not in, and files written after the copy (timestamp.txt) keep the student's own group.
SUBMISSION_DIR_MODE = 0o750
SUBMISSION_FILE_MODE = 0o644


def owner_name(path: str) -> str:
    """The account owning ``path`` (``uid <n>`` when the uid has no account)."""
    uid = os.lstat(path).st_uid
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def unreadable_file(folder: str) -> str | None:
    """The first entry of ``folder`` this process cannot read, or None (collect would crash on it
    half-way, nbgrader #728, and leave every later student uncollected)."""
    for parent, dirs, files in os.walk(folder):
        for name in dirs:
            if not os.access(os.path.join(parent, name), os.R_OK | os.X_OK):
                return os.path.join(parent, name)
        for name in files:
            if not os.access(os.path.join(parent, name), os.R_OK):
                return os.path.join(parent, name)
    if not os.access(folder, os.R_OK | os.X_OK):
        return folder
    return None


def repair_timestamp(folder: str, when, log, student: str) -> bool:
    """Make ``folder/timestamp.txt`` a time nbgrader can read: rewritten from ``when`` (the time in
    the submission folder's name) when it is not one. Returns whether it was rewritten."""
    path = os.path.join(folder, "timestamp.txt")
    if not os.path.isdir(folder) or os.path.islink(path):
        return False
    try:
        with open(path, encoding="utf-8", errors="strict") as handle:
            text = handle.read(200).strip()
        if text:
            parse_utc(text)
        return False
    except FileNotFoundError:
        text = None
    except (OSError, UnicodeDecodeError, ValueError, OverflowError):
        text = "?"
    if text is None:
        return False  # no file: nbgrader reads that as "no time", which is harmless
    os.chmod(path, 0o644)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(when.strftime("%Y-%m-%d %H:%M:%S.%f %Z").strip())
    log.warning(
        "%s's collected timestamp.txt was not a time nbgrader can read; it now holds the time "
        "of the submission folder's name (%s)",
        student,
        when,
    )
    return True


class OwnerCheckedCollect(ExchangeCollect):
    """``collect`` that only accepts submissions written by the account they are named after."""

    def init_src(self):
        if self.coursedir.course_id == "":
            self.fail("No course id specified. Re-run with --course flag.")
        self.course_path = os.path.join(self.root, self.coursedir.course_id)
        self.inbound_path = os.path.join(self.course_path, "inbound")
        if not os.path.isdir(self.inbound_path):
            self.fail(f"Course not found: {self.inbound_path}")
        if not check_mode(self.inbound_path, read=True, execute=True):
            self.fail(f"You don't have read permissions for the directory: {self.inbound_path}")
        student = self.coursedir.student_id or "*"
        pattern = os.path.join(self.inbound_path, f"{student}+{self.coursedir.assignment_id}+*")
        self.refused: list[tuple[str, str, str]] = []
        by_student: dict[str, list[dict]] = defaultdict(list)
        for path in sorted(glob.glob(pattern)):
            record = self._record_or_none(path)
            if record is None:
                continue
            if self.check_owner and os.path.islink(path):
                self._refuse(path, record["username"], "a symbolic link")
                continue
            owner = owner_name(path)
            if self.check_owner and owner != record["username"]:
                self._refuse(path, record["username"], f"owned by {owner}")
                continue
            unreadable = unreadable_file(path)
            if unreadable:
                self._refuse(path, record["username"], f"unreadable here ({unreadable})")
                continue
            by_student[record["username"]].append(record)
        self.duedate = self._due_date()
        self.src_records = [self._chosen(records) for records in by_student.values()]

    def _record_or_none(self, path: str) -> dict | None:
        """The folder's name parsed as stock collect does; a name without a time is refused."""
        name = os.path.basename(path)
        parts = name.rsplit("+", 3)
        try:
            return self._path_to_record(path)
        except (ValueError, OverflowError):
            self._refuse(path, parts[0], f"named with no valid time ({parts[2]!r})")
            return None

    def copy_files(self):
        super().copy_files()
        for record in self.src_records:
            dest = self.coursedir.format_path(
                self.coursedir.submitted_directory,
                record["username"],
                self.coursedir.assignment_id,
            )
            repair_timestamp(dest, record["timestamp"], self.log, record["username"])

    def _refuse(self, path: str, claimed: str, why: str) -> None:
        self.refused.append((os.path.basename(path), claimed, why))
        self.log.error(
            "Refused %s: it claims to be %s's submission but is %s (a forged submission?); "
            "it is not collected",
            path,
            claimed,
            why,
        )

    def _due_date(self):
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                return gb.find_assignment(self.coursedir.assignment_id).duedate
            except MissingEntry:
                return None

    def _chosen(self, records: list[dict]) -> dict:
        """The newest submission, or with ``before_duedate`` the newest one in time."""
        newest_first = self._sort_by_timestamp(records)
        if self.duedate is not None and self.before_duedate:
            in_time = [r for r in newest_first if r["timestamp"] <= self.duedate]
            if in_time:
                return in_time[0]
        return newest_first[0]


class PrivateSubmit(ExchangeSubmit):
    """``submit`` that leaves the submission readable by its owner and the instructors only.

    ``inbound/`` is set-gid to the instructors' group, so the new folder already belongs to that
    group; stock nbgrader then opens it to everyone (0777), hidden only by its random name.
    """

    def copy_files(self):
        super().copy_files()
        dest = os.path.join(self.inbound_path, self.assignment_filename)
        for folder, _dirs, files in os.walk(dest):
            os.chmod(folder, SUBMISSION_DIR_MODE)
            for name in files:
                path = os.path.join(folder, name)
                if not os.path.islink(path):
                    os.chmod(path, SUBMISSION_FILE_MODE)
