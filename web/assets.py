"""Static files with fingerprinted URLs: ``url_for('static', filename='regie.css')`` gives
``/static/regie.css?v=<hash of the file>``, and a request with the current hash is cached by the browser
for a year (``immutable``). A changed file gets a new hash and so a new URL, so nobody sees a stale one;
a request without the hash (or with an old one) is revalidated every time (``no-cache``).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from flask import Flask, request

YEAR = 365 * 24 * 3600


class Fingerprints:
    """File name -> short content hash, computed once per file version (keyed on the file's mtime)."""

    def __init__(self, folder: str):
        self.folder = Path(folder)
        self._known: dict[str, tuple[int, str]] = {}

    def of(self, filename: str) -> str | None:
        path = self.folder / filename
        try:
            mtime = os.stat(path).st_mtime_ns
        except OSError:
            return None
        known = self._known.get(filename)
        if known is None or known[0] != mtime:
            known = (mtime, hashlib.sha256(path.read_bytes()).hexdigest()[:12])
            self._known[filename] = known
        return known[1]


def init_app(app: Flask) -> None:
    prints = Fingerprints(app.static_folder)
    app.extensions["regie.fingerprints"] = prints

    @app.url_defaults
    def _fingerprint(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            digest = prints.of(values["filename"])
            if digest:
                values["v"] = digest

    @app.after_request
    def _cache_static(response):
        if request.endpoint != "static" or response.status_code not in (200, 304):
            return response
        filename = (request.view_args or {}).get("filename", "")
        if request.args.get("v") and request.args.get("v") == prints.of(filename):
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
        else:
            response.cache_control.no_cache = True
            response.cache_control.max_age = None
        return response
