"""The auth matrix (issue #10, "Keep the probes"): every operation family of every front ×
every bad credential that applies to it → the protocol's own status and error code, and
nothing changed (the state is read back with good credentials after each refusal).

FileREST is driven with the Azure SDK (a client per credential: none, a wrong key, an unknown
account, an expired / not yet valid / insufficient / tampered / foreign account SAS, and a request date skewed 20 minutes
either way, set by a request hook before the SDK signs); S3 with botocore's own SigV4 signer
(header and query signing) sent as raw requests, since boto3 cannot be made to send most of
these; Backup and IIS Files with raw requests (no token, a malformed one, a wrong one).

Each case is its own test id: `test_filerest[file-write-expired-sas]`, `test_s3[object-read-
presigned-tampered]`, ..."""

import base64
import datetime as dt
import json
from email.utils import format_datetime

import botocore.auth
import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.storage.fileshare import (
    AccountSasPermissions,
    CorsRule,
    ResourceTypes,
    ShareServiceClient,
    generate_account_sas,
)
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from backup_helpers import VAULT_PATH
from compat_helpers import ACCOUNT, ACCOUNT_KEY, connection_string, unique_name
from iis_helpers import IIS
from s3_helpers import REGION, error_code, key_path, make_s3_client, send_raw, signed_request

UTC = dt.timezone.utc
OTHER_KEY = base64.b64encode(b"another account's key, not ours" * 2).decode()
ORIGINAL = b"original content"


def _now() -> dt.datetime:
    return dt.datetime.now(UTC)


# MARK: FileREST


class FileState:
    """A share with metadata, a directory and a file, and what reading them must keep giving."""

    def __init__(self, service: ShareServiceClient):
        self.service = service
        self.share_name = unique_name("authm")
        self.share = service.create_share(self.share_name, metadata={"k": "v"})
        self.share.create_directory("d")
        self.share.get_file_client("d/f.txt").upload_file(ORIGINAL)
        self.cors = service.get_service_properties()["cors"]
        self.new_name = unique_name("never")


def _file_ops():
    """name → (is_write, perform(client, state), unchanged(state))."""
    def share(client, state):
        return client.get_share_client(state.share_name)

    def unchanged_cors(state):
        assert [r.allowed_origins for r in state.service.get_service_properties()["cors"]] == \
            [r.allowed_origins for r in state.cors]

    def unchanged_metadata(state):
        assert state.share.get_share_properties().metadata == {"k": "v"}

    def no_new_directory(state):
        with pytest.raises(ResourceNotFoundError):
            state.share.get_directory_client(state.new_name).get_directory_properties()

    def unchanged_file(state):
        assert state.share.get_file_client("d/f.txt").download_file().readall() == ORIGINAL

    return {
        "service-read": (False, lambda c, s: list(c.list_shares()), None),
        "service-write": (True, lambda c, s: c.set_service_properties(cors=[CorsRule(["http://evil.example"], ["GET"])]),
                          unchanged_cors),
        "share-read": (False, lambda c, s: share(c, s).get_share_properties(), None),
        "share-write": (True, lambda c, s: share(c, s).set_share_metadata({"evil": "1"}), unchanged_metadata),
        "directory-read": (False, lambda c, s: list(share(c, s).list_directories_and_files("d")), None),
        "directory-write": (True, lambda c, s: share(c, s).create_directory(s.new_name), no_new_directory),
        "file-read": (False, lambda c, s: share(c, s).get_file_client("d/f.txt").download_file().readall(), None),
        "file-write": (True, lambda c, s: share(c, s).get_file_client("d/f.txt").upload_range(b"EVIL", offset=0, length=4),
                       unchanged_file),
    }


FILE_OPS = _file_ops()
ALL = ResourceTypes(service=True, container=True, object=True)
EVERYTHING = AccountSasPermissions(read=True, write=True, delete=True, list=True, create=True)


def _sas_client(server, sas: str) -> ShareServiceClient:
    return ShareServiceClient(server.endpoint, credential=sas, retry_total=0)


