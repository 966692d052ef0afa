#!/usr/bin/env python3
"""The power-loss mode of `make crash-test`: simulated power cuts that keep only what was synced
(issue #10, "Keep the probes").

A kill -9 loses nothing the kernel already holds; a power cut also loses what the kernel had not
written to the disk. To simulate one, `sharecore serve` runs under an LD_PRELOAD shim
(`powerloss_shim.c`, compiled here with cc) that logs every write, pwrite, writev, ftruncate,
fsync and fdatasync to the store's `data.mdb`, with offsets, data and a CLOCK_MONOTONIC time,
while 8 writers (the crash test's mix: S3 puts, deletes, copies and multipart uploads, FileREST
uploads, share snapshots) load it. The server is then killed, and for each of several random
cut points in the log the test builds the file a power cut at that moment could have left:

- every write logged before the last completed fsync/fdatasync, and every write on a descriptor
  opened O_DSYNC (LMDB's meta page in `full` durability), in log order; plus
- a random subset of the writes after that last sync, each torn at 4 KiB page granularity
  (every page of such a write is kept or dropped on its own).

On that state `sharecore check` must report the store sound, and the server must start and hold
every write acknowledged to a client before the durable horizon, and for every other key a value
that was acknowledged or in flight (never anything else):

- `full`: the horizon is the cut itself. A client sees success only after the commit's data
  was fdatasync'ed and its meta page written O_DSYNC, both of which the log shows before the cut.
- `fast` (MDB_NOMETASYNC): a commit's meta page is synced by the next commit's fdatasync, so the
  last commits may be lost; the horizon is the last fdatasync before the cut: a write
  acknowledged before it was committed by an earlier transaction, whose meta page that sync made
  durable.

Client and shim times share CLOCK_MONOTONIC (Python's time.monotonic), so "acknowledged before"
compares the time the client saw success with the time of the log record.

In `fast` the test also counts, without failing on it, what `full` would have kept and the cut
lost: the keys that hold something other than their last write acknowledged by the cut itself
(or a write in flight), and the snapshots acknowledged by the cut that are gone. The summary
says how many cuts lost an acknowledged write: the price of `fast`'s one sync per commit
(docs/PERFORMANCE.md, issue #14).

    python3 Tests/reliability/power_loss_test.py --durability full --runs 1 --cuts 3
"""

import argparse
import mmap
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crash_test  # noqa: E402  (the server, the writers and the read-back are shared)
from crash_test import ABSENT, BUCKET  # noqa: E402

WRITE, SYNCED_WRITE, SYNC, TRUNCATE, MSYNC, SHARED_MMAP = 1, 2, 3, 4, 5, 6
RECORD = struct.Struct("<IIQQQ")
DATA_FILE = 0
PAGE = 4096
HERE = os.path.dirname(os.path.abspath(__file__))


class Record:
    __slots__ = ("op", "file", "offset", "length", "time", "data")

    def __init__(self, op, file, offset, length, time_ns, data):
        self.op, self.file, self.offset, self.length = op, file, offset, length
        self.time = time_ns / 1e9
        self.data = data  # position of the data in the log


def read_log(path):
    """The complete records of the shim's log (a record cut short by the kill is dropped)."""
    records = []
    with open(path, "rb") as f:
        log = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if os.path.getsize(path) else b""
    position = 0
    while position + RECORD.size <= len(log):
        op, file, offset, length, time_ns = RECORD.unpack_from(log, position)
        data = position + RECORD.size
        carries = op in (WRITE, SYNCED_WRITE)
        if carries and data + length > len(log):
            break
        records.append(Record(op, file, offset, length, time_ns, data))
        position = data + (length if carries else 0)
    return log, records


