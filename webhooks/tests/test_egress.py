"""The egress rules: which URLs and addresses are refused, and what a request to a real
receiver on loopback sends and gets (with private addresses allowed, as an operator may)."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from webhooks import egress


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "127.0.0.1",
        "127.8.9.10",
        "169.254.169.254",
        "0.0.0.0",
        "100.64.0.1",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::7f00:1",
        "2002:7f00:1::1",
        "fe80::1%eth0",
    ],
)
def test_addresses_outside_the_public_internet_are_forbidden(address):
    assert egress.address_forbidden(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address):
    assert not egress.address_forbidden(address)


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/hook",
        "http://127.0.0.1:8000/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://localhost/",
        "http://LOCALHOST./",
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://0x7f.0.0.1/",
        "http://127.1/",
        "https://0/",
    ],
)
def test_urls_reaching_private_addresses_are_refused(url):
    with pytest.raises(egress.ForbiddenAddressError):
        egress.check_url(url, allow_private=False)


def test_the_refusal_holds_for_the_settings_default(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    with pytest.raises(egress.ForbiddenAddressError):
        egress.check_url("http://127.0.0.1/")


def test_a_host_resolving_to_public_and_private_addresses_is_refused(monkeypatch):
    real_getaddrinfo = socket.getaddrinfo

    def both(host, port, *args, **kwargs):
        if host != "mixed.example":
            return real_getaddrinfo(host, port, *args, **kwargs)
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", both)
    with pytest.raises(egress.ForbiddenAddressError):
        egress.check_url("https://mixed.example/", allow_private=False)


def test_the_operator_setting_allows_private_addresses(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    target = egress.check_url("http://127.0.0.1:9/x?y=1")
    assert target.addresses == ("127.0.0.1",)
    assert target.path == "/x?y=1"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/",
        "file:///etc/passwd",
        "gopher://example.com/",
        "javascript:alert(1)",
        "//example.com/",
        "http:///nohost",
        "http://user:pass@example.com/",
        "http://example.com:99999/",
        "http://exa mple.com/",
        "http://example.com/\r\nX-Injected: 1",
        "",
        None,
    ],
)
def test_only_plain_http_and_https_urls_with_a_host_are_accepted(url):
    with pytest.raises(egress.InvalidURLError):
        egress.check_url(url, allow_private=True)


def test_a_name_that_does_not_resolve_is_a_resolution_error():
    with pytest.raises(egress.ResolutionError):
        egress.check_url("http://no-such-host.invalid/", allow_private=True)


def test_the_request_connects_to_the_checked_address_not_a_second_lookup(receiver, monkeypatch):
    """DNS rebinding: the name is resolved once; the connection goes to that address."""
    port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])
    answers = iter(["127.0.0.1", "10.9.9.9"])  # a second lookup of the name would move it
    lookups = []
    real_getaddrinfo = socket.getaddrinfo

    def rebinding(host, port_, *args, **kwargs):
        if host != "hooks.example":  # an address literal: no DNS involved
            return real_getaddrinfo(host, port_, *args, **kwargs)
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port_))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    response = egress.post(f"http://hooks.example:{port}/hook", b"{}")
    assert response.status == 200
    assert response.address == "127.0.0.1"
    assert lookups == ["hooks.example"]
    assert receiver.requests[0].headers["host"] == f"hooks.example:{port}"


def test_a_post_reaches_the_receiver_with_body_and_headers(receiver):
    response = egress.post(receiver.url, b'{"a": 1}', headers={"X-Test": "yes"})
    assert response.status == 200
    assert response.body == b"ok"
    assert response.elapsed_ms >= 0
    received = receiver.requests[0]
    assert received.body == b'{"a": 1}'
    assert received.headers["content-type"] == "application/json"
    assert received.headers["x-test"] == "yes"


def test_a_redirect_is_returned_not_followed(receiver):
    receiver.status = 302
    receiver.extra_headers = {"Location": "http://169.254.169.254/latest/"}
    response = egress.post(receiver.url, b"{}")
    assert response.status == 302
    assert len(receiver.requests) == 1


def test_an_answer_longer_than_the_cap_is_refused(receiver):
    receiver.body = b"x" * 5000
    with pytest.raises(egress.ResponseTooLargeError):
        egress.post(receiver.url, b"{}", max_bytes=1000)


def test_an_answer_without_length_longer_than_the_cap_is_refused(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True

    class Streaming(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_POST(self):
            self.send_response(200)
            self.end_headers()
            for _ in range(10):
                self.wfile.write(b"y" * 1000)

        def log_message(self, *args):
            pass

    with serving(Streaming) as url, pytest.raises(egress.ResponseTooLargeError):
        egress.post(url, b"{}", max_bytes=2500)


def test_a_receiver_that_does_not_answer_times_out(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    release = threading.Event()

    class Silent(BaseHTTPRequestHandler):
        def do_POST(self):
            release.wait(5)

        def log_message(self, *args):
            pass

    with serving(Silent) as url:
        try:
            with pytest.raises(egress.EgressTimeoutError):
                egress.post(url, b"{}", timeout=(1, 0.2))
        finally:
            release.set()


def test_a_closed_port_is_a_connection_error(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(egress.ConnectionFailedError):
        egress.post(f"http://127.0.0.1:{port}/", b"{}")


def test_an_ipv6_loopback_receiver_is_reached_when_allowed(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")

    class Answer(BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    class V6Server(ThreadingHTTPServer):
        address_family = socket.AF_INET6

    try:
        server = V6Server(("::1", 0), Answer)
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        response = egress.post(f"http://[::1]:{server.server_address[1]}/", b"{}")
    finally:
        server.shutdown()
        server.server_close()
    assert response.status == 204


class serving:
    def __init__(self, handler):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True

    def __enter__(self) -> str:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tls_receiver(tmp_path, settings, monkeypatch):
    """An HTTPS receiver on loopback with a self-signed certificate for hooks.example, whose
    name resolves to 127.0.0.1 (and other.example too); yields (port, cert path, names seen)."""
    import ssl
    import subprocess

    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=hooks.example", "-addext", "subjectAltName=DNS:hooks.example",
            "-keyout", str(key), "-out", str(cert),
        ],
        capture_output=True,
        check=False,
    )  # fmt: skip
    if made.returncode != 0:
        pytest.skip("openssl cannot make a test certificate here")
    names = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: names.append(name)

    class Answer(BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    real_getaddrinfo = socket.getaddrinfo

    def resolving(host, port, *args, **kwargs):
        if host in ("hooks.example", "other.example"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolving)
    try:
        yield server.server_address[1], str(cert), names
    finally:
        server.shutdown()
        server.server_close()


def test_https_to_the_checked_address_keeps_sni_and_verifies_the_certificate(tls_receiver):
    port, cert, names = tls_receiver
    response = egress.post(f"https://hooks.example:{port}/hook", b"{}", ca_certs=cert)
    assert response.status == 200
    assert response.address == "127.0.0.1"
    assert names == ["hooks.example"]


def test_https_refuses_a_certificate_for_another_name(tls_receiver):
    port, cert, _names = tls_receiver
    with pytest.raises(egress.ConnectionFailedError):
        egress.post(f"https://other.example:{port}/hook", b"{}", ca_certs=cert)


def test_https_refuses_an_untrusted_certificate(tls_receiver):
    port, _cert, _names = tls_receiver
    with pytest.raises(egress.ConnectionFailedError):
        egress.post(f"https://hooks.example:{port}/hook", b"{}")
