"""The web page at ``/`` and its static files: public, offline (no CDN), no build step."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, Response, send_from_directory
from flask.views import MethodView

from api.access import public

STATIC = Path(__file__).resolve().parent / "static"
# The page loads only its own files; nothing may frame it.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# Static files may be cached briefly; a new release shows within five minutes.
MAX_AGE = 300

blp = Blueprint("page", __name__)


def _secured(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


@public
class PageView(MethodView):
    """The page."""

    def get(self) -> Response:
        """Serves index.html."""
        return _secured(send_from_directory(STATIC, "index.html", max_age=MAX_AGE))


@public
class StaticView(MethodView):
    """The page's scripts, styles and bundled samples."""

    def get(self, name: str) -> Response:
        """Serves a file of api/static (send_from_directory refuses paths outside it with 404)."""
        return _secured(send_from_directory(STATIC, name, max_age=MAX_AGE))


@public
class FaviconView(MethodView):
    """The page's icon, where browsers look for it."""

    def get(self) -> Response:
        """Serves favicon.ico."""
        return _secured(send_from_directory(STATIC, "favicon.ico", max_age=MAX_AGE, mimetype="image/x-icon"))


blp.add_url_rule("/", view_func=PageView.as_view("index"))
blp.add_url_rule("/favicon.ico", view_func=FaviconView.as_view("favicon"))
blp.add_url_rule("/static/<path:name>", view_func=StaticView.as_view("static"))


def init_app(app: Flask) -> None:
    """Registers the page (outside the API spec: it is not part of the JSON contract)."""
    app.register_blueprint(blp)
