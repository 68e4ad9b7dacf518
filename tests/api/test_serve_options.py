"""How ``inloop serve`` runs uvicorn: the C HTTP parser and the libuv loop, named (no silent fallback)."""

from __future__ import annotations

import sys

import pytest
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from inloop.cli.serve import UVICORN_IMPLEMENTATION


def test_serve_names_httptools_and_uvloop_and_no_websockets() -> None:
    config = uvicorn.Config(FastAPI(), **UVICORN_IMPLEMENTATION)
    config.load()
    assert config.http_protocol_class is HttpToolsProtocol
    assert config.ws_protocol_class is None
    if sys.platform != "win32":
        assert config.loop == "uvloop"


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop is not installed on Windows")
def test_uvloop_is_installed() -> None:
    import uvloop

    loop = uvloop.new_event_loop()
    loop.close()
