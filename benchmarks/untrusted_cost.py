"""What making a graded notebook inert costs: ``sanitize_notebook`` on ps1 with typical outputs.

Prints milliseconds per notebook for an honest-looking notebook (a few text and PNG outputs per
cell) and for a hostile one (50 outputs per cell, HTML with scripts, SVG, widget metadata), so a
change to :mod:`autograder.grading.untrusted` can be weighed against the ~1-2 s a submission takes.

    .venv/bin/python benchmarks/untrusted_cost.py [--repeat N]
"""

from __future__ import annotations

import argparse
import base64
import copy
import statistics
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_output

from autograder.grading.untrusted import sanitize_notebook

REPO = Path(__file__).resolve().parents[1]
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(20_000)).decode()


def notebook(hostile: bool) -> nbformat.NotebookNode:
    nb = nbformat.read(REPO / "release" / "ps1_derivatives" / "ps1_derivatives.ipynb", 4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = [
            new_output("stream", name="stdout", text="Visible checks passed\n"),
            new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}),
        ]
        if hostile:
            html = "<b>x</b><script>alert(1)</script><img src=x onerror=alert(1)>" * 20
            outputs += [
                new_output(
                    "display_data",
                    data={"text/html": html, "image/svg+xml": "<svg/>", "text/plain": "x"},
                    metadata={"huge": "m" * 10_000},
                )
                for _ in range(60)
            ]
        cell.outputs = outputs
    return nb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    for hostile in (False, True):
        template = notebook(hostile)
        times = []
        for _ in range(args.repeat):
            nb = copy.deepcopy(template)
            started = time.perf_counter()
            sanitize_notebook(nb)
            times.append(time.perf_counter() - started)
        kind = "hostile" if hostile else "honest"
        print(f"{kind:8} sanitize_notebook: median {1000 * statistics.median(times):.2f} ms")


if __name__ == "__main__":
    main()
