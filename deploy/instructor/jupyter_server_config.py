"""Jupyter Server settings of an instructor's server on the class hub."""

c = get_config()  # noqa: F821

# Formgrader is an iframe inside Lab. JupyterHub >= 4.1 sends "frame-ancestors 'none'" unless the
# server sets a policy of its own, which leaves the Formgrader panel blank (nbgrader #1870): allow
# framing by pages of the same origin (the hub's), nothing else.
c.ServerApp.tornado_settings = {"headers": {"Content-Security-Policy": "frame-ancestors 'self'"}}
# Terminals: a non-login shell keeps the course's .venv/bin first on PATH (a login shell would
# reset PATH from /etc/profile).
c.ServerApp.terminado_settings = {"shell_command": ["/bin/bash", "-i"]}
