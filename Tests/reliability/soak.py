#!/usr/bin/env python3
"""The soak test (issue #10, `make soak`): N clients (default 64) doing mixed operations on
every front of a freshly started `sharecore serve` for a set time, then a report of the
requests by front and operation, the errors by status, p50/p99 latency, and the server's RSS
over time (from /proc, every few seconds, and after the load has stopped).

Each client works on keys of its own, so every answer it gets must be a success: any other
status (and any connection error) is an error. Exit status 1 when there was a 5xx or a
connection error, or the server died. Not part of `make test` (it runs for minutes).

  SHARECORE_BIN=.build/debug/sharecore python3 Tests/reliability/soak.py --clients 64 --seconds 180
"""

import argparse
import datetime as dt
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import quote

import requests
from azure.storage.fileshare import AccountSasPermissions, ResourceTypes, generate_account_sas
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
SUBSCRIPTION = "ef4ab5a7-c2c0-4304-af80-af49f48af3d1"
VAULT = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/soak/providers/Microsoft.RecoveryServices/vaults/soak"
API = "api-version=2025-02-01"
SHARE = "soak"
FLAGS = ["--file-port", "--s3-port", "--mgmt-port", "--iis-port"]


def free_ports(count):
    socks = [socket.socket() for _ in range(count)]
    for sock in socks:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in socks]
    for sock in socks:
        sock.close()
    return ports


class Server:
    """`sharecore serve` with every front on a free port."""

    def __init__(self, binary, data, durability, log):
        self.ports = dict(zip(FLAGS, free_ports(len(FLAGS))))
        command = [binary, "serve", "--data", data, "--durability", durability]
        for flag, port in self.ports.items():
            command += [flag, str(port)]
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        for port in self.ports.values():
            while True:
                if self.process.poll() is not None:
                    raise SystemExit(f"sharecore serve exited with {self.process.returncode} at start")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise SystemExit("sharecore serve did not start")
                    time.sleep(0.05)
        self.token = Path(data, "admin-token").read_text().strip()

    def url(self, flag):
        return f"http://127.0.0.1:{self.ports[flag]}"

    def rss_mb(self):
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return None

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency = defaultdict(list)   # (front, op) -> seconds
        self.statuses = Counter()          # (front, op, status) -> count
        self.errors = Counter()            # status (or exception name) -> count
        self.samples = []                  # error descriptions (first few)

    def record(self, front, op, status, seconds, ok, detail=""):
        with self.lock:
            self.latency[(front, op)].append(seconds)
            self.statuses[(front, op, status)] += 1
            if not ok:
                self.errors[status] += 1
                if len(self.samples) < 10:
                    self.samples.append(f"{front} {op} {status} {detail[:200]}")


