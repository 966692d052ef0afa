"""File data: uploads of every size class, byte-exact downloads, ranges, clearing and checksums."""

import base64
import hashlib

import pytest
from azure.core.exceptions import HttpResponseError

from compat_helpers import KiB, MiB, azure_error, merged, pattern


@pytest.mark.parametrize("size", [0, 1, 4 * MiB], ids=["0B", "1B", "4MiB"])
def test_upload_and_download_byte_for_byte(share, size):
    data = pattern(size, seed=size)
    file = share.get_file_client(f"blob-{size}")
    file.upload_file(data)
    assert file.get_file_properties().size == size
    downloaded = file.download_file()
    assert downloaded.size == size
    assert downloaded.readall() == data


@pytest.mark.slow
def test_upload_50_mib_in_many_ranges_and_download(share):
    data = pattern(50 * MiB, seed=50)
    file = share.get_file_client("fifty.bin")
    # 4 MiB ranges (the SDK's default), several in flight at once.
    file.upload_file(data, max_concurrency=4)
    assert file.get_file_properties().size == len(data)
    assert merged(file.get_ranges()) == [(0, len(data) - 1)]
    # The SDK reads 32 MiB first, then 4 MiB ranges: both ranged GET forms are exercised.
    assert hashlib.sha256(file.download_file(max_concurrency=3).readall()).digest() == hashlib.sha256(data).digest()
    assert file.download_file(offset=len(data) - 10).readall() == data[-10:]


def test_ranged_downloads(share):
    data = pattern(10 * KiB)
    file = share.get_file_client("ranged")
    file.upload_file(data)

    assert file.download_file(offset=0, length=1).readall() == data[:1]
    assert file.download_file(offset=100, length=1000).readall() == data[100:1100]
    assert file.download_file(offset=5000).readall() == data[5000:]
    # A length past the end is cut at the end of the file.
    assert file.download_file(offset=10 * KiB - 3, length=100).readall() == data[-3:]

    stream = file.download_file(offset=1, length=4 * KiB)
    assert stream.size == 4 * KiB
    assert stream.properties.content_range == f"bytes 1-{4 * KiB}/{10 * KiB}"
    assert stream.readall() == data[1 : 1 + 4 * KiB]


def test_chunked_download_stream(share):
    data = pattern(9 * MiB, seed=9)
    file = share.get_file_client("chunked")
    file.upload_file(data)
    parts = list(file.download_file(max_concurrency=1).chunks())
    assert len(parts) > 1
    assert b"".join(parts) == data


def test_transactional_md5_on_upload_and_download(share):
    data = pattern(64 * KiB)
    file = share.get_file_client("md5")
    file.create_file(len(data))
    file.upload_range(data, offset=0, length=len(data), validate_content=True)
    # validate_content makes the SDK send x-ms-range-get-content-md5 and check Content-MD5.
    assert file.download_file(validate_content=True).readall() == data


def test_put_range_with_wrong_md5_is_refused_and_changes_nothing(share):
    file = share.get_file_client("badmd5")
    file.create_file(512)
    wrong = base64.b64encode(hashlib.md5(b"something else").digest()).decode()
    with azure_error(HttpResponseError, "Md5Mismatch", 400):
        file.upload_range(b"a" * 512, offset=0, length=512, headers={"Content-MD5": wrong})
    assert file.get_ranges() == []
    assert file.download_file().readall() == b"\0" * 512


def test_sparse_file_ranges_and_clear_range(share):
    file = share.get_file_client("sparse")
    file.create_file(1 * MiB)
    assert file.get_ranges() == []

    first, second = pattern(64 * KiB, 1), pattern(64 * KiB, 2)
    file.upload_range(first, offset=0, length=len(first))
    file.upload_range(second, offset=512 * KiB, length=len(second))
    assert merged(file.get_ranges()) == [(0, 64 * KiB - 1), (512 * KiB, 576 * KiB - 1)]
    assert merged(file.get_ranges(offset=500 * KiB, length=100 * KiB)) == [(512 * KiB, 576 * KiB - 1)]

    file.clear_range(offset=0, length=4 * KiB)
    assert merged(file.get_ranges()) == [(4 * KiB, 64 * KiB - 1), (512 * KiB, 576 * KiB - 1)]
    content = file.download_file().readall()
    assert content[: 4 * KiB] == b"\0" * (4 * KiB)
    assert content[4 * KiB : 64 * KiB] == first[4 * KiB :]
    assert content[64 * KiB : 512 * KiB] == b"\0" * (448 * KiB)
    assert content[512 * KiB : 576 * KiB] == second

    file.clear_range(offset=512 * KiB, length=64 * KiB)
    assert merged(file.get_ranges()) == [(4 * KiB, 64 * KiB - 1)]


def test_overwrite_inside_a_file(share):
    data = bytearray(pattern(16 * KiB))
    file = share.get_file_client("patch")
    file.upload_file(bytes(data))
    file.upload_range(b"Z" * 1000, offset=3000, length=1000)
    data[3000:4000] = b"Z" * 1000
    assert file.download_file().readall() == bytes(data)


def test_resize_grows_with_zeros_and_shrinks(share):
    file = share.get_file_client("resize")
    file.upload_file(b"abcdef")
    file.resize_file(4 * KiB)
    assert file.download_file().readall() == b"abcdef" + b"\0" * (4 * KiB - 6)
    file.resize_file(3)
    assert file.download_file().readall() == b"abc"


def test_upload_range_from_url(share):
    from datetime import datetime, timedelta, timezone

    from azure.storage.fileshare import FileSasPermissions, generate_file_sas

    from compat_helpers import ACCOUNT, ACCOUNT_KEY

    source = share.get_file_client("source")
    data = pattern(8 * KiB, 7)
    source.upload_file(data)
    sas = generate_file_sas(ACCOUNT, share.share_name, ["source"], ACCOUNT_KEY,
                            permission=FileSasPermissions(read=True),
                            expiry=datetime.now(timezone.utc) + timedelta(hours=1))
    target = share.get_file_client("target")
    target.create_file(4 * KiB)
    target.upload_range_from_url(f"{source.url}?{sas}", offset=0, length=4 * KiB, source_offset=2 * KiB)
    assert target.download_file().readall() == data[2 * KiB : 6 * KiB]
