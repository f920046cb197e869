"""The embedded default graph store: an in-process ArcadeDB server with its Bolt plugin.

``embedded://PATH`` keeps the database files under ``PATH``. The first process to open ``PATH`` starts
the server on free loopback ports and writes ``PATH/server.json`` (ports, pid, password; mode 0600).
A second process that opens the same ``PATH`` finds that file, checks the owner is alive and its Bolt
port answers, and attaches over Bolt instead of starting a second server on the same files. The owner
stops the server at exit; processes attached to it lose their connection then, and
:class:`~pmkg.kg.store.GraphStore` tells them so within seconds (the owner's pid is gone).

The store's folder is private to its owner: it is created (or tightened) to mode 0700, and every folder under it
to 0700 and every file to 0600 (:func:`secure_tree`) when the server starts, after each ingested source, and when
the server stops. ArcadeDB creates its files through the JVM with the process umask; they sit inside the 0700
folder from the start, so no other local user can read them even before they are tightened.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import logging
import os
import secrets
import signal
import socket
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DATABASE_NAME = "pmkg"
ROOT_USER = "root"
BOLT_PLUGIN = "Bolt:com.arcadedb.bolt.BoltProtocolPlugin"
_DESCRIPTOR = "server.json"
_SECRET = "root-password"
_LOCK = "server.lock"

# ArcadeDB logs through java.util.logging to stdout by default; send it to a file in the data dir.
_JUL_CONFIG = """\
handlers = java.util.logging.FileHandler
.level = WARNING
java.util.logging.FileHandler.pattern = {log_dir}/arcadedb-%u.log
java.util.logging.FileHandler.level = INFO
java.util.logging.FileHandler.limit = 10000000
java.util.logging.FileHandler.count = 2
java.util.logging.FileHandler.formatter = java.util.logging.SimpleFormatter
"""


class EmbeddedServerError(RuntimeError):
    """The embedded server could not be started or attached to."""


@dataclass(frozen=True)
class ServerEndpoint:
    """How to reach a running embedded server over Bolt."""

    bolt_uri: str
    user: str
    password: str
    database: str
    owner_pid: int
    owned: bool


_owned: dict[Path, tuple[object, ServerEndpoint]] = {}
# Drivers connected to a server this process owns. Their Bolt sessions are non-daemon JVM threads, so
# they are closed before the server stops, or the JVM (and with it Python) cannot exit.
_clients: dict[Path, weakref.WeakSet] = {}


def register_client(path: str | os.PathLike, driver: object) -> None:
    """Have ``stop`` close ``driver`` before it stops the server for ``path``."""
    root = Path(path).expanduser().resolve()
    if root in _owned:
        _clients.setdefault(root, weakref.WeakSet()).add(driver)


PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
_STORE_FOLDERS = ("arcadedb", "logs")  # ArcadeDB's server root (databases, config, backups) and its log
_STORE_FILES = (_DESCRIPTOR, _SECRET, _LOCK, "server.tmp")


def secure_tree(root: str | os.PathLike) -> None:
    """Make the store's folder ``root`` 0700, and what the store keeps in it: every folder 0700, every file 0600.

    Only the store's own entries are touched (``arcadedb/``, ``logs/``, the descriptor, the password, the lock),
    never other files of a folder someone pointed ``embedded://`` at. Links are left alone; files that vanish
    meanwhile (ArcadeDB rotates its WAL files) and files another user owns are skipped.
    """
    top = Path(root)
    _chmod(top, PRIVATE_DIR)
    for name in _STORE_FILES:
        _chmod(top / name, PRIVATE_FILE)
    for subtree in _STORE_FOLDERS:
        if not (top / subtree).is_dir() or (top / subtree).is_symlink():
            continue
        _chmod(top / subtree, PRIVATE_DIR)
        for folder, folders, files in os.walk(top / subtree):
            for name in folders:
                _chmod(Path(folder, name), PRIVATE_DIR)
            for name in files:
                _chmod(Path(folder, name), PRIVATE_FILE)


def _chmod(path: Path, mode: int) -> None:
    with contextlib.suppress(FileNotFoundError, PermissionError):
        if not path.is_symlink() and (path.stat().st_mode & 0o7777) != mode:
            path.chmod(mode)


def tighten(path: str | os.PathLike) -> None:
    """:func:`secure_tree` for the store in ``path`` if this process owns its server (the ingest calls it)."""
    root = Path(path).expanduser().resolve()
    if root in _owned:
        secure_tree(root)


def owner_gone_message(path: str | os.PathLike, pid: int) -> str:
    """What an attached process says when the server's owner has died: who, and what to do."""
    return (
        f"the embedded graph server's owner (pid {pid}) is gone, so the graph in {path} cannot be reached through it; "
        "run the command again: it starts its own server on the same files (what was committed is kept)"
    )


