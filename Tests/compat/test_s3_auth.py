"""S3 authentication: presigned URLs, wrong and unknown keys, clock skew, payload hashes and
signed aws-chunked bodies, and the error format every refusal uses."""

import datetime as dt
import time
from urllib.parse import parse_qs, urlencode, urlparse, urlunparse

from xml.etree import ElementTree

import botocore.auth
import botocore.crt.auth
import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from compat_helpers import ACCOUNT, ACCOUNT_KEY, KiB, pattern
from s3_helpers import (
    checksum_b64,
    expect_error,
    http_session,
    key_path,
    make_s3_client,
    quoted_md5,
    s3_error,
    signed_request,
    streaming_signed_put,
)

UTC = dt.timezone.utc


def _get(url, **kwargs):
    with http_session() as session:
        return session.get(url, **kwargs)


def _put(url, data, **kwargs):
    with http_session() as session:
        return session.put(url, data=data, **kwargs)


def _with_query(url: str, **changes) -> str:
    parts = urlparse(url)
    query = parse_qs(parts.query, keep_blank_values=True)
    for name, value in changes.items():
        query[name] = [value]
    return urlunparse(parts._replace(query=urlencode(query, doseq=True)))


def _assert_missing(s3_client, bucket, key):
    with s3_error("404", 404):
        s3_client.head_object(Bucket=bucket, Key=key)


# MARK: Presigned URLs

# botocore presigns S3 URLs with SigV2 unless a signature version is configured (see
# test_sigv2_presigned_url_of_boto3_defaults_is_refused_clearly); SigV4 is asked for as users do.
SIGV4 = Config(signature_version="s3v4")


@pytest.fixture
def presigner(s3_endpoint):
    """boto3 configured to presign with SigV4 (`X-Amz-*` query parameters)."""
    return make_s3_client(s3_endpoint, config=SIGV4)


def test_sigv2_presigned_url_of_boto3_defaults_is_refused_clearly(s3_client, bucket):
    # At its defaults boto3 presigns S3 URLs with Signature Version 2 (AWSAccessKeyId,
    # Signature, Expires). The server takes SigV4 only (docs/S3.md) and says so, as S3 does in
    # the regions without SigV2.
    s3_client.put_object(Bucket=bucket, Key="v2", Body=b"presigned v2")
    url = s3_client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "v2"}, ExpiresIn=300)
    assert "Signature=" in url and "AWSAccessKeyId=" in url
    root = expect_error(_get(url), "InvalidRequest", 400)
    assert "AWS4-HMAC-SHA256" in root.findtext("Message")


def test_presigned_get_and_put(presigner, s3_client, bucket):
    data = pattern(150 * KiB, seed=4)
    put_url = presigner.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "pre/signed.bin"},
                                               ExpiresIn=300)
    assert "X-Amz-Signature=" in put_url
    put = _put(put_url, data)
    assert put.status_code == 200, put.text
    assert put.headers["ETag"] == quoted_md5(data)
    assert put.headers.get("x-amz-request-id")

    get_url = presigner.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "pre/signed.bin"},
                                               ExpiresIn=300)
    got = _get(get_url)
    assert got.status_code == 200, got.text
    assert got.content == data
    assert s3_client.get_object(Bucket=bucket, Key="pre/signed.bin")["Body"].read() == data

    # A presigned ranged GET, and presigned response overrides.
    ranged = _get(get_url, headers={"Range": "bytes=5-14"})
    assert (ranged.status_code, ranged.content) == (206, data[5:15])
    override_url = presigner.generate_presigned_url(
        "get_object", ExpiresIn=300,
        Params={"Bucket": bucket, "Key": "pre/signed.bin", "ResponseContentDisposition": 'attachment; filename="d.bin"',
                "ResponseContentType": "application/x-download"})
    overridden = _get(override_url)
    assert overridden.status_code == 200, overridden.text
    assert overridden.headers["Content-Disposition"] == 'attachment; filename="d.bin"'
    assert overridden.headers["Content-Type"] == "application/x-download"


