"""A class on one server: JupyterHub, real accounts and nbgrader's exchange for this course.

``python -m calcml.hub`` (what ``make hub`` runs) prepares the roster's accounts, the instructor's
course copy and the exchange, then runs JupyterHub with ``deploy/jupyterhub_config.py`` in the
foreground. The modules here are also what that configuration imports on a real server.
"""
