"""The embedded store: start, attach from another process, restart, and clear connection errors."""

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from pmkg.kg.store import GraphStore, GraphUnavailable

REPO = Path(__file__).resolve().parents[1]


def _python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_second_process_attaches_instead_of_starting(store, graph_uri, ingest_outcomes):
    here = store.run("MATCH (n:Drug) RETURN count(n) AS n")[0]["n"]
    code = (
        "from pmkg.kg.store import GraphStore; from pmkg.kg import embedded; import json;"
        f"s = GraphStore.connect({graph_uri!r});"
        "ep = embedded.start_or_attach(s.settings.uri.removeprefix('embedded://'));"
        "print(json.dumps({'owned': ep.owned, 'n': s.run('MATCH (n:Drug) RETURN count(n) AS n')[0]['n']}))"
    )
    assert json.loads(_python(code)) == {"owned": False, "n": here}


def test_restart_keeps_data_and_credentials(tmp_path):
    uri = f"embedded://{tmp_path / 'db'}"
    write = (
        f"from pmkg.kg.store import GraphStore; s = GraphStore.connect({uri!r}); s.ensure_schema();"
        "s.run(\"MERGE (n:Drug {id: 'DRUGBANK:DB00945'})\", write=True); print('ok')"
    )
    read = (
        f"from pmkg.kg.store import GraphStore; s = GraphStore.connect({uri!r});"
        "print(s.run('MATCH (n:Drug) RETURN count(n) AS n')[0]['n'])"
    )
    assert _python(write) == "ok"
    assert _python(read) == "1"  # a second server start on the same files, after the first one stopped
    assert not (tmp_path / "db" / "server.json").exists(), "the owner removes its descriptor at exit"
    assert oct((tmp_path / "db" / "root-password").stat().st_mode & 0o777) == "0o600"


def test_sigterm_stops_the_owner_cleanly_instead_of_a_jvm_segfault(tmp_path):
    # Before kg.embedded installed a Python SIGTERM handler, JPype's TERM handler called into CPython from a
    # JVM thread without a thread state: `kill` ended the process with SIGSEGV (hs_err: JPypeSignal.interruptPy).
    uri = f"embedded://{tmp_path / 'db'}"
    code = (
        f"from pmkg.kg.store import GraphStore; import time; s = GraphStore.connect({uri!r});"
        "s.run('RETURN 1'); print('ready', flush=True); time.sleep(120)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready", proc.stderr
        assert (tmp_path / "db" / "server.json").exists()
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=60)
    finally:
        proc.kill()
    assert rc == 128 + signal.SIGTERM, (rc, proc.stderr.read()[-2000:] if proc.stderr else "")
    assert not (tmp_path / "db" / "server.json").exists(), "atexit ran: the server stopped and removed its descriptor"


def test_schema_is_idempotent_and_has_a_constraint_per_label(store):
    store.ensure_schema()
    store.ensure_schema()
    names = {row["name"] for row in store.run("SHOW CONSTRAINTS YIELD name RETURN name")}
    assert {"drug_id_unique", "disease_id_unique", "gene_id_unique", "source_id_unique"} <= names


def test_uniqueness_constraint_is_enforced(store):
    store.ensure_schema()
    store.run("MERGE (n:Anatomy {id: 'UBERON:9999999'})", write=True)
    with pytest.raises(Exception, match="(?i)duplicat|unique|exists"):
        store.run("CREATE (n:Anatomy {id: 'UBERON:9999999'})", write=True)
    store.run("MATCH (n:Anatomy {id: 'UBERON:9999999'}) DELETE n", write=True)


def test_unsupported_uri_is_explained():
    with pytest.raises(GraphUnavailable, match="embedded://PATH"):
        GraphStore.connect("postgres://nope")


def test_unreachable_neo4j_is_explained():
    with pytest.raises(GraphUnavailable, match="docker compose up -d neo4j"):
        GraphStore.connect("bolt://127.0.0.1:1", user="neo4j", password="x")
