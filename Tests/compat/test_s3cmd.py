"""s3cmd (Debian's package, installed by `make compat`) against the S3 front, configured by a
generated config file: mb, put (with its x-amz-meta-s3cmd-attrs metadata), get, ls, info,
sync up and down, multipart put, del and rb (issue #9)."""

import os
import shutil
import subprocess
import time

import pytest

from compat_helpers import ACCOUNT, ACCOUNT_KEY, KiB, MiB, pattern
from s3_helpers import REGION, s3_error

S3CMD_TIMEOUT = 120


@pytest.fixture
def s3cmd(server, tmp_path):
    """Runs `s3cmd -c <generated config> ARGS...` against the server (path-style addressing,
    plain HTTP, Signature V4); returns the completed process."""
    binary = shutil.which("s3cmd")
    if binary is None:
        pytest.fail("s3cmd is not installed (make compat installs it with apt-get)")
    config = tmp_path / "s3cmd.cfg"
    host = f"127.0.0.1:{server.s3_port}"
    config.write_text(
        "[default]\n"
        f"access_key = {ACCOUNT}\n"
        f"secret_key = {ACCOUNT_KEY}\n"
        f"host_base = {host}\n"
        f"host_bucket = {host}\n"
        f"bucket_location = {REGION}\n"
        "use_https = False\n"
        "signature_v2 = False\n"
        "progress_meter = False\n"
    )

    def run(*args, check=True):
        command = [binary, "-c", str(config), *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=S3CMD_TIMEOUT)
        if check and result.returncode != 0:
            pytest.fail(f"s3cmd {' '.join(args)} exited with {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result

    return run


def _tree(root):
    files = {
        "a.txt": b"alpha\n",
        "nested/b.bin": pattern(40 * KiB, seed=2),
        "nested/deeper/c d.txt": b"with a space\n",
        "empty.txt": b"",
    }
    an_hour_ago = time.time() - 3600
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, (an_hour_ago, an_hour_ago))
    return files


def test_put_get_ls_info_del_with_s3cmd_attrs(s3cmd, s3_client, service, new_bucket_name, tmp_path):
    bucket = new_bucket_name
    s3cmd("mb", f"s3://{bucket}")
    local = tmp_path / "hello.txt"
    local.write_bytes(b"hello from s3cmd\n")
    s3cmd("put", str(local), f"s3://{bucket}/docs/hello.txt")

    # s3cmd keeps the file's attributes in x-amz-meta-s3cmd-attrs: a name with a hyphen.
    metadata = s3_client.head_object(Bucket=bucket, Key="docs/hello.txt")["Metadata"]
    assert "s3cmd-attrs" in metadata, metadata
    assert "md5:" in metadata["s3cmd-attrs"]
    # FileREST shows the same metadata.
    shown = service.get_share_client(bucket).get_file_client("docs/hello.txt").get_file_properties().metadata
    assert shown.get("s3cmd-attrs") == metadata["s3cmd-attrs"]

    listing = s3cmd("ls", f"s3://{bucket}/docs/").stdout
    assert f"s3://{bucket}/docs/hello.txt" in listing
    info = s3cmd("info", f"s3://{bucket}/docs/hello.txt").stdout
    assert "File size: 17" in info

    down = tmp_path / "down.txt"
    s3cmd("get", f"s3://{bucket}/docs/hello.txt", str(down))
    assert down.read_bytes() == local.read_bytes()

    s3cmd("del", f"s3://{bucket}/docs/hello.txt")
    with s3_error("404", 404):
        s3_client.head_object(Bucket=bucket, Key="docs/hello.txt")
    s3cmd("rb", f"s3://{bucket}")
    with s3_error("404", 404):
        s3_client.head_bucket(Bucket=bucket)


def test_multipart_put_and_get(s3cmd, s3_client, bucket, tmp_path):
    data = pattern(12 * MiB, seed=12)
    local = tmp_path / "big.bin"
    local.write_bytes(data)
    s3cmd("put", "--multipart-chunk-size-mb=5", str(local), f"s3://{bucket}/big.bin")
    assert s3_client.head_object(Bucket=bucket, Key="big.bin")["ETag"].endswith('-3"')
    down = tmp_path / "big.down"
    s3cmd("get", f"s3://{bucket}/big.bin", str(down))
    assert down.read_bytes() == data


def test_sync_up_and_down(s3cmd, s3_client, bucket, tmp_path):
    source = tmp_path / "source"
    files = _tree(source)
    s3cmd("sync", f"{source}/", f"s3://{bucket}/tree/")
    listed = s3_client.list_objects_v2(Bucket=bucket, Prefix="tree/")["Contents"]
    assert sorted(item["Key"] for item in listed) == sorted(f"tree/{rel}" for rel in files)

    # Nothing changed: a second sync uploads nothing.
    again = s3cmd("sync", f"{source}/", f"s3://{bucket}/tree/")
    assert "upload:" not in again.stdout, again.stdout

    target = tmp_path / "target"
    s3cmd("sync", f"s3://{bucket}/tree/", f"{target}/")
    for rel, data in files.items():
        assert (target / rel).read_bytes() == data, rel

    # A file removed locally is removed remotely with --delete-removed.
    (source / "a.txt").unlink()
    s3cmd("sync", "--delete-removed", f"{source}/", f"s3://{bucket}/tree/")
    with s3_error("404", 404):
        s3_client.head_object(Bucket=bucket, Key="tree/a.txt")

    s3cmd("del", "--recursive", "--force", f"s3://{bucket}/tree/")
    assert s3_client.list_objects_v2(Bucket=bucket, Prefix="tree/").get("KeyCount") == 0
