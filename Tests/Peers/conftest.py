"""Shared pytest fixtures: a test server started in a subprocess on a free port.

Why a subprocess: the tests then exercise exactly the command line other test suites (Swift integration tests,
benchmarks) use, including the `LISTENING <port>` handshake.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


class ServerProcess:
    """A running phoenix_test_server.py; `url(path)` builds ws:// or http:// URLs to it."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "phoenix_test_server.py"), "--port", "0",
                                      *args], stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("LISTENING "):
            self.stop()
            raise RuntimeError(f"server did not start: {line!r}")
        self.port = int(line.split()[1])

    def url(self, path: str, scheme: str = "ws") -> str:
        """`scheme://127.0.0.1:port` + path (path includes the query)."""
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        """Terminate the process we started (and only that one)."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="session")
def phxtap() -> str:
    """The phxtap binary the tests drive: $PHXTAP_BIN, else the debug build (which must exist)."""
    root = os.path.dirname(os.path.dirname(HERE))
    path = os.environ.get("PHXTAP_BIN", os.path.join(root, ".build", "debug", "phxtap"))
    assert os.access(path, os.X_OK), f"{path} not found: build phxtap first (`swift build`), or set PHXTAP_BIN"
    return path


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    """The default server: Phoenix 1.7.24 behaviour, no compression, short LongPoll window."""
    s = ServerProcess("--longpoll-window-ms", "1000")
    yield s
    s.stop()


@pytest.fixture
def server_factory() -> Iterator[type[ServerProcess]]:
    """Start servers with other flags; all are stopped at the end of the test."""
    started: list[ServerProcess] = []

    class Factory(ServerProcess):
        def __init__(self, *args: str) -> None:
            super().__init__(*args)
            started.append(self)

    yield Factory
    for s in started:
        s.stop()


@pytest.fixture(scope="session")
def mermaid_bundle() -> str:
    """Mermaid's own parser, built to run in Node without a browser: the bundle the
    mermaid-parser-py package ships (installed without its Python dependencies by
    scripts/install-deps, which also installs Node)."""
    assert shutil.which("node"), "node not found: run scripts/install-deps"
    spec = importlib.util.find_spec("mermaid_parser")
    assert spec and spec.submodule_search_locations, "mermaid-parser-py not installed: run scripts/install-deps"
    bundle = os.path.join(list(spec.submodule_search_locations)[0], "js", "parser.bundle.js")
    assert os.path.isfile(bundle), f"{bundle} missing"
    return bundle
