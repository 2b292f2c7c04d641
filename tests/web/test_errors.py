"""Error pages: Dutch, never a traceback; a server error is logged with a code the user can quote."""

from __future__ import annotations

import logging

from engine.errors import RegieError

from .conftest import text


def test_an_unknown_address_gets_a_dutch_404(as_user):
    page = as_user("cas").get("/bestaat/niet")
    assert page.status_code == 404
    assert "Deze pagina bestaat niet (meer). Controleer het adres, of ga naar uw takenlijst." in text(page)


def test_a_server_error_shows_a_dutch_page_and_is_logged(app, as_user, caplog):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/kapot")
    def broken():
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR):
        page = as_user("cas").get("/kapot")
    assert page.status_code == 500
    body = text(page)
    assert "Er ging iets mis aan onze kant. Uw laatste handeling is niet opgeslagen." in body
    assert "Traceback" not in page.text and "boom" not in page.text
    code = body.split("met code ")[1].split(".")[0]
    assert code in caplog.text and "boom" in caplog.text


def test_a_regie_error_no_view_handled_shows_its_own_message(app, as_user):
    @app.get("/regie-fout")
    def regie_error():
        raise RegieError("Dit kan niet. Doe het anders.")

    page = as_user("cas").get("/regie-fout")
    assert page.status_code == 400 and "Dit kan niet. Doe het anders." in text(page)
