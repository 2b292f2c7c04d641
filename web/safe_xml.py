"""Serving model XML so that it can never run: a BPMN file is untrusted input (see engine.models.safety).

The viewer and modeler fetch the XML with ``fetch()`` and hand it to bpmn-js as text; a browser that
opens the URL directly gets a download, in a sandbox without scripts, never sniffed as HTML.
"""

from __future__ import annotations

from flask import Response

HEADERS = {
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "X-Content-Type-Options": "nosniff",
}


def xml_download(text: str, filename: str, cache: str = "private, max-age=3600") -> Response:
    """``text`` as an XML attachment named ``filename`` that a browser will not execute."""
    safe_name = "".join(c for c in filename if c.isalnum() or c in "-_.") or "model.bpmn"
    return Response(text, mimetype="application/xml", headers={
        **HEADERS, "Content-Disposition": f'attachment; filename="{safe_name}"', "Cache-Control": cache,
    })
