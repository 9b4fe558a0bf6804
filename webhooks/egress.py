"""Outgoing HTTP to addresses users typed: webhooks today, the ``http.request`` step tomorrow.

A URL a user gives us is a way into our network (SSRF): ``http://169.254.169.254/`` is the
cloud's metadata service, ``http://localhost:6379/`` our Redis. Every request therefore

1. accepts only ``http`` and ``https`` URLs with a host and no user:password part;
2. resolves the host once and refuses the request when any address it resolves to is
   private, loopback, link-local, multicast, reserved, unspecified or otherwise not global
   (IPv4 and IPv6; an IPv6 address that embeds an IPv4 one, such as ``::ffff:127.0.0.1``,
   ``64:ff9b::/96`` NAT64, 6to4 and Teredo, is judged by the IPv4 address it carries).
   Decimal, octal and hexadecimal forms (``2130706433``, ``0177.0.0.1``) resolve to the
   address they denote and are judged as it. ``WEBHOOKS_ALLOW_PRIVATE_NETWORKS`` lifts the
   refusal for operators whose receivers live inside their network (and for the tests);
3. connects to the checked address itself, never resolving the name again (a DNS answer that
   changes between check and connect, "DNS rebinding", cannot move the request), while the
   ``Host`` header and the TLS server name (SNI and certificate check) stay the URL's host;
4. follows no redirect: a 3xx is the answer, to be judged by the caller;
5. gives up after the connect and read timeouts, or when the whole exchange takes longer than
   their sum, and reads at most ``max_bytes`` of the answer.

urllib3 is used directly: its connection pool takes the address to connect to and the name to
verify the certificate against separately (``server_hostname``, ``assert_hostname``), which is
what step 3 needs without a custom transport.
"""

import ipaddress
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.utils.translation import gettext_lazy as _

DEFAULT_PORTS = {"http": 80, "https": 443}
CHUNK = 16 * 1024
# Prefixes whose addresses are not routable as they read, though ipaddress calls some global.
NAT64 = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


class EgressError(Exception):
    """A request that could not be made or finished; ``str()`` says why for the delivery log."""

    code = "egress_error"
    default_message = _("The request could not be made.")

    def __init__(self, message=None):
        self.message = message if message is not None else self.default_message
        super().__init__(str(self.message))


class InvalidURLError(EgressError):
    code = "invalid_url"
    default_message = _("Give an http or https URL with a host name.")


class ForbiddenAddressError(EgressError):
    code = "forbidden_address"
    default_message = _("This address is in a private or reserved network.")


class ResolutionError(EgressError):
    code = "resolution_failed"
    default_message = _("The host name does not resolve.")


class ConnectionFailedError(EgressError):
    code = "connection_failed"
    default_message = _("The connection failed.")


class EgressTimeoutError(EgressError):
    code = "timeout"
    default_message = _("The receiver did not answer in time.")


class ResponseTooLargeError(EgressError):
    code = "response_too_large"
    default_message = _("The answer is larger than allowed.")


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect, and what to call the host while there."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...] = ()

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


