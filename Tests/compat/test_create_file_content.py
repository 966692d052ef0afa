"""Create File with content (`ShareFileClient.create_file(size, data=...)`, version 2026-02-06):
the bytes are stored with the create, checked against their MD5, or the create is refused; and
re-creating a leased file with its lease keeps the lease (issue #9)."""

import base64
import hashlib

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from compat_helpers import MiB, azure_error, pattern


def test_create_file_with_data_stores_the_data(share):
    file = share.get_file_client("with-data.bin")
    file.create_file(100, data=b"hello, share")
    assert file.get_file_properties().size == 100
    assert file.download_file().readall() == b"hello, share" + bytes(88)
    assert [(r["start"], r["end"]) for r in file.get_ranges()] == [(0, len(b"hello, share") - 1)]


def test_create_file_with_4_mib_of_data_and_md5_validation(share):
    data = pattern(4 * MiB, seed=4)
    file = share.get_file_client("four.bin")
    file.create_file(len(data), data=data, validate_content="md5")
    assert hashlib.sha256(file.download_file().readall()).digest() == hashlib.sha256(data).digest()


def test_create_file_with_a_wrong_md5_is_refused_and_nothing_is_created(share):
    file = share.get_file_client("bad-md5.bin")
    wrong = base64.b64encode(hashlib.md5(b"something else").digest()).decode()
    with azure_error(HttpResponseError, "Md5Mismatch", 400):
        file.create_file(16, data=b"the real content", headers={"Content-MD5": wrong})
    with azure_error(ResourceNotFoundError, "ResourceNotFound", 404):
        file.get_file_properties()


def test_create_file_with_more_data_than_its_size_is_refused(share):
    file = share.get_file_client("short.bin")
    with azure_error(HttpResponseError, "InvalidHeaderValue", 400):
        file.create_file(4, data=b"longer than four")
    with azure_error(ResourceNotFoundError, "ResourceNotFound", 404):
        file.get_file_properties()


def test_upload_file_onto_a_leased_file_with_its_lease_keeps_the_lease(share):
    file = share.get_file_client("leased.txt")
    file.upload_file(b"first")
    lease = file.acquire_lease()
    with azure_error(HttpResponseError, "LeaseIdMissing", 412):
        file.upload_file(b"no lease")
    file.upload_file(b"second version", lease=lease)
    assert file.download_file().readall() == b"second version"
    properties = file.get_file_properties()
    assert (properties.lease.status, properties.lease.state) == ("locked", "leased")
    with azure_error(HttpResponseError, "LeaseIdMissing", 412):
        file.delete_file()
    file.delete_file(lease=lease)
