"""Shared helpers of the S3 part of the compatibility suite (imported by conftest and test_s3_*).

Checksums and ETags are computed here independently of botocore (hashlib, zlib, awscrt), and
requests that boto3 cannot be made to send (wrong dates, signed aws-chunked bodies, hand-made
headers) are signed with botocore's own SigV4 signer and sent with `requests`.
"""

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import zlib
from contextlib import contextmanager
from urllib.parse import quote, urlsplit
from xml.etree import ElementTree

import pytest
import boto3
import requests
from requests.structures import CaseInsensitiveDict
from awscrt import checksums as crt_checksums
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from compat_helpers import ACCOUNT, ACCOUNT_KEY

REGION = "us-east-1"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


# MARK: Errors


@contextmanager
def s3_error(code: str, status: int):
    """Expects a botocore ClientError with S3 error code `code` and HTTP status `status`.

    For HEAD requests S3 sends no body, so botocore reports the status as the code: pass
    e.g. `s3_error("404", 404)` there."""
    with pytest.raises(ClientError) as info:
        yield info
    response = info.value.response
    got_code = response.get("Error", {}).get("Code")
    got_status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    assert (got_code, got_status) == (code, status), f"expected {code}/{status}, got {got_code}/{got_status}: {response}"


def error_code(response: requests.Response) -> str:
    """The `<Code>` of an S3 XML error body (fails the test when the body is not one)."""
    try:
        root = ElementTree.fromstring(response.content)
    except ElementTree.ParseError:
        pytest.fail(f"status {response.status_code}, not an XML error body: {response.content[:500]!r}")
    assert root.tag == "Error", response.text
    code = root.findtext("Code")
    assert code, response.text
    return code


def expect_error(response: requests.Response, code: str, status: int) -> ElementTree.Element:
    """Checks a raw response is the S3 error `code` with `status`, in S3's XML error format with
    a request id; returns the parsed `<Error>` element."""
    assert response.status_code == status, f"expected {status} {code}, got {response.status_code}: {response.text[:800]}"
    assert error_code(response) == code, response.text[:800]
    root = ElementTree.fromstring(response.content)
    assert root.findtext("Message"), response.text
    assert root.find("RequestId") is not None, response.text
    assert response.headers.get("x-amz-request-id"), dict(response.headers)
    return root


# MARK: Hashes and checksums


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def quoted_md5(data: bytes) -> str:
    """The ETag S3 gives a single-part object: its MD5 in hex, in double quotes."""
    return f'"{md5_hex(data)}"'


def multipart_etag(parts) -> str:
    """The ETag of a completed multipart upload of `parts` (the bytes of each part, in order):
    the MD5 of the concatenated binary part MD5s, `-`, the number of parts, in quotes."""
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


def upload_parts_with_checksums(s3_client, bucket: str, key: str, parts, algorithm: str):
    """Starts a multipart upload of `key` with `algorithm` and uploads `parts` (numbered from 1),
    each with its checksum; returns the upload id and the parts as CompleteMultipartUpload lists
    them (number, ETag, checksum)."""
    upload = s3_client.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm=algorithm)["UploadId"]
    field = "Checksum" + algorithm
    listed = []
    for number, data in enumerate(parts, start=1):
        answer = s3_client.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=number, Body=data,
                                       ChecksumAlgorithm=algorithm)
        listed.append({"PartNumber": number, "ETag": answer["ETag"], field: answer[field]})
    return upload, listed


def checksum_b64(algorithm: str, data: bytes) -> str:
    """The value of `x-amz-checksum-<algorithm>` for `data`: the big-endian digest in base64."""
    algorithm = algorithm.lower()
    if algorithm == "crc32":
        raw = (zlib.crc32(data) & 0xFFFFFFFF).to_bytes(4, "big")
    elif algorithm == "crc32c":
        raw = crt_checksums.crc32c(data).to_bytes(4, "big")
    elif algorithm == "crc64nvme":
        raw = crt_checksums.crc64nvme(data).to_bytes(8, "big")
    elif algorithm == "sha1":
        raw = hashlib.sha1(data).digest()
    elif algorithm == "sha256":
        raw = hashlib.sha256(data).digest()
    else:
        raise ValueError(algorithm)
    return base64.b64encode(raw).decode()


