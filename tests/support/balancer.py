"""A TCP load balancer on loopback, as operators put one before several sidecars: each new connection goes to the
next upstream in turn; an upstream that refuses the connection (a stopped sidecar) is skipped, as a balancer's
health check would take it out. The sidecar's gunicorn closes every connection after its response, so one
connection is one request.

``only(i)`` sends every connection to upstream ``i`` for a while, so that a test can say which sidecar answers a
step; ``served`` counts the connections each upstream took.
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

HOST = "127.0.0.1"


class Balancer:
    def __init__(self, port: int, upstream_ports: list[int]) -> None:
        self.port = port
        self.upstream_ports = upstream_ports
        self.served: Counter[int] = Counter()  # upstream port -> connections
        self._turn = 0
        self._pinned: int | None = None
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Balancer:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, self.port))
        listener.listen(64)
        self._listener = listener
        self._thread = threading.Thread(target=self._accept, name=f"balancer-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @contextmanager
    def only(self, index: int) -> Iterator[None]:
        """Every connection meanwhile goes to upstream ``index`` (and fails if it is down)."""
        self._pinned = index
        try:
            yield
        finally:
            self._pinned = None

    def _accept(self) -> None:
        assert self._listener is not None
        listener = self._listener
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # closed by stop()
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _candidates(self) -> list[int]:
        with self._lock:
            if self._pinned is not None:
                return [self.upstream_ports[self._pinned]]
            start = self._turn
            self._turn = (self._turn + 1) % len(self.upstream_ports)
        count = len(self.upstream_ports)
        return [self.upstream_ports[(start + step) % count] for step in range(count)]

    def _serve(self, client: socket.socket) -> None:
        for port in self._candidates():
            try:
                upstream = socket.create_connection((HOST, port), timeout=5)
            except OSError:
                continue
            with self._lock:
                self.served[port] += 1
            upstream.settimeout(None)
            back = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
            back.start()
            _pipe(client, upstream)
            back.join()
            upstream.close()
            client.close()
            return
        client.close()  # no upstream takes it: the caller sees the connection closed, as behind a real balancer


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        for sock, how in ((target, socket.SHUT_WR), (source, socket.SHUT_RD)):
            try:
                sock.shutdown(how)
            except OSError:
                pass
