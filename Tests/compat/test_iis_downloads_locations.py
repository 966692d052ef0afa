"""IIS Files front: download links (anonymous, RFC 9110 ranges, expiry), locations (CRUD,
read-only locations refusing every write verb, surviving a restart, `sharecore location`),
and the minimal websites with /api/webserver/files."""

import subprocess
import time

import pytest
import requests

from compat_helpers import ACCOUNT, pattern, unique_name
from iis_helpers import HAL, IIS, problem


@pytest.fixture(scope="module")
def iis(server):
    return IIS(server.iis_endpoint, server.admin_token)


@pytest.fixture
def site(iis):
    return iis.add_location(unique_name("iis"))


def test_download_links_are_anonymous_ranged_and_expire(iis, site):
    data = pattern(100_000)
    made = iis.create(site["id"], "report.pdf")
    iis.upload(made["id"], data)
    created = iis.post("/api/files/downloads", json={"file": {"id": made["id"]}, "ttl": 2000})
    assert created.status_code == 201
    assert created.headers["Pragma"] == "attachment"
    assert created.content == b""
    link = created.headers["Location"]
    assert link.startswith("/downloads/") and len(link) == len("/downloads/") + 43
    anonymous = requests.Session()
    whole = anonymous.get(iis.url(link))
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["Content-Type"] == "application/pdf"
    assert whole.headers["Content-Disposition"] == "attachment;filename=report.pdf"
    assert anonymous.get(iis.url(link + "?inline")).headers["Content-Disposition"] == "inline;filename=report.pdf"
    for header, status, span, content_range in [
        ("bytes=10-19", 206, (10, 20), "bytes 10-19/100000"),
        ("bytes=99990-", 206, (99990, 100000), "bytes 99990-99999/100000"),
        ("bytes=-5", 206, (99995, 100000), "bytes 99995-99999/100000"),
        ("bytes=99999-200000", 206, (99999, 100000), "bytes 99999-99999/100000"),
    ]:
        response = anonymous.get(iis.url(link), headers={"Range": header})
        assert response.status_code == status, header
        assert response.headers["Content-Range"] == content_range
        assert response.content == data[span[0]:span[1]]
    response = anonymous.get(iis.url(link), headers={"Range": "bytes=100000-"})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == "bytes */100000"
    # The docs page's singular route and string ttl work too.
    alias = iis.post("/api/files/download", json={"file": {"id": made["id"]}, "ttl": "60000"})
    assert alias.status_code == 201
    time.sleep(2.2)
    assert anonymous.get(iis.url(link)).status_code == 404
    assert anonymous.get(iis.url(alias.headers["Location"])).status_code == 200
    assert anonymous.delete(iis.url(alias.headers["Location"])).status_code == 204
    assert anonymous.get(iis.url(alias.headers["Location"])).status_code == 404
    assert anonymous.get(iis.url("/downloads/unknown")).status_code == 404


def test_download_errors(iis, site):
    made = iis.create(site["id"], "x.txt")
    for body, status, name in [({"ttl": 5}, 400, "file"), ({"file": {}}, 400, "file.id"),
                               ({"file": {"id": made["id"]}, "ttl": "soon"}, 400, "ttl"),
                               ({"file": {"id": made["id"]}, "ttl": 1.5}, 400, "ttl")]:
        response = iis.post("/api/files/downloads", json=body)
        assert response.status_code == status, body
        assert problem(response)["name"] == name
    response = iis.post("/api/files/downloads", json={"file": {"id": site["id"]}})
    assert response.status_code == 404
    assert problem(response)["name"] == site["path"].lower()
    response = iis.http.post(iis.url("/api/files/downloads"), data=b"null", headers={"Content-Type": "application/json"})
    assert response.status_code == 415
    for method in ["GET", "PUT", "PATCH"]:
        assert iis.http.request(method, iis.url("/api/files/downloads")).status_code == 405


