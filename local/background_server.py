"""An HTTP server of the local stack's own (the stand-in for Gorgias, the outbox page) that
answers from a daemon thread until it is stopped."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOST = "127.0.0.1"


class BackgroundServer:
    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int, name: str) -> None:
        """Listening on `HOST:port` (0: any free port) from now; OSError when it is taken."""
        self._server = ThreadingHTTPServer((HOST, port), handler)
        # A short poll: shutdown() waits for the loop to notice it.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=name,
            daemon=True,
        )

    @property
    def origin(self) -> str:
        return f"http://{HOST}:{self._server.server_address[1]}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