def test_presigned_put_with_signed_content_type(presigner, s3_client, bucket):
    url = presigner.generate_presigned_url("put_object", ExpiresIn=300,
                                           Params={"Bucket": bucket, "Key": "typed", "ContentType": "text/csv"})
    ok = _put(url, b"a,b\n", headers={"Content-Type": "text/csv"})
    assert ok.status_code == 200, ok.text
    assert s3_client.head_object(Bucket=bucket, Key="typed")["ContentType"] == "text/csv"


def test_presigned_url_expires(presigner, s3_client, bucket):
    s3_client.put_object(Bucket=bucket, Key="short", Body=b"lived")
    url = presigner.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "short"}, ExpiresIn=1)
    put_url = presigner.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "late"}, ExpiresIn=1)
    time.sleep(2.2)
    expect_error(_put(put_url, b"too late"), "AccessDenied", 403)
    _assert_missing(s3_client, bucket, "late")


def test_presigned_url_tampering(presigner, s3_client, bucket):
    s3_client.put_object(Bucket=bucket, Key="guarded", Body=b"secret")
    s3_client.put_object(Bucket=bucket, Key="other", Body=b"other")
    url = presigner.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "guarded"}, ExpiresIn=300)
    signature = parse_qs(urlparse(url).query)["X-Amz-Signature"][0]
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    expect_error(_get(_with_query(url, **{"X-Amz-Signature": flipped})), "SignatureDoesNotMatch", 403)
    # Another key with the same signature.
    expect_error(_get(url.replace("/guarded?", "/other?")), "SignatureDoesNotMatch", 403)
    # A longer expiry than was signed.
    expect_error(_get(_with_query(url, **{"X-Amz-Expires": "3600"})), "SignatureDoesNotMatch", 403)
    # A presigned GET URL used for a PUT.
    expect_error(_put(url, b"overwrite"), "SignatureDoesNotMatch", 403)
    assert s3_client.get_object(Bucket=bucket, Key="guarded")["Body"].read() == b"secret"


def test_presigned_url_used_again_is_checked_again(presigner, s3_client, bucket):
    # The server remembers a presigned URL it verified; what the URL does not fix is still
    # checked on every use: a second mechanism, unsigned x-amz headers, the expiry.
    s3_client.put_object(Bucket=bucket, Key="again", Body=b"again")
    url = presigner.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "again"}, ExpiresIn=3)
    for _ in range(2):
        got = _get(url)
        assert (got.status_code, got.content) == (200, b"again"), got.text
    both = expect_error(_get(url, headers={"Authorization": "AWS4-HMAC-SHA256 Credential=x"}), "InvalidArgument", 400)
    assert "Only one auth mechanism allowed" in both.findtext("Message")
    unsigned = expect_error(_get(url, headers={"x-amz-meta-extra": "1"}), "AccessDenied", 403)
    assert unsigned.findtext("HeadersNotSigned") == "x-amz-meta-extra"
    time.sleep(4.2)
    expired = expect_error(_get(url), "AccessDenied", 403)
    assert expired.findtext("Message") == "Request has expired"


def test_presigned_url_with_wrong_secret_or_unknown_key(s3_endpoint, bucket, s3_client):
    s3_client.put_object(Bucket=bucket, Key="k", Body=b"v")
    wrong_secret = make_s3_client(s3_endpoint, aws_secret_access_key="x" + ACCOUNT_KEY[1:], config=SIGV4)
    url = wrong_secret.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=300)
    expect_error(_get(url), "SignatureDoesNotMatch", 403)
    unknown = make_s3_client(s3_endpoint, aws_access_key_id="AKIDONTKNOWYOU", config=SIGV4)
    url = unknown.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=300)
    expect_error(_get(url), "InvalidAccessKeyId", 403)


def test_presigned_expiry_limit(presigner, bucket):
    # X-Amz-Expires is at most 7 days (604800 s).
    url = presigner.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=604801)
    expect_error(_get(url), "AuthorizationQueryParametersError", 400)


# MARK: Header authentication