def _skewed_client(server, minutes: int) -> ShareServiceClient:
    """Shared Key, with an x-ms-date `minutes` off set before the SDK signs."""
    date = format_datetime(_now() + dt.timedelta(minutes=minutes), usegmt=True)

    def hook(request):
        request.http_request.headers["x-ms-date"] = date

    return ShareServiceClient.from_connection_string(server.connection_string, retry_total=0, raw_request_hook=hook)


def _tampered(sas: str) -> str:
    assert "sp=rl&" in sas, sas
    return sas.replace("sp=rl&", "sp=rwdlc&")


class DropAuthorization(SansIOHTTPPolicy):
    """Removes the Authorization header the SDK signed (it refuses to build a client without a
    credential), so the request goes out anonymous."""

    def on_request(self, request):
        request.http_request.headers.pop("Authorization", None)


def _anonymous_client(server) -> ShareServiceClient:
    # Pinned SDK (requirements.txt): policies in `_additional_pipeline_policies` run after signing.
    return ShareServiceClient.from_connection_string(server.connection_string, retry_total=0,
                                                     _additional_pipeline_policies=[DropAuthorization()])


# credential → (make client(server, is_write), status, error code)
FILE_CREDENTIALS = {
    "none": (lambda server, write: _anonymous_client(server), 403, "AuthenticationFailed"),
    "wrong-key": (lambda server, write: ShareServiceClient.from_connection_string(
        connection_string(server.endpoint, key=OTHER_KEY), retry_total=0), 403, "AuthenticationFailed"),
    "unknown-account": (lambda server, write: ShareServiceClient(
        server.endpoint.rsplit("/", 1)[0] + "/otheraccount",
        credential={"account_name": "otheraccount", "account_key": ACCOUNT_KEY}, retry_total=0), 403, "AuthenticationFailed"),
    "expired-sas": (lambda server, write: _sas_client(server, generate_account_sas(
        ACCOUNT, ACCOUNT_KEY, ALL, EVERYTHING, expiry=_now() - dt.timedelta(hours=1), start=_now() - dt.timedelta(hours=2))),
        403, "AuthenticationFailed"),
    # A read with a SAS that may only write, a write with one that may only read and list.
    "insufficient-sas": (lambda server, write: _sas_client(server, generate_account_sas(
        ACCOUNT, ACCOUNT_KEY, ALL,
        AccountSasPermissions(read=True, list=True) if write else AccountSasPermissions(write=True, create=True, delete=True),
        expiry=_now() + dt.timedelta(hours=1))), 403, "AuthorizationPermissionMismatch"),
    "not-yet-valid-sas": (lambda server, write: _sas_client(server, generate_account_sas(
        ACCOUNT, ACCOUNT_KEY, ALL, EVERYTHING, start=_now() + dt.timedelta(hours=1), expiry=_now() + dt.timedelta(hours=2))),
        403, "AuthenticationFailed"),
    # A read-and-list SAS whose permissions were widened after signing.
    "tampered-sas": (lambda server, write: _sas_client(server, _tampered(generate_account_sas(
        ACCOUNT, ACCOUNT_KEY, ALL, AccountSasPermissions(read=True, list=True), expiry=_now() + dt.timedelta(hours=1)))),
        403, "AuthenticationFailed"),
    "foreign-sas": (lambda server, write: _sas_client(server, generate_account_sas(
        "otheraccount", OTHER_KEY, ALL, EVERYTHING, expiry=_now() + dt.timedelta(hours=1))), 403, "AuthenticationFailed"),
    "date-20-min-behind": (lambda server, write: _skewed_client(server, -20), 403, "AuthenticationFailed"),
    "date-20-min-ahead": (lambda server, write: _skewed_client(server, 20), 403, "AuthenticationFailed"),
}


@pytest.fixture(scope="module")
def file_state(server):
    return FileState(ShareServiceClient.from_connection_string(server.connection_string, retry_total=0))


@pytest.mark.parametrize("credential", FILE_CREDENTIALS)
@pytest.mark.parametrize("operation", FILE_OPS)
def test_filerest(server, file_state, operation, credential):
    is_write, perform, unchanged = FILE_OPS[operation]
    make, status, code = FILE_CREDENTIALS[credential]
    client = make(server, is_write)
    with pytest.raises(HttpResponseError) as refused:
        perform(client, file_state)
    assert (refused.value.status_code, refused.value.error_code) == (status, code), refused.value.message
    if unchanged:
        unchanged(file_state)


