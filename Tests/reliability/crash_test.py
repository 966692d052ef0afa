#!/usr/bin/env python3
"""`make crash-test`: kill -9 `sharecore serve` at random moments under mixed concurrent
FileREST and S3 writes, then require `sharecore check` to find the store sound and every
acknowledged write to read back (issue #10, "Keep the probes").

Each round starts the server on the same data directory, runs writers for a random time and
kills the server with SIGKILL while requests are in flight. A write counts as acknowledged
once its client saw success; a key whose newest write was still in flight at the kill may
hold its previous acknowledged content or the new one (never anything else). After the last
round the store is checked offline, the server started again and every key read back.

    python3 Tests/reliability/crash_test.py --kills 10 --durability full
"""

import argparse
import hashlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import boto3
from azure.core.exceptions import AzureError
from azure.storage.fileshare import ShareServiceClient
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
BUCKET = "crash"
ABSENT = "absent"


def local_port_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(x) for x in f.read().split())
            return low, high
    except (OSError, ValueError):
        return 32768, 60999


def free_ports(count):
    """`count` ports free now, below the kernel's ephemeral range: a port from that range can
    be taken by any client socket (the writers open many) between this check and the server's
    bind, and a connect to it can even connect to itself."""
    low, _ = local_port_range()
    ports = []
    while len(ports) < count:
        port = random.randint(max(1024, low - 12000), low - 1)
        sock = socket.socket()
        try:
            sock.bind(("127.0.0.1", port))
            if port not in ports:
                ports.append(port)
        except OSError:
            pass
        finally:
            sock.close()
    return ports