# MARK: Hand-signed requests


def send_raw(method: str, url: str, headers=None, body: bytes = b"") -> requests.Response:
    """Sends one request exactly as given with http.client (requests would remove `.` and `..`
    path segments, which S3 keys may contain) and returns it as a requests.Response."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        headers = dict(headers or {})
        if not any(name.lower() == "host" for name in headers):
            headers["Host"] = parts.netloc
        if body and not any(name.lower() == "content-length" for name in headers):
            headers["Content-Length"] = str(len(body))
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders(body if body else None)
        raw = connection.getresponse()
        response = requests.Response()
        response.status_code = raw.status
        response.reason = raw.reason
        response.headers = CaseInsensitiveDict(raw.getheaders())
        response._content = raw.read()
        response.encoding = "utf-8"
        response.url = url
        return response
    finally:
        connection.close()


def http_session() -> requests.Session:
    """A requests session that ignores proxy variables and netrc (the server is on loopback)."""
    session = requests.Session()
    session.trust_env = False
    return session


class _SignedPayloadAuth(S3SigV4Auth):
    """botocore's S3 SigV4 signer with a fixed `x-amz-content-sha256` value (for streaming
    bodies, UNSIGNED-PAYLOAD, or a deliberately wrong hash) and an optional fixed clock."""

    def __init__(self, credentials, payload_value=None, now=None):
        super().__init__(credentials, "s3", REGION)
        self._payload_value = payload_value
        self._now = now

    def payload(self, request):
        if self._payload_value is not None:
            return self._payload_value
        return super().payload(request)

    def add_auth(self, request):
        if self._now is None:
            return super().add_auth(request)
        # Same steps as SigV4Auth.add_auth, with the given time instead of the clock.
        request.context["timestamp"] = self._now.strftime("%Y%m%dT%H%M%SZ")
        self._modify_request_before_signing(request)
        canonical_request = self.canonical_request(request)
        string_to_sign = self.string_to_sign(request, canonical_request)
        signature = self.signature(string_to_sign, request)
        self._inject_signature_to_request(request, signature)


def signed_request(
    endpoint: str,
    method: str,
    path: str,
    *,
    body: bytes = b"",
    headers=None,
    params=None,
    access_key: str = ACCOUNT,
    secret: str = ACCOUNT_KEY,
    payload_hash=None,
    now=None,
    host=None,
) -> requests.Response:
    """Signs a request with botocore's S3SigV4Auth (header auth) and sends it with requests.

    `path` is the URL path, already percent-encoded where needed (e.g. `/bucket/key`);
    `payload_hash` replaces the x-amz-content-sha256 value; `now` signs with that UTC time;
    `host` signs (and sends) that Host header while connecting to the endpoint."""
    url = endpoint.rstrip("/") + path
    headers = dict(headers or {})
    if host is not None:
        headers["Host"] = host
    request = AWSRequest(method=method, url=url, data=body, headers=headers, params=params or {})
    auth = _SignedPayloadAuth(Credentials(access_key, secret), payload_hash, now)
    auth.add_auth(request)
    prepared = request.prepare()
    return send_raw(method, prepared.url, dict(prepared.headers), body)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def signing_key(date: str, secret: str = ACCOUNT_KEY) -> bytes:
    key = _hmac(f"AWS4{secret}".encode(), date)
    key = _hmac(key, REGION)
    key = _hmac(key, "s3")
    return _hmac(key, "aws4_request")


def streaming_signed_put(
    endpoint: str,
    path: str,
    data: bytes,
    *,
    chunk_size: int = 64 * 1024,
    trailer=None,
    headers=None,
    tamper_chunk=None,
    sign_trailer: bool = True,
) -> requests.Response:
    """A PUT whose body is aws-chunked with chunk signatures, as the AWS SDKs send it:
    `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, or with `trailer=(name, value)` the
    `-TRAILER` variant whose last chunk carries that header and `x-amz-trailer-signature`.
    `tamper_chunk=i` flips a byte of chunk i after signing (the server must refuse it);
    `sign_trailer=False` sends a wrong trailer signature."""
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    timestamp = now.strftime("%Y%m%dT%H%M%SZ")
    scope = f"{timestamp[:8]}/{REGION}/s3/aws4_request"
    key = signing_key(timestamp[:8])
    mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" + ("-TRAILER" if trailer else "")

    chunks = [data[i : i + chunk_size] for i in range(0, len(data), chunk_size)] + [b""]

    # The encoded length is needed in the signed headers before the signatures exist; every
    # signature has 64 hex digits, so compute it from the layout.
    def framed_length() -> int:
        total = 0
        for chunk in chunks:
            total += len(f"{len(chunk):x};chunk-signature=") + 64 + 2 + len(chunk)
            total += 2 if chunk else 0
        if trailer:
            total += len(f"{trailer[0]}:{trailer[1]}\r\n") + len("x-amz-trailer-signature:") + 64 + 2 + 2
        else:
            total += 2
        return total

    all_headers = {
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(len(data)),
        "Content-Length": str(framed_length()),
    }
    if trailer:
        all_headers["x-amz-trailer"] = trailer[0]
    all_headers.update(headers or {})
    url = endpoint.rstrip("/") + path
    request = AWSRequest(method="PUT", url=url, data=b"", headers=all_headers)
    auth = _SignedPayloadAuth(Credentials(ACCOUNT, ACCOUNT_KEY), mode, now)
    auth.add_auth(request)
    seed = request.headers["Authorization"].rsplit("Signature=", 1)[1]

    body = bytearray()
    previous = seed
    for index, chunk in enumerate(chunks):
        to_sign = "\n".join(
            ["AWS4-HMAC-SHA256-PAYLOAD", timestamp, scope, previous, EMPTY_SHA256, hashlib.sha256(chunk).hexdigest()]
        )
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        sent = chunk
        if tamper_chunk == index and chunk:
            sent = bytes([chunk[0] ^ 0xFF]) + chunk[1:]
        body += f"{len(chunk):x};chunk-signature={signature}\r\n".encode() + sent
        if chunk:
            body += b"\r\n"
        previous = signature
    if trailer:
        line = f"{trailer[0]}:{trailer[1]}"
        to_sign = "\n".join(
            ["AWS4-HMAC-SHA256-TRAILER", timestamp, scope, previous, hashlib.sha256((line + "\n").encode()).hexdigest()]
        )
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if not sign_trailer:
            signature = "0" * 64
        body += f"{line}\r\nx-amz-trailer-signature:{signature}\r\n\r\n".encode()
    else:
        body += b"\r\n"
    assert len(body) == int(all_headers["Content-Length"])
    prepared = request.prepare()
    return send_raw("PUT", prepared.url, dict(prepared.headers), bytes(body))


def unsigned_trailer_put(endpoint: str, path: str, data: bytes, algorithm: str, value=None, chunk_size=8192):
    """A PUT with an aws-chunked `STREAMING-UNSIGNED-PAYLOAD-TRAILER` body carrying
    `x-amz-checksum-<algorithm>` in its trailer (`value`, default the right checksum)."""
    name = f"x-amz-checksum-{algorithm.lower()}"
    value = value if value is not None else checksum_b64(algorithm, data)
    body = bytearray()
    for i in range(0, len(data), chunk_size):
        chunk = data[i : i + chunk_size]
        body += f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    body += f"0\r\n{name}:{value}\r\n\r\n".encode()
    headers = {
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(len(data)),
        "x-amz-trailer": name,
        "Content-Length": str(len(body)),
    }
    return signed_request(endpoint, "PUT", path, body=bytes(body), headers=headers,
                          payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER")


def key_path(bucket: str, key: str) -> str:
    """The path-style URL path of `key` in `bucket`, percent-encoded as the SDKs do."""
    return f"/{bucket}/" + quote(key, safe="/~")


def make_s3_client(endpoint: str, **kwargs):
    """A boto3 S3 client for `endpoint` with the account's credentials and otherwise boto3's
    default configuration (checksums, retries, addressing, signing); `kwargs` override."""
    session = boto3.session.Session()
    args = dict(endpoint_url=endpoint, aws_access_key_id=ACCOUNT, aws_secret_access_key=ACCOUNT_KEY,
                region_name=REGION)
    args.update(kwargs)
    return session.client("s3", **args)
