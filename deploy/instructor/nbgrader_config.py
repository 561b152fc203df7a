"""nbgrader for an instructor's server on the class hub (found through JUPYTER_CONFIG_PATH).

The course folder's own nbgrader_config.py (the repository's) sets the course layout and
gradebook; this file adds what the server needs: where the course is, the exchange, the hub's
groups, and the owner check on collect.
"""

import os

from nbgrader.auth import JupyterHubAuthPlugin

c = get_config()  # noqa: F821

_course = os.environ.get("CALCML_COURSE_ID", "calculus-for-ml")
_root = os.environ.get("CALCML_COURSE_ROOT") or os.path.join(os.path.expanduser("~"), _course)

c.CourseDirectory.course_id = _course
c.CourseDirectory.root = _root
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(_root, "gradebook.db")
c.Exchange.root = os.environ.get("HUB_EXCHANGE", "/srv/nbgrader/exchange")
c.Authenticator.plugin_class = JupyterHubAuthPlugin
# Refuse submissions whose folder is not owned by the student it names (see calcml/hub/exchange.py).
c.ExchangeFactory.collect = "calcml.hub.exchange.OwnerCheckedCollect"
c.ExchangeCollect.check_owner = os.environ.get("CALCML_HUB_LOCAL_ACCOUNTS", "1") == "1"
