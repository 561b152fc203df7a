"""``python -m calcml.serverapp lab|singleuser|hub [OPTIONS]``: start JupyterLab (``make lab``), a
class hub's single-user server (``deploy/jupyterhub_config.py``) or the hub itself
(``python -m calcml.hub``) the way ``jupyter lab``, ``jupyterhub-singleuser`` and ``jupyterhub``
do, minus one grammar nobody here uses (:func:`autograder.environment.skip_iri_grammar`: more
than half of a server's start-up CPU, and a class hub starts thirty servers at once).
"""

from __future__ import annotations

import sys

APPS = {"lab": "jupyterlab.labapp", "singleuser": "jupyterhub.singleuser", "hub": "jupyterhub.app"}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] not in APPS:
        sys.stderr.write(f"usage: python -m calcml.serverapp {'|'.join(APPS)} [OPTIONS]\n")
        return 2
    from importlib import import_module

    from autograder.environment import skip_iri_grammar

    skip_iri_grammar()

    app = import_module(APPS[args[0]])
    sys.argv = [f"calcml.serverapp {args[0]}", *args[1:]]
    return app.main() or 0


if __name__ == "__main__":
    sys.exit(main())
