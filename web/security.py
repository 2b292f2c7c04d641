"""Response headers that a browser enforces for us (BIO 13.1, 14.1; OWASP secure headers).

- Content-Security-Policy: scripts only from this site (no inline script, no eval), nothing may frame
  Regie (``frame-ancestors 'none'``), forms post only here, no plugins. Styles allow inline attributes
  because the BPMN viewer and modeler set ``style`` on SVG elements; a style cannot run code.
- nosniff, a Referrer-Policy that sends no path (case ids are in paths) to other sites, no framing.
- ``Cache-Control: no-store`` on every page for a logged-in user unless the view set its own caching:
  such pages hold residents' personal data, which must not stay in a browser or proxy cache.
- Behind a reverse proxy (``PROXY_COUNT`` > 0) the client address and scheme come from X-Forwarded-*.
"""

from __future__ import annotations

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))


def init_app(app: Flask) -> None:
    if app.config.get("PROXY_COUNT"):
        count = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    app.after_request(_headers)


def _headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if getattr(g, "user", None) is not None and request.endpoint != "static" and "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response
