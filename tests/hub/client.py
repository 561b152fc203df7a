"""A person's HTTP session on the class hub: log in through the login form, start the server,
and call the single-user server's API the way its Lab page does (cookie + XSRF token)."""

from __future__ import annotations

import time

import requests


class HubSession:
    """One user's browser-like session (cookies, XSRF) on the hub at ``base``."""

    def __init__(self, base: str, username: str, password: str):
        self.base = base.rstrip("/")
        self.username = username
        self.password = password
        self.http = requests.Session()

    @property
    def server(self) -> str:
        return f"{self.base}/user/{self.username}"

    def login(self) -> requests.Response:
        """Submit the hub's login form; raises when the hub refuses the credentials."""
        page = self.http.get(f"{self.base}/hub/login", timeout=30)
        page.raise_for_status()
        xsrf = self.http.cookies.get("_xsrf", path="/hub/") or self.http.cookies.get("_xsrf")
        answer = self.http.post(
            f"{self.base}/hub/login?next=",
            data={"username": self.username, "password": self.password, "_xsrf": xsrf},
            allow_redirects=False,
            timeout=30,
        )
        if answer.status_code not in (302, 303):
            raise PermissionError(f"{self.username}: login refused ({answer.status_code})")
        return answer

    def spawn(self, timeout: float = 300.0) -> float:
        """Start the user's server (as the hub's home page does) and wait until its Lab answers;
        returns the seconds it took."""
        start = time.monotonic()
        self.http.get(f"{self.base}/hub/spawn/{self.username}", timeout=60)
        deadline = start + timeout
        while time.monotonic() < deadline:
            try:
                # a page (not an API call) goes through the hub's OAuth and sets the cookies
                lab = self.http.get(f"{self.server}/lab", timeout=60)
                if lab.status_code == 200 and lab.url.startswith(f"{self.server}/lab"):
                    return time.monotonic() - start
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"{self.username}: server not ready after {timeout} s")

    def _xsrf(self) -> dict[str, str]:
        token = self.http.cookies.get("_xsrf", path=f"/user/{self.username}/")
        return {"X-XSRFToken": token} if token else {}

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(f"{self.server}/{path.lstrip('/')}", timeout=120, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        headers = {**self._xsrf(), **kwargs.pop("headers", {})}
        return self.http.post(
            f"{self.server}/{path.lstrip('/')}", headers=headers, timeout=300, **kwargs
        )

    def put(self, path: str, **kwargs) -> requests.Response:
        headers = {**self._xsrf(), **kwargs.pop("headers", {})}
        return self.http.put(
            f"{self.server}/{path.lstrip('/')}", headers=headers, timeout=120, **kwargs
        )

    def assignment_action(self, action: str, assignment: str, course: str) -> dict:
        """nbgrader's Assignments tab actions: fetch, submit, fetch_feedback."""
        answer = self.post(
            f"assignments/{action}", data={"assignment_id": assignment, "course_id": course}
        )
        answer.raise_for_status()
        return answer.json()

    def stop(self) -> None:
        self.http.close()


def hub_xsrf(session: HubSession) -> dict[str, str]:
    token = session.http.cookies.get("_xsrf", path="/hub/")
    return {"X-XSRFToken": token} if token else {}


def api_token(session: HubSession, note: str = "tests") -> str:
    """An API token of the logged-in user, made the way the hub's Token page makes one."""
    answer = session.http.post(
        f"{session.base}/hub/api/users/{session.username}/tokens",
        json={"note": note, "expires_in": 3600},
        headers=hub_xsrf(session),
        timeout=30,
    )
    answer.raise_for_status()
    return answer.json()["token"]
