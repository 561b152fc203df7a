"""nbgrader for a student's server on the class hub (found through JUPYTER_CONFIG_PATH)."""

import os

from nbgrader.auth import JupyterHubAuthPlugin

c = get_config()  # noqa: F821

c.CourseDirectory.course_id = os.environ.get("CALCML_COURSE_ID", "calculus-for-ml")
c.Exchange.root = os.environ.get("HUB_EXCHANGE", "/srv/nbgrader/exchange")
c.Authenticator.plugin_class = JupyterHubAuthPlugin
# Submissions readable by their owner and the instructors' group only (see calcml/hub/exchange.py).
c.ExchangeFactory.submit = "calcml.hub.exchange.PrivateSubmit"
