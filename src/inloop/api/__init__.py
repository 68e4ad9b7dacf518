"""The HTTP adapter: a FastAPI app around the services."""

from inloop.api.app import create_app

__all__ = ["create_app"]
