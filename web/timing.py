"""``Server-Timing: app;dur=<ms>, cpu;dur=<ms>`` on every response when ``SERVER_TIMING`` is on (off by default:
it tells a visitor how long the server worked). ``app`` is the request's wall time inside the app, ``cpu`` the
CPU time its thread spent on it (which does not grow when the machine is busy with other work). The HTTP
benchmark uses them to split a request's time into the app's own work and the server, network and scheduling
around it."""

from __future__ import annotations

import time

from flask import Flask, g


def init_app(app: Flask) -> None:
    """Register first, so the figure includes the other hooks (user lookup, CSRF check, headers)."""
    if not app.config.get("SERVER_TIMING"):
        return

    @app.before_request
    def _start():
        g.started = time.perf_counter(), time.thread_time()

    @app.after_request
    def _stop(response):
        started = g.get("started")
        if started is not None:
            wall, cpu = time.perf_counter() - started[0], time.thread_time() - started[1]
            response.headers["Server-Timing"] = f"app;dur={wall * 1000:.2f}, cpu;dur={cpu * 1000:.2f}"
        return response
