"""The demo login of ``make hub``: every roster member signs in with one shared class password.

Why not PAM: PAM needs the password in ``/etc/shadow`` (``chpasswd``), which would overwrite the
password of an account that already existed before ``make hub``, and it does not work without
root. This authenticator checks the name against the hub's ``allowed_users`` (the roster) and the
password against ``HUB_PASSWORD`` in constant time; it never touches system passwords. A real
class server uses PAM, LTI or OAuth instead (see the README, "Run a class on one server").
"""

from __future__ import annotations

import hmac

from jupyterhub.auth import Authenticator
from traitlets import Unicode


class ClassPasswordAuthenticator(Authenticator):
    """Log in any allowed user whose password equals :attr:`password`."""

    password = Unicode(
        "", config=True, help="the one demo password of the class (empty: nobody can log in)"
    )

    async def authenticate(self, handler, data):
        name = self.normalize_username((data or {}).get("username", ""))
        given = (data or {}).get("password", "")
        if not self.password or name not in self.allowed_users:
            return None
        if not hmac.compare_digest(given.encode(), self.password.encode()):
            return None
        return name
