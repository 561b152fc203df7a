"""The head of the grader's own HTML pages (feedback, report): a strict Content-Security-Policy.

The pages are static files, opened from disk or served by any web server, and they show text that
students wrote (escaped). The policy, sent as a ``<meta http-equiv>``, lets no script run at all,
allows only the page's own stylesheet (by its hash) and images from the page's own folder, and
no forms, frames, plugins or base-URL tricks: should a student's text ever slip through escaping,
it still cannot run.
"""

from __future__ import annotations

import base64
import hashlib
import html


def style_hash(style: str) -> str:
    digest = hashlib.sha256(style.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def content_security_policy(style: str, images: bool = False) -> str:
    return "; ".join(
        [
            "default-src 'none'",
            f"style-src {style_hash(style)}",
            "img-src 'self'" if images else "img-src 'none'",
            "script-src 'none'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-src 'none'",
        ]
    )


def page_head(title: str, style: str, *, images: bool = False) -> str:
    """``<!DOCTYPE html>`` up to ``<body>``: charset, the policy, the title and the style."""
    policy = content_security_policy(style, images)  # no quote or angle bracket in it
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        f"<title>{html.escape(title)}</title><style>{style}</style></head><body>"
    )
