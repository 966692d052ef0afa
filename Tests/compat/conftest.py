"""Fixtures of the compatibility suite (FileREST and S3).

One `sharecore serve` is started for the whole session on a fresh data directory, with both its
FileREST and its S3 front; the FileREST tests talk to it through the unmodified
`azure-storage-file-share` SDK, the S3 tests (test_s3_*.py) through boto3 and the aws CLI. The
server binary comes from SHARECORE_BIN (default: <repo>/.build/debug/sharecore).
SHARECORE_COMPAT_PORTS ("LOW-HIGH") restricts the ports the server listens on; by default the
system picks free ones.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from azure.core.exceptions import AzureError
from azure.storage.fileshare import ShareLeaseClient, ShareServiceClient

from compat_helpers import ACCOUNT, connection_string, unique_name
from s3_helpers import make_s3_client

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
    s3_port: int = 0
    # Every front's port by its flag (`--file-port`, `--s3-port`, ...).
    ports: dict = field(default_factory=dict)
    # "https" when started with a certificate; `ca_file` then names the PEM clients trust.
    scheme: str = "http"
    ca_file: str = ""

    @property
    def endpoint(self) -> str:
        """The path-style FileREST endpoint (what the development connection string names)."""
        return f"{self.scheme}://127.0.0.1:{self.port}/{ACCOUNT}"

    @property
    def s3_endpoint(self) -> str:
        """The S3 endpoint (path-style addressing: `<endpoint>/<bucket>/<key>`)."""
        return f"{self.scheme}://127.0.0.1:{self.s3_port}"

    @property
    def mgmt_endpoint(self) -> str:
        """The Backup front's endpoint (the Azure Backup management API), `http(s)://127.0.0.1:<port>`."""
        return self.url("--mgmt-port")

    def url(self, flag: str) -> str:
        """The base URL of the front whose port flag is `flag`, e.g. `url("--s3-port")`."""
        return f"{self.scheme}://127.0.0.1:{self.ports[flag]}"

    @property
    def iis_endpoint(self) -> str:
        """The IIS Files endpoint (routes under `/api/files`)."""
        return self.url("--iis-port")

    @property
    def admin_token(self) -> str:
        """The admin token the server generated into its data directory."""
        return Path(self.data_dir, "admin-token").read_text().strip()

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


