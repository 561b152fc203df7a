"""Tools for the author of the assignments: ``validate`` a notebook, ``release`` from ``source/``."""
