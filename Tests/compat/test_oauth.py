"""Microsoft Entra ID bearer tokens on FileREST over HTTPS (issue #9): the unmodified SDK with
a token credential and `token_intent="backup"` works; a token of the wrong audience, issuer or
lifetime gets Azure's 401 with a `WWW-Authenticate` challenge; plain HTTP refuses bearer tokens.
With `--oauth basic` the server checks the token's form and claims, not its signature (like
Azurite's `--oauth basic`), so the credential here hands out a crafted, unsigned JWT."""

import base64
import json
import time

import pytest
import requests
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.storage.fileshare import ShareClient, ShareServiceClient

from compat_helpers import ACCOUNT, ACCOUNT_KEY, unique_name

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def crafted_jwt(**changes) -> str:
    now = int(time.time())
    claims = {"aud": "https://storage.azure.com", "iss": f"https://sts.windows.net/{TENANT}/", "tid": TENANT,
              "iat": now - 60, "nbf": now - 60, "exp": now + 3600, "oid": "00000000-0000-0000-0000-000000000001"}
    claims.update(changes)
    header = {"alg": "RS256", "typ": "JWT"}
    return ".".join([_b64url(json.dumps(header).encode()), _b64url(json.dumps(claims).encode()), _b64url(b"unsigned")])


class CraftedCredential:
    """A TokenCredential handing out one crafted token, recording the scopes it was asked for."""

    def __init__(self, token: str):
        self.token = token
        self.scopes = []

    def get_token(self, *scopes, **kwargs):
        self.scopes.append(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)


@pytest.fixture(scope="module")
def tls_server(server_factory):
    return server_factory.start(server_factory.data_dir("oauth"), tls=server_factory.certificate(),
                                extra_args=["--oauth", "basic"])


@pytest.fixture
def oauth_share(tls_server):
    """A share made with the account key, and the name to reach it with tokens."""
    conn = (f"DefaultEndpointsProtocol=https;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"FileEndpoint={tls_server.endpoint};")
    service = ShareServiceClient.from_connection_string(conn, connection_verify=tls_server.ca_file)
    name = unique_name("oauth")
    service.create_share(name)
    yield name
    service.delete_share(name)


def token_share(tls_server, name: str, token: str) -> ShareClient:
    return ShareClient(tls_server.endpoint, name, credential=CraftedCredential(token), token_intent="backup",
                       connection_verify=tls_server.ca_file)


def test_the_sdk_works_with_a_bearer_token(tls_server, oauth_share):
    credential = CraftedCredential(crafted_jwt())
    share = ShareClient(tls_server.endpoint, oauth_share, credential=credential, token_intent="backup",
                        connection_verify=tls_server.ca_file)
    directory = share.create_directory("docs")
    file = directory.get_file_client("report.txt")
    file.upload_file(b"written with a token")
    assert file.download_file().readall() == b"written with a token"
    assert [entry["name"] for entry in directory.list_directories_and_files()] == ["report.txt"]
    key = share.create_permission_for_share("O:BAG:SYD:(A;;FA;;;BA)")
    assert share.get_permission_for_share(key) == "O:BAG:SYD:(A;;FA;;;BA)"
    assert share.get_share_properties().name == oauth_share
    file.delete_file()
    assert credential.scopes and credential.scopes[0] == ("https://storage.azure.com/.default",)
    # The v2.0 issuer and the account's own URL as audience are Entra forms too.
    other = token_share(tls_server, oauth_share, crafted_jwt(aud=f"https://{ACCOUNT}.file.core.windows.net",
                                                             iss=f"https://login.microsoftonline.com/{TENANT}/v2.0"))
    assert other.get_directory_client("docs").get_directory_properties().is_directory


@pytest.mark.parametrize("claims, detail", [
    ({"exp": int(time.time()) - 60}, "Lifetime validation failed. The token is expired."),
    ({"aud": "https://vault.azure.net"}, "Audience validation failed. Audience did not match."),
    ({"iss": "https://issuer.example.com/"}, "Issuer validation failed. Issuer did not match."),
])
def test_bad_tokens_get_azures_401(tls_server, oauth_share, claims, detail):
    share = token_share(tls_server, oauth_share, crafted_jwt(**claims))
    with pytest.raises(ClientAuthenticationError) as info:
        share.get_directory_client("").create_subdirectory("nope")
    response = info.value.response
    assert response.status_code == 401
    assert response.headers["x-ms-error-code"] == "InvalidAuthenticationInfo"
    assert response.headers["WWW-Authenticate"] == (
        f"Bearer authorization_uri=https://login.microsoftonline.com/{TENANT}/oauth2/authorize "
        "resource_id=https://storage.azure.com")
    assert f"<AuthenticationErrorDetail>{detail}</AuthenticationErrorDetail>" in response.text()


def test_file_operations_need_the_backup_intent(tls_server, oauth_share):
    headers = {"Authorization": f"Bearer {crafted_jwt()}", "x-ms-version": "2026-02-06",
               "x-ms-date": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())}
    url = f"{tls_server.endpoint}/{oauth_share}?restype=directory&comp=list"
    missing = requests.get(url, headers=headers, verify=tls_server.ca_file)
    assert (missing.status_code, missing.headers["x-ms-error-code"]) == (400, "MissingRequiredHeader")
    listed = requests.get(url, headers={**headers, "x-ms-file-request-intent": "backup"}, verify=tls_server.ca_file)
    assert listed.status_code == 200