def test_locations_crud(iis):
    share = unique_name("loc")
    path = f"\\\\{ACCOUNT}\\{share}\\a\\b"
    created = iis.post("/api/files/locations", json={"alias": "ab-" + share, "path": path, "claims": ["read"]}, headers=HAL)
    assert created.status_code == 201
    model = created.json()
    assert created.headers["Location"] == f"/api/files/locations/{model['id']}"
    assert {k: model[k] for k in ["alias", "path", "claims"]} == {"alias": "ab-" + share, "path": path, "claims": ["read"]}
    assert model["_links"]["directory"]["href"] == f"/api/files/{model['id']}"
    # The share and directories were created; the location is a root.
    assert iis.get(f"/api/files/{model['id']}").json()["alias"] == "ab-" + share
    assert iis.get(f"/api/files/locations/{model['id']}").json()["path"] == path
    listed = iis.get("/api/files/locations").json()["locations"]
    assert model["id"] in [l["id"] for l in listed]
    lengths = [l["path"].count("\\") for l in listed]
    assert lengths == sorted(lengths, reverse=True)
    for body, status, name in [({"path": path + "2"}, 400, "claims"), ({"path": path + "2", "claims": "read"}, 400, "claims"),
                               ({"path": path + "2", "claims": ["exec"]}, 400, "claim"),
                               ({"path": path + "2", "claims": [], "alias": 3}, 400, "alias"),
                               ({"path": path, "claims": []}, 409, "path"),
                               ({"path": path + "2", "claims": [], "alias": "ab-" + share}, 409, "alias"),
                               ({"path": "\\\\otheraccount\\xyz\\y", "claims": []}, 404, "path"),
                               ({"path": "D:\\x", "claims": []}, 400, "path")]:
        response = iis.post("/api/files/locations", json=body)
        assert response.status_code == status, (body, response.text)
        assert problem(response)["name"] == name
    patched = iis.patch(f"/api/files/locations/{model['id']}", json={"claims": ["read", "write"]})
    assert patched.status_code == 200 and patched.json()["claims"] == ["read", "write"]
    moved = iis.patch(f"/api/files/locations/{model['id']}", json={"path": path + "\\c"})
    assert moved.status_code == 209
    new_id = moved.json()["id"]
    assert moved.headers["Location"] == f"/api/files/locations/{new_id}"
    assert iis.get(f"/api/files/locations/{model['id']}").status_code == 404
    assert iis.delete(f"/api/files/locations/{new_id}").status_code == 204
    assert iis.delete(f"/api/files/locations/{new_id}").status_code == 204
    assert iis.get(f"/api/files/{new_id}").status_code == 403


def test_read_only_location_refuses_every_write_verb(iis, site):
    # Content put through a read-write location on the share's root, which is then removed.
    share = unique_name("ro")
    rw = iis.add_location(share, directory="", claims=["read", "write"])
    inner = iis.create(rw["id"], "site", "directory")
    f = iis.create(inner["id"], "f.txt")
    iis.upload(f["id"], b"keep")
    assert iis.delete(f"/api/files/locations/{rw['id']}").status_code == 204
    ro = iis.add_location(share, claims=["read"])
    rw_file = iis.create(site["id"], "w.txt")
    f_id = iis.get("/api/files", params={"physical_path": ro["path"] + "\\f.txt"}).json()["id"]
    attempts = [
        iis.post("/api/files", json={"parent": {"id": ro["id"]}, "name": "n.txt", "type": "file"}),
        iis.put(f"/api/files/content/{f_id}", data=b"x"),
        iis.patch(f"/api/files/{f_id}", json={"name": "g.txt"}),
        iis.patch(f"/api/files/{f_id}", json={"last_modified": "2020-01-01T00:00:00Z"}),
        iis.delete(f"/api/files/{f_id}"),
        iis.post("/api/files/move", json={"file": {"id": f_id}, "parent": {"id": site["id"]}}),
        iis.post("/api/files/copy", json={"file": {"id": rw_file["id"]}, "parent": {"id": ro["id"]}}),
        iis.post("/api/files/move", json={"file": {"id": rw_file["id"]}, "parent": {"id": ro["id"]}}),
    ]
    for response in attempts:
        assert response.status_code == 403, response.request.method + " " + response.request.url
        assert problem(response)["detail"] == "Read-Only"
    assert iis.get(f"/api/files/content/{f_id}").content == b"keep"
    assert [c["name"] for c in iis.children(ro["id"])] == ["f.txt"]
    # Copying out of a read-only location is fine.
    started = iis.post("/api/files/copy", json={"file": {"id": f_id}, "parent": {"id": site["id"]}}, headers=HAL)
    assert started.status_code == 202
    iis.wait_operation(started)