class SoakClient(threading.Thread):
    """One client: picks an operation on any front, on its own keys, until the deadline."""

    def __init__(self, number, server, sas, deadline, results, seed):
        super().__init__(daemon=True)
        self.number = number
        self.server = server
        self.sas = sas
        self.deadline = deadline
        self.results = results
        self.random = random.Random(seed)
        self.http = requests.Session()
        self.http.trust_env = False
        self.objects = set()     # S3 keys this client wrote
        self.files = set()       # FileREST files this client wrote
        self.counter = 0

    # MARK: sending

    def send(self, front, op, method, url, ok_statuses=(200, 201, 202, 204, 206), **kwargs):
        start = time.perf_counter()
        try:
            response = self.http.request(method, url, timeout=60, **kwargs)
            seconds = time.perf_counter() - start
            self.results.record(front, op, response.status_code, seconds, response.status_code in ok_statuses,
                                response.text if response.status_code not in ok_statuses else "")
            return response
        except requests.RequestException as error:
            self.results.record(front, op, type(error).__name__, time.perf_counter() - start, False, str(error))
            return None

    def s3(self, op, method, path, body=b"", params=""):
        url = self.server.url("--s3-port") + path + (f"?{params}" if params else "")
        request = AWSRequest(method=method, url=url, data=body)
        S3SigV4Auth(Credentials(ACCOUNT, KEY), "s3", "us-east-1").add_auth(request)
        prepared = request.prepare()
        return self.send("S3", op, method, prepared.url, headers=dict(prepared.headers), data=body)

    def filerest(self, op, method, path, params="", headers=None, body=b""):
        query = "&".join(part for part in (params, self.sas) if part)
        url = f"{self.server.url('--file-port')}/{ACCOUNT}/{SHARE}{path}?{query}"
        fields = {"x-ms-version": "2025-11-05", **(headers or {})}
        return self.send("FileREST", op, method, url, headers=fields, data=body)

    # MARK: operations

    def body(self):
        return self.random.randbytes(self.random.choice([1024, 16 * 1024, 64 * 1024, 256 * 1024, 1024 * 1024]))

    def s3_op(self):
        prefix = f"c{self.number}/"
        choice = self.random.random()
        if not self.objects or choice < 0.35:
            key = f"{prefix}k{self.random.randrange(16)}"
            if self.s3("PutObject", "PUT", f"/{SHARE}/{quote(key)}", self.body()) is not None:
                self.objects.add(key)
        elif choice < 0.70:
            self.s3("GetObject", "GET", f"/{SHARE}/{quote(self.random.choice(sorted(self.objects)))}")
        elif choice < 0.80:
            self.s3("HeadObject", "HEAD", f"/{SHARE}/{quote(self.random.choice(sorted(self.objects)))}")
        elif choice < 0.90:
            self.s3("ListObjectsV2", "GET", f"/{SHARE}", params=f"list-type=2&prefix={quote(prefix, safe='')}")
        else:
            key = self.random.choice(sorted(self.objects))
            if self.s3("DeleteObject", "DELETE", f"/{SHARE}/{quote(key)}") is not None:
                self.objects.discard(key)

    def filerest_op(self):
        directory = f"/d{self.number}"
        choice = self.random.random()
        if not self.files or choice < 0.35:
            name = f"{directory}/f{self.random.randrange(16)}"
            data = self.body()
            created = self.filerest("CreateFile", "PUT", name, headers={
                "x-ms-type": "file", "x-ms-content-length": str(len(data)), "Content-Length": "0"})
            if created is not None and created.status_code == 201:
                ranged = self.filerest("PutRange", "PUT", name, "comp=range", body=data, headers={
                    "x-ms-range": f"bytes=0-{len(data) - 1}", "x-ms-write": "update"})
                if ranged is not None and ranged.status_code == 201:
                    self.files.add(name)
        elif choice < 0.70:
            self.filerest("GetFile", "GET", self.random.choice(sorted(self.files)))
        elif choice < 0.80:
            self.filerest("GetFileProperties", "HEAD", self.random.choice(sorted(self.files)))
        elif choice < 0.90:
            self.filerest("ListDirectory", "GET", directory, "restype=directory&comp=list")
        else:
            name = self.random.choice(sorted(self.files))
            if self.filerest("DeleteFile", "DELETE", name) is not None:
                self.files.discard(name)

    def backup_op(self):
        bearer = {"Authorization": f"Bearer {self.server.token}"}
        what = self.random.choice(["backupJobs", "backupPolicies", "backupProtectedItems"])
        self.send("Backup", f"Get{what[0].upper()}{what[1:]}", "GET",
                  f"{self.server.url('--mgmt-port')}{VAULT}/{what}?{API}", headers=bearer)

    def iis_op(self):
        token = {"Access-Token": f"Bearer {self.server.token}"}
        if self.random.random() < 0.5:
            self.send("IISFiles", "GetLocations", "GET", f"{self.server.url('--iis-port')}/api/files/locations", headers=token)
        else:
            self.send("IISFiles", "GetFiles", "GET", f"{self.server.url('--iis-port')}/api/files", headers=token)

    def run(self):
        while time.monotonic() < self.deadline:
            pick = self.random.random()
            if pick < 0.4:
                self.s3_op()
            elif pick < 0.8:
                self.filerest_op()
            elif pick < 0.9:
                self.backup_op()
            else:
                self.iis_op()


