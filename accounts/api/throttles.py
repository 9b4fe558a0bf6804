"""Rate limits for the anonymous account endpoints: login per IP and per address, and the
other sensitive calls (register, verify, password reset) per IP.

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` read on every request, not from
DRF's class attribute captured at import, so a changed setting applies at once. Counters live
in the shared cache, so every web process sees the same ones.
"""

import hashlib
from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.services import normalize_email


class SettingsRateThrottle(SimpleRateThrottle):
    """A throttle whose rate is looked up in the settings each time it is built."""

    def get_rate(self) -> str | None:
        rates = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {})
        try:
            return rates[self.scope]
        except KeyError as exc:
            raise ImproperlyConfigured(
                f"No throttle rate set for the {self.scope!r} scope."
            ) from exc

    def get_ident(self, request) -> str | None:
        # Without NUM_PROXIES, DRF keys on the whole X-Forwarded-For header, which a client
        # can set to anything and so escape the limit; the socket address cannot be forged.
        if api_settings.NUM_PROXIES is None:
            return request.META.get("REMOTE_ADDR")
        return super().get_ident(request)


class ClientIPThrottle(SettingsRateThrottle):
    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginIPThrottle(ClientIPThrottle):
    """Limit login attempts from one address, whatever account they aim at."""

    scope = "login_ip"


class AnonSensitiveThrottle(ClientIPThrottle):
    """Limit registration, verification and password reset calls from one address."""

    scope = "anon_sensitive"


class LoginEmailThrottle(SettingsRateThrottle):
    """Limit login attempts on one e-mail address, from wherever they come."""

    scope = "login_email"

    def get_cache_key(self, request, view) -> str | None:
        data = getattr(request, "data", request.POST)  # DRF request, or a page's form post
        email = (data.get("email") or data.get("username")) if isinstance(data, Mapping) else None
        if not isinstance(email, str) or not email.strip():
            return None  # the input serializer rejects the request anyway
        # Hashed: the cache holds no addresses, and keys stay short and safe for any backend.
        digest = hashlib.sha256(normalize_email(email).encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}
