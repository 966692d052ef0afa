"""Share, directory and file life cycles, renames and listings, as the SDK's users see them."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError

from compat_helpers import azure_error, unique_name


def test_share_life_cycle(service):
    name = unique_name("life")
    share = service.create_share(name, metadata={"purpose": "compat"}, quota=5)

    props = share.get_share_properties()
    assert props.name == name
    assert props.quota == 5
    assert props.metadata == {"purpose": "compat"}
    assert props.etag.startswith('"') and props.etag.endswith('"')
    assert abs(props.last_modified - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(minutes=5)
    assert [s.name for s in service.list_shares(name_starts_with=name)] == [name]

    share.delete_share()
    with azure_error(ResourceNotFoundError, "ShareNotFound", 404):
        share.get_share_properties()
    assert list(service.list_shares(name_starts_with=name)) == []


def test_every_response_carries_request_id_version_and_date(share):
    responses = []

    def hook(response):
        responses.append(response)

    share.get_share_properties(raw_response_hook=hook)
    try:
        share.get_directory_client("missing").create_subdirectory("x", raw_response_hook=hook)
    except ResourceNotFoundError:
        pass
    assert [r.http_response.status_code for r in responses] == [200, 404]
    for r in responses:
        headers = r.http_response.headers
        assert headers.get("x-ms-request-id")
        assert headers.get("x-ms-version") == r.http_request.headers["x-ms-version"]
        dt.datetime.strptime(headers["Date"], "%a, %d %b %Y %H:%M:%S GMT")


def test_directory_life_cycle(share):
    parent = share.create_directory("alpha", metadata={"level": "one"})
    child = parent.create_subdirectory("beta")

    assert parent.exists() and child.exists()
    props = child.get_directory_properties()
    assert props.is_directory
    assert props.file_id and props.file_id.isdigit()
    assert props.parent_id == parent.get_directory_properties().file_id
    assert parent.get_directory_properties().metadata == {"level": "one"}
    assert [e["name"] for e in parent.list_directories_and_files()] == ["beta"]

    child.delete_directory()
    parent.delete_directory()
    assert not parent.exists()
    assert list(share.list_directories_and_files()) == []


def test_file_life_cycle(share):
    directory = share.create_directory("docs")
    file = directory.get_file_client("report.txt")

    file.create_file(size=100)
    props = file.get_file_properties()
    assert props.size == 100
    assert props.name == "report.txt"
    assert props.path == "docs/report.txt"
    assert props.file_id.isdigit()
    assert file.download_file().readall() == b"\0" * 100

    file.upload_file(b"hello, world")
    assert file.get_file_properties().size == 12
    assert file.download_file().readall() == b"hello, world"

    file.resize_file(5)
    assert file.download_file().readall() == b"hello"

    entries = list(directory.list_directories_and_files())
    assert [(e["name"], e["is_directory"], e["size"]) for e in entries] == [("report.txt", False, 5)]

    file.delete_file()
    assert not file.exists()
    with azure_error(ResourceNotFoundError, "ResourceNotFound", 404):
        file.download_file()


def test_names_are_case_preserving_and_case_insensitive(share):
    share.get_file_client("ReadMe.TXT").upload_file(b"case")
    assert share.get_file_client("readme.txt").download_file().readall() == b"case"
    assert [e["name"] for e in share.list_directories_and_files()] == ["ReadMe.TXT"]
    with azure_error(ResourceExistsError, "ResourceTypeMismatch", 409):
        share.create_directory("README.TXT")
    share.get_file_client("other").create_file(0)
    with azure_error(ResourceExistsError, "ResourceAlreadyExists", 409):
        share.get_file_client("other").rename_file("README.txt")


def test_rename_file_and_directory(share):
    source_dir = share.create_directory("src")
    file = source_dir.upload_file("a.txt", b"abc")

    renamed = file.rename_file("src/b.txt")
    assert renamed.download_file().readall() == b"abc"
    assert not file.exists()

    moved = source_dir.rename_directory("dst")
    assert moved.get_file_client("b.txt").download_file().readall() == b"abc"
    assert not source_dir.exists()

    moved.upload_file("c.txt", b"other")
    with azure_error(ResourceExistsError, "ResourceAlreadyExists", 409):
        moved.get_file_client("b.txt").rename_file("dst/c.txt")
    replaced = moved.get_file_client("b.txt").rename_file("dst/c.txt", overwrite=True)
    assert replaced.download_file().readall() == b"abc"


def test_list_shares_with_pagination(service):
    prefix = unique_name("page")
    names = [f"{prefix}-{i}" for i in range(5)]
    for name in names:
        service.create_share(name, metadata={"index": name[-1]})
    try:
        pages = [[s.name for s in page] for page in service.list_shares(name_starts_with=prefix, results_per_page=2).by_page()]
        assert pages == [names[0:2], names[2:4], names[4:5]]

        first = service.list_shares(name_starts_with=prefix, results_per_page=2).by_page()
        assert [s.name for s in next(first)] == names[0:2]
        token = first.continuation_token
        assert token
        rest = service.list_shares(name_starts_with=prefix).by_page(continuation_token=token)
        assert [s.name for page in rest for s in page] == names[2:]

        with_metadata = list(service.list_shares(name_starts_with=prefix, include_metadata=True))
        assert [s.metadata for s in with_metadata] == [{"index": str(i)} for i in range(5)]
    finally:
        for name in names:
            service.delete_share(name)


def test_list_directories_and_files_with_pagination(share):
    for name in ["d1", "d2"]:
        share.create_directory(name)
    for name in ["f1", "f2", "f3"]:
        share.get_file_client(name).upload_file(b"x" * 3)
    share.get_file_client("other").upload_file(b"")

    pages = [list(page) for page in share.list_directories_and_files(name_starts_with="d", results_per_page=1).by_page()]
    assert [[e["name"] for e in page] for page in pages] == [["d1"], ["d2"]]

    pages = [list(page) for page in share.list_directories_and_files(results_per_page=2).by_page()]
    assert [len(p) for p in pages] == [2, 2, 2]
    seen = [e["name"] for page in pages for e in page]
    assert sorted(seen) == ["d1", "d2", "f1", "f2", "f3", "other"]
    kinds = {e["name"]: e["is_directory"] for page in pages for e in page}
    assert kinds == {"d1": True, "d2": True, "f1": False, "f2": False, "f3": False, "other": False}


def test_list_with_extended_info(share):
    directory = share.create_directory("dir")
    share.get_file_client("file").upload_file(b"12345")

    entries = {e["name"]: e for e in share.list_directories_and_files(
        include=["timestamps", "Etag", "Attributes", "PermissionKey"], include_extended_info=True)}
    file, folder = entries["file"], entries["dir"]
    assert file.file_id == share.get_file_client("file").get_file_properties().file_id
    assert folder.file_id == directory.get_directory_properties().file_id
    assert file.size == 5
    for entry in (file, folder):
        assert entry.etag and entry.etag.startswith('"')
        assert entry.last_modified is not None
        assert entry.creation_time is not None and entry.last_write_time is not None and entry.change_time is not None
        assert entry.permission_key
        assert entry.file_attributes
    assert "Directory" in folder.file_attributes


def test_handles_are_always_empty(share):
    directory = share.create_directory("dir")
    file = directory.upload_file("f", b"x")
    # No SMB client ever opens this server's files: there is nothing to list or close.
    assert list(file.list_handles()) == []
    assert list(directory.list_handles(recursive=True)) == []
    assert file.close_all_handles() == {"closed_handles_count": 0, "failed_handles_count": 0}
    assert directory.close_all_handles(recursive=True) == {"closed_handles_count": 0, "failed_handles_count": 0}


def test_a_long_listing_arrives_whole(share):
    """A listing of 1,200 files with every property: a document of several hundred KB, which
    the server sends in 64 KiB pieces; the SDK reads every entry, in order, with its size."""
    directory = share.get_directory_client("many")
    directory.create_directory()
    names = [f"file-{i:04d}-with-a-long-enough-name.txt" for i in range(1200)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda n: directory.get_file_client(n).create_file(size=len(n)), names))
    entries = list(directory.list_directories_and_files(include=["timestamps", "Etag", "Attributes", "PermissionKey"]))
    assert [(e["name"], e["size"]) for e in entries] == [(n, len(n)) for n in names]
    assert all(e["last_modified"] is not None and e["etag"] for e in entries)
