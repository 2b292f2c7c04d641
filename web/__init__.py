"""Regie's web app for caseworkers and coordinators: inbox, task forms, case pages, overview.

    from web import create_app
    app = create_app({"DATABASE_URL": "sqlite:///instance/regie.db"})

Server-rendered Flask: an app factory, one blueprint per concern, Jinja templates in Dutch. The app is
a thin client of the engine facade (``engine.Engine``), built once per app.
"""

from __future__ import annotations

from flask import Flask, g, redirect, url_for
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()


def create_app(config: dict | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py or REGIE_* environment, then ``config``."""
    from . import (
        accountability,
        api,
        appointment,
        assets,
        auth,
        beheer,
        casemanager,
        cases,
        controle,
        coordinator,
        errors,
        files,
        filters,
        inbox,
        lists,
        modellen,
        privacy,
        referrals,
        security,
        services,
        settings,
        sso,
        tasks,
        timing,
    )

    app = Flask(__name__, instance_relative_config=True)
    settings.load(app, config)
    timing.init_app(app)
    files.init_app(app)       # before CSRF: it sets how much a task form's post (with files) may carry
    csrf.init_app(app)
    assets.init_app(app)
    security.init_app(app)
    services.init_app(app)
    filters.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    api.init_app(app)
    for module in (auth, inbox, tasks, cases, casemanager, appointment, coordinator, lists, accountability, referrals,
                   modellen,
                   beheer, controle, privacy, files):
        app.register_blueprint(module.bp)
    sso.init_app(app)

    @app.get("/")
    def home():
        return redirect(auth.landing() if g.user else url_for("auth.login"))

    @app.get("/processen")
    def processes():
        return redirect(url_for("modellen.index"))

    return app