def test_wrong_secret_is_signature_does_not_match(s3_endpoint, bucket, s3_client):
    client = make_s3_client(s3_endpoint, aws_secret_access_key="wrong" + ACCOUNT_KEY[5:])
    with s3_error("SignatureDoesNotMatch", 403):
        client.list_buckets()
    with s3_error("SignatureDoesNotMatch", 403):
        client.put_object(Bucket=bucket, Key="nope", Body=b"data")
    with s3_error("SignatureDoesNotMatch", 403):
        client.list_objects_v2(Bucket=bucket)
    _assert_missing(s3_client, bucket, "nope")


def test_unknown_access_key_is_invalid_access_key_id(s3_endpoint, bucket, s3_client):
    client = make_s3_client(s3_endpoint, aws_access_key_id="AKIAIOSFODNN7EXAMPLE")
    with s3_error("InvalidAccessKeyId", 403):
        client.list_buckets()
    with s3_error("InvalidAccessKeyId", 403):
        client.put_object(Bucket=bucket, Key="nope", Body=b"data")
    _assert_missing(s3_client, bucket, "nope")


def test_anonymous_request_is_access_denied(s3_endpoint, s3_client, bucket):
    s3_client.put_object(Bucket=bucket, Key="private", Body=b"p")
    expect_error(_get(f"{s3_endpoint}/{bucket}/private"), "AccessDenied", 403)
    expect_error(_get(f"{s3_endpoint}/{bucket}"), "AccessDenied", 403)
    expect_error(_put(f"{s3_endpoint}/{bucket}/anon", b"x"), "AccessDenied", 403)
    _assert_missing(s3_client, bucket, "anon")


@pytest.mark.parametrize("minutes", [-20, 20])
def test_clock_skew_over_15_minutes(s3_endpoint, bucket, s3_client, monkeypatch, minutes):
    client = make_s3_client(s3_endpoint)
    real = botocore.auth.get_current_datetime

    def skewed(*args, **kwargs):
        return real(*args, **kwargs) + dt.timedelta(minutes=minutes)

    # botocore signs with its CRT signer when awscrt is installed, else in Python: skew both.
    monkeypatch.setattr(botocore.auth, "get_current_datetime", skewed)
    monkeypatch.setattr(botocore.crt.auth, "get_current_datetime", skewed)
    with s3_error("RequestTimeTooSkewed", 403):
        client.list_buckets()
    with s3_error("RequestTimeTooSkewed", 403):
        client.put_object(Bucket=bucket, Key="skewed", Body=b"x")
    monkeypatch.undo()
    _assert_missing(s3_client, bucket, "skewed")


def test_clock_skew_under_15_minutes_is_accepted(s3_endpoint, bucket):
    now = dt.datetime.now(UTC).replace(tzinfo=None)
    for minutes in (-10, 10):
        response = signed_request(s3_endpoint, "PUT", key_path(bucket, f"skew{minutes}"), body=b"ok",
                                  now=now + dt.timedelta(minutes=minutes))
        assert response.status_code == 200, response.text
    late = signed_request(s3_endpoint, "GET", f"/{bucket}", now=now - dt.timedelta(minutes=16))
    expect_error(late, "RequestTimeTooSkewed", 403)


def test_unsigned_payload(s3_endpoint, s3_client, bucket):
    response = signed_request(s3_endpoint, "PUT", key_path(bucket, "unsigned"), body=b"not hashed",
                              payload_hash="UNSIGNED-PAYLOAD")
    assert response.status_code == 200, response.text
    assert s3_client.get_object(Bucket=bucket, Key="unsigned")["Body"].read() == b"not hashed"


def test_signed_header_changed_after_signing(s3_endpoint, s3_client, bucket):
    request = AWSRequest(method="PUT", url=f"{s3_endpoint}{key_path(bucket, 'changed')}", data=b"body",
                         headers={"Content-Type": "text/plain"})
    S3SigV4Auth(Credentials(ACCOUNT, ACCOUNT_KEY), "s3", "us-east-1").add_auth(request)
    headers = dict(request.prepare().headers)
    assert "content-type" in headers["Authorization"]
    headers["Content-Type"] = "text/html"
    expect_error(_put(f"{s3_endpoint}{key_path(bucket, 'changed')}", b"body", headers=headers),
                 "SignatureDoesNotMatch", 403)
    _assert_missing(s3_client, bucket, "changed")


