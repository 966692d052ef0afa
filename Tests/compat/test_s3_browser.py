"""Browser-facing S3: bucket CORS rules (set with boto3, preflights and actual requests sent
with `requests` as a browser would) and POST Object form uploads (`boto3.generate_presigned_post`
sent with `requests` and a file field, as a page's form would)."""

import hashlib
import os
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pytest
import requests
from botocore.config import Config

from compat_helpers import MiB, peak_rss
from s3_helpers import expect_error, make_s3_client, s3_error

ORIGIN = "https://app.example.com"


@pytest.fixture(scope="module")
def v4(s3_endpoint):
    """A boto3 client that signs with Signature Version 4 (presigned URLs and POST forms too)."""
    return make_s3_client(s3_endpoint, config=Config(signature_version="s3v4"))


def cors_headers(response):
    return {k.lower(): v for k, v in response.headers.items() if k.lower().startswith("access-control-") or k.lower() == "vary"}


# MARK: CORS configuration


def test_cors_configuration_set_read_and_deleted(s3_client, bucket):
    with s3_error("NoSuchCORSConfiguration", 404):
        s3_client.get_bucket_cors(Bucket=bucket)
    rules = [
        {"ID": "uploads", "AllowedHeaders": ["x-amz-*", "Content-Type"], "AllowedMethods": ["PUT", "POST"],
         "AllowedOrigins": ["https://*.example.com"], "ExposeHeaders": ["ETag", "x-amz-request-id"], "MaxAgeSeconds": 600},
        {"AllowedMethods": ["GET", "HEAD"], "AllowedOrigins": ["*"]},
    ]
    s3_client.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    assert s3_client.get_bucket_cors(Bucket=bucket)["CORSRules"] == rules
    assert s3_client.delete_bucket_cors(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with s3_error("NoSuchCORSConfiguration", 404):
        s3_client.get_bucket_cors(Bucket=bucket)
    # Deleting again is no error, as in S3.
    s3_client.delete_bucket_cors(Bucket=bucket)


@pytest.mark.parametrize("rule, code", [
    ({"AllowedMethods": ["OPTIONS"], "AllowedOrigins": ["*"]}, "InvalidRequest"),
    ({"AllowedMethods": ["GET"], "AllowedOrigins": ["https://*.example.*"]}, "InvalidRequest"),
    ({"AllowedMethods": ["GET"], "AllowedOrigins": ["*"], "AllowedHeaders": ["x-*-*"]}, "InvalidRequest"),
    ({"AllowedMethods": ["GET"], "AllowedOrigins": ["*"], "ExposeHeaders": ["*"]}, "InvalidRequest"),
])
def test_invalid_cors_rules_are_refused_and_change_nothing(s3_client, bucket, rule, code):
    s3_client.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]})
    with s3_error(code, 400):
        s3_client.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [rule]})
    assert s3_client.get_bucket_cors(Bucket=bucket)["CORSRules"] == [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]


def test_cors_configuration_goes_with_the_bucket(s3_client, new_bucket_name):
    s3_client.create_bucket(Bucket=new_bucket_name)
    s3_client.put_bucket_cors(Bucket=new_bucket_name, CORSConfiguration={"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]})
    s3_client.delete_bucket(Bucket=new_bucket_name)
    s3_client.create_bucket(Bucket=new_bucket_name)
    with s3_error("NoSuchCORSConfiguration", 404):
        s3_client.get_bucket_cors(Bucket=new_bucket_name)


# MARK: Preflight


@pytest.fixture
def cors_bucket(s3_client, bucket):
    s3_client.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [
        {"AllowedHeaders": ["x-amz-*", "content-type"], "AllowedMethods": ["PUT", "POST", "DELETE"],
         "AllowedOrigins": ["https://*.example.com"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 300},
        {"AllowedMethods": ["GET", "HEAD"], "AllowedOrigins": ["*"]},
    ]})
    return bucket


def test_preflight_admitted_by_a_rule(s3_endpoint, cors_bucket):
    r = requests.options(f"{s3_endpoint}/{cors_bucket}/photos/cat.jpg",
                         headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT",
                                  "Access-Control-Request-Headers": "X-Amz-Date,content-type"})
    assert r.status_code == 200, r.text
    assert cors_headers(r) == {
        "access-control-allow-origin": ORIGIN, "access-control-allow-credentials": "true",
        "access-control-allow-methods": "PUT, POST, DELETE", "access-control-allow-headers": "x-amz-date, content-type",
        "access-control-expose-headers": "ETag", "access-control-max-age": "300",
        "vary": "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"}
    assert r.content == b""


