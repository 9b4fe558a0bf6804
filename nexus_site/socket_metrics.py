"""WebSocket metrics: an ASGI wrapper around the socket routes that counts connections and
frames by route template, without touching the consumers."""

from __future__ import annotations

from typing import Any

from nexus_site import metrics

UNMATCHED_ROUTE = "<unmatched>"


def socket_route(path: str, patterns: list) -> str:
    """Return the route template of the socket pattern matching ``path``."""
    relative = path.lstrip("/")
    for pattern in patterns:
        if pattern.pattern.match(relative):
            return "/" + str(pattern.pattern)
    return UNMATCHED_ROUTE


class SocketMetricsMiddleware:
    """Count accepted sockets (open now and in total) and the frames each way."""

    def __init__(self, app: Any, patterns: list):
        self.app = app
        self.patterns = patterns

    async def __call__(self, scope: dict, receive, send) -> Any:
        if scope.get("type") != "websocket":
            return await self.app(scope, receive, send)
        route = socket_route(scope.get("path", ""), self.patterns)
        open_now = False

        async def counted_receive() -> dict:
            message = await receive()
            if message.get("type") == "websocket.receive":
                metrics.websocket_messages.labels(route, "in").inc()
            return message

        async def counted_send(message: dict) -> None:
            nonlocal open_now
            await send(message)
            kind = message.get("type")
            if kind == "websocket.send":
                metrics.websocket_messages.labels(route, "out").inc()
            elif kind == "websocket.accept" and not open_now:
                open_now = True
                metrics.websocket_connections.labels(route).inc()
                metrics.websocket_connections_opened.labels(route).inc()

        try:
            return await self.app(scope, counted_receive, counted_send)
        finally:
            if open_now:
                metrics.websocket_connections.labels(route).dec()
