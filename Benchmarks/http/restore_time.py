"""Measures a Backup-front restore against the time it took to write the share (issue #11).

Starts `sharecore serve` (--bin) on a fresh data directory, writes TOTAL bytes as FILES files
through FileREST with the Azure SDK, takes a snapshot, deletes every file, then restores the
whole share from the snapshot through the Backup front (azure-mgmt-recoveryservicesbackup) and
times it by its job (start, before the 202, to end, on the server's clock) and by the SDK's
poller. Prints the times and the ratio.

    python3 Benchmarks/http/restore_time.py --bin .build/release/sharecore [--total-mib 1024 --files 256]
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "Tests" / "compat"))

from azure.storage.fileshare import ShareServiceClient  # noqa: E402

from backup_helpers import (CONTAINER, FABRIC, RESOURCE_GROUP, VAULT, backup_client, item_name,  # noqa: E402
                            point_name, restore_request)
from compat_helpers import connection_string  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--total-mib", type=int, default=1024)
    parser.add_argument("--files", type=int, default=256)
    parser.add_argument("--durability", default="full")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="sharecore-restore-bench-")
    file_port, mgmt_port = free_port(), free_port()
    server = subprocess.Popen([args.bin, "serve", "--data", os.path.join(work, "data"), "--durability", args.durability,
                               "--file-port", str(file_port), "--s3-port", "0", "--mgmt-port", str(mgmt_port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(2)
        service = ShareServiceClient.from_connection_string(connection_string(f"http://127.0.0.1:{file_port}/devstoreaccount1"))
        share = service.create_share("bench", quota=5120)
        size = args.total_mib * 1024 * 1024 // args.files
        data = os.urandom(size)
        t0 = time.monotonic()
        for i in range(args.files):
            share.get_file_client(f"f{i:05d}").upload_file(data, max_concurrency=4)
        write_seconds = time.monotonic() - t0
        snapshot = share.create_snapshot()["snapshot"]
        for i in range(args.files):
            share.get_file_client(f"f{i:05d}").delete_file()
        mgmt = backup_client(f"http://127.0.0.1:{mgmt_port}", Path(work, "data", "admin-token").read_text().strip())
        seen = {}
        t0 = time.monotonic()
        poller = mgmt.restores.begin_trigger(VAULT, RESOURCE_GROUP, FABRIC, CONTAINER, item_name("bench"), point_name(snapshot),
                                             restore_request(recoveryType="OriginalLocation", copyOptions="Overwrite"),
                                             raw_response_hook=lambda r: seen.setdefault("op", r.http_response.headers.get("Azure-AsyncOperation")))
        poller.result()
        client_seconds = time.monotonic() - t0
        operation = seen["op"].split("?")[0].rsplit("/", 1)[1]
        job = mgmt.job_details.get(VAULT, RESOURCE_GROUP, mgmt.backup_operation_statuses.get(VAULT, RESOURCE_GROUP, operation).properties.job_id)
        restore_seconds = (job.properties.end_time - job.properties.start_time).total_seconds()
        assert share.get_file_client(f"f{args.files - 1:05d}").download_file(offset=0, length=16).readall() == data[:16]
        print(f"wrote {args.total_mib} MiB as {args.files} files in {write_seconds:.2f} s; "
              f"restored the share from its snapshot in {restore_seconds:.3f} s (the job's start to end, "
              f"{100 * restore_seconds / write_seconds:.2f} % of the write time); the SDK's poller returned after "
              f"{client_seconds:.3f} s (it sleeps the 1 s Retry-After between polls)")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