def test_preflight_wildcard_origin(s3_endpoint, cors_bucket):
    r = requests.options(f"{s3_endpoint}/{cors_bucket}", headers={"Origin": "http://anyone.test:8080", "Access-Control-Request-Method": "GET"})
    assert r.status_code == 200, r.text
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in r.headers
    assert r.headers["Access-Control-Allow-Methods"] == "GET, HEAD"


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.test", "Access-Control-Request-Method": "PUT"},            # origin
    {"Origin": ORIGIN, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-amz-date"},  # header
    {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "authorization"},
    {"Origin": "https://example.com", "Access-Control-Request-Method": "DELETE"},       # '*.' needs a subdomain
])
def test_preflight_no_rule_matches(s3_endpoint, cors_bucket, headers):
    r = requests.options(f"{s3_endpoint}/{cors_bucket}/k", headers=headers)
    root = expect_error(r, "AccessForbidden", 403)
    assert root.findtext("Message").startswith("CORSResponse: This CORS request is not allowed.")
    assert root.findtext("Method") == headers["Access-Control-Request-Method"]
    assert cors_headers(r) == {}


def test_preflight_without_origin_or_method(s3_endpoint, cors_bucket):
    r = requests.options(f"{s3_endpoint}/{cors_bucket}/k", headers={"Access-Control-Request-Method": "GET"})
    assert expect_error(r, "BadRequest", 400).findtext("Message") == "Insufficient information. Origin request header needed."
    r = requests.options(f"{s3_endpoint}/{cors_bucket}/k", headers={"Origin": ORIGIN})
    assert expect_error(r, "BadRequest", 400).findtext("Message") == "Invalid Access-Control-Request-Method: null"


