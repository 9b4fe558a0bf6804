"""ASGI entry point: HTTP through Django, WebSocket through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nexus_site.settings")
django_asgi_app = get_asgi_application()

from nexus_site.startup import require_secret_key  # noqa: E402

require_secret_key()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from nexus_site.routing import websocket_urlpatterns  # noqa: E402
from nexus_site.socket_metrics import SocketMetricsMiddleware  # noqa: E402
from nexus_site.websocket_auth import TokenOrSessionAuthMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SocketMetricsMiddleware(
            AllowedHostsOriginValidator(
                TokenOrSessionAuthMiddleware(URLRouter(websocket_urlpatterns))
            ),
            websocket_urlpatterns,
        ),
    }
)
