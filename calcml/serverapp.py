"""``python -m calcml.serverapp lab|singleuser|hub [OPTIONS]``: start JupyterLab (``make lab``), a
class hub's single-user server (``deploy/jupyterhub_config.py``) or the hub itself
(``python -m calcml.hub``) the way ``jupyter lab``, ``jupyterhub-singleuser`` and ``jupyterhub``
do, minus one grammar nobody here uses.

Jupyter Server validates its event records with jsonschema, and jsonschema imports
``rfc3987_syntax`` when it is installed (jupyter-events pulls it in) to offer the ``iri`` string
formats, building an Earley parser for RFC 3987 on import. That is more than half the CPU of a
server's start (measured on 2 cores: 4.1 of the CPU seconds before Lab's page first answers,
2.3 without it), and a class hub starts thirty of them at once. No schema Jupyter Server,
JupyterLab or nbgrader ships uses those formats; an entry of None makes the optional import fail
the way jsonschema expects of a missing package.
"""

from __future__ import annotations

import sys

APPS = {"lab": "jupyterlab.labapp", "singleuser": "jupyterhub.singleuser", "hub": "jupyterhub.app"}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] not in APPS:
        sys.stderr.write(f"usage: python -m calcml.serverapp {'|'.join(APPS)} [OPTIONS]\n")
        return 2
    sys.modules.setdefault("rfc3987_syntax", None)
    from importlib import import_module

    app = import_module(APPS[args[0]])
    sys.argv = [f"calcml.serverapp {args[0]}", *args[1:]]
    return app.main() or 0


if __name__ == "__main__":
    sys.exit(main())
