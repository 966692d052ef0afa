"""S3 bucket lifecycle configurations through boto3: the configuration's round trip and S3's
errors, the x-amz-expiration header, and the server's background task expiring objects and
aborting old uploads (on a server whose background clock runs days ahead, `--clock-offset`)."""

import datetime as dt
import re

import pytest

from compat_helpers import unique_name, wait_until
from s3_helpers import make_s3_client, s3_error

THREE_DAYS = 3 * 86400


def keys(client, bucket):
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", []))


RULES = [
    {"ID": "legacy", "Prefix": "logs/", "Status": "Enabled", "Expiration": {"Days": 31}},
    {"ID": "dated", "Filter": {"Prefix": "tmp/"}, "Status": "Disabled",
     "Expiration": {"Date": dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)}},
    {"ID": "uploads", "Filter": {}, "Status": "Enabled", "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}},
    {"ID": "sized", "Filter": {"And": {"Prefix": "big/", "ObjectSizeGreaterThan": 10, "ObjectSizeLessThan": 1000}},
     "Status": "Enabled", "Expiration": {"Days": 2}},
]


def test_configuration_round_trip(s3_client, bucket):
    with s3_error("NoSuchLifecycleConfiguration", 404):
        s3_client.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert s3_client.delete_bucket_lifecycle(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    s3_client.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": RULES})
    assert s3_client.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] == RULES
    # A rule without an ID gets one.
    s3_client.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"Prefix": "x/", "Status": "Enabled", "Expiration": {"Days": 1}}]})
    (rule,) = s3_client.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rule["ID"] and rule["Prefix"] == "x/"
    assert s3_client.delete_bucket_lifecycle(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with s3_error("NoSuchLifecycleConfiguration", 404):
        s3_client.get_bucket_lifecycle_configuration(Bucket=bucket)


def rule(**fields):
    base = {"ID": "r", "Prefix": "p/", "Status": "Enabled", "Expiration": {"Days": 1}}
    base.update(fields)
    return base


@pytest.mark.parametrize("rules, code, status", [
    ([rule(Expiration={"Days": 0})], "InvalidArgument", 400),
    ([rule(Status="enabled")], "MalformedXML", 400),
    ([rule(), rule(Prefix="q/")], "InvalidArgument", 400),
    ([rule(ID="i" * 256)], "InvalidArgument", 400),
    ([rule(Expiration={"Date": dt.datetime(2030, 1, 1, 10, tzinfo=dt.timezone.utc)})], "InvalidArgument", 400),
    ([rule(Expiration={"Days": 1}, AbortIncompleteMultipartUpload={"DaysAfterInitiation": 0})], "InvalidArgument", 400),
    ([rule(Transitions=[{"Days": 30, "StorageClass": "GLACIER"}])], "NotImplemented", 501),
    ([rule(NoncurrentVersionExpiration={"NoncurrentDays": 3})], "NotImplemented", 501),
    ([rule(Expiration={"ExpiredObjectDeleteMarker": True})], "NotImplemented", 501),
    ([{"ID": "t", "Filter": {"Tag": {"Key": "aws:k", "Value": "v"}}, "Status": "Enabled", "Expiration": {"Days": 1}}],
     "InvalidTag", 400),
])
def test_refused_configurations_change_nothing(s3_client, bucket, rules, code, status):
    s3_client.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": RULES})
    with s3_error(code, status):
        s3_client.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    assert s3_client.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] == RULES


def test_configuration_of_a_missing_bucket(s3_client, new_bucket_name):
    with s3_error("NoSuchBucket", 404):
        s3_client.put_bucket_lifecycle_configuration(Bucket=new_bucket_name, LifecycleConfiguration={"Rules": [rule()]})
    with s3_error("NoSuchBucket", 404):
        s3_client.get_bucket_lifecycle_configuration(Bucket=new_bucket_name)