class Server:
    def __init__(self, binary, data, durability, log, env=None):
        # A port can still be taken between the check and the bind: then the server exits at
        # once and is started again on other ports.
        for attempt in range(5):
            if self.start(binary, data, durability, log, env):
                return
        raise SystemExit(f"sharecore serve exited with {self.process.returncode} at start, 5 times")

    def start(self, binary, data, durability, log, env):
        self.file_port, self.s3_port = free_ports(2)
        self.process = subprocess.Popen(
            [binary, "serve", "--data", data, "--durability", durability,
             "--file-port", str(self.file_port), "--s3-port", str(self.s3_port),
             # The Backup and IIS Files fronts are not under test: off, so their default ports
             # (shared with any other server on the machine) cannot stop the server starting.
             "--mgmt-port", "0", "--iis-port", "0"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + 30
        for port in (self.file_port, self.s3_port):
            while True:
                if self.process.poll() is not None:
                    return False
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise SystemExit("sharecore serve did not start")
                    time.sleep(0.05)
        return self.process.poll() is None

    def s3(self):
        return boto3.session.Session().client(
            "s3", endpoint_url=f"http://127.0.0.1:{self.s3_port}", aws_access_key_id=ACCOUNT,
            aws_secret_access_key=KEY, region_name="us-east-1",
            config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30, max_pool_connections=32))

    def files(self):
        conn = (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
                f"FileEndpoint=http://127.0.0.1:{self.file_port}/{ACCOUNT};")
        return ShareServiceClient.from_connection_string(conn, retry_total=0)

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


class Ledger:
    """What each key may hold: its last acknowledged digest, plus digests of writes in flight."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked = {}      # key -> digest or ABSENT
        # key -> digests of writes begun but not acknowledged, one entry per write (a failed
        # write stays: the server may still have committed it)
        self.pending = {}
        self.count = 0
        self.snapshots = []   # share snapshots acknowledged
        self.touched = set()  # keys written since they were last read back

    def begin(self, key, digest):
        with self.lock:
            self.pending.setdefault(key, []).append(digest)
            self.touched.add(key)

    def ack(self, key, digest, begun=None):
        """The write begun as `begun` (default: `digest`) was acknowledged as `digest`; only its
        own pending entry is dropped, so an Upload File's "*" ends with its acknowledgement."""
        with self.lock:
            self.acked[key] = digest
            entries = self.pending.get(key, [])
            begun = digest if begun is None else begun
            if begun in entries:
                entries.remove(begun)
            self.count += 1

    def ack_snapshot(self, snapshot):
        with self.lock:
            self.snapshots.append(snapshot)

    def take_touched(self):
        with self.lock:
            keys, self.touched = self.touched, set()
            return keys

    def allowed(self, key):
        with self.lock:
            return {self.acked.get(key, ABSENT)} | set(self.pending.get(key, []))

    def settle(self, key, digest):
        """After verification: the key holds `digest` (one of the allowed ones)."""
        with self.lock:
            self.acked[key] = digest
            self.pending.pop(key, None)


def digest(data):
    return hashlib.md5(data).hexdigest()


def writer(server, ledger, stop, seed, errors):
    rng = random.Random(seed)
    s3 = server.s3()
    share = server.files().get_share_client(BUCKET)
    while not stop.is_set():
        op = rng.random()
        # Objects at the top of the writer's prefix and under new folders; never one key both
        # an object and a folder of another (S3 on a file tree refuses that).
        key = f"w{seed}/k{rng.randint(0, 15)}" if rng.random() < 0.5 else f"w{seed}/d{rng.randint(0, 3)}/deep/obj"
        data = rng.randbytes(rng.choice([0, 100, 70_000, 1 << 20, 5 << 20]))
        # Half the S3 writes are encrypted at rest (SSE-S3): sealed chunks, and copies that
        # re-encrypt rather than share, must be as atomic as plain ones.
        sse = {"ServerSideEncryption": "AES256"} if rng.random() < 0.5 else {}
        try:
            if op < 0.35:
                ledger.begin(key, digest(data))
                s3.put_object(Bucket=BUCKET, Key=key, Body=data, **sse)
                ledger.ack(key, digest(data))
            elif op < 0.5:
                ledger.begin(key, ABSENT)
                s3.delete_object(Bucket=BUCKET, Key=key)
                ledger.ack(key, ABSENT)
            elif op < 0.6:
                part = rng.randbytes(5 << 20)
                whole = part + data
                ledger.begin(key, digest(whole))
                upload = s3.create_multipart_upload(Bucket=BUCKET, Key=key, **sse)["UploadId"]
                e1 = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=upload, PartNumber=1, Body=part)["ETag"]
                e2 = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=upload, PartNumber=2, Body=data)["ETag"]
                s3.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=upload, MultipartUpload={
                    "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
                ledger.ack(key, digest(whole))
            elif op < 0.7:
                source = f"w{seed}/source"
                # The source is a write of its own: in flight at the kill, it may have landed.
                ledger.begin(source, digest(data))
                s3.put_object(Bucket=BUCKET, Key=source, Body=data)
                ledger.ack(source, digest(data))
                ledger.begin(key, digest(data))
                s3.copy_object(Bucket=BUCKET, Key=key, CopySource={"Bucket": BUCKET, "Key": source}, **sse)
                ledger.ack(key, digest(data))
            elif op < 0.9:
                name = f"f{seed}-{rng.randint(0, 7)}"
                # Upload File is create + ranges: not atomic, so in flight it may leave anything
                # for this name; only an acknowledged upload is checked.
                ledger.begin(name, "*")
                share.get_file_client(name).upload_file(data)
                ledger.ack(name, digest(data), begun="*")
            else:
                ledger.ack_snapshot(share.create_snapshot()["snapshot"])
        except (ClientError, BotoCoreError, AzureError, OSError) as error:
            if not stop.is_set():
                errors.append(f"{type(error).__name__}: {str(error)[:200]}")


def read_back(server, key, is_file):
    try:
        if is_file:
            data = server.files().get_share_client(BUCKET).get_file_client(key).download_file().readall()
        else:
            data = server.s3().get_object(Bucket=BUCKET, Key=key)["Body"].read()
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return ABSENT
        raise
    except AzureError as error:
        if getattr(error, "status_code", None) == 404:
            return ABSENT
        raise
    return digest(data)


def verify(server, ledger, keys, label):
    """Reads `keys` back; the failures, as messages."""
    failures = []
    for key in sorted(keys):
        allowed = ledger.allowed(key)
        found = read_back(server, key, key.startswith("f"))
        if "*" in allowed or found in allowed:
            ledger.settle(key, found)
        else:
            failures.append(f"{label}: {key} holds {found}, expected one of {sorted(allowed)}")
    return failures


def verify_snapshots(server, ledger, label):
    """Every acknowledged share snapshot must still be listed."""
    listed = {share.snapshot for share in server.files().list_shares(include_snapshots=True)
              if share.name == BUCKET and share.snapshot}
    with ledger.lock:
        missing = [snapshot for snapshot in ledger.snapshots if snapshot not in listed]
    return [f"{label}: acknowledged snapshot {snapshot} is gone" for snapshot in missing]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--durability", choices=["full", "fast"], default="full")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--binary", default=os.environ.get("SHARECORE_BIN", ".build/debug/sharecore"))
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="sharecore-crash-")
    data = os.path.join(work, "data")
    log = open(os.path.join(work, "server.log"), "ab")
    ledger = Ledger()
    print(f"crash test: {args.kills} kills, durability {args.durability}, seed {args.seed}, in {work}")

    server = Server(args.binary, data, args.durability, log)
    server.s3().create_bucket(Bucket=BUCKET)
    failures = []
    for round in range(args.kills):
        stop = threading.Event()
        errors = []
        threads = [threading.Thread(target=writer, args=(server, ledger, stop, round * 100 + i, errors))
                   for i in range(args.writers)]
        for thread in threads:
            thread.start()
        time.sleep(rng.uniform(0.5, 3.0))
        server.kill()
        stop.set()
        for thread in threads:
            thread.join()
        check = subprocess.run([args.binary, "check", "--data", data], capture_output=True, text=True)
        if check.returncode != 0:
            failures.append(f"round {round}: sharecore check failed:\n{check.stdout}{check.stderr}")
            break
        server = Server(args.binary, data, args.durability, log)
        # Every key written in this round must hold what was acknowledged or what was in
        # flight (all keys are read back once more after the last round).
        last = round == args.kills - 1
        keys = set(ledger.acked) | set(ledger.pending) if last else ledger.take_touched()
        failures += verify(server, ledger, keys, f"round {round}")
        failures += verify_snapshots(server, ledger, f"round {round}")
        print(f"round {round + 1}/{args.kills}: {ledger.count} writes and {len(ledger.snapshots)} snapshots "
              f"acknowledged so far, check sound, "
              f"{len(failures)} lost; {len(errors)} requests failed around the kill"
              + (f" (first: {errors[0]})" if errors else ""), flush=True)
        if failures:
            break
    server.kill()
    final = subprocess.run([args.binary, "check", "--data", data], capture_output=True, text=True)
    if final.returncode != 0:
        failures.append(f"final check failed:\n{final.stdout}{final.stderr}")
    for failure in failures:
        print("FAIL:", failure)
    print(f"crash test: {args.kills} kills, seed {args.seed}, {ledger.count} acknowledged writes, "
          f"{len(ledger.snapshots)} acknowledged snapshots, "
          f"{'nothing lost, store sound' if not failures else f'{len(failures)} failure(s)'}")
    if not args.keep and not failures:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
