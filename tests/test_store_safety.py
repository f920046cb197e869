"""The embedded store's files are private to their owner, and a process attached to a dead owner fails fast.

Issue 14, items 3 and 4: 83 of 87 ArcadeDB files were 0644 in 0755 folders; ``pmkg query`` attached to a server
whose owner was killed hung for about 31 s and then printed three chained tracebacks with exit code 1.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pmkg.kg import embedded
from pmkg.kg.records import NodeRecord
from pmkg.kg.store import GraphStore, GraphUnavailable
from pmkg.kg.writer import GraphWriter

from tests.conftest import FIXTURES

REPO = Path(__file__).resolve().parents[1]
PROV = {"source": "test", "source_version": "1", "license": "CC0"}
OWNER = """
import sys, time
from pmkg.kg.store import GraphStore
store = GraphStore.connect("embedded://" + sys.argv[1])
store.ensure_schema()
print("ready", flush=True)
time.sleep(600)
"""


def _modes(root: Path) -> dict[str, str]:
    found = {}
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        want = 0o700 if path.is_dir() else 0o600
        if mode != want:
            found[str(path.relative_to(root))] = oct(mode)
    return found


def test_the_store_folders_are_0700_and_its_files_0600(tmp_path):
    root = tmp_path / "private"
    os.umask(previous := os.umask(0o022))  # the usual umask: files 0644, folders 0755 unless pmkg says otherwise
    try:
        with GraphStore.connect(f"embedded://{root}") as store:
            store.ensure_schema()
            nodes = [NodeRecord("Anatomy", f"UBERON:{i:07d}", {"name": f"part {i}", **PROV}) for i in range(50)]
            GraphWriter(store, progress=False).write(nodes, [])
            embedded.secure_tree(root)  # what the ingest sink does after each source
            assert _modes(root) == {}
        embedded.stop(root)
        assert _modes(root) == {}, "files written after the last source are tightened when the server stops"
        assert stat.S_IMODE(root.stat().st_mode) == 0o700
    finally:
        os.umask(previous)


def test_an_existing_world_readable_store_is_tightened_when_it_is_opened(tmp_path):
    root = tmp_path / "old"
    with GraphStore.connect(f"embedded://{root}") as store:
        store.ensure_schema()
    embedded.stop(root)
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    with GraphStore.connect(f"embedded://{root}"):
        assert _modes(root) == {}
    embedded.stop(root)


@pytest.fixture
def owner(tmp_path):
    """A second process that owns an embedded store; the test process attaches to it."""
    root = tmp_path / "shared"
    process = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(root)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout.readline().strip() == "ready", "the owner process did not start its server"
        yield process, root
    finally:
        process.kill()
        process.wait(timeout=30)


def test_an_attached_store_whose_owner_died_fails_within_seconds_naming_the_pid(owner):
    process, root = owner
    with GraphStore.connect(f"embedded://{root}") as store:
        assert store.run("RETURN 1 AS one") == [{"one": 1}]
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        t0 = time.monotonic()
        with pytest.raises(GraphUnavailable) as caught:
            store.run("MATCH (n) RETURN count(n) AS n")
        assert time.monotonic() - t0 < 5
    message = str(caught.value)
    assert f"pid {process.pid}" in message and "gone" in message and "run the command again" in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_the_cli_attached_to_a_dead_owner_prints_one_line_and_exits_2(owner):
    process, root = owner
    env = {**os.environ, "COLUMNS": "200"}
    command = [sys.executable, "-c", "from pmkg.cli import main; main()", "ingest", "--data-dir", str(FIXTURES)]
    command += ["-s", "hetionet", "-g", f"embedded://{root}", "--report", str(root.parent / "report.json")]
    cli = subprocess.Popen(command, cwd=REPO, env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        lines = []
        while not any("attaching to embedded server" in line for line in lines):  # attached: now kill the owner
            line = cli.stderr.readline()
            assert line, f"the CLI ended before it attached: {''.join(lines)}"
            lines.append(line)
        os.kill(process.pid, signal.SIGKILL)
        t0 = time.monotonic()
        _, err = cli.communicate(timeout=60)
        elapsed = time.monotonic() - t0
    finally:
        cli.kill()
    err = "".join(lines) + err
    assert cli.returncode == 2, err
    assert elapsed < 10, (elapsed, err)
    assert "Traceback" not in err, err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and f"pid {process.pid}" in errors[0], err


def test_only_the_store_entries_are_tightened_not_other_files_in_its_folder(tmp_path):
    root = tmp_path / "mixed"
    root.mkdir()
    script = root / "run.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    with GraphStore.connect(f"embedded://{root}") as store:
        store.ensure_schema()
    embedded.stop(root)
    assert stat.S_IMODE(script.stat().st_mode) == 0o755, "a file pmkg did not make keeps its mode"
    assert _modes(root) == {"run.sh": "0o755"}
