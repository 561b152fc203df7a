"""``python -m autograder`` starts without the packages no command uses, and they still load on demand."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

# Runs the command line as ``python -m autograder`` does, up to the point where a grading run
# has imported everything it grades with (the missing course stops it right after), then shows
# which modules are loaded and uses the packages that were left out.
PROBE = """
import json, runpy, sys
course, archive, out = sys.argv[1:4]
sys.argv = ["autograder", "--course-dir", course, "grade", "ps1_derivatives"]
try:
    runpy.run_module("autograder", run_name="__main__")
except SystemExit as stop:
    code = stop.code
loaded = sorted(name for name, module in sys.modules.items() if module is not None)
import nbgrader.auth
plugin = nbgrader.auth.JupyterHubAuthPlugin.__name__
import setuptools
version = setuptools.__version__
from nbgrader.utils import unpack_archive
unpack_archive(archive, out)
print(json.dumps({"code": code, "loaded": loaded, "plugin": plugin, "version": version}))
"""

LEFT_OUT = (
    "pkg_resources",
    "requests",
    "isoduration",
    "rfc3986_validator",
    "lark",
    "jupyter_server",
)


def test_grading_starts_without_unused_packages_which_still_load_when_asked_for(tmp_path):
    archive = tmp_path / "work.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("inside/answer.txt", "42")
    out = tmp_path / "unpacked"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "no-course"), str(archive), str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["code"] == 2 and "no nbgrader_config.py" in done.stderr
    loaded = set(report["loaded"])
    # The grading modules were imported, so the run really got that far.
    assert {"autograder.grading.run", "nbgrader.api", "nbgrader.preprocessors"} <= loaded
    assert not [name for name in loaded if name.split(".")[0] in LEFT_OUT]
    # setuptools and nbgrader.auth are only placeholders until a name of theirs is used.
    assert report["plugin"] == "JupyterHubAuthPlugin"
    assert report["version"].split(".")[0].isdigit()
    assert (out / "inside" / "answer.txt").read_text() == "42"


def test_the_left_out_packages_are_installed_so_the_test_above_means_something():
    import importlib.util

    for name in ("pkg_resources", "requests", "isoduration", "rfc3986_validator", "setuptools"):
        assert importlib.util.find_spec(name) is not None, name
