"""``python -m autograder``: see :mod:`autograder.cli`."""

from __future__ import annotations

import sys

# Before nbformat loads jsonschema (see skip_iri_grammar).
from autograder.environment import skip_iri_grammar  # noqa: E402

skip_iri_grammar()

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
