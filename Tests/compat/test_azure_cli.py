"""The Azure CLI (`az storage share|directory|file ...`, installed by `make compat` into
.build/az-venv when missing) against the FileREST front, with a connection string (issue #9):
shares, directories, upload and download, listing, metadata, copies, trailing dots, deletes."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

AZ_TIMEOUT = 180
REPO = Path(__file__).resolve().parents[2]


def _az_binary() -> str:
    for candidate in (os.environ.get("SHARECORE_AZ"), str(REPO / ".build" / "az-venv" / "bin" / "az"), shutil.which("az")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail("the Azure CLI is not installed (make compat installs it into .build/az-venv)")


@pytest.fixture
def az(conn_str, tmp_path):
    """Runs `az ARGS... --connection-string <server> -o json` with a private configuration
    directory; returns the parsed JSON output (None when there is none)."""
    binary = _az_binary()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AZURE_")}
    env["AZURE_CONFIG_DIR"] = str(tmp_path / "az-config")
    env["AZURE_CORE_COLLECT_TELEMETRY"] = "false"

    def run(*args):
        command = [binary, *args, "--connection-string", conn_str, "-o", "json", "--only-show-errors"]
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=AZ_TIMEOUT)
        if result.returncode != 0:
            pytest.fail(f"az {' '.join(args)} exited with {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return json.loads(result.stdout) if result.stdout.strip() else None

    return run


def test_azure_cli_file_share_workflow(az, service, tmp_path):
    share = "azcli-" + os.urandom(4).hex()
    assert az("storage", "share", "create", "--name", share)["created"] is True
    try:
        az("storage", "directory", "create", "--share-name", share, "--name", "reports")
        source = tmp_path / "q3.txt"
        source.write_bytes(b"third quarter\n" * 100)
        az("storage", "file", "upload", "--share-name", share, "--source", str(source), "--path", "reports/q3.txt",
           "--metadata", "owner=cli")
        names = [item["name"] for item in az("storage", "file", "list", "--share-name", share, "--path", "reports")]
        assert names == ["q3.txt"]
        properties = az("storage", "file", "show", "--share-name", share, "--path", "reports/q3.txt")
        assert properties["properties"]["contentLength"] == len(source.read_bytes())
        assert properties["metadata"] == {"owner": "cli"}

        down = tmp_path / "down.txt"
        az("storage", "file", "download", "--share-name", share, "--path", "reports/q3.txt", "--dest", str(down))
        assert down.read_bytes() == source.read_bytes()

        az("storage", "file", "copy", "start", "--destination-share", share, "--destination-path", "reports/copy.txt",
           "--source-share", share, "--source-path", "reports/q3.txt")
        copied = service.get_share_client(share).get_file_client("reports/copy.txt").download_file().readall()
        assert copied == source.read_bytes()

        # The CLI allows trailing dots by default; --disallow-trailing-dot trims them, as Azure does.
        az("storage", "file", "upload", "--share-name", share, "--source", str(source), "--path", "kept.")
        az("storage", "file", "upload", "--share-name", share, "--source", str(source), "--path", "trimmed.",
           "--disallow-trailing-dot", "true")
        root = sorted(item["name"] for item in az("storage", "file", "list", "--share-name", share))
        assert root == ["kept.", "reports", "trimmed"]

        az("storage", "file", "delete", "--share-name", share, "--path", "reports/copy.txt")
        names = [item["name"] for item in az("storage", "file", "list", "--share-name", share, "--path", "reports")]
        assert names == ["q3.txt"]
    finally:
        az("storage", "share", "delete", "--name", share)
    assert share not in [s.name for s in service.list_shares()]
