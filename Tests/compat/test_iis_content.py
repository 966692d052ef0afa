"""IIS Files front: /api/files/content (byte ranges, Content-Range chunk uploads with the
truncate rules, preconditions) and copy/move operations polled until they are gone."""

import email.utils
import time

import pytest

from compat_helpers import MiB, pattern, unique_name
from iis_helpers import HAL, IIS, problem


@pytest.fixture(scope="module")
def iis(server):
    return IIS(server.iis_endpoint, server.admin_token)


@pytest.fixture
def site(iis):
    return iis.add_location(unique_name("iis"))


def test_chunked_upload_of_2_mib_pieces_and_ranged_reads(iis, site):
    data = pattern(5 * MiB + 123)
    made = iis.create(site["id"], "big.bin")
    iis.upload(made["id"], data)
    whole = iis.get(f"/api/files/content/{made['id']}")
    assert whole.status_code == 200
    assert whole.content == data
    assert whole.headers["Content-Type"] == "application/octet-stream"
    assert whole.headers["Content-Disposition"] == "attachment;filename=big.bin"
    assert whole.headers["Accept-Ranges"] == "bytes"
    info = iis.get(f"/api/files/{made['id']}").json()
    assert info["size"] == len(data)
    assert whole.headers["ETag"] == info["e_tag"]
    assert "rel=\"meta\"" in whole.headers["Link"]
    part = iis.get(f"/api/files/content/{made['id']}", headers={"Range": "bytes=3000000-3000099"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"3000000-3000099/{len(data)}"
    assert part.content == data[3000000:3000100]
    for bad in ["bytes=5-", "bytes=-5", f"bytes=0-{len(data)}", "bytes=0-1,4-5", "bytes=9-3"]:
        response = iis.get(f"/api/files/content/{made['id']}", headers={"Range": bad})
        assert response.status_code == 416, bad
        assert problem(response) == {"title": "Invalid Range", "status": 416}
    # If-Range with another ETag gives the whole file.
    response = iis.get(f"/api/files/content/{made['id']}", headers={"Range": "bytes=0-0", "If-Range": "other"})
    assert response.status_code == 200 and len(response.content) == len(data)
    head = iis.head(f"/api/files/content/{made['id']}")
    assert head.status_code == 200 and head.headers["Content-Length"] == str(len(data)) and head.content == b""
    assert iis.head(f"/api/files/content/{made['id']}", headers={"If-None-Match": info["e_tag"]}).status_code == 304


def test_chunk_rules_edit_in_place_truncate_and_extend(iis, site):
    made = iis.create(site["id"], "edit.txt")
    fid = made["id"]
    iis.upload(fid, b"0123456789")
    # The docs' example: edit bytes 2-4 of the file (not the last chunk: length stays).
    response = iis.put(f"/api/files/content/{fid}", data=b"abc", headers={"Content-Range": "bytes 2-4/10"})
    assert response.status_code == 200 and response.content == b""
    assert iis.get(f"/api/files/content/{fid}").content == b"01abc56789"
    # A last chunk (E == T-1) sets the length to T: truncates...
    iis.put(f"/api/files/content/{fid}", data=b"XY", headers={"Content-Range": "bytes 4-5/6"})
    assert iis.get(f"/api/files/content/{fid}").content == b"01abXY"
    # ...or grows; a whole PUT replaces everything.
    iis.put(f"/api/files/content/{fid}", data=b"!", headers={"Content-Range": "bytes 6-6/7"})
    assert iis.get(f"/api/files/content/{fid}").content == b"01abXY!"
    iis.put(f"/api/files/content/{fid}", data=b"new")
    assert iis.get(f"/api/files/content/{fid}").content == b"new"
    for headers, name in [({"Content-Range": "bytes 5-6/10"}, "Content-Range"),       # hole before S
                          ({"Content-Range": "0-1/10"}, "Content-Range"),
                          ({"Content-Range": "bytes 2-1/10"}, "Content-Range"),
                          ({"Content-Range": "bytes 0-9/5"}, "Content-Range")]:
        response = iis.put(f"/api/files/content/{fid}", data=b"zz", headers=headers)
        assert response.status_code == 400, headers
        assert problem(response)["name"] == name
    response = iis.put(f"/api/files/content/{fid}", data=b"zzz", headers={"Content-Range": "bytes 0-1/3"})
    assert response.status_code == 400 and problem(response)["name"] == "Content-Length"
    assert iis.get(f"/api/files/content/{fid}").content == b"new"
    # Directories have no content; missing files 404.
    assert iis.get(f"/api/files/content/{site['id']}").status_code == 404
    assert iis.put(f"/api/files/content/{site['id']}", data=b"x").status_code == 404


def test_preconditions(iis, site):
    made = iis.create(site["id"], "p.txt")
    iis.upload(made["id"], b"v1")
    etag = iis.get(f"/api/files/{made['id']}").json()["e_tag"]
    url = f"/api/files/content/{made['id']}"
    for headers, name in [({"If-Match": "0"}, "If-Match"), ({"If-None-Match": etag}, "If-None-Match"),
                          ({"If-None-Match": "*"}, "If-None-Match"),
                          ({"If-Unmodified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}, "If-Unmodified-Since")]:
        response = iis.put(url, data=b"v2", headers=headers)
        assert response.status_code == 412, headers
        assert problem(response) == {"title": "Precondition Failed", "name": name, "status": 412}
    assert iis.get(url).content == b"v1"
    later = email.utils.formatdate(time.time() + 3600, usegmt=True)
    assert iis.put(url, data=b"v2", headers={"If-Match": etag, "If-Unmodified-Since": later}).status_code == 200
    assert iis.get(url).content == b"v2"


def test_copy_file_and_tree_polled_through_links_self(iis, site):
    src = iis.create(site["id"], "src", "directory")
    inner = iis.create(src["id"], "inner", "directory")
    f1 = iis.create(src["id"], "one.txt")
    f2 = iis.create(inner["id"], "two.bin")
    iis.upload(f1["id"], b"one")
    iis.upload(f2["id"], pattern(3 * MiB))
    dest = iis.create(site["id"], "dest", "directory")
    started = iis.post("/api/files/copy", json={"file": {"id": src["id"]}, "parent": {"id": dest["id"]}, "name": "copied"},
                       headers=HAL)
    assert started.status_code == 202
    body = started.json()
    assert started.headers["Location"] == f"/api/files/copy/{body['id']}"
    assert body["status"] == "running"
    assert body["total_size"] == 3 * MiB + 3
    assert body["file"]["name"] == "copied" and body["file"]["type"] == "directory"
    assert body["_links"]["self"]["href"] == f"/api/files/copy/{body['id']}"
    iis.wait_operation(started)
    copied = body["file"]["id"]
    names = {c["name"]: c for c in iis.children(copied)}
    assert set(names) == {"inner", "one.txt"}
    two = iis.children(names["inner"]["id"])[0]
    assert iis.get(f"/api/files/content/{two['id']}").content == pattern(3 * MiB)
    # A file copy onto an existing file replaces it; a file onto a directory is a conflict.
    started = iis.post("/api/files/copy", json={"file": {"id": f1["id"]}, "parent": {"id": inner["id"]}, "name": "two.bin"},
                       headers=HAL)
    iis.wait_operation(started)
    assert iis.get(f"/api/files/content/{f2['id']}").content == b"one"
    response = iis.post("/api/files/copy", json={"file": {"id": f1["id"]}, "parent": {"id": src["id"]}, "name": "inner"})
    assert response.status_code == 409 and problem(response)["name"] == "name"


def test_move_and_copy_errors(iis, site):
    src = iis.create(site["id"], "m", "directory")
    f = iis.create(src["id"], "f.txt")
    other = iis.create(site["id"], "other", "directory")
    started = iis.post("/api/files/move", json={"file": {"id": f["id"]}, "parent": {"id": other["id"]}}, headers=HAL)
    assert started.status_code == 202
    assert started.headers["Location"].startswith("/api/files/move/")
    assert started.json()["_links"]["self"]["href"].startswith("/api/files/move/")
    iis.wait_operation(started)
    assert iis.get(f"/api/files/{f['id']}").status_code == 404
    assert [c["name"] for c in iis.children(other["id"])] == ["f.txt"]
    cases = [
        ({"parent": {"id": other["id"]}}, 400, "file"),
        ({"file": "x", "parent": {"id": other["id"]}}, 400, "file"),
        ({"file": {}, "parent": {"id": other["id"]}}, 400, "file.id"),
        ({"file": {"id": src["id"]}}, 400, "parent"),
        ({"file": {"id": src["id"]}, "parent": {"id": other["id"]}, "name": "a/b"}, 400, "name"),
        ({"file": {"id": "bm9wZQ"}, "parent": {"id": other["id"]}}, 404, "file"),
        ({"file": {"id": src["id"]}, "parent": {"id": "bm9wZQ"}}, 404, "parent"),
    ]
    for body, status, name in cases:
        for kind in ["copy", "move"]:
            response = iis.post(f"/api/files/{kind}", json=body)
            assert response.status_code == status, (kind, body, response.text)
            assert problem(response)["name"] == name
    response = iis.post("/api/files/copy", json={"file": {"id": src["id"]}, "parent": {"id": src["id"]}})
    assert response.status_code == 400
    assert problem(response) == {"title": "Invalid parameter", "name": "parent",
                                 "detail": "The destination folder is a subfolder of the source", "status": 400}
    # A directory moved onto an existing directory is refused at once.
    iis.create(other["id"], "m", "directory")
    response = iis.post("/api/files/move", json={"file": {"id": src["id"]}, "parent": {"id": other["id"]}})
    assert response.status_code == 409
    assert iis.get("/api/files/copy/unknown").status_code == 404
    assert iis.put("/api/files/copy").status_code == 405
    assert iis.patch("/api/files/move", json={}).status_code == 405
