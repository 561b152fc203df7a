"""Helpers for the Calculus for Machine Learning chapters: figures, widgets and quizzes.

Notebooks import what they use by name, for example
``from calcml.widgets.secant import secant_explorer``.
"""

__version__ = "0.1.0"
