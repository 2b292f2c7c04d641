"""``Server-Timing: app;dur=<ms>`` on every response when ``SERVER_TIMING`` is on (off by default: it
tells a visitor how long the server worked). The HTTP benchmark uses it to split a request's time into
the app's own work and the server, network and scheduling around it."""

from __future__ import annotations

import time

from flask import Flask, g


def init_app(app: Flask) -> None:
    """Register first, so the figure includes the other hooks (user lookup, CSRF check, headers)."""
    if not app.config.get("SERVER_TIMING"):
        return

    @app.before_request
    def _start():
        g.started = time.perf_counter()

    @app.after_request
    def _stop(response):
        started = g.get("started")
        if started is not None:
            response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
        return response
