"""uvicorn's h11 protocol with TCP_NODELAY on every connection.

With several workers uvicorn hands the listening socket to child processes, and there the accepted sockets
are left with Nagle's algorithm on: a response's body then waits for the ACK of its headers, which the
client delays by up to 40 ms (seen as a 50 ms floor on every request in bench/load.py).
"""
from __future__ import annotations

import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport):  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        super().connection_made(transport)
