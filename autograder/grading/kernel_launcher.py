"""Start the IPython kernel that runs one submission: ``python kernel_launcher.py -f CONN``.

This file is bound read-only into the sandbox on its own and run as a script, like
``ipykernel_launcher``, with one difference: the kernel starts without its debugger. Grading never
attaches a debugger, and importing debugpy is the largest single part of an ipykernel's start-up
(about 85 ms of CPU, paid once per submission). The block is lifted again before the first cell
runs, so a submission that imports debugpy itself behaves as it would anywhere else.
"""

import sys

if __name__ == "__main__":
    # The script's own folder is not the student's: the kernel puts the working directory on
    # sys.path itself (InteractiveShellApp.init_path), as it does under ipykernel_launcher.
    del sys.path[0]
    sys.modules["debugpy"] = None  # makes ipykernel's optional import fail: no debugger

    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize()
    del sys.modules["debugpy"]
    app.start()
