# Part of iap_credits. See LICENSE file for full copyright and licensing details.
"""Local HTTP servers that tests start in place of external services.

No test reaches the network: each fake provider (SMS and print APIs, company registries,
extraction APIs, Odoo's IAP servers) is a handler served on 127.0.0.1, on a free port, in
a daemon thread, so that the addon's client code speaks real HTTP to it.
"""

import contextlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class QuietHandler(BaseHTTPRequestHandler):
    """Base of the fake providers' handlers: no access log in the test output, and one
    way to answer."""

    def log_message(self, *args):
        pass

    def _answer(self, status, content, content_type="application/json", headers=None):
        """Send ``content`` (str or bytes) whole; a client that gave up meanwhile (a timeout
        under test) is not an error of the server."""
        data = content if isinstance(content, bytes) else content.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)


class LocalServer:
    """Serves ``handler_class`` on 127.0.0.1 once started; ``url`` is its root, without a
    trailing slash. Each request runs in a daemon thread: a handler that hangs on purpose
    never blocks the end of the test."""

    def __init__(self, handler_class):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def serve(case, handler_class):
    """Start a server of ``handler_class`` for the test ``case``, stopped when it ends.

    :return: the server's root URL
    """
    server = LocalServer(handler_class).start()
    case.addCleanup(server.stop)
    return server.url


def closed_port_url():
    """A URL on 127.0.0.1 where nothing listens: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
