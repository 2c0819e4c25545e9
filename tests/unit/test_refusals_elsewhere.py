"""Refusals outside the ledger's commands: a backup into a directory already in use, and a
command line client facing a server that answers what is not a parledger answer, or none."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from api.cli.remote import RemoteError, RemoteLedger
from ledger.application.settings import Settings
from projections.backup import BackupError, backup


def test_a_backup_is_written_only_into_an_empty_directory(tmp_path: Path) -> None:
    used = tmp_path / "used"
    used.mkdir()
    (used / "notes.txt").write_text("x")
    settings = Settings(database_url=f"sqlite:///{tmp_path}/ledger.sqlite3", home=tmp_path / "home")
    with pytest.raises(BackupError) as refused:
        backup(settings, used, datetime.now(UTC))
    assert refused.value.code == "backup_refused"
    assert sorted(p.name for p in used.iterdir()) == ["notes.txt"]


class Answers(BaseHTTPRequestHandler):
    """A web server that is not a parledger server: it answers /v1/ledger with ``body``."""

    body = b"<html>hello</html>"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def other_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_a_server_that_is_not_a_parledger_server_is_named(
    other_server: ThreadingHTTPServer,
) -> None:
    url = f"http://127.0.0.1:{other_server.server_address[1]}"
    with RemoteLedger(url) as remote, pytest.raises(RemoteError) as refused:
        remote.info()
    assert refused.value.code == "bad_answer"
    assert "is not JSON" in refused.value.message
    Answers.body = b'{"hello": "world"}'
    try:
        with RemoteLedger(url) as remote, pytest.raises(RemoteError) as refused:
            remote.info()
    finally:
        Answers.body = b"<html>hello</html>"
    assert refused.value.code == "bad_answer"
    assert "does not look like a parledger server" in refused.value.message


def test_a_server_that_is_not_there_is_named() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        RemoteLedger(f"http://127.0.0.1:{port}", timeout=2) as remote,
        pytest.raises(RemoteError) as refused,
    ):
        remote.info()
    assert refused.value.code == "server_unreachable"
    assert f"cannot reach the server at http://127.0.0.1:{port}" in refused.value.message
