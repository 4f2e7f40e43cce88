"""The HTTP adapter of the scoring service: ``botlens serve``, that is
``gunicorn -c python:api.server 'api.app:create_app()'``.

Views parse, validate and delegate to ``model`` and ``store``; nothing here holds scoring logic.
Importing this package loads nothing: the gunicorn settings (``api.server``) must run before the
app's modules load prometheus-client.
"""
