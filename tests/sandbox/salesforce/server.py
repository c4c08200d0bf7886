"""The HTTP side: a ThreadingHTTPServer around ``Application`` and the embeddable
``SalesforceSandbox`` (start/stop on a daemon thread, real connection-refused outages).

    sandbox = SalesforceSandbox(port=0).start()
    sandbox.base_url      # http://127.0.0.1:PORT
    sandbox.control       # SalesforceSandboxControl for the JSON control API
    sandbox.stop()
"""

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from .app import Application
from .client import SalesforceSandboxControl
from .http_types import Request


class _Handler(BaseHTTPRequestHandler):
    """Turns each HTTP request into a ``Request`` for the application."""

    protocol_version = "HTTP/1.1"
    server_version = "SalesforceSandbox/1.0"

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        request = Request(method=self.command, path=parts.path, query_string=parts.query,
                          headers=dict(self.headers.items()), body=body)
        response = self.server.app.handle(request)
        self.send_response(response.status)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if response.body and self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _serve

    def log_message(self, format, *args):
        if self.server.verbose:
            super().log_message(format, *args)


class _Server(ThreadingHTTPServer):
    """Tracks open connections so an outage can cut them as a dead host would."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, app, verbose):
        self.app = app
        self.verbose = verbose
        self.connections = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request, client_address):
        with self._connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def cut_connections(self):
        with self._connections_lock:
            connections = list(self.connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class SalesforceSandbox:
    """A local Salesforce org speaking REST, SOAP login, OAuth, Bulk 2.0 and the control API.

    Arguments: ``host``/``port`` (0 picks a free port), ``org_id``, ``daily_api_limit``,
    ``session_ttl`` seconds, ``query_batch_size``, ``outbound_backoff_factor`` (multiplies
    the Outbound Message retry delays, e.g. 0.001 in tests), ``verbose`` (log requests).
    """

    def __init__(self, host="127.0.0.1", port=0, org_id=None, daily_api_limit=15000,
                 session_ttl=7200.0, query_batch_size=2000, outbound_backoff_factor=1.0,
                 verbose=False):
        self.host = host
        self.port = port
        self.verbose = verbose
        self.app = Application(org_id=org_id, daily_api_limit=daily_api_limit,
                               session_ttl=session_ttl, query_batch_size=query_batch_size,
                               outbound_backoff_factor=outbound_backoff_factor)
        self.app.refuse_connections = lambda seconds: self.refuse_connections(
            seconds, asynchronous=True)
        self._server = None
        self._thread = None
        self._state_lock = threading.Lock()
        self._restore_timer = None

    @property
    def base_url(self):
        return f"http://{self.host}:{self.port}"

    @property
    def control(self):
        return SalesforceSandboxControl(self.base_url)

    # ------------------------------------------------------------ lifecycle
    def start(self):
        """Bind, serve from a daemon thread and start the Outbound Message sender."""
        self._listen()
        self.app.outbound.start()
        return self

    def _listen(self):
        with self._state_lock:
            if self._server is not None:
                return
            server = None
            for _ in range(50):
                try:
                    server = _Server((self.host, self.port), self.app, self.verbose)
                    break
                except OSError:
                    if not self.port:
                        raise
                    time.sleep(0.05)
            if server is None:
                raise OSError(f"cannot bind {self.host}:{self.port} again")
            self._server = server
            self.port = server.server_address[1]
            self.app.base_url = self.base_url
            self._thread = threading.Thread(target=server.serve_forever,
                                            kwargs={"poll_interval": 0.05},
                                            name=f"sf-sandbox-{self.port}", daemon=True)
            self._thread.start()

    def _close(self):
        with self._state_lock:
            server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            server.cut_connections()

    def stop(self):
        """Stop serving and stop the Outbound Message sender."""
        if self._restore_timer is not None:
            self._restore_timer.cancel()
        self._close()
        self.app.outbound.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # ------------------------------------------------------------ outages
    def refuse_connections(self, seconds=None, asynchronous=False):
        """Close the listening socket and live connections (clients get connection refused);
        listen again on the same port after ``seconds`` (never, when None, until
        ``restore_connections``). ``asynchronous`` lets a request handler ask for it and
        still send its own response first."""
        def go_down():
            if asynchronous:
                time.sleep(0.05)  # let the control response that asked for it go out
            self._close()
            if seconds is not None:
                self._restore_timer = threading.Timer(seconds, self.restore_connections)
                self._restore_timer.daemon = True
                self._restore_timer.start()
        if asynchronous:
            threading.Thread(target=go_down, daemon=True).start()
        else:
            go_down()

    def restore_connections(self):
        """Listen again on the same port after ``refuse_connections``."""
        self._listen()

    def is_listening(self):
        return self._server is not None
