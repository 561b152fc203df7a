"""The course's grading package, run as ``python -m autograder``.

It works on nbgrader's own course layout (source/, release/, submitted/<student>/<assignment>/,
autograded/, feedback/, the gradebook named in nbgrader_config.py), so every stock nbgrader
command keeps working beside it.
"""

__version__ = "0.1.0"