def test_expiration_header(s3_client, bucket):
    s3_client.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        rule(ID="tmp-rule", Prefix="tmp/", Expiration={"Days": 2}),
        {"ID": "mpu", "Prefix": "up/", "Status": "Enabled", "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}]})
    now = dt.datetime.now(dt.timezone.utc)
    put = s3_client.put_object(Bucket=bucket, Key="tmp/a", Body=b"x")
    match = re.fullmatch(r'expiry-date="(.+)", rule-id="(.+)"', put["Expiration"])
    assert match and match.group(2) == "tmp-rule"
    expiry = dt.datetime.strptime(match.group(1), "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=dt.timezone.utc)
    # S3's rule: the midnight UTC after the object is two days old.
    assert (expiry.hour, expiry.minute, expiry.second) == (0, 0, 0)
    assert (expiry - now).days == 2
    assert s3_client.head_object(Bucket=bucket, Key="tmp/a")["Expiration"] == put["Expiration"]
    assert s3_client.get_object(Bucket=bucket, Key="tmp/a")["Expiration"] == put["Expiration"]
    assert "Expiration" not in s3_client.put_object(Bucket=bucket, Key="other", Body=b"x")
    created = s3_client.create_multipart_upload(Bucket=bucket, Key="up/file")
    assert created["AbortRuleId"] == "mpu" and created["AbortDate"].hour == 0
    s3_client.abort_multipart_upload(Bucket=bucket, Key="up/file", UploadId=created["UploadId"])


def test_expiration_header_follows_the_objects_tags(s3_client, bucket):
    s3_client.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "tagged", "Filter": {"Tag": {"Key": "key1", "Value": "tag1"}}, "Status": "Enabled",
         "Expiration": {"Days": 1}}]})
    s3_client.put_object(Bucket=bucket, Key="obj", Body=b"x")
    assert "Expiration" not in s3_client.head_object(Bucket=bucket, Key="obj")
    s3_client.put_object_tagging(Bucket=bucket, Key="obj", Tagging={"TagSet": [
        {"Key": "key1", "Value": "tag1"}, {"Key": "key5", "Value": "tag5"}]})
    assert 'rule-id="tagged"' in s3_client.head_object(Bucket=bucket, Key="obj")["Expiration"]
    s3_client.delete_object_tagging(Bucket=bucket, Key="obj")
    assert "Expiration" not in s3_client.head_object(Bucket=bucket, Key="obj")


@pytest.fixture(scope="module")
def later(server_factory):
    """A server whose background work (lifecycle rules) runs three days ahead of the clock."""
    data = server_factory.data_dir("lifecycle")
    running = server_factory.start(data, extra_args=["--clock-offset", str(THREE_DAYS)])
    yield make_s3_client(running.s3_endpoint)
    server_factory.stop(running)


def test_rules_expire_objects_in_the_background(later):
    bucket = unique_name("bkt")
    later.create_bucket(Bucket=bucket)
    for key in ["tmp/a", "tmp/deep/b", "keep/a", "tmpfile", "big/small", "big/large"]:
        later.put_object(Bucket=bucket, Key=key, Body=b"x" * (100 if key == "big/large" else 5))
    later.put_object(Bucket=bucket, Key="tagged/gone", Body=b"x", Tagging="state=old&team=a")
    later.put_object(Bucket=bucket, Key="tagged/kept", Body=b"x", Tagging="state=new&team=a")
    later.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "tmp", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled", "Expiration": {"Days": 1}},
        {"ID": "big", "Filter": {"And": {"Prefix": "big/", "ObjectSizeGreaterThan": 50}}, "Status": "Enabled",
         "Expiration": {"Days": 1}},
        {"ID": "old", "Filter": {"And": {"Tags": [{"Key": "state", "Value": "old"}, {"Key": "team", "Value": "a"}]}},
         "Status": "Enabled", "Expiration": {"Days": 1}},
        {"ID": "off", "Filter": {"Prefix": "keep/"}, "Status": "Disabled", "Expiration": {"Days": 1}}]})
    wait_until(lambda: keys(later, bucket) == ["big/small", "keep/a", "tagged/kept", "tmpfile"],
               "expiry of tmp/, big/large and the object tagged state=old")
    # The objects left alone stay readable.
    assert later.get_object(Bucket=bucket, Key="keep/a")["Body"].read() == b"x" * 5


def test_rules_abort_old_uploads(later):
    bucket = unique_name("bkt")
    later.create_bucket(Bucket=bucket)
    old = later.create_multipart_upload(Bucket=bucket, Key="stale/file")["UploadId"]
    later.upload_part(Bucket=bucket, Key="stale/file", UploadId=old, PartNumber=1, Body=b"p" * 1024)
    kept = later.create_multipart_upload(Bucket=bucket, Key="fresh/file")["UploadId"]
    later.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "stale", "Filter": {"Prefix": "stale/"}, "Status": "Enabled",
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}]})

    def uploads():
        return [u["UploadId"] for u in later.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]

    wait_until(lambda: uploads() == [kept], "the abort of the stale upload")
    with s3_error("NoSuchUpload", 404):
        later.list_parts(Bucket=bucket, Key="stale/file", UploadId=old)
    later.abort_multipart_upload(Bucket=bucket, Key="fresh/file", UploadId=kept)
