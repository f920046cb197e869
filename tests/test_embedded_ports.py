"""The embedded server survives a port taken between choosing it and binding it (seen once in CI)."""

from __future__ import annotations

import socket

from pmkg.kg import embedded
from pmkg.kg.store import GraphStore


def test_a_port_taken_after_it_was_chosen_is_retried_on_new_ports(tmp_path, monkeypatch):
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    taken = blocker.getsockname()[1]
    chosen = iter([taken, taken])  # the first attempt gets a port another program now holds, for both servers
    real = embedded._free_port
    monkeypatch.setattr(embedded, "_free_port", lambda: next(chosen, None) or real())
    try:
        with GraphStore.connect(f"embedded://{tmp_path / 'db'}") as store:
            assert store.run("RETURN 1 AS one")[0]["one"] == 1
        descriptor = embedded._read_descriptor(tmp_path / "db")
        assert taken not in (descriptor["bolt_port"], descriptor["http_port"])
    finally:
        blocker.close()
        embedded.stop(tmp_path / "db")
