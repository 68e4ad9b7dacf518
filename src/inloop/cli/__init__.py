"""The ``inloop`` command line. Each module registers its commands on the one Typer app."""

from inloop.cli import adaptive, admin, calibrate, drift, export, gold, metrics, replay, routing, serve
from inloop.cli.app import app

__all__ = [
    "adaptive",
    "admin",
    "app",
    "calibrate",
    "drift",
    "export",
    "gold",
    "main",
    "metrics",
    "replay",
    "routing",
    "serve",
]


def main() -> None:
    """Console-script entry point."""
    app()
