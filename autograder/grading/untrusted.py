"""Everything a student's kernel produced is untrusted: bound it, and make it inert, before anyone sees it.

The ``autograded/`` notebooks are rendered by formgrader and by ``nbgrader generate_feedback``
(nbconvert, which does not sanitise), so :func:`sanitize_notebook` runs on every graded notebook
before it is saved:

* outputs keep only inert MIME types: ``text/plain``, PNG and JPEG images (checked base64), and
  ``text/html`` cleaned by nh3 (the Ammonia sanitiser) down to formatting and tables with no
  attributes at all; JavaScript, SVG, Markdown, LaTeX, widget views and any other type are dropped
  (a note in ``text/plain`` says so);
* output metadata is dropped (only an image's ``alt`` text, bounded, and its size are kept);
* notebook metadata keeps only the kernel and language description (widget state goes);
* cell metadata keeps only nbgrader's; markdown attachments are dropped (and links to them
  disabled) and raw HTML in a student's markdown is escaped (``<`` becomes ``&lt;``: text, never
  a tag);
* every string and list is bounded (:data:`BOUNDS`).

:func:`terminal_safe` and :func:`csv_safe` cover the other two places a person reads student text:
the grader's terminal summary and the CSV files a spreadsheet opens.
"""

from __future__ import annotations

import base64
import binascii
import copy

import nh3
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool

#: The size bounds applied to student-originated text before it is kept (stated in the README).
BOUNDS = {
    "outputs_per_cell": 50,
    "text_chars": 100_000,  # one stream, text/plain or cleaned HTML output
    "image_base64_chars": 2_000_000,  # one PNG or JPEG, about 1.5 MB
    "error_name_chars": 100,
    "error_value_chars": 2_000,
    "traceback_lines": 100,
    "traceback_line_chars": 2_000,
    "alt_chars": 500,
    "message_chars": 2_000,  # a failure message kept in results and feedback
    "markdown_chars": 100_000,  # a student's markdown cell
}

SAFE_HTML_TAGS = {
    "b", "i", "em", "strong", "code", "pre", "p", "br", "span", "div", "hr", "sub", "sup",
    "blockquote", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
}  # fmt: skip
IMAGE_TYPES = ("image/png", "image/jpeg")
KEPT_NOTEBOOK_METADATA = ("kernelspec", "language_info")
TRUNCATED = " … [cut by the grader]"


def bounded(text: object, limit: int) -> str:
    """``text`` as a string of at most about ``limit`` characters (a marker says it was cut)."""
    if isinstance(text, list):  # nbformat allows multi-line strings as lists
        text = "".join(str(part) for part in text[: limit + 1])
    text = text if isinstance(text, str) else ("" if text is None else str(text))
    return text if len(text) <= limit else text[:limit] + TRUNCATED


def clean_html(markup: str) -> str:
    """Student HTML reduced to text formatting and tables: no script, style, link or attribute."""
    return nh3.clean(
        bounded(markup, BOUNDS["text_chars"]),
        tags=SAFE_HTML_TAGS,
        attributes={},
        clean_content_tags={"script", "style"},
        url_schemes=set(),
        link_rel=None,
    )


def escape_markdown_html(text: str) -> str:
    """Markdown whose raw HTML is shown as text (every ``<`` becomes ``&lt;``), and whose links
    to cell attachments (dropped) point nowhere: nbconvert stops on a missing attachment."""
    text = bounded(text, BOUNDS["markdown_chars"]).replace("<", "&lt;")
    return text.replace("attachment:", "removed-attachment:")


def _image(data: object) -> str | None:
    text = bounded(data, BOUNDS["image_base64_chars"] + 1)
    if len(text) > BOUNDS["image_base64_chars"]:
        return None
    try:
        base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    return text


def _image_metadata(metadata: object, mime: str) -> dict:
    entry = metadata.get(mime) if isinstance(metadata, dict) else None
    if not isinstance(entry, dict):
        return {}
    kept: dict = {}
    if isinstance(entry.get("alt"), str):
        kept["alt"] = bounded(entry["alt"], BOUNDS["alt_chars"])
    for key in ("width", "height"):
        if type(entry.get(key)) is int and 0 < entry[key] < 10_000:
            kept[key] = entry[key]
    return kept