PORT_ATTEMPTS = 3
PORT_TAKEN = "Unable to listen"  # ArcadeDB's words when a configured port is already bound


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_answers(port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def pid_alive(pid: int) -> bool:
    """Whether a process with ``pid`` runs (one owned by another user counts; a zombie, killed but not yet
    reaped by its parent, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # no procfs (macOS), or the process ended just now
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


@contextlib.contextmanager
def _locked(path: Path):
    fd = os.open(path / _LOCK, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    with os.fdopen(fd, "r+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _read_descriptor(path: Path) -> dict | None:
    try:
        return json.loads((path / _DESCRIPTOR).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _write_descriptor(path: Path, data: dict) -> None:
    target = path / _DESCRIPTOR
    tmp = target.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh)
    os.replace(tmp, target)


def _root_password(root: Path) -> str:
    """The store's root password: made once, kept beside the data (mode 0600).

    ArcadeDB records the root password when it first creates its user file and ignores it afterwards,
    so a fresh password on every start would lock us out of our own database after a restart.
    """
    path = root / _SECRET
    if path.exists():
        return path.read_text().strip()
    password = secrets.token_urlsafe(18)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(password)
    return password


def start_or_attach(path: str | os.PathLike, heap: str | None = None) -> ServerEndpoint:
    """Return a Bolt endpoint for the embedded store in ``path``, starting a server if none runs.

    ``heap`` is the JVM max heap (``PMKG_ARCADEDB_HEAP``, default ``4g``); it only matters for the
    first server started in this process.
    """
    root = Path(path).expanduser().resolve()
    if root in _owned:
        return _owned[root][1]
    root.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    with contextlib.suppress(PermissionError):  # someone else's folder: attaching needs no chmod
        root.chmod(PRIVATE_DIR)
    with _locked(root):
        existing = _read_descriptor(root)
        if existing and existing.get("pid") != os.getpid():
            if pid_alive(existing["pid"]) and _port_answers(existing["bolt_port"]):
                log.info("attaching to embedded server of pid %s at %s", existing["pid"], root)
                return ServerEndpoint(
                    bolt_uri=f"bolt://127.0.0.1:{existing['bolt_port']}",
                    user=ROOT_USER,
                    password=existing["password"],
                    database=DATABASE_NAME,
                    owner_pid=existing["pid"],
                    owned=False,
                )
            log.warning("removing stale embedded-server descriptor of dead pid %s in %s", existing["pid"], root)
        return _start(root, heap or os.environ.get("PMKG_ARCADEDB_HEAP", "4g"))


def _exit_on_sigterm(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def handle_sigterm_in_python() -> bool:
    """Give SIGTERM a Python handler (exit status 143 through ``SystemExit``) unless one is set already.

    Why: JPype >= 1.6 routes the JVM's SIGTERM to ``PyErr_SetInterruptEx(SIGTERM)`` from the JVM's own
    "SIGTERM handler" thread, which holds no Python thread state. When Python's handler for SIGTERM is the
    default (the integer ``SIG_DFL``), CPython 3.11 compares it with ``PyObject_RichCompare``, which needs a
    thread state, and the process dies with SIGSEGV at address 0x20 instead of terminating (every ``kill`` or
    ``timeout`` of a process hosting the embedded server; hs_err files show ``JPypeSignal.interruptPy``).
    With a Python callable installed, CPython only sets a flag, and the main thread exits cleanly: ``finally``
    blocks and ``atexit`` run, so the server stops and removes its descriptor. Called after the JVM started:
    ``signal.signal`` then also takes the OS-level handler back from the JVM, so a main thread blocked in a
    system call is woken at once. Returns whether it installed the handler.
    """
    if threading.current_thread() is not threading.main_thread():
        return False  # signal.signal works in the main thread only; an embedding app owns its signals then
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return False
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    return True


def _start(root: Path, heap: str) -> ServerEndpoint:
    secure_tree(root)  # a store made before pmkg kept it private, or copied in with other modes
    log_dir = root / "logs"
    log_dir.mkdir(exist_ok=True, mode=PRIVATE_DIR)
    jul_config = log_dir / "logging.properties"
    jul_config.write_text(_JUL_CONFIG.format(log_dir=log_dir))
    jul_config.chmod(PRIVATE_FILE)
    # Read by arcadedb_embedded when it starts the JVM, which happens at most once per process.
    jvm_args = os.environ.get("ARCADEDB_JVM_ARGS", "")
    if "java.util.logging.config.file" not in jvm_args:
        os.environ["ARCADEDB_JVM_ARGS"] = f"{jvm_args} -Djava.util.logging.config.file={jul_config}".strip()

    import arcadedb_embedded  # deferred: importing it is cheap, starting its JVM is not

    password = _root_password(root)
    t0 = time.perf_counter()
    for attempt in range(1, PORT_ATTEMPTS + 1):
        # A port found free can be taken by another process before the server binds it: try fresh ones.
        bolt_port, http_port = _free_port(), _free_port()
        try:
            server = arcadedb_embedded.ArcadeDBServer(
                str(root / "arcadedb"),
                password,
                {"server_plugins": BOLT_PLUGIN, "bolt_port": bolt_port, "http_port": http_port},
                jvm_kwargs={"heap_size": heap},
            )
            server.start()
            handle_sigterm_in_python()
            server.create_database(DATABASE_NAME)
            break
        except Exception as exc:  # the JVM raises its own exception types through JPype
            if PORT_TAKEN in str(exc) and attempt < PORT_ATTEMPTS:
                log.info("embedded ArcadeDB: a chosen port was taken meanwhile; retrying on new ports")
                continue
            raise EmbeddedServerError(
                f"could not start the embedded ArcadeDB server in {root}: {exc}. "
                f"Its log is in {log_dir}. If another program holds these files, stop it or use another path."
            ) from exc
    endpoint = ServerEndpoint(
        bolt_uri=f"bolt://127.0.0.1:{bolt_port}",
        user=ROOT_USER,
        password=password,
        database=DATABASE_NAME,
        owner_pid=os.getpid(),
        owned=True,
    )
    _write_descriptor(root, {"pid": os.getpid(), "bolt_port": bolt_port, "http_port": http_port, "password": password})
    _owned[root] = (server, endpoint)
    secure_tree(root)
    atexit.register(stop, root)
    log.info("started embedded ArcadeDB at %s (bolt %s) in %.1fs", root, bolt_port, time.perf_counter() - t0)
    return endpoint


def owned_database(path: str | os.PathLike) -> Any | None:
    """The in-process ArcadeDB database behind ``path`` if this process started its server, else None.

    Only the owner can use ArcadeDB's native bulk API; attached processes write over Bolt.
    """
    entry = _owned.get(Path(path).expanduser().resolve())
    return None if entry is None else entry[0].get_database(DATABASE_NAME)


def stop(path: str | os.PathLike) -> None:
    """Stop the server this process started for ``path`` (no-op otherwise) and remove its descriptor."""
    root = Path(path).expanduser().resolve()
    entry = _owned.pop(root, None)
    if entry is None:
        return
    server, _ = entry
    for driver in list(_clients.pop(root, ())):
        with contextlib.suppress(Exception):
            driver.close()
    try:
        server.stop()
    finally:
        descriptor = _read_descriptor(root)
        if descriptor and descriptor.get("pid") == os.getpid():
            (root / _DESCRIPTOR).unlink(missing_ok=True)
        secure_tree(root)