def test_preflight_bucket_without_cors_or_missing(s3_endpoint, bucket):
    r = requests.options(f"{s3_endpoint}/{bucket}/k", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"})
    assert expect_error(r, "AccessForbidden", 403).findtext("Message") == "CORSResponse: CORS is not enabled for this bucket."
    r = requests.options(f"{s3_endpoint}/no-such-bucket-cors/k", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"})
    assert expect_error(r, "AccessForbidden", 403).findtext("Message") == "CORSResponse: Bucket not found"


# MARK: Actual requests


def test_actual_requests_carry_the_rule_headers(s3_client, v4, cors_bucket):
    s3_client.put_object(Bucket=cors_bucket, Key="hello.txt", Body=b"hello")
    url = v4.generate_presigned_url("get_object", Params={"Bucket": cors_bucket, "Key": "hello.txt"})
    r = requests.get(url, headers={"Origin": ORIGIN})
    assert r.status_code == 200 and r.content == b"hello"
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert r.headers["Access-Control-Allow-Methods"] == "GET, HEAD"
    assert r.headers["Vary"] == "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
    # No Origin: not a cross-origin request, no CORS headers.
    assert cors_headers(requests.get(url)) == {}
    # A PUT from an origin the first rule admits gets its headers, ETag exposed.
    put_url = v4.generate_presigned_url("put_object", Params={"Bucket": cors_bucket, "Key": "up.txt"})
    r = requests.put(put_url, data=b"up", headers={"Origin": ORIGIN})
    assert r.status_code == 200, r.text
    assert r.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert r.headers["Access-Control-Allow-Credentials"] == "true"
    assert r.headers["Access-Control-Expose-Headers"] == "ETag"
    # From an origin no rule admits for PUT: served, without CORS headers (the browser blocks it).
    r = requests.put(put_url, data=b"up", headers={"Origin": "https://evil.test"})
    assert r.status_code == 200
    assert cors_headers(r) == {}


def test_error_responses_carry_the_cors_headers(s3_endpoint, v4, cors_bucket):
    missing = v4.generate_presigned_url("get_object", Params={"Bucket": cors_bucket, "Key": "missing"})
    r = requests.get(missing, headers={"Origin": ORIGIN})
    expect_error(r, "NoSuchKey", 404)
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    # Unsigned: refused, but the page can read why.
    r = requests.get(f"{s3_endpoint}/{cors_bucket}/missing", headers={"Origin": ORIGIN})
    expect_error(r, "AccessDenied", 403)
    assert r.headers["Access-Control-Allow-Origin"] == "*"


# MARK: POST Object


def post(presigned, data, extra=None, filename="report.txt", **kwargs):
    fields = dict(presigned["fields"])
    fields.update(extra or {})
    return requests.post(presigned["url"], data=fields, files={"file": (filename, data)}, **kwargs)


def test_presigned_post_uploads_the_file(s3_client, v4, bucket):
    presigned = v4.generate_presigned_post(bucket, "docs/${filename}",
                                           Fields={"Content-Type": "text/plain", "x-amz-meta-owner": "ana"},
                                           Conditions=[["starts-with", "$Content-Type", "text/"], {"x-amz-meta-owner": "ana"},
                                                       ["content-length-range", 1, 1024]])
    assert presigned["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    r = post(presigned, b"quarterly numbers", filename="C:\\Users\\ana\\q3.txt")
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert r.headers["ETag"] == '"%s"' % hashlib.md5(b"quarterly numbers").hexdigest()
    obj = s3_client.get_object(Bucket=bucket, Key="docs/q3.txt")
    assert obj["Body"].read() == b"quarterly numbers"
    assert obj["ContentType"] == "text/plain"
    assert obj["Metadata"] == {"owner": "ana"}


def test_presigned_post_signature_version_2(s3_client, bucket):
    presigned = s3_client.generate_presigned_post(bucket, "v2.txt")
    assert "signature" in presigned["fields"]
    assert post(presigned, b"v2").status_code == 204
    assert s3_client.get_object(Bucket=bucket, Key="v2.txt")["Body"].read() == b"v2"


def test_presigned_post_201_answers_post_response(s3_endpoint, v4, bucket):
    presigned = v4.generate_presigned_post(bucket, "a dir/${filename}", Fields={"success_action_status": "201"},
                                           Conditions=[{"success_action_status": "201"}])
    r = post(presigned, b"x", filename="b c.txt")
    assert r.status_code == 201, r.text
    root = ElementTree.fromstring(r.content)
    assert root.tag == "PostResponse"
    assert root.findtext("Bucket") == bucket
    assert root.findtext("Key") == "a dir/b c.txt"
    assert root.findtext("ETag") == '"%s"' % hashlib.md5(b"x").hexdigest()
    assert root.findtext("Location") == f"{s3_endpoint}/{bucket}/a%20dir%2Fb%20c.txt"


def test_presigned_post_303_redirect(v4, bucket):
    target = "https://app.example.com/done?from=form"
    presigned = v4.generate_presigned_post(bucket, "r.txt", Fields={"success_action_redirect": target},
                                           Conditions=[["starts-with", "$success_action_redirect", "https://app.example.com/"]])
    r = post(presigned, b"redirected", allow_redirects=False)
    assert r.status_code == 303, r.text
    location = urlsplit(r.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == "https://app.example.com/done"
    assert parse_qs(location.query) == {"from": ["form"], "bucket": [bucket], "key": ["r.txt"],
                                        "etag": ['"%s"' % hashlib.md5(b"redirected").hexdigest()]}


@pytest.mark.parametrize("size, code", [(2048, "EntityTooLarge"), (3, "EntityTooSmall")])
def test_presigned_post_outside_content_length_range(s3_client, v4, bucket, size, code):
    presigned = v4.generate_presigned_post(bucket, "sized.bin", Conditions=[["content-length-range", 10, 1024]])
    expect_error(post(presigned, b"z" * size), code, 400)
    with s3_error("NoSuchKey", 404):
        s3_client.get_object(Bucket=bucket, Key="sized.bin")


def test_presigned_post_expired_policy(s3_client, v4, bucket):
    presigned = v4.generate_presigned_post(bucket, "late.txt", ExpiresIn=-60)
    r = post(presigned, b"late")
    assert expect_error(r, "AccessDenied", 403).findtext("Message") == "Invalid according to Policy: Policy expired."
    with s3_error("NoSuchKey", 404):
        s3_client.get_object(Bucket=bucket, Key="late.txt")


def test_presigned_post_bad_signature(s3_client, v4, bucket):
    presigned = v4.generate_presigned_post(bucket, "forged.txt")
    signature = presigned["fields"]["x-amz-signature"]
    r = post(presigned, b"forged", extra={"x-amz-signature": signature[::-1]})
    root = expect_error(r, "SignatureDoesNotMatch", 403)
    assert root.findtext("StringToSign") == presigned["fields"]["policy"]
    # A field changed after signing fails the policy's condition on it.
    r = post(presigned, b"forged", extra={"key": "other.txt"})
    expect_error(r, "AccessDenied", 403)
    with s3_error("NoSuchKey", 404):
        s3_client.get_object(Bucket=bucket, Key="forged.txt")


def test_presigned_post_fields_the_policy_does_not_cover(v4, bucket):
    presigned = v4.generate_presigned_post(bucket, "extra.txt")
    r = post(presigned, b"x", extra={"x-amz-meta-sneaky": "1"})
    assert expect_error(r, "AccessDenied", 403).findtext("Message") == "Invalid according to Policy: Extra input fields: x-amz-meta-sneaky"
    # x-ignore-* fields are exempt.
    assert post(presigned, b"x", extra={"x-ignore-tracker": "1"}).status_code == 204


def test_unsigned_form_and_other_refusals(s3_endpoint, v4, bucket):
    url = f"{s3_endpoint}/{bucket}"
    r = requests.post(url, data={"key": "anon.txt"}, files={"file": ("a", b"a")})
    expect_error(r, "AccessDenied", 403)
    r = requests.post(url, data=b"key=a", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert expect_error(r, "PreconditionFailed", 412).findtext("Condition") == "Bucket POST must be of the enclosure-type multipart/form-data"
    presigned = v4.generate_presigned_post(bucket, "sse.txt", Fields={"x-amz-server-side-encryption": "aws:kms:dsse"},
                                           Conditions=[{"x-amz-server-side-encryption": "aws:kms:dsse"}])
    expect_error(post(presigned, b"t"), "NotImplemented", 501)
    r = requests.post(url, data=presigned["fields"], files={"attachment": ("a.txt", b"a")})  # no part named file
    assert expect_error(r, "InvalidArgument", 400).findtext("Message") == "POST requires exactly one file upload per request."



def test_form_tags_acl_and_expires_are_applied(s3_client, v4, bucket):
    tagging = "<Tagging><TagSet><Tag><Key>team</Key><Value>ops</Value></Tag></TagSet></Tagging>"
    fields = {"tagging": tagging, "acl": "public-read", "Expires": "Thu, 01 Jan 2099 00:00:00 GMT"}
    presigned = v4.generate_presigned_post(bucket, "applied.txt", Fields=fields,
                                           Conditions=[{"tagging": tagging}, {"acl": "public-read"},
                                                       ["starts-with", "$Expires", ""]])
    assert post(presigned, b"form").status_code == 204
    assert s3_client.get_object_tagging(Bucket=bucket, Key="applied.txt")["TagSet"] == [{"Key": "team", "Value": "ops"}]
    grants = s3_client.get_object_acl(Bucket=bucket, Key="applied.txt")["Grants"]
    assert {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"} in grants
    head = s3_client.head_object(Bucket=bucket, Key="applied.txt")
    assert head["ResponseMetadata"]["HTTPHeaders"]["expires"] == "Thu, 01 Jan 2099 00:00:00 GMT"
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-tagging-count"] == "1"
    # A tag breaking S3's rules refuses the whole form; nothing is stored.
    bad = "<Tagging><TagSet><Tag><Key>aws:x</Key><Value>v</Value></Tag></TagSet></Tagging>"
    presigned = v4.generate_presigned_post(bucket, "bad-tag.txt", Fields={"tagging": bad}, Conditions=[{"tagging": bad}])
    expect_error(post(presigned, b"x"), "InvalidTag", 400)
    with s3_error("404", 404):
        s3_client.head_object(Bucket=bucket, Key="bad-tag.txt")


def test_anonymous_form_needs_a_public_write_grant(s3_client, s3_endpoint, new_bucket_name):
    s3_client.create_bucket(Bucket=new_bucket_name)
    url = f"{s3_endpoint}/{new_bucket_name}"
    r = requests.post(url, data={"key": "anon.txt"}, files={"file": ("a", b"anonymous")})
    expect_error(r, "AccessDenied", 403)
    s3_client.put_bucket_acl(Bucket=new_bucket_name, ACL="public-read-write")
    r = requests.post(url, data={"key": "anon.txt", "Content-Type": "text/plain"}, files={"file": ("a", b"anonymous")})
    assert r.status_code == 204, r.text
    assert s3_client.get_object(Bucket=new_bucket_name, Key="anon.txt")["Body"].read() == b"anonymous"


def test_presigned_post_cors_headers(v4, cors_bucket):
    presigned = v4.generate_presigned_post(cors_bucket, "cors.txt")
    r = post(presigned, b"c", headers={"Origin": ORIGIN})
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert r.headers["Access-Control-Expose-Headers"] == "ETag"


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads the server's memory from /proc (Linux)")
def test_large_file_streams_through_a_form(server, s3_client, v4, bucket):
    """A 256 MiB file part, sent 1 MiB at a time, is stored byte for byte while the server's
    anonymous memory stays far below the file's size (the part is never held whole)."""
    size = 256 * MiB
    presigned = v4.generate_presigned_post(bucket, "big.bin", Conditions=[["content-length-range", size, size]])
    boundary = "----sharecoreFormBoundary7MA4YWxkTrZu0gW"
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in presigned["fields"].items())
    head += f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n\r\n'.encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    block = bytes(range(256)) * (MiB // 256)
    digest = hashlib.md5()
    for _ in range(size // MiB):
        digest.update(block)

    def body():
        yield head
        for _ in range(size // MiB):
            yield block
        yield tail

    with peak_rss(server.process.pid, "RssAnon") as memory:
        request = urllib.request.Request(presigned["url"], data=body(), method="POST", headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(head) + size + len(tail))})
        with urllib.request.urlopen(request) as response:
            assert response.status == 204
            assert response.headers["ETag"] == f'"{digest.hexdigest()}"'
    grew = memory["peak"] - memory["before"]
    assert grew < 64, f"server anonymous memory grew {grew} MiB for a {size // MiB} MiB file"
    stored = s3_client.head_object(Bucket=bucket, Key="big.bin")
    assert stored["ContentLength"] == size
    assert stored["ETag"] == f'"{digest.hexdigest()}"'


def test_form_sse_s3_field_encrypts_the_upload(s3_client, v4, server, bucket):
    """`x-amz-server-side-encryption: AES256` as a form field seals the file as on PutObject."""
    secret = (os.urandom(16).hex().encode() + b"-form-secret-") * 2000
    presigned = v4.generate_presigned_post(bucket, "sealed.txt", Fields={"x-amz-server-side-encryption": "AES256"},
                                           Conditions=[{"x-amz-server-side-encryption": "AES256"}])
    r = post(presigned, secret)
    assert r.status_code == 204, r.text
    assert r.headers["x-amz-server-side-encryption"] == "AES256"
    got = s3_client.get_object(Bucket=bucket, Key="sealed.txt")
    assert got["ServerSideEncryption"] == "AES256" and got["Body"].read() == secret
    assert secret[:64] not in Path(server.data_dir, "data.mdb").read_bytes()
