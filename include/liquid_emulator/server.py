"""The emulator's HTTP server: a threaded HTTP/1.1 keep-alive server around ``api.LiquidApi``.

``EmulatorServer`` serves one ``Exchange`` on ``host:port`` (port 0 picks a free port)
from a background thread; the request line and headers are never logged (they carry
signed JWTs). Transport faults planned by ``api`` happen here: sleeping before an
answer, closing the connection without an answer, or closing it mid-body.
"""

from __future__ import annotations

import logging
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from liquid_emulator.api import LiquidApi
from liquid_emulator.exchange import Exchange
from liquid_emulator.faults import cut_length
from liquid_emulator.messages import Request, Response, json_response

log = logging.getLogger(__name__)

IDLE_CONNECTION_SECONDS = 300


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "LiquidEmulator/1.0"
    sys_version = ""
    timeout = IDLE_CONNECTION_SECONDS
    disable_nagle_algorithm = True  # headers and body are separate writes: no delayed-ACK stalls
    server: _HttpServer

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def _serve(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self._send(json_response(400, {"message": "bad Content-Length"}))
            return
        body = self.rfile.read(length) if length else b""
        request = Request(self.command, self.path, self.headers, body)
        try:
            response = self.server.api.handle(request)
        except Exception:
            log.exception("internal error answering %s %s", self.command, request.path)
            response = json_response(500, {"message": "Internal Server Error"})
        if response.delay_seconds:
            time.sleep(response.delay_seconds)
        self._send(response)

    def _send(self, response: Response) -> None:
        if response.drop == "before_response":
            self.close_connection = True
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if response.drop == "mid_body":
            self.wfile.write(response.body[: cut_length(response.body, response.cut_fraction)])
            self.close_connection = True
            return
        self.wfile.write(response.body)

    def log_message(self, format: str, *args) -> None:
        """Silent: access lines would carry request targets of other people's accounts."""


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], api: LiquidApi) -> None:
        self.api = api
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request, client_address) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End every open keep-alive connection, so nothing is served after a stop."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address) -> None:
        """Clients hanging up (timeouts, dropped keep-alive connections) are routine, not errors."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        log.exception("error serving a request from %s", client_address[0])


class EmulatorServer:
    """Serves ``exchange`` over HTTP. Use as a context manager or ``start()``/``stop()``."""

    def __init__(self, exchange: Exchange, host: str = "127.0.0.1", port: int = 0) -> None:
        self.exchange = exchange
        self.host = host
        self.port = port
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:PORT`` (the real port once started)."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> EmulatorServer:
        if self._httpd is not None:
            raise RuntimeError("emulator server already started")
        api = LiquidApi(self.exchange)
        api.precompute()
        self._httpd = _HttpServer((self.host, self.port), api)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name=f"liquid-emulator:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting requests and close the listening socket (idempotent)."""
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        self._httpd.close_connections()
        self._thread.join()
        self._httpd = None
        self._thread = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
