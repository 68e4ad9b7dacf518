"""The ``inloop`` command line. Each module registers its commands on the one Typer app."""

from inloop.cli import adaptive, admin, calibrate, export, routing, serve
from inloop.cli.app import app

__all__ = ["adaptive", "admin", "app", "calibrate", "export", "main", "routing", "serve"]


def main() -> None:
    """Console-script entry point."""
    app()
