"""The README's own command blocks work as written, for each person, on a fresh clone.

Every ```bash block that the README tags with ``<!-- readme-test: PERSON[, FLAG ...] -->`` runs,
in README order, in a fresh ``git clone`` of the last commit, from a shell where nothing is
activated (``PATH`` is the system's, ``HOME`` a scratch folder), each block as one ``bash -e``
script whose exit status must be 0. Building a venv per person would take minutes, so the clone's
``.venv`` is a copy of the one the tests run in, made of hard links (about 2 s), with its scripts'
``#!`` lines pointing at the copy: a real folder, as ``make install`` makes (the grader's sandbox
mounts the environment by its real path, so a symbolic link would not do). Flags:

* ``server``: the block starts a server (``make lab``); it counts as working once the server
  answers on its port, and is then stopped.
* ``after answering``: the person has filled in the exercise first; the test writes the
  solutions of ``source/`` into the person's copies in ``my-work/`` before running the block.

Afterwards ``git status --porcelain`` must be empty: nothing committed was deleted or changed,
and everything the commands wrote is ignored by git.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from calcml_plain_shell import jupyter_server, plain_environment

REPO = Path(__file__).resolve().parent.parent
PERSONS = ("self-learner", "student", "instructor")
TAG = r"^<!-- readme-test: ([^>]*?) -->$"
TAGGED_BLOCK = re.compile(TAG + r"\s*\n```bash\n(.*?)\n```", re.DOTALL | re.MULTILINE)

pytestmark = [pytest.mark.slow, pytest.mark.nbgrader]


@dataclass
class Block:
    person: str
    flags: frozenset[str]
    script: str
    line: int


def readme_blocks(text: str) -> list[Block]:
    blocks = []
    for match in TAGGED_BLOCK.finditer(text):
        person, *flags = [part.strip() for part in match.group(1).split(",")]
        line = text.count("\n", 0, match.start()) + 1
        blocks.append(Block(person, frozenset(flags), match.group(2), line))
    return blocks


BLOCKS = readme_blocks((REPO / "README.md").read_text(encoding="utf-8"))


def test_every_tag_is_a_known_person_and_flag_and_each_person_has_blocks():
    tags = re.findall(TAG, (REPO / "README.md").read_text(encoding="utf-8"), re.MULTILINE)
    assert len(tags) == len(BLOCKS), "a readme-test tag is not followed by a ```bash block"
    for block in BLOCKS:
        assert block.person in PERSONS, f"README line {block.line}: unknown person"
        assert block.flags <= {"server", "after answering"}, f"README line {block.line}"
    for person in PERSONS:
        assert [b for b in BLOCKS if b.person == person], f"no README block for the {person}"


def fresh_clone(scratch: Path) -> Path:
    clone = scratch / "course"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    venv = Path(sys.prefix)
    stamp = venv / ".installed-stamp"
    assert stamp.is_file(), f"{stamp} is missing: run the tests from a venv made by `make install`"
    copy_venv(venv, clone / ".venv")
    # The clone's files are newer than the shared venv's stamp: without this, make would reinstall
    # the package into the shared venv, pointing it at the clone.
    old = stamp.stat().st_mtime - 60
    os.utime(clone / "pyproject.toml", (old, old))
    return clone


def copy_venv(venv: Path, target: Path) -> None:
    """A copy of ``venv`` at ``target`` that shares the files' contents (hard links).

    Only the files of ``bin/`` that name the venv's path are rewritten, as new files, so the
    original venv is never touched.
    """
    linked = subprocess.run(["cp", "-al", str(venv), str(target)], capture_output=True)
    if linked.returncode != 0:  # another file system: a plain copy
        subprocess.run(["cp", "-a", str(venv), str(target)], check=True)
    old, new = os.fsencode(str(venv)), os.fsencode(str(target))
    for script in (target / "bin").iterdir():
        if script.is_symlink() or not script.is_file():
            continue
        content = script.read_bytes()
        if old in content:
            mode = script.stat().st_mode
            script.unlink()  # a new inode: the original's hard link stays as it was
            script.write_bytes(content.replace(old, new))
            script.chmod(mode)


def answer_exercises(clone: Path) -> None:
    """What the person does between blocks: write an answer into every cell of their copies."""
    copies = sorted((clone / "my-work").glob("*.ipynb"))
    assert copies, "the README's blocks made no copy in my-work/"
    for copy in copies:
        source = clone / "source" / copy.stem / copy.name
        solutions = {
            cell["metadata"]["nbgrader"]["grade_id"]: "".join(cell["source"])
            for cell in json.loads(source.read_text(encoding="utf-8"))["cells"]
            if cell["metadata"].get("nbgrader", {}).get("solution")
        }
        nb = json.loads(copy.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
            if grade_id in solutions:
                lines = solutions[grade_id].splitlines(keepends=True)
                cell["source"] = [
                    line
                    for line in lines
                    if "## BEGIN SOLUTION" not in line and "## END SOLUTION" not in line
                ]
        copy.write_text(json.dumps(nb, indent=1), encoding="utf-8")


def run_block(block: Block, clone: Path, env: dict[str, str]) -> None:
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", block.script],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, (
        f"README line {block.line} ({block.person}) failed with exit {done.returncode}:\n"
        f"{block.script}\n--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
    )


@pytest.mark.parametrize("person", PERSONS)
def test_readme_blocks_work_as_written_on_a_fresh_clone(person, tmp_path):
    clone = fresh_clone(tmp_path)
    env = plain_environment(tmp_path / "shell")
    for number, block in enumerate(b for b in BLOCKS if b.person == person):
        if "after answering" in block.flags:
            answer_exercises(clone)
        if "server" in block.flags:
            command = ["bash", "-e", "-c", block.script]
            with jupyter_server(command, clone, env, tmp_path / f"server-{number}.log"):
                pass  # it answered on its port: the block works; leaving the block stops it
        else:
            run_block(block, clone, env)
    changed = subprocess.run(
        ["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True, check=True
    ).stdout
    assert changed == "", f"after the {person}'s README blocks, git sees changes:\n{changed}"