def prepare(server, clients):
    """The bucket/share, a directory per client, and an IIS location over the share."""
    sas = generate_account_sas(ACCOUNT, KEY, ResourceTypes(service=True, container=True, object=True),
                               AccountSasPermissions(read=True, write=True, delete=True, list=True, create=True),
                               expiry=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1))
    http = requests.Session()
    http.trust_env = False
    fields = {"x-ms-version": "2025-11-05", "Content-Length": "0"}
    base = f"{server.url('--file-port')}/{ACCOUNT}/{SHARE}"
    assert http.put(f"{base}?restype=share&{sas}", headers=fields).status_code == 201
    for number in range(clients):
        assert http.put(f"{base}/d{number}?restype=directory&{sas}", headers=fields).status_code == 201
    location = http.post(f"{server.url('--iis-port')}/api/files/locations",
                         headers={"Access-Token": f"Bearer {server.token}"},
                         json={"alias": "soak", "path": f"\\\\{ACCOUNT}\\{SHARE}", "claims": ["read", "write"]})
    assert location.status_code == 201, location.text
    return sas


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--durability", default="full", choices=["full", "fast"])
    parser.add_argument("--sample-every", type=float, default=10, help="seconds between RSS samples")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--binary", default=os.environ.get("SHARECORE_BIN", ".build/debug/sharecore"))
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="sharecore-soak-")
    log_path = os.path.join(work, "server.log")
    with open(log_path, "wb") as log:
        server = Server(args.binary, os.path.join(work, "data"), args.durability, log)
        try:
            sas = prepare(server, args.clients)
            results = Results()
            rss = [(0.0, server.rss_mb())]
            start = time.monotonic()
            deadline = start + args.seconds
            clients = [SoakClient(n, server, sas, deadline, results, args.seed * 1000 + n) for n in range(args.clients)]
            for client in clients:
                client.start()
            while time.monotonic() < deadline and server.process.poll() is None:
                time.sleep(min(args.sample_every, max(0.0, deadline - time.monotonic())))
                rss.append((time.monotonic() - start, server.rss_mb()))
            for client in clients:
                client.join(90)
            elapsed = time.monotonic() - start
            for after in (5, 30):
                time.sleep(max(0.0, after - (time.monotonic() - start - elapsed)))
                rss.append((time.monotonic() - start, server.rss_mb()))
            died = server.process.poll() is not None
        finally:
            server.stop()

    total = sum(results.statuses.values())
    print(f"soak: {args.clients} clients, {elapsed:.0f} s, durability {args.durability}: {total} requests "
          f"({total / elapsed:.0f}/s), {sum(results.errors.values())} errors")
    everything = [s for values in results.latency.values() for s in values]
    print(f"latency all: p50 {percentile(everything, 0.5) * 1000:.1f} ms, p99 {percentile(everything, 0.99) * 1000:.1f} ms")
    print(f"{'front':9} {'operation':22} {'count':>7} {'p50 ms':>8} {'p99 ms':>8}  statuses")
    for (front, op), values in sorted(results.latency.items()):
        statuses = {status: n for (f, o, status), n in results.statuses.items() if (f, o) == (front, op)}
        print(f"{front:9} {op:22} {len(values):7} {percentile(values, 0.5) * 1000:8.1f} "
              f"{percentile(values, 0.99) * 1000:8.1f}  {dict(sorted(statuses.items(), key=str))}")
    print("errors by status:", dict(results.errors) or "none")
    for sample in results.samples:
        print("  ", sample)
    print("server RSS (MB) over time: " + ", ".join(
        f"{t:.0f}s {mb:.0f}" for t, mb in rss if mb is not None) + f"  (load ended at {elapsed:.0f}s)")
    if died:
        print("the server died:\n" + Path(log_path).read_text(errors="replace")[-3000:])
    fatal = died or any(not isinstance(s, int) or s >= 500 for s in results.errors)
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if fatal else 0)


if __name__ == "__main__":
    main()