def test_bearer_tokens_need_the_oauth_flag(server_factory):
    """Without --oauth basic an unverified token is no credential, even over HTTPS."""
    plain = server_factory.start(server_factory.data_dir("no-oauth"), tls=server_factory.certificate())
    headers = {"Authorization": f"Bearer {crafted_jwt()}", "x-ms-version": "2026-02-06", "x-ms-file-request-intent": "backup",
               "x-ms-date": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())}
    reply = requests.get(f"{plain.endpoint}/?comp=list", headers=headers, verify=plain.ca_file)
    assert (reply.status_code, reply.headers["x-ms-error-code"]) == (403, "AuthenticationFailed")
    server_factory.stop(plain)


def test_plain_http_refuses_bearer_tokens(server, share):
    # --oauth needs TLS, so a plain-HTTP server never takes bearer tokens (and the front refuses
    # them over HTTP even when enabled: BearerTokenTests).
    headers = {"Authorization": f"Bearer {crafted_jwt()}", "x-ms-version": "2026-02-06", "x-ms-file-request-intent": "backup",
               "x-ms-date": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()), "x-ms-type": "file",
               "x-ms-content-length": "1", "Content-Length": "0"}
    reply = requests.put(f"{server.endpoint}/{share.share_name}/over-http.txt", headers=headers)
    assert (reply.status_code, reply.headers["x-ms-error-code"]) == (403, "AuthenticationFailed")
    assert "Authentication scheme Bearer is not supported" in reply.text
    assert not share.get_file_client("over-http.txt").exists()


def test_user_delegation_sas(tls_server, oauth_share):
    """A user delegation key got with a token signs a file SAS that works without the token;
    a SAS whose key fields were altered, or one signed with the account key's form, fails."""
    from datetime import datetime, timedelta, timezone

    from azure.storage.fileshare import (FileSasPermissions, ShareFileClient, ShareSasPermissions,
                                         generate_file_sas, generate_share_sas)

    service = ShareServiceClient(tls_server.endpoint, credential=CraftedCredential(crafted_jwt()), token_intent="backup",
                                 connection_verify=tls_server.ca_file)
    now = datetime.now(timezone.utc)
    key = service.get_user_delegation_key(start=now - timedelta(minutes=5), expiry=now + timedelta(hours=1))
    assert (key.signed_oid, key.signed_tid, key.signed_service) == ("00000000-0000-0000-0000-000000000001", TENANT, "f")
    share = token_share(tls_server, oauth_share, crafted_jwt())
    share.get_file_client("shared.txt").upload_file(b"delegated")

    sas = generate_file_sas(ACCOUNT, oauth_share, ["shared.txt"], user_delegation_key=key,
                            permission=FileSasPermissions(read=True), expiry=now + timedelta(minutes=30))
    reader = ShareFileClient(tls_server.endpoint, oauth_share, "shared.txt", credential=sas,
                             connection_verify=tls_server.ca_file)
    assert reader.download_file().readall() == b"delegated"
    with pytest.raises(HttpResponseError) as denied:
        reader.upload_file(b"not allowed")
    assert denied.value.error_code == "AuthorizationPermissionMismatch"

    lister = ShareClient(tls_server.endpoint, oauth_share, connection_verify=tls_server.ca_file,
                         credential=generate_share_sas(ACCOUNT, oauth_share, user_delegation_key=key,
                                                       permission=ShareSasPermissions(list=True),
                                                       expiry=now + timedelta(minutes=30)))
    assert [entry["name"] for entry in lister.list_directories_and_files()] == ["shared.txt"]

    forged = sas.replace("skoid=00000000-0000-0000-0000-000000000001", "skoid=00000000-0000-0000-0000-000000000002")
    assert forged != sas
    with pytest.raises(ClientAuthenticationError) as refused:
        ShareFileClient(tls_server.endpoint, oauth_share, "shared.txt", credential=forged,
                        connection_verify=tls_server.ca_file).download_file()
    assert refused.value.error_code == "AuthenticationFailed"

    # A key lives at most seven days, and only a token can get one.
    with pytest.raises(HttpResponseError) as too_long:
        service.get_user_delegation_key(start=now, expiry=now + timedelta(days=8))
    assert too_long.value.error_code == "InvalidXmlNodeValue"


def test_oauth_flag_needs_tls_and_basic(server_factory):
    from conftest import sharecore_binary
    import subprocess

    for args, message in [(["--oauth", "basic"], "--oauth needs --tls-cert"), (["--oauth", "full"], "--oauth takes only basic")]:
        result = subprocess.run([sharecore_binary(), "serve", "--data", server_factory.data_dir("oauth-flag"), *args],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode != 0 and message in result.stderr
