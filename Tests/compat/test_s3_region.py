"""A server in another region (`--s3-region`, issue #9): boto3 configured for that region signs
with it, GetBucketLocation reports it, and re-creating a bucket one owns is 409
`BucketAlreadyOwnedByYou` (us-east-1 alone answers 200 there, as S3 does; see test_s3_buckets)."""

import subprocess

import pytest

from compat_helpers import unique_name
from conftest import sharecore_binary
from s3_helpers import make_s3_client, s3_error


@pytest.fixture(scope="module")
def eu_server(server_factory):
    return server_factory.start(server_factory.data_dir("eu"), extra_args=["--s3-region", "eu-west-1"])


def test_recreating_an_owned_bucket_outside_us_east_1_is_a_conflict(eu_server):
    s3 = make_s3_client(eu_server.s3_endpoint, region_name="eu-west-1")
    name = unique_name("eu")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket=name, Key="kept.txt", Body=b"kept")
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"
    assert s3.head_bucket(Bucket=name)["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "eu-west-1"
    with s3_error("BucketAlreadyOwnedByYou", 409):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert s3.get_object(Bucket=name, Key="kept.txt")["Body"].read() == b"kept"


def test_an_invalid_region_flag_is_refused(server_factory):
    result = subprocess.run([sharecore_binary(), "serve", "--data", server_factory.data_dir("bad-region"),
                             "--s3-region", "EU WEST"], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "--s3-region must be a region name" in result.stderr