def test_location_and_link_survive_restart_and_cli(server_factory):
    data_dir = server_factory.data_dir("iis-restart")
    binary = server_factory.binary
    # A location added with the CLI on a stopped (new) store.
    out = subprocess.run([binary, "location", "add", "web", "--share", "webshare", "--path", "wwwroot",
                          "--claims", "read,write", "--data", data_dir], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    out = subprocess.run([binary, "location", "list", "--data", data_dir], capture_output=True, text=True)
    assert out.stdout.split("\t")[:3] == ["web", "webshare", "/wwwroot"]
    first = server_factory.start(data_dir)
    iis = IIS(first.iis_endpoint, first.admin_token)
    roots = iis.get("/api/files").json()["files"]
    assert [r["physical_path"] for r in roots] == [f"\\\\{ACCOUNT}\\webshare\\wwwroot"]
    root_id = roots[0]["id"]
    made = iis.create(root_id, "index.html")
    iis.upload(made["id"], b"<h1>hi</h1>")
    extra = iis.add_location("webshare", directory="logs", claims=["read"], alias="logs")
    link = iis.post("/api/files/downloads", json={"file": {"id": made["id"]}, "ttl": 600000}).headers["Location"]
    server_factory.stop(first)
    second = server_factory.start(data_dir)
    iis = IIS(second.iis_endpoint, second.admin_token)
    ids = [l["id"] for l in iis.get("/api/files/locations").json()["locations"]]
    assert sorted(ids) == sorted([root_id, extra["id"]])
    assert iis.get(f"/api/files/content/{made['id']}").content == b"<h1>hi</h1>"
    assert requests.get(iis.url(link)).content == b"<h1>hi</h1>"
    server_factory.stop(second)
    # `sharecore check` verifies the front's records with the rest of the store.
    out = subprocess.run([binary, "check", "--data", data_dir], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    out = subprocess.run([binary, "location", "remove", "logs", "--data", data_dir], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    out = subprocess.run([binary, "location", "remove", "logs", "--data", data_dir], capture_output=True, text=True)
    assert out.returncode == 1 and "logs" in out.stderr
    out = subprocess.run([binary, "location", "list", "--data", data_dir], capture_output=True, text=True)
    assert [line.split("\t")[0] for line in out.stdout.splitlines()] == ["web"]


def test_websites_and_webserver_files(iis, site):
    docs = iis.create(site["id"], "docs", "directory")
    page = iis.create(docs["id"], "Page.html")
    iis.create(site["id"], "index.html")
    name = unique_name("Site")
    created = iis.post("/api/webserver/websites", json={"name": name, "physical_path": site["path"],
                                                        "bindings": [{"protocol": "http", "port": 8080, "ip_address": "*"}]},
                       headers=HAL)
    assert created.status_code == 201, created.text
    website = created.json()
    assert created.headers["Location"] == f"/api/webserver/websites/{website['id']}"
    assert website["status"] == "started" and website["physical_path"] == site["path"]
    assert website["bindings"] == [{"protocol": "http", "port": 8080, "ip_address": "*"}]
    assert isinstance(website["key"], int)
    listed = iis.get("/api/webserver/websites").json()["websites"]
    assert {"name": name, "id": website["id"], "status": "started"} in listed
    for body, status, field in [({"physical_path": site["path"], "bindings": []}, 400, "name"),
                                ({"name": "x" + name, "bindings": []}, 400, "physical_path"),
                                ({"name": "x" + name, "physical_path": site["path"]}, 400, "bindings"),
                                ({"name": name.upper(), "physical_path": site["path"], "bindings": []}, 409, "name"),
                                ({"name": "y" + name, "physical_path": site["path"] + "\\nope", "bindings": []}, 404, "physical_path")]:
        response = iis.post("/api/webserver/websites", json=body)
        assert response.status_code == status, (body, response.text)
        assert problem(response)["name"] == field
    root_link = website["_links"]["files"]["href"]
    root = iis.get(root_link, headers=HAL).json()
    assert root["type"] == "application" and root["path"] == "/" and root["name"] == "" and root["parent"] is None
    assert root["website"]["id"] == website["id"]
    assert root["file_info"]["id"] == site["id"]
    children = iis.get(root["_links"]["files"]["href"]).json()["files"]
    assert [(c["name"], c["type"], c["path"]) for c in children] == [("docs", "directory", "/docs"), ("index.html", "file", "/index.html")]
    by_path = iis.get("/api/webserver/files", params={"website.id": website["id"], "path": "/docs/page.html"}).json()
    assert by_path["type"] == "file" and by_path["path"] == "/docs/Page.html"
    assert by_path["file_info"]["id"] == page["id"]
    assert by_path["parent"]["path"] == "/docs"
    escaped = iis.get("/api/webserver/files", params={"website.id": website["id"], "path": "/../../x"})
    assert escaped.status_code == 404 and problem(escaped)["name"] == "path"
    assert iis.get("/api/webserver/files").status_code == 404
    assert iis.delete(f"/api/webserver/files/{root['id']}").status_code == 405
    assert iis.delete(f"/api/webserver/websites/{website['id']}").status_code == 204
    assert iis.get(f"/api/webserver/websites/{website['id']}").status_code == 404
    assert iis.get(f"/api/files/{page['id']}").status_code == 200
