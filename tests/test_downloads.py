"""Download mode against a real local HTTP server (with Range support) serving real fixture bytes."""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import shutil
import socket
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pmkg.ingest import downloads
from pmkg.ingest.base import sha256_of
from pmkg.ingest.downloads import REMOTE_FILES, DownloadError, DownloadFailed, RemoteFile, download_sources, fetch
from pmkg.ingest.registry import JOBS
from pmkg.ingest.xrefs import Resolver

from tests.conftest import FIXTURES

INDICATIONS = FIXTURES / "pharmacotherapydb" / "indications.tsv"
NODES = FIXTURES / "hetionet" / "hetionet-v1.0-nodes.tsv"
EDGES = FIXTURES / "hetionet" / "hetionet-v1.0-edges.sif"


class _Handler(BaseHTTPRequestHandler):
    """GET with single-range ``Range: bytes=N-`` and ``If-Range`` (strong ETag) support, like a CDN."""

    server: _Server

    def log_message(self, *args: object) -> None:  # keep pytest's output clean
        pass

    def do_GET(self) -> None:
        srv = self.server
        srv.requests.append((self.path, dict(self.headers.items())))
        path = srv.root / self.path.lstrip("/")
        if not path.is_file():
            self.send_error(404, "Not Found")
            return
        data = path.read_bytes()
        etag = f'"{hashlib.sha1(data).hexdigest()}"'
        start = 0
        requested = self.headers.get("Range")
        if requested and srv.honour_range and self.headers.get("If-Range") in (None, etag):
            start = int(re.fullmatch(r"bytes=(\d+)-", requested).group(1))
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        body = data[start:]
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if srv.cut_after is not None:
            # A dropped connection: fewer bytes than Content-Length promised, then the socket closes (HTTP/1.0).
            self.wfile.write(body[: srv.cut_after])
            srv.cut_after = None
            return
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    def __init__(self, root: Path) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.root = root
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.honour_range = True
        self.cut_after: int | None = None

    def url(self, relative: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{relative}"

    def publish(self, relative: str, data: bytes) -> str:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return self.url(relative)


@contextmanager
def _serve(root: Path) -> Iterator[_Server]:
    server = _Server(root)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[_Server]:
    with _serve(tmp_path / "www") as running:
        yield running


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def _remote(server: _Server, source: Path, relative: str, pinned: bool = True) -> RemoteFile:
    data = source.read_bytes()
    url = server.publish(relative, data)
    return RemoteFile(
        relative, url, hashlib.sha256(data).hexdigest() if pinned else None, len(data) if pinned else None
    )


# --- fetch -----------------------------------------------------------------------------------------------------------


def test_fresh_download_is_verified_moved_into_place_and_recorded(server, cache):
    remote = _remote(server, INDICATIONS, "pharmacotherapydb/indications.tsv")
    path = fetch(remote, cache, progress=False)
    assert path == cache / "pharmacotherapydb" / "indications.tsv"
    assert path.read_bytes() == INDICATIONS.read_bytes()
    assert (cache / "pharmacotherapydb" / "indications.tsv.sha256").read_text() == (
        f"{remote.sha256}  indications.tsv\n"
    )
    assert sorted(p.name for p in path.parent.iterdir()) == ["indications.tsv", "indications.tsv.sha256"]
    assert [(p, h.get("Range")) for p, h in server.requests] == [("/pharmacotherapydb/indications.tsv", None)]


def test_rerun_uses_the_cache_without_a_request(server, cache):
    remote = _remote(server, INDICATIONS, "pharmacotherapydb/indications.tsv")
    first = fetch(remote, cache, progress=False)
    assert fetch(remote, cache, progress=False) == first
    assert fetch(remote, cache, progress=False).read_bytes() == INDICATIONS.read_bytes()
    assert len(server.requests) == 1


def test_partial_part_file_is_resumed_with_a_range_request(server, cache):
    remote = _remote(server, NODES, "hetionet/hetionet-v1.0-nodes.tsv")
    part = cache / "hetionet" / "hetionet-v1.0-nodes.tsv.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(NODES.read_bytes()[:20_000])
    path = fetch(remote, cache, progress=False)
    assert path.read_bytes() == NODES.read_bytes()
    assert [h.get("Range") for _, h in server.requests] == ["bytes=20000-"]
    assert not part.exists()


def test_server_that_ignores_range_makes_the_download_restart(server, cache):
    server.honour_range = False
    remote = _remote(server, NODES, "hetionet/hetionet-v1.0-nodes.tsv")
    part = cache / "hetionet" / "hetionet-v1.0-nodes.tsv.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"x" * 20_000)  # appended to a full 200 response, these bytes would corrupt the file
    path = fetch(remote, cache, progress=False)
    assert server.requests[0][1].get("Range") == "bytes=20000-"
    assert path.read_bytes() == NODES.read_bytes()


def test_dropped_connection_keeps_the_part_and_the_next_run_resumes_it(server, cache):
    # No pinned digest: the resume is guarded by If-Range with the first response's ETag.
    remote = _remote(server, NODES, "hetionet/hetionet-v1.0-nodes.tsv", pinned=False)
    server.cut_after = 30_000
    with pytest.raises(DownloadError, match=r"closed after 30,000 of [\d,]+ bytes\. Run again to resume") as info:
        fetch(remote, cache, progress=False)
    assert remote.url in str(info.value)
    part = cache / "hetionet" / "hetionet-v1.0-nodes.tsv.part"
    assert part.read_bytes() == NODES.read_bytes()[:30_000]
    path = fetch(remote, cache, progress=False)
    assert path.read_bytes() == NODES.read_bytes()
    resumed = server.requests[1][1]
    assert resumed["Range"] == "bytes=30000-"
    assert resumed["If-Range"] == f'"{hashlib.sha1(NODES.read_bytes()).hexdigest()}"'  # the first response's ETag
    assert (path.parent / "hetionet-v1.0-nodes.tsv.sha256").read_text().split()[0] == sha256_of(NODES)
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "hetionet-v1.0-nodes.tsv",
        "hetionet-v1.0-nodes.tsv.sha256",
    ]


