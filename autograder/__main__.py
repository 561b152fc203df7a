"""``python -m autograder``: see :mod:`autograder.cli`."""

from __future__ import annotations

import sys

# Before nbformat loads jsonschema (see skip_iri_grammar).
from autograder.environment import skip_iri_grammar, skip_unused_format_checkers  # noqa: E402

skip_iri_grammar()
skip_unused_format_checkers()

# nbgrader's __init__ loads its four Jupyter server extensions (jupyter_server, tornado's web
# stack...: about 80 ms of every command's start-up) to offer their loader functions, which no
# command here calls. Its submodules import as usual; any other name loads the real __init__.
from autograder.grading.kernel_launcher import import_lazily  # noqa: E402 - stdlib only

import_lazily("nbgrader", {"__version__": "_version"})
# Two more packages that nbgrader imports for what no command here does, about 0.25 CPU-s of
# every command's start-up: ``nbgrader.utils`` takes its archive unpacker (used only by
# ``nbgrader zip_collect``) from setuptools, whose ``__init__`` loads pkg_resources and its
# vendored packages; ``nbgrader.api`` takes ``Authenticator`` from ``nbgrader.auth``, whose
# ``__init__`` also loads the JupyterHub plugin and with it requests.
import_lazily("setuptools", {})
import_lazily("nbgrader.auth", {"Authenticator": "base"})

from autograder.environment import put_interpreter_on_path  # noqa: E402 - after the entry above

# nbgrader starts some tools by name (``alembic`` when it creates a gradebook): started as
# ``.venv/bin/python -m autograder`` from a shell where the venv is not activated, those must
# still be the venv's own.
put_interpreter_on_path()

from autograder.cli import main  # noqa: E402 - after the entry above, on purpose

if __name__ == "__main__":
    sys.exit(main())
