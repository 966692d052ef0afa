#!/usr/bin/env python3
"""FileREST streaming memory: uploads and downloads one large file through the official Azure SDK
(`azure-storage-file-share`) against a freshly started `sharecore serve`, sampling the server's
resident memory from /proc/<pid>/status the whole time.

The data is generated while it is sent and hashed while it is received: neither side of this
script holds the file in memory, so what grows is the server's.

    swift build -c release
    python3 Benchmarks/http/filerest_memory.py                 # 2 GiB, release binary
    python3 Benchmarks/http/filerest_memory.py --size 256MiB --bin .build/debug/sharecore

It prints, per phase (idle, upload, download), the peak of VmRSS and of its two parts: RssAnon
(the process's own memory: heap, stacks, LMDB's dirty pages) and RssFile (pages of the memory-
mapped LMDB file that the process has touched; they belong to the kernel's page cache, are
shared and reclaimable, and are counted in RSS only while mapped). VmHWM is the kernel's own
high-water mark of VmRSS (updated lazily, so the samples can exceed it). The peak reported is
the largest of both. With --json it also prints one JSON object.
"""

import argparse
import hashlib
import io
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from azure.storage.fileshare import ShareServiceClient

ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
MiB = 1 << 20
REPO = Path(__file__).resolve().parents[2]
FIELDS = ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem")


def parse_size(text: str) -> int:
    match = re.fullmatch(r"(\d+)\s*([KMGT]i?B?)?", text.strip(), re.IGNORECASE)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text}")
    unit = (match.group(2) or "").upper()[:1]
    return int(match.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30, "T": 40}[unit]