class TimedLedger:
    """Every write of every key with the times it began and was acknowledged, so that what a key
    may hold can be asked for any cut point. Same interface as the crash test's Ledger."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ops = {}        # key -> [[begun at, acknowledged at or None, begun as, acknowledged as]]
        self.snapshots = []  # (acknowledged at, snapshot)
        self.count = 0

    def begin(self, key, digest):
        with self.lock:
            self.ops.setdefault(key, []).append([time.monotonic(), None, digest, digest])

    def ack(self, key, digest, begun=None):
        now = time.monotonic()
        begun = digest if begun is None else begun
        with self.lock:
            for op in reversed(self.ops.get(key, [])):
                if op[1] is None and op[2] == begun:
                    op[1], op[3] = now, digest
                    break
            self.count += 1

    def ack_snapshot(self, snapshot):
        with self.lock:
            self.snapshots.append((time.monotonic(), snapshot))

    def allowed(self, key, cut, horizon):
        """What `key` may hold after a power cut at `cut` whose durable horizon is `horizon`: the
        last write acknowledged by the horizon, or any write begun by the cut and not
        acknowledged by the horizon ("*" allows anything: an Upload File in flight)."""
        with self.lock:
            ops = [op for op in self.ops.get(key, []) if op[0] <= cut]
        last = None
        for index, op in enumerate(ops):
            if op[1] is not None and op[1] <= horizon:
                last = index
        allowed = {ops[last][3] if last is not None else ABSENT}
        for index, op in enumerate(ops):
            if op[1] is None or (op[1] > horizon and (last is None or index > last)):
                allowed |= {op[2], op[3]}
        return allowed

    def acknowledged_by(self, horizon):
        with self.lock:
            writes = sum(1 for ops in self.ops.values() for op in ops if op[1] is not None and op[1] <= horizon)
            snapshots = [snapshot for at, snapshot in self.snapshots if at <= horizon]
        return writes, snapshots


def compile_shim(work):
    shim = os.path.join(work, "powerloss_shim.so")
    subprocess.run([os.environ.get("CC", "cc"), "-shared", "-fPIC", "-O2", "-o", shim,
                    os.path.join(HERE, "powerloss_shim.c"), "-ldl", "-lpthread"], check=True)
    return shim


def apply(image, log, record, rng=None):
    """Applies `record` to the open file `image`; with `rng`, an unsynced write is torn: each of
    its pages is kept or dropped at random. Returns the pages kept and dropped."""
    if record.op == TRUNCATE:
        if rng is None or rng.random() < 0.5:
            image.truncate(record.offset)
            return 1, 0
        return 0, 1
    if record.op not in (WRITE, SYNCED_WRITE):
        return 0, 0
    if rng is None or record.op == SYNCED_WRITE:
        image.seek(record.offset)
        image.write(log[record.data:record.data + record.length])
        return 0, 0
    kept = dropped = 0
    start, end = record.offset, record.offset + record.length
    while start < end:
        stop = min((start // PAGE + 1) * PAGE, end)
        if rng.random() < 0.5:
            image.seek(start)
            image.write(log[record.data + start - record.offset:record.data + stop - record.offset])
            kept += 1
        else:
            dropped += 1
        start = stop
    return kept, dropped


def load(args, run, shim, work, server_log):
    """Runs the writers against a server under the shim; returns its data directory, the log's
    path, the ledger and the time the bucket was acknowledged."""
    data = os.path.join(work, f"run{run}", "data")
    log_path = os.path.join(work, f"run{run}", "writes.log")
    os.makedirs(data)
    env = dict(os.environ, LD_PRELOAD=shim, POWERLOSS_LOG=log_path)
    server = crash_test.Server(args.binary, data, args.durability, server_log, env=env)
    ledger = TimedLedger()
    ledger.begin("bucket", "created")
    server.s3().create_bucket(Bucket=BUCKET)
    ledger.ack("bucket", "created")
    ready = time.monotonic()
    stop = threading.Event()
    errors = []
    threads = [threading.Thread(target=crash_test.writer, args=(server, ledger, stop, run * 100 + i, errors))
               for i in range(args.writers)]
    for thread in threads:
        thread.start()
    time.sleep(args.rng.uniform(args.load_seconds / 2, args.load_seconds))
    # On a slow or busy machine the first commits can take a while: cut only a log that has
    # some acknowledged writes to check.
    deadline = time.monotonic() + 60
    while ledger.count < 1 + args.writers and time.monotonic() < deadline:
        time.sleep(0.1)
    server.kill()
    stop.set()
    for thread in threads:
        thread.join()
    return data, log_path, ledger, ready


def verify_cut(args, image, ledger, cut, horizon, label, lost=None):
    """Checks the store in `image` and reads every key back; the failures, as messages. When
    `lost` is a dict (fast), it also counts there the acknowledged writes ("writes") and
    snapshots ("snapshots") the cut lost against the cut itself as the horizon (full's promise)."""
    check = subprocess.run([args.binary, "check", "--data", image], capture_output=True, text=True)
    if check.returncode != 0:
        return [f"{label}: sharecore check failed:\n{check.stdout}{check.stderr}"]
    failures = []
    with open(os.path.join(image, "server.log"), "ab") as log:
        server = crash_test.Server(args.binary, image, args.durability, log)
        try:
            for key in sorted(ledger.ops):
                if key == "bucket":
                    continue
                allowed = ledger.allowed(key, cut, horizon)
                found = crash_test.read_back(server, key, key.startswith("f"))
                if "*" not in allowed and found not in allowed:
                    failures.append(f"{label}: {key} holds {found}, expected one of {sorted(allowed)}")
                elif lost is not None:
                    promised = ledger.allowed(key, cut, cut)
                    lost["writes"] += "*" not in promised and found not in promised
            _, snapshots = ledger.acknowledged_by(horizon)
            listed = {share.snapshot for share in server.files().list_shares(include_snapshots=True)
                      if share.name == BUCKET and share.snapshot}
            failures += [f"{label}: acknowledged snapshot {s} is gone" for s in snapshots if s not in listed]
            if lost is not None:
                lost["snapshots"] += sum(1 for s in ledger.acknowledged_by(cut)[1] if s not in listed)
        finally:
            server.kill()
    return failures


def power_cuts(args, run, data, log_path, ledger, ready, work):
    """Replays the log up to random cut points and verifies each state; returns the failures."""
    log, records = read_log(log_path)
    counts = {name: sum(1 for r in records if r.file == DATA_FILE and r.op == op)
              for name, op in (("writes", WRITE), ("O_DSYNC writes", SYNCED_WRITE), ("syncs", SYNC))}
    print(f"run {run}: data.mdb log: " + ", ".join(f"{n} {name}" for name, n in counts.items()), flush=True)
    if any(r.op == SHARED_MMAP for r in records):
        return [f"run {run}: data.mdb was mapped writable and shared: its writes bypass the log"]
    # Cut points: after the bucket was durable (for fast: after a sync that follows it), and
    # always one at the end of the log (the moment of the kill).
    first = next((i for i, r in enumerate(records) if r.time > ready and
                  (args.durability == "full" or (r.op == SYNC and r.file == DATA_FILE))), None)
    if first is None:
        return [f"run {run}: the log has no record after the bucket was created"]
    candidates = range(first, len(records) - 1)
    cuts = sorted(set(args.rng.sample(candidates, min(args.cuts - 1, len(candidates)))) | {len(records) - 1})
    failures = []
    base_path = os.path.join(work, f"run{run}", "base.mdb")
    pending = []
    last_sync = None
    next_cut = 0
    with open(base_path, "w+b") as base:
        for index, record in enumerate(records):
            if record.file == DATA_FILE:
                if record.op in (WRITE, SYNCED_WRITE, TRUNCATE):
                    pending.append(record)
                elif record.op == SYNC:
                    for earlier in pending:
                        apply(base, log, earlier)
                    pending = []
                    last_sync = record.time
            if next_cut >= len(cuts) or index != cuts[next_cut]:
                continue
            next_cut += 1
            cut = record.time
            horizon = cut if args.durability == "full" else (last_sync or 0.0)
            image = os.path.join(work, f"run{run}", f"cut{index}")
            shutil.copytree(data, image, ignore=shutil.ignore_patterns("data.mdb", "lock.mdb"))
            base.flush()
            shutil.copyfile(base_path, os.path.join(image, "data.mdb"))
            kept = dropped = unsynced = 0
            with open(os.path.join(image, "data.mdb"), "r+b") as f:
                for earlier in pending:
                    unsynced += earlier.op == WRITE
                    k, d = apply(f, log, earlier, args.rng)
                    kept, dropped = kept + k, dropped + d
            label = f"run {run} cut at record {index}/{len(records)} (+{cut - ready:.2f} s)"
            lost = {"writes": 0, "snapshots": 0} if args.durability == "fast" else None
            found = verify_cut(args, image, ledger, cut, horizon, label, lost)
            writes, snapshots = ledger.acknowledged_by(horizon)
            print(f"{label}: {writes} writes and {len(snapshots)} snapshots acknowledged by the durable "
                  f"horizon (+{horizon - ready:.2f} s); {unsynced} unsynced writes replayed torn "
                  f"({kept} pages kept, {dropped} dropped); "
                  + ("check sound, everything read back" if not found else f"{len(found)} FAILURE(S)")
                  + (f"; acknowledged by the cut but lost (fast): {lost['writes']} writes, "
                     f"{lost['snapshots']} snapshots" if lost is not None else ""), flush=True)
            if lost is not None:
                args.totals["lost_writes"] += lost["writes"]
                args.totals["lost_snapshots"] += lost["snapshots"]
                args.totals["cuts_losing"] += bool(lost["writes"] or lost["snapshots"])
            args.totals["cuts"] += 1
            args.totals["writes"] += writes
            args.totals["snapshots"] += len(snapshots)
            if found:
                failures += found
                print(f"kept the state for investigation: {image}", flush=True)
                args.keep = True
            else:
                shutil.rmtree(image, ignore_errors=True)
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--durability", choices=["full", "fast"], default="full")
    parser.add_argument("--runs", type=int, default=1, help="loaded server runs, each killed and then cut")
    parser.add_argument("--cuts", type=int, default=3, help="power cuts replayed from each run's log")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--load-seconds", type=float, default=3.0, help="longest load before the kill")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--binary", default=os.environ.get("SHARECORE_BIN", ".build/debug/sharecore"))
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    args.rng = random.Random(args.seed)
    args.totals = {"cuts": 0, "writes": 0, "snapshots": 0, "cuts_losing": 0, "lost_writes": 0, "lost_snapshots": 0}
    work = tempfile.mkdtemp(prefix="sharecore-powerloss-")
    print(f"power-loss test: {args.runs} runs x {args.cuts} cuts, durability {args.durability}, "
          f"seed {args.seed}, in {work}", flush=True)
    shim = compile_shim(work)
    failures = []
    with open(os.path.join(work, "server.log"), "ab") as server_log:
        for run in range(args.runs):
            data, log_path, ledger, ready = load(args, run, shim, work, server_log)
            failures += power_cuts(args, run, data, log_path, ledger, ready, work)
            if failures:
                break
            if not args.keep:
                shutil.rmtree(os.path.join(work, f"run{run}"), ignore_errors=True)
    for failure in failures:
        print("FAIL:", failure)
    totals = args.totals
    print(f"power-loss test: durability {args.durability}, seed {args.seed}: {totals['cuts']} power cuts, "
          f"{totals['writes']} acknowledged writes and {totals['snapshots']} snapshots checked "
          f"(summed over the cuts), " + ("nothing lost, store sound" if not failures else f"{len(failures)} failure(s)"))
    if args.durability == "fast":
        print(f"power-loss test: durability fast: {totals['cuts_losing']} of {totals['cuts']} cuts lost a write or "
              f"snapshot acknowledged before the cut ({totals['lost_writes']} writes, {totals['lost_snapshots']} "
              f"snapshots in all; allowed in fast, where the horizon is the last fdatasync; full keeps them)")
    if not args.keep and not failures:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
