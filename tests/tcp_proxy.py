"""A loopback TCP proxy whose link can be cut, for testing how the service behaves when the graph goes away.

Not a mock: the service talks real Bolt to the real graph server through it, and the proxy only injects the
two network faults that matter: ``refuse`` (the port closes, connections reset: a stopped server) and
``blackhole`` (connections stay open but no byte gets through: a dead link or a hung server).
"""

from __future__ import annotations

import contextlib
import socket
import threading


class TcpProxy:
    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.mode = "forward"
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.port = self._listen(0)

    def _listen(self, port: int) -> int:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return listener.getsockname()[1]

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # listener closed
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.update((client, upstream))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                if self.mode == "forward":
                    dst.sendall(data)
        except OSError:
            pass
        finally:
            self._close(src, dst)

    def _close(self, *socks: socket.socket) -> None:
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()
            with self._lock:
                self._sockets.discard(sock)

    def refuse(self) -> None:
        """Close the port and reset every open connection."""
        self.mode = "refuse"
        if self._listener is not None:
            self._close(self._listener)
            self._listener = None
        with self._lock:
            open_sockets = list(self._sockets)
        self._close(*open_sockets)

    def blackhole(self) -> None:
        """Accept and keep connections, but let no byte through."""
        if self._listener is None:
            self._listen(self.port)
        self.mode = "blackhole"

    def forward(self) -> None:
        """Back to normal: a new connection reaches the server (blackholed ones stay dead)."""
        if self._listener is None:
            self._listen(self.port)
        with self._lock:
            stale = list(self._sockets) if self.mode == "blackhole" else []
        self.mode = "forward"
        self._close(*stale)

    def close(self) -> None:
        self.refuse()