# MARK: Signed aws-chunked bodies (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER])


@pytest.mark.parametrize("size", [0, 1000, 200 * KiB + 5], ids=["0B", "1000B", "200KiB"])
def test_streaming_signed_payload(s3_endpoint, s3_client, bucket, size):
    data = pattern(size, seed=size)
    response = streaming_signed_put(s3_endpoint, key_path(bucket, "chunked/sig.bin"), data, chunk_size=64 * KiB,
                                    headers={"Content-Type": "application/x-chunked"})
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == quoted_md5(data)
    got = s3_client.get_object(Bucket=bucket, Key="chunked/sig.bin")
    assert got["Body"].read() == data
    assert got["ContentLength"] == size
    assert got["ContentType"] == "application/x-chunked"
    assert "aws-chunked" not in (got.get("ContentEncoding") or "")


def test_streaming_signed_payload_with_a_tampered_chunk(s3_endpoint, s3_client, bucket):
    data = pattern(200 * KiB, seed=1)
    response = streaming_signed_put(s3_endpoint, key_path(bucket, "tampered"), data, chunk_size=64 * KiB, tamper_chunk=2)
    expect_error(response, "SignatureDoesNotMatch", 403)
    _assert_missing(s3_client, bucket, "tampered")


def test_streaming_signed_payload_with_signed_trailer(s3_endpoint, s3_client, bucket):
    data = pattern(150 * KiB, seed=2)
    trailer = ("x-amz-checksum-crc32c", checksum_b64("crc32c", data))
    response = streaming_signed_put(s3_endpoint, key_path(bucket, "trailed"), data, chunk_size=64 * KiB, trailer=trailer)
    assert response.status_code == 200, response.text
    got = s3_client.get_object(Bucket=bucket, Key="trailed", ChecksumMode="ENABLED")
    assert got["Body"].read() == data
    assert got["ChecksumCRC32C"] == trailer[1]

    wrong = ("x-amz-checksum-crc32c", checksum_b64("crc32c", data + b"!"))
    bad = streaming_signed_put(s3_endpoint, key_path(bucket, "trailed-bad"), data, chunk_size=64 * KiB, trailer=wrong)
    expect_error(bad, "BadDigest", 400)
    _assert_missing(s3_client, bucket, "trailed-bad")

    unsigned = streaming_signed_put(s3_endpoint, key_path(bucket, "trailed-unsigned"), data, chunk_size=64 * KiB,
                                    trailer=trailer, sign_trailer=False)
    expect_error(unsigned, "SignatureDoesNotMatch", 403)
    _assert_missing(s3_client, bucket, "trailed-unsigned")


# MARK: Error format


def test_error_body_format_and_request_ids(s3_endpoint, s3_client, bucket):
    response = signed_request(s3_endpoint, "GET", key_path(bucket, "no/such/key"))
    root = expect_error(response, "NoSuchKey", 404)
    assert root.findtext("Key") == "no/such/key"
    assert root.find("Resource") is not None
    assert response.headers["Content-Type"].startswith("application/xml")
    # HEAD errors have the status and request id but no body.
    head = signed_request(s3_endpoint, "HEAD", key_path(bucket, "no/such/key"))
    assert head.status_code == 404
    assert head.content == b""
    assert head.headers.get("x-amz-request-id")
    # Successful responses carry a request id too, and ids differ between requests.
    ok = signed_request(s3_endpoint, "GET", f"/{bucket}", params={"list-type": "2"})
    assert ok.status_code == 200
    ElementTree.fromstring(ok.content)
    assert ok.headers.get("x-amz-request-id")
    assert ok.headers["x-amz-request-id"] != response.headers["x-amz-request-id"]
