"""Error pages in Dutch: 403, 404, an expired form, any ``RegieError``, and 500 (logged, never a traceback)."""

from __future__ import annotations

import logging
import secrets

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import Forbidden, HTTPException, InternalServerError, MethodNotAllowed, NotFound

from engine.errors import ConflictError, NotFoundError, PermissionDenied, RegieError, StoreUnavailable

log = logging.getLogger("regie.web")


def init_app(app: Flask) -> None:
    app.register_error_handler(NotFound, _not_found)
    app.register_error_handler(NotFoundError, _not_found)
    app.register_error_handler(Forbidden, _forbidden)
    app.register_error_handler(PermissionDenied, _forbidden)
    app.register_error_handler(MethodNotAllowed, _not_found)
    app.register_error_handler(CSRFError, _csrf)
    app.register_error_handler(RegieError, _regie_error)
    app.register_error_handler(InternalServerError, _server_error)


def _page(status: int, title: str, message: str):
    return render_template("errors/page.html", status=status, title=title, message=message), status


def _not_found(err):
    if request.path.startswith("/api/"):        # an address the API does not have: answer as the API does
        from .api.problems import from_http_exception

        return from_http_exception(err if isinstance(err, HTTPException) else NotFound())
    message = str(err) if isinstance(err, NotFoundError) else (
        "Deze pagina bestaat niet (meer). Controleer het adres, of ga naar uw takenlijst.")
    return _page(404, "Niet gevonden", message)


def _forbidden(err):
    detail = err.description if isinstance(err, Forbidden) else str(err)
    return _page(403, "Geen toegang", f"U mag deze pagina niet zien of deze handeling niet doen. {detail}")


def _csrf(_err):
    return _page(400, "Formulier verlopen",
                 "Dit formulier is verlopen of niet compleet verstuurd. Ga terug, laad de pagina opnieuw "
                 "en probeer het nog een keer. Er is niets opgeslagen.")


def _regie_error(err: RegieError):
    """A user-caused error no view handled inline: its own message, never a traceback."""
    if isinstance(err, StoreUnavailable):
        log.error("store unavailable: %r", err.__cause__)
        response = _page(503, "Even niet bereikbaar", str(err))
        return response[0], 503, {"Retry-After": "60"}
    status = 409 if isinstance(err, ConflictError) else 400
    return _page(status, "Dat lukte niet", str(err))


def _server_error(err):
    reference = secrets.token_hex(4)
    original = getattr(err, "original_exception", None)
    log.error("error %s: %r", reference, original or err, exc_info=original)
    return _page(500, "Er ging iets mis",
                 "Er ging iets mis aan onze kant. Uw laatste handeling is niet opgeslagen. Probeer het "
                 f"opnieuw. Gaat het weer mis? Meld het bij functioneel beheer met code {reference}.")
