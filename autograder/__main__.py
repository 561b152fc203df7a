"""``python -m autograder``: see :mod:`autograder.cli`."""

from __future__ import annotations

import sys

# jsonschema, which nbformat loads to validate notebooks, imports rfc3987_syntax when it is
# installed (jupyter-events pulls it in) just to offer the "iri" string formats. Building that
# package's grammar at import costs about 0.75 s of every command's start-up, and neither notebook
# validation nor the grader checks string formats. An entry of None makes the optional import fail
# the way jsonschema expects of a missing package.
sys.modules.setdefault("rfc3987_syntax", None)

# nbgrader's __init__ loads its four Jupyter server extensions (jupyter_server, tornado's web
# stack...: about 80 ms of every command's start-up) to offer their loader functions, which no
# command here calls. Its submodules import as usual; any other name loads the real __init__.
from autograder.grading.kernel_launcher import import_lazily  # noqa: E402 - stdlib only

import_lazily("nbgrader", {"__version__": "_version"})

from autograder.environment import put_interpreter_on_path  # noqa: E402 - after the entry above

# nbgrader starts some tools by name (``alembic`` when it creates a gradebook): started as
# ``.venv/bin/python -m autograder`` from a shell where the venv is not activated, those must
# still be the venv's own.
put_interpreter_on_path()

from autograder.cli import main  # noqa: E402 - after the entry above, on purpose

if __name__ == "__main__":
    sys.exit(main())
