"""``python -m calcml.hub``: see :mod:`calcml.hub.launch`."""

import sys

from .launch import main

sys.exit(main())
