"""Hostile XML request bodies on every XML endpoint, and hostile JSON where JSON is read: each
gets a 4xx in its protocol's format and the server stays up (issue #10, item 1: invalid UTF-8
in a name killed the process in FoundationXML; deep nesting overflowed its stack)."""

import datetime as dt
from xml.etree import ElementTree

import pytest
import requests
from azure.core.exceptions import HttpResponseError
from azure.storage.fileshare import AccountSasPermissions, ResourceTypes, generate_account_sas

from compat_helpers import ACCOUNT, ACCOUNT_KEY
from s3_helpers import error_code, signed_request

HOSTILE = {
    "invalid-utf8-element-name": b"<X><A\xecB/></X>",
    "invalid-utf8-attribute-name": b"<X><A b\xec='1'/></X>",
    "invalid-utf8-text": b"<X><A>\xff\xfe</A></X>",
    "deep-nesting": b"<A>" * 37_000 + b"</A>" * 37_000,
    "doctype-entity": b'<?xml version="1.0"?><!DOCTYPE X [<!ENTITY e SYSTEM "file:///etc/passwd">]><X>&e;</X>',
    "unclosed": b"<X><A>",
    "nul-byte": b"<X>\x00</X>",
}


def _account_sas() -> str:
    expiry = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    return generate_account_sas(ACCOUNT, ACCOUNT_KEY, ResourceTypes(service=True, container=True, object=True),
                                AccountSasPermissions(read=True, write=True, list=True, create=True), expiry=expiry)


def _azure_code(response: requests.Response) -> str:
    return ElementTree.fromstring(response.content.lstrip(b"\xef\xbb\xbf")).findtext("Code")


def _still_serving(server, service) -> None:
    assert server.process.poll() is None, server.log()[-4000:]
    service.get_service_properties()


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_set_service_properties_refuses_hostile_xml(server, service, case):
    url = f"{server.endpoint}/?restype=service&comp=properties&{_account_sas()}"
    response = requests.put(url, data=HOSTILE[case], headers={"x-ms-version": "2025-05-05"})
    assert response.status_code == 400, response.text
    assert _azure_code(response) == "InvalidXmlDocument"
    _still_serving(server, service)


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_set_share_acl_refuses_hostile_xml(server, service, share, case):
    # Set Share ACL needs Shared Key: the SDK signs the request after this hook swaps the body.
    def hostile_body(request):
        request.http_request.set_bytes_body(HOSTILE[case])

    with pytest.raises(HttpResponseError) as refused:
        share.set_share_access_policy({}, raw_request_hook=hostile_body)
    assert refused.value.status_code == 400
    assert refused.value.error_code == "InvalidXmlDocument"
    assert share.get_share_access_policy()["signed_identifiers"] == []
    _still_serving(server, service)


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_delete_objects_refuses_hostile_xml(server, service, s3_endpoint, s3_client, bucket, case):
    s3_client.put_object(Bucket=bucket, Key="keep", Body=b"kept")
    response = signed_request(s3_endpoint, "POST", f"/{bucket}", params={"delete": ""}, body=HOSTILE[case],
                              headers={"Content-MD5": _md5(HOSTILE[case])})
    assert response.status_code == 400, response.text
    assert error_code(response) == "MalformedXML"
    assert s3_client.get_object(Bucket=bucket, Key="keep")["Body"].read() == b"kept"
    _still_serving(server, service)


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_complete_multipart_upload_refuses_hostile_xml(server, service, s3_endpoint, s3_client, bucket, case):
    upload = s3_client.create_multipart_upload(Bucket=bucket, Key="big")["UploadId"]
    s3_client.upload_part(Bucket=bucket, Key="big", UploadId=upload, PartNumber=1, Body=b"part")
    response = signed_request(s3_endpoint, "POST", f"/{bucket}/big", params={"uploadId": upload}, body=HOSTILE[case])
    assert response.status_code == 400, response.text
    assert error_code(response) == "MalformedXML"
    assert [p["PartNumber"] for p in s3_client.list_parts(Bucket=bucket, Key="big", UploadId=upload)["Parts"]] == [1]
    _still_serving(server, service)


def _md5(body: bytes) -> str:
    import base64
    import hashlib
    return base64.b64encode(hashlib.md5(body).digest()).decode()


HOSTILE_JSON = {
    "deep-array": b"[" * 100_000 + b"]" * 100_000,
    "deep-object": b'{"a":' * 30_000 + b"1" + b"}" * 30_000,
    "invalid-utf8": b'{"permission": "\xff\xfe"}',
    "truncated": b'{"permission": "O:SY',
}


@pytest.mark.parametrize("case", sorted(HOSTILE_JSON))
def test_create_permission_refuses_hostile_json(server, service, share, case):
    """The other parser a request body reaches (Create Permission's JSON) gets the same look."""
    def hostile_body(request):
        request.http_request.set_bytes_body(HOSTILE_JSON[case])

    with pytest.raises(HttpResponseError) as refused:
        share.create_permission_for_share("O:SYG:SYD:(A;;FA;;;SY)", raw_request_hook=hostile_body)
    assert refused.value.status_code in (400, 413)
    assert refused.value.error_code in ("InvalidInput", "RequestBodyTooLarge")
    _still_serving(server, service)
