"""Files and staging: DataFutures between apps, and http, ftp, zip and file staging
against real servers on 127.0.0.1."""
import os
import zipfile

import pytest
from servers import free_port, ftp_server, http_server

from dask_parsl import (
    DependencyError,
    File,
    NoOpFileStaging,
    Staging,
    bash_app,
    python_app,
)
from dask_parsl.staging import StagingFailed, UnsafeStagingPath


@python_app
def read_inputs(inputs=()):
    return [open(f.filepath).read() for f in inputs]


@python_app
def read_argument(file):
    with open(file) as opened:  # a File is os.PathLike
        return opened.read()


@python_app
def write(text, outputs=()):
    with open(outputs[0].filepath, "w") as out:
        out.write(text)
    return text


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    directory = tmp_path_factory.mktemp("served")
    (directory / "data.txt").write_text("served data\n")
    (directory / "sub").mkdir()
    (directory / "sub" / "data.txt").write_text("other data with the same name\n")
    return directory


@pytest.fixture(scope="module")
def http_port(served):
    with http_server(served) as port:
        yield port


@pytest.fixture(scope="module")
def ftp_port(served):
    with ftp_server(served, "alice", "secret") as port:
        yield port


def test_file_attributes():
    url = File("http://example.org:8080/data/table.csv")
    assert (url.scheme, url.netloc, url.path, url.filename) == (
        "http", "example.org:8080", "/data/table.csv", "table.csv")
    local = File("/tmp/data/x.txt")
    assert (local.scheme, local.filepath, os.fspath(local), str(local)) == (
        "file", "/tmp/data/x.txt", "/tmp/data/x.txt", "/tmp/data/x.txt")
    assert File("file:///tmp/y.txt").filepath == "/tmp/y.txt"
    local.local_path = "/scratch/x.txt"
    assert local.filepath == "/scratch/x.txt"
    assert local.cleancopy().local_path is None and local.cleancopy().url == local.url
    with pytest.raises(ValueError, match="stage it in"):
        print(url.filepath)


def test_outputs_become_data_futures_and_inputs_of_later_apps(dfk, tmp_path):
    made = File(str(tmp_path / "made.txt"))
    producer = write("from the producer", outputs=[made])
    (data_future,) = producer.outputs
    assert data_future.filepath == made.filepath
    consumer = read_inputs(inputs=[data_future])
    assert consumer.result(timeout=60) == ["from the producer"]
    assert data_future.result() is made
    assert read_argument(File(made.url)).result(timeout=60) == "from the producer"


def test_file_urls_need_no_staging(dfk, tmp_path):
    path = tmp_path / "plain.txt"
    path.write_text("plain")
    assert read_inputs(inputs=[File(f"file://{path}"), File(str(path))]).result(timeout=60) == ["plain"] * 2


def test_http_inputs_are_downloaded_by_a_separate_task(dfk, http_port):
    base = f"http://127.0.0.1:{http_port}"
    future = read_inputs(inputs=[File(f"{base}/data.txt"), File(f"{base}/sub/data.txt")])
    assert future.result(timeout=60) == ["served data\n", "other data with the same name\n"]
    assert len(future.task_record["depends"]) == 2  # the two download tasks
    assert read_argument(File(f"{base}/data.txt")).result(timeout=60) == "served data\n"
    downloads = os.path.join(dfk.executors["dask"].working_dir, "downloads")
    assert len(os.listdir(downloads)) == 2


def test_a_failed_download_fails_the_app_with_a_dependency_error(dfk, http_port):
    future = read_inputs(inputs=[File(f"http://127.0.0.1:{http_port}/missing.txt")])
    with pytest.raises(DependencyError) as failure:
        future.result(timeout=60)
    assert "404" in str(failure.value.__cause__)


def test_ftp_inputs_are_downloaded(dfk, ftp_port):
    url = f"ftp://alice:secret@127.0.0.1:{ftp_port}/data.txt"
    assert read_inputs(inputs=[File(url)]).result(timeout=60) == ["served data\n"]


def staging_failure(url):
    with pytest.raises(DependencyError) as failure:
        read_inputs(inputs=[File(url)]).result(timeout=60)
    cause = failure.value.__cause__
    assert isinstance(cause, StagingFailed)
    return str(cause)


def test_ftp_with_bad_credentials_says_so_without_the_password(dfk, ftp_port):
    said = staging_failure(f"ftp://alice:wrong@127.0.0.1:{ftp_port}/data.txt")
    assert f"could not download ftp://alice:***@127.0.0.1:{ftp_port}/data.txt" in said
    assert "530" in said and "check the user name and password" in said and "wrong" not in said


@pytest.mark.parametrize("scheme", ["http", "ftp"])
def test_a_refused_connection_names_the_url(dfk, scheme):
    port = free_port()  # nothing listens there
    said = staging_failure(f"{scheme}://127.0.0.1:{port}/data.txt")
    assert f"could not download {scheme}://127.0.0.1:{port}/data.txt" in said
    assert "Connection refused" in said and "nothing answers at that host and port" in said