# MARK: S3


class S3State:
    """A bucket with an object and an open multipart upload without parts."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self.s3 = make_s3_client(endpoint)
        self.bucket = unique_name("authm")
        self.s3.create_bucket(Bucket=self.bucket)
        self.s3.put_object(Bucket=self.bucket, Key="obj", Body=ORIGINAL)
        self.upload_id = self.s3.create_multipart_upload(Bucket=self.bucket, Key="mp")["UploadId"]
        self.new_bucket = unique_name("never")

    def uploads(self):
        return [u["UploadId"] for u in self.s3.list_multipart_uploads(Bucket=self.bucket).get("Uploads", [])]


def _s3_ops():
    """name → (method, path(state), params(state), body, unchanged(state))."""
    def same_object(state):
        assert state.s3.get_object(Bucket=state.bucket, Key="obj")["Body"].read() == ORIGINAL

    def no_new_bucket(state):
        assert state.new_bucket not in [b["Name"] for b in state.s3.list_buckets()["Buckets"]]

    def same_uploads(state):
        assert state.uploads() == [state.upload_id]
        assert state.s3.list_parts(Bucket=state.bucket, Key="mp", UploadId=state.upload_id).get("Parts", []) == []

    return {
        "service-read": ("GET", lambda s: "/", lambda s: {}, b"", None),
        "bucket-read": ("GET", lambda s: f"/{s.bucket}", lambda s: {"list-type": "2"}, b"", None),
        "bucket-write": ("PUT", lambda s: f"/{s.new_bucket}", lambda s: {}, b"", no_new_bucket),
        "object-read": ("GET", lambda s: key_path(s.bucket, "obj"), lambda s: {}, b"", None),
        "object-write": ("PUT", lambda s: key_path(s.bucket, "obj"), lambda s: {}, b"EVIL", same_object),
        "multipart-create": ("POST", lambda s: key_path(s.bucket, "mp"), lambda s: {"uploads": ""}, b"", same_uploads),
        "multipart-upload-part": ("PUT", lambda s: key_path(s.bucket, "mp"),
                                  lambda s: {"partNumber": "1", "uploadId": s.upload_id}, b"EVIL", same_uploads),
        "multipart-abort": ("DELETE", lambda s: key_path(s.bucket, "mp"), lambda s: {"uploadId": s.upload_id}, b"",
                            same_uploads),
    }


S3_OPS = _s3_ops()


def _presigned(endpoint, method, path, params, *, signed_at=None, expires=300) -> str:
    """A SigV4 presigned URL (botocore's query signer), signed at `signed_at` (default: now)."""
    request = AWSRequest(method=method, url=endpoint + path, params=params)
    signer = botocore.auth.S3SigV4QueryAuth(Credentials(ACCOUNT, ACCOUNT_KEY), "s3", REGION, expires=expires)
    real = botocore.auth.get_current_datetime
    if signed_at is not None:
        botocore.auth.get_current_datetime = lambda: signed_at.replace(tzinfo=None)
    try:
        signer.add_auth(request)
    finally:
        botocore.auth.get_current_datetime = real
    return request.prepare().url


def _send_s3(state, credential, method, path, params, body):
    endpoint = state.endpoint
    if credential == "none":
        query = "&".join(f"{k}={v}" if v else k for k, v in params.items())
        return send_raw(method, endpoint + path + (f"?{query}" if query else ""), body=body)
    if credential == "wrong-secret":
        return signed_request(endpoint, method, path, body=body, params=params, secret="x" + ACCOUNT_KEY[1:])
    if credential == "unknown-access-key":
        return signed_request(endpoint, method, path, body=body, params=params, access_key="AKIAUNKNOWNKEY000000")
    if credential.startswith("date-"):
        minutes = -20 if "behind" in credential else 20
        now = (_now() + dt.timedelta(minutes=minutes)).replace(tzinfo=None)
        return signed_request(endpoint, method, path, body=body, params=params, now=now)
    if credential == "presigned-expired":
        url = _presigned(endpoint, method, path, params, signed_at=_now() - dt.timedelta(hours=2), expires=60)
        return send_raw(method, url, body=body)
    if credential == "presigned-tampered":
        url = _presigned(endpoint, method, path, params, expires=300)
        assert "X-Amz-Expires=300" in url
        return send_raw(method, url.replace("X-Amz-Expires=300", "X-Amz-Expires=3000"), body=body)
    raise AssertionError(credential)


S3_CREDENTIALS = {
    "none": (403, "AccessDenied"),
    "wrong-secret": (403, "SignatureDoesNotMatch"),
    "unknown-access-key": (403, "InvalidAccessKeyId"),
    "date-20-min-behind": (403, "RequestTimeTooSkewed"),
    "date-20-min-ahead": (403, "RequestTimeTooSkewed"),
    "presigned-expired": (403, "AccessDenied"),
    "presigned-tampered": (403, "SignatureDoesNotMatch"),
}


@pytest.fixture(scope="module")
def s3_state(server):
    return S3State(server.s3_endpoint)


@pytest.mark.parametrize("credential", S3_CREDENTIALS)
@pytest.mark.parametrize("operation", S3_OPS)
def test_s3(s3_state, operation, credential):
    method, path, params, body, unchanged = S3_OPS[operation]
    status, code = S3_CREDENTIALS[credential]
    response = _send_s3(s3_state, credential, method, path(s3_state), params(s3_state), body)
    assert (response.status_code, error_code(response)) == (status, code), response.text
    assert response.headers.get("x-amz-request-id")
    if unchanged:
        unchanged(s3_state)


# MARK: Backup and IIS Files (bearer token)


TOKEN_CREDENTIALS = {
    "no-token": {},
    "malformed-token": {"Authorization": "Basic ZGV2OnNlY3JldA=="},
    "wrong-token": {"Authorization": "Bearer not-the-admin-token"},
}
BACKUP_CODES = {"no-token": "AuthenticationFailed", "malformed-token": "AuthenticationFailed",
                "wrong-token": "InvalidAuthenticationToken"}
API = "?api-version=2025-02-01"


def _policy_url(server, name):
    return f"{server.mgmt_endpoint}{VAULT_PATH}/backupPolicies/{name}{API}"


@pytest.mark.parametrize("credential", TOKEN_CREDENTIALS)
@pytest.mark.parametrize("operation", ["read", "write"])
def test_backup(server, operation, credential):
    headers = dict(TOKEN_CREDENTIALS[credential])
    name = unique_name("authm")
    if operation == "read":
        response = requests.get(f"{server.mgmt_endpoint}{VAULT_PATH}/backupJobs{API}", headers=headers, timeout=30)
    else:
        body = {"properties": {"backupManagementType": "AzureStorage", "workLoadType": "AzureFileShare"}}
        response = requests.put(_policy_url(server, name), headers={**headers, "Content-Type": "application/json"},
                                data=json.dumps(body), timeout=30)
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == BACKUP_CODES[credential]
    assert response.headers["x-ms-request-id"]
    if operation == "write":
        good = {"Authorization": f"Bearer {server.admin_token}"}
        assert requests.get(_policy_url(server, name), headers=good, timeout=30).status_code == 404


@pytest.mark.parametrize("credential", TOKEN_CREDENTIALS)
@pytest.mark.parametrize("operation", ["read", "write"])
def test_iis(server, operation, credential):
    headers = dict(TOKEN_CREDENTIALS[credential])
    iis = IIS(server.iis_endpoint, server.admin_token)
    before = iis.get("/api/files/locations").json()["locations"]
    if operation == "read":
        response = requests.get(iis.url("/api/files/locations"), headers=headers, timeout=30)
    else:
        alias = unique_name("authm")
        response = requests.post(iis.url("/api/files/locations"), headers=headers, timeout=30,
                                 json={"alias": alias, "path": f"\\\\{ACCOUNT}\\{alias}", "claims": ["read"]})
    assert response.status_code == 403, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json() == {"title": "Unauthorized", "authentication_scheme": "Bearer", "status": 403}
    assert iis.get("/api/files/locations").json()["locations"] == before
