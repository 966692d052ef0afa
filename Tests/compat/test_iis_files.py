"""IIS Files front: /api/files with `requests`, as deployment scripts and the IIS Web Manager
use it (access token, `?id=` routes, raw backslashes in physical_path=, HAL links, paging)."""

import re

import pytest
import requests

from compat_helpers import ACCOUNT, unique_name
from iis_helpers import HAL, IIS, problem

ID = re.compile(r"^[A-Za-z0-9_-]+$")


@pytest.fixture(scope="module")
def iis(server):
    return IIS(server.iis_endpoint, server.admin_token)


@pytest.fixture
def site(iis):
    """A read-write location on a fresh share: its model."""
    return iis.add_location(unique_name("iis"))


def test_token_is_required_on_every_api_route(iis):
    for method, path in [("GET", "/api/files"), ("POST", "/api/files"), ("GET", "/api/files/locations"),
                         ("GET", "/api/files/abc"), ("PUT", "/api/files/content/abc"), ("POST", "/api/files/copy"),
                         ("GET", "/api/webserver/websites")]:
        for headers in [{}, {"Access-Token": "Bearer wrong"}, {"Authorization": "Basic eDp5"}]:
            response = requests.request(method, iis.url(path), headers=headers)
            assert response.status_code == 403, (method, path, headers)
            assert response.headers["WWW-Authenticate"] == "Bearer"
            body = problem(response)
            assert body == {"title": "Unauthorized", "authentication_scheme": "Bearer", "status": 403}
    # Authorization: Bearer works too, the scheme in any case.
    response = requests.get(iis.url("/api/files"), headers={"Authorization": f"bearer {iis.token}"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=0"


def test_roots_are_the_readable_locations(iis, site):
    roots = iis.get("/api/files").json()["files"]
    mine = [root for root in roots if root["id"] == site["id"]]
    assert mine == [{"name": "site", "id": site["id"], "type": "directory", "physical_path": site["path"]}]
    # name= filters roots by their last segment; a write-only location is not listed.
    hidden = iis.add_location(unique_name("iis"), directory="wonly", claims=["write"])
    names = [root["id"] for root in iis.get("/api/files", params={"name": "ONL"}).json()["files"]]
    assert hidden["id"] not in names
    assert iis.get("/api/files", params={"name": "SIT"}).status_code == 200


def test_directory_and_file_models(iis, site):
    directory = iis.get(f"/api/files/{site['id']}").json()
    assert directory["type"] == "directory"
    assert directory["physical_path"] == site["path"]
    assert directory["alias"] == site["alias"]
    assert directory["parent"] is None
    assert directory["claims"] == ["read", "write"]
    assert directory["exists"] is True
    assert directory["total_files"] == 0
    made = iis.create(site["id"], "page.html")
    assert ID.match(made["id"])
    assert list(made) == ["name", "id", "type", "physical_path", "exists", "size", "created", "last_modified",
                          "last_access", "mime_type", "e_tag", "parent", "claims"]
    assert made["mime_type"] == "text/html"
    assert made["physical_path"] == site["path"] + "\\page.html"
    assert made["parent"]["id"] == site["id"]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$", made["created"])
    assert re.match(r"^[0-9a-f]+$", made["e_tag"])
    # The same path always gives the same id, whatever its case.
    again = iis.get("/api/files", params={"physical_path": site["path"] + "\\PAGE.HTML"}).json()
    assert again["id"] == made["id"]
    assert again["name"] == "page.html"
    assert iis.get(f"/api/files/{site['id']}").json()["total_files"] == 1


def test_hal_links_when_asked(iis, site):
    made = iis.create(site["id"], "a.txt")
    plain = iis.get(f"/api/files/{made['id']}")
    assert "_links" not in plain.json()
    hal = iis.get(f"/api/files/{made['id']}", headers=HAL)
    assert hal.headers["Content-Type"].startswith("application/hal+json")
    links = hal.json()["_links"]
    assert list(links) == ["content", "copy", "downloads", "move", "self"]
    assert links["self"]["href"] == f"/api/files/{made['id']}"
    assert links["content"]["href"] == f"/api/files/content/{made['id']}"
    directory = iis.get(f"/api/files/{site['id']}", headers=HAL).json()["_links"]
    assert directory["files"]["href"] == f"/api/files?parent.id={site['id']}"
    child = iis.get("/api/files", params={"parent.id": site["id"]}, headers=HAL).json()["files"][0]
    assert list(child["_links"]) == ["self"]


def test_children_order_filters_fields_and_paging(iis, site):
    for name in ["b.txt", "a.txt", "c.log"]:
        iis.create(site["id"], name)
    iis.create(site["id"], "zdir", "directory")
    children = iis.children(site["id"])
    assert [c["name"] for c in children][0] == "zdir"
    assert sorted(c["name"] for c in children[1:]) == ["a.txt", "b.txt", "c.log"]
    assert "total_files" not in children[0]
    assert [c["name"] for c in iis.children(site["id"], name="TXT")] == [c["name"] for c in children if c["name"].endswith(".txt")]
    slim = iis.children(site["id"], fields="name,parent.name")
    assert slim[0] == {"name": "zdir", "id": children[0]["id"], "parent": {"name": "site", "id": site["id"]}}
    response = iis.get("/api/files", params={"parent.id": site["id"]}, headers={"Range": "files=1-2"})
    assert response.status_code == 200
    assert response.headers["Content-Range"] == "1-2/4"
    assert response.headers["X-Total-Count"] == "2"
    assert response.headers["Accept-Ranges"] == "files"
    assert [c["id"] for c in response.json()["files"]] == [c["id"] for c in children[1:3]]
    for bad in ["files=3-4", "files=2-1", "files=1-", "items=0-1"]:
        response = iis.get("/api/files", params={"parent.id": site["id"]}, headers={"Range": bad})
        assert response.status_code == 416, bad
        assert problem(response) == {"title": "Invalid Range", "status": 416}
    head = iis.head("/api/files", params={"parent.id": site["id"]})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["X-Total-Count"] == "4"


def test_web_manager_query_forms_and_raw_backslashes(iis, site):
    made = iis.create(site["id"], "q.txt")
    assert iis.get("/api/files", params={"id": made["id"]}).json()["name"] == "q.txt"
    iis.upload(made["id"], b"hello")
    assert iis.get("/api/files/content", params={"id": made["id"]}).content == b"hello"
    renamed = iis.patch(f"/api/files?id={made['id']}", json={"name": "r.txt"})
    assert renamed.status_code == 209
    # Browsers send backslashes unencoded in the query string.
    status, _, body = iis.raw_get("/api/files?physical_path=" + site["path"] + "\\r.txt")
    assert status == 200, body
    assert b'"name":"r.txt"' in body
    assert iis.delete(f"/api/files?id={renamed.json()['id']}").status_code == 204
    status, _, _ = iis.raw_get("/api/files?physical_path=" + site["path"] + "\\r.txt")
    assert status == 404
    # Forward slashes are accepted for backslashes.
    forward = site["path"].replace("\\", "/")
    assert iis.get("/api/files", params={"physical_path": forward}).json()["id"] == site["id"]


def test_physical_path_errors(iis, site):
    response = iis.get("/api/files", params={"physical_path": "C:\\inetpub"})
    assert response.status_code == 400 and problem(response)["name"] == "physical_path"
    response = iis.get("/api/files", params={"physical_path": site["path"] + "\\missing"})
    assert response.status_code == 404
    assert problem(response) == {"title": "Not found", "name": "physical_path", "status": 404}
    share_root = site["path"].rsplit("\\", 1)[0]
    response = iis.get("/api/files", params={"physical_path": share_root})
    assert response.status_code == 403
    assert problem(response) == {"title": "Forbidden", "name": share_root, "status": 403}
    response = iis.get("/api/files", params={"physical_path": site["path"] + "\\..\\elsewhere"})
    assert response.status_code == 403


def test_create_errors_change_nothing(iis, site):
    pid = site["id"]
    cases = [
        (None, 415, {"title": "Invalid JSON request object", "status": 415}),
        ({"name": "a", "type": "file"}, 400, {"title": "Invalid parameter", "name": "parent", "status": 400}),
        ({"parent": "x", "name": "a", "type": "file"}, 400,
         {"title": "Invalid parameter", "name": "parent", "detail": "Expected object", "status": 400}),
        ({"parent": {}, "name": "a", "type": "file"}, 400, {"title": "Invalid parameter", "name": "parent.id", "status": 400}),
        ({"parent": {"id": pid}, "name": "a?", "type": "file"}, 400, {"title": "Invalid parameter", "name": "model.name", "status": 400}),
        ({"parent": {"id": pid}, "name": "a.", "type": "file"}, 400, {"title": "Invalid parameter", "name": "model.name", "status": 400}),
        ({"parent": {"id": pid}, "name": "a", "type": "pipe"}, 400, {"title": "Invalid parameter", "name": "model.type", "status": 400}),
        ({"parent": {"id": "bm9wZQ"}, "name": "a", "type": "file"}, 404, {"title": "Not found", "name": "parent", "status": 404}),
    ]
    for body, status, expected in cases:
        response = iis.http.post(iis.url("/api/files"), data=b"null" if body is None else None, json=body,
                                 headers={"Content-Type": "application/json"})
        assert response.status_code == status, (body, response.text)
        assert problem(response) == expected
    response = iis.http.post(iis.url("/api/files"), data=b"{oops", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert iis.children(pid) == []
    iis.create(pid, "dup", "directory")
    response = iis.post("/api/files", json={"parent": {"id": pid}, "name": "DUP", "type": "file"})
    assert response.status_code == 409
    assert problem(response) == {"title": "Conflict", "detail": "Already exists", "name": "name", "status": 409}


def test_patch_rename_and_times(iis, site):
    made = iis.create(site["id"], "old.txt")
    response = iis.patch(f"/api/files/{made['id']}", json={"name": "new.txt", "last_modified": "2020-05-06T07:08:09Z",
                                                           "last_access": "2021-01-01T00:00:00.25Z"})
    assert response.status_code == 209
    body = response.json()
    assert response.headers["Location"] == f"/api/files/{body['id']}"
    assert body["id"] != made["id"]
    assert body["name"] == "new.txt"
    assert body["last_modified"] == "2020-05-06T07:08:09.0000000Z"
    assert body["last_access"] == "2021-01-01T00:00:00.2500000Z"
    # Case-only rename is a no-op: same id, 200.
    same = iis.patch(f"/api/files/{body['id']}", json={"name": "NEW.txt"})
    assert same.status_code == 200 and same.json()["id"] == body["id"]
    iis.create(site["id"], "taken.txt")
    response = iis.patch(f"/api/files/{body['id']}", json={"name": "taken.txt"})
    assert response.status_code == 409 and problem(response)["name"] == "name"
    response = iis.patch(f"/api/files/{body['id']}", json={"name": "bad|name"})
    assert response.status_code == 400 and problem(response)["name"] == "name"
    response = iis.patch(f"/api/files/{body['id']}", json={"created": "yesterday"})
    assert response.status_code == 400 and problem(response)["name"] == "created"
    assert iis.patch(f"/api/files/{made['id']}", json={"name": "x"}).status_code == 404


def test_delete_is_recursive_idempotent_and_spares_location_roots(iis, site):
    top = iis.create(site["id"], "top", "directory")
    sub = iis.create(top["id"], "sub", "directory")
    leaf = iis.create(sub["id"], "leaf.txt")
    iis.upload(leaf["id"], b"x" * 100)
    assert iis.delete(f"/api/files/{top['id']}").status_code == 204
    assert iis.delete(f"/api/files/{top['id']}").status_code == 204
    assert iis.get(f"/api/files/{leaf['id']}").status_code == 404
    response = iis.delete(f"/api/files/{site['id']}")
    assert response.status_code == 403
    assert problem(response)["detail"] == "Location root"


def test_unknown_and_forged_ids(iis, site):
    for forged in ["nope", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "..%2F..%2Fetc", "%2e%2e"]:
        response = iis.get(f"/api/files/{forged}")
        assert response.status_code == 404, forged
    # A file id with one character changed opens nothing.
    made = iis.create(site["id"], "f.txt")
    tampered = made["id"][:-2] + ("A" if made["id"][-2] != "A" else "B") + made["id"][-1]
    assert iis.get(f"/api/files/{tampered}").status_code == 404
    assert iis.get("/api/nothing").status_code == 404
    response = iis.put("/api/files")
    assert response.status_code == 405
    assert problem(response)["title"] == "Not Allowed"
