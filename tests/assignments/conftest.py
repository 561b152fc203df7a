"""The assignment tests share one harness (harness.py), loaded here once as a plain module."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HARNESS_MODULE = "calcml_assignment_harness"

if HARNESS_MODULE not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        HARNESS_MODULE, Path(__file__).parent / "harness.py"
    )
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[HARNESS_MODULE] = _module
    _spec.loader.exec_module(_module)
