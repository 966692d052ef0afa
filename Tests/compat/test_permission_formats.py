"""Get Permission converts between the two descriptor formats Azure Files speaks (issue #9):
a descriptor created as SDDL is returned as a binary self-relative SECURITY_DESCRIPTOR when
`file_permission_format="binary"` asks, and one created as binary is returned as SDDL."""

import base64
import struct

from azure.core.exceptions import HttpResponseError
from azure.storage.fileshare._deserialize import deserialize_permission_key
from azure.storage.fileshare._generated.models import SharePermission

from compat_helpers import azure_error

SDDL = "O:BAG:SYD:PAI(A;OICI;FA;;;BA)(A;OICIIO;GA;;;CO)(A;;0x1200a9;;;BU)(D;;FW;;;S-1-5-21-1-2-3-1001)"


def _create_binary_permission(share, encoded: str) -> str:
    """Create Permission with `"format": "Binary"`. `ShareClient.create_permission_for_share`
    documents `file_permission_format` but 12.27.1 passes it on to the transport instead of the
    body, so this goes through the SDK's own generated operation with the body it models."""
    return share._client.share.create_permission(
        permission=SharePermission(permission=encoded, format="Binary"), cls=deserialize_permission_key)


def _parts(descriptor: bytes) -> dict:
    """The header of a self-relative descriptor, read as MS-DTYP 2.4.6 lays it out."""
    revision, _, control, owner, group, sacl, dacl = struct.unpack_from("<BBHIIII", descriptor)
    return {"revision": revision, "control": control, "owner": owner, "group": group, "sacl": sacl, "dacl": dacl}


def test_sddl_permission_is_returned_as_binary_and_back(share):
    key = share.create_permission_for_share(SDDL)
    assert share.get_permission_for_share(key) == SDDL
    encoded = share.get_permission_for_share(key, file_permission_format="binary")
    descriptor = base64.b64decode(encoded)
    header = _parts(descriptor)
    assert header["revision"] == 1
    assert header["control"] & 0x8000  # self-relative
    assert header["control"] & 0x0004 and header["control"] & 0x1000 and header["control"] & 0x0400  # DACL, P, AI
    assert header["sacl"] == 0 and header["owner"] and header["group"] and header["dacl"]
    # The owner is BUILTIN\Administrators, S-1-5-32-544.
    assert descriptor[header["owner"]:header["owner"] + 16] == bytes([1, 2, 0, 0, 0, 0, 0, 5]) + struct.pack("<II", 32, 544)
    # The same descriptor created from its binary form reads back as the same SDDL.
    binary_key = _create_binary_permission(share, encoded)
    assert share.get_permission_for_share(binary_key) == SDDL
    assert share.get_permission_for_share(binary_key, file_permission_format="sddl") == SDDL
    assert share.get_permission_for_share(binary_key, file_permission_format="binary") == encoded


def test_a_file_created_with_a_binary_permission_reads_back_as_sddl(share):
    encoded = share.get_permission_for_share(share.create_permission_for_share(SDDL), file_permission_format="binary")
    file = share.get_file_client("binary-acl.txt")
    file.create_file(0, file_permission=encoded, file_permission_format="binary")
    assert share.get_permission_for_share(file.get_file_properties().permission_key) == SDDL


def test_invalid_descriptors_are_refused_in_either_format(share):
    not_a_descriptor = base64.b64encode(b"\x01\x00\x04\x80" + bytes(4)).decode()
    with azure_error(HttpResponseError, "FileInvalidPermission", 400):
        try:
            _create_binary_permission(share, not_a_descriptor)
        except HttpResponseError as error:
            from azure.storage.fileshare._shared.response_handlers import process_storage_error
            process_storage_error(error)
    for bad in ["O:BAG:SYD:(A;;FA;;;XX)", "O:BAG:SYD:(A;;NOPE;;;BA)", "O:BAG:SYD:(A;;FA;;;BA"]:
        with azure_error(HttpResponseError, "FileInvalidPermission", 400):
            share.create_permission_for_share(bad)
    with azure_error(HttpResponseError, "InvalidHeaderValue", 400):
        share.get_file_client("never.txt").create_file(0, file_permission=not_a_descriptor, file_permission_format="binary")
