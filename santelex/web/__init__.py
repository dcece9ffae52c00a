"""Web pages for ``santelex serve``, beside the SPARQL endpoint: article, citation
neighbourhood, annex validation, SPARQL box.  See santelex/web/app.py.

    routes, post_paths = web_routes(store_spec, max_upload=20 * 1024 * 1024)
"""
from santelex.web.upload import DEFAULT_MAX_UPLOAD


def web_routes(store_spec, max_upload: int = DEFAULT_MAX_UPLOAD):
    """(routes, post paths) to give ``santelex.serve.server.create_app`` (imports Jinja2 only when called)."""
    from santelex.web.app import web_routes as build

    return build(store_spec, max_upload=max_upload)


__all__ = ["DEFAULT_MAX_UPLOAD", "web_routes"]