@dataclass
class EgressResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed_ms: int
    address: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def private_networks_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_NETWORKS", False))


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """Return the IPv4 address an IPv6 one carries (mapped, NAT64, 6to4, Teredo), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64 or address in NAT64_LOCAL:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def address_forbidden(text: str) -> bool:
    """Return whether an IP address (as text) is outside the public internet."""
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone index
    except ValueError:
        return True
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            return address_forbidden(str(inner))
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def parse_url(url: str) -> Target:
    """Return the parts of ``url`` we connect with; InvalidURLError when it is not usable."""
    if not isinstance(url, str) or len(url) > 2000 or any(ch in url for ch in "\r\n\t "):
        raise InvalidURLError()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidURLError() from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise InvalidURLError()
    if parts.username is not None or parts.password is not None:
        raise InvalidURLError(_("Do not put a user name or password in the URL."))
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme, parts.hostname.rstrip("."), port or DEFAULT_PORTS[scheme], path)


def resolve(target: Target, *, allow_private: bool | None = None) -> Target:
    """Return ``target`` with the addresses its host resolves to, all of them checked."""
    allow = private_networks_allowed() if allow_private is None else allow_private
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise ResolutionError() from exc
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise ResolutionError()
    if not allow and any(address_forbidden(address) for address in addresses):
        raise ForbiddenAddressError()
    return Target(target.scheme, target.host, target.port, target.path, addresses)


def check_url(url: str, *, allow_private: bool | None = None) -> Target:
    """Return the checked target of ``url``, resolved; raise an EgressError when refused."""
    return resolve(parse_url(url), allow_private=allow_private)


def timeouts() -> tuple[float, float]:
    return (
        float(getattr(settings, "WEBHOOKS_CONNECT_TIMEOUT_SECONDS", 5)),
        float(getattr(settings, "WEBHOOKS_READ_TIMEOUT_SECONDS", 10)),
    )


def request(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: tuple[float, float] | None = None,
    max_bytes: int | None = None,
    allow_private: bool | None = None,
    ca_certs: str | None = None,
) -> EgressResponse:
    """Make one HTTP request to ``url`` under the rules of this module; return its answer.

    Raises an EgressError subclass when the URL is refused or the exchange fails; an answer of
    any status (3xx and 5xx included) is returned, not raised. ``ca_certs``: a CA bundle to
    trust instead of the system's (a receiver with an internal CA).
    """
    target = check_url(url, allow_private=allow_private)
    connect, read = timeout or timeouts()
    limit = int(max_bytes if max_bytes is not None else settings.WEBHOOKS_MAX_RESPONSE_BYTES)
    sent_headers = {"User-Agent": "Nexus-Webhooks/1", **(headers or {})}
    sent_headers["Host"] = target.host_header
    address = target.addresses[0]
    started = time.monotonic()
    pool = connection_pool(
        target, address, urllib3.Timeout(connect=connect, read=read), ca_certs=ca_certs
    )
    try:
        response = pool.urlopen(
            method.upper(),
            target.path,
            body=body,
            headers=sent_headers,
            retries=False,
            redirect=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            content = read_capped(response, limit, deadline=started + connect + read)
        finally:
            response.release_conn()
    except urllib3.exceptions.NewConnectionError as exc:  # a subclass of the timeout error
        raise ConnectionFailedError() from exc
    except (urllib3.exceptions.TimeoutError, TimeoutError) as exc:
        raise EgressTimeoutError() from exc
    except urllib3.exceptions.SSLError as exc:
        raise ConnectionFailedError(
            _("The TLS handshake failed: %(error)s") % {"error": exc}
        ) from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise ConnectionFailedError() from exc
    finally:
        pool.close()
    elapsed_ms = int((time.monotonic() - started) * 1000)
    return EgressResponse(
        status=response.status,
        headers={key.lower(): value for key, value in response.headers.items()},
        body=content,
        elapsed_ms=elapsed_ms,
        address=address,
    )


def post(
    url: str,
    body: bytes,
    *,
    headers: dict[str, str] | None = None,
    **options,
) -> EgressResponse:
    """POST ``body`` (JSON unless a Content-Type says otherwise) to ``url``; see ``request``."""
    return request(
        "POST",
        url,
        headers={"Content-Type": "application/json", **(headers or {})},
        body=body,
        **options,
    )


def connection_pool(
    target: Target, address: str, timeout: urllib3.Timeout, *, ca_certs: str | None = None
):
    """Return a one-use pool that connects to ``address`` and speaks to ``target.host``."""
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            address,
            target.port,
            timeout=timeout,
            maxsize=1,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            ca_certs=ca_certs,
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    return urllib3.HTTPConnectionPool(
        address, target.port, timeout=timeout, maxsize=1, retries=False
    )


def read_capped(response, limit: int, *, deadline: float) -> bytes:
    """Read the answer's body, refusing one longer than ``limit`` or slower than ``deadline``."""
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ResponseTooLargeError()
    chunks, size = [], 0
    while True:
        if time.monotonic() > deadline:
            raise EgressTimeoutError()
        chunk = response.read(CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise ResponseTooLargeError()
        chunks.append(chunk)
