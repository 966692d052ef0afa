"""IIS Files front: a large chunked upload and its download stream through the server without
holding the body (the server's anonymous memory, RssAnon in /proc, stays flat). Linux only."""

import os
import threading
import time
import urllib.request

import pytest
import requests

from compat_helpers import MiB
from iis_helpers import IIS

SIZE = 512 * MiB
CHUNK = 256 * MiB


def _rss_anon_mib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) // 1024
    raise AssertionError("no RssAnon line")


class Peak:
    """Samples the server's RssAnon while a block runs."""

    def __init__(self, pid: int):
        self.pid = pid
        self.before = _rss_anon_mib(pid)
        self.peak = self.before
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run)

    def _run(self):
        while not self.done.is_set():
            self.peak = max(self.peak, _rss_anon_mib(self.pid))
            time.sleep(0.02)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()

    @property
    def growth(self) -> int:
        return self.peak - self.before


def _body(size: int):
    block = b"\x6b" * MiB
    for _ in range(size // MiB):
        yield block


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads the server's memory from /proc (Linux)")
def test_chunked_upload_and_download_keep_memory_flat(server_factory):
    server = server_factory.start(server_factory.data_dir("iis-memory"))
    iis = IIS(server.iis_endpoint, server.admin_token)
    root = iis.add_location("bigshare", directory="")
    made = iis.create(root["id"], "big.bin")
    pid = server.process.pid
    with Peak(pid) as upload:
        for start in range(0, SIZE, CHUNK):
            end = start + CHUNK - 1
            # urllib sends the generator with the given Content-Length, 1 MiB at a time.
            request = urllib.request.Request(iis.url(f"/api/files/content/{made['id']}"), data=_body(CHUNK), method="PUT",
                                             headers={"Content-Range": f"bytes {start}-{end}/{SIZE}",
                                                      "Content-Length": str(CHUNK), "Access-Token": f"Bearer {iis.token}"})
            with urllib.request.urlopen(request) as response:
                assert response.status == 200
    assert iis.get(f"/api/files/{made['id']}").json()["size"] == SIZE
    assert upload.growth < 96, f"RssAnon grew by {upload.growth} MiB during a {SIZE // MiB} MiB upload"
    with Peak(pid) as download:
        total = 0
        with requests.get(iis.url(f"/api/files/content/{made['id']}"), headers={"Access-Token": f"Bearer {iis.token}"},
                          stream=True) as response:
            assert response.status_code == 200
            for piece in response.iter_content(MiB):
                total += len(piece)
        assert total == SIZE
    assert download.growth < 96, f"RssAnon grew by {download.growth} MiB during a {SIZE // MiB} MiB download"
    server_factory.stop(server)