class GeneratedStream(io.RawIOBase):
    """`size` bytes made on demand (a random 1 MiB block, each MiB stamped with its index),
    hashed as they are read."""

    def __init__(self, size: int):
        self.size = size
        self.position = 0
        self.block = bytearray(os.urandom(MiB))
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        remaining = self.size - self.position
        if remaining <= 0:
            return 0
        offset = self.position % MiB
        if offset == 0:
            self.block[:8] = (self.position // MiB).to_bytes(8, "little")
        count = min(len(buffer), MiB - offset, remaining)
        piece = self.block[offset : offset + count]
        buffer[:count] = piece
        self.digest.update(piece)
        self.position += count
        return count


class Sampler(threading.Thread):
    """Samples /proc/<pid>/status every `interval` seconds; keeps per-phase peaks (KiB)."""

    def __init__(self, pid: int, interval: float = 0.02):
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.phase = "idle"
        self.peaks: dict[str, dict[str, int]] = {}
        self.last: dict[str, int] = {}
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def read(self) -> dict[str, int]:
        values = {}
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                name, _, rest = line.partition(":")
                if name in FIELDS:
                    values[name] = int(rest.split()[0])
        return values

    def sample(self) -> None:
        try:
            values = self.read()
        except OSError:
            return
        with self.lock:
            self.last = values
            peak = self.peaks.setdefault(self.phase, {})
            for name, value in values.items():
                peak[name] = max(peak.get(name, 0), value)

    def enter(self, phase: str, reset_high_water_mark: bool = False) -> None:
        """Starts a phase; with `reset_high_water_mark`, first resets the kernel's VmHWM to the
        current VmRSS (`/proc/<pid>/clear_refs`), so that VmHWM is the peak of this phase alone."""
        self.sample()
        if reset_high_water_mark:
            try:
                with open(f"/proc/{self.pid}/clear_refs", "w") as clear_refs:
                    clear_refs.write("5")
            except OSError:
                pass
        with self.lock:
            self.phase = phase
        self.sample()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.sample()
            time.sleep(self.interval)

    def stop(self) -> None:
        self.sample()
        self.stopping.set()
        self.join()


def stream_through_filerest(file, size: int, sampler: Sampler, upload_concurrency: int = 4,
                            download_concurrency: int = 1, phase_prefix: str = "",
                            reset_high_water_mark: bool = False) -> dict:
    """Uploads `size` generated bytes to the `ShareFileClient` `file` (`upload_file`: 4 MiB Put
    Range requests, `upload_concurrency` in flight), then downloads it (`download_file().chunks()`)
    into a SHA-256, entering the sampler's phases `<prefix>upload` and `<prefix>download`.
    Raises ValueError when the download differs from the upload."""
    sampler.enter(f"{phase_prefix}upload", reset_high_water_mark)
    source = GeneratedStream(size)
    started = time.monotonic()
    file.upload_file(source, length=size, max_concurrency=upload_concurrency)
    upload_seconds = time.monotonic() - started

    sampler.enter(f"{phase_prefix}download", reset_high_water_mark)
    received = hashlib.sha256()
    count = 0
    started = time.monotonic()
    for piece in file.download_file(max_concurrency=download_concurrency).chunks():
        received.update(piece)
        count += len(piece)
    download_seconds = time.monotonic() - started
    if count != size or received.digest() != source.digest.digest():
        raise ValueError(f"download differs from upload: {count} bytes, sha256 {received.hexdigest()} "
                         f"!= {source.digest.hexdigest()}")
    return dict(
        upload_seconds=round(upload_seconds, 2), download_seconds=round(download_seconds, 2),
        upload_mib_s=round(size / MiB / upload_seconds, 1),
        download_mib_s=round(size / MiB / download_seconds, 1),
        sha256=received.hexdigest(),
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"sharecore serve exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    process.kill()
    sys.exit(f"sharecore serve did not listen on {port}:\n{log.read_text(errors='replace')}")


def machine() -> str:
    cpu = "unknown CPU"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = next((line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")), "0")
    return f"{cpu}, {os.cpu_count()} CPUs, {int(memory) // (1 << 20)} GiB RAM, Linux {platform.release()}"


def mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=str(REPO / ".build" / "release" / "sharecore"), help="the sharecore binary")
    parser.add_argument("--size", type=parse_size, default=2 << 30, help="file size (default 2GiB)")
    parser.add_argument("--port", type=int, default=0, help="FileREST port (default: a free one)")
    parser.add_argument("--data", help="data directory (default: a fresh temporary one, deleted afterwards)")
    parser.add_argument("--durability", default="fast", choices=["fast", "full"])
    parser.add_argument("--upload-concurrency", type=int, default=4, help="Put Range requests in flight")
    parser.add_argument("--download-concurrency", type=int, default=1,
                        help="ranged GETs in flight (above 1 the client buffers out-of-order ranges)")
    parser.add_argument("--check", action="store_true", help="run `sharecore check` on the store afterwards")
    parser.add_argument("--json", action="store_true", help="also print the results as one JSON object")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="sharecore-memory-"))
    data = Path(args.data) if args.data else work / "data"
    log = work / "server.log"
    port = args.port or free_port()
    command = [args.bin, "serve", "--data", str(data), "--durability", args.durability, "--file-port", str(port),
               "--s3-port", "0", "--log-level", "warning"]
    with open(log, "wb") as log_file:
        server = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    sampler = Sampler(server.pid)
    results: dict = {"machine": machine(), "command": " ".join(command), "size": args.size}
    try:
        wait_for(port, server, log)
        sampler.start()
        time.sleep(0.5)
        conn = (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
                f"FileEndpoint=http://127.0.0.1:{port}/{ACCOUNT};")
        service = ShareServiceClient.from_connection_string(conn, max_range_size=4 * MiB)
        share = service.create_share(f"memory-{os.getpid()}")
        file = share.get_file_client("big.bin")
        try:
            results.update(stream_through_filerest(file, args.size, sampler, args.upload_concurrency,
                                                   args.download_concurrency))
        except ValueError as error:
            sys.exit(str(error))
        sampler.enter("after")
        time.sleep(0.5)
        sampler.stop()
        results.update(peaks_kib=sampler.peaks, final_kib=sampler.last)
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                results["exit_status"] = server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                results["exit_status"] = "killed after 30 s"
        if args.check and "sha256" in results:
            check = subprocess.run([args.bin, "check", "--data", str(data)], capture_output=True, text=True)
            results["check"] = check.stdout.strip().splitlines()[-1:] or [check.stderr.strip()]
        if not args.data:
            shutil.rmtree(work, ignore_errors=True)

    print(f"machine:  {results['machine']}")
    print(f"command:  {results['command']}")
    print(f"file:     {args.size / MiB:.0f} MiB, sha256 {results['sha256']} (download matches upload)")
    print(f"upload:   {results['upload_seconds']} s, {results['upload_mib_s']} MiB/s "
          f"({args.upload_concurrency} ranges of 4 MiB in flight)")
    print(f"download: {results['download_seconds']} s, {results['download_mib_s']} MiB/s "
          f"({args.download_concurrency} GET in flight)")
    print(f"{'phase':10} {'VmRSS':>12} {'RssAnon':>12} {'RssFile':>12} {'VmHWM':>12}")
    for phase in ("idle", "upload", "download", "after"):
        peak = sampler.peaks.get(phase, {})
        print(f"{phase:10} {mib(peak.get('VmRSS', 0)):>12} {mib(peak.get('RssAnon', 0)):>12} "
              f"{mib(peak.get('RssFile', 0)):>12} {mib(peak.get('VmHWM', 0)):>12}")
    peak = max(max(p.get("VmRSS", 0), p.get("VmHWM", 0)) for p in sampler.peaks.values())
    results["peak_rss_mib"] = round(peak / 1024, 1)
    print(f"peak RSS: {mib(peak)} (the largest VmRSS sample or VmHWM; goal: under 200 MiB)")
    print(f"server exit status after SIGTERM: {results.get('exit_status')}")
    if "check" in results:
        print(f"check: {results['check'][0] if results['check'] else ''}")
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