def test_zip_outputs_are_added_to_the_archive_and_read_back(dfk, tmp_path):
    archive = tmp_path / "results" / "all.zip"
    producers = [write(f"part {i}", outputs=[File(f"zip:{archive}/parts/{i}.txt")]) for i in range(3)]
    readers = read_inputs(inputs=[p.outputs[0] for p in producers])
    assert readers.result(timeout=60) == ["part 0", "part 1", "part 2"]
    with zipfile.ZipFile(archive) as zf:
        assert sorted(zf.namelist()) == ["parts/0.txt", "parts/1.txt", "parts/2.txt"]
    assert read_inputs(inputs=[File(f"zip:{archive}/parts/1.txt")]).result(timeout=60) == ["part 1"]


def test_a_bash_apps_streams_can_go_into_a_zip_file(dfk, tmp_path):
    archive = tmp_path / "logs.zip"

    @bash_app
    def greet(stdout=None, stderr=None):
        return "echo hello; echo oops >&2"

    future = greet(stdout=File(f"zip:{archive}/greet/out.txt"), stderr=File(f"zip:{archive}/greet/err.txt"))
    assert future.result(timeout=60) == 0
    # each stream's DataFuture completes once the stream is in the archive
    assert future.stdout.result(timeout=60).url == f"zip:{archive}/greet/out.txt"
    future.stderr.result(timeout=60)
    with zipfile.ZipFile(archive) as zf:
        assert zf.read("greet/out.txt") == b"hello\n"
        assert zf.read("greet/err.txt").endswith(b"oops\n")
    assert read_inputs(inputs=[future.stdout]).result(timeout=60) == ["hello\n"]


def test_a_file_nobody_can_stage_is_a_clear_error(dfk):
    with pytest.raises(ValueError, match="can stage in s3://bucket/key.csv.*storage_access"):
        read_inputs(inputs=[File("s3://bucket/key.csv")]).result(timeout=60)


class GreetingStaging(Staging):
    """A provider of our own: ``greeting://name`` files, written in the task itself."""

    def can_stage_in(self, file):
        return file.scheme == "greeting"

    def stage_in(self, dm, executor, file, parent_fut):
        file.local_path = os.path.join(dm.dfk.executors[executor].working_dir, file.netloc)
        return None

    def replace_task(self, dm, executor, file, func):
        def write_then_run(*args, **kwargs):
            os.makedirs(os.path.dirname(file.local_path), exist_ok=True)
            with open(file.local_path, "w") as out:
                out.write(f"hello {file.netloc}")
            return func(*args, **kwargs)

        return write_then_run


def test_custom_staging_providers(load_dfk, cluster, tmp_path):
    from dask_parsl import DaskExecutor

    load_dfk(executors=[DaskExecutor(cluster=cluster, storage_access=[GreetingStaging(), NoOpFileStaging()],
                                     working_dir=str(tmp_path / "work"))])
    assert read_inputs(inputs=[File("greeting://ada")]).result(timeout=60) == ["hello ada"]

    @bash_app
    def cat(inputs=(), stdout=None):
        return f"cat {inputs[0]}"

    out = str(tmp_path / "cat.out")
    assert cat(inputs=[File("greeting://grace")], stdout=out).result(timeout=60) == 0
    assert open(out).read() == "hello grace"



def test_zip_member_names_that_would_leave_the_staging_directory_are_refused(dfk, tmp_path):
    archive = tmp_path / "crafted.zip"
    escaping = ("../../../escaped.txt", "/tmp/escaped.txt", "sub/../../../../escaped.txt")
    with zipfile.ZipFile(archive, "w") as zf:  # names another program may have put in an archive
        for name in escaping:
            zf.writestr(name, "outside")
    run_dir = os.path.dirname(dfk.executors["dask"].working_dir)  # staging's parent
    for inside in escaping:
        with pytest.raises(UnsafeStagingPath, match="would be written outside the staging directory"):
            read_inputs(inputs=[File(f"zip:{archive}/{inside}")]).result(timeout=60)
        with pytest.raises(UnsafeStagingPath, match=r"without '\.\.' or a leading '/'"):
            write("in", outputs=[File(f"zip:{tmp_path}/out.zip/{inside}")]).result(timeout=60)
    assert "escaped.txt" not in os.listdir(run_dir)
    assert not (tmp_path / "out.zip").exists()


def test_a_download_url_naming_no_file_is_refused(dfk, http_port):
    for path in ("/", "/sub/..", "/sub/."):
        with pytest.raises(UnsafeStagingPath, match="names no file"):
            read_inputs(inputs=[File(f"http://127.0.0.1:{http_port}{path}")]).result(timeout=60)
