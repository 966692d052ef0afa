"""CRC-64 content validation (issue #9): the SDK's `validate_content="crc64"` sends Put Range
and Create File bodies as structured messages (`x-ms-structured-body: XSM/1.0;
properties=crc64`) and asks for downloads in that form; the server verifies every CRC before
writing and produces them for downloads, which the SDK verifies in turn."""

import base64
import hashlib

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.pipeline.transport import RequestsTransport
from azure.storage.extensions import checksums

from compat_helpers import MiB, azure_error, pattern


def test_upload_range_and_download_with_crc64(share):
    data = pattern(5 * MiB + 123, seed=64)
    file = share.get_file_client("crc.bin")
    file.create_file(len(data))
    file.upload_range(data[:4 * MiB], offset=0, length=4 * MiB, validate_content="crc64")
    file.upload_range(data[4 * MiB:], offset=4 * MiB, length=len(data) - 4 * MiB, validate_content="crc64")
    downloaded = file.download_file(validate_content="crc64").readall()
    assert hashlib.sha256(downloaded).digest() == hashlib.sha256(data).digest()
    part = file.download_file(offset=4 * MiB - 10, length=20, validate_content="crc64").readall()
    assert part == data[4 * MiB - 10:4 * MiB + 10]


def test_upload_file_and_create_file_with_data_with_crc64(share):
    data = pattern(3 * MiB, seed=65)
    file = share.get_file_client("uploaded.bin")
    file.upload_file(data, validate_content="crc64")
    assert file.download_file(validate_content="crc64").readall() == data
    created = share.get_file_client("created.bin")
    created.create_file(100, data=b"first bytes", validate_content="crc64")
    assert created.download_file(validate_content="crc64").readall() == b"first bytes" + bytes(89)
    empty = share.get_file_client("empty.bin")
    empty.create_file(0)
    assert empty.download_file(validate_content="crc64").readall() == b""


class _CorruptingTransport(RequestsTransport):
    """Flips one content byte of each outgoing structured message, after the SDK computed its
    CRCs: what a faulty network or proxy would do."""

    def send(self, request, **kwargs):
        if request.headers.get("x-ms-structured-body") and request.method == "PUT":
            body = bytearray(request.data.read())
            body[13 + 10] ^= 0xFF  # the first content byte, after the message and segment headers
            request.data = bytes(body)
        return super().send(request, **kwargs)


def test_a_corrupted_structured_body_is_refused_and_nothing_is_written(share, conn_str):
    from azure.storage.fileshare import ShareFileClient

    file = share.get_file_client("target.bin")
    file.upload_file(b"A" * 64)
    corrupting = ShareFileClient.from_connection_string(conn_str, share.share_name, "target.bin",
                                                         transport=_CorruptingTransport())
    with azure_error(HttpResponseError, "Crc64Mismatch", 400):
        corrupting.upload_range(b"B" * 64, offset=0, length=64, validate_content="crc64")
    assert file.download_file().readall() == b"A" * 64
    fresh = ShareFileClient.from_connection_string(conn_str, share.share_name, "fresh.bin",
                                                    transport=_CorruptingTransport())
    with azure_error(HttpResponseError, "Crc64Mismatch", 400):
        fresh.create_file(64, data=b"C" * 64, validate_content="crc64")
    with azure_error(ResourceNotFoundError, "ResourceNotFound", 404):
        share.get_file_client("fresh.bin").get_file_properties()


def test_x_ms_content_crc64_header_is_checked(share):
    file = share.get_file_client("header.bin")
    file.create_file(11)
    right = checksums.crc64.compute(b"hello world", 0).to_bytes(8, "little")
    file.upload_range(b"hello world", 0, 11, headers={"x-ms-content-crc64": base64.b64encode(right).decode()})
    wrong = base64.b64encode(bytes(8)).decode()
    with azure_error(HttpResponseError, "Crc64Mismatch", 400):
        file.upload_range(b"HELLO WORLD", 0, 11, headers={"x-ms-content-crc64": wrong})
    assert file.download_file().readall() == b"hello world"
