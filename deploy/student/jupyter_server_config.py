"""Jupyter Server settings of a student's server on the class hub."""

c = get_config()  # noqa: F821

# Students grade nothing: no formgrader and no course list on their server.
c.ServerApp.jpserver_extensions = {
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.course_list": False,
}
# Terminals: a non-login shell keeps the course's .venv/bin first on PATH.
c.ServerApp.terminado_settings = {"shell_command": ["/bin/bash", "-i"]}
