"""The reviewer console: server-rendered pages (Jinja2, autoescaped) with a vendored htmx and one small
script, served by ``inloop serve`` itself at ``/`` (no build step, no CDN). ``mount(app)`` adds it to the
API app."""

from inloop.web.app import mount

__all__ = ["mount"]