def test_part_of_a_file_that_changed_upstream_is_not_stitched_onto_the_new_one(server, cache):
    remote = _remote(server, NODES, "hetionet/data.tsv", pinned=False)
    server.cut_after = 30_000
    with pytest.raises(DownloadError):
        fetch(remote, cache, progress=False)
    server.publish("hetionet/data.tsv", EDGES.read_bytes())  # a new upstream release under the same URL
    path = fetch(remote, cache, progress=False)
    assert server.requests[1][1]["Range"] == "bytes=30000-"
    assert path.read_bytes() == EDGES.read_bytes()


def test_checksum_mismatch_deletes_the_download_and_names_file_url_and_digests(server, cache):
    good = _remote(server, INDICATIONS, "pharmacotherapydb/indications.tsv")
    wrong = sha256_of(NODES)
    remote = RemoteFile(good.relative_path, good.url, wrong, None)
    with pytest.raises(DownloadError) as info:
        fetch(remote, cache, progress=False)
    message = str(info.value)
    target = cache / "pharmacotherapydb" / "indications.tsv"
    assert str(target) in message and good.url in message
    assert f"sha256 {good.sha256}, expected {wrong}" in message
    assert list(target.parent.iterdir()) == [], "no final file, .part or sidecar is left behind"


def test_404_names_the_url_and_the_manual_route(server, cache):
    remote = RemoteFile("clinvar/variant_summary.txt.gz", server.url("clinvar/variant_summary.txt.gz"), None, None)
    with pytest.raises(DownloadError, match=r"HTTP 404") as info:
        fetch(remote, cache, progress=False)
    assert remote.url in str(info.value) and "--data-dir" in str(info.value)
    assert [p for p in cache.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize("pinned", [False, True], ids=["sidecar", "pinned"])
def test_corrupted_cached_file_is_caught_deleted_and_then_refetched(server, cache, pinned):
    remote = _remote(server, INDICATIONS, "pharmacotherapydb/indications.tsv", pinned=pinned)
    path = fetch(remote, cache, progress=False)
    data = bytearray(path.read_bytes())
    data[100] ^= 0x01  # one flipped bit, as a bad disk or an interrupted copy would leave
    path.write_bytes(bytes(data))
    with pytest.raises(DownloadError, match="cached copy of .* is corrupt") as info:
        fetch(remote, cache, progress=False)
    message = str(info.value)
    assert str(path) in message and remote.url in message
    assert f"sha256 {hashlib.sha256(bytes(data)).hexdigest()}, expected {sha256_of(INDICATIONS)}" in message
    assert not path.exists()
    assert len(server.requests) == 1, "verifying the cache needs no request"
    assert fetch(remote, cache, progress=False).read_bytes() == INDICATIONS.read_bytes()
    assert len(server.requests) == 2


def test_a_complete_part_left_before_the_rename_is_finished_without_a_request(server, cache):
    remote = _remote(server, INDICATIONS, "pharmacotherapydb/indications.tsv")
    part = cache / "pharmacotherapydb" / "indications.tsv.part"
    part.parent.mkdir(parents=True)
    shutil.copyfile(INDICATIONS, part)
    assert fetch(remote, cache, progress=False).read_bytes() == INDICATIONS.read_bytes()
    assert server.requests == []


def test_timeout_names_the_url_and_what_to_do(cache):
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/go/gene2go.gz"
        with pytest.raises(DownloadError, match=r"no answer within 0\.5 s") as info:
            fetch(RemoteFile("go/gene2go.gz", url, None, None), cache, progress=False, timeout=0.5)
    assert url in str(info.value) and "--data-dir" in str(info.value)


def test_refused_connection_names_the_url(cache):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/genes/Homo_sapiens.gene_info.gz"
    with pytest.raises(DownloadError, match=r"cannot connect") as info:
        fetch(RemoteFile("genes/Homo_sapiens.gene_info.gz", url, None, None), cache, progress=False)
    assert url in str(info.value)


def test_only_http_urls_are_fetched(cache):
    with pytest.raises(DownloadError, match="only http"):
        fetch(RemoteFile("x/y.tsv", f"file://{INDICATIONS}", None, None), cache, progress=False)


def test_zip_is_unpacked_once_and_repaired_when_a_member_goes_missing(server, cache, tmp_path):
    archive = tmp_path / "clinicalAnnotations.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(INDICATIONS, "indications.tsv")
        zf.write(NODES, "nested/hetionet-v1.0-nodes.tsv")
    base = _remote(server, archive, "pharmgkb/clinicalAnnotations.zip", pinned=False)
    remote = RemoteFile(base.relative_path, base.url, None, None, extract_to="pharmgkb/clinicalAnnotations")
    fetch(remote, cache, progress=False)
    folder = cache / "pharmgkb" / "clinicalAnnotations"
    assert (folder / "indications.tsv").read_bytes() == INDICATIONS.read_bytes()
    assert (folder / "nested" / "hetionet-v1.0-nodes.tsv").read_bytes() == NODES.read_bytes()
    stamp = (folder / "indications.tsv").stat().st_mtime_ns
    fetch(remote, cache, progress=False)
    assert (folder / "indications.tsv").stat().st_mtime_ns == stamp, "an unpacked zip is not unpacked again"
    (folder / "nested" / "hetionet-v1.0-nodes.tsv").unlink()
    fetch(remote, cache, progress=False)
    assert (folder / "nested" / "hetionet-v1.0-nodes.tsv").read_bytes() == NODES.read_bytes()
    assert len(server.requests) == 1


def test_corrupt_zip_names_the_file(server, cache):
    remote = RemoteFile(
        "pharmgkb/clinicalVariants.zip",
        server.publish("pharmgkb/clinicalVariants.zip", INDICATIONS.read_bytes()),  # a TSV, not a zip
        None,
        None,
        extract_to="pharmgkb/clinicalVariants",
    )
    with pytest.raises(DownloadError, match=r"clinicalVariants\.zip: not a readable zip"):
        fetch(remote, cache, progress=False)


# --- download_sources ------------------------------------------------------------------------------------------------


def test_a_failing_source_does_not_stop_the_others(server, cache):
    table = {
        "pharmacotherapydb": [_remote(server, INDICATIONS, "pharmacotherapydb/indications.tsv")],
        "clinvar": [RemoteFile("clinvar/variant_summary.txt.gz", server.url("missing.txt.gz"), None, None)],
        "hetionet": [_remote(server, NODES, "hetionet/hetionet-v1.0-nodes.tsv")],
    }
    with pytest.raises(DownloadFailed) as info:
        download_sources(table, cache, progress=False, with_mappings=False, table=table)
    failed = info.value
    assert failed.cache_dir == cache
    assert set(failed.failures) == {"clinvar"} and "HTTP 404" in failed.failures["clinvar"]
    assert server.url("missing.txt.gz") in str(failed)
    assert failed.fetched == {
        "pharmacotherapydb": [cache / "pharmacotherapydb" / "indications.tsv"],
        "hetionet": [cache / "hetionet" / "hetionet-v1.0-nodes.tsv"],
    }
    assert (cache / "hetionet" / "hetionet-v1.0-nodes.tsv").read_bytes() == NODES.read_bytes()


def test_success_returns_the_cache_dir_from_the_environment(server, tmp_path, monkeypatch):
    monkeypatch.setenv("PMKG_CACHE_DIR", str(tmp_path / "env-cache"))
    table = {"pharmacotherapydb": [_remote(server, INDICATIONS, "pharmacotherapydb/indications.tsv")]}
    data_dir = download_sources(["pharmacotherapydb"], progress=False, with_mappings=False, table=table)
    assert data_dir == tmp_path / "env-cache"
    assert (data_dir / "pharmacotherapydb" / "indications.tsv").is_file()


def test_unknown_source_fails_before_any_download(server, cache):
    table = {"pharmacotherapydb": [_remote(server, INDICATIONS, "pharmacotherapydb/indications.tsv")]}
    with pytest.raises(DownloadError, match=r"no download known for source\(s\) nope; known: pharmacotherapydb"):
        download_sources(["pharmacotherapydb", "nope"], cache, progress=False, with_mappings=False, table=table)
    assert server.requests == []


def test_mapping_sources_come_first_once():
    assert downloads.with_mapping_sources(["clinvar", "mondo"]) == [
        "disease-ontology",
        "mondo",
        "drugcentral",
        "genes",
        "clinvar",
    ]


def test_default_cache_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.delenv("PMKG_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert downloads.default_cache_dir() == tmp_path / "home" / ".cache" / "pmkg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert downloads.default_cache_dir() == tmp_path / "xdg" / "pmkg"
    monkeypatch.setenv("PMKG_CACHE_DIR", str(tmp_path / "mine"))
    assert downloads.default_cache_dir() == tmp_path / "mine"


# --- the table -------------------------------------------------------------------------------------------------------

BUNDLE_SOURCES = {
    "hetionet",
    "pharmacotherapydb",
    "disease-ontology",
    "mondo",
    "hpo",
    "go",
    "genes",
    "sequence-ontology",
    "drugcentral",
    "drugcentral-ddi",
    "sider",
    "pharmgkb",
    "cpic",
    "clinvar",
    "civic",
}


def test_every_job_and_every_bundle_source_has_remote_files():
    assert set(JOBS) <= set(REMOTE_FILES), f"jobs without a download: {sorted(set(JOBS) - set(REMOTE_FILES))}"
    assert set(REMOTE_FILES) == BUNDLE_SOURCES
    assert all(REMOTE_FILES[name] for name in REMOTE_FILES)
    assert set(downloads.MAPPING_SOURCES) <= set(REMOTE_FILES)


def test_entries_are_well_formed():
    paths, urls = [], []
    for source, files in REMOTE_FILES.items():
        for remote in files:
            parts = Path(remote.relative_path).parts
            assert parts[0] == source and ".." not in parts and not Path(remote.relative_path).is_absolute()
            assert remote.url.startswith("https://"), remote.url
            if remote.sha256 is not None:
                assert re.fullmatch(r"[0-9a-f]{64}", remote.sha256), remote
                assert remote.size and remote.size > 0, f"a pinned file has a known size: {remote}"
            if "raw.githubusercontent.com" in remote.url or "media.githubusercontent.com" in remote.url:
                assert re.search(r"/[0-9a-f]{40}/", remote.url), f"GitHub URLs are pinned to a commit: {remote.url}"
            if remote.extract_to:
                assert Path(remote.extract_to).parts[0] == source and remote.relative_path.endswith(".zip")
            paths.append(remote.relative_path)
            urls.append(remote.url)
    assert len(paths) == len(set(paths)) and len(urls) == len(set(urls))


def test_pinned_files_cover_the_bundle_where_upstream_is_versioned():
    pinned = {r.relative_path for files in REMOTE_FILES.values() for r in files if r.sha256}
    assert {
        "hetionet/hetionet-v1.0-nodes.tsv",
        "hetionet/hetionet-v1.0-edges.sif.gz",
        "disease-ontology/doid_2016-09-01.obo",
        "sequence-ontology/so.obo",
        "drugcentral/identifiers.tsv",
        "sider/meddra_all_se.tsv.gz",
        "hpo/hp.obo",
        "cpic/pharmcat_guidelines/CPIC_clopidogrel_and_CYP2C19.json",
        "cpic/cpic-data/V2__initial_data.sql",
    } <= pinned
    assert len([r for r in REMOTE_FILES["cpic"] if r.relative_path.startswith("cpic/pharmcat_guidelines/")]) == 118
    moving = {r.relative_path for files in REMOTE_FILES.values() for r in files if r.sha256 is None}
    assert {"clinvar/variant_summary.txt.gz", "genes/Homo_sapiens.gene_info.gz", "go/gene2go.gz"} <= moving


# --- the cache is a data dir every job can ingest from ----------------------------------------------------------------

# Fixture files whose name differs from the upstream name the table downloads (the bundle renamed them).
FIXTURE_ALIASES = {
    "disease-ontology/doid_2016-09-01.obo": ["disease-ontology/doid.obo"],
    "genes/Homo_sapiens.gene_info.gz": [
        "genes/orgHsEg-2022-09-12/Homo_sapiens.gene_info.gz",
        "genes/ncbi-2015-06/Homo_sapiens.gene_info.gz",
    ],
    "clinvar/variant_summary.txt.gz": ["clinvar/variant_summary_2021-01_first86362rows.txt.gz"],
}


def _fixture_bytes(relative: str) -> bytes | None:
    """Fixture bytes in the format of the upstream file at ``relative`` (the bundle gzipped some, renamed a few)."""
    for name in [relative, *FIXTURE_ALIASES.get(relative, [])]:
        path = FIXTURES / name
        if path.is_file():
            return path.read_bytes()
        if name.endswith(".gz") and (FIXTURES / name.removesuffix(".gz")).is_file():
            return gzip.compress((FIXTURES / name.removesuffix(".gz")).read_bytes(), mtime=0)
        if (FIXTURES / f"{name}.gz").is_file():
            return gzip.decompress((FIXTURES / f"{name}.gz").read_bytes())
        folder = FIXTURES / name.removesuffix(".zip")
        if name.endswith(".zip") and folder.is_dir():
            return _zip_of(folder)
    return None


def _zip_of(folder: Path) -> bytes:
    """The fixture folder as the upstream zip: members the bundle gzipped go in uncompressed, as upstream has them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            member = path.relative_to(folder).as_posix()
            if path.suffix == ".gz":
                zf.writestr(member.removesuffix(".gz"), gzip.decompress(path.read_bytes()))
            else:
                zf.writestr(member, path.read_bytes())
    return buffer.getvalue()


@pytest.fixture(scope="module")
def downloaded(tmp_path_factory) -> Path:
    """Every job's table entries, served from the fixtures under their URLs' paths and downloaded into one cache."""
    with _serve(tmp_path_factory.mktemp("mirror")) as server:
        table = {}
        for source in JOBS:
            table[source] = []
            for remote in REMOTE_FILES[source]:
                data = _fixture_bytes(remote.relative_path)
                if data is not None:
                    url = server.publish(remote.relative_path, data)
                    table[source].append(RemoteFile(remote.relative_path, url, None, None, remote.extract_to))
        cache = tmp_path_factory.mktemp("cache")
        return download_sources(list(JOBS), cache, progress=False, with_mappings=False, table=table)


@pytest.mark.parametrize("source", list(JOBS))
def test_each_job_ingests_from_the_download_cache(downloaded, source):
    served = [r.relative_path for r in REMOTE_FILES[source] if (downloaded / r.relative_path).is_file()]
    assert served, (
        f"no fixture stands in for any of {source}'s downloads {[r.relative_path for r in REMOTE_FILES[source]]}; "
        "add one (or an entry in FIXTURE_ALIASES)"
    )
    _, job = JOBS[source]
    result = job(downloaded, Resolver.from_data_dir(downloaded))
    assert result.nodes or result.edges
    assert result.files and all(Path(path).is_relative_to(downloaded) for path in result.files)
