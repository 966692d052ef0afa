"""Leases on files and shares: acquire, renew, change, release, break; writes without the lease."""

import uuid

from azure.core.exceptions import HttpResponseError, ResourceExistsError

from compat_helpers import azure_error


def _lease_state(props):
    return props.lease.status, props.lease.state, props.lease.duration


def test_file_lease_life_cycle(share):
    file = share.get_file_client("locked.txt")
    file.upload_file(b"0123456789")

    lease = file.acquire_lease()
    assert uuid.UUID(lease.id)
    assert _lease_state(file.get_file_properties()) == ("locked", "leased", "infinite")

    # Writes and deletes need the lease; reads do not.
    with azure_error(HttpResponseError, "LeaseIdMissing", 412):
        file.upload_range(b"x" * 512, offset=0, length=512)
    with azure_error(HttpResponseError, "LeaseIdMissing", 412):
        file.set_file_metadata({"a": "b"})
    with azure_error(HttpResponseError, "LeaseIdMissing", 412):
        file.delete_file()
    with azure_error(HttpResponseError, "LeaseIdMismatchWithFileOperation", 412):
        file.set_file_metadata({"a": "b"}, lease=str(uuid.uuid4()))
    assert file.download_file().readall() == b"0123456789"

    file.upload_range(b"ABCDE", offset=0, length=5, lease=lease)
    file.set_file_metadata({"a": "b"}, lease=lease)
    assert file.download_file().readall() == b"ABCDE56789"

    # A second acquire by someone else fails.
    with azure_error(ResourceExistsError, "LeaseAlreadyPresent", 409):
        file.acquire_lease()

    old_id = lease.id
    new_id = str(uuid.uuid4())
    lease.change(new_id)
    assert lease.id == new_id
    with azure_error(HttpResponseError, "LeaseIdMismatchWithFileOperation", 412):
        file.set_file_metadata({"c": "d"}, lease=old_id)
    file.set_file_metadata({"c": "d"}, lease=new_id)

    lease.release()
    assert _lease_state(file.get_file_properties())[:2] == ("unlocked", "available")
    file.set_file_metadata({"free": "again"})


def test_file_lease_break(share):
    file = share.get_file_client("broken.txt")
    file.upload_file(b"data")
    lease = file.acquire_lease(lease_id=str(uuid.uuid4()))
    # Azure sends x-ms-lease-time only when breaking a share lease.
    assert lease.break_lease() is None
    assert _lease_state(file.get_file_properties())[:2] == ("unlocked", "broken")
    # A broken lease no longer blocks writes, and a new lease can be taken at once.
    file.set_file_metadata({"after": "break"})
    again = file.acquire_lease()
    again.release()
    file.delete_file()


def test_share_lease_life_cycle(share):
    lease = share.acquire_lease(lease_duration=-1)
    props = share.get_share_properties()
    assert _lease_state(props) == ("locked", "leased", "infinite")

    # Deleting the share and changing its metadata, properties or ACL need the lease id
    # (Set Share Metadata: "Required if the destination file share has an active lease");
    # the files inside stay writable.
    with azure_error(HttpResponseError, "LeaseIdMissing", 412):
        share.delete_share()
    with azure_error(HttpResponseError, "LeaseIdMissing", 412):
        share.set_share_metadata({"needs": "lease"})
    with azure_error(HttpResponseError, "LeaseIdMismatchWithContainerOperation", 412):
        share.set_share_metadata({"wrong": "lease"}, lease=str(uuid.uuid4()))
    share.set_share_metadata({"with": "lease"}, lease=lease)
    assert share.get_share_properties().metadata == {"with": "lease"}
    share.get_file_client("f").upload_file(b"inside a leased share")

    new_id = str(uuid.uuid4())
    lease.change(new_id)
    assert lease.id == new_id
    lease.renew()
    lease.release()
    assert _lease_state(share.get_share_properties())[:2] == ("unlocked", "available")


def test_share_lease_with_a_duration_and_break(share):
    lease = share.acquire_lease(lease_duration=15)
    props = share.get_share_properties()
    assert _lease_state(props) == ("locked", "leased", "fixed")
    lease.renew()
    remaining = lease.break_lease(lease_break_period=0)
    assert remaining == 0
    assert share.get_share_properties().lease.state == "broken"
    share.delete_share()
