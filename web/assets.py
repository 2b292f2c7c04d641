"""Static files with fingerprinted URLs: ``url_for('static', filename='regie.css')`` gives
``/static/regie.css?v=<hash of the file>``, and a request with the current hash is cached by the browser
for a year (``immutable``). A changed file gets a new hash and so a new URL, so nobody sees a stale one;
a request without the hash (or with an old one) is revalidated every time (``no-cache``).
"""

from __future__ import annotations

import hashlib
import os
import time

from flask import Flask, request

YEAR = 365 * 24 * 3600


class Fingerprints:
    """File name -> short content hash, computed once per file version (keyed on the file's mtime). A file's
    mtime is looked at again at most every ``recheck`` seconds: a page links a handful of static files, and a
    ``stat`` for each on every page cost more than the rest of building their URLs."""

    def __init__(self, folder: str, recheck: float = 1.0, clock=time.monotonic):
        self.folder = str(folder)
        self.recheck = recheck
        self._clock = clock
        self._known: dict[str, tuple[float, int, str | None]] = {}     # checked at, mtime, hash

    def of(self, filename: str) -> str | None:
        now = self._clock()
        known = self._known.get(filename)
        if known is not None and now - known[0] < self.recheck:
            return known[2]
        path = os.path.join(self.folder, filename)
        try:
            mtime = os.stat(path).st_mtime_ns
        except OSError:
            self._known[filename] = (now, -1, None)
            return None
        if known is None or known[1] != mtime:
            with open(path, "rb") as f:
                known = (now, mtime, hashlib.sha256(f.read()).hexdigest()[:12])
        self._known[filename] = (now, mtime, known[2])
        return known[2]


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
