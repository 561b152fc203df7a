"""JupyterHub for the Calculus for Machine Learning class (``make hub`` runs it; copy it to a server).

Everything site-specific comes from environment variables, which ``python -m calcml.hub`` sets
(defaults in brackets):

  CALCML_REPO            the course checkout holding .venv and deploy/ [the folder above this file]
  CALCML_COURSE_ID       nbgrader course id [read from the checkout's nbgrader_config.py]
  HUB_PORT               public port on 127.0.0.1 [8000]
  HUB_USERS              roster CSV, columns username,role [instructor, student1..3]
  HUB_PASSWORD           the demo class password (ClassPasswordAuthenticator) [none: no login]
  HUB_EXCHANGE           nbgrader's exchange folder [/srv/nbgrader/exchange]
  HUB_STATE              the hub's database, cookie secret and pid files [/srv/calcml-hub]
  HUB_API_PORT, HUB_PROXY_API_PORT   the hub's internal ports [8081, 8001]
  CALCML_HUB_LOCAL_ACCOUNTS   "1": each user is a real account (needs root); "0": all run as you

On a real server: replace the authenticator (PAM, LTI or OAuth, see the README section "Run a class
on one server"), put HTTPS in front (or set ``c.JupyterHub.ssl_cert``/``ssl_key``), and add the idle
culler below.
"""

import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821  (injected by traitlets)

REPO = Path(os.environ.get("CALCML_REPO") or Path(__file__).resolve().parent.parent)
DEPLOY = REPO / "deploy"
VENV_BIN = REPO / ".venv" / "bin"
sys.path.insert(0, str(REPO))

from calcml.hub.roster import load_roster  # noqa: E402
from calcml.hub.settings import course_id_of, course_root_of, spawn_environment  # noqa: E402

COURSE = os.environ.get("CALCML_COURSE_ID") or course_id_of(REPO)
ROSTER = load_roster(Path(os.environ["HUB_USERS"]) if os.environ.get("HUB_USERS") else None)
INSTRUCTORS = [m.username for m in ROSTER if m.is_instructor]
EVERYONE = [m.username for m in ROSTER]
ROLE = {m.username: m.role for m in ROSTER}
STATE = Path(os.environ.get("HUB_STATE", "/srv/calcml-hub"))
LOCAL_ACCOUNTS = os.environ.get("CALCML_HUB_LOCAL_ACCOUNTS", "1") == "1"

# --- network: everything on loopback, internal ports configurable (two hubs on one machine) ---
c.JupyterHub.bind_url = f"http://127.0.0.1:{os.environ.get('HUB_PORT', '8000')}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{os.environ.get('HUB_API_PORT', '8081')}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ.get('HUB_PROXY_API_PORT', '8001')}"
c.ConfigurableHTTPProxy.command = [
    str(DEPLOY / "node_modules" / ".bin" / "configurable-http-proxy")
]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")

# --- who may log in: the roster; instructors administer the hub ---
# Demo login: one class password. For a real class use PAM (c.JupyterHub.authenticator_class =
# "pam", accounts with their own passwords), LTI 1.3 from the LMS (ltiauthenticator) or OAuth
# (oauthenticator): see the README.
c.JupyterHub.authenticator_class = "calcml.hub.auth.ClassPasswordAuthenticator"
c.ClassPasswordAuthenticator.password = os.environ.get("HUB_PASSWORD", "")
c.Authenticator.allowed_users = set(EVERYONE)
c.Authenticator.admin_users = set(INSTRUCTORS)

# nbgrader's groups: formgrade-<course> may grade, nbgrader-<course> lists the course in the
# Assignments tab (nbgrader.auth.JupyterHubAuthPlugin reads them through the hub's API).
c.JupyterHub.load_groups = {
    f"formgrade-{COURSE}": {"users": INSTRUCTORS},
    f"nbgrader-{COURSE}": {"users": EVERYONE},
}
# A single-user server's token may read its own user's groups (JupyterHubAuthPlugin needs that).
c.JupyterHub.load_roles = [
    {
        "name": "server",
        "scopes": ["users:activity!user", "access:servers!server", "read:users:groups!user"],
    }
]

# --- the single-user servers: the course's own .venv, its Lab, nbgrader and calcml ---
# jupyterhub-singleuser started through calcml.serverapp: half its start-up CPU is spared.
c.Spawner.cmd = [str(VENV_BIN / "python"), "-m", "calcml.serverapp", "singleuser"]
# A whole class logging in at once shares the server's cores: thirty servers starting together on
# 2 cores take 50-110 s each. A late server is better than a failed one the student must relaunch.
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 240
if LOCAL_ACCOUNTS:
    c.JupyterHub.spawner_class = "localprocess"  # each user runs as their own account
else:
    # Without root every server runs as the account that started the hub, in its own folder:
    # a demo of the flow, not of the isolation between students.
    c.JupyterHub.spawner_class = "simple"
    c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "homes" / "{username}")


def pre_spawn_hook(spawner):
    """Give each server its role's configuration folder and the page it opens on."""
    role = ROLE.get(spawner.user.name, "student")
    spawner.environment.update(
        spawn_environment(REPO, role, COURSE, os.environ.get("HUB_EXCHANGE"))
    )
    if role == "instructor":
        home = spawner.environment.get("HOME") or os.path.expanduser(f"~{spawner.user.name}")
        spawner.environment["CALCML_COURSE_ROOT"] = str(course_root_of(Path(home), COURSE))
        spawner.default_url = f"/lab/tree/{COURSE}/course/00-welcome.ipynb"
    else:
        spawner.default_url = "/lab/tree/course/00-welcome.ipynb"


c.Spawner.pre_spawn_hook = pre_spawn_hook

# Idle culler (a real class: stop servers nobody used for an hour). Needs `pip install
# jupyterhub-idle-culler`; left out of the demo so that no server stops under a test.
# c.JupyterHub.services = [{"name": "idle-culler",
#     "command": [sys.executable, "-m", "jupyterhub_idle_culler", "--timeout=3600"]}]
# c.JupyterHub.load_roles.append({"name": "idle-culler", "services": ["idle-culler"],
#     "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]})
