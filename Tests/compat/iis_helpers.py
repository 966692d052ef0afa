"""Helpers of the IIS Files compatibility tests: a `requests` session carrying the access
token, locations on fresh shares, and raw requests for what `requests` would re-encode."""

import http.client
import time
from urllib.parse import urlsplit

import requests

from compat_helpers import ACCOUNT, unique_name

TOKEN_HEADER = "Access-Token"
HAL = {"Accept": "application/hal+json"}


class IIS:
    """A client of the IIS Files front: `requests` with `Access-Token: Bearer <token>`."""

    def __init__(self, endpoint: str, token: str):
        self.endpoint = endpoint
        self.token = token
        self.http = requests.Session()
        self.http.headers[TOKEN_HEADER] = f"Bearer {token}"
        # The CA file to trust over https (passed on every request: environment settings such
        # as REQUESTS_CA_BUNDLE would override a session's `verify`).
        self.verify = True

    def url(self, path: str) -> str:
        return self.endpoint + path

    def get(self, path, **kw):
        return self.http.get(self.url(path), verify=self.verify, **kw)

    def head(self, path, **kw):
        return self.http.head(self.url(path), verify=self.verify, **kw)

    def post(self, path, json=None, **kw):
        return self.http.post(self.url(path), json=json, verify=self.verify, **kw)

    def put(self, path, **kw):
        return self.http.put(self.url(path), verify=self.verify, **kw)

    def patch(self, path, json=None, **kw):
        return self.http.patch(self.url(path), json=json, verify=self.verify, **kw)

    def delete(self, path, **kw):
        return self.http.delete(self.url(path), verify=self.verify, **kw)

    def raw_get(self, path_and_query: str, headers=None):
        """GET with the request target sent exactly as given (raw backslashes included), as a
        browser does; returns (status, headers, body)."""
        parts = urlsplit(self.endpoint)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        try:
            all_headers = {TOKEN_HEADER: f"Bearer {self.token}"}
            all_headers.update(headers or {})
            connection.request("GET", path_and_query, headers=all_headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    # MARK: locations and items

    def add_location(self, share: str, directory: str = "site", claims=("read", "write"), alias=None) -> dict:
        """Adds a location on `share` (created when missing) and returns its model."""
        path = f"\\\\{ACCOUNT}\\{share}" + (f"\\{directory}" if directory else "")
        response = self.post("/api/files/locations", json={"alias": alias or unique_name("loc"), "path": path,
                                                            "claims": list(claims)})
        assert response.status_code == 201, response.text
        return response.json()

    def create(self, parent_id: str, name: str, kind: str = "file") -> dict:
        response = self.post("/api/files", json={"parent": {"id": parent_id}, "name": name, "type": kind})
        assert response.status_code == 201, response.text
        return response.json()

    def upload(self, file_id: str, data: bytes, chunk: int = 2 * 1024 * 1024) -> None:
        """Uploads `data` in `Content-Range` chunks as the Web Manager does (2 MiB each)."""
        total = len(data)
        if total == 0:
            response = self.put(f"/api/files/content/{file_id}", data=b"")
            assert response.status_code == 200, response.text
            return
        for start in range(0, total, chunk):
            end = min(start + chunk, total) - 1
            response = self.put(f"/api/files/content/{file_id}", data=data[start:end + 1],
                                headers={"Content-Range": f"bytes {start}-{end}/{total}"})
            assert response.status_code == 200, response.text

    def children(self, dir_id: str, **params) -> list:
        response = self.get("/api/files", params={"parent.id": dir_id, **params})
        assert response.status_code == 200, response.text
        return response.json()["files"]

    def wait_operation(self, started: requests.Response, timeout: float = 30.0) -> None:
        """Polls a copy or move through its `_links.self` until it is gone (404)."""
        link = started.json()["_links"]["self"]["href"]
        deadline = time.monotonic() + timeout
        while True:
            response = self.get(link, headers=HAL)
            if response.status_code == 404:
                return
            assert response.status_code == 200, response.text
            assert response.json()["status"] == "running"
            assert time.monotonic() < deadline, "operation still running"
            time.sleep(0.05)


def problem(response: requests.Response) -> dict:
    """The problem+json body of an error response (checked to be one)."""
    assert response.headers["Content-Type"].startswith("application/problem+json"), response.headers
    return response.json()
