"""A real HTTP receiver on loopback for the tests: a threaded http.server that records what it
is sent and answers with the status the test sets."""

import contextlib
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    status: int = 200
    body: bytes = b"ok"
    extra_headers: dict[str, str] = field(default_factory=dict)


def handler_for(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            receiver.requests.append(
                Received(
                    "POST",
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
            )
            self.send_response(receiver.status)
            for name, value in receiver.extra_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(receiver.body)))
            self.end_headers()
            self.wfile.write(receiver.body)

        do_GET = do_POST

        def log_message(self, *args):
            pass

    return Handler


@contextlib.contextmanager
def running_receiver(host: str = "127.0.0.1"):
    """Yield a Receiver listening on ``host`` at a free port; stop it afterwards."""
    receiver = Receiver(url="")
    server = ThreadingHTTPServer((host, 0), handler_for(receiver))
    server.daemon_threads = True
    receiver.url = f"http://{host}:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
