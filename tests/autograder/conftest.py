"""The grader tests share one cohort builder (fixtures/grade/cohort.py), loaded here once.

The benchmark loads the same file by path, so it is a plain module rather than a package.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_COHORT = Path(__file__).parent / "fixtures" / "grade" / "cohort.py"
COHORT_MODULE = "calcml_grade_cohort"

if COHORT_MODULE not in sys.modules:
    _spec = importlib.util.spec_from_file_location(COHORT_MODULE, _COHORT)
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[COHORT_MODULE] = _module
    _spec.loader.exec_module(_module)
