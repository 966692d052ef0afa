"""Fixtures of the FileREST compatibility suite.

One `sharecore serve` is started for the whole session on a fresh data directory; every test
talks to it through the unmodified `azure-storage-file-share` SDK. The server binary comes from
SHARECORE_BIN (default: <repo>/.build/debug/sharecore). SHARECORE_COMPAT_PORTS ("LOW-HIGH")
restricts the port the server listens on; by default the system picks a free one.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from azure.core.exceptions import AzureError
from azure.storage.fileshare import ShareLeaseClient, ShareServiceClient

from compat_helpers import ACCOUNT, connection_string, unique_name

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


@dataclass
class Server:
    """A running `sharecore serve`."""

    process: subprocess.Popen
    port: int
    data_dir: str
    log_path: str

    @property
    def endpoint(self) -> str:
        """The path-style FileREST endpoint (what the development connection string names)."""
        return f"http://127.0.0.1:{self.port}/{ACCOUNT}"

    @property
    def connection_string(self) -> str:
        return connection_string(self.endpoint)

    def log(self) -> str:
        try:
            return Path(self.log_path).read_text(errors="replace")
        except OSError as error:
            return f"(no log: {error})"


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _pick_port() -> int:
    spec = os.environ.get("SHARECORE_COMPAT_PORTS")
    if spec:
        low, _, high = spec.partition("-")
        for port in range(int(low), int(high or low) + 1):
            if _port_is_free(port):
                return port
        pytest.fail(f"no free port in SHARECORE_COMPAT_PORTS={spec}")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_listening(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"sharecore serve exited with {server.process.returncode} before listening:\n{server.log()}")
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    server.process.kill()
    server.process.wait()
    pytest.fail(f"sharecore serve did not listen on port {server.port} within {START_TIMEOUT:.0f} s:\n{server.log()}")


def _stop(server: Server) -> None:
    """SIGTERM, then requires a clean exit (status 0) within STOP_TIMEOUT."""
    if server.process.poll() is not None:
        pytest.fail(f"sharecore serve died during the session (status {server.process.returncode}):\n{server.log()}")
    server.process.send_signal(signal.SIGTERM)
    try:
        status = server.process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
        pytest.fail(f"sharecore serve did not stop within {STOP_TIMEOUT:.0f} s of SIGTERM:\n{server.log()[-4000:]}")
    if status != 0:
        pytest.fail(f"sharecore serve exited with status {status} after SIGTERM:\n{server.log()[-4000:]}")


@pytest.fixture(scope="session")
def server():
    """Starts `sharecore serve` on a fresh data directory; stops it with SIGTERM at the end."""
    binary = os.environ.get("SHARECORE_BIN", str(REPO / ".build" / "debug" / "sharecore"))
    if not os.access(binary, os.X_OK):
        pytest.fail(f"no sharecore binary at {binary} (build it with `swift build`, or set SHARECORE_BIN)")
    work = tempfile.mkdtemp(prefix="sharecore-compat-")
    data_dir = os.path.join(work, "data")
    log_path = os.path.join(work, "server.log")
    port = _pick_port()
    command = [binary, "serve", "--data", data_dir, "--durability", "fast", "--file-port", str(port)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    running = Server(process=process, port=port, data_dir=data_dir, log_path=log_path)
    _wait_until_listening(running)
    try:
        yield running
    finally:
        _stop(running)
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="session")
def conn_str(server) -> str:
    """The development connection string for the running server."""
    return server.connection_string


@pytest.fixture
def service(conn_str) -> ShareServiceClient:
    """A ShareServiceClient authorized with the account key (Shared Key)."""
    return ShareServiceClient.from_connection_string(conn_str)


def _delete_quietly(service: ShareServiceClient, name: str) -> None:
    """Best-effort clean-up: breaks a share lease, then deletes the share with its snapshots."""
    share = service.get_share_client(name)
    try:
        ShareLeaseClient(share).break_lease()
    except (AzureError, ValueError, TypeError):
        pass
    try:
        share.delete_share(delete_snapshots="include-leased")
    except AzureError:
        pass


@pytest.fixture
def share(service):
    """A fresh share with a unique name; deleted (with its snapshots) afterwards."""
    name = unique_name("share")
    client = service.create_share(name)
    yield client
    _delete_quietly(service, name)
