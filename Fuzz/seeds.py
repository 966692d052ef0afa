#!/usr/bin/env python3
"""Writes the hand-made seeds of the fuzz corpus (Fuzz/Corpus/<target>/seed-*): real requests of
each front in HTTP/1.1 wire format, as the SDKs and CLIs send them (headers as boto3, the Azure
SDK for Python, the Azure Backup SDK and the IIS Administration API docs show them). A header
`x-fuzz-sign: 1` asks the harness to sign the request validly after libFuzzer mutated it, so
mutations reach the operations behind the signature check. Run once; `make fuzz` adds to
the corpus and `-merge=1` keeps it small.

    python3 Fuzz/seeds.py
"""

import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
SUB = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v1"
ITEM = SUB + "/backupFabrics/Azure/protectionContainers/StorageContainer;storage;rg;devstoreaccount1/protectedItems/AzureFileShare;fuzz"
BEARER = "Authorization: Bearer fuzz-admin-token"


def request(method, target, headers=(), body=b"", host="127.0.0.1"):
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"] + list(headers)
    if body or method in ("PUT", "POST", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def filerest():
    a = "/devstoreaccount1"
    sign = ["x-fuzz-sign: 1", "x-ms-version: 2025-05-05", "User-Agent: azsdk-python-storage-file-share/12.20.0"]
    xml_props = (b'<?xml version="1.0" encoding="utf-8"?><StorageServiceProperties><HourMetrics><Version>1.0</Version>'
                 b'<Enabled>false</Enabled><RetentionPolicy><Enabled>false</Enabled></RetentionPolicy></HourMetrics>'
                 b'<Cors><CorsRule><AllowedOrigins>*</AllowedOrigins><AllowedMethods>GET,PUT</AllowedMethods>'
                 b'<MaxAgeInSeconds>60</MaxAgeInSeconds><ExposedHeaders>x-ms-*</ExposedHeaders>'
                 b'<AllowedHeaders>x-ms-*</AllowedHeaders></CorsRule></Cors></StorageServiceProperties>')
    acl = (b'<?xml version="1.0" encoding="utf-8"?><SignedIdentifiers><SignedIdentifier><Id>p1</Id><AccessPolicy>'
           b'<Start>2026-01-01T00:00:00Z</Start><Expiry>2030-01-01T00:00:00Z</Expiry><Permission>rwd</Permission>'
           b'</AccessPolicy></SignedIdentifier></SignedIdentifiers>')
    return {
        "list-shares": request("GET", f"{a}/?comp=list&include=snapshots,metadata&maxresults=10", sign),
        "create-share": request("PUT", f"{a}/s2?restype=share", sign + ["x-ms-share-quota: 5", "x-ms-meta-a: b"]),
        "share-props": request("GET", f"{a}/fuzz?restype=share", sign),
        "snapshot": request("PUT", f"{a}/fuzz?restype=share&comp=snapshot", sign),
        "share-acl": request("PUT", f"{a}/fuzz?restype=share&comp=acl", sign, acl),
        "service-props": request("PUT", f"{a}/?restype=service&comp=properties", sign, xml_props),
        "list-dir": request("GET", f"{a}/fuzz/dir?restype=directory&comp=list&include=Timestamps&maxresults=2", sign),
        "create-dir": request("PUT", f"{a}/fuzz/dir/sub?restype=directory", sign + ["x-ms-file-attributes: Directory"]),
        "create-file": request("PUT", f"{a}/fuzz/dir/new.txt", sign + ["x-ms-type: file", "x-ms-content-length: 1024",
                                                                      "x-ms-content-type: text/plain"]),
        "put-range": request("PUT", f"{a}/fuzz/dir/file.txt?comp=range", sign + ["x-ms-range: bytes=0-4",
                                                                              "x-ms-write: update"], b"HELLO"),
        "clear-range": request("PUT", f"{a}/fuzz/dir/file.txt?comp=range", sign + ["x-ms-range: bytes=0-511",
                                                                                 "x-ms-write: clear"]),
        "get-range": request("GET", f"{a}/fuzz/dir/file.txt", sign + ["x-ms-range: bytes=2-7",
                                                                     "x-ms-range-get-content-md5: true"]),
        "head-file": request("HEAD", f"{a}/fuzz/dir/file.txt?sharesnapshot=2026-01-01T00:00:00.0000000Z", sign),
        "range-list": request("GET", f"{a}/fuzz/dir/file.txt?comp=rangelist", sign),
        "copy": request("PUT", f"{a}/fuzz/dir/copy.txt", sign + [
            "x-ms-copy-source: http://127.0.0.1:10004/devstoreaccount1/fuzz/dir/file.txt"]),
        "rename": request("PUT", f"{a}/fuzz/dir/renamed.txt?comp=rename", sign + [
            "x-ms-file-rename-source: /fuzz/dir/file.txt", "x-ms-file-rename-replace-if-exists: true"]),
        "lease": request("PUT", f"{a}/fuzz/dir/file.txt?comp=lease", sign + ["x-ms-lease-action: acquire",
                                                                           "x-ms-lease-duration: -1"]),
        "permission": request("PUT", f"{a}/fuzz?restype=share&comp=filepermission", sign + ["Content-Type: application/json"],
                              b'{"permission": "O:S-1-5-21-1G:S-1-5-21-1D:(A;;FA;;;SY)"}'),
        "metadata": request("PUT", f"{a}/fuzz/dir/file.txt?comp=metadata", sign + ["x-ms-meta-key: value"]),
        "delete": request("DELETE", f"{a}/fuzz/dir/copy.txt", sign),
        "account-sas": request("GET", f"{a}/fuzz/dir/file.txt?sv=2021-06-08&ss=f&srt=sco&sp=rl&se=2030-01-01T00%3A00%3A00Z"
                                      "&st=2026-01-01T00%3A00%3A00Z&spr=https,http&sig=3Fq2E0xMGZGbG5%2Bz8Q9Yg9pH%2FhB3n1w%3D"),
        "service-sas": request("PUT", f"{a}/fuzz/dir/file.txt?comp=range&sv=2021-06-08&sr=f&sp=rcw&se=2030-01-01T00%3A00%3A00Z"
                                      "&sip=127.0.0.1-127.0.0.2&rscd=attachment&sig=AAAA%3D",
                               ["x-ms-range: bytes=0-2", "x-ms-write: update", "x-ms-version: 2025-05-05"], b"abc"),
        "policy-sas": request("GET", f"{a}/fuzz?restype=directory&comp=list&sv=2021-06-08&sr=s&si=p1&sig=AAAA%3D"),
        "shared-key-lite": request("GET", f"{a}/fuzz/dir/file.txt",
                                   ["x-ms-version: 2025-05-05", "x-ms-date: Thu, 01 Jan 2026 00:00:00 GMT",
                                    "Authorization: SharedKeyLite devstoreaccount1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="]),
    }


def s3():
    sign = ["x-fuzz-sign: 1", "User-Agent: Boto3/1.35.0 md/Botocore#1.35.0"]
    delete = (b'<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
              b'<Object><Key>dir/file.txt</Key></Object><Object><Key>a/b</Key><VersionId>null</VersionId></Object>'
              b'<Quiet>true</Quiet></Delete>')
    complete = (b'<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>"a"</ETag>'
                b'<PartNumber>1</PartNumber></Part></CompleteMultipartUpload>')
    chunked = b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"
    lifecycle = (b'<LifecycleConfiguration><Rule><ID>r</ID><Filter><And><Prefix>dir/</Prefix><Tag><Key>k</Key>'
                 b'<Value>v</Value></Tag><ObjectSizeLessThan>9</ObjectSizeLessThan></And></Filter><Status>Enabled</Status>'
                 b'<Expiration><Days>1</Days></Expiration><AbortIncompleteMultipartUpload><DaysAfterInitiation>2'
                 b'</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>')
    return {
        "list-buckets": request("GET", "/", sign),
        "create-bucket": request("PUT", "/b2", sign),
        "list-v2": request("GET", "/fuzz?list-type=2&prefix=dir%2F&delimiter=%2F&max-keys=2&encoding-type=url", sign),
        "list-v1": request("GET", "/fuzz?marker=a&max-keys=5", sign),
        "put": request("PUT", "/fuzz/a/b/obj.txt", sign + ["Content-Type: text/plain", "x-amz-meta-k: v",
                                                          "Content-MD5: XUFAKrxLKna5cZ2REBfFkg=="], b"hello"),
        "put-chunked": request("PUT", "/fuzz/chunked.txt", sign + [
            "x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER", "Content-Encoding: aws-chunked",
            "x-amz-decoded-content-length: 5", "x-amz-trailer: x-amz-checksum-crc32"], chunked),
        "get-range": request("GET", "/fuzz/dir/file.txt", sign + ["Range: bytes=1-4"]),
        "get-suffix": request("GET", "/fuzz/dir/file.txt?response-content-type=text%2Fx", sign + ["Range: bytes=-3",
                                                                                                 "If-None-Match: \"x\""]),
        "head": request("HEAD", "/fuzz/dir/file.txt?partNumber=1", sign),
        "delete": request("DELETE", "/fuzz/a/b/obj.txt", sign),
        "delete-objects": request("POST", "/fuzz?delete", sign + ["Content-MD5: AAAAAAAAAAAAAAAAAAAAAA=="], delete),
        "initiate": request("POST", "/fuzz/mp?uploads", sign),
        "upload-part": request("PUT", "/fuzz/mp?partNumber=1&uploadId=abc", sign, b"part"),
        "complete": request("POST", "/fuzz/mp?uploadId=abc", sign, complete),
        "list-parts": request("GET", "/fuzz/mp?uploadId=abc&max-parts=1", sign),
        "list-uploads": request("GET", "/fuzz?uploads", sign),
        "copy": request("PUT", "/fuzz/copy.txt", sign + ["x-amz-copy-source: /fuzz/dir/file.txt",
                                                        "x-amz-metadata-directive: REPLACE"]),
        "lifecycle-put": request("PUT", "/fuzz?lifecycle", sign, lifecycle),
        "lifecycle-get": request("GET", "/fuzz?lifecycle", sign),
        "attributes": request("GET", "/fuzz/dir/file.txt?attributes", sign + [
            "x-amz-object-attributes: ETag,Checksum,ObjectParts,StorageClass,ObjectSize", "x-amz-max-parts: 2"]),
        "location": request("GET", "/fuzz?location", sign),
        "versioning": request("GET", "/fuzz?versioning", sign),
        "tagging": request("PUT", "/fuzz/dir/file.txt?tagging", sign, b"<Tagging><TagSet/></Tagging>"),
        "virtual-host": request("GET", "/dir/file.txt", sign, host="fuzz.localhost:9000"),
        "presigned": request("GET", "/fuzz/dir/file.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
                             "devstoreaccount1%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z"
                             "&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=" + "0" * 64),
    }


def sigv4():
    seeds = {name: data for name, data in s3().items()}
    seeds["header-unsigned"] = request("GET", "/fuzz/k", [
        "x-amz-date: 20260101T000000Z", "x-amz-content-sha256: UNSIGNED-PAYLOAD",
        "Authorization: AWS4-HMAC-SHA256 Credential=devstoreaccount1/20260101/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=" + "a" * 64])
    seeds["header-streaming"] = request("PUT", "/fuzz/k", [
        "x-fuzz-sign: 1", "x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "x-amz-decoded-content-length: 5", "Content-Encoding: aws-chunked"])
    seeds["header-sha256"] = request("PUT", "/fuzz/k", [
        "x-fuzz-sign: 1", "x-amz-content-sha256: 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"])
    seeds["presigned-expired"] = request("PUT", "/fuzz/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
                                         "devstoreaccount1%2F20250101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20250101T000000Z"
                                         "&X-Amz-Expires=604800&X-Amz-SignedHeaders=host%3Bx-amz-meta-a&X-Amz-Signature="
                                         + "b" * 64, ["x-amz-meta-a: 1"])
    return seeds


def azure_auth():
    seeds = {k: v for k, v in filerest().items() if k in ("account-sas", "service-sas", "policy-sas", "shared-key-lite",
                                                          "get-range", "put-range", "list-shares", "copy")}
    seeds["shared-key-bad"] = request("PUT", "/devstoreaccount1/fuzz/dir/file.txt?comp=range", [
        "x-ms-version: 2025-05-05", "x-ms-date: Thu, 01 Jan 2026 00:00:00 GMT", "x-ms-range: bytes=0-0",
        "x-ms-write: update", "Authorization: SharedKey devstoreaccount1:bm90IGEgc2lnbmF0dXJl"], b"x")
    return seeds


def backup():
    auth = [BEARER, "Content-Type: application/json"]
    v = "?api-version=2019-05-13"
    return {
        "protectable": request("GET", SUB + "/backupProtectableItems" + v + "&$filter=backupManagementType%20eq%20'AzureStorage'", auth),
        "refresh": request("POST", SUB + "/backupFabrics/Azure/refreshContainers" + v, auth),
        "register": request("PUT", SUB + "/backupFabrics/Azure/protectionContainers/StorageContainer;storage;rg;devstoreaccount1" + v,
                            auth, b'{"properties":{"backupManagementType":"AzureStorage","containerType":"StorageContainer",'
                                  b'"sourceResourceId":"/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/devstoreaccount1"}}'),
        "policy": request("PUT", SUB + "/backupPolicies/daily" + v, auth,
                          b'{"properties":{"backupManagementType":"AzureStorage","workLoadType":"AzureFileShare",'
                          b'"schedulePolicy":{"schedulePolicyType":"SimpleSchedulePolicy","scheduleRunFrequency":"Daily",'
                          b'"scheduleRunTimes":["2026-01-01T05:30:00Z"]},"retentionPolicy":{"retentionPolicyType":"LongTermRetentionPolicy",'
                          b'"dailySchedule":{"retentionTimes":["2026-01-01T05:30:00Z"],"retentionDuration":{"count":30,"durationType":"Days"}}},'
                          b'"timeZone":"UTC"}}'),
        "protect": request("PUT", ITEM + v, auth, b'{"properties":{"protectedItemType":"AzureFileShareProtectedItem",'
                                                    b'"sourceResourceId":"/x","policyId":"' + SUB.encode() + b'/backupPolicies/daily"}}'),
        "backup-now": request("POST", ITEM + "/backup" + v, auth,
                              b'{"properties":{"objectType":"AzureFileShareBackupRequest","recoveryPointExpiryTimeInUTC":"2030-01-01T00:00:00Z"}}'),
        "recovery-points": request("GET", ITEM + "/recoveryPoints" + v, auth),
        "restore": request("POST", ITEM + "/recoveryPoints/{point}/restore" + v, auth,
                           b'{"properties":{"objectType":"AzureFileShareRestoreRequest","recoveryType":"OriginalLocation",'
                           b'"sourceResourceId":"/x","copyOptions":"Overwrite","restoreRequestType":"ItemLevelRestore",'
                           b'"restoreFileSpecs":[{"path":"dir/file.txt","fileSpecType":"File","targetFolderPath":null}]}}'),
        "recovery-point": request("GET", ITEM + "/recoveryPoints/{point}" + v, auth),
        "jobs": request("GET", SUB + "/backupJobs" + v + "&$filter=operation%20eq%20'Restore'", auth),
        "job-cancel": request("POST", SUB + "/backupJobs/00000000-0000-0000-0000-000000000000/cancel" + v, auth),
        "delete-item": request("DELETE", ITEM + v, auth),
        "no-token": request("GET", SUB + "/backupPolicies" + v),
    }


def iis():
    auth = ["Access-Token: Bearer fuzz-admin-token", "Content-Type: application/json"]
    return {
        "locations": request("POST", "/api/files/locations", auth,
                             b'{"alias":"site","path":"\\\\\\\\devstoreaccount1\\\\fuzz\\\\dir","claims":["read","write"]}'),
        "list-roots": request("GET", "/api/files", auth),
        "list-name": request("GET", "/api/files?physical_path=%5C%5Cdevstoreaccount1%5Cfuzz%5Cdir&fields=name,type", auth),
        "range": request("GET", "/api/files?parent.id={root}&name=file", auth + ["Range: files=0-9"]),
        "create": request("POST", "/api/files", auth, b'{"parent":{"id":"{root}"},"name":"hello.txt","type":"file",'
                                                      b'"created":"2026-01-01T00:00:00Z"}'),
        "patch": request("PATCH", "/api/files/{file}", auth, b'{"name":"x.txt","last_modified":"2026-01-01T00:00:00Z"}'),
        "content-put": request("PUT", "/api/files/content/{file}", auth + ["Content-Range: bytes 0-4/5"], b"hello"),
        "content-get": request("GET", "/api/files/content?id={file}", auth + ["Range: bytes=0-4"]),
        "copy": request("POST", "/api/files/copy", auth, b'{"name":"c.txt","file":{"id":"{file}"},"parent":{"id":"{root}"}}'),
        "download": request("POST", "/api/files/downloads", auth, b'{"file":{"id":"{file}"},"ttl":60000}'),
        "download-get": request("GET", "{link}?inline", ["Range: bytes=-5"]),
        "download-range": request("GET", "{link}", ["Range: bytes=2-4"]),
        "websites": request("POST", "/api/webserver/websites", auth,
                            b'{"name":"s","physical_path":"\\\\\\\\devstoreaccount1\\\\fuzz","bindings":[{"protocol":"http","port":80}]}'),
        "get-file": request("GET", "/api/files/{file}?fields=*", auth),
        "delete-file": request("DELETE", "/api/files/{file}", auth),
        "move": request("POST", "/api/files/move", auth, b'{"name":"m.txt","file":{"id":"{file}"},"parent":{"id":"{root}"}}'),
        "webserver-files": request("GET", "/api/webserver/files?website.id=abc&path=/dir", auth),
        "no-token": request("GET", "/api/files"),
    }


def xml():
    bodies = [v.split(b"\r\n\r\n", 1)[1] for v in list(filerest().values()) + list(s3().values())]
    seeds = {f"body{i}": b for i, b in enumerate(bodies) if b.startswith(b"<")}
    seeds["entities"] = b'<?xml version="1.0"?><a x="1" y=\'2\'>&amp;&lt;&#65;&#x42;<![CDATA[<x>]]><!-- c --><b/></a>'
    seeds["deep"] = b"<a>" * 40 + b"</a>" * 40
    seeds["bad-utf8"] = b"<X><A\xecB/></X>"
    seeds["doctype"] = b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'
    return seeds


def json_bodies():
    seeds = {}
    for i, raw in enumerate(list(backup().values())):
        body = raw.split(b"\r\n\r\n", 1)[1]
        if body:
            seeds[f"backup{i}"] = b"\x00" + body
    for i, raw in enumerate(list(iis().values())):
        body = raw.split(b"\r\n\r\n", 1)[1]
        if body:
            seeds[f"iis{i}"] = b"\x01" + body
    seeds["numbers"] = b'\x01{"a":[1,-2.5e10,true,null,"\\u00e9\\ud83d\\ude00"],"b":{}}'
    return seeds


def chunked():
    # byte 0: mode (bits 0-1) and "encode the rest validly" (bit 2); bytes 1-2: decoded length;
    # byte 3: buffer size - 1.
    return {
        "unsigned-trailer-raw": bytes([2, 0, 5, 3]) + b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n",
        "signed-raw": bytes([0, 0, 5, 255]) + b"5;chunk-signature=" + b"0" * 64 + b"\r\nhello\r\n0;chunk-signature="
                      + b"0" * 64 + b"\r\n\r\n",
        "signed-encoded": bytes([4, 0x20, 0, 100]) + b"hello world" * 30,
        "signed-trailer-encoded": bytes([5, 0x20, 0, 7]) + b"abc",
        "unsigned-trailer-encoded": bytes([6, 0x20, 0, 0]) + bytes(range(256)) * 40,
    }


def ranges():
    size = lambda n: struct.pack(">Q", n)  # noqa: E731
    return {
        "s3": size(1000) + b"bytes=0-99",
        "suffix": size(1000) + b"bytes=-100",
        "open": size(1 << 40) + b"bytes=500-",
        "filerest": size(11) + b"bytes=0-10",
        "several": size(10) + b"bytes=0-1,3-4",
        "content-range": size(5) + b"bytes 0-4/5",
        "files": size(5) + b"files=0-9",
        "huge": size(7) + b"bytes=0-18446744073709551614",
    }


def main():
    targets = {"FuzzFileREST": filerest(), "FuzzS3": s3(), "FuzzSigV4": sigv4(), "FuzzAzureAuth": azure_auth(),
               "FuzzBackup": backup(), "FuzzIIS": iis(), "FuzzXML": xml(), "FuzzJSON": json_bodies(),
               "FuzzAWSChunked": chunked(), "FuzzRange": ranges()}
    for target, seeds in targets.items():
        directory = os.path.join(HERE, "Corpus", target)
        os.makedirs(directory, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(directory, f"seed-{name}"), "wb") as f:
                f.write(data)
        print(f"{target}: {len(seeds)} seeds")


if __name__ == "__main__":
    main()
