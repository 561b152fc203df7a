"""What the grader's benchmarks share: loading the test fixtures (plain modules, by path)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "autograder" / "fixtures" / "grade"


def load(name: str, path: Path):
    """Import the file ``path`` as the module ``name`` (the tests' conftest does the same)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