def _pick_ports(count: int) -> list:
    """`count` distinct free ports (from SHARECORE_COMPAT_PORTS when set)."""
    spec = os.environ.get("SHARECORE_COMPAT_PORTS")
    if spec:
        low, _, high = spec.partition("-")
        ports = [port for port in range(int(low), int(high or low) + 1) if _port_is_free(port)][:count]
        if len(ports) < count:
            pytest.fail(f"fewer than {count} free ports in SHARECORE_COMPAT_PORTS={spec}")
        return ports
    sockets = []
    try:
        # Keep every socket bound until all are chosen, so the system gives distinct ports.
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _wait_until_listening(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    for port in [p for p in server.ports.values() if p]:
        while True:
            if server.process.poll() is not None:
                pytest.fail(f"sharecore serve exited with {server.process.returncode} before listening:\n{server.log()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    server.process.kill()
                    server.process.wait()
                    pytest.fail(f"sharecore serve did not listen on port {port} within {START_TIMEOUT:.0f} s:\n{server.log()}")
                time.sleep(0.1)


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


def sharecore_binary() -> str:
    """The server binary under test (SHARECORE_BIN, default <repo>/.build/debug/sharecore)."""
    binary = os.environ.get("SHARECORE_BIN", str(REPO / ".build" / "debug" / "sharecore"))
    if not os.access(binary, os.X_OK):
        pytest.fail(f"no sharecore binary at {binary} (build it with `swift build`, or set SHARECORE_BIN)")
    return binary


# The port flag of every front `sharecore serve` has; each gets a free port.
FRONT_PORT_FLAGS = ["--file-port", "--s3-port", "--mgmt-port", "--iis-port"]


@dataclass
class Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost, made with openssl."""

    cert: str
    key: str


def make_certificate(directory: str) -> Certificate:
    """Writes a new self-signed certificate and key (PEM) into `directory`."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    return Certificate(cert=cert, key=key)


def start_server(data_dir: str, log_path: str, tls: Certificate = None, extra_args=()) -> Server:
    """Starts `sharecore serve` on `data_dir` with every front on a free port (over HTTPS with
    `tls`) and waits until all listen. Stop it with `_stop`."""
    ports = dict(zip(FRONT_PORT_FLAGS, _pick_ports(len(FRONT_PORT_FLAGS))))
    command = [sharecore_binary(), "serve", "--data", data_dir, "--durability", "fast"]
    for flag, port in ports.items():
        command += [flag, str(port)]
    if tls:
        command += ["--tls-cert", tls.cert, "--tls-key", tls.key]
    command += list(extra_args)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    running = Server(process=process, port=ports["--file-port"], data_dir=data_dir, log_path=log_path,
                     s3_port=ports["--s3-port"], ports=ports, scheme="https" if tls else "http",
                     ca_file=tls.cert if tls else "")
    _wait_until_listening(running)
    return running


@pytest.fixture(scope="session")
def server():
    """Starts `sharecore serve` on a fresh data directory; stops it with SIGTERM at the end."""
    work = tempfile.mkdtemp(prefix="sharecore-compat-")
    data_dir = os.path.join(work, "data")
    log_path = os.path.join(work, "server.log")
    running = start_server(data_dir, log_path)
    try:
        yield running
    finally:
        _stop(running)
        shutil.rmtree(work, ignore_errors=True)


class ServerFactory:
    """Starts and stops further servers, each on a data directory of its own, for tests that
    must prepare a store while no server has it open (e.g. `sharecore bucket add`)."""

    def __init__(self, work: str):
        self.work = work
        self.running = []
        self._count = 0

    @property
    def binary(self) -> str:
        return sharecore_binary()

    def data_dir(self, name: str) -> str:
        """A path for a data directory (created by the first server started on it)."""
        return os.path.join(self.work, name)

    def start(self, data_dir: str, tls: Certificate = None, extra_args=()) -> Server:
        """Starts a server on `data_dir` (over HTTPS with `tls`, see `certificate()`)."""
        self._count += 1
        running = start_server(data_dir, os.path.join(self.work, f"server{self._count}.log"), tls, extra_args)
        self.running.append(running)
        return running

    def certificate(self) -> Certificate:
        """A new self-signed certificate for 127.0.0.1 in this factory's directory."""
        directory = tempfile.mkdtemp(dir=self.work, prefix="tls-")
        return make_certificate(directory)

    def stop(self, server: Server) -> None:
        """SIGTERM; the server must exit with status 0."""
        self.running.remove(server)
        _stop(server)


@pytest.fixture(scope="module")
def server_factory():
    """A ServerFactory; every server still running at the end of the module is stopped (and
    must exit cleanly)."""
    factory = ServerFactory(tempfile.mkdtemp(prefix="sharecore-compat-extra-"))
    try:
        yield factory
    finally:
        for running in list(factory.running):
            factory.stop(running)
        shutil.rmtree(factory.work, ignore_errors=True)


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


# MARK: S3


@pytest.fixture(scope="session")
def s3_endpoint(server) -> str:
    """The S3 endpoint of the session's server, `http://127.0.0.1:<port>`."""
    return server.s3_endpoint


@pytest.fixture(scope="session")
def s3_client(s3_endpoint):
    """boto3's S3 client at its default settings, pointed at the server."""
    return make_s3_client(s3_endpoint)


@pytest.fixture
def bucket(s3_client, service):
    """A fresh, empty bucket created with CreateBucket (so a new share); deleted afterwards
    (through FileREST, as the share it is)."""
    name = unique_name("bkt")
    s3_client.create_bucket(Bucket=name)
    yield name
    _delete_quietly(service, name)


@pytest.fixture
def new_bucket_name(service):
    """A bucket name no one uses yet; whatever is created under it is deleted afterwards."""
    name = unique_name("bkt")
    yield name
    _delete_quietly(service, name)
