"""The grader tests share the cohort builders in fixtures/grade/, loaded here once.

The benchmarks load the same files by path, so they are plain modules rather than a package.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_FIXTURES = Path(__file__).parent / "fixtures" / "grade"
COHORT_MODULE = "calcml_grade_cohort"
FILE_ATTACKS_MODULE = "calcml_file_attacks"

for _name, _file in ((COHORT_MODULE, "cohort.py"), (FILE_ATTACKS_MODULE, "file_attacks.py")):
    if _name not in sys.modules:
        _spec = importlib.util.spec_from_file_location(_name, _FIXTURES / _file)
        _module = importlib.util.module_from_spec(_spec)
        sys.modules[_name] = _module
        _spec.loader.exec_module(_module)