def _clean_data(data: object, metadata: object) -> tuple[dict, dict]:
    data = data if isinstance(data, dict) else {}
    clean: dict = {}
    clean_meta: dict = {}
    dropped = []
    for mime, value in data.items():
        if mime == "text/plain":
            clean[mime] = bounded(value, BOUNDS["text_chars"])
        elif mime == "text/html":
            clean[mime] = clean_html(bounded(value, BOUNDS["text_chars"]))
        elif mime in IMAGE_TYPES and (image := _image(value)) is not None:
            clean[mime] = image
            if meta := _image_metadata(metadata, mime):
                clean_meta[mime] = meta
        else:
            dropped.append(bounded(mime, 80))
    if dropped and "text/plain" not in clean:
        clean["text/plain"] = f"[output of type {', '.join(dropped[:5])} removed by the grader]"
    return clean, clean_meta


def new_output(output_type: str, **fields) -> NotebookNode:
    """An output node (``nbformat.v4.new_output`` without its schema check, which costs ~3 ms)."""
    return NotebookNode(output_type=output_type, **fields)


def sanitize_output(output: object) -> NotebookNode | None:
    """An inert, bounded copy of one kernel output (``None`` for one that cannot be shown)."""
    if not isinstance(output, dict):
        return None
    kind = output.get("output_type")
    if kind == "stream":
        name = output.get("name") if output.get("name") in ("stdout", "stderr") else "stdout"
        return new_output(
            "stream", name=name, text=bounded(output.get("text"), BOUNDS["text_chars"])
        )
    if kind == "error":
        traceback = output.get("traceback")
        lines = traceback if isinstance(traceback, list) else []
        return new_output(
            "error",
            ename=bounded(output.get("ename"), BOUNDS["error_name_chars"]),
            evalue=bounded(output.get("evalue"), BOUNDS["error_value_chars"]),
            traceback=[
                bounded(line, BOUNDS["traceback_line_chars"])
                for line in lines[: BOUNDS["traceback_lines"]]
            ],
        )
    if kind in ("display_data", "execute_result"):
        data, metadata = _clean_data(output.get("data"), output.get("metadata"))
        if kind == "execute_result":
            count = output.get("execution_count")
            return new_output(
                "execute_result",
                data=data,
                metadata=metadata,
                execution_count=count if type(count) is int else None,
            )
        return new_output("display_data", data=data, metadata=metadata)
    return None


def sanitize_outputs(outputs: object) -> list[NotebookNode]:
    outputs = outputs if isinstance(outputs, list) else []
    limit = BOUNDS["outputs_per_cell"]
    clean = [o for o in (sanitize_output(out) for out in outputs[:limit]) if o is not None]
    if len(outputs) > limit:
        clean.append(
            new_output(
                "stream",
                name="stdout",
                text=f"[{len(outputs) - limit} more output(s) removed by the grader]\n",
            )
        )
    return clean


def sanitize_notebook(nb: NotebookNode) -> NotebookNode:
    """Make ``nb`` (a graded student notebook) inert and bounded, in place; returns it."""
    metadata = nb.get("metadata", {})
    nb.metadata = NotebookNode(
        {k: copy.deepcopy(metadata[k]) for k in KEPT_NOTEBOOK_METADATA if k in metadata}
    )
    for cell in nb.cells:
        nbgrader = cell.get("metadata", {}).get("nbgrader")
        cell.metadata = NotebookNode({"nbgrader": nbgrader} if isinstance(nbgrader, dict) else {})
        cell.pop("attachments", None)
        if cell.cell_type == "markdown":
            cell.source = escape_markdown_html(cell.source)
        elif cell.cell_type == "code":
            cell.outputs = sanitize_outputs(cell.get("outputs"))
    return nb


class SanitizeUntrusted(Preprocessor):
    """:func:`sanitize_notebook` as an nbconvert preprocessor (for chains and nbgrader configs)."""

    enabled = Bool(True)  # nbconvert preprocessors are off unless enabled

    def preprocess(self, nb, resources):
        return sanitize_notebook(nb), resources


# --------------------------------------------------------------------------------------------
# Terminal and CSV

_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x20), *range(0x7F, 0xA0)] if c != 0x0A}


def terminal_safe(text: object) -> str:
    """``text`` with every control character (escape sequences too) shown as ``\\xNN``."""
    return str(text).translate(_CONTROL)


def csv_safe(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: a string starting with = + - @ tab or CR gets a '.

    Numbers stay numbers (a negative score is written as a number, not as text).
    """
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
